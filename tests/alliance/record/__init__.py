"""The shared record."""

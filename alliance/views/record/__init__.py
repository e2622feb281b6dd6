"""The shared record's pages, one module per section; ``common`` holds what they share."""

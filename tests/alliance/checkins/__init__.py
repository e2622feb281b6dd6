"""Check-ins and clinicians' ratings."""

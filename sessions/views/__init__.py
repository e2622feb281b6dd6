"""Views, one module per part: appointments, the agenda and record, home plans, reminders."""

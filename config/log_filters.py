"""Logging filters, named in ``LOGGING`` (config/settings.py)."""

import logging

from django.core.exceptions import PermissionDenied


class RefusalsInOneLine(logging.Filter):
    """A refused page (403) is expected, not a fault: log its one line without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True

"""Where to go back to: one check for every ``next``-style value that comes from the request."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme

# Longer than any page of ours; a longer value is someone's experiment, not a page to go back to.
MAX_LENGTH = 2000


def safe_local_url(request, value: str | None) -> str:
    """``value`` if it is a path on this site (``/…``, optionally with this site's own host), else "".

    Anything else (``abc``, ``-1``, ``//evil.example``, ``https://evil.example/``, ``javascript:…``,
    ``\\\\evil``, control characters, an over-long value) gives "", so the caller falls back to a page
    of its own choosing. A full URL on this very host is reduced to its path.
    """
    value = (value or "").strip()
    if not value or len(value) > MAX_LENGTH or "\\" in value or not value.isprintable():
        return ""
    allowed = {request.get_host()}
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=allowed, require_https=request.is_secure()):
        return ""
    if not value.startswith("/"):
        # Allowed only because it names this host (``http://testserver/…``): keep the path alone.
        parts = urlsplit(value)
        if not parts.netloc or not parts.path.startswith("/"):
            return ""
        value = parts._replace(scheme="", netloc="").geturl()
    if value.startswith("//"):
        return ""
    return value

"""HTML to PDF on the server, with WeasyPrint.

WeasyPrint draws text with Debian's Pango (``libpango-1.0-0``, ``libpangoft2-1.0-0``), which
``bin/run``, ``bin/test`` and ``.ci/run`` install when missing. Without it (or without WeasyPrint)
``html_to_pdf`` raises ``PdfUnavailable`` and the page says so, never a 500. Nothing is fetched from
the network or the disk while rendering except the stylesheets named here: the document is our own
template, and any other URL in it is refused.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.contrib.staticfiles import finders

logger = logging.getLogger(__name__)


class PdfUnavailable(Exception):
    """The PDF could not be made on this server (WeasyPrint or Pango missing, or rendering failed)."""


def html_to_pdf(html: str, *, stylesheets: list[str]) -> bytes:
    """``html`` (a whole document) as PDF bytes, styled by ``stylesheets`` (static paths, e.g. "css/x.css").

    Raises ``PdfUnavailable`` when WeasyPrint cannot be loaded or cannot render.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: WeasyPrint is there but Pango is not
        logger.warning("PDF unavailable: WeasyPrint could not be loaded (%s)", error)
        raise PdfUnavailable(str(error)) from error
    try:
        sheets = [weasyprint.CSS(filename=str(Path(finders.find(path)))) for path in stylesheets]
        # No protocol is allowed: a URL in the document (there should be none) is never fetched.
        refuse_all = weasyprint.urls.URLFetcher(allowed_protocols=())
        return weasyprint.HTML(string=html, url_fetcher=refuse_all).write_pdf(stylesheets=sheets)
    except Exception as error:
        logger.exception("PDF unavailable: WeasyPrint could not render the document")
        raise PdfUnavailable(str(error)) from error

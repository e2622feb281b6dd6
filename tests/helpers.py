import html


def page_text(response) -> str:
    """The response body with HTML entities turned back into characters, for reading copy."""
    return html.unescape(response.content.decode())

import html
from html.parser import HTMLParser


def page_text(response) -> str:
    """The response body with HTML entities turned back into characters, for reading copy."""
    return html.unescape(response.content.decode())


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(response) -> str:
    """Only the words a person would read on the page: no tags, attributes, class names or scripts."""
    parser = _TextOnly()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())

"""Find words in templates that are not marked for translation.

``unmarked_text(path)`` parses one template with the project's engine and returns the visible English
left outside ``{% translate %}``/``{% blocktranslate %}``: text between tags and the values of the
attributes people read or hear (``alt``, ``title``, ``placeholder``, ``aria-label``, ``value`` of a
button, ``content`` of a description). Template variables and tags count as already handled; what they
print is checked where it is written (Python strings are marked with ``gettext``/``gettext_lazy``).

Run as ``python -m tests.i18n_lint [paths...]`` to list what is left, one line per string.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

HOLE = " \x00 "  # spaced, so a tag inside an HTML tag (<p{% if x %} hidden{% endif %}>) still parses
SKIPPED = {"script", "style", "code"}  # code samples are the same in every language
WORD = re.compile(r"[A-Za-z]{2,}")
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription"}
# Text that is the same in every language: entity names, units, the product's own name.
NOT_WORDS = re.compile(r"&[a-zA-Z]+;|&#\d+;|\bAlliance\b|\bFHIR\b|\bPDF\b|\bCSV\b|\bJSON\b|\bUTC\b")


def _flatten(nodelist) -> str:
    from django.template.base import TextNode
    from django.template.defaulttags import CommentNode
    from django.template.loader_tags import ExtendsNode

    parts: list[str] = []
    for node in nodelist:
        if isinstance(node, TextNode):
            parts.append(node.s)
        elif isinstance(node, CommentNode):
            continue
        elif type(node).__name__ in {"TranslateNode", "BlockTranslateNode"}:
            parts.append(HOLE)
        else:
            if isinstance(node, ExtendsNode):
                parts.append(_flatten(node.nodelist))
                continue
            children = []
            for name in getattr(node, "child_nodelists", ()):
                child = getattr(node, name, None)
                if child:
                    children.append(child)
            for _condition, child in getattr(node, "conditions_nodelists", ()):
                children.append(child)
            parts.append(HOLE)
            for child in children:
                parts.append(_flatten(child))
                parts.append(HOLE)
    return "".join(parts)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []
        self._skip = 0

    def _check(self, text: str) -> None:
        text = NOT_WORDS.sub(" ", text.replace("\x00", " "))
        if WORD.search(text):
            self.found.append(" ".join(text.split()))

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self._skip += 1
        attributes = dict(attrs)
        # A button shows its content; an input button shows its value.
        pressable = tag == "input" and attributes.get("type") in {"submit", "button", "reset"}
        for name, value in attrs:
            read = (
                name in READ_ATTRIBUTES
                or (name == "value" and pressable)
                or (name == "content" and attributes.get("name") == "description")
            )
            if value is not None and read:
                self._check(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED:
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._check(data)


def unmarked_text(path: Path) -> list[str]:
    """Return the unmarked English strings of one template file (``[]`` when all is marked)."""
    from django.template import engines

    engine = engines["django"].engine
    template = engine.from_string(Path(path).read_text())
    flat = _flatten(template.nodelist)
    if path.suffix == ".txt":
        text = NOT_WORDS.sub(" ", flat.replace("\x00", " "))
        return [" ".join(line.split()) for line in text.splitlines() if WORD.search(line)]
    reader = _Reader()
    reader.feed(flat)
    reader.close()
    return reader.found


def main(paths: list[str]) -> int:
    import django

    django.setup()
    roots = [Path(p) for p in paths] or [Path("templates")]
    left = 0
    for root in roots:
        files = [root] if root.is_file() else sorted([*root.rglob("*.html"), *root.rglob("*.txt")])
        for path in files:
            for text in unmarked_text(path):
                left += 1
                print(f"{path}: {text}")
    print(f"{left} unmarked", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    raise SystemExit(main(sys.argv[1:]))

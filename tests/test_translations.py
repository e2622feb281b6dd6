"""Every word a person reads is marked for translation, and Spanish is complete.

Three checks, from the source to the page:
- every template leaves no visible English outside ``{% translate %}``/``{% blocktranslate %}``
  (``tests/i18n_lint.py``);
- the Spanish catalogue translates every marked string, keeps every placeholder, and the compiled
  ``django.mo`` the app reads says the same as ``django.po``;
- every page a patient can open (each GET row of the permission matrix that answers a patient 200, and
  the pages before signing in), rendered for a patient whose language is Spanish, shows no English
  beyond what people wrote themselves. This catches strings built in Python and never marked.
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import translation

from tests.i18n_lint import unmarked_text
from tests.test_permissions import ROWS

TEMPLATES = sorted(path for path in Path(settings.BASE_DIR, "templates").rglob("*") if path.suffix in {".html", ".txt"})
CATALOGUE = Path(settings.BASE_DIR, "locale", "es", "LC_MESSAGES", "django.po")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdf]|\{\{\s*\w+\s*\}\}|</?[a-z][^>]*>")
# Words that are English and never Spanish. One of them on a Spanish page is a string left in English.
ENGLISH = {
    "the", "your", "you", "and", "with", "this", "what", "when", "have", "will", "of", "is", "are",
    "for", "not", "how", "about", "here", "can", "from", "been", "was", "it", "they", "we", "our", "to",
    "on", "by", "if", "or", "at", "be", "who", "which", "there", "their", "my", "yet", "any", "all",
    "back", "next", "sign", "send", "save", "check", "page", "help", "more", "none", "new", "edit",
}  # fmt: skip
WORD = re.compile(r"[A-Za-zÀ-ÿ']+")
EMAIL = re.compile(r"\S+@\S+")


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(settings.BASE_DIR)) for p in TEMPLATES])
def test_every_template_marks_its_words_for_translation(path):
    assert unmarked_text(path) == []


def test_spanish_is_offered_beside_english():
    assert [code for code, _name in settings.LANGUAGES] == ["en-gb", "es"]
    assert dict(settings.LANGUAGES)["es"] == "Español"


def test_the_spanish_catalogue_translates_every_string_and_keeps_its_placeholders():
    catalogue = polib.pofile(str(CATALOGUE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} strings without Spanish, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy translations to review, e.g. {fuzzy[:5]}"
    broken = []
    for entry in catalogue.translated_entries():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [(entry.msgid if n == 0 else entry.msgid_plural, text) for n, text in entry.msgstr_plural.items()]
        for source, spanish in pairs:
            wanted = sorted(set(PLACEHOLDER.findall(source)))
            if sorted(set(PLACEHOLDER.findall(spanish))) != wanted:
                broken.append(f"{source!r} → {spanish!r}")
    assert not broken, "placeholders differ:\n" + "\n".join(broken[:20])


def test_the_compiled_catalogue_says_what_the_catalogue_says():
    catalogue = polib.pofile(str(CATALOGUE))
    stale = []
    with translation.override("es"):
        for entry in catalogue.translated_entries():
            if entry.msgid_plural:
                got = (
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                    if entry.msgctxt
                    else (translation.ngettext(entry.msgid, entry.msgid_plural, 1))
                )
                wanted = entry.msgstr_plural[0]
            else:
                got = (
                    translation.pgettext(entry.msgctxt, entry.msgid)
                    if entry.msgctxt
                    else translation.gettext(entry.msgid)
                )
                wanted = entry.msgstr
            if got != wanted:
                stale.append(entry.msgid)
    assert not stale, f"django.mo is older than django.po ({len(stale)} strings); run compilemessages: {stale[:5]}"


class _VisibleText(HTMLParser):
    """The words a person sees or hears on a page: text, titles, labels read aloud."""

    READ = {"alt", "title", "placeholder", "aria-label"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "code"}:
            self._skip += 1
        for name, value in attrs:
            if name in self.READ and value:
                self.parts.append(value)
            if name == "value" and value and tag == "input" and dict(attrs).get("type") in {"submit", "button"}:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style", "code"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _written_by_people() -> list[str]:
    """Every text stored in the database (names, notes, stories…), and the names of time zones: people's
    own words and proper names stay as written."""
    texts: set[str] = {zone.replace("_", " ") for zone in zoneinfo.available_timezones()}
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        if fields and model._meta.app_label in {"patients", "alliance", "care_sessions"}:
            for row in model.objects.values_list(*fields):
                texts.update(value for value in row if isinstance(value, str) and len(value) > 3)
    return sorted(texts, key=len, reverse=True)


def english_on(html: str, people: list[str]) -> list[str]:
    """English words on a page, each with the text around it, after taking out what people wrote."""
    reader = _VisibleText()
    reader.feed(html)
    found = []
    for part in reader.parts:
        text = EMAIL.sub(" ", " ".join(part.split()))
        for written in people:
            if written in text:  # whole words only: a name inside a word ("es" in "esto") stays
                text = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", " ", text)
        for word in WORD.findall(text):
            if word.lower() in ENGLISH:
                found.append(f"{word!r} in {text[:140]!r}")
                break
    return found


def _patient_pages():
    for row in ROWS:
        if row.method == "get" and (row.expect["alice"] == 200 or row.expect["anonymous"] == 200):
            yield row


PATIENT_PAGES = list(_patient_pages())


@pytest.mark.django_db
def test_every_page_a_patient_opens_reads_in_spanish(signed_in):
    """Alice's language is Spanish; a visitor's browser asks for Spanish. No English is left on any page."""
    checked, english = 0, []
    for row in PATIENT_PAGES:
        with transaction.atomic():
            cast = copy.deepcopy(signed_in.cast)
            type(cast.alice.user).objects.filter(pk=cast.alice.user.pk).update(language="es")
            url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
            role = "alice" if row.expect["alice"] == 200 else "anonymous"
            response = signed_in.client(role).get(url, HTTP_ACCEPT_LANGUAGE="es")
            assert response.status_code == 200, f"{url} as {role}: {response.status_code}"
            if "text/html" in response.get("Content-Type", ""):
                checked += 1
                assert response["Content-Language"] == "es", url
                found = english_on(response.content.decode(), _written_by_people())
                english.extend(f"{url}: {words}" for words in found)
            transaction.set_rollback(True)
    print(f"\nSpanish: {checked} patient pages read, {len(english)} English strings")
    assert checked >= 40
    assert not english, "\n".join(english)


def test_the_english_detector_finds_english_and_leaves_peoples_words():
    assert english_on("<p>Send your check-in</p>", []) == ["'Send' in 'Send your check-in'"]
    assert english_on("<p>Enviar: my back hurts</p>", ["my back hurts"]) == []
    assert english_on('<button aria-label="Close the menu">×</button>', []) != []
    assert english_on("<p>Tu cuestionario está enviado.</p>", []) == []

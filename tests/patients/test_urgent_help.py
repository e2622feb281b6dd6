"""Urgent help set by the clinic: written by its admins on Clinic settings, one tap from every patient page."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from patients.urgent_help import GENERAL_URGENT_HELP, Piece, next_working_day, urgent_help_paragraphs
from tests.helpers import page_text, visible_text

pytestmark = pytest.mark.django_db

URL = reverse("patients:urgent-help")
SETTINGS = reverse("patients:clinic-settings")
RIVERSIDE_TEXT = (
    "Riverside: call 01632 960 123, Monday to Friday, 9am to 5pm.\n"
    "Out of hours call NHS 111.\n"
    "\n"
    "In danger now? Call 999. Our reference for you is 2026 12345."
)


def _settings(**changes) -> dict:
    return {"alert_overdue_days": "2", "review_every_sessions": "6", "urgent_help": RIVERSIDE_TEXT, **changes}


def test_a_patient_reads_their_clinics_own_words_with_the_line_breaks_kept(client, cast):
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    client.force_login(cast.alice.user)
    html = client.get(URL).content.decode()
    assert "From Riverside Pain Service" in html
    assert (
        '<p>Riverside: call <a href="tel:01632960123">01632 960 123</a>, Monday to Friday, 9am to 5pm.<br>'
        'Out of hours call NHS <a href="tel:111">111</a>.</p>'
    ) in html
    assert '<p>In danger now? Call <a href="tel:999">999</a>. Our reference for you is 2026 12345.</p>' in html
    assert "hasn't written its own" not in html


def test_another_clinics_patient_sees_their_own_clinics_help_not_this_one(client, cast):
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    client.force_login(cast.grace.user)
    text = visible_text(client.get(URL))
    assert "01632 960 123" not in text
    assert "Northgate Physiotherapy hasn't written its own urgent-help details yet" in text


def test_a_clinic_with_no_text_says_so_and_gives_the_general_advice(client, cast):
    client.force_login(cast.alice.user)
    text = visible_text(client.get(URL))
    assert "Riverside Pain Service hasn't written its own urgent-help details yet" in text
    assert "call 999" in text
    assert "call NHS 111 (any time, day or night)" in text


def test_the_page_never_suggests_anyone_is_watching_as_answers_arrive(client, cast):
    client.force_login(cast.alice.user)
    text = visible_text(client.get(URL))
    assert "Nobody watches check-ins or notes as they arrive" in text
    assert "during clinic hours" in text


def test_whatever_an_admin_types_is_shown_as_text_never_as_markup(client, cast):
    cast.riverside.urgent_help = '<script>alert(1)</script> <a href="javascript:x">call</a> 0800 123 4567'
    cast.riverside.save()
    client.force_login(cast.alice.user)
    html = client.get(URL).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="tel:08001234567">0800 123 4567</a>' in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 999", [Piece("Call "), Piece("999", "999")]),
        ("Samaritans 116 123 (free)", [Piece("Samaritans "), Piece("116 123", "116123"), Piece(" (free)")]),
        ("+44 20 7946 0000.", [Piece("+44 20 7946 0000", "+442079460000"), Piece(".")]),
        ("Open 9 to 5 on 1 December 2026", [Piece("Open 9 to 5 on 1 December 2026")]),
        ("Ref 12345678", [Piece("Ref 12345678")]),
        ("Room 999b", [Piece("Room 999b")]),
    ],
)
def test_only_numbers_simple_and_safe_to_dial_become_phone_links(text, expected):
    assert urgent_help_paragraphs(text) == [[expected]]


def test_blank_lines_split_paragraphs_and_windows_line_ends_are_lines_too():
    paragraphs = urgent_help_paragraphs("One\r\nTwo\r\n\r\n\r\nThree")
    assert paragraphs == [[[Piece("One")], [Piece("Two")]], [[Piece("Three")]]]


@pytest.mark.parametrize(
    ("sent", "seen_by"),
    [
        (datetime(2026, 11, 30, 10, 0, tzinfo=UTC), "2026-12-01"),  # Monday morning: Tuesday
        (datetime(2026, 12, 4, 19, 0, tzinfo=UTC), "2026-12-07"),  # Friday evening: Monday
        (datetime(2026, 12, 5, 12, 0, tzinfo=UTC), "2026-12-07"),  # Saturday: Monday
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "2026-12-07"),  # Sunday 23:30 in London: Monday
    ],
)
def test_the_next_working_day_is_the_next_weekday_in_the_clinics_zone(sent, seen_by):
    assert next_working_day(sent, timezone_name="Europe/London").isoformat() == seen_by


def test_sunday_night_in_utc_is_already_monday_in_a_zone_ahead():
    sunday_late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert next_working_day(sunday_late, timezone_name="Europe/Berlin").isoformat() == "2026-12-08"


# --- The navigation ---------------------------------------------------------------------------------


def test_every_patient_page_has_the_urgent_help_link_outside_the_folded_menu(client, cast):
    client.force_login(cast.alice.user)
    for name in ("alliance:home", "alliance:checkin", "alliance:progress", "patients:account"):
        html = client.get(reverse(name)).content.decode()
        header = html.split('<details class="site-menu">')[0]
        assert f'<a class="urgent-help-link" href="{URL}"' in header, name


def test_the_menu_folds_into_a_details_element_with_no_script(client, cast):
    client.force_login(cast.bob.user)
    html = client.get(reverse("alliance:home")).content.decode()
    assert '<details class="site-menu">\n  <summary>Menu</summary>\n  <nav class="site-nav" aria-label="Main">' in html
    assert "urgent-help-link" not in html


# --- The admin writes it ------------------------------------------------------------------------------


def test_an_admin_saves_the_text_and_who_reviewed_it_and_when_is_kept(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(SETTINGS, _settings(), follow=True)
    assert "The clinic's settings are saved." in page_text(response)
    cast.riverside.refresh_from_db()
    assert cast.riverside.urgent_help == RIVERSIDE_TEXT
    assert cast.riverside.urgent_help_reviewed_by == cast.dave.user
    assert cast.riverside.urgent_help_reviewed_at is not None
    assert "last reviewed by Dave Dixon" in visible_text(response)
    cast.northgate.refresh_from_db()
    assert (cast.northgate.urgent_help, cast.northgate.urgent_help_reviewed_at) == ("", None)


def test_the_admin_home_asks_for_a_review_until_the_text_is_saved(client, cast):
    cast.riverside.urgent_help = "A starting text: call 01632 960 000."
    cast.riverside.save()
    client.force_login(cast.dave.user)
    home = visible_text(client.get(reverse("alliance:home")))
    assert "Please review your urgent-help text" in home
    assert "It is a starting text" in home
    assert "Please review the urgent-help text below" in visible_text(client.get(SETTINGS))
    client.post(SETTINGS, _settings())
    assert "Please review your urgent-help text" not in visible_text(client.get(reverse("alliance:home")))


def test_an_admin_with_no_text_yet_is_told_patients_see_the_general_advice(client, cast):
    client.force_login(cast.dave.user)
    home = visible_text(client.get(reverse("alliance:home")))
    assert "You haven't written one yet, so patients see general advice" in home


def test_a_text_too_long_is_explained_beside_the_field_kept_and_not_saved(client, cast):
    client.force_login(cast.dave.user)
    long_text = "Call us. " * 400
    response = client.post(SETTINGS, _settings(urgent_help=long_text, alert_overdue_days="5"))
    assert response.status_code == 400
    assert "Ensure this value has at most 3000 characters" in response.context["form"].errors["urgent_help"][0]
    assert "Call us. Call us." in page_text(response)
    cast.riverside.refresh_from_db()
    assert (cast.riverside.urgent_help, cast.riverside.alert_overdue_days) == ("", 2)
    assert cast.riverside.urgent_help_reviewed_at is None


def test_emptying_the_text_brings_back_the_general_advice(client, cast):
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    client.force_login(cast.dave.user)
    client.post(SETTINGS, _settings(urgent_help="   "))
    cast.riverside.refresh_from_db()
    assert cast.riverside.urgent_help == ""
    assert cast.riverside.urgent_help_reviewed_by == cast.dave.user
    client.force_login(cast.alice.user)
    assert "If you are struggling to cope" in visible_text(client.get(URL))
    assert GENERAL_URGENT_HELP.startswith("If you are in danger now")


# --- In the patient's language --------------------------------------------------------------------------

SPANISH_TEXT = "Riverside: llama al 01632 960 123, de lunes a viernes, de 9 a 17 h."


def test_a_spanish_reader_sees_the_clinics_spanish_text_when_it_wrote_one(client, cast):
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.urgent_help_translations = {"es": SPANISH_TEXT}
    cast.riverside.save()
    cast.alice.user.language = "es"
    cast.alice.user.save()
    client.force_login(cast.alice.user)
    html = client.get(URL).content.decode()
    assert 'llama al <a href="tel:01632960123">01632 960 123</a>' in html
    assert "Monday to Friday" not in html
    assert "Tu clínica" not in html


def test_without_one_she_sees_the_clinics_text_marked_as_english_and_the_general_advice_in_spanish(client, cast):
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    cast.alice.user.language = "es"
    cast.alice.user.save()
    client.force_login(cast.alice.user)
    html = client.get(URL).content.decode()
    assert '<div class="urgent-help-text" lang="en-gb"><p>Riverside: call' in html
    assert "Tu clínica lo escribió en inglés. En cualquier caso:" in visible_text(client.get(URL))
    assert "Si estás en peligro ahora" in html and 'llama al <a href="tel:999">999</a>' in html


def test_an_admin_writes_the_text_in_spanish_beside_the_english_one(client, cast):
    client.force_login(cast.dave.user)
    form = client.get(SETTINGS).content.decode()
    assert 'name="urgent_help_es"' in form and "Urgent help in Spanish" in form
    too_long = client.post(SETTINGS, _settings(urgent_help_es="Llámanos. " * 400))
    assert too_long.status_code == 400
    assert too_long.context["form"].errors["urgent_help_es"] == ["Please keep this under 3,000 characters."]
    assert "Llámanos. Llámanos." in page_text(too_long)
    assert client.post(SETTINGS, _settings(urgent_help_es=f"  {SPANISH_TEXT}\r\n")).status_code == 302
    cast.riverside.refresh_from_db()
    assert cast.riverside.urgent_help_translations == {"es": SPANISH_TEXT}
    assert client.post(SETTINGS, _settings(urgent_help_es="")).status_code == 302
    cast.riverside.refresh_from_db()
    assert cast.riverside.urgent_help_translations == {}

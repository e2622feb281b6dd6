"""The check-in, rating, alert and progress pages through the real request stack."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, CheckIn, Instrument, Response
from alliance.services.checkins import checkin_submit, clinician_rating_submit
from sessions.models import AgendaItem
from tests.factories import CareSessionFactory, CareTeamFactory, PatientFactory
from tests.helpers import page_text, query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

GOOD = {
    "alliance-relationship": "8",
    "alliance-goals": "7",
    "alliance-approach": "9",
    "alliance-overall": "8",
    "pain-intensity": "6",
    "pain-enjoyment": "5",
    "pain-activity": "4",
}


def _all(value):
    return dict.fromkeys(("relationship", "goals", "approach", "overall"), value)


@pytest.fixture
def alice_client(client, cast):
    client.force_login(cast.alice.user)
    return client


def test_home_invites_a_checkin_before_the_next_appointment(alice_client, cast):
    body = page_text(alice_client.get(reverse("alliance:home")))
    local = timezone.localtime(cast.alice_session.starts_at)
    assert f"Check in before your appointment on {local:%A %H:%M}" in body


def test_checkin_form_uses_fieldsets_with_legends_and_radio_buttons(alice_client):
    response = alice_client.get(reverse("alliance:checkin"))
    html = response.content.decode()
    assert html.count("<fieldset") == 7
    assert html.count("<legend>") == 7
    assert html.count('type="radio"') == 7 * 11
    assert 'type="range"' not in html
    assert "Do you feel listened to, as an equal partner?" in page_text(response)
    assert "0 = Not listened to" in page_text(response)


def test_patient_checks_in_and_is_told_what_happens_next(alice_client, cast):
    response = alice_client.post(
        reverse("alliance:checkin"),
        {**GOOD, "session": cast.alice_session.pk, "note": "Can we talk about my sleep?"},
    )
    checkin = CheckIn.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("alliance:checkin-done", kwargs={"pk": checkin.pk})
    assert checkin.care_session == cast.alice_session
    assert checkin.alliance_response.total == 32
    assert str(checkin.pain_response.total) == "5.00"
    body = page_text(alice_client.get(response["Location"]))
    assert "Bob Baker will read your answers before your appointment" in body
    assert "Can we talk about my sleep?" in body
    assert AgendaItem.objects.filter(care_session=cast.alice_session, text="Can we talk about my sleep?").exists()
    assert "alert" not in body.lower()
    home = page_text(alice_client.get(reverse("alliance:home")))
    assert "You've checked in for your appointment" in home


def test_low_answers_are_talked_through_but_the_patient_never_sees_the_word_alert(alice_client, cast):
    low = {**GOOD, "alliance-relationship": "2", "alliance-goals": "3", "session": cast.alice_session.pk}
    response = alice_client.post(reverse("alliance:checkin"), low, follow=True)
    body = page_text(response)
    assert "your clinician will talk this through with you" in body
    assert Alert.objects.filter(patient=cast.alice).exists()
    for url in (reverse("alliance:home"), reverse("alliance:progress"), response.request["PATH_INFO"]):
        assert "alert" not in visible_text(alice_client.get(url)).lower()


def test_missing_answers_are_marked_and_chosen_answers_are_kept(alice_client, cast):
    partial = {"alliance-relationship": "8", "pain-intensity": "6", "note": "Zoë’s <b>question</b> 😀"}
    response = alice_client.post(reverse("alliance:checkin"), partial)
    assert response.status_code == 400
    body = page_text(response)
    assert body.count("Please choose a number from 0 to 10.") == 3
    assert body.count("Please answer this one too") == 2
    html = response.content.decode()
    assert 'value="8" checked' in html
    assert "Zoë’s &lt;b&gt;question&lt;/b&gt; 😀" in html
    assert not CheckIn.objects.exists() and not Response.objects.exists()


def test_an_overlong_note_is_refused_and_kept(alice_client, cast):
    response = alice_client.post(reverse("alliance:checkin"), {**GOOD, "note": "x" * 10_000})
    assert response.status_code == 400
    assert "Please keep this under 2,000 characters" in page_text(response)
    assert not CheckIn.objects.exists()


def test_html_in_the_note_is_stored_as_typed_and_shown_escaped(alice_client, cast):
    note = "<script>alert('hi')</script> 🙂"
    response = alice_client.post(reverse("alliance:checkin"), {**GOOD, "note": note}, follow=True)
    assert CheckIn.objects.get().note == note
    html = response.content.decode()
    assert "<script>alert('hi')</script>" not in html
    assert "&lt;script&gt;" in html


def test_a_second_checkin_for_the_same_appointment_changes_nothing_and_says_so_kindly(alice_client, cast):
    alice_client.post(reverse("alliance:checkin"), {**GOOD, "session": cast.alice_session.pk})
    again = alice_client.post(
        reverse("alliance:checkin"), {**GOOD, "alliance-overall": "1", "session": cast.alice_session.pk}
    )
    assert again.status_code == 200
    assert "You've already checked in for this appointment" in page_text(again)
    assert CheckIn.objects.count() == 1
    assert not Alert.objects.exists()


def test_checking_in_against_someone_elses_appointment_is_not_found(alice_client, cast):
    response = alice_client.post(reverse("alliance:checkin"), {**GOOD, "session": cast.frank_session.pk})
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_checkin_without_an_appointment_stands_alone(client, cast):
    cast.alice_session.delete()
    client.force_login(cast.alice.user)
    page = page_text(client.get(reverse("alliance:checkin")))
    assert "You don't have an appointment booked right now" in page
    client.post(reverse("alliance:checkin"), GOOD)
    client.post(reverse("alliance:checkin"), GOOD)
    assert CheckIn.objects.filter(care_session__isnull=True).count() == 2


def _past_session(cast):
    return CareSessionFactory(
        patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(hours=3), status="done"
    )


def test_clinician_rates_a_session_and_sees_the_mismatch(client, cast):
    session = _past_session(cast)
    checkin_submit(patient=cast.alice, care_session=session, alliance_answers=_all(5), pain_answers={})
    client.force_login(cast.bob.user)
    home = page_text(client.get(reverse("alliance:home")))
    assert "Your side of recent sessions" in home
    form = client.get(reverse("alliance:rating", kwargs={"pk": session.pk}))
    assert "How well connected were you with this person" in page_text(form)
    response = client.post(
        reverse("alliance:rating", kwargs={"pk": session.pk}),
        {f"rating-{key}": "10" for key in ("relationship", "goals", "approach", "overall")},
        follow=True,
    )
    body = page_text(response)
    assert "You and the patient see it differently" in body
    assert "the patient's total is 20 and the clinician's is 40" in body
    again = client.post(
        reverse("alliance:rating", kwargs={"pk": session.pk}),
        {f"rating-{key}": "1" for key in ("relationship", "goals", "approach", "overall")},
        follow=True,
    )
    assert "You've already rated this session" in page_text(again)


def test_rating_form_marks_missing_answers(client, cast):
    session = _past_session(cast)
    client.force_login(cast.bob.user)
    response = client.post(reverse("alliance:rating", kwargs={"pk": session.pk}), {"rating-goals": "6"})
    assert response.status_code == 400
    assert page_text(response).count("Please choose a number from 0 to 10.") == 3
    assert 'value="6" checked' in response.content.decode()


def test_clinician_acknowledges_then_resolves_an_alert(client, cast):
    checkin_submit(patient=cast.alice, care_session=None, alliance_answers=_all(3), pain_answers={})
    alert = Alert.objects.filter(patient=cast.alice).first()
    client.force_login(cast.bob.user)
    home = page_text(client.get(reverse("alliance:home")))
    assert "Things to talk through" in home and "Alice Archer" in home
    client.post(reverse("alliance:alert-acknowledge", kwargs={"pk": alert.pk}), {"note": "Ask on Tuesday"})
    client.post(reverse("alliance:alert-resolve", kwargs={"pk": alert.pk}), {"note": "Talked it through"})
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.bob.user and alert.resolved_by == cast.bob.user
    page = page_text(client.get(reverse("alliance:patient", kwargs={"pk": cast.alice.pk})))
    assert "Talked it through" in page and "Ask on Tuesday" in page


def test_alert_note_that_is_too_long_changes_nothing(client, cast):
    checkin_submit(patient=cast.alice, care_session=None, alliance_answers=_all(3), pain_answers={})
    alert = Alert.objects.filter(patient=cast.alice).first()
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("alliance:alert-resolve", kwargs={"pk": alert.pk}), {"note": "x" * 10_000}, follow=True
    )
    assert "under 2,000 characters" in page_text(response)
    alert.refresh_from_db()
    assert alert.resolved_at is None


def test_progress_page_has_charts_tables_and_plain_sentences(alice_client, cast):
    old = timezone.now() - timedelta(days=70)
    first = checkin_submit(
        patient=cast.alice,
        care_session=None,
        alliance_answers=_all(6),
        pain_answers={"intensity": 7, "enjoyment": 6, "activity": 7},
    )
    Response.objects.filter(pk__in=[first.checkin.alliance_response_id, first.checkin.pain_response_id]).update(
        submitted_at=old
    )
    checkin_submit(
        patient=cast.alice,
        care_session=None,
        alliance_answers=_all(8),
        pain_answers={"intensity": 6, "enjoyment": 4, "activity": 5},
    )
    response = alice_client.get(reverse("alliance:progress"))
    body = page_text(response)
    month = timezone.localtime(old).strftime("%B")
    assert f"Interference with activity has come down from 7 to 5 since {month}" in body
    assert f"Your alliance check-in total has gone up from 24 to 32 out of 40 since {month}" in body
    html = response.content.decode()
    assert html.count('role="img"') == 2
    assert "<caption>" in html
    assert "Clinician's rating" not in body


def _history(cast, count, *, start: int = 0):
    """``count`` past sessions, each with the patient's check-in and the clinician's rating, a week apart."""
    for n in range(start, start + count):
        session = CareSessionFactory(
            patient=cast.alice,
            clinician=cast.bob,
            starts_at=timezone.now() - timedelta(days=7 * (n + 1)),
            status="done",
        )
        checkin_submit(
            patient=cast.alice,
            care_session=session,
            alliance_answers=_all(3 + n % 7),
            pain_answers={"intensity": 5, "enjoyment": 4, "activity": n % 10},
        )
        clinician_rating_submit(clinician=cast.bob, care_session=session, answers=_all(9))


def test_progress_pages_and_caseload_have_a_flat_query_count(cast):
    made = []

    def add(n):
        _history(cast, n, start=len(made))
        made.extend(range(n))

    for _ in range(3):
        CareTeamFactory(patient=PatientFactory(clinic=cast.riverside), clinician=cast.bob)
    query_counts_at_1_and_50(
        add,
        lambda: [
            (cast.alice.user, reverse("alliance:progress"), 10),
            # The shared record's sections add a fixed few: one on the patient's home and page, three on the caseload.
            (cast.alice.user, reverse("alliance:home"), 12 + 1),
            # A clinician's page also reads their second-factor device and writes one audit entry.
            (cast.bob.user, reverse("alliance:patient", kwargs={"pk": cast.alice.pk}), 14 + 1 + 2),
            (cast.bob.user, reverse("alliance:home"), 12 + 3),
        ],
    )


def test_admin_imports_a_questionnaire_and_bad_json_is_explained(client, cast):
    client.force_login(cast.dave.user)
    bad = client.post(reverse("alliance:instrument-import"), {"definition": '{"key": "x", ', "activate": "on"})
    assert bad.status_code == 400
    assert "This isn't valid JSON" in page_text(bad)
    assert '{"key": "x", ' in page_text(bad)
    definition = {
        "key": "riverside-srs-licensed",
        "name": "Licensed session rating",
        "respondent": "patient",
        "purpose": "alliance",
        "scale": {"min": 0, "max": 4},
        "items": [{"key": f"q{i}", "text": f"Question {i}"} for i in range(1, 5)],
        "scoring": {"method": "mean"},
        "thresholds": {"total_below": 2},
    }
    ok = client.post(
        reverse("alliance:instrument-import"), {"definition": json.dumps(definition), "activate": "on"}, follow=True
    )
    assert "Imported Licensed session rating, version 1" in page_text(ok)
    instrument = Instrument.objects.get(key="riverside-srs-licensed")
    assert instrument.clinic == cast.riverside and instrument.is_active
    # alice's check-in now asks the clinic's own questions; grace's clinic keeps ours
    client.force_login(cast.alice.user)
    assert "Question 1" in page_text(client.get(reverse("alliance:checkin")))
    client.force_login(cast.erin.user)
    listing = page_text(client.get(reverse("alliance:instruments")))
    assert "Licensed session rating" not in listing and "Alliance check-in" in listing

"""Check-ins, clinician ratings and the alert rules at their boundaries."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.models import Alert, AlertKind, CheckIn, Instrument, Response
from alliance.selectors.instruments import instrument_current
from alliance.services.alerts import alert_acknowledge, alert_resolve
from alliance.services.checkins import (
    AlreadyCheckedIn,
    AlreadyRated,
    checkin_submit,
    clinician_rating_submit,
)
from alliance.services.instruments import instrument_import
from tests.factories import CareSessionFactory

pytestmark = pytest.mark.django_db

PAIN = {"intensity": 6, "enjoyment": 5, "activity": 5}


def alliance(relationship, goals=None, approach=None, overall=None):
    """Four answers; by default all equal to the first."""
    return {
        "relationship": relationship,
        "goals": relationship if goals is None else goals,
        "approach": relationship if approach is None else approach,
        "overall": relationship if overall is None else overall,
    }


def kinds(alerts):
    return sorted(alert.kind for alert in alerts)


def test_checkin_is_scored_and_stored_with_one_row_per_item(cast):
    result = checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers=alliance(8, 7, 9, 6),
        pain_answers=PAIN,
        note="Is it silly to ask about my sleep?",
    )
    checkin = result.checkin
    assert checkin.alliance_response.total == 30
    assert str(checkin.pain_response.total) == "5.33"
    assert checkin.alliance_response.answers.count() == 4
    assert checkin.note == "Is it silly to ask about my sleep?"
    assert result.alerts == []
    agenda = list(cast.alice_session.agenda_items.all())
    assert [(item.text, item.source, item.raised_by) for item in agenda] == [
        ("Is it silly to ask about my sleep?", "checkin_note", cast.alice.user)
    ]


def test_second_checkin_for_the_same_appointment_changes_nothing(cast):
    first = checkin_submit(
        patient=cast.alice, care_session=cast.alice_session, alliance_answers=alliance(8), pain_answers=PAIN
    )
    with pytest.raises(AlreadyCheckedIn) as already:
        checkin_submit(
            patient=cast.alice, care_session=cast.alice_session, alliance_answers=alliance(2), pain_answers={}
        )
    assert already.value.checkin.pk == first.checkin.pk
    assert Response.objects.filter(patient=cast.alice).count() == 2  # alliance + pain from the first only


def test_the_database_itself_refuses_a_second_checkin_for_one_appointment(cast):
    first = checkin_submit(
        patient=cast.alice, care_session=cast.alice_session, alliance_answers=alliance(8), pain_answers={}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            patient=cast.alice,
            care_session=cast.alice_session,
            alliance_response=first.checkin.alliance_response,
        )


def test_standalone_checkins_are_allowed_any_number_of_times(cast):
    for _ in range(2):
        checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(8), pain_answers={})
    assert CheckIn.objects.filter(patient=cast.alice, care_session__isnull=True).count() == 2


def test_a_response_is_never_edited(cast):
    result = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(8), pain_answers={})
    response = result.checkin.alliance_response
    response.total = 40
    with pytest.raises(ValueError, match="never edited"):
        response.save()


def test_a_checkin_for_someone_elses_appointment_is_refused(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        checkin_submit(
            patient=cast.alice, care_session=cast.frank_session, alliance_answers=alliance(8), pain_answers={}
        )


def test_too_few_answers_are_refused_and_nothing_is_saved(cast):
    with pytest.raises(ValidationError):
        checkin_submit(
            patient=cast.alice,
            care_session=cast.alice_session,
            alliance_answers={"relationship": 8, "goals": None, "approach": None, "overall": None},
            pain_answers=PAIN,
        )
    assert not Response.objects.exists()
    assert not CheckIn.objects.exists()


# --- alert rules at their boundaries (alliance check-in thresholds: total_below 28,
#     item_at_or_below 4, drop_by 6, mismatch_by 8) ------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (alliance(7), []),  # total 28: not below 28
        (alliance(7, 7, 7, 6), [AlertKind.LOW_TOTAL]),  # total 27
        (alliance(10, 10, 10, 5), []),  # an item at 5: above 4
        (alliance(10, 10, 10, 4), [AlertKind.LOW_ITEM]),  # an item at 4: at the threshold
        (alliance(4), [AlertKind.LOW_ITEM, AlertKind.LOW_TOTAL]),
    ],
)
def test_total_and_item_thresholds(cast, answers, expected):
    result = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=answers, pain_answers={})
    assert kinds(result.alerts) == sorted(expected)


@pytest.mark.parametrize(("before", "after", "alerted"), [(10, 9, False), (9, 7, True)])
def test_drop_since_previous_checkin(cast, before, after, alerted):
    # 40 → 36 is a drop of 4: no alert. 36 → 28 is a drop of 8 ≥ 6: alert. (and 36 → 30 = 6 below)
    checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(before), pain_answers={})
    result = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(after), pain_answers={})
    assert (AlertKind.DROP in kinds(result.alerts)) is alerted


def test_drop_of_exactly_six_alerts_and_five_does_not(cast):
    checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(10), pain_answers={})  # 40
    five = checkin_submit(
        patient=cast.alice, care_session=None, alliance_answers=alliance(9, 9, 9, 8), pain_answers={}
    )  # 35
    assert AlertKind.DROP not in kinds(five.alerts)
    six = checkin_submit(
        patient=cast.alice, care_session=None, alliance_answers=alliance(8, 7, 7, 7), pain_answers={}
    )  # 29: 35 → 29 is 6
    assert AlertKind.DROP in kinds(six.alerts)


def test_a_corrections_drop_is_measured_from_before_the_answer_it_corrects(cast):
    from alliance.services.checkins import response_correct

    checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(10), pain_answers={})  # 40
    second = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(9), pain_answers={})
    # 36 corrected to 33: a drop of 7 from 40, the answer before it; only 3 from the one it replaces.
    _, alerts = response_correct(
        original=second.checkin.alliance_response, by=cast.alice.user, answers=alliance(9, 8, 8, 8)
    )
    assert AlertKind.DROP in kinds(alerts)


def _past_session(cast):
    return CareSessionFactory(
        patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(hours=1), status="done"
    )


@pytest.mark.parametrize(("clinician_answer", "alerted"), [(alliance(9, 9, 9, 10), False), (alliance(10), True)])
def test_mismatch_between_patient_and_clinician(cast, clinician_answer, alerted):
    session = _past_session(cast)
    checkin_submit(patient=cast.alice, care_session=session, alliance_answers=alliance(8), pain_answers={})  # 32
    # 37 vs 32 is 5 apart; 40 vs 32 is 8 apart (≥ 8)
    _, alerts = clinician_rating_submit(clinician=cast.bob, care_session=session, answers=clinician_answer)
    assert (AlertKind.MISMATCH in kinds(alerts)) is alerted


def test_mismatch_is_found_whichever_side_answers_second(cast):
    session = _past_session(cast)
    clinician_rating_submit(clinician=cast.bob, care_session=session, answers=alliance(10))
    result = checkin_submit(patient=cast.alice, care_session=session, alliance_answers=alliance(7), pain_answers={})
    assert AlertKind.MISMATCH in kinds(result.alerts)
    assert Alert.objects.filter(kind=AlertKind.MISMATCH).count() == 1


def test_clinician_rates_once_per_session_and_only_their_own_patients(cast):
    from django.core.exceptions import PermissionDenied

    session = _past_session(cast)
    clinician_rating_submit(clinician=cast.bob, care_session=session, answers=alliance(9))
    with pytest.raises(AlreadyRated):
        clinician_rating_submit(clinician=cast.bob, care_session=session, answers=alliance(9))
    with pytest.raises(PermissionDenied):
        clinician_rating_submit(clinician=cast.carol, care_session=session, answers=alliance(9))


def test_clinician_cannot_rate_a_session_that_has_not_started(cast):
    with pytest.raises(ValidationError):
        clinician_rating_submit(clinician=cast.bob, care_session=cast.alice_session, answers=alliance(9))


def test_acknowledge_then_resolve_records_who_and_when(cast):
    result = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(3), pain_answers={})
    alert = result.alerts[0]
    alert_acknowledge(alert=alert, by=cast.bob.user, note="Will ask about this on Tuesday")
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert alert.acknowledged_by == cast.bob.user and alert.acknowledge_note == "Will ask about this on Tuesday"
    alert_resolve(alert=alert, by=cast.bob.user, note="We talked; the exercises felt too much.")
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_by == cast.bob.user and alert.resolved_at


def test_resolving_directly_also_acknowledges(cast):
    alert = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(3), pain_answers={}).alerts[
        0
    ]
    alert_resolve(alert=alert, by=cast.bob.user)
    alert.refresh_from_db()
    assert alert.acknowledged_at and alert.resolved_at


def test_a_response_is_scored_against_the_version_it_was_given_on(cast):
    builtin = instrument_current(clinic=cast.riverside, purpose="alliance", respondent="patient")
    old = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(8), pain_answers={})
    definition = {**builtin.definition, "key": "our-alliance", "name": "Our alliance", "scale": {"min": 0, "max": 5}}
    definition["items"] = [{**item, "low_label": "", "high_label": ""} for item in definition["items"]]
    definition.pop("counterpart")
    import json

    instrument_import(clinic=cast.riverside, by=cast.dave.user, text=json.dumps(definition), activate=True)
    new_version = instrument_current(clinic=cast.riverside, purpose="alliance", respondent="patient")
    assert new_version.instrument.key == "our-alliance"
    assert old.checkin.alliance_response.version == builtin
    # another clinic still uses ours
    assert instrument_current(clinic=cast.northgate, purpose="alliance", respondent="patient") == builtin
    with pytest.raises(ValidationError):
        checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(8), pain_answers={})
    ok = checkin_submit(patient=cast.alice, care_session=None, alliance_answers=alliance(4), pain_answers={})
    assert ok.checkin.alliance_response.version == new_version


def test_builtin_instruments_are_loaded_by_migrations():
    assert set(Instrument.objects.filter(clinic__isnull=True).values_list("key", flat=True)) == {
        "alliance-checkin",
        "alliance-clinician",
        "pain-check",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "isn't valid JSON"),
        (
            '{"key": "alliance-checkin", "name": "x", "scale": {"min": 0, "max": 4}, '
            '"items": [{"key": "a", "text": "A"}]}',
            "built-in",
        ),
        ('{"key": "x"}', "is missing"),
    ],
)
def test_import_explains_bad_definitions(cast, text, message):
    with pytest.raises(ValidationError) as error:
        instrument_import(clinic=cast.riverside, by=cast.dave.user, text=text, activate=False)
    assert any(message in m for m in error.value.message_dict["definition"]), error.value.message_dict


def test_a_correction_is_a_new_response_and_the_original_is_kept(cast):
    from alliance.selectors.progress import progress_for_patient
    from alliance.services.checkins import response_correct

    original = checkin_submit(
        patient=cast.alice, care_session=cast.alice_session, alliance_answers=alliance(2), pain_answers={}
    ).checkin.alliance_response
    corrected, _ = response_correct(original=original, by=cast.alice.user, answers=alliance(8))
    assert corrected.supersedes == original and corrected.total == 32
    original.refresh_from_db()
    assert original.total == 8, "the original is never edited"
    assert [p.value for p in progress_for_patient(patient=cast.alice, include_clinician=True).patient_alliance] == [32]
    with pytest.raises(ValidationError):
        response_correct(original=original, by=cast.alice.user, answers=alliance(9))
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        response_correct(original=corrected, by=cast.bob.user, answers=alliance(9))


def test_import_instrument_command(cast, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    path = tmp_path / "def.json"
    path.write_text(
        '{"key": "licensed", "name": "Licensed", "scale": {"min": 1, "max": 5}, "items": [{"key": "a", "text": "A"}]}'
    )
    out = io.StringIO()
    call_command("import_instrument", str(path), "--clinic", "Riverside Pain Service", stdout=out)
    assert "Imported Licensed, version 1, for Riverside Pain Service" in out.getvalue()
    path.write_text("{broken")
    with pytest.raises(CommandError, match="isn't valid JSON"):
        call_command("import_instrument", str(path), "--clinic", "Riverside Pain Service")


# --- what a check-in stores ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pain", [{"intensity": 6, "enjoyment": None, "activity": 4}, {}], ids=["with the pain check", "alliance only"]
)
def test_a_check_in_stores_every_answer_a_skipped_one_as_empty_and_links_its_responses(cast, pain):
    result = checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers=alliance(8, 7, 9, 3),
        pain_answers=pain,
        note="My sleep?",
    )
    stored = CheckIn.objects.select_related("alliance_response", "pain_response").get(pk=result.checkin.pk)
    assert (stored.note, stored.care_session_id, stored.patient_id) == (
        "My sleep?",
        cast.alice_session.pk,
        cast.alice.pk,
    )
    assert dict(stored.alliance_response.answers.values_list("item_key", "value")) == alliance(8, 7, 9, 3)
    assert stored.alliance_response.total == 27
    if pain:
        assert dict(stored.pain_response.answers.values_list("item_key", "value")) == pain
        assert stored.pain_response.total == 5  # the mean of the two answered
    else:
        assert stored.pain_response is None
    # The objects handed back are the stored rows, so alerts and the thank-you page read the right ones.
    assert (result.checkin.alliance_response.pk, getattr(result.checkin.pain_response, "pk", None)) == (
        stored.alliance_response_id,
        stored.pain_response_id,
    )

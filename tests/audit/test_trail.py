"""The audit trail: changes kept by the database with who and where, reads recorded once per page."""

import pghistory
import pytest
from django.db.models import F
from django.urls import reverse

from alliance.models import Question
from alliance.services.record import question_ask
from patients.models import AuditEvent, AuditKind, User
from patients.selectors.audit import TrailFilters, audit_trail, trail_rows

pytestmark = pytest.mark.django_db


def _ask(cast, text="Is it normal to ache after the walk?"):
    return question_ask(patient=cast.alice, by=cast.alice.user, text=text, worried_silly=False, route="ask_now")


def test_a_change_through_a_service_keeps_the_values_before_and_after(cast):
    question = _ask(cast)
    with pghistory.context(user=cast.alice.user.pk, url="/somewhere/"):
        Question.objects.filter(pk=question.pk).update(text="Is it normal to ache the day after?")
    rows = trail_rows(audit_trail(filters=TrailFilters(patient=cast.alice, kind=AuditKind.CHANGE)))
    update = next(row for row in rows if row["model"] == "alliance.Question" and row["detail"] == "update")
    assert update["after"]["text"] == "Is it normal to ache the day after?"
    assert update["before"]["text"] == "Is it normal to ache after the walk?"
    assert update["actor_id"] == cast.alice.user.pk
    assert update["path"] == "/somewhere/"
    assert update["clinic_id"] == cast.riverside.pk
    insert = next(row for row in rows if row["model"] == "alliance.Question" and row["detail"] == "insert")
    assert insert["before"] is None and insert["actor_id"] is None  # no request: the system


def test_a_bulk_update_is_caught_too(cast):
    User.objects.filter(pk=cast.alice.user.pk).update(full_name=F("full_name"), is_active=False)
    rows = trail_rows(audit_trail(filters=TrailFilters(patient=cast.alice, kind=AuditKind.CHANGE)))
    [account] = [row for row in rows if row["model"] == "patients.User" and row["detail"] == "update"]
    assert account["after"]["is_active"] is False and account["before"]["is_active"] is True
    assert "password" not in account["after"]


def test_a_page_change_names_who_and_where(client_for, cast):
    question = _ask(cast)
    url = reverse("alliance:record-question-answer", kwargs={"pk": cast.alice.pk, "item": question.pk})
    response = client_for(cast.bob.user).post(url, {"body": "Yes, that is common."})
    assert response.status_code == 302
    rows = trail_rows(audit_trail(filters=TrailFilters(patient=cast.alice, kind=AuditKind.CHANGE)))
    reply = next(row for row in rows if row["model"] == "alliance.QuestionReply")
    assert reply["actor_id"] == cast.bob.user.pk and reply["path"] == url
    assert reply["after"]["body"] == "Yes, that is common."


def test_a_clinician_reading_a_record_page_is_recorded_once(client_for, cast):
    _ask(cast)
    url = reverse("alliance:record-questions", kwargs={"pk": cast.alice.pk})
    assert client_for(cast.bob.user).get(url).status_code == 200
    reads = AuditEvent.objects.filter(kind=AuditKind.READ)
    assert [(e.actor_id, e.patient_id, e.clinic_id, e.actor_role, e.page, e.path) for e in reads] == [
        (cast.bob.user.pk, cast.alice.pk, cast.riverside.pk, "clinician", "alliance:record-questions", url)
    ]


def test_the_patients_own_reads_and_refusals_are_not_recorded(client_for, cast):
    url = reverse("alliance:record-questions", kwargs={"pk": cast.alice.pk})
    assert client_for(cast.alice.user).get(url).status_code == 200
    assert client_for(cast.carol.user).get(url).status_code == 404
    assert client_for(cast.dave.user).get(url).status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditKind.READ).exists()

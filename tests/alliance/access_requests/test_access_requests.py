"""Subject access requests, rule by rule: the deadline, the database's invariants, refusing, releasing,
what the patient is told, and the list's query count. The worker's part is done in the test here;
``test_workflow.py`` runs it in a real worker."""

import json
import zoneinfo
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from alliance.models import AccessDecision, AccessRequest, AccessRequestState, WithheldItem
from alliance.services import access_requests as sar
from tests.helpers import field_errors, query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _built(cast, patient=None, received_on=None) -> AccessRequest:
    request = sar.access_request_open(
        user=cast.dave.user, patient=patient or cast.alice, received_on=received_on or timezone.localdate()
    )
    sar.access_request_build(request_id=request.pk)
    request.refresh_from_db()
    return request


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),  # no 31 February: the last day
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 10, 5), date(2026, 11, 5)),
        (date(2026, 11, 28), date(2026, 12, 28)),
    ],
)
def test_the_answer_is_due_one_calendar_month_after_the_day_of_receipt(received, due):
    assert sar.access_request_due(received_on=received) == due


def test_the_day_entered_is_the_day_everyone_is_shown_whatever_their_zone(client, cast):
    """Entered as 28 November by an admin in London: a patient in Los Angeles, where it was still
    27 November at London's midnight, is told 28 November too, and the deadline counts from that day."""
    cast.alice.user.timezone = "America/Los_Angeles"
    cast.alice.user.save(update_fields=["timezone"])
    request = _built(cast, received_on=date(2026, 11, 28))
    assert (request.received_on, request.due_on) == (date(2026, 11, 28), date(2026, 12, 28))
    client.force_login(cast.alice.user)
    text = visible_text(client.get(reverse("alliance:my-data")))
    assert "You asked on 28 November 2026." in text
    assert "27 November" not in text
    client.force_login(cast.dave.user)
    cast.dave.user.timezone = "Pacific/Auckland"
    cast.dave.user.save(update_fields=["timezone"])
    text = visible_text(client.get(reverse("alliance:access-request", args=[request.pk])))
    assert "Received 28 November 2026" in text
    assert "Answer due by 28 December 2026" in text


def test_a_request_cannot_be_dated_ahead_and_a_second_open_one_is_refused(cast):
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=tomorrow)
    assert "received_on" in error.value.message_dict
    _built(cast)
    with pytest.raises(ValidationError, match="already an open request"):
        sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    assert AccessRequest.objects.count() == 1


def test_the_database_refuses_a_refusal_without_a_reason_and_a_release_without_a_file(cast):
    request = _built(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequest.objects.filter(pk=request.pk).update(
            decision=AccessDecision.REFUSE,
            decision_reason=" ",
            decided_by=cast.dave.user,
            decided_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequest.objects.filter(pk=request.pk).update(state=AccessRequestState.RELEASED)
    with pytest.raises(IntegrityError), transaction.atomic():
        WithheldItem.objects.create(
            request=request,
            section="patients.user",
            section_title="x",
            item_id="1",
            reason="",
            withheld_by=cast.dave.user,
        )


def test_another_clinics_admin_cannot_act_on_a_request_even_through_the_services(cast):
    request = _built(cast)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        sar.access_request_decide(user=cast.erin.user, access_request=request, decision="full", reason="")
    with pytest.raises(PermissionDenied):
        sar.access_request_open(user=cast.erin.user, patient=cast.alice, received_on=timezone.localdate())


def test_release_needs_a_decision_that_matches_what_is_withheld(client, cast):
    request = _built(cast)
    client.force_login(cast.dave.user)
    url = reverse("alliance:access-request-release", args=[request.pk])
    detail = reverse("alliance:access-request", args=[request.pk])
    response = client.post(url)
    # Back to the request's page (a refresh there sends nothing again), with the reason on it.
    assert response.status_code == 302 and response["Location"] == detail
    assert "Please record your decision before releasing the copy." in visible_text(client.get(detail))
    sar.access_request_withhold(
        user=cast.dave.user,
        access_request=request,
        section="patients.user",
        item_id=str(cast.alice.user_id),
        reason="Another person's details",
    )
    sar.access_request_decide(user=cast.dave.user, access_request=request, decision="full", reason="")
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == detail
    assert "some items are marked as withheld" in visible_text(client.get(detail))
    request.refresh_from_db()
    assert request.state == AccessRequestState.REVIEW and not request.released_path


def test_an_item_that_is_not_in_the_section_is_explained_next_to_its_field(client, cast):
    request = _built(cast)
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("alliance:access-request-withhold", args=[request.pk]),
        {"section": "patients.user", "item_id": "999999", "reason": "Because"},
    )
    assert response.status_code == 400
    assert field_errors(response, "item_id") == [
        "There is no item 999999 in “Your account”. Please use a number from the list above."
    ]
    assert "Because</textarea>" in response.content.decode()


def test_a_refused_request_is_closed_and_the_patient_is_told_why_and_where_to_complain(client, cast):
    request = _built(cast)
    sar.access_request_decide(
        user=cast.dave.user, access_request=request, decision="refuse", reason="This repeats last week's request."
    )
    request.refresh_from_db()
    assert request.state == AccessRequestState.REFUSED and request.closed_at
    client.force_login(cast.alice.user)
    text = visible_text(client.get(reverse("alliance:my-data")))
    assert "Their reason: “This repeats last week's request.”" in text
    assert "Information Commissioner's Office" in text
    assert client.get(reverse("alliance:access-copy", args=[request.pk])).status_code == 404
    # Closed, a new request can be opened.
    assert _built(cast).state == AccessRequestState.REVIEW


def test_the_released_copy_has_everything_the_patients_download_has_plus_private_notes(client, cast):
    from alliance.exports.my_data import SOURCES
    from alliance.services.record import private_note_add

    note = private_note_add(patient=cast.alice, by=cast.bob.user, body="Talked about sleep.")
    request = _built(cast)
    sar.access_request_decide(user=cast.dave.user, access_request=request, decision="full", reason="")
    sar.access_request_release(user=cast.dave.user, access_request=request)
    client.force_login(cast.alice.user)
    copy = json.loads(b"".join(client.get(reverse("alliance:access-copy", args=[request.pk])).streaming_content))
    keys = [section["key"] for section in copy["sections"]]
    assert keys[: len(SOURCES)] == [source.key for source in SOURCES.values()]
    notes = next(s for s in copy["sections"] if s["key"] == "private:alliance.privatenote")
    assert [row["body"] for row in notes["rows"]] == [note.body]
    audit = next(s for s in copy["sections"] if s["key"] == "audit_trail")
    assert audit["available"] is True
    changes = [row for row in audit["rows"] if row["kind"] == "Changed" and row["what"] == "alliance.PrivateNote"]
    assert [row["after"]["body"] for row in changes] == [note.body], "the note's creation, with its words"
    assert copy["withheld"] == []
    assert "Frank" not in json.dumps(copy)


def test_the_patients_page_and_download_say_what_is_left_out_and_how_to_ask(client, cast):
    client.force_login(cast.alice.user)
    text = visible_text(client.get(reverse("alliance:my-data")))
    assert "What these files leave out, and why" in text
    assert "Your clinicians' private notes." in text
    assert "This is called a subject access request." in text and "one month to answer" in text
    data = json.loads(b"".join(client.get(reverse("alliance:my-data-json")).streaming_content))
    assert data["not_in_this_file"][0]["what"] == "Your clinicians' private notes"
    assert "tell anyone at your clinic" in data["a_complete_copy"]


def test_the_list_of_requests_takes_the_same_queries_for_1_and_50(cast):
    from tests.factories import PatientFactory

    def add(n):
        for _ in range(n):
            sar.access_request_open(
                user=cast.dave.user, patient=PatientFactory(clinic=cast.riverside), received_on=timezone.localdate()
            )

    query_counts_at_1_and_50(
        add,
        lambda: [
            (cast.dave.user, reverse("alliance:access-requests"), 8),
            (
                cast.dave.user,
                reverse("alliance:access-request", args=[AccessRequest.objects.order_by("pk").first().pk]),
                10,
            ),
        ],
    )


def test_an_open_request_past_its_due_date_is_marked_overdue_in_the_list(client, cast):
    request = _built(cast, received_on=timezone.localdate() - timezone.timedelta(days=40))
    client.force_login(cast.dave.user)
    assert "(overdue)" in visible_text(client.get(reverse("alliance:access-requests")))
    sar.access_request_decide(user=cast.dave.user, access_request=request, decision="full", reason="")
    sar.access_request_release(user=cast.dave.user, access_request=request)
    assert "(overdue)" not in visible_text(client.get(reverse("alliance:access-requests")))

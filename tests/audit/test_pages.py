"""The audit pages: the clinic admin's trail and export, the patient's "who has looked", and their costs."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.db import InternalError, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.models import Question
from patients.models import TRACKED, AuditEvent, AuditKind, User
from patients.services.audit import audit_record
from sessions.models import AgendaItem, AgendaSource
from tests.alliance.record import helpers as rh
from tests.factories import PASSWORD
from tests.helpers import Client, page_text, query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db


def _read(cast, who, patient=None, **fields):
    return AuditEvent.objects.create(
        kind=AuditKind.READ,
        actor=who.user,
        actor_role=who.user.role,
        patient=patient or cast.alice,
        clinic=(patient or cast.alice).clinic,
        page="alliance:record",
        **fields,
    )


# --- the clinic admin's page -------------------------------------------------------------------------


def test_the_admin_sees_reads_and_changes_of_their_own_clinic_only(client_for, cast):
    rh.ask(cast, text="Can I swim with this?")
    client = client_for(cast.bob.user)
    assert client.get(reverse("alliance:record-questions", args=[cast.alice.pk])).status_code == 200
    _read(cast, cast.heidi, patient=cast.grace)
    text = visible_text(client_for(cast.dave.user).get(reverse("patients:audit")))
    assert "Bob Baker (Clinician)" in text and "Looked at" in text
    assert "Changed" in text and "Question" in text and "Can I swim with this?" in text
    assert "Heidi Hall" not in text and "Grace Green" not in text
    erin = visible_text(client_for(cast.erin.user).get(reverse("patients:audit")))
    assert "Heidi Hall" in erin and "Alice Archer" not in erin and "Can I swim" not in erin


def test_the_admin_filters_by_patient_staff_member_kind_and_dates(client_for, cast):
    _read(cast, cast.bob)
    _read(cast, cast.carol, patient=cast.frank)
    audit_record(kind=AuditKind.FACTOR_RESET, actor=cast.dave.user, detail="Second factor reset for Bob Baker")
    client = client_for(cast.dave.user)
    url = reverse("patients:audit")

    def rows(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        # The entries only, not the filters' lists of names.
        return visible_text(response).split("Show", 1)[1]

    assert "Frank Foster" not in rows(patient=cast.alice.pk)
    by_carol = rows(actor=cast.carol.user.pk, kind="read")
    assert "Carol Clarke (Clinician)" in by_carol and "Bob Baker (Clinician)" not in by_carol
    resets = rows(kind="factor_reset")
    assert "Second factor reset for Bob Baker" in resets and "Looked at" not in resets
    today = timezone.localdate()
    assert "Nothing matches" in rows(date_from="2001-01-01", date_to="2001-01-31")
    assert "Carol Clarke" in rows(date_from=today.isoformat(), date_to=today.isoformat())
    refused = client.get(url, {"date_from": "2026-02-02", "date_to": "2026-02-01", "patient": "999999"})
    assert refused.status_code == 400


def test_a_superusers_reads_in_the_django_admin_are_audited_for_that_clinics_admin(client_for, cast):
    root = User.objects.create_superuser(email="root@example.org", password="x" * 20, full_name="Rosa Root")
    client = client_for(root)
    for patient in (cast.alice, cast.grace):
        assert client.get(reverse("admin:patients_patient_change", args=[patient.pk])).status_code == 200
    reads = AuditEvent.objects.filter(kind=AuditKind.READ, actor=root)
    assert sorted((r.patient_id, r.clinic_id, r.actor_role) for r in reads) == sorted(
        [(cast.alice.pk, cast.riverside.pk, "support"), (cast.grace.pk, cast.northgate.pk, "support")]
    )
    for admin, seen, unseen in ((cast.dave, "Alice Archer", "Grace Green"), (cast.erin, "Grace Green", "Alice")):
        response = client_for(admin.user).get(reverse("patients:audit"), {"actor": root.pk})
        assert response.status_code == 200
        text = visible_text(response).split("Show", 1)[1]
        assert "Rosa Root (Alliance support)" in text and seen in text and unseen not in text


def test_sign_ins_and_failed_sign_ins_are_in_the_trail(cast):
    client = Client()
    login = reverse("login")
    assert client.post(login, {"username": "bob@example.org", "password": "not it"}).status_code == 200
    assert client.post(login, {"username": "bob@example.org", "password": PASSWORD}).status_code == 302
    entries = AuditEvent.objects.filter(kind=AuditKind.SIGN_IN, actor=cast.bob.user).order_by("pk")
    assert [(e.detail, e.clinic_id) for e in entries] == [
        ("Sign-in failed for bob@example.org", cast.riverside.pk),
        ("Signed in", cast.riverside.pk),
    ]


def test_the_trail_cannot_be_rewritten(cast):
    entry = _read(cast, cast.bob)
    with pytest.raises(InternalError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).update(detail="nothing to see")
    rh.ask(cast)
    event_model = TRACKED["alliance.Question"].event_model
    with pytest.raises(InternalError), transaction.atomic():
        event_model.objects.all().delete()


def test_the_audit_page_costs_the_same_at_1_and_50_entries(cast):
    def add(n):
        for _ in range(n):
            _read(cast, cast.bob)
            rh.ask(cast)

    counts = query_counts_at_1_and_50(add, lambda: [(cast.dave.user, reverse("patients:audit"), 14)])
    assert all(count <= 14 for count in counts.values())


def test_the_audit_export_is_a_csv_with_neutralised_cells_and_is_itself_audited(client_for, cast):
    User.objects.filter(pk=cast.bob.user.pk).update(full_name="=HYPERLINK(1)")
    _read(cast, cast.bob)
    client = client_for(cast.dave.user)
    link = client.get(reverse("patients:audit"), {"patient": cast.alice.pk, "kind": "read"})
    assert "dataset=audit" in page_text(link) and f"audit_patient={cast.alice.pk}" in page_text(link)
    form = client.get(reverse("alliance:export-new"), {"dataset": "audit", "audit_patient": cast.alice.pk})
    assert "The audit trail's filters" in page_text(form)
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("alliance:export-new"),
        {
            "dataset": "audit",
            "format": "csv",
            "identified": "yes",
            "purpose": "Checking who opened Alice's record",
            "date_from": today,
            "date_to": today,
            "audit_patient": cast.alice.pk,
            "audit_kind": "read",
        },
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["when", "kind", "actor_name", "actor_email"]
    assert [(row[1], row[2], row[header.index("patient_name")]) for row in body] == [
        ("read", "'=HYPERLINK(1)", "Alice Archer")
    ]
    export = AuditEvent.objects.get(kind=AuditKind.EXPORT, actor=cast.dave.user)
    assert export.clinic_id == cast.riverside.pk and export.patient_id == cast.alice.pk
    assert "Audit trail, identified" in export.detail


# --- the patient's "who has looked" --------------------------------------------------------------------


def test_a_patient_sees_who_looked_with_their_role_and_the_day_in_their_own_time_zone(client_for, cast):
    User.objects.filter(pk=cast.alice.user.pk).update(timezone="Pacific/Auckland")
    # 20:00 on 1 March in London is already 2 March in Auckland.
    _read(cast, cast.bob, at=datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    _read(cast, cast.dave)
    audit_record(kind=AuditKind.READ, actor=cast.alice.user, patient=cast.alice)  # her own: not shown
    text = visible_text(client_for(User.objects.get(pk=cast.alice.user.pk)).get(reverse("alliance:who-looked")))
    assert "Monday 2 March 2026 Bob Baker Clinician" in text
    assert "Dave Dixon Clinic admin" in text
    assert text.count("Ask about this") == 2


def test_asking_about_an_entry_puts_a_question_on_the_next_agenda(client_for, cast):
    entry = _read(cast, cast.bob)
    client = client_for(cast.alice.user)
    url = reverse("alliance:who-looked-ask", args=[entry.pk])
    assert client.post(url, {"text": "   "}).status_code == 400
    response = client.post(url, {"text": "Why did you look on a Sunday?"})
    assert response.status_code == 302 and response["Location"] == reverse("alliance:who-looked")
    question = Question.objects.get(patient=cast.alice)
    assert question.text.startswith("About Bob Baker looking at my record on ")
    assert question.text.endswith(": Why did you look on a Sunday?")
    item = AgendaItem.objects.get(patient=cast.alice, source=AgendaSource.QUESTION)
    assert item.care_session == cast.alice_session and item.source_ref == f"question:{question.pk}"


def test_another_patient_cannot_ask_about_alices_entry(client_for, cast):
    entry = _read(cast, cast.bob)
    assert client_for(cast.frank.user).get(reverse("alliance:who-looked-ask", args=[entry.pk])).status_code == 404


def test_the_who_looked_page_costs_the_same_at_1_and_50_entries(cast):
    counts = query_counts_at_1_and_50(
        lambda n: [_read(cast, cast.bob) for _ in range(n)],
        lambda: [(cast.alice.user, reverse("alliance:who-looked"), 10)],
    )
    assert all(count <= 10 for count in counts.values())


def test_the_patients_data_download_lists_who_looked(client_for, cast):
    _read(cast, cast.bob)
    client = client_for(cast.alice.user)
    data = json.loads(b"".join(client.get(reverse("alliance:my-data-json")).streaming_content))
    section = next(s for s in data["sections"] if s["key"] == "patients.auditevent")
    reads = [row for row in section["rows"] if row["kind"] == "read"]
    assert [(row["actor_name"], row["actor_role_label"]) for row in reads] == [("Bob Baker", "Clinician")]


# --- what read auditing costs --------------------------------------------------------------------------


def test_auditing_a_read_costs_one_query(settings, cast):
    rh.ask(cast)
    url = reverse("alliance:record-questions", args=[cast.alice.pk])

    def queries() -> int:
        client = Client()
        client.force_login(cast.bob.user)
        assert client.get(url).status_code == 200  # warm: "last seen" marks, caches
        with CaptureQueriesContext(transaction.get_connection()) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    audited = queries()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "patients.middleware.ReadAuditMiddleware"]
    assert audited == queries() + 1

"""The prep sheet: what each side sees, what it costs, and the same sheet as a PDF."""

from __future__ import annotations

import io
import sys

import pytest
from django.urls import reverse
from pypdf import PdfReader

from patients.models import AuditEvent, AuditKind
from tests.alliance.prep import helpers
from tests.helpers import page_text, query_counts_at_1_and_50, visible_text


def _sheet(client_for, user, cast):
    response = client_for(user).get(reverse("alliance:prep", args=[cast.alice_session.pk]))
    assert response.status_code == 200
    return visible_text(response)


@pytest.fixture
def history(cast):
    helpers.last_session(cast)
    helpers.checkins(cast, 3)
    helpers.record_items(cast, 2)
    helpers.home_plan(cast, 2)
    return cast


@pytest.mark.django_db
def test_clinician_sheet_holds_everything_since_the_last_session(client_for, history):
    cast = history
    text = _sheet(client_for, cast.bob.user, cast)
    assert "Prep sheet: Alice Archer" in text
    assert "Since the last session, on" in text
    # The agenda, in the order it will be talked through.
    assert text.index("Agenda point 0") < text.index("Agenda point 1")
    assert f"Pacing at work: {helpers.AGREED} (Alice led)" in text
    assert "Agenda point 1 (raised by you)" in text
    assert "Next steps: Walk a little every day." in text
    # Check-ins with the change from the one before: 36 → 28 → 20 (each answer 9, 7, 5 × 4 items).
    assert "20 down 8" in text and "28 down 8" in text
    assert "Low overall score" in text
    assert "Is it normal that my knee clicks? 1" in text
    assert "Worried it might sound silly: go gently." in text
    assert "Why the pain moves 0 (version 1): doesn't fit" in text and "It feels like damage 0" in text
    assert "Walked to the park 1" in text
    assert "A flare after the shopping 0" in text
    assert "Stretch 1" in text and "7/10" in text and "done 1, partly 0, not today 0" in text
    assert "Garden for an hour 0 (working on it) : 6 on 0 to 10" in text
    assert "Ask gently about sleep 1" in text


@pytest.mark.django_db
def test_patients_version_leaves_out_private_notes_alerts_and_the_silly_cue(client_for, history):
    cast = history
    text = _sheet(client_for, cast.alice.user, cast)
    assert "Before your appointment" in text
    assert "Is it normal that my knee clicks? 1" in text
    assert "Agenda point 1 (raised by Bob Baker)" in text
    assert f"Pacing at work: {helpers.AGREED} (you led)" in text
    for hidden in ("Ask gently about sleep", "Private notes", "silly", "Things to talk through", "Low overall"):
        assert hidden not in text, hidden


@pytest.mark.django_db
def test_first_session_says_it_covers_everything_so_far(client_for, cast):
    text = _sheet(client_for, cast.bob.user, cast)
    assert "No earlier session has taken place, so this covers everything so far." in text
    assert "Nothing on the agenda yet." in text


@pytest.mark.django_db
def test_sheet_costs_the_same_with_1_and_50_of_everything(cast):
    helpers.last_session(cast)
    made = {"n": 0}

    def add(n):
        helpers.checkins(cast, n)
        helpers.record_items(cast, n, label=f"batch{made['n']}-")
        helpers.home_plan(cast, n if made["n"] else 1)
        made["n"] += 1

    url = reverse("alliance:prep", args=[cast.alice_session.pk])
    # Sign-in, second factor, audit and each section's query: 30 for the clinician, 26 for the patient
    # (no alerts or private notes, no read to audit). Each agenda read includes what was marked "same as".
    query_counts_at_1_and_50(add, lambda: [(cast.bob.user, url, 30), (cast.alice.user, url, 26)])


@pytest.mark.django_db
def test_pdf_holds_the_patients_name_and_the_agenda_and_is_audited(client_for, history):
    cast = history
    before = AuditEvent.objects.filter(kind=AuditKind.READ).count()
    response = client_for(cast.bob.user).get(reverse("alliance:prep-pdf", args=[cast.alice_session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="prep-sheet-')
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Alice Archer" in text
    assert "Agenda point 0" in text and "Agenda point 1" in text
    assert "Ask gently about sleep 1" in text
    reads = AuditEvent.objects.filter(kind=AuditKind.READ).order_by("pk")[before:]
    assert [(r.actor_id, r.patient_id, r.page) for r in reads] == [
        (cast.bob.user.pk, cast.alice.pk, "alliance:prep-pdf")
    ]


@pytest.mark.django_db
def test_patients_pdf_leaves_out_private_notes(client_for, history):
    cast = history
    response = client_for(cast.alice.user).get(reverse("alliance:prep-pdf", args=[cast.alice_session.pk]))
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Agenda point 1" in text
    assert "Ask gently about sleep" not in text and "silly" not in text


@pytest.mark.django_db
def test_without_the_pdf_library_the_download_says_so_kindly(client_for, cast, monkeypatch):
    # As on a machine without WeasyPrint (or without Pango, which fails its import the same way).
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    response = client_for(cast.bob.user).get(reverse("alliance:prep-pdf", args=[cast.alice_session.pk]))
    assert response.status_code == 503
    text = page_text(response)
    assert "The PDF isn't available right now" in text
    assert reverse("alliance:prep", args=[cast.alice_session.pk]) in text
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_sheet_is_reached_from_the_caseload_the_session_and_its_agenda(client_for, cast):
    url = reverse("alliance:prep", args=[cast.alice_session.pk])
    bob = client_for(cast.bob.user)
    for page in (
        reverse("alliance:home"),
        reverse("care_sessions:detail", args=[cast.alice_session.pk]),
        reverse("care_sessions:agenda", args=[cast.alice_session.pk]),
    ):
        assert f'href="{url}"' in bob.get(page).content.decode(), page
    alice = client_for(cast.alice.user)
    detail = alice.get(reverse("care_sessions:detail", args=[cast.alice_session.pk]))
    assert f'href="{url}"' in detail.content.decode()
    assert "Before your appointment: one page" in page_text(detail)
    timeline = reverse("alliance:timeline", args=[cast.alice.pk])
    assert (
        f'href="{timeline}"'
        in client_for(cast.bob.user).get(reverse("alliance:patient", args=[cast.alice.pk])).content.decode()
    )

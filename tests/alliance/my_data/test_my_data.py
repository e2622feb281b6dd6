"""A patient's download of everything Alliance holds about them (UK GDPR access and portability).

The first test walks every installed model: one that can reach a patient or a user through its
foreign keys must be included in the download or exempted with a reason. A new model linked to a
patient fails here until someone decides, in one line of alliance/exports/my_data.py, what happens to it.
"""

import io
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from alliance.exports import my_data as patient_data
from alliance.models import Export, ExportDataset
from patients.models import Invitation, LoginSession, Patient, User
from sessions.models import AgendaItem, AgendaSource
from tests.alliance.reports.data import build_quarter

pytestmark = pytest.mark.django_db


def test_every_model_that_leads_to_a_patient_is_in_the_download_or_exempt_with_a_reason():
    assert patient_data.unregistered_models() == [], (
        "These models lead to a patient or a user. Add each to alliance/exports/my_data.py with include(...) "
        "or exempt(..., reason=...)"
    )


def test_the_walk_finds_a_new_model_linked_to_a_patient(monkeypatch):
    """What happens when someone adds a model: it is caught, however far from the patient it is."""

    class Diary(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

        class Meta:
            app_label = "alliance"

        def __str__(self):
            return "a diary"

    class DiaryPage(models.Model):
        diary = models.ForeignKey(Diary, on_delete=models.CASCADE)

        class Meta:
            app_label = "alliance"

        def __str__(self):
            return "a page"

    try:
        assert patient_data.paths_to_people(DiaryPage) == ["diary__patient"]
        assert patient_data.unregistered_models() == ["alliance.Diary", "alliance.DiaryPage"]
        patient_data.include(DiaryPage, title="Diary pages", about="Pages", patient="diary__patient")
        patient_data.exempt(Diary, reason="for this test")
        assert patient_data.unregistered_models() == []
    finally:
        patient_data.SOURCES.pop(DiaryPage, None)
        patient_data.EXEMPT.pop(Diary, None)
        del apps.all_models["alliance"]["diary"]
        del apps.all_models["alliance"]["diarypage"]
        apps.clear_cache()


def test_each_included_path_really_leads_to_the_patient_or_their_account():
    for model, source in patient_data.SOURCES.items():
        assert source.lookups(), model
        for path in source.lookups():
            if path == "pk":
                assert model in (Patient, User)
                continue
            assert path in patient_data.paths_to_people(model), f"{model.__name__}.{path}"
    for model, exemption in patient_data.EXEMPT.items():
        assert len(exemption.reason) > 20, model


def test_an_exemption_needs_a_reason_and_an_inclusion_a_path():
    with pytest.raises(ValueError):
        patient_data.exempt(User, reason=" ")
    with pytest.raises(ValueError):
        patient_data.include(User, title="x", about="y")


@pytest.fixture
def alice_record(cast):
    """alice with something in every section, and frank's and grace's records beside hers."""
    quarter = build_quarter(cast)
    Invitation.objects.create(
        user=cast.alice.user,
        clinic=cast.riverside,
        token_hash="secret-hash-never-given-out",
        created_by=cast.dave.user,
        expires_at=timezone.now() + timedelta(days=7),
    )
    LoginSession.objects.create(user=cast.alice.user, session_key="secret-session-key")
    AgendaItem.objects.create(patient=cast.alice, text="Sleep", source=AgendaSource.PATIENT, raised_by=cast.alice.user)
    Export.objects.create(
        clinic=cast.riverside,
        requested_by=cast.alice.user,
        dataset=ExportDataset.PATIENT_RECORD,
        format="json",
        identified=True,
        delivery="streamed",
        status="streamed",
    )
    return quarter


def _download(client, user, name):
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response, json.loads(b"".join(response.streaming_content))


def test_the_json_download_holds_every_section_and_only_alices_rows(client, alice_record):
    cast = alice_record.cast
    client.force_login(cast.alice.user)  # signing in records a login session, which is hers too
    expected = {
        source.key: model._default_manager.filter(source.q(cast.alice)).count()
        for model, source in patient_data.SOURCES.items()
    }
    response = client.get(reverse("alliance:my-data-json"))
    data = json.loads(b"".join(response.streaming_content))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="alliance-my-record-')
    assert data["format"] == "alliance-patient-data" and data["clinic"] == "Riverside Pain Service"
    sections = {section["key"]: section for section in data["sections"]}
    assert list(sections) == [source.key for source in patient_data.SOURCES.values()]
    for model, source in patient_data.SOURCES.items():
        assert len(sections[source.key]["rows"]) == expected[source.key], model.__name__
        assert sections[source.key]["title"] == source.title
    text = json.dumps(data)
    for secret in ("secret-hash-never-given-out", "secret-session-key", "password"):
        assert secret not in text
    for other in ("Frank Foster", "frank@example.org", "Grace Green", "Priya", "Sam Stone"):
        assert other not in text
    sessions = sections["care_sessions.caresession"]["rows"]
    first = next(row for row in sessions if row["id"] == alice_record.sessions["alice-jan"].pk)
    assert first["clinician_name"] == "Bob Baker"
    assert first["status"] == "done" and first["status_label"] == "Happened"
    assert first["starts_at"] == "2025-01-10T10:00:00Z"
    checkins = sections["alliance.checkin"]["rows"]
    assert "Can we talk about sleep?" in [row["note"] for row in checkins]
    answers = sections["alliance.answer"]["rows"]
    assert {row["item_key"] for row in answers} >= {"relationship", "intensity"}
    assert [q["key"] for q in data["questionnaires"]] == ["alliance-checkin", "alliance-clinician", "pain-check"]
    assert data["questionnaires"][0]["items"][0]["text"] == "Do you feel listened to, as an equal partner?"
    you = sections["patients.user"]["rows"]
    assert you == [you[0]] and you[0]["email"] == "alice@example.org" and "password" not in you[0]


def test_the_fhir_download_is_a_valid_bundle_of_alices_record(client, alice_record):
    cast = alice_record.cast
    response, bundle = _download(client, cast.alice.user, "alliance:my-data-fhir")
    assert response["Content-Type"] == "application/fhir+json"
    Bundle.model_validate(bundle)
    kinds = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        kinds.setdefault(resource["resourceType"], []).append(resource)
    assert sorted(kinds) == [
        "Appointment",
        "CareTeam",
        "Flag",
        "Goal",
        "Observation",
        "Organization",
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
    ]
    assert [g["description"]["text"] for g in kinds["Goal"]] == ["Walk to the shops without stopping"]
    assert [p["name"][0]["text"] for p in kinds["Patient"]] == ["Alice Archer"]
    assert [p["name"][0]["text"] for p in kinds["Practitioner"]] == ["Bob Baker"]
    # Her appointments: the cast's upcoming one, three in the quarter and one in April.
    assert sorted(a["status"] for a in kinds["Appointment"]) == ["booked"] + ["fulfilled"] * 4
    # December's check-in, three in the quarter (each with a pain check but December's), and bob's rating.
    assert len(kinds["QuestionnaireResponse"]) == 4 + 3 + 1
    assert sorted(f["code"]["text"] for f in kinds["Flag"]) == [
        "A drop since the last check-in",
        "You and the patient see it differently",
    ]
    assert "Frank" not in json.dumps(bundle)


def _a_request_answered_with_one_item_withheld(patient: Patient) -> None:
    """A subject access request for the patient, built (the worker's part, done here), one item withheld, released."""
    from alliance.services import access_requests as sar
    from patients.models import ClinicAdmin

    admin = ClinicAdmin.objects.filter(clinic=patient.clinic).select_related("user").first().user
    request = sar.access_request_open(user=admin, patient=patient, received_on=timezone.localdate())
    sar.access_request_build(request_id=request.pk)
    request.refresh_from_db()
    sar.access_request_withhold(
        user=admin,
        access_request=request,
        section="patients.user",
        item_id=str(patient.user_id),
        reason="Withheld for this test",
    )
    sar.access_request_decide(user=admin, access_request=request, decision="partial", reason="One item withheld")
    sar.access_request_release(user=admin, access_request=request)


@pytest.fixture
def demo_patient(db):
    """patient1 from seed_demo, whose record has something in every part of the app, plus what the demo
    leaves out: an invitation, an alert, an edited question, a visit, a download, and private notes."""
    from django.core.management import call_command

    from alliance.models import Alert, PrivateNote, Question
    from alliance.services.record import private_note_add, record_item_edit, record_visit_mark

    call_command("seed_demo", stdout=io.StringIO())
    patient = Patient.objects.select_related("user", "clinic").get(user__email="patient1@demo.test")
    clinician = patient.clinicians.first().user
    Invitation.objects.create(
        user=patient.user,
        clinic=patient.clinic,
        token_hash="secret-hash-never-given-out",
        created_by=clinician,
        expires_at=timezone.now() + timedelta(days=7),
    )
    Alert.objects.create(patient=patient, kind="low_total", detail="A low total")
    question = Question.objects.filter(patient=patient, withdrawn_at__isnull=True, created_by=patient.user).first()
    record_item_edit(item=question, by=patient.user, changes={"text": question.text + " (reworded)"})
    note = private_note_add(patient=patient, by=clinician, body="Private: first wording")
    record_item_edit(item=note, by=clinician, changes={"body": "Private: second wording"})
    record_visit_mark(user=patient.user, patient=patient, section="goals")
    _a_request_answered_with_one_item_withheld(patient)
    Export.objects.create(
        clinic=patient.clinic,
        requested_by=patient.user,
        dataset=ExportDataset.PATIENT_RECORD,
        format="json",
        identified=True,
        delivery="streamed",
        status="streamed",
    )
    assert PrivateNote.objects.filter(patient=patient).exists()
    return patient


def test_the_demo_patient_has_something_in_every_section_and_gets_all_of_it(client, demo_patient):
    client.force_login(demo_patient.user)
    expected = {source.key: source.queryset(demo_patient).count() for source in patient_data.SOURCES.values()}
    empty = [key for key, count in expected.items() if count == 0]
    assert not empty, f"give the demo patient some of these, so the download is tested for them: {empty}"
    data = json.loads(b"".join(client.get(reverse("alliance:my-data-json")).streaming_content))
    assert {section["key"]: len(section["rows"]) for section in data["sections"]} == expected
    text = json.dumps(data)
    assert "Private:" not in text, "private notes, and their earlier wording, stay out of the self-service download"
    left_out = [part["what"] for part in data["not_in_this_file"]]
    assert left_out == ["Your clinicians' private notes", "Earlier versions of what was changed in your record"]
    assert "subject access request" in data["a_complete_copy"]
    assert "(reworded)" in text
    others = Patient.objects.exclude(pk=demo_patient.pk).select_related("user")
    for other in others:
        assert other.user.email not in text and other.user.full_name not in text


def test_every_download_is_recorded_for_the_clinic(client, alice_record):
    cast = alice_record.cast
    before = Export.objects.filter(dataset=ExportDataset.PATIENT_RECORD).count()
    _download(client, cast.alice.user, "alliance:my-data-json")
    _download(client, cast.alice.user, "alliance:my-data-fhir")
    recorded = Export.objects.filter(dataset=ExportDataset.PATIENT_RECORD).order_by("pk")[before:]
    assert [(e.requested_by, e.format, e.clinic) for e in recorded] == [
        (cast.alice.user, "json", cast.riverside),
        (cast.alice.user, "fhir", cast.riverside),
    ]
    assert all(e.rows_written > 0 for e in recorded)


def test_the_account_page_leads_a_patient_to_their_data(client, cast):
    client.force_login(cast.alice.user)
    assert reverse("alliance:my-data") in client.get(reverse("patients:account")).content.decode()
    page = client.get(reverse("alliance:my-data")).content.decode()
    assert reverse("alliance:my-data-json") in page and reverse("alliance:my-data-fhir") in page
    client.force_login(cast.bob.user)
    assert reverse("alliance:my-data") not in client.get(reverse("patients:account")).content.decode()


def test_a_new_patient_with_nothing_yet_still_gets_a_valid_download(client, cast):
    _, data = _download(client, cast.frank.user, "alliance:my-data-json")
    assert data["sections"]
    _, bundle = _download(client, cast.frank.user, "alliance:my-data-fhir")
    Bundle.model_validate(bundle)

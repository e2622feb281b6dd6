"""seed_demo's past exports: what the clinic admin's Exports page shows on a fresh demo."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from alliance.models import Export, ExportStatus
from patients.models import User
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


def test_seed_demo_records_a_few_past_exports_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    first = list(Export.objects.order_by("pk").values_list("pk", "status"))
    call_command("seed_demo", stdout=io.StringIO())
    assert list(Export.objects.order_by("pk").values_list("pk", "status")) == first
    assert sorted(status for _, status in first) == sorted(
        [ExportStatus.EXPIRED, ExportStatus.STREAMED, ExportStatus.STREAMED, ExportStatus.READY]
    )
    admin = User.objects.get(email="admin@demo.test")
    client.force_login(admin)
    text = visible_text(client.get(reverse("alliance:exports")))
    assert "A patient's own record (JSON)" in text and "File deleted" in text and "Ready to download" in text
    ready = Export.objects.get(status=ExportStatus.READY)
    response = client.get(reverse("alliance:export-download", args=[ready.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"session_id,patient_pseudonym,")

"""Walk every URL of the permission matrix as every role and check the audit trail of each request.

- A staff member's page that showed a patient's data wrote exactly one read entry for that patient,
  with who, their role, the page and the address; nothing more.
- A patient's own pages, anonymous visitors and refusals wrote no read entry.
- Every row a request inserted, changed or deleted in a tracked model has its change event, naming
  the person and the address that changed it.
"""

from __future__ import annotations

import copy

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse

from patients.models import TRACKED, AuditEvent, AuditKind
from patients.selectors.audit import _tracked_fields
from tests.test_permissions import ROLES, ROWS

STAFF = ("bob", "carol", "dave", "erin")
AUDITED_URLS = 44  # 41, plus the step-back reviews list, a review and the new-review page (issue 14)
PATIENTS = ("alice", "frank")
# Rows whose URL names something that is not a patient's data (a questionnaire, an export record, a
# token); every other row with arguments names one of alice's things.
NOT_ABOUT_A_PATIENT = {
    "password_reset_confirm",
    "patients:invitation-accept",
    "care_sessions:unsubscribe",
    "alliance:instrument",
    "alliance:export",
    "alliance:export-progress",
    "alliance:export-download",
    # The confirmation before resetting a second step: its row is about Bob, a clinician.
    "patients:factors-reset",
    # An invitation shows only what the admin typed, and notes no read: the email may belong to nobody
    # here yet, and the audit trail must not tell the two kinds apart.
    "patients:invitation",
}


def _about_alice(row) -> bool:
    return row.kwargs is not ROWS[0].kwargs and row.name not in NOT_ABOUT_A_PATIENT


def _columns(tracked) -> str:
    names = set(_tracked_fields(tracked))
    fields = [f for f in tracked.model._meta.local_fields if f.attname in names]
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _snapshot() -> dict[str, dict[int, str]]:
    """A fingerprint of every tracked row's kept values, in one query: {label: {id: md5}}."""
    # Table and column names come from the models, quoted; the labels are parameters.
    quote = connection.ops.quote_name
    parts = [
        f"SELECT %s, id, md5(row({_columns(tracked)})::text) FROM {quote(tracked.model._meta.db_table)}"  # noqa: S608
        for tracked in TRACKED.values()
    ]
    rows: dict[str, dict[int, str]] = {label: {} for label in TRACKED}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), list(TRACKED))
        for label, pk, digest in cursor.fetchall():
            rows[label][pk] = digest
    return rows


def _last_events() -> dict[str, int]:
    parts = [
        f"SELECT %s, coalesce(max(pgh_id), 0) FROM {connection.ops.quote_name(t.event_model._meta.db_table)}"  # noqa: S608
        for t in TRACKED.values()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), list(TRACKED))
        return dict(cursor.fetchall())


def _changed(before: dict, after: dict) -> dict[str, set[int]]:
    changed = {}
    for label in TRACKED:
        old, new = before[label], after[label]
        ids = (old.keys() ^ new.keys()) | {pk for pk in old.keys() & new.keys() if old[pk] != new[pk]}
        if ids:
            changed[label] = ids
    return changed


def _check(signed_in, row, role, url, data) -> list[str]:
    problems = []
    user = signed_in.cast.user(role)
    last_read = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    # A refusal changes nothing (the permission matrix holds that); what is let through is compared.
    let_in = role != "anonymous" and row.expect[role] not in (403, 404)
    rows_before, events_before = (_snapshot(), _last_events()) if let_in else ({}, {})
    response = getattr(signed_in.client(role), row.method)(url, data)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    reads = list(AuditEvent.objects.filter(pk__gt=last_read, kind=AuditKind.READ))
    shown = 200 <= response.status_code < 300 and row.method == "get"
    if role in STAFF and shown and _about_alice(row):
        expected = [(user.pk, signed_in.cast.alice.pk, row.name, url.split("?")[0])]
        got = [(r.actor_id, r.patient_id, r.page, r.path) for r in reads]
        if got != expected or reads[0].actor_role != user.role or reads[0].clinic_id != signed_in.cast.riverside.pk:
            problems.append(f"GET {url} as {role}: expected one read entry for alice, got {got}")
    elif reads:
        problems.append(f"{row.method.upper()} {url} as {role} ({response.status_code}): unexpected reads {reads}")
    for label, ids in (_changed(rows_before, _snapshot()) if let_in else {}).items():
        events = TRACKED[label].event_model.objects.filter(pgh_id__gt=events_before[label], pgh_obj_id__in=ids)
        kept = {event.pgh_obj_id for event in events}
        if kept != ids:
            problems.append(f"{row.method.upper()} {url} as {role}: {label} {sorted(ids - kept)} changed, no event")
        for event in events:
            if (event.pgh_context or {}).get("user") != user.pk or event.pgh_context.get("url") != url.split("?")[0]:
                problems.append(f"{row.method.upper()} {url} as {role}: {label} event names {event.pgh_context}")
    return problems


@pytest.mark.django_db
def test_every_page_as_every_role_leaves_the_audit_trail_it_should(signed_in):
    problems, audited = [], set()
    for row in ROWS:
        with transaction.atomic():
            cast = copy.deepcopy(signed_in.cast)
            url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
            data = row.data(cast)
            for role in ROLES:
                with transaction.atomic():
                    problems.extend(_check(signed_in, row, role, url, data))
                    if role in STAFF and row.method == "get" and row.expect[role] == 200 and _about_alice(row):
                        audited.add(row.name)
                    transaction.set_rollback(True)
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)
    # The pages about one patient that staff may open, each audited on every visit.
    assert len(audited) == AUDITED_URLS, sorted(audited)

"""The clinic admin's audit page: who looked at, changed, exported or signed in to what, and when."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from patients.decorators import clinic_admin_required
from patients.forms import form_status
from patients.forms.audit import AuditFilterForm
from patients.models import TRACKED, ActorRole, AuditKind
from patients.selectors.audit import audit_people, audit_trail_for_admin, trail_rows

PAGE_SIZE = 50
# Fields that say nothing a reader needs (ids of the row itself, bookkeeping).
UNSHOWN = {"id"}


def changed_values(row: dict) -> list[tuple[str, object, object]]:
    """(field, before, after) for each value a change event changed; every value for a new row."""
    after, before = row.get("after") or {}, row.get("before")
    if row["detail"] == "delete":
        return [(name, value, None) for name, value in after.items() if name not in UNSHOWN]
    return [
        (name, None if before is None else before.get(name), value)
        for name, value in after.items()
        if name not in UNSHOWN and (before is None or before.get(name) != value)
    ]


def describe(rows: list[dict]) -> list[dict]:
    """Trail rows with the people named and each change's values laid out, for the page."""
    actors, patients = audit_people(rows)
    kinds, roles = dict(AuditKind.choices), dict(ActorRole.choices)
    for row in rows:
        actor = actors.get(row["actor_id"])
        row["actor"] = actor
        row["patient"] = patients.get(row["patient_id"])
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        if row["kind"] == AuditKind.CHANGE:
            tracked = TRACKED.get(row["model"])
            row["what"] = f"{tracked.title if tracked else row['model']} #{row['object_id']} ({row['detail']})"
            row["changes"] = changed_values(row)
            role = actor.role if actor is not None else None
            row["role_label"] = roles.get(role or (ActorRole.SUPPORT if actor and actor.is_superuser else ""), "")
            if actor is None:
                row["role_label"] = roles[ActorRole.SYSTEM]
        else:
            row["what"] = row["detail"] or row["page"]
            row["changes"] = []
            row["role_label"] = roles.get(row["actor_role"], row["actor_role"])
    return rows


@clinic_admin_required
@require_GET
def audit(request):
    clinic = request.user.clinic_admin.clinic
    form = AuditFilterForm(request.GET or None, clinic=clinic)
    refused = form.is_bound and not form.is_valid()
    page, rows = None, []
    if not refused:  # filters that cannot be applied show no list, not the whole trail under an error
        page = Paginator(audit_trail_for_admin(user=request.user, filters=form.trail_filters()), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = describe(trail_rows(page.object_list))
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    export = {"dataset": "audit", "format": "csv"}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        export.update(
            {
                "audit_patient": data["patient"].pk if data.get("patient") else "",
                "audit_actor": data["actor"].pk if data.get("actor") else "",
                "audit_kind": data.get("kind") or "",
                "date_from": data["date_from"].isoformat() if data.get("date_from") else "",
                "date_to": data["date_to"].isoformat() if data.get("date_to") else "",
            }
        )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": urlencode(query),
        "export_query": urlencode({key: value for key, value in export.items() if value}),
        "clinic": clinic,
        "refused": refused,
    }
    return render(request, "patients/audit.html", context, status=form_status(form))

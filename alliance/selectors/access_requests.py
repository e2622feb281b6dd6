"""Reads of subject access requests: scoped to the clinic admin handling them, or the patient they are for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from alliance.models import AccessRequest, AccessRequestEvent, AccessRequestState, WithheldItem
from patients.models import Role, User
from patients.selectors import scoped_get


def is_clinic_admin_of(*, user: User, clinic_id: int) -> bool:
    """True for an active clinic admin of that clinic: the only people who handle its requests."""
    return user.is_active and user.role == Role.CLINIC_ADMIN and user.clinic_admin.clinic_id == clinic_id


def access_requests_for_admin(*, user: User) -> QuerySet[AccessRequest]:
    """The admin's clinic's requests, most recently received first; none for anyone else."""
    if user.role != Role.CLINIC_ADMIN:
        return AccessRequest.objects.none()
    return (
        AccessRequest.objects.filter(clinic_id=user.clinic_admin.clinic_id)
        .select_related("patient__user", "opened_by")
        .order_by("-received_on", "-pk")
    )


def access_request_get(*, user: User, pk) -> AccessRequest:
    """One request of the admin's own clinic, else ``Http404``."""
    queryset = access_requests_for_admin(user=user).select_related("clinic", "decided_by", "released_by")
    return scoped_get(queryset, pk, message="No such request.")


def access_requests_for_patient(*, user: User) -> QuerySet[AccessRequest]:
    """The patient's own requests, newest first (to show on their data page)."""
    if user.role != Role.PATIENT:
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(patient__user=user).order_by("-received_on", "-pk")


def access_copy_get(*, user: User, pk) -> AccessRequest:
    """A released request's copy, for the patient it is for or an admin of their clinic; else ``Http404``."""
    released = AccessRequest.objects.filter(state=AccessRequestState.RELEASED).select_related("patient__user")
    if user.role == Role.PATIENT:
        queryset = released.filter(patient__user=user)
    elif user.role == Role.CLINIC_ADMIN:
        queryset = released.filter(clinic_id=user.clinic_admin.clinic_id)
    else:
        queryset = released.none()
    return scoped_get(queryset, pk, message="No such copy.")


def access_request_events(*, access_request: AccessRequest) -> QuerySet[AccessRequestEvent]:
    return access_request.events.select_related("by").order_by("at", "pk")


def access_request_withheld(*, access_request: AccessRequest) -> QuerySet[WithheldItem]:
    return access_request.withheld.select_related("withheld_by").order_by("section", "item_id")


@dataclass
class ReviewSection:
    """One section of a complete copy as the reviewer sees it: ``items`` are ``(id, label)`` pairs."""

    key: str
    title: str
    about: str
    available: bool
    items: list[tuple[str, str]] = field(default_factory=list)


LABEL_FIELDS = ("title", "text", "body", "summary", "what_happened", "question", "note", "full_name", "kind_label")
LABEL_LENGTH = 80


def item_label(row: dict) -> str:
    """A few words naming a row for the reviewer: its first wording field, else its kind and date."""
    for name in LABEL_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"
    for name in ("created_at", "submitted_at", "starts_at", "at", "sent_at"):
        if row.get(name):
            return _("from %(date)s") % {"date": row[name]}
    return _("(no wording)")


def access_request_file(*, relative: str) -> Path:
    return Path(settings.EXPORT_ROOT) / relative


def access_request_complete(*, access_request: AccessRequest) -> dict:
    """The complete copy, parsed. Raises ``FileNotFoundError`` before it is built."""
    if not access_request.complete_path:
        raise FileNotFoundError("not built yet")
    with access_request_file(relative=access_request.complete_path).open("rb") as handle:
        return json.load(handle)


def access_request_contents(*, access_request: AccessRequest) -> list[ReviewSection]:
    """Every section of the complete copy with its items' ids and labels; empty until it is built."""
    try:
        complete = access_request_complete(access_request=access_request)
    except FileNotFoundError:
        return []
    return [
        ReviewSection(
            key=section["key"],
            title=section["title"],
            about=section["about"],
            available=section.get("available", True),
            items=[(str(row.get("id")), item_label(row)) for row in section["rows"]],
        )
        for section in complete["sections"]
    ]

"""Reads of the export records, scoped to the clinic admin asking."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from alliance.models import Export
from patients.models import Role, User


def exports_for_admin(*, user: User) -> QuerySet[Export]:
    """Every export of the admin's clinic, newest first, including patients' downloads of their own record."""
    if user.role != Role.CLINIC_ADMIN:
        return Export.objects.none()
    return (
        Export.objects.filter(clinic_id=user.clinic_admin.clinic_id)
        .select_related("requested_by")
        .order_by("-created_at", "-pk")
    )


def export_get(*, user: User, pk) -> Export:
    try:
        return exports_for_admin(user=user).select_related("clinic").get(pk=pk)
    except (Export.DoesNotExist, ValueError, TypeError):
        raise Http404("No such export.") from None

"""What the record tells the reminders in ``sessions``, registered from ``AllianceConfig.ready()``.

``sessions`` cannot import this app; it asks through ``sessions.registry`` instead. Questions,
"doesn't fit" answers and wins (issue 4) register their digest sections the same way.
"""

from __future__ import annotations

from datetime import datetime

from patients.models import Clinician
from sessions.registry import DigestSection, checked_in_provider_register, digest_section_register


def care_sessions_with_checkin(care_session_ids: list[int]) -> set[int]:
    from alliance.models import CheckIn

    return set(CheckIn.objects.filter(care_session_id__in=care_session_ids).values_list("care_session_id", flat=True))


def digest_open_alerts(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    from alliance.models import Alert

    open_alerts = list(
        Alert.objects.filter(
            patient__care_team__clinician=clinician, patient__clinic_id=clinician.clinic_id, resolved_at__isnull=True
        )
        .select_related("patient__user")
        .order_by("patient__user__full_name", "raised_at")
    )
    if not open_alerts:
        return None
    by_patient: dict[str, list] = {}
    for alert in open_alerts:
        by_patient.setdefault(alert.patient.user.full_name, []).append(alert)
    lines = []
    for name, alerts in by_patient.items():
        fresh = sum(1 for a in alerts if a.raised_at >= since)
        lines.append(
            f"{name}: {len(alerts)} open ({alerts[0].get_kind_display().lower()}"
            + (f"; {fresh} new" if fresh else "")
            + ")"
        )
    new = sum(1 for a in open_alerts if a.raised_at >= since)
    return DigestSection(title="Conversations to open (alliance alerts)", lines=lines, new=new)


def register() -> None:
    checked_in_provider_register("alliance.checkins", care_sessions_with_checkin)
    digest_section_register("alliance.alerts", digest_open_alerts, order=40)

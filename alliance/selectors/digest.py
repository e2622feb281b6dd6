"""What the record tells the reminders in ``sessions``, registered from ``AllianceConfig.ready()``.

``sessions`` cannot import this app; it asks through ``sessions.registry`` instead: whether a patient
has checked in, and the digest's sections (open questions, explanations that don't fit, wins waiting
for a reply, alliance alerts). Digest lines carry names and counts only, never what anyone wrote:
email is not the place for the contents of a record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patients.models import Clinician
from sessions.registry import DigestSection, checked_in_provider_register, digest_section_register


def care_sessions_with_checkin(care_session_ids: list[int]) -> set[int]:
    from alliance.models import CheckIn

    return set(CheckIn.objects.filter(care_session_id__in=care_session_ids).values_list("care_session_id", flat=True))


def digest_open_alerts(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    from alliance.models import Alert

    open_alerts = list(
        Alert.objects.filter(**_caseload(clinician), resolved_at__isnull=True)
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
        values = {"name": name, "count": len(alerts), "kind": alerts[0].get_kind_display().lower(), "new": fresh}
        if fresh:
            lines.append(_("%(name)s: %(count)s open (%(kind)s; %(new)s new)") % values)
        else:
            lines.append(_("%(name)s: %(count)s open (%(kind)s)") % values)
    new = sum(1 for a in open_alerts if a.raised_at >= since)
    return DigestSection(title=_("Conversations to open (alliance alerts)"), lines=lines, new=new)


def digest_overdue_alerts(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    """Alerts nobody has acknowledged within the clinic's ``alert_overdue_days``, first in the digest.

    One line per patient ("Name: 1 overdue alert"); ``new`` counts those that became overdue since
    the last digest, so an alert turning overdue is reason enough to send one.
    """
    from alliance.models import Alert
    from alliance.selectors.alerts import alerts_overdue, alerts_overdue_cutoff

    zone = clinician.user.tzinfo
    cutoff = alerts_overdue_cutoff(clinic=clinician.clinic, zone=zone, now=now)
    rows = list(
        alerts_overdue(Alert.objects.filter(**_caseload(clinician)), cutoff=cutoff)
        .values_list("patient__user__full_name", "raised_at")
        .order_by()
    )
    if not rows:
        return None
    became_overdue_after = alerts_overdue_cutoff(clinic=clinician.clinic, zone=zone, now=since)
    by_patient: dict[str, int] = {}
    for name, _raised_at in rows:
        by_patient[name] = by_patient.get(name, 0) + 1
    lines = [
        ngettext("%(name)s: %(count)s overdue alert", "%(name)s: %(count)s overdue alerts", count)
        % {"name": name, "count": count}
        for name, count in sorted(by_patient.items())
    ]
    days = clinician.clinic.alert_overdue_days
    return DigestSection(
        title=ngettext(
            "Overdue: alerts not acknowledged within %(days)s day",
            "Overdue: alerts not acknowledged within %(days)s days",
            days,
        )
        % {"days": days},
        lines=lines,
        new=sum(1 for _name, raised_at in rows if raised_at >= became_overdue_after),
    )


def _per_patient(
    rows: list[tuple[str, datetime]], since: datetime, what: Callable[[int], str] | tuple[str, str]
) -> tuple[list[str], int]:
    """("Name", when) rows → one line per patient: "Name: 2 open questions (1 new)", and the count of new.

    ``what(n)`` words the count: an ``ngettext`` of "%(count)s open question(s)", so each language
    counts in its own way. A (singular, plural) pair of English nouns is still taken, untranslated."""
    by_patient: dict[str, list[datetime]] = {}
    for name, when in rows:
        by_patient.setdefault(name, []).append(when)
    lines = []
    for name, whens in sorted(by_patient.items()):
        fresh = sum(1 for when in whens if when >= since)
        if isinstance(what, tuple):
            words = f"{len(whens)} {what[0] if len(whens) == 1 else what[1]}"
        else:
            words = what(len(whens)) % {"count": len(whens)}
        values = {"name": name, "what": words, "new": fresh}
        if fresh:
            lines.append(_("%(name)s: %(what)s (%(new)s new)") % values)
        else:
            lines.append(_("%(name)s: %(what)s") % values)
    return lines, sum(1 for _name, when in rows if when >= since)


def _caseload(clinician: Clinician, path: str = "patient") -> dict:
    """The clinician's caseload now: their clinic's patients whose care team they are on, with open accounts."""
    return {
        f"{path}__care_team__clinician": clinician,
        f"{path}__clinic_id": clinician.clinic_id,
        f"{path}__user__is_active": True,
    }


def digest_questions(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    from alliance.models.record import OPEN_QUESTION_STATUSES, Question

    rows = list(
        Question.objects.filter(**_caseload(clinician), withdrawn_at__isnull=True, status__in=OPEN_QUESTION_STATUSES)
        .values_list("patient__user__full_name", "last_activity_at")
        .order_by()
    )
    if not rows:
        return None
    lines, new = _per_patient(rows, since, lambda n: ngettext("%(count)s open question", "%(count)s open questions", n))
    return DigestSection(title=_("Questions waiting for you"), lines=lines, new=new)


def digest_doesnt_fit(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    from alliance.models.record import Fit, FitResponse

    rows = list(
        FitResponse.objects.filter(
            **_caseload(clinician, "version__explanation__patient"),
            version__explanation__withdrawn_at__isnull=True,
            fit__in=[Fit.PARTLY, Fit.DOESNT_FIT],
            talked_through_at__isnull=True,
        )
        # One per explanation, however many of its versions still have an open answer.
        .order_by("version__explanation_id", "-responded_at")
        .distinct("version__explanation_id")
        .values_list("version__explanation__patient__user__full_name", "responded_at")
    )
    if not rows:
        return None
    lines, new = _per_patient(
        rows,
        since,
        lambda n: ngettext(
            "%(count)s explanation that doesn't fully fit", "%(count)s explanations that don't fully fit", n
        ),
    )
    return DigestSection(title=_("Explanations to talk through"), lines=lines, new=new)


def digest_wins(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    from alliance.models.record import Win

    rows = list(
        Win.objects.filter(**_caseload(clinician), withdrawn_at__isnull=True, acknowledged_at__isnull=True)
        .values_list("patient__user__full_name", "created_at")
        .order_by()
    )
    if not rows:
        return None
    lines, new = _per_patient(
        rows,
        since,
        lambda n: ngettext("%(count)s win waiting for your reply", "%(count)s wins waiting for your reply", n),
    )
    return DigestSection(title=_("Wins to acknowledge"), lines=lines, new=new)


def digest_reviews_due(*, clinician: Clinician, since: datetime, now: datetime) -> DigestSection | None:
    """Patients for whom a step-back review is due: asked for, or the clinic's number of sessions since the last."""
    from alliance.models import StepBackReview
    from alliance.selectors.reviews import review_status_annotate
    from patients.models import Patient

    rows = list(
        review_status_annotate(
            Patient.objects.filter(care_team__clinician=clinician, clinic_id=clinician.clinic_id, user__is_active=True)
        )
        .filter(review_due=True)
        .order_by("user__full_name", "pk")
        .values_list("user__full_name", "review_asked", "sessions_since_review")
    )
    if not rows:
        return None
    lines = [
        _("%(name)s: asked for") % {"name": name}
        if asked
        else _("%(name)s: %(count)s sessions since the last one") % {"name": name, "count": count}
        for name, asked, count in rows
    ]
    # A review asked for since the last digest is news; one due by the count of sessions rides
    # along with the next digest sent, rather than sending one every day by itself.
    new = StepBackReview.objects.filter(**_caseload(clinician), written_at__isnull=True, asked_at__gte=since).count()
    return DigestSection(title=_("Step-back reviews to write"), lines=lines, new=new)


def register() -> None:
    checked_in_provider_register("alliance.checkins", care_sessions_with_checkin)
    digest_section_register("alliance.overdue_alerts", digest_overdue_alerts, order=5)
    digest_section_register("alliance.questions", digest_questions, order=10)
    digest_section_register("alliance.doesnt_fit", digest_doesnt_fit, order=20)
    digest_section_register("alliance.wins", digest_wins, order=30)
    digest_section_register("alliance.alerts", digest_open_alerts, order=40)
    digest_section_register("alliance.reviews", digest_reviews_due, order=50)

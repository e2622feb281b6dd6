"""A clinician's caseload, a page at a time: the patients who need them first, then everyone else.

A caseload can hold hundreds of patients, so the home page never lists them all, and no query here
grows with the caseload: what needs attention is worked out as sets of patient ids (one scan of the
clinician's open items each, which PostgreSQL hashes once per query), the count comes from one
aggregate over those sets, and each row's details are read only for the page shown.

Each subquery costs about half a millisecond to build in Python and as much again for PostgreSQL
to plan, whatever the caseload's size, so the page reads no more of them than its rows show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, reduce
from operator import and_, or_

from django.contrib.postgres.aggregates import StringAgg
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, OuterRef, Q, Subquery
from django.utils import timezone

from alliance.models import Alert
from alliance.selectors.alerts import alerts_overdue, alerts_overdue_cutoff, caseload_annotate_alliance
from alliance.selectors.record import record_attention_sets
from alliance.selectors.reviews import review_status_annotate
from patients.models import CareTeamMembership, Patient, User
from sessions.models import CareSession, SessionStatus
from sessions.selectors import caseload_with_next_session

PER_PAGE = 25
QUERY_MAX_LENGTH = 100
QUERY_MAX_WORDS = 5

# Why a patient comes first, in the order the page names the reasons. An overdue alert (one nobody
# has acknowledged within the clinic's ``alert_overdue_days``) puts the patient at the very top.
REASONS = ("overdue", "alerts", "questions", "fits", "wins", "today")


@dataclass(frozen=True)
class AttentionCounts:
    """How many patients are on the caseload, and how many of them have something waiting."""

    total: int
    attention: int


@dataclass(frozen=True)
class CaseloadPage:
    page: Page
    counts: AttentionCounts
    query: str
    query_clipped: bool

    @property
    def patients(self) -> list[Patient]:
        return self.page.object_list


class _CountedPaginator(Paginator):
    """A paginator given its count, which the caseload's aggregate has read already."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def caseload_query_clean(raw: str | None) -> tuple[str, bool]:
    """A name search made safe to run: NUL characters dropped (PostgreSQL refuses them), spaces
    squeezed, at most ``QUERY_MAX_LENGTH`` characters. Also says whether it had to be shortened."""
    text = " ".join((raw or "").replace("\x00", "").split())
    return text[:QUERY_MAX_LENGTH].strip(), len(text) > QUERY_MAX_LENGTH


def _name_matches(query: str) -> Q:
    """Every word is somewhere in the name, in any order: "mitchell sarah" finds Sarah Mitchell."""
    return reduce(and_, (Q(user__full_name__icontains=word) for word in query.split()[:QUERY_MAX_WORDS]), Q())


def _today(user: User) -> tuple[datetime, datetime]:
    start = timezone.localtime(timezone.now(), user.tzinfo).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _appointments_today(user: User, **patient):
    start, end = _today(user)
    return CareSession.objects.filter(starts_at__gte=start, starts_at__lt=end, **patient).exclude(
        status=SessionStatus.CANCELLED
    )


def _attention_flags(*, user: User) -> dict[str, Q]:
    """For each reason, the condition "this patient has it", over the clinician's own patients."""
    mine = CareTeamMembership.objects.filter(clinician=user.clinician).values("patient_id")
    cutoff = alerts_overdue_cutoff(clinic=user.clinician.clinic, zone=user.tzinfo)
    sets = {
        "overdue": alerts_overdue(Alert.objects.filter(patient__in=mine), cutoff=cutoff).values("patient_id"),
        "alerts": Alert.objects.filter(patient__in=mine, resolved_at__isnull=True).values("patient_id"),
        **record_attention_sets(patients=mine),
        "today": _appointments_today(user, patient__in=mine).values("patient_id"),
    }
    return {reason: Q(pk__in=sets[reason]) for reason in REASONS}


def caseload_identity(*, user: User) -> tuple:
    """Who is on the clinician's caseload now, in brief: (how many open accounts, newest membership).

    Any patient joining or leaving the care team, or an account closing, changes it (one small query).
    """
    row = CareTeamMembership.objects.filter(clinician=user.clinician).aggregate(
        active=Count("pk", filter=Q(patient__user__is_active=True)), newest=Max("added_at"), rows=Count("pk")
    )
    return row["rows"], row["active"], row["newest"].timestamp() if row["newest"] else 0


def caseload_page(*, user: User, query: str = "", page=1) -> CaseloadPage:
    """One page of a clinician's caseload: the patients who need attention first, then the rest, by name.

    ``query`` keeps the names that contain every word of it. ``page`` may be anything a URL holds:
    past the end gives the last page, anything that is not a number the first. Each patient on the
    page carries ``is_<reason>`` for each of ``REASONS``, ``needs_attention``, ``open_alerts``, the
    next appointment, the latest alliance check-in, ``care_team_names`` and ``review_due`` (a step-back
    review is due: see ``alliance.selectors.reviews``); a patient with an overdue alert comes before
    everyone else. Two queries, whatever
    the caseload's size: the counts, and the page's patients with everything their rows show.
    """
    query, clipped = caseload_query_clean(query)
    flags = _attention_flags(user=user)
    matches = _name_matches(query) if query else Q()
    caseload = caseload_with_next_session(user=user).prefetch_related(None).select_related(None).select_related("user")
    totals = caseload.aggregate(
        total=Count("pk"),
        matching=Count("pk", filter=matches),
        attention=Count("pk", filter=reduce(or_, flags.values())),
    )
    team = (
        CareTeamMembership.objects.filter(patient=OuterRef("pk"))
        .values("patient")
        .annotate(names=StringAgg("clinician__user__full_name", ", ", order_by="clinician__user__full_name"))
        .values("names")
    )
    # The details are in the select list: with ORDER BY ... LIMIT, PostgreSQL works them out after
    # sorting, for the page's rows only. The sort key refers to the flags' columns (ORDER BY n).
    listed = (
        review_status_annotate(caseload_annotate_alliance(caseload))
        .annotate(
            care_team_names=Subquery(team),
            **{f"is_{reason}": ExpressionWrapper(flag, output_field=BooleanField()) for reason, flag in flags.items()},
        )
        .annotate(
            needs_attention=ExpressionWrapper(
                reduce(or_, (Q(**{f"is_{reason}": True}) for reason in REASONS)), output_field=BooleanField()
            )
        )
        .filter(matches)
        .order_by("-is_overdue", "-needs_attention", "user__full_name", "pk")
    )
    paginator = _CountedPaginator(listed, PER_PAGE, count=totals["matching"])
    current = paginator.get_page(page)
    current.object_list = list(current.object_list)
    counts = AttentionCounts(total=totals["total"], attention=totals["attention"])
    return CaseloadPage(page=current, counts=counts, query=query, query_clipped=clipped)

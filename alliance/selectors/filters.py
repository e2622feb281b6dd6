"""The filters shared by reports and exports: a date range, a clinician, a questionnaire.

Dates are whole days in the clinic's time zone, both ends included: "1 to 31 January" means from
midnight at the start of 1 January to midnight at the end of 31 January, clinic time.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alliance.models import Instrument
from patients.models import AuditKind, Clinic, Clinician, Patient, User


@dataclass(frozen=True)
class DataFilters:
    clinic: Clinic
    date_from: date
    date_to: date
    clinician: Clinician | None = None
    instrument: Instrument | None = None
    # The audit trail's own filters (the audit page hands them to its export).
    patient: Patient | None = None
    actor: User | None = None
    audit_kind: str = ""

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.clinic.timezone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """The first moment after the range (exclusive)."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self.tz)

    def describe(self, *, applies: frozenset[str] = frozenset({"date", "clinician", "instrument"})) -> str:
        """The filters in words, naming only those that ``applies`` (a dataset's ``filters_apply``):
        an audit trail export is not "all questionnaires"."""
        parts = [
            _("%(start)s to %(end)s")
            % {
                "start": date_format(self.date_from, "SHORT_DAY_FORMAT"),
                "end": date_format(self.date_to, "SHORT_DAY_FORMAT"),
            }
        ]
        if "clinician" in applies:
            parts.append(self.clinician.user.full_name if self.clinician else _("all clinicians"))
        if "instrument" in applies:
            parts.append(self.instrument.name if self.instrument else _("all questionnaires"))
        if self.patient is not None:
            parts.append(_("patient %(name)s") % {"name": self.patient.user.full_name})
        if self.actor is not None:
            parts.append(_("by %(name)s") % {"name": self.actor.full_name})
        if self.audit_kind:
            parts.append(str(AuditKind(self.audit_kind).label).lower())
        return " · ".join(parts)

    def as_json(self) -> dict:
        saved = {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "clinician_id": self.clinician.pk if self.clinician else None,
            "instrument_id": self.instrument.pk if self.instrument else None,
        }
        # The audit trail's filters, only when given.
        audit = {
            "patient_id": self.patient.pk if self.patient else None,
            "actor_id": self.actor.pk if self.actor else None,
            "audit_kind": self.audit_kind or None,
        }
        return {**saved, **{key: value for key, value in audit.items() if value is not None}}

    def as_query(self) -> dict:
        """The same filters as GET parameters, for links between report pages."""
        query = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        if self.clinician:
            query["clinician"] = str(self.clinician.pk)
        if self.instrument:
            query["instrument"] = str(self.instrument.pk)
        return query


def default_range(*, clinic: Clinic, today: date | None = None) -> tuple[date, date]:
    """The last twelve calendar months, this one included, up to today."""
    today = today or timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(clinic.timezone)).date()
    month, year = today.month - 11, today.year
    if month < 1:
        month, year = month + 12, year - 1
    return date(year, month, 1), today

"""Appointments and what hangs on them, one module per part."""

from sessions.models.agenda import (
    AgendaEntry,
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    EntryOutcome,
    LedBy,
    SessionRecord,
)
from sessions.models.appointments import CareSession, SessionMode, SessionStatus
from sessions.models.plans import HomePlan, PlanItem, PracticeLog, PracticeOutcome, WorthRating
from sessions.models.reminders import (
    AppointmentChange,
    NudgeFrequency,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
)

__all__ = [
    "AgendaEntry",
    "AgendaItem",
    "AgendaSource",
    "AgendaStatus",
    "AppointmentChange",
    "CareSession",
    "EntryOutcome",
    "HomePlan",
    "LedBy",
    "NudgeFrequency",
    "PlanItem",
    "PracticeLog",
    "PracticeOutcome",
    "Reminder",
    "ReminderKind",
    "ReminderPreference",
    "ReminderStatus",
    "SessionMode",
    "SessionRecord",
    "SessionStatus",
    "WorthRating",
]

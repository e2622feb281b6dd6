"""Demo data for trying Alliance: two clinics, named accounts, care teams and weeks of history.

Every step is idempotent: it finds what an earlier run made and only adds what is missing, so
``seed_demo`` can run on every start. Later parts of the app add their own steps to ``STEPS``.
"""

from __future__ import annotations

import random
import zoneinfo
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from patients.models import CareTeamMembership, Clinic, ClinicAdmin, Clinician, Patient, Profession, User
from patients.services import totp_device_enrol, urgent_help_languages
from patients.urgent_help import urgent_help_demo_text
from sessions.models import CareSession, SessionMode, SessionStatus

FIRST_CLINIC = "Riverside Pain Service"
SECOND_CLINIC = "Northgate Physiotherapy"

# (email, full name, profession)
FIRST_CLINICIANS = [
    ("clinician1@demo.test", "Hannah Price", Profession.PHYSIOTHERAPIST),
    ("clinician2@demo.test", "Omar Haddad", Profession.PSYCHOLOGIST),
]
NAMED_PATIENTS = [
    "Sarah Mitchell",
    "James O'Connor",
    "Aisha Rahman",
    "Tom Fletcher",
    "Grace Chen",
    "Peter Novak",
]
FIRST_NAMES = [
    "Amelia",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Farid",
    "Georgia",
    "Harry",
    "Isla",
    "Jacob",
    "Kiran",
    "Laura",
    "Mohammed",
    "Niamh",
    "Oliver",
    "Priya",
    "Quentin",
    "Rosie",
    "Samuel",
    "Tara",
    "Usman",
    "Violet",
    "William",
    "Xin",
    "Yusuf",
    "Zara",
]
LAST_NAMES = [
    "Adams",
    "Bennett",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Gallagher",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Owusu",
    "Parry",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Underwood",
    "Vaughan",
    "Walsh",
    "Young",
]


# A clinician's diary holds about this many patients seen fortnightly; a bigger demo gets more clinicians
# (clinician3@demo.test, …) so that every patient has a history and a next appointment.
PATIENTS_PER_CLINICIAN = 50


@dataclass
class DemoContext:
    password_hash: str
    patients: int
    weeks: int
    now: datetime
    stdout: Callable[[str], None] = print
    # One base32 secret for every demo staff account's authenticator app (--totp-secret), or None.
    totp_secret: str | None = None
    # email → the base32 secret of that staff account's authenticator app, to print.
    totp_secrets: dict[str, str] = field(default_factory=dict)
    clinics: dict[str, Clinic] = field(default_factory=dict)
    first_clinic_patients: list[Patient] = field(default_factory=list)
    all_patients: list[Patient] = field(default_factory=list)

    def rng(self, *key) -> random.Random:
        """The same random choices for the same person on every run."""
        return random.Random("|".join(str(part) for part in key))

    def at(self, days: float, *, staff: bool, key: object = "", tz=None) -> datetime:
        """A moment ``days`` before now at a time of day someone would really have done it (in ``tz``,
        the clinic's zone by default): staff within clinic hours (09:00–17:00), patients at any waking
        hour (07:30–22:30). The same ``key`` gives the same time on every run; never later than now."""
        tz = tz or zoneinfo.ZoneInfo(self.clinics["first"].timezone if self.clinics else "Europe/London")
        day = (self.now - timedelta(days=days)).astimezone(tz).date()
        rng = self.rng("at", days, staff, key)
        start, end = (9 * 60, 17 * 60) if staff else (7 * 60 + 30, 22 * 60 + 30)
        minutes = rng.randrange(start, end)
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
        return min(moment, self.now - timedelta(minutes=5))


def _person(ctx: DemoContext, email: str, full_name: str) -> User:
    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    # The password is set on every run so that --password can change it.
    user.full_name, user.password, user.is_active, user.deactivated_at = full_name, ctx.password_hash, True, None
    user.save(update_fields=["full_name", "password", "is_active", "deactivated_at"])
    return user


def _patient_name(index: int) -> str:
    if index < len(NAMED_PATIENTS):
        return NAMED_PATIENTS[index]
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last}" if index < len(FIRST_NAMES) * len(LAST_NAMES) else f"{first} {last} {index}"


def seed_people(ctx: DemoContext) -> None:
    first, _ = Clinic.objects.get_or_create(name=FIRST_CLINIC, defaults={"timezone": "Europe/London"})
    second, _ = Clinic.objects.get_or_create(name=SECOND_CLINIC, defaults={"timezone": "Europe/London"})
    ctx.clinics = {"first": first, "second": second}
    # A starting urgent-help text for each (Ofcom's drama numbers, which ring nobody), left unreviewed
    # so the admin's home page asks them to check it. A text an admin has saved is never replaced.
    for clinic, phone in ((first, "01632 960 123"), (second, "01632 960 456")):
        if not clinic.urgent_help and clinic.urgent_help_reviewed_at is None:
            with translation.override(settings.LANGUAGE_CODE):
                clinic.urgent_help = urgent_help_demo_text(clinic_name=clinic.name, phone=phone)
            for code in urgent_help_languages():
                with translation.override(code):
                    clinic.urgent_help_translations[code] = urgent_help_demo_text(clinic_name=clinic.name, phone=phone)
            clinic.save(update_fields=["urgent_help", "urgent_help_translations"])

    ClinicAdmin.objects.get_or_create(user=_person(ctx, "admin@demo.test", "Dawn Okafor"), defaults={"clinic": first})
    clinicians = []
    for email, name, profession in FIRST_CLINICIANS:
        clinician, _ = Clinician.objects.get_or_create(
            user=_person(ctx, email, name), defaults={"clinic": first, "profession": profession}
        )
        clinicians.append(clinician)
    c1, c2 = clinicians
    for number in range(len(clinicians) + 1, -(-ctx.patients // PATIENTS_PER_CLINICIAN) + 1):
        name = _patient_name(len(FIRST_NAMES) * len(LAST_NAMES) - number)  # names no demo patient has
        clinician, _ = Clinician.objects.get_or_create(
            user=_person(ctx, f"clinician{number}@demo.test", name),
            defaults={"clinic": first, "profession": Profession.PHYSIOTHERAPIST},
        )
        clinicians.append(clinician)

    patients = []
    for index in range(ctx.patients):
        user = _person(ctx, f"patient{index + 1}@demo.test", _patient_name(index))
        patient, _ = Patient.objects.get_or_create(user=user, defaults={"clinic": first})
        patients.append(patient)
        # patient1 sees only clinician1 and patient2 only clinician2; the rest share in turn, every
        # third patient with two clinicians. Past the first clinicians' share, the others take theirs.
        pool = [c1, c2] if index < 2 * PATIENTS_PER_CLINICIAN else clinicians[2:]
        own = pool[index % len(pool)]
        team = {0: [c1], 1: [c2]}.get(index, [own, pool[(index + 1) % len(pool)]] if index % 3 == 2 else [own])
        for clinician in team:
            CareTeamMembership.objects.get_or_create(patient=patient, clinician=clinician)
    ctx.first_clinic_patients = patients

    ClinicAdmin.objects.get_or_create(
        user=_person(ctx, "admin@second.demo.test", "Ruth Adeyemi"), defaults={"clinic": second}
    )
    second_clinician, _ = Clinician.objects.get_or_create(
        user=_person(ctx, "clinician@second.demo.test", "Liam Byrne"),
        defaults={"clinic": second, "profession": Profession.PHYSIOTHERAPIST},
    )
    second_patient, created = Patient.objects.get_or_create(
        user=_person(ctx, "patient@second.demo.test", "Nadia Kowalski"), defaults={"clinic": second}
    )
    if created:  # she reads Alliance in Spanish (her account page changes it)
        second_patient.user.language = "es"
        second_patient.user.save(update_fields=["language"])
    CareTeamMembership.objects.get_or_create(patient=second_patient, clinician=second_clinician)
    ctx.all_patients = [*patients, second_patient]


def _at(ctx: DemoContext, day: datetime, hour: int, minute: int, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=tz)


class _Diary:
    """Each clinician's booked times, so the demo never books anyone twice at once (the booking form refuses it)."""

    def __init__(self):
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {}
        for clinician_id, starts, minutes in CareSession.objects.exclude(status=SessionStatus.CANCELLED).values_list(
            "clinician_id", "starts_at", "duration_minutes"
        ):
            self.busy.setdefault(clinician_id, []).append((starts, starts + timedelta(minutes=minutes)))

    def book(self, clinician_id: int, starts: datetime, minutes: int) -> bool:
        """Take the time if the clinician is free then; False if it overlaps something already booked."""
        ends = starts + timedelta(minutes=minutes)
        taken = self.busy.setdefault(clinician_id, [])
        if any(start < ends and starts < end for start, end in taken):
            return False
        taken.append((starts, ends))
        return True

    def place(self, ctx, day: datetime, tz, clinician, minutes: int, preferred: tuple[int, int]) -> datetime | None:
        """The preferred time that day if the clinician is free then, else their first free half hour,
        else the same on the following weekdays (up to a week on); None if all are full."""
        for later in range(8):
            candidate = day + timedelta(days=later)
            if candidate.weekday() >= 5:
                continue
            for hour, minute in [preferred, *SLOTS]:
                starts = _at(ctx, candidate, hour, minute, tz)
                if self.book(clinician.pk, starts, minutes):
                    return starts
        return None


SLOTS = [(hour, minute) for hour in range(9, 17) for minute in (0, 30)]


def seed_sessions(ctx: DemoContext) -> None:
    """Fortnightly sessions over the past weeks, and the next one or two booked; nobody double-booked."""
    diary = _Diary()
    new_sessions = []
    for patient in ctx.all_patients:
        tz = zoneinfo.ZoneInfo(patient.clinic.timezone)
        team = list(patient.clinicians.all())
        rng = ctx.rng("sessions", patient.user.email)
        local_now = ctx.now.astimezone(tz)

        if not CareSession.objects.filter(patient=patient).exists():
            day = local_now - timedelta(weeks=ctx.weeks)
            while day < local_now - timedelta(days=2):
                preferred = (rng.choice([9, 10, 11, 13, 14, 15, 16]), rng.choice([0, 30]))
                roll = rng.random()
                status = (
                    SessionStatus.DONE
                    if roll < 0.85
                    else SessionStatus.MISSED
                    if roll < 0.93
                    else SessionStatus.CANCELLED
                )
                reason = "Clinic closed for staff training" if status == SessionStatus.CANCELLED else ""
                clinician = rng.choice(team)
                minutes = rng.choice([45, 45, 60, 30])
                mode = rng.choice([SessionMode.IN_PERSON, SessionMode.IN_PERSON, SessionMode.VIDEO])
                starts = diary.place(ctx, day, tz, clinician, minutes, preferred)
                if starts is not None and starts < local_now - timedelta(days=1):  # still in the past
                    new_sessions.append(
                        CareSession(
                            patient=patient,
                            clinician=clinician,
                            starts_at=starts,
                            duration_minutes=minutes,
                            mode=mode,
                            status=status,
                            cancelled_reason=reason,
                        )
                    )
                day += timedelta(days=rng.choice([12, 14, 14, 14, 16]))
        if not CareSession.objects.filter(
            patient=patient, status=SessionStatus.SCHEDULED, starts_at__gt=ctx.now
        ).exists():
            # The first demo patient's next appointment is tomorrow, so the check-in prompt shows.
            first_gap = 1 if patient.user.email == "patient1@demo.test" else rng.randint(1, 6)
            for gap in (first_gap, first_gap + 14):
                clinician = team[0] if patient.user.email == "patient1@demo.test" else rng.choice(team)
                starts = diary.place(ctx, local_now + timedelta(days=gap), tz, clinician, 45, (14, 0))
                if starts is not None:
                    new_sessions.append(
                        CareSession(
                            patient=patient,
                            clinician=clinician,
                            starts_at=starts,
                            duration_minutes=45,
                            mode=SessionMode.IN_PERSON,
                        )
                    )
    CareSession.objects.bulk_create(new_sessions, batch_size=2000)


def seed_checkins(ctx: DemoContext) -> None:
    from alliance.demo.checkins import seed_checkins as step

    step(ctx)


def seed_record(ctx: DemoContext) -> None:
    from alliance.demo.record import seed_record as step

    step(ctx)


def seed_partners(ctx: DemoContext) -> None:
    from alliance.demo.sessions import seed_partners as step

    step(ctx)


def seed_news(ctx: DemoContext) -> None:
    from alliance.demo.news import seed_news as step

    step(ctx)


def seed_exports(ctx: DemoContext) -> None:
    from alliance.demo.exports import seed_exports as step

    step(ctx)


def seed_second_factors(ctx: DemoContext) -> None:
    """Every demo clinician and clinic admin gets an authenticator app (a TOTP device), so they can sign in."""
    staff = User.objects.filter(
        Q(clinician__clinic__in=ctx.clinics.values()) | Q(clinic_admin__clinic__in=ctx.clinics.values())
    ).order_by("email")
    for user in staff:
        device = totp_device_enrol(user=user, secret=ctx.totp_secret)
        ctx.totp_secrets[user.email] = b32encode(device.bin_key).decode()


STEPS: list[Callable[[DemoContext], None]] = [
    seed_people,
    seed_second_factors,
    seed_sessions,
    seed_checkins,
    seed_record,
    seed_partners,
    seed_news,
    seed_exports,
]


def seed_demo(
    *, password: str, patients: int = 6, weeks: int = 8, totp_secret: str | None = None, stdout=print
) -> DemoContext:
    """Create or top up the demo clinics. ``totp_secret`` (base32) gives every demo clinician and admin that
    one authenticator-app secret; without it each keeps theirs, or gets a random one. ``ctx.totp_secrets``
    holds each staff account's secret."""
    ctx = DemoContext(
        password_hash=make_password(password),
        patients=patients,
        weeks=weeks,
        now=timezone.now(),
        stdout=stdout,
        totp_secret=totp_secret,
    )
    with transaction.atomic():
        for step in STEPS:
            step(ctx)
    return ctx

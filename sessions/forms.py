from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients.forms import RowChoiceField
from patients.models import Clinician, Patient, Role
from sessions.models import LedBy, NudgeFrequency, PracticeOutcome, SessionMode, SessionStatus

DURATION_CHOICES = [(15, "15 minutes"), (30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (90, "1½ hours")]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.DateTimeField):
    """A date and time in the person's own zone, with a plain word for one the clock change skips or repeats."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code == "ambiguous_timezone":
                raise ValidationError(
                    "The clocks change at that time, so it doesn't exist or happens twice. "
                    "Please choose another time, for example an hour later.",
                    code="clock_change",
                ) from None
            raise


class SessionTimeForm(forms.Form):
    starts_at = LocalDateTimeField(
        label="Date and time",
        widget=DateTimeLocalInput(),
        help_text="In your own time zone.",
        error_messages={"invalid": "Please enter a date and time, for example 2026-12-01 14:00."},
    )
    duration_minutes = forms.TypedChoiceField(label="Length", choices=DURATION_CHOICES, coerce=int, initial=45)
    mode = forms.ChoiceField(
        label="How", choices=SessionMode.choices, widget=forms.RadioSelect, initial=SessionMode.IN_PERSON
    )


class ScheduleForm(SessionTimeForm):
    patient = RowChoiceField(label="Patient", queryset=Patient.objects.none())
    clinician = RowChoiceField(label="Clinician", queryset=Clinician.objects.none())

    field_order = ["patient", "clinician", "starts_at", "duration_minutes", "mode"]

    def __init__(self, *args, patients, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["patient"].label_from_instance = lambda p: p.user.full_name
        self.fields["clinician"].queryset = clinicians
        self.fields["clinician"].label_from_instance = lambda c: f"{c.user.full_name} ({c.get_profession_display()})"


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional, the patient will see this)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        label="Did this session happen?",
        choices=[(SessionStatus.DONE, "Yes, it happened"), (SessionStatus.MISSED, "No, it didn't happen")],
        widget=forms.RadioSelect,
    )


# --- Agenda and session record ----------------------------------------------------------------


def _limit(n: int) -> str:
    return f"Please keep this under {n:,} characters."


class AgendaItemForm(forms.Form):
    text = forms.CharField(
        label="Something to talk about",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything at all, big or small. Both of you will see it, with your name beside it.",
        error_messages={"required": "Please say what you'd like to talk about.", "max_length": _limit(1000)},
    )


class RecordItemForm(forms.Form):
    """One agenda item on the one-screen session record. Its prefix is ``item-<pk>``.

    Ticked means talked about. Who led it starts as whoever raised the item and can be changed.
    """

    talked = forms.BooleanField(label="We talked about this", required=False)
    led_by = forms.ChoiceField(label="Who led it", choices=LedBy.choices, required=False)
    agreed = forms.CharField(
        label="What you agreed (the patient will see this)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _limit(2000)},
    )

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["talked"].label = item.text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("talked") and not cleaned.get("led_by"):
            self.add_error("led_by", "Please say who led this part: the patient, you, or both together.")
        if not cleaned.get("talked") and (cleaned.get("agreed") or "").strip():
            self.add_error(
                "agreed", "You wrote what was agreed: please tick this item as talked about, or clear the words."
            )
        return cleaned


class SessionRecordForm(forms.Form):
    summary = forms.CharField(
        label="Summary, in plain language",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The patient reads this. Write it as you would say it to them.",
        error_messages={
            "required": "Please write a short summary. A few plain sentences are enough.",
            "max_length": _limit(4000),
        },
    )
    next_steps = forms.CharField(
        label="Next steps",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _limit(4000)},
    )


class TakeawayForm(forms.Form):
    text = forms.CharField(
        label="What I took from this session",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In your own words. Your clinician will see this.",
        error_messages={
            "required": "Please write a few words, or come back to this another time.",
            "max_length": _limit(2000),
        },
    )


# --- Home plan --------------------------------------------------------------------------------


class PlanItemForm(forms.Form):
    title = forms.CharField(
        label="Name",
        max_length=200,
        help_text="Short, such as “Morning walk” or “Pacing the hoovering”.",
        error_messages={"required": "Please give this a short name.", "max_length": _limit(200)},
    )
    description = forms.CharField(
        label="What to do",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Please describe what to do, in plain words.", "max_length": _limit(2000)},
    )
    how_often = forms.CharField(
        label="How often",
        max_length=200,
        help_text="For example “most days, 10 minutes” or “twice a week”.",
        error_messages={"required": "Please say how often.", "max_length": _limit(200)},
    )
    link = forms.CharField(
        label="Link (optional)",
        max_length=500,
        required=False,
        help_text="A video or leaflet, starting with https://",
        error_messages={"max_length": _limit(500)},
    )
    notes = forms.CharField(
        label="Notes (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _limit(1000)},
    )


WORTH_CHOICES = [(str(n), str(n)) for n in range(11)]


class WorthRatingForm(forms.Form):
    score = forms.ChoiceField(
        label="How worth trying does this feel?",
        choices=WORTH_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose a number from 0 to 10.",
            "invalid_choice": "Please choose a number from 0 to 10.",
        },
    )


class PracticeLogForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did today go?",
        choices=PracticeOutcome.choices,
        error_messages={
            "required": "Please choose done, partly or not today.",
            "invalid_choice": "Please choose done, partly or not today.",
        },
    )
    note = forms.CharField(
        label="How did it feel? (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _limit(1000)},
    )


# --- Reminder preferences ---------------------------------------------------------------------

HOURS_BEFORE = [
    (2, "2 hours before"),
    (4, "4 hours before"),
    (12, "12 hours before"),
    (24, "The day before (24 hours)"),
    (48, "Two days before"),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def _time_field(label: str, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=TimeInput(),
        help_text=help_text,
        error_messages={"required": "Please choose a time.", "invalid": "Please enter a time such as 18:00."},
    )


class ReminderPreferenceForm(forms.Form):
    checkin_enabled = forms.BooleanField(label="Remind me to check in before an appointment", required=False)
    checkin_hours_before = forms.TypedChoiceField(label="When", choices=HOURS_BEFORE, coerce=int)
    nudge_frequency = forms.ChoiceField(
        label="Nudges about my home plan", choices=NudgeFrequency.choices, widget=forms.RadioSelect
    )
    nudge_time = _time_field("At about", "In your own time zone. A time inside your quiet hours waits until they end.")
    appointment_enabled = forms.BooleanField(
        label="Tell me by email when an appointment is cancelled, moved or passed to another clinician",
        required=False,
    )
    news_enabled = forms.BooleanField(
        label="Email me when something new from my care team is waiting",
        required=False,
        help_text=(
            "Off unless you turn it on. The email only says that something is waiting, never what it is, and "
            "comes once until you next visit, however many new things there are. Never during your quiet hours."
        ),
    )
    digest_enabled = forms.BooleanField(label="Send me a daily digest of what's new on my caseload", required=False)
    digest_time = _time_field("At about", "Only sent on days when something is new.")
    quiet_start = _time_field("Quiet hours start", "We never email you during quiet hours.")
    quiet_end = _time_field("Quiet hours end")

    PATIENT_FIELDS = (
        "checkin_enabled",
        "checkin_hours_before",
        "appointment_enabled",
        "news_enabled",
        "nudge_frequency",
        "nudge_time",
    )
    CLINICIAN_FIELDS = ("digest_enabled", "digest_time")

    def __init__(self, *args, role, **kwargs):
        super().__init__(*args, **kwargs)
        drop = self.CLINICIAN_FIELDS if role == Role.PATIENT else self.PATIENT_FIELDS
        if role not in (Role.PATIENT, Role.CLINICIAN):
            drop = self.PATIENT_FIELDS + self.CLINICIAN_FIELDS
        for name in drop:
            del self.fields[name]


# --- Handing appointments over when a clinician leaves a care team or an account closes ---------


class HandoverForm(forms.Form):
    """One choice per appointment ahead: pass it to another clinician on the patient's care team, or
    cancel it. ``options`` maps each appointment to the clinicians who could take it."""

    reason = forms.CharField(
        label="What to tell the patient if an appointment is cancelled (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="If you leave this empty, they are told their clinician can no longer see them at that time.",
        error_messages={"max_length": "Please keep this under 500 characters."},
    )

    def __init__(self, *args, options: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointments = {}
        for care_session, clinicians in options.items():
            name = f"appointment-{care_session.pk}"
            choices = [(str(c.pk), f"Pass it to {c.user.full_name}") for c in clinicians]
            choices.append(("cancel", f"Cancel it ({care_session.patient.user.get_short_name()} will be told)"))
            when = timezone.localtime(care_session.starts_at)
            self.fields[name] = forms.ChoiceField(
                label=f"{care_session.patient.user.full_name}, {when:%A %-d %B %Y, %H:%M}",
                choices=[("", "Choose…"), *choices] if len(choices) > 1 else choices,
                initial=None if len(choices) > 1 else "cancel",
                error_messages={"required": "Please choose what happens to this appointment."},
            )
            self.appointments[name] = (care_session, {str(c.pk): c for c in clinicians})

    def decisions(self) -> list[tuple]:
        """(appointment, the clinician it passes to, or None to cancel it), for each appointment."""
        return [
            (care_session, clinicians.get(self.cleaned_data[name]))
            for name, (care_session, clinicians) in self.appointments.items()
        ]

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patients.forms import RowChoiceField
from patients.models import Clinician, Patient, Role
from sessions.models import LedBy, NudgeFrequency, PracticeOutcome, SessionMode, SessionStatus

DURATION_CHOICES = [
    (15, _("15 minutes")),
    (30, _("30 minutes")),
    (45, _("45 minutes")),
    (60, _("1 hour")),
    (90, _("1½ hours")),
]


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
                    _(
                        "The clocks change at that time, so it doesn't exist or happens twice. "
                        "Please choose another time, for example an hour later."
                    ),
                    code="clock_change",
                ) from None
            raise


class SessionTimeForm(forms.Form):
    starts_at = LocalDateTimeField(
        label=_("Date and time"),
        widget=DateTimeLocalInput(),
        help_text=_("In your own time zone."),
        error_messages={"invalid": _("Please enter a date and time, for example 2026-12-01 14:00.")},
    )
    duration_minutes = forms.TypedChoiceField(label=_("Length"), choices=DURATION_CHOICES, coerce=int, initial=45)
    mode = forms.ChoiceField(
        label=_("How"), choices=SessionMode.choices, widget=forms.RadioSelect, initial=SessionMode.IN_PERSON
    )


class ScheduleForm(SessionTimeForm):
    patient = RowChoiceField(label=_("Patient"), queryset=Patient.objects.none())
    clinician = RowChoiceField(label=_("Clinician"), queryset=Clinician.objects.none())

    field_order = ["patient", "clinician", "starts_at", "duration_minutes", "mode"]

    def __init__(self, *args, patients, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["patient"].label_from_instance = lambda p: p.user.full_name
        self.fields["clinician"].queryset = clinicians
        self.fields["clinician"].label_from_instance = lambda c: f"{c.user.full_name} ({c.get_profession_display()})"


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional, the patient will see this)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Did this session happen?"),
        choices=[(SessionStatus.DONE, _("Yes, it happened")), (SessionStatus.MISSED, _("No, it didn't happen"))],
        widget=forms.RadioSelect,
    )


# --- Agenda and session record ----------------------------------------------------------------


def _limit_text(n: int) -> str:
    return gettext("Please keep this under %(limit)s characters.") % {"limit": f"{n:,}"}


def _limit(n: int) -> str:
    """The over-long message, translated when it is shown, not when the form class is defined."""
    return lazy(_limit_text, str)(n)


class AgendaItemForm(forms.Form):
    text = forms.CharField(
        label=_("Something to talk about"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything at all, big or small. Both of you will see it, with your name beside it."),
        error_messages={"required": _("Please say what you'd like to talk about."), "max_length": _limit(1000)},
    )


class RecordItemForm(forms.Form):
    """One agenda item on the one-screen session record. Its prefix is ``item-<pk>``.

    Ticked means talked about. Who led it starts as whoever raised the item and can be changed.
    """

    talked = forms.BooleanField(label=_("We talked about this"), required=False)
    led_by = forms.ChoiceField(label=_("Who led it"), choices=LedBy.choices, required=False)
    agreed = forms.CharField(
        label=_("What you agreed (the patient will see this)"),
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
            self.add_error("led_by", _("Please say who led this part: the patient, you, or both together."))
        if not cleaned.get("talked") and (cleaned.get("agreed") or "").strip():
            self.add_error(
                "agreed", _("You wrote what was agreed: please tick this item as talked about, or clear the words.")
            )
        return cleaned


class SessionRecordForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary, in plain language"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The patient reads this. Write it as you would say it to them."),
        error_messages={
            "required": _("Please write a short summary. A few plain sentences are enough."),
            "max_length": _limit(4000),
        },
    )
    next_steps = forms.CharField(
        label=_("Next steps"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _limit(4000)},
    )


class TakeawayForm(forms.Form):
    text = forms.CharField(
        label=_("What I took from this session"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("In your own words. Your clinician will see this."),
        error_messages={
            "required": _("Please write a few words, or come back to this another time."),
            "max_length": _limit(2000),
        },
    )


# --- Home plan --------------------------------------------------------------------------------


class PlanItemForm(forms.Form):
    title = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Short, such as “Morning walk” or “Pacing the hoovering”."),
        error_messages={"required": _("Please give this a short name."), "max_length": _limit(200)},
    )
    description = forms.CharField(
        label=_("What to do"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please describe what to do, in plain words."), "max_length": _limit(2000)},
    )
    how_often = forms.CharField(
        label=_("How often"),
        max_length=200,
        help_text=_("For example “most days, 10 minutes” or “twice a week”."),
        error_messages={"required": _("Please say how often."), "max_length": _limit(200)},
    )
    link = forms.CharField(
        label=_("Link (optional)"),
        max_length=500,
        required=False,
        help_text=_("A video or leaflet, starting with https://"),
        error_messages={"max_length": _limit(500)},
    )
    notes = forms.CharField(
        label=_("Notes (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _limit(1000)},
    )


WORTH_CHOICES = [(str(n), str(n)) for n in range(11)]


class WorthRatingForm(forms.Form):
    score = forms.ChoiceField(
        label=_("How worth trying does this feel?"),
        choices=WORTH_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a number from 0 to 10."),
            "invalid_choice": _("Please choose a number from 0 to 10."),
        },
    )


class PracticeLogForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did today go?"),
        choices=PracticeOutcome.choices,
        error_messages={
            "required": _("Please choose done, partly or not today."),
            "invalid_choice": _("Please choose done, partly or not today."),
        },
    )
    note = forms.CharField(
        label=_("How did it feel? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _limit(1000)},
    )


# --- Reminder preferences ---------------------------------------------------------------------

HOURS_BEFORE = [
    (2, _("2 hours before")),
    (4, _("4 hours before")),
    (12, _("12 hours before")),
    (24, _("The day before (24 hours)")),
    (48, _("Two days before")),
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
        error_messages={"required": _("Please choose a time."), "invalid": _("Please enter a time such as 18:00.")},
    )


class ReminderPreferenceForm(forms.Form):
    checkin_enabled = forms.BooleanField(label=_("Remind me to check in before an appointment"), required=False)
    checkin_hours_before = forms.TypedChoiceField(label=_("When"), choices=HOURS_BEFORE, coerce=int)
    nudge_frequency = forms.ChoiceField(
        label=_("Nudges about my home plan"), choices=NudgeFrequency.choices, widget=forms.RadioSelect
    )
    nudge_time = _time_field(
        _("At about"), _("In your own time zone. A time inside your quiet hours waits until they end.")
    )
    appointment_enabled = forms.BooleanField(
        label=_("Tell me by email when an appointment is cancelled, moved or passed to another clinician"),
        required=False,
    )
    news_enabled = forms.BooleanField(
        label=_("Email me when something new from my care team is waiting"),
        required=False,
        help_text=_(
            "Off unless you turn it on. The email only says that something is waiting, never what it is, and "
            "comes once until you next visit, however many new things there are. Never during your quiet hours."
        ),
    )
    digest_enabled = forms.BooleanField(label=_("Send me a daily digest of what's new on my caseload"), required=False)
    digest_time = _time_field(_("At about"), _("Only sent on days when something is new."))
    quiet_start = _time_field(_("Quiet hours start"), _("We never email you during quiet hours."))
    quiet_end = _time_field(_("Quiet hours end"))

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
        label=_("What to tell the patient if an appointment is cancelled (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("If you leave this empty, they are told their clinician can no longer see them at that time."),
        error_messages={"max_length": _limit(500)},
    )

    def __init__(self, *args, options: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointments = {}
        for care_session, clinicians in options.items():
            name = f"appointment-{care_session.pk}"
            choices = [(str(c.pk), gettext("Pass it to %(name)s") % {"name": c.user.full_name}) for c in clinicians]
            choices.append(
                (
                    "cancel",
                    gettext("Cancel it (%(name)s will be told)") % {"name": care_session.patient.user.get_short_name()},
                )
            )
            when = formats.date_format(timezone.localtime(care_session.starts_at), "WEEKDAY_DAY_YEAR_TIME_FORMAT")
            self.fields[name] = forms.ChoiceField(
                label=f"{care_session.patient.user.full_name}, {when}",
                choices=[("", gettext("Choose…")), *choices] if len(choices) > 1 else choices,
                initial=None if len(choices) > 1 else "cancel",
                error_messages={"required": gettext("Please choose what happens to this appointment.")},
            )
            self.appointments[name] = (care_session, {str(c.pk): c for c in clinicians})

    def decisions(self) -> list[tuple]:
        """(appointment, the clinician it passes to, or None to cancel it), for each appointment."""
        return [
            (care_session, clinicians.get(self.cleaned_data[name]))
            for name, (care_session, clinicians) in self.appointments.items()
        ]

from django import forms

from patients.models import Clinician, Patient
from sessions.models import SessionMode, SessionStatus

DURATION_CHOICES = [(15, "15 minutes"), (30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (90, "1½ hours")]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class SessionTimeForm(forms.Form):
    starts_at = forms.DateTimeField(
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
    patient = forms.ModelChoiceField(label="Patient", queryset=Patient.objects.none())
    clinician = forms.ModelChoiceField(label="Clinician", queryset=Clinician.objects.none())

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

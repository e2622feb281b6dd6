"""The audit page's filters: a patient, a staff member, a kind of entry and a date range."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from patients.forms import RowChoiceField
from patients.models import AuditKind, Clinic, Patient, User
from patients.selectors.audit import TrailFilters, audit_staff_choices

DATE_MESSAGES = {"invalid": _("Please enter a real date, such as 31/01/2026.")}


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    """GET filters. Every field may be left empty; the dates are whole days in the clinic's time zone."""

    patient = RowChoiceField(
        label=_("Patient"),
        queryset=Patient.objects.none(),
        required=False,
        empty_label=_("All patients"),
        error_messages={"invalid_choice": _("Please choose a patient from the list.")},
    )
    actor = RowChoiceField(
        label=_("Staff member"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Everyone"),
        error_messages={"invalid_choice": _("Please choose a staff member from the list.")},
    )
    kind = forms.ChoiceField(
        label=_("What happened"),
        required=False,
        choices=[("", _("Everything")), *AuditKind.choices],
        error_messages={"invalid_choice": _("Please choose from the list.")},
    )
    date_from = forms.DateField(
        label=pgettext_lazy("start of a date range", "From"),
        required=False,
        widget=_DateInput(),
        error_messages=DATE_MESSAGES,
    )
    date_to = forms.DateField(
        label=_("To (including this day)"), required=False, widget=_DateInput(), error_messages=DATE_MESSAGES
    )

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["patient"].queryset = (
            Patient.objects.filter(clinic=clinic).select_related("user").order_by("user__full_name", "pk")
        )
        self.fields["patient"].label_from_instance = lambda p: p.user.full_name
        self.fields["actor"].queryset = audit_staff_choices(clinic=clinic)
        self.fields["actor"].label_from_instance = lambda u: u.full_name or u.email

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", gettext("The end date is before the start date. Please swap them round."))
        return cleaned

    def trail_filters(self) -> TrailFilters:
        """The filters to show: the clinic's whole trail when the form is empty or not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        tz = zoneinfo.ZoneInfo(self.clinic.timezone)

        def moment(day: date | None, *, after: bool = False) -> datetime | None:
            if day is None:
                return None
            return datetime.combine(day + timedelta(days=1) if after else day, time.min, tzinfo=tz)

        return TrailFilters(
            clinic=self.clinic,
            patient=data.get("patient"),
            actor=data.get("actor"),
            kind=data.get("kind") or "",
            start=moment(data.get("date_from")),
            end=moment(data.get("date_to"), after=True),
        )

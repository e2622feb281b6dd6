"""The filters shared by reports and exports: dates, clinician, questionnaire."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.models import Instrument, Purpose, Respondent
from alliance.selectors.filters import DataFilters, default_range
from patients.forms import RowChoiceField
from patients.models import Clinic, Clinician

EARLIEST = date(2000, 1, 1)


LONGEST = timedelta(days=366 * 10)


DATE_MESSAGES = {"invalid": _("Please enter a real date, such as 31/01/2026.")}


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class FilterFieldsMixin(forms.Form):
    """Date range and clinician, shared by the report filters and the export form."""

    date_from = forms.DateField(label=_("From"), required=False, widget=_DateInput(), error_messages=DATE_MESSAGES)
    date_to = forms.DateField(
        label=_("To (including this day)"), required=False, widget=_DateInput(), error_messages=DATE_MESSAGES
    )
    clinician = RowChoiceField(
        label=_("Clinician"),
        queryset=Clinician.objects.none(),
        required=False,
        empty_label=_("All clinicians"),
        error_messages={"invalid_choice": _("Please choose a clinician from the list.")},
    )

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        start, end = default_range(clinic=clinic)
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end
        self.fields["clinician"].queryset = (
            Clinician.objects.filter(clinic=clinic).select_related("user").order_by("user__full_name")
        )
        self.fields["clinician"].label_from_instance = lambda c: (
            c.user.full_name
            if c.user.is_active
            else gettext("%(name)s (no longer active)") % {"name": c.user.full_name}
        )

    def clean(self):
        cleaned = super().clean()
        start, end = default_range(clinic=self.clinic)
        if "date_from" in cleaned and cleaned["date_from"] is None:
            cleaned["date_from"] = start
        if "date_to" in cleaned and cleaned["date_to"] is None:
            cleaned["date_to"] = end
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_from < EARLIEST:
            self.add_error("date_from", gettext("Please choose a date from 2000 onwards."))
        if date_to and date_to > end + timedelta(days=366):
            self.add_error("date_to", gettext("Please choose a date no more than a year from today."))
        if date_from and date_to and not self.errors:
            if date_to < date_from:
                self.add_error("date_to", gettext("The end date is before the start date. Please swap them round."))
            elif date_to - date_from > LONGEST:
                self.add_error("date_to", gettext("Please choose a range of ten years or less."))
        return cleaned

    def filters(self, *, instrument: Instrument | None = None) -> DataFilters:
        data = self.cleaned_data
        return DataFilters(
            clinic=self.clinic,
            date_from=data["date_from"],
            date_to=data["date_to"],
            clinician=data.get("clinician"),
            instrument=instrument if instrument is not None else data.get("instrument"),
        )


def default_filters(*, clinic: Clinic) -> DataFilters:
    start, end = default_range(clinic=clinic)
    return DataFilters(clinic=clinic, date_from=start, date_to=end)


def _instruments(clinic: Clinic):
    return Instrument.objects.filter(Q(clinic=clinic) | Q(clinic__isnull=True)).order_by("clinic_id", "name")


class ReportFilterForm(FilterFieldsMixin):
    """GET filters on the report pages. Empty dates mean the last twelve months."""

    instrument = RowChoiceField(
        label=_("Alliance questionnaire"),
        queryset=Instrument.objects.none(),
        required=False,
        empty_label=_("The one your clinic uses now"),
        help_text=_("Totals from different questionnaires are on different scales, so a report covers one."),
        error_messages={"invalid_choice": _("Please choose a questionnaire from the list.")},
    )

    def __init__(self, *args, clinic: Clinic, with_clinician: bool = True, **kwargs):
        super().__init__(*args, clinic=clinic, **kwargs)
        self.fields["instrument"].queryset = _instruments(clinic).filter(
            purpose=Purpose.ALLIANCE, respondent=Respondent.PATIENT
        )
        if not with_clinician:
            del self.fields["clinician"]

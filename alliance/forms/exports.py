"""Asking for an export: what, in which format, identified or not, and why."""

from __future__ import annotations

from dataclasses import replace
from functools import reduce

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.exports import DATASETS
from alliance.forms.reports import FilterFieldsMixin, _instruments
from alliance.models import ExportDataset, ExportFormat, Instrument
from alliance.selectors.filters import DataFilters
from patients.forms import RowChoiceField
from patients.forms.audit import AuditFilterForm
from patients.models import Clinic

IDENTIFIED_CHOICES = [
    ("no", _("De-identified: a pseudonymous id instead of each name and email, and no free text")),
    ("yes", _("Identified: names and email addresses, and what people wrote")),
]


class ExportForm(FilterFieldsMixin):
    dataset = forms.ChoiceField(
        label=_("What to export"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose what to export."),
            "invalid_choice": _("Please choose from the list."),
        },
    )
    format = forms.ChoiceField(
        label=_("File format"),
        widget=forms.RadioSelect,
        choices=[
            (ExportFormat.CSV.value, _("CSV, for analysis software")),
            (ExportFormat.XLSX.value, _("Excel (XLSX), to open in a spreadsheet")),
            (ExportFormat.FHIR.value, _("FHIR R4 JSON, for a health record system (check-ins and goals)")),
        ],
        initial=ExportFormat.XLSX.value,
        error_messages={
            "required": _("Please choose a file format."),
            "invalid_choice": _("Please choose from the list."),
        },
    )
    identified = forms.ChoiceField(
        label=_("People in the file"),
        widget=forms.RadioSelect,
        choices=IDENTIFIED_CHOICES,
        initial="no",
        error_messages={
            "required": _("Please choose whether to include names."),
            "invalid_choice": _("Please choose from the list."),
        },
    )
    purpose = forms.CharField(
        label=_("Why names are needed (for identified exports)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the record of this export, which every admin at your clinic can see."),
        error_messages={"max_length": _("Please keep this under 500 characters (it has %(show_value)d).")},
    )
    instrument = RowChoiceField(
        label=_("Questionnaire"),
        queryset=Instrument.objects.none(),
        required=False,
        empty_label=_("All questionnaires"),
        help_text=_("For check-ins and alerts."),
        error_messages={"invalid_choice": _("Please choose a questionnaire from the list.")},
    )

    # The audit page's filters, carried along when it links here ("Export these entries").
    audit_patient = RowChoiceField(
        queryset=AuditFilterForm.base_fields["patient"].queryset, required=False, widget=forms.HiddenInput
    )
    audit_actor = RowChoiceField(
        queryset=AuditFilterForm.base_fields["actor"].queryset, required=False, widget=forms.HiddenInput
    )
    audit_kind = forms.ChoiceField(
        choices=AuditFilterForm.base_fields["kind"].choices, required=False, widget=forms.HiddenInput
    )

    field_order = ["dataset", "format", "identified", "purpose", "date_from", "date_to", "clinician", "instrument"]

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, clinic=clinic, **kwargs)
        self.fields["dataset"].choices = [(key, f"{kind.title}: {kind.description}") for key, kind in DATASETS.items()]
        self.fields["instrument"].queryset = _instruments(clinic)
        audit = AuditFilterForm(clinic=clinic)
        self.fields["audit_patient"].queryset = audit.fields["patient"].queryset
        self.fields["audit_actor"].queryset = audit.fields["actor"].queryset

    def clean(self):
        cleaned = super().clean()
        # The service checks these too; checking here as well shows every problem at once.
        kind = DATASETS.get(cleaned.get("dataset"))
        fmt = cleaned.get("format")
        if kind is not None and fmt and fmt not in kind.formats:
            # "CSV or Excel (XLSX)": each "or" joins two, so a language can order or inflect it.
            allowed = reduce(
                lambda first, second: gettext("%(first)s or %(second)s") % {"first": first, "second": second},
                (ExportFormat(value).label for value in kind.formats),
            )
            self.add_error(
                "format",
                gettext("%(dataset)s can be exported as %(formats)s.") % {"dataset": kind.title, "formats": allowed},
            )
        if cleaned.get("identified") == "yes" and not (cleaned.get("purpose") or "").strip():
            self.add_error(
                "purpose",
                gettext("Please say why names and email addresses are needed. It is kept with the export's record."),
            )
        return cleaned

    def filters(self, *, instrument=None) -> DataFilters:
        filters = super().filters(instrument=instrument)
        if self.cleaned_data.get("dataset") != ExportDataset.AUDIT:
            return filters
        return replace(
            filters,
            patient=self.cleaned_data.get("audit_patient"),
            actor=self.cleaned_data.get("audit_actor"),
            audit_kind=self.cleaned_data.get("audit_kind") or "",
        )

    @property
    def audit_filters_given(self) -> bool:
        return any(self[name].value() for name in ("audit_patient", "audit_actor", "audit_kind"))

    @property
    def identified_value(self) -> bool:
        return self.cleaned_data.get("identified") == "yes"

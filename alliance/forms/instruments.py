"""Importing a clinic's own instrument definition."""

from __future__ import annotations

from django import forms


class InstrumentImportForm(forms.Form):
    definition = forms.CharField(
        label="Instrument definition (JSON)",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "font-monospace"}),
        max_length=200_000,
        help_text="Paste the JSON definition. Only import questionnaires your clinic holds a licence for.",
    )
    activate = forms.BooleanField(
        label="Use this instead of the built-in questionnaire of the same kind",
        required=False,
        initial=True,
    )

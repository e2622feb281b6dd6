"""Importing a clinic's own instrument definition."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class InstrumentImportForm(forms.Form):
    definition = forms.CharField(
        label=_("Instrument definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "font-monospace"}),
        max_length=200_000,
        help_text=_(
            "Paste the JSON definition. Only import questionnaires your clinic holds a licence for. "
            'Add "translations" to offer it in more than one language.'
        ),
    )
    activate = forms.BooleanField(
        label=_("Use this instead of the built-in questionnaire of the same kind"),
        required=False,
        initial=True,
    )

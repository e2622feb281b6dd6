"""The clinician's note when acknowledging or resolving an alert."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

"""The clinician's note when acknowledging or resolving an alert."""

from __future__ import annotations

from django import forms


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

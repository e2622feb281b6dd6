"""The timeline's filter: which kinds of event to show (a GET form, works without a script)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.selectors.timeline import TimelineKind


class TimelineFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(
        label=_("Show only"),
        choices=TimelineKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave them all unticked to see everything."),
        error_messages={"invalid_choice": _("That isn't one of the kinds listed, so everything is shown.")},
    )

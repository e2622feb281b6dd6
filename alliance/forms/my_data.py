"""Asking about someone looking at your record."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.forms.record import textfield


class AccessQuestionForm(forms.Form):
    text = textfield(
        _("What would you like to ask?"),
        required=_("Please say what you'd like to ask."),
        rows=4,
        help_text=_("For example: why they looked, or what they were checking. Any question is welcome."),
    )

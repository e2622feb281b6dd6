"""Asking about someone looking at your record."""

from __future__ import annotations

from django import forms

from alliance.forms.record import textfield


class AccessQuestionForm(forms.Form):
    text = textfield(
        "What would you like to ask?",
        required="Please say what you'd like to ask.",
        rows=4,
        help_text="For example: why they looked, or what they were checking. Any question is welcome.",
    )

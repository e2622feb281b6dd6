"""Forms for step-back reviews. They collect words; the services check them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.forms.record import textfield
from alliance.models import REVIEW_PARTS
from alliance.services.reviews import REQUIRED


class ReviewForm(forms.Form):
    """The four parts of a review, each with the question it answers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, heading, prompt in REVIEW_PARTS:
            self.fields[name] = textfield(heading, required=REQUIRED[name], rows=3, help_text=prompt)


class ReflectionForm(forms.Form):
    reflection = textfield(
        _("How does this look from where you are?"),
        required=_("Please say how this looks from where you are. A few words is fine."),
        rows=4,
    )
    disagree = textfield(
        _("Is there anything you see differently? (optional)"),
        rows=3,
        help_text=_(
            "Anything you write here goes on the agenda for your next appointment, so you can talk it through."
        ),
    )

"""Forms for handling a subject access request: opening it, withholding items, deciding, releasing."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.models import AccessDecision
from alliance.selectors.access_requests import ReviewSection


class AccessRequestOpenForm(forms.Form):
    received_on = forms.DateField(
        label=_("Date the clinic received the request"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "The one-month deadline counts from this day. A request can arrive in any form: "
            "spoken, by phone, by email or by letter."
        ),
        error_messages={
            "required": _("Please give the date it was received."),
            "invalid": _("Please give a real date."),
        },
    )
    how_received = forms.CharField(
        label=_("How it reached the clinic (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Please keep this under 500 characters (it has %(show_value)d).")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class WithholdForm(forms.Form):
    section = forms.ChoiceField(
        label=_("Section"),
        error_messages={"required": _("Please choose a section."), "invalid_choice": _("Please choose from the list.")},
    )
    item_id = forms.CharField(
        label=_("Item number"),
        max_length=40,
        help_text=_("The number shown before the item in the list above."),
        error_messages={"required": _("Please give the item's number from the list above.")},
    )
    reason = forms.CharField(
        label=_("Why it is withheld"),
        required=False,  # the service says what is missing, in the words the patient will be told
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The patient is told this reason with their copy, so please write it for them."),
        error_messages={"max_length": _("Please keep this under 2000 characters (it has %(show_value)d).")},
    )

    def __init__(self, *args, sections: list[ReviewSection], **kwargs):
        kwargs.setdefault("auto_id", "withhold_%s")  # the decision form on the same page has a reason too
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", gettext("Choose a section"))] + [
            (section.key, f"{section.title} ({len(section.items)})") for section in sections if section.items
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=AccessDecision.choices,
        error_messages={
            "required": _("Please choose one of the three."),
            "invalid_choice": _("Please choose one of the three."),
        },
    )
    reason = forms.CharField(
        label=_("Reason (needed to withhold or refuse)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The patient is told this reason. If you refuse, they are also told they can complain to the ICO."),
        error_messages={"max_length": _("Please keep this under 2000 characters (it has %(show_value)d).")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "decision_%s")
        super().__init__(*args, **kwargs)


class ConfirmForm(forms.Form):
    """A button with nothing to fill in (release, put back): errors from the service are the form's own."""

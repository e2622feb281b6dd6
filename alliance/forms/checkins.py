"""The check-in and rating forms: one 0–10 radio group per item of an instrument version."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.models import InstrumentVersion

NOTE_HELP = _(
    "Big or small, nothing is too small or too silly to bring up. It goes on the agenda for your appointment."
)


class RatingGroup:
    """One question as an accessible radio group, drawn by ``alliance/checkins/_rating_group.html``:
    a fieldset, its legend, the end labels, any error, and one radio button per point of the scale.
    """

    template_name = "alliance/checkins/_rating_group.html"

    def __init__(self, field, item: dict, scale: dict):
        self.field = field
        self.low = f"{scale['min']} = {item.get('low_label') or scale.get('low_label') or gettext('lowest')}"
        self.high = f"{scale['max']} = {item.get('high_label') or scale.get('high_label') or gettext('highest')}"
        chosen = field.value()
        chosen = str(chosen) if chosen not in (None, "") else None
        self.choices = [
            {"value": value, "id": f"{field.auto_id}_{index}", "checked": str(value) == chosen}
            for index, value in enumerate(range(int(scale["min"]), int(scale["max"]) + 1))
        ]


def _rating_field(item: dict, scale: dict, *, required: bool) -> forms.IntegerField:
    """A whole number on the item's scale. Drawn as a radio group by ``RatingGroup``."""
    message = gettext("Please choose a number from %(min)s to %(max)s.") % {"min": scale["min"], "max": scale["max"]}
    return forms.IntegerField(
        label=item["text"],
        min_value=scale["min"],
        max_value=scale["max"],
        required=required,
        error_messages={"required": message, "invalid": message, "min_value": message, "max_value": message},
    )


class InstrumentFormMixin:
    """Adds one rating field per item of an instrument version, named ``<prefix>-<item key>``."""

    def add_instrument(self, prefix: str, version: InstrumentVersion, *, required: bool) -> None:
        definition = version.localised
        scale = definition["scale"]
        self._instruments = getattr(self, "_instruments", {})
        self._instruments[prefix] = version
        for item in definition["items"]:
            name = f"{prefix}-{item['key']}"
            self.fields[name] = _rating_field(item, scale, required=required)

    def groups(self, prefix: str) -> list[RatingGroup]:
        definition = self._instruments[prefix].localised
        return [RatingGroup(self[f"{prefix}-{item['key']}"], item, definition["scale"]) for item in definition["items"]]

    def answers(self, prefix: str) -> dict[str, int | None]:
        definition = self._instruments[prefix].localised
        values = {}
        for item in definition["items"]:
            value = self.cleaned_data.get(f"{prefix}-{item['key']}")
            values[item["key"]] = None if value in (None, "") else value
        return values


class CheckInForm(InstrumentFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Anything you'd like to raise next time?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTE_HELP,
        error_messages={"max_length": _("Please keep this under 2,000 characters (it has %(show_value)d).")},
    )

    def __init__(self, *args, alliance_version: InstrumentVersion, pain_version: InstrumentVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_instrument("alliance", alliance_version, required=True)
        self.add_instrument("pain", pain_version, required=False)

    def clean(self):
        cleaned = super().clean()
        definition = self._instruments["pain"].definition
        keys = [f"pain-{item['key']}" for item in definition["items"]]
        answered = [key for key in keys if cleaned.get(key) not in (None, "")]
        needed = definition["scoring"]["min_answered"]
        if answered and len(answered) < needed:
            for key in keys:
                if key not in answered:
                    self.add_error(
                        key, gettext("Please answer this one too, or leave all of the pain questions blank.")
                    )
        return cleaned


class RatingForm(InstrumentFormMixin, forms.Form):
    def __init__(self, *args, version: InstrumentVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_instrument("rating", version, required=True)

from django import forms

from alliance.models import InstrumentVersion

NOTE_HELP = "Big or small, nothing is too small or too silly to bring up. It goes on the agenda for your appointment."


class RatingGroup:
    """A bound rating field with its item's end labels, for the rating-group template."""

    def __init__(self, field, item: dict, scale: dict):
        self.field = field
        self.item = item
        self.low = f"{scale['min']} = {item.get('low_label') or scale.get('low_label') or 'lowest'}"
        self.high = f"{scale['max']} = {item.get('high_label') or scale.get('high_label') or 'highest'}"


def _rating_field(item: dict, scale: dict, *, required: bool) -> forms.TypedChoiceField:
    values = range(scale["min"], scale["max"] + 1)
    return forms.TypedChoiceField(
        label=item["text"],
        choices=[(value, str(value)) for value in values],
        coerce=int,
        required=required,
        widget=forms.RadioSelect,
        error_messages={
            "required": f"Please choose a number from {scale['min']} to {scale['max']}.",
            "invalid_choice": f"Please choose a number from {scale['min']} to {scale['max']}.",
        },
    )


class InstrumentFormMixin:
    """Adds one rating field per item of an instrument version, named ``<prefix>-<item key>``."""

    def add_instrument(self, prefix: str, version: InstrumentVersion, *, required: bool) -> None:
        definition = version.definition
        scale = definition["scale"]
        for item in definition["items"]:
            self.fields[f"{prefix}-{item['key']}"] = _rating_field(item, scale, required=required)
        self._instruments = getattr(self, "_instruments", {})
        self._instruments[prefix] = version

    def groups(self, prefix: str) -> list[RatingGroup]:
        definition = self._instruments[prefix].definition
        return [RatingGroup(self[f"{prefix}-{item['key']}"], item, definition["scale"]) for item in definition["items"]]

    def answers(self, prefix: str) -> dict[str, int | None]:
        definition = self._instruments[prefix].definition
        values = {}
        for item in definition["items"]:
            value = self.cleaned_data.get(f"{prefix}-{item['key']}")
            values[item["key"]] = None if value in (None, "") else value
        return values


class CheckInForm(InstrumentFormMixin, forms.Form):
    note = forms.CharField(
        label="Anything you'd like to raise next time?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTE_HELP,
        error_messages={"max_length": "Please keep this under 2,000 characters (it has %(show_value)d)."},
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
                    self.add_error(key, "Please answer this one too, or leave all of the pain questions blank.")
        return cleaned


class RatingForm(InstrumentFormMixin, forms.Form):
    def __init__(self, *args, version: InstrumentVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_instrument("rating", version, required=True)


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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

"""The check-in and rating forms: one 0–10 radio group per item of an instrument version."""

from __future__ import annotations

from django import forms
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from alliance.models import InstrumentVersion

NOTE_HELP = "Big or small, nothing is too small or too silly to bring up. It goes on the agenda for your appointment."


class RatingGroup:
    """One question as an accessible radio group: a fieldset, its legend, the end labels and 0–10.

    Rendered in Python rather than through template nodes: a check-in has 77 radio buttons and
    this page is the one patients open most, so it should be cheap to draw.
    """

    def __init__(self, field, item: dict, scale: dict):
        self.field = field
        self.item = item
        self.low = f"{scale['min']} = {item.get('low_label') or scale.get('low_label') or 'lowest'}"
        self.high = f"{scale['max']} = {item.get('high_label') or scale.get('high_label') or 'highest'}"
        self.scale = scale

    def __str__(self) -> str:
        return self.__html__()

    def __html__(self) -> str:
        if self.field.form.is_bound:
            return self.render()
        # An empty question looks the same for everyone: draw it once per process.
        key = (self.field.form.version_keys[self.field.name], self.field.html_name, self.field.auto_id)
        html = _UNBOUND_HTML.get(key)
        if html is None:
            html = _UNBOUND_HTML[key] = self.render()
        return html

    def render(self) -> str:
        field = self.field
        base_id = field.auto_id
        value = field.value()
        chosen = str(value) if value not in (None, "") else None
        error = field.errors[0] if field.errors else None
        described = f"{base_id}-ends" + (f" {base_id}-error" if error else "")
        name, ident = escape(field.html_name), escape(base_id)
        radios = "".join(
            f'<input type="radio" class="btn-check" name="{name}" id="{ident}_{n}" value="{v}"'
            f"{' checked' if str(v) == chosen else ''}>"
            f'<label class="btn btn-outline-primary" for="{ident}_{n}">{v}</label>'
            for n, v in enumerate(range(int(self.scale["min"]), int(self.scale["max"]) + 1))
        )
        return format_html(
            '<fieldset class="rating" aria-describedby="{}"><legend>{}</legend>'
            '<p class="rating-ends" id="{}-ends"><span>{}</span><span>{}</span></p>{}'
            '<div class="rating-scale">{}</div></fieldset>',
            described,
            field.label,
            base_id,
            self.low,
            self.high,
            format_html('<p class="rating-error" id="{}-error">{}</p>', base_id, error) if error else "",
            mark_safe(radios),  # noqa: S308 - whole numbers and the escaped name and id only
        )


_UNBOUND_HTML: dict[tuple, str] = {}


def _rating_field(item: dict, scale: dict, *, required: bool) -> forms.IntegerField:
    """A whole number on the item's scale. Drawn as a radio group by ``RatingGroup``."""
    message = f"Please choose a number from {scale['min']} to {scale['max']}."
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
        definition = version.definition
        scale = definition["scale"]
        self._instruments = getattr(self, "_instruments", {})
        self._instruments[prefix] = version
        self.version_keys = getattr(self, "version_keys", {})
        for item in definition["items"]:
            name = f"{prefix}-{item['key']}"
            self.fields[name] = _rating_field(item, scale, required=required)
            self.version_keys[name] = (version.pk, version.created_at)

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

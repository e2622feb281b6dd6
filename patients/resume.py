"""What a person sent, shown back as its form showed it, when their sign-in ran out before it arrived.

``ExpiredSignInMiddleware`` keeps the posted fields; when the person is back it shows them before
they send them again. The raw fields are internal names and values (``route=next_session``,
``worried_silly=on``), so each view names its form here with ``@resume_form(factory)`` and the page
is built from that form: its labels, its choices' display text, its checkboxes and its ratings. The
higher apps mark their own views (nothing here imports them); a view that names no form is shown
with its field names made readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

TICKED, NOT_TICKED = _("Ticked"), _("Not ticked")


@dataclass(frozen=True)
class SentField:
    """One field as it is shown back: its ``label``, the ``values`` in words, and whether it is
    free writing (``long``: shown as the person's own words)."""

    label: str
    values: list[str]
    long: bool = False


def resume_form(factory: Callable[..., forms.Form]):
    """Name the form a view shows: ``factory(request, **url_kwargs)`` returns it, unbound.

    Put it above the view's other decorators. The factory runs as the person who sent the form,
    after they signed in again; a factory that raises ``Http404`` or ``PermissionDenied`` falls back
    to the readable field names.
    """

    def decorate(view):
        view.resume_form = factory
        return view

    return decorate


def _readable(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip().capitalize() or name


def _form_for(request, path: str) -> forms.Form | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    factory = getattr(match.func, "resume_form", None)
    if factory is None:
        return None
    try:
        return factory(request, **match.kwargs)
    except (Http404, PermissionDenied):
        return None


def _choices(field: forms.Field) -> dict[str, str]:
    found: dict[str, str] = {}
    for value, label in getattr(field, "choices", ()):
        if isinstance(label, list | tuple):  # an optgroup
            found.update({str(inner): str(text) for inner, text in label})
        else:
            found[str(value)] = str(label)
    return found


def _shown(field: forms.Field, values: list[str]) -> list[str]:
    if isinstance(field, forms.BooleanField):
        ticked = bool(values) and values[-1].lower() not in ("", "false", "0", "off")
        return [str(TICKED if ticked else NOT_TICKED)]
    values = [value for value in values if value.strip()]
    if isinstance(field, forms.ChoiceField | forms.MultipleChoiceField | forms.ModelChoiceField):
        choices = _choices(field)
        return [choices.get(value, value) for value in values]
    low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
    if isinstance(field, forms.IntegerField) and low is not None and high is not None:
        return [
            gettext("%(value)s (on a scale from %(low)s to %(high)s)") % {"value": value, "low": low, "high": high}
            for value in values
        ]
    return values


def sent_fields(*, request, path: str, data: dict[str, list[str]]) -> list[SentField]:
    """What was sent to ``path``, in the order and words of the form the view there shows.

    ``data`` maps each posted name to its values (``QueryDict.getlist``). Checkboxes the form has are
    always listed (ticked or not); other fields only when something was sent; hidden fields never.
    """
    rows: list[SentField] = []
    form = _form_for(request, path)
    if form is not None:
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            if field.widget.is_hidden:
                continue
            values = _shown(field, data.get(key, []))
            if values:
                long = isinstance(field.widget, forms.Textarea)
                rows.append(SentField(str(field.label or _readable(name)), values, long))
        return rows
    for key, values in data.items():
        values = [value for value in values if value.strip()]
        if values:
            rows.append(SentField(_readable(key), values, any(len(value) > 80 for value in values)))
    return rows

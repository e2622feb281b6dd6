"""Importing a clinic's own instruments (or new versions of them) from JSON definitions."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alliance.instruments.scoring import DefinitionError, definition_validate
from alliance.models import Instrument, InstrumentVersion
from patients.models import Clinic, User

MAX_DEFINITION_BYTES = 200_000


def instrument_import(*, clinic: Clinic, by: User | None, text: str, activate: bool) -> InstrumentVersion:
    """Add a clinic's own instrument, or a new version of one, from a JSON definition."""
    if len(text.encode()) > MAX_DEFINITION_BYTES:
        raise ValidationError({"definition": _("That definition is too large (the limit is 200 KB).")})
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            {
                "definition": _("This isn't valid JSON: %(problem)s (line %(line)s, column %(column)s).")
                % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno}
            }
        ) from None
    try:
        definition = definition_validate(raw)
    except DefinitionError as exc:
        raise ValidationError({"definition": exc.problems}) from None
    # Checked here, not in definition_validate: the built-in definitions must stay valid whatever a
    # deployment lists in LANGUAGES.
    offered = {code.split("-")[0] for code, _name in settings.LANGUAGES}
    unoffered = [code for code in definition.get("translations", {}) if code.split("-")[0] not in offered]
    if unoffered:
        raise ValidationError(
            {
                "definition": _('"translations": Alliance does not offer "%(code)s"; it offers %(offered)s.')
                % {"code": unoffered[0], "offered": ", ".join(f'"{code}"' for code, _name in settings.LANGUAGES)}
            }
        )
    if Instrument.objects.filter(clinic__isnull=True, key=definition["key"]).exists():
        raise ValidationError(
            {"definition": _('"%(key)s" is a built-in instrument; choose another key.') % {"key": definition["key"]}}
        )
    with transaction.atomic():
        instrument, created = Instrument.objects.select_for_update().get_or_create(
            clinic=clinic,
            key=definition["key"],
            defaults={
                "name": definition["name"],
                "respondent": definition["respondent"],
                "purpose": definition["purpose"],
                "created_by": by,
            },
        )
        if not created and (instrument.respondent, instrument.purpose) != (
            definition["respondent"],
            definition["purpose"],
        ):
            raise ValidationError(
                {"definition": _("A new version must keep the same respondent and purpose as the earlier ones.")}
            )
        latest = instrument.versions.order_by("-number").first()
        if latest is not None and latest.definition == definition:
            raise ValidationError({"definition": _("This is the same as the current version; nothing to import.")})
        version = InstrumentVersion.objects.create(
            instrument=instrument, number=(latest.number + 1) if latest else 1, definition=definition, created_by=by
        )
        instrument.name = definition["name"]
        instrument.is_active = activate
        instrument.save(update_fields=["name", "is_active"])
        if activate:
            # One active instrument of each kind per clinic.
            Instrument.objects.filter(
                clinic=clinic, purpose=instrument.purpose, respondent=instrument.respondent
            ).exclude(pk=instrument.pk).update(is_active=False)
    return version

"""Shared by every part of the record's writes: who is asking, text checks, saving and touching items."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from alliance.models.record import RecordItem
from patients.models import User

AGENDA_TEXT_LIMIT = 1000


def require_live(item: RecordItem) -> None:
    if item.withdrawn_at is not None:
        raise ValidationError(_("This has been withdrawn, so it can't be changed."))


def clean_text(value, *, field: str, limit: int, required: str | None = None) -> str:
    """Trim ``value`` and check it fits. ``required`` is the message when it is empty (None: optional)."""
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: _("This contains a character we can't store. Please remove it and try again.")})
    if not text and required:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("Please keep this to %(limit)s characters or fewer. It's %(length)s at the moment.")
                % {
                    "limit": number_format(limit, force_grouping=True),
                    "length": number_format(len(text), force_grouping=True),
                }
            }
        )
    return text


def agenda_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= AGENDA_TEXT_LIMIT else text[: AGENDA_TEXT_LIMIT - 1].rstrip() + "…"


def save_fields(item: models.Model, *fields: str) -> None:
    item.save(update_fields=list(fields))


def touch(item: RecordItem, by: User, at: datetime | None = None) -> None:
    item.touch(by=by, at=at)
    save_fields(item, "last_activity_at", "last_activity_by")

"""Checks shared by every form and model that takes a name."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Explicit embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the left-to-right and
# right-to-left marks (U+200E, U+200F): invisible, and in a name they reverse the text shown after it
# in lists (a patient list, People, the audit trail).
DIRECTION_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DIRECTION_CONTROLS_MESSAGE = _(
    "This name has hidden characters that change which way text runs, which can make it show backwards. "
    "Please type the name again without them."
)


def validate_no_direction_controls(value: str) -> None:
    """Refuse a name holding invisible text-direction controls (``ValidationError``, code ``direction``).

    The one check for every name a person types: people's names, clinic names, instrument names.
    """
    if value and any(char in DIRECTION_CONTROLS for char in value):
        raise ValidationError(DIRECTION_CONTROLS_MESSAGE, code="direction")

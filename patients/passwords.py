"""Password checks beyond Django's own: a strength estimate (zxcvbn) in plain words, and a sensible cap.

Both are listed in ``AUTH_PASSWORD_VALIDATORS``, so every place a password is chosen (invitation,
reset, change) uses them. Passwords set by code (demo data, test factories) are not validated.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from zxcvbn import zxcvbn

MAX_LENGTH = 128
# Words anyone guessing an Alliance password would try first.
SITE_WORDS = ("alliance",)


class MaximumLengthValidator:
    """No more than ``max_length`` characters: long enough for any passphrase, short enough to hash quickly."""

    def __init__(self, max_length: int = MAX_LENGTH):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "Please choose a password of at most %(max)d character. This one has %(length)d.",
                    "Please choose a password of at most %(max)d characters. This one has %(length)d.",
                    self.max_length,
                )
                % {"max": self.max_length, "length": len(password)},
                code="password_too_long",
            )

    def get_help_text(self):
        return ngettext(
            "It can be up to %(max)d character long.", "It can be up to %(max)d characters long.", self.max_length
        ) % {"max": self.max_length}


def _user_inputs(user) -> list[str]:
    words = list(SITE_WORDS)
    if user is None:
        return words
    email = getattr(user, "email", "") or ""
    words += [email, email.split("@")[0]]
    full_name = getattr(user, "full_name", "") or ""
    words += [full_name, *full_name.split()]
    return [word for word in words if word]


class StrengthValidator:
    """Refuse a password that is easy to guess (zxcvbn's score below ``min_score``), saying why in plain words.

    The estimate knows common passwords, names, dates, keyboard runs and repeats, and is told the
    person's email and name and the word "alliance", so ``alliance2026`` or ``aaaaaaaaaaaa`` are refused.
    """

    def __init__(self, min_score: int = 3, max_length: int = MAX_LENGTH):
        self.min_score = min_score
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            return  # MaximumLengthValidator says so; estimating a huge string would only be slow
        result = zxcvbn(password, user_inputs=_user_inputs(user), max_length=self.max_length)
        if result["score"] >= self.min_score:
            return
        feedback = result.get("feedback") or {}
        advice = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        advice = " ".join(text for text in advice if text)
        # zxcvbn's own advice is in English only; with none, ours is translated.
        raise ValidationError(
            _("This password would be easy for someone else to guess. %(advice)s")
            % {"advice": advice or _("Try a few unrelated words together.")},
            code="password_too_weak",
        )

    def get_help_text(self):
        return _("Choose something hard to guess: a few unrelated words together work well.")

"""Measures as data: instruments (questionnaires) and their immutable versions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from alliance.instruments.scoring import localised
from patients.models import Clinic, User, validate_no_direction_controls


class Respondent(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CLINICIAN = "clinician", _("Clinician")


class Purpose(models.TextChoices):
    ALLIANCE = "alliance", pgettext_lazy("what a questionnaire measures", "Alliance")
    PAIN = "pain", pgettext_lazy("what a questionnaire measures", "Pain")
    OTHER = "other", pgettext_lazy("what a questionnaire measures", "Other")


class Instrument(models.Model):
    """A questionnaire. Built-in ones have no clinic; a clinic's own (e.g. a licensed WAI-SR) has one."""

    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="instruments")
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=200, validators=[validate_no_direction_controls])
    respondent = models.CharField(max_length=16, choices=Respondent.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    is_active = models.BooleanField(
        default=True, help_text=_("For a clinic's own instrument: used instead of the built-in one of the same kind.")
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="instrument_key_unique_per_clinic"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(clinic__isnull=True), name="instrument_key_unique_builtin"
            ),
            models.CheckConstraint(condition=Q(respondent__in=Respondent.values), name="instrument_respondent_valid"),
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="instrument_purpose_valid"),
        ]

    def __str__(self) -> str:
        return self.name


def language_name(code: str) -> str:
    """A language's own name ("español" for "es"), or the code when Django does not know it."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


class InstrumentVersion(models.Model):
    """One immutable version of an instrument's definition (see ``alliance.instruments.scoring``)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="instrument_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name} v{self.number}"

    @property
    def localised(self) -> dict:
        """The definition with its texts in the active language (see ``scoring.localised``)."""
        return localised(self.definition)

    @property
    def languages(self) -> list[str]:
        """The languages it can be answered in, by their own names: ``["English", "español"]``."""
        codes = [self.definition.get("language", "en"), *self.definition.get("translations", {})]
        return [language_name(code) for code in codes]

    @property
    def name(self) -> str:
        """The instrument's name in the active language."""
        return self.localised["name"]

    @property
    def items(self) -> list[dict]:
        """Items with their texts in the active language; keys and scoring as written."""
        return self.localised["items"]

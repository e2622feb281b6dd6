"""The audit trail: who looked at, changed, exported or signed in to what, and when.

Two kinds of record make up the trail:

- **Changes** are caught by the database. Every model that holds a patient's data is decorated with
  ``@tracked(patient=…)``: django-pghistory generates an event model beside it (``QuestionEvent`` …)
  and PostgreSQL triggers write a full snapshot of the row on every insert, update and delete, however
  the change was made (a page, a service, the Django admin, ``QuerySet.update()``, a migration or
  psql). The request's user and URL ride along as pghistory context (``pgh_context``: ``{"user":
  id, "url": path}``); a task or migration has none, and shows as "system". The values before a change
  are the previous snapshot of the same row.
- **Everything else** is an ``AuditEvent`` row: a staff member reading a patient's pages (one row per
  request), an export, a sign-in (or a failed one), a second factor reset. Nothing ever updates or
  deletes these rows (a trigger refuses it), and their links to people carry no database constraint,
  so the trail outlives whatever it is about.

``TRACKED`` lists every tracked model with the way from its events to the patient, so the audit page
can put changes and reads side by side. Only the lowest app can hold it: higher apps fill it as their
models are defined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pghistory
import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    READ = "read", _("Looked at")
    CHANGE = "change", _("Changed")
    EXPORT = "export", _("Exported")
    SIGN_IN = "sign_in", _("Signed in")
    FACTOR_RESET = "factor_reset", _("Second factor reset")


class ActorRole(models.TextChoices):
    """The role a person acted in, as it was at the time."""

    PATIENT = "patient", _("Patient")
    CLINICIAN = "clinician", _("Clinician")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
    SUPPORT = "support", _("Alliance support")
    SYSTEM = "system", _("System")
    NONE = "", _("Not signed in")


def _unconstrained(to: str, **kwargs) -> models.ForeignKey:
    """A link that never blocks deleting what it points at, and never takes the audit row with it."""
    return models.ForeignKey(
        to, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs
    )


class AuditEvent(models.Model):
    """One thing that happened to or around a patient's data, other than a change to a row.

    ``patient`` is whose data it was (empty for a sign-in or a clinic-wide export); ``clinic`` is the
    clinic whose admins see the row: the patient's, else the person's own. ``page`` is the URL name
    and ``path`` the address asked for; ``detail`` says more in plain words (what was exported, why a
    sign-in failed). Append-only.
    """

    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=AuditKind.choices)
    actor = _unconstrained("patients.User")
    actor_role = models.CharField(max_length=16, choices=ActorRole.choices, blank=True)
    patient = _unconstrained("patients.Patient")
    clinic = _unconstrained("patients.Clinic")
    page = models.CharField(max_length=100, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["clinic", "-at"], name="audit_clinic_recent"),
            models.Index(fields=["patient", "-at"], name="audit_patient_recent"),
            models.Index(fields=["actor", "-at"], name="audit_actor_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k for k in AuditKind.values if k != AuditKind.CHANGE]),
                name="audit_event_kind_valid",
            ),
            models.CheckConstraint(condition=models.Q(actor_role__in=ActorRole.values), name="audit_role_valid"),
        ]
        triggers = [pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Tracked:
    """A model whose changes are kept, and how its events lead to the patient.

    ``patient`` is a lookup from an event row to the patient's id (``"patient"``,
    ``"response__patient"``, ``"pgh_obj"`` for the Patient model itself). ``clinic`` is one to the
    clinic's id when it is not the patient's clinic (an account may be a clinician's).
    """

    model: type[models.Model]
    event_model: type[models.Model]
    patient: str
    clinic: object
    title: str


TRACKED: dict[str, Tracked] = {}


def tracked(*, patient: str, exclude: Sequence[str] = (), clinic=None, title: str = "", event_name: str = ""):
    """Keep every version of this model's rows (a class decorator; see the module docstring).

    ``exclude`` leaves out fields that are secret (a password hash) or noise (a "last seen" time):
    they are not kept, and a change to them alone writes no event. ``event_name`` names the event model
    when ``<Model>Event`` is already taken.
    """

    def wrap(model: type[models.Model]) -> type[models.Model]:
        event_model = pghistory.create_event_model(
            model,
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=list(exclude),
            model_name=event_name or f"{model.__name__}Event",
            # "events" (pghistory's default) may be a name the model already uses for something else.
            **({"obj_field": pghistory.ObjForeignKey(related_name="versions")} if event_name else {}),
            abstract=False,
        )
        TRACKED[model._meta.label] = Tracked(
            model=model,
            event_model=event_model,
            patient=patient,
            clinic=clinic if clinic is not None else f"{patient}__clinic",
            title=title or str(model._meta.verbose_name).capitalize(),
        )
        return model

    return wrap

from django.conf import settings

from patients.emails import zone_label
from patients.models import Role


def role(request):
    user = getattr(request, "user", None)
    current = user.role if user is not None and user.is_authenticated else None
    return {
        "role": current,
        "is_patient": current == Role.PATIENT,
        "is_clinician": current == Role.CLINICIAN,
        "is_clinic_admin": current == Role.CLINIC_ADMIN,
        # How long a sign-in lasts without a request, for the pages that say so.
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        "session_seconds": settings.SESSION_COOKIE_AGE,
        "session_max_hours": settings.SESSION_MAX_HOURS,
    }


def shown_zone(request) -> dict:
    """``shown_zone``: "Los Angeles time" when the person has chosen a zone other than their clinic's,
    so pages can say which zone their times are in; "" otherwise (nothing to say, and no query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.timezone:
        return {"shown_zone": ""}
    clinic = user.clinic
    clinic_zone = clinic.timezone if clinic else settings.ALLIANCE_DEFAULT_TIMEZONE
    return {"shown_zone": "" if user.timezone == clinic_zone else zone_label(user.tzinfo)}

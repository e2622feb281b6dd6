from django.conf import settings

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

"""Role checks for views. Access is denied unless a decorator lets the role in.

A wrong role gets 403: the page exists but is not for them. Objects outside the person's reach
are a different matter and answer 404, through the selectors.
"""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from patients.models import Role
from patients.selectors import second_factor_enrolled


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


patient_required = role_required(Role.PATIENT)
clinician_required = role_required(Role.CLINICIAN)
clinic_admin_required = role_required(Role.CLINIC_ADMIN)
care_staff_required = role_required(Role.CLINICIAN, Role.CLINIC_ADMIN)


# --- the second factor, asked again before sensitive changes ----------------------------------

CONFIRMED_AT = "alliance_second_factor_confirmed_at"


def second_factor_confirmed(request) -> None:
    """Record in the session that the person has just given their second factor."""
    request.session[CONFIRMED_AT] = timezone.now().timestamp()


def second_factor_recently_confirmed(request) -> bool:
    confirmed_at = request.session.get(CONFIRMED_AT)
    if not isinstance(confirmed_at, int | float):
        return False
    age = timezone.now().timestamp() - confirmed_at
    return 0 <= age <= settings.SECOND_FACTOR_RECONFIRM_MINUTES * 60


def recent_second_factor_required(view):
    """Before a change to the password, the email or the factors themselves, ask for the second factor
    again unless it was given in the last few minutes (``SECOND_FACTOR_RECONFIRM_MINUTES``).

    Someone with no second factor set up has nothing to confirm and goes straight through.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if second_factor_recently_confirmed(request) or not second_factor_enrolled(user=request.user):
            return view(request, *args, **kwargs)
        target = request.get_full_path() if request.method == "GET" else request.headers.get("Referer", "")
        query = f"?{urlencode({'next': target})}" if target else ""
        return redirect(f"{reverse('patients:confirm-it-is-you')}{query}")

    return wrapped

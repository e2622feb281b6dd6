"""Role checks for views. Access is denied unless a decorator lets the role in.

A wrong role gets 403: the page exists but is not for them. Objects outside the person's reach
are a different matter and answer 404, through the selectors.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from patients.models import Role


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

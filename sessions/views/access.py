"""Role checks that come after the object is found.

Someone who may not see the patient at all gets 404 from the selector, as if nothing were there;
only then does a role that may see the patient but not use this page (a clinic admin, or the wrong
side of the partnership) get 403. The order keeps "not yours" and "does not exist" alike.
"""

from django.core.exceptions import PermissionDenied

from patients.models import Role

PARTNERS = (Role.PATIENT, Role.CLINICIAN)


def allow(request, *roles: str) -> None:
    if request.user.role not in roles:
        raise PermissionDenied

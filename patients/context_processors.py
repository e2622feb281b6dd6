from patients.models import Role


def role(request):
    user = getattr(request, "user", None)
    current = user.role if user is not None and user.is_authenticated else None
    return {
        "role": current,
        "is_patient": current == Role.PATIENT,
        "is_clinician": current == Role.CLINICIAN,
        "is_clinic_admin": current == Role.CLINIC_ADMIN,
    }

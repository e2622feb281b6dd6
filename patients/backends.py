from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Email + password sign-in that loads the person's profile in the same query.

    Every request needs the role and clinic of its user, so ``get_user`` joins the three profile
    tables once instead of leaving each page to ask again.
    """

    def get_user(self, user_id):
        UserModel = get_user_model()
        try:
            user = UserModel._default_manager.select_related(
                "patient__clinic", "clinician__clinic", "clinic_admin__clinic"
            ).get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials):
    """Count failures per email address however it is capitalised."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower()

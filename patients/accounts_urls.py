"""Django's own sign-in, password change and password reset views, with email as the user name.

These names stay un-namespaced (``login``, ``password_reset_done`` …) because Django's views
reverse them that way.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from patients.decorators import recent_second_factor_required
from patients.forms import EmailAuthenticationForm
from patients.views import PasswordResetRequestView, PasswordResetSetView, SafeNextLoginView, SafeNextLogoutView

urlpatterns = [
    path(
        "login/",
        SafeNextLoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", SafeNextLogoutView.as_view(), name="logout"),
    path("password_reset/", PasswordResetRequestView.as_view(), name="password_reset"),
    path("reset/<uidb64>/<token>/", PasswordResetSetView.as_view(), name="password_reset_confirm"),
    # Changing the password asks for the second factor again (if the person has one).
    path(
        "password_change/",
        recent_second_factor_required(auth_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path("", include("django.contrib.auth.urls")),
]

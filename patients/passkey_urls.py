"""django-otp-webauthn's passkey ceremonies (JSON, called by its scripts), with our rules on top.

The namespace is the library's own (``otp_webauthn``): its template tags reverse these names.
"""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn.views import BeginCredentialAuthenticationView

from patients import views

app_name = "otp_webauthn"

urlpatterns = [
    path("registration/begin/", views.PasskeyRegistrationBegin.as_view(), name="credential-registration-begin"),
    path(
        "registration/complete/", views.PasskeyRegistrationComplete.as_view(), name="credential-registration-complete"
    ),
    path("authentication/begin/", BeginCredentialAuthenticationView.as_view(), name="credential-authentication-begin"),
    path(
        "authentication/complete/",
        views.PasskeyAuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]

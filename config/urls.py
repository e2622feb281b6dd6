from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config.health import healthz

admin.site.site_header = _("Alliance administration")
admin.site.site_title = _("Alliance administration")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("alliance.urls")),
    path("", include("patients.urls")),
    path("accounts/", include("patients.accounts_urls")),
    path("accounts/passkeys/", include("patients.passkey_urls")),
    path("sessions/", include("sessions.urls")),
    path("admin/", admin.site.urls),
]

from django.urls import path

from patients import views
from patients.views import audit

app_name = "patients"

urlpatterns = [
    path("accounts/invitation/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("accounts/me/", views.account, name="account"),
    path("accounts/me/email/", views.email_change, name="email-change"),
    path("accounts/me/email/confirm/<str:token>/", views.email_change_confirm, name="email-change-confirm"),
    path("accounts/keepalive/", views.keepalive, name="keepalive"),
    path("accounts/second-step/", views.second_factor, name="second-factor"),
    path("accounts/second-step/set-up/", views.second_factor_setup, name="second-factor-setup"),
    path("accounts/second-step/confirm/", views.confirm_it_is_you, name="confirm-it-is-you"),
    path("accounts/security/", views.security, name="security"),
    path("accounts/security/turn-off/", views.second_factor_turn_off, name="second-factor-turn-off"),
    path("accounts/security/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("accounts/security/recovery-codes/new/", views.recovery_codes_new, name="recovery-codes-new"),
    path("accounts/security/passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey-remove"),
    path("clinic/audit/", audit.audit, name="audit"),
    path("clinic/settings/", views.clinic_settings, name="clinic-settings"),
    path("urgent-help/", views.urgent_help, name="urgent-help"),
    path("clinic/people/", views.people, name="people"),
    path("clinic/people/invite/", views.invite, name="invite"),
    path("clinic/people/invited/<int:pk>/", views.invitation, name="invitation"),
    path("clinic/people/invited/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("clinic/people/invited/<int:pk>/cancel/", views.invitation_cancel, name="invitation-cancel"),
    path("clinic/people/<int:pk>/", views.person, name="person"),
    path("clinic/people/<int:pk>/care-team/add/", views.care_team_add, name="care-team-add"),
    path("clinic/people/<int:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("clinic/people/<int:pk>/second-step/reset/", views.factors_reset, name="factors-reset"),
    path("clinic/people/<int:pk>/resend-invitation/", views.resend_invitation, name="resend-invitation"),
]

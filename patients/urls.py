from django.urls import path

from patients import views
from patients.views import audit

app_name = "patients"

urlpatterns = [
    path("accounts/invitation/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("accounts/me/", views.account, name="account"),
    path("accounts/keepalive/", views.keepalive, name="keepalive"),
    path("clinic/audit/", audit.audit, name="audit"),
    path("clinic/people/", views.people, name="people"),
    path("clinic/people/invite/", views.invite, name="invite"),
    path("clinic/people/<int:pk>/", views.person, name="person"),
    path("clinic/people/<int:pk>/care-team/add/", views.care_team_add, name="care-team-add"),
    path("clinic/people/<int:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("clinic/people/<int:pk>/resend-invitation/", views.resend_invitation, name="resend-invitation"),
]

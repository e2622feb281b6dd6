from django.urls import path

from sessions import views

app_name = "care_sessions"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("new/", views.session_new, name="new"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/reschedule/", views.session_reschedule, name="reschedule"),
    path("<int:pk>/cancel/", views.session_cancel, name="cancel"),
    path("<int:pk>/outcome/", views.session_outcome, name="outcome"),
]

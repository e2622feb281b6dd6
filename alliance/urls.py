from django.urls import path

from alliance import views, views_checkins

app_name = "alliance"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("patients/<int:pk>/", views.patient_detail, name="patient"),
    path("checkin/", views_checkins.checkin, name="checkin"),
    path("checkin/<int:pk>/thank-you/", views_checkins.checkin_done, name="checkin-done"),
    path("progress/", views_checkins.progress, name="progress"),
    path("sessions/<int:pk>/rating/", views_checkins.rating, name="rating"),
    path("alerts/<int:pk>/acknowledge/", views_checkins.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", views_checkins.alert_resolve_view, name="alert-resolve"),
    path("clinic/instruments/", views_checkins.instruments, name="instruments"),
    path("clinic/instruments/import/", views_checkins.instrument_import_view, name="instrument-import"),
    path("clinic/instruments/<int:pk>/", views_checkins.instrument_detail, name="instrument"),
]

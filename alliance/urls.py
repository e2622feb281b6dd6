from django.urls import path

from alliance import views, views_checkins, views_reports

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
    path("clinic/reports/", views_reports.reports, name="reports"),
    path("clinic/reports/clinicians/", views_reports.report_clinicians, name="report-clinicians"),
    path("clinic/reports/trends/", views_reports.report_trends_view, name="report-trends"),
    path("clinic/exports/", views_reports.exports, name="exports"),
    path("clinic/exports/new/", views_reports.export_new, name="export-new"),
    path("clinic/exports/<int:pk>/", views_reports.export_detail, name="export"),
    path("clinic/exports/<int:pk>/progress/", views_reports.export_progress, name="export-progress"),
    path("clinic/exports/<int:pk>/download/", views_reports.export_download, name="export-download"),
    path("my-data/", views_reports.my_data, name="my-data"),
    path("my-data/alliance-record.json", views_reports.my_data_json, name="my-data-json"),
    path("my-data/alliance-record.fhir.json", views_reports.my_data_fhir, name="my-data-fhir"),
]

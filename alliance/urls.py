from django.urls import path

from alliance import views

app_name = "alliance"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("patients/<int:pk>/", views.patient_detail, name="patient"),
]

from django.contrib import admin

from sessions.models import CareSession


@admin.register(CareSession)
class CareSessionAdmin(admin.ModelAdmin):
    list_display = ("patient", "clinician", "starts_at", "duration_minutes", "mode", "status")
    list_filter = ("status", "mode", "clinician__clinic")
    date_hierarchy = "starts_at"
    search_fields = ("patient__user__full_name", "clinician__user__full_name")
    list_select_related = ("patient__user", "clinician__user")
    raw_id_fields = ("patient", "clinician", "created_by")

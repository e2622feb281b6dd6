from django.contrib import admin

from patients.admin import AuditedReadsAdmin
from sessions.models import AgendaItem, CareSession, HomePlan, Reminder, SessionRecord


@admin.register(CareSession)
class CareSessionAdmin(AuditedReadsAdmin):
    list_display = ("patient", "clinician", "starts_at", "duration_minutes", "mode", "status")
    list_filter = ("status", "mode", "clinician__clinic")
    date_hierarchy = "starts_at"
    search_fields = ("patient__user__full_name", "clinician__user__full_name")
    list_select_related = ("patient__user", "clinician__user")
    raw_id_fields = ("patient", "clinician", "created_by")


class ReadOnlyAdmin(AuditedReadsAdmin):
    """The record is changed through the product's own pages, where the rules live; here it is read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ("text", "patient", "care_session", "source", "status", "created_at")
    list_filter = ("source", "status")
    list_select_related = ("patient__user", "care_session")


@admin.register(SessionRecord)
class SessionRecordAdmin(ReadOnlyAdmin):
    list_display = ("care_session", "written_by", "written_at", "takeaway_at")
    list_select_related = ("care_session__patient__user", "care_session__clinician__user", "written_by")


@admin.register(HomePlan)
class HomePlanAdmin(ReadOnlyAdmin):
    list_display = ("patient", "version", "created_by", "created_at")
    list_select_related = ("patient__user", "created_by")


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "kind", "status", "due_at", "sent_at", "attempts", "skipped_reason")
    list_filter = ("kind", "status")
    date_hierarchy = "due_at"
    search_fields = ("recipient__email", "recipient__full_name")
    list_select_related = ("recipient",)

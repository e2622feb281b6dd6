"""The Django admin, for superusers. Responses and alerts are read-only: they are the record."""

from django.contrib import admin

from alliance.models import Alert, Answer, CheckIn, Export, Instrument, InstrumentVersion, Response
from patients.admin import AuditedReadsAdmin


class ReadOnlyAdmin(AuditedReadsAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = InstrumentVersion
    fields = ("number", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "clinic", "respondent", "purpose", "is_active")
    list_filter = ("purpose", "respondent", "is_active", "clinic")
    search_fields = ("name", "key")
    readonly_fields = ("key", "clinic", "respondent", "purpose", "created_at", "created_by")
    fields = ("name", "is_active", *readonly_fields)
    inlines = [VersionInline]

    def has_add_permission(self, request):
        return False  # instruments come in as JSON: `manage.py import_instrument` or the clinic page


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(ReadOnlyAdmin):
    list_display = ("instrument", "number", "created_at")
    list_select_related = ("instrument",)


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("item_key", "value")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ("instrument", "patient", "respondent_role", "total", "submitted_at")
    list_filter = ("instrument", "respondent_role")
    list_select_related = ("instrument", "patient__user")
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ("patient", "care_session", "submitted_at")
    list_select_related = ("patient__user", "care_session")
    date_hierarchy = "submitted_at"


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("patient", "kind", "raised_at", "acknowledged_at", "resolved_at")
    list_filter = ("kind",)
    list_select_related = ("patient__user",)
    date_hierarchy = "raised_at"


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    """The record of every export. Read-only: it is the audit trail of data leaving Alliance."""

    list_display = ("created_at", "requested_by", "clinic", "dataset", "format", "identified", "status", "rows_written")
    list_filter = ("status", "dataset", "format", "identified", "clinic")
    search_fields = ("requested_by__email", "requested_by__full_name", "filters_description", "purpose")
    list_select_related = ("requested_by", "clinic")
    date_hierarchy = "created_at"

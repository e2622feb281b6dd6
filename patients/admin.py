from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from patients.models import CareTeamMembership, Clinic, ClinicAdmin, Clinician, Invitation, Patient, User
from patients.selectors.audit import read_note


class AuditedReadsAdmin(admin.ModelAdmin):
    """A superuser opening a patient's row here is audited as a read, like a page of the product.

    The admin fetches the row through ``get_object``; noting it there lets ``ReadAuditMiddleware``
    write the entry after the page, under the patient's clinic, where that clinic's admins see it.
    """

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is not None:
            read_note(found)
        return found


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditedReadsAdmin, DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ("full_name",)
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name")
    readonly_fields = ("date_joined", "last_login", "deactivated_at", "deactivated_by")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "timezone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login", "deactivated_at", "deactivated_by")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)


@admin.register(Clinic)
class ClinicAdminSite(admin.ModelAdmin):
    list_display = ("name", "timezone", "created_at")
    search_fields = ("name",)


class CareTeamInline(admin.TabularInline):
    model = CareTeamMembership
    extra = 0
    autocomplete_fields = ("clinician",)
    readonly_fields = ("added_by", "added_at")


@admin.register(Patient)
class PatientAdmin(AuditedReadsAdmin):
    list_display = ("__str__", "clinic", "created_at")
    list_filter = ("clinic",)
    search_fields = ("user__full_name", "user__email")
    list_select_related = ("user", "clinic")
    autocomplete_fields = ("user",)
    inlines = [CareTeamInline]


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = ("__str__", "clinic", "profession")
    list_filter = ("clinic", "profession")
    search_fields = ("user__full_name", "user__email")
    list_select_related = ("user", "clinic")
    autocomplete_fields = ("user",)


@admin.register(ClinicAdmin)
class ClinicAdminMembershipAdmin(admin.ModelAdmin):
    list_display = ("__str__", "clinic")
    list_filter = ("clinic",)
    list_select_related = ("user", "clinic")
    autocomplete_fields = ("user",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("user", "clinic", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("clinic",)
    list_select_related = ("user", "clinic")
    readonly_fields = ("token_hash",)
    search_fields = ("user__email",)

"""Reminder preferences, the record of reminders sent, and the one-click opt-out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patients.decorators import clinic_admin_required
from patients.forms import form_save, form_status
from patients.models import Role
from patients.selectors import person_get_for_admin
from sessions import selectors, services
from sessions.forms import ReminderPreferenceForm
from sessions.models import ReminderKind

PAGE = 50


@require_http_methods(["GET", "POST"])
def reminder_preferences(request):
    role = request.user.role
    preference = services.reminder_preference_for(user=request.user)
    initial = {name: getattr(preference, name) for name in ReminderPreferenceForm.base_fields}
    form = ReminderPreferenceForm(request.POST or None, role=role, initial=initial)
    if request.method == "POST" and (
        form_save(form, lambda data: services.reminder_preference_save(user=request.user, **data))
    ):
        messages.success(request, _("Your reminder choices are saved."))
        return redirect("care_sessions:reminder-preferences")
    return render(
        request,
        "care_sessions/reminder_preferences.html",
        {
            "form": form,
            "timezone_name": str(request.user.tzinfo),
            "sends_nothing": role not in (Role.PATIENT, Role.CLINICIAN),
        },
        status=form_status(form),
    )


def reminders_mine(request):
    page = Paginator(selectors.reminders_for_recipient(user=request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "care_sessions/reminders.html", {"page": page, "mine": True})


@clinic_admin_required
def reminders_clinic(request):
    reminders = selectors.reminders_for_clinic(user=request.user)
    kind = request.GET.get("kind", "")
    if kind in ReminderKind.values:
        reminders = reminders.filter(kind=kind)
    page = Paginator(reminders, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "care_sessions/reminders.html",
        {"page": page, "mine": False, "kinds": ReminderKind.choices, "kind": kind},
    )


@clinic_admin_required
def reminders_person(request, pk):
    person = person_get_for_admin(user=request.user, pk=pk)
    reminders = selectors.reminders_for_clinic(user=request.user).filter(recipient=person)
    page = Paginator(reminders, PAGE).get_page(request.GET.get("page"))
    return render(request, "care_sessions/reminders.html", {"page": page, "mine": False, "person": person})


@login_not_required
@never_cache
@csrf_exempt  # the signed token is the credential; mail clients' one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows one button (link scanners must not opt anyone out); POST turns the kind off."""
    found = services.unsubscribe_check(token=token)
    if found is None:
        return render(request, "care_sessions/unsubscribe.html", {"unknown": True}, status=404)
    done = False
    if request.method == "POST":
        services.reminder_kind_turn_off(user=found.user, kind=found.kind)
        done = True
    return render(request, "care_sessions/unsubscribe.html", {"found": found, "done": done})

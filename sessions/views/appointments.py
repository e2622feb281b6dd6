from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patients.decorators import care_staff_required
from patients.forms import changed_meanwhile, form_save, form_status
from patients.models import Role
from patients.selectors import clinicians_for_user, patient_get, patients_for_user
from sessions import selectors, services
from sessions.forms import CancelForm, OutcomeForm, ScheduleForm, SessionTimeForm
from sessions.models import SessionStatus


def session_list(request):
    if request.user.role is None:
        return render(request, "no_role.html", status=403)
    past = Paginator(selectors.care_sessions_past(user=request.user), 20).get_page(request.GET.get("page"))
    context = {
        "upcoming": selectors.care_sessions_upcoming(user=request.user)[:50],
        "past": past,
        "awaiting_outcome": (
            selectors.care_sessions_awaiting_outcome(user=request.user) if request.user.role != Role.PATIENT else []
        ),
    }
    return render(request, "care_sessions/list.html", context)


def session_detail(request, pk):
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    return render(request, "care_sessions/detail.html", {"care_session": care_session})


@care_staff_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    user = request.user
    patients = patients_for_user(user=user).filter(user__is_active=True).order_by("user__full_name")
    if user.role == Role.CLINICIAN:
        clinicians = clinicians_for_user(user=user).filter(pk=user.clinician.pk)
    else:
        clinicians = clinicians_for_user(user=user).filter(user__is_active=True).order_by("user__full_name")
    initial = {}
    if request.GET.get("patient"):
        initial["patient"] = patient_get(user=user, pk=request.GET["patient"])
    if user.role == Role.CLINICIAN:
        initial["clinician"] = user.clinician
    form = ScheduleForm(request.POST or None, patients=patients, clinicians=clinicians, initial=initial)
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: services.care_session_schedule(
                by=user,
                patient=data["patient"],
                clinician=data["clinician"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                mode=data["mode"],
            ),
        )
    ):
        care_session = saved.value
        messages.success(
            request, _("The session with %(name)s is booked.") % {"name": care_session.patient.user.full_name}
        )
        return redirect("care_sessions:detail", pk=care_session.pk)
    return render(request, "care_sessions/schedule.html", {"form": form}, status=form_status(form))


@care_staff_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request, pk):
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    gone = _("This session is no longer scheduled, so it can't be moved.")
    if not care_session.can_change and request.method != "POST":
        messages.info(request, gone)
        return redirect("care_sessions:detail", pk=care_session.pk)
    form = SessionTimeForm(
        request.POST or None,
        initial={
            "starts_at": care_session.starts_at,
            "duration_minutes": care_session.duration_minutes,
            "mode": care_session.mode,
        },
    )
    if not care_session.can_change:
        # Cancelled or recorded while this form was open: say so, keep what was typed.
        changed_meanwhile(
            form,
            _("%(gone)s Meanwhile, %(what_happened)s.") % {"gone": gone, "what_happened": care_session.what_happened},
        )
    elif request.method == "POST" and (
        form_save(
            form, lambda data: services.care_session_reschedule(by=request.user, care_session=care_session, **data)
        )
    ):
        messages.success(request, _("The session has moved. The patient will see the new time."))
        return redirect("care_sessions:detail", pk=care_session.pk)
    return render(
        request, "care_sessions/reschedule.html", {"form": form, "care_session": care_session}, status=form_status(form)
    )


@care_staff_required
@require_http_methods(["GET", "POST"])
def session_cancel(request, pk):
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    if not care_session.can_change and request.method != "POST":
        messages.info(request, _("This session is no longer scheduled."))
        return redirect("care_sessions:detail", pk=care_session.pk)
    form = CancelForm(request.POST or None)
    if not care_session.can_change:
        changed_meanwhile(
            form,
            _("This session is no longer scheduled: meanwhile, %(what_happened)s. Nothing was changed.")
            % {"what_happened": care_session.what_happened},
        )
    elif request.method == "POST" and (
        form_save(
            form,
            lambda data: services.care_session_cancel(
                by=request.user, care_session=care_session, reason=data["reason"]
            ),
        )
    ):
        messages.success(request, _("The session is cancelled."))
        return redirect("care_sessions:detail", pk=care_session.pk)
    return render(
        request, "care_sessions/cancel.html", {"form": form, "care_session": care_session}, status=form_status(form)
    )


@care_staff_required
@require_http_methods(["GET", "POST"])
def session_outcome(request, pk):
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    if not care_session.awaits_outcome and care_session.status not in (SessionStatus.DONE, SessionStatus.MISSED):
        messages.info(request, _("You can record what happened once the session's time has come."))
        return redirect("care_sessions:detail", pk=care_session.pk)
    form = OutcomeForm(request.POST or None, initial={"status": care_session.status})
    if request.method == "POST" and (
        form_save(
            form,
            lambda data: services.care_session_record_outcome(
                by=request.user, care_session=care_session, status=data["status"]
            ),
        )
    ):
        messages.success(request, _("Thank you, that's recorded."))
        return redirect("care_sessions:detail", pk=care_session.pk)
    return render(
        request, "care_sessions/outcome.html", {"form": form, "care_session": care_session}, status=form_status(form)
    )

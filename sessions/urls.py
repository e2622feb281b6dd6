from django.urls import path

from sessions.views import agenda, appointments, handover, plans, reminders

app_name = "care_sessions"

urlpatterns = [
    path("", appointments.session_list, name="list"),
    path("new/", appointments.session_new, name="new"),
    path("<int:pk>/", appointments.session_detail, name="detail"),
    path("<int:pk>/reschedule/", appointments.session_reschedule, name="reschedule"),
    path("<int:pk>/cancel/", appointments.session_cancel, name="cancel"),
    path("<int:pk>/outcome/", appointments.session_outcome, name="outcome"),
    # the shared agenda and the session record
    path("<int:pk>/agenda/", agenda.agenda, name="agenda"),
    path("<int:pk>/record/", agenda.session_record, name="record"),
    path("<int:pk>/takeaway/", agenda.session_takeaway, name="takeaway"),
    path("agenda-items/<int:pk>/move/", agenda.agenda_move, name="agenda-move"),
    path("agenda-items/<int:pk>/park/", agenda.agenda_park, name="agenda-park"),
    path("agenda-items/<int:pk>/answered/", agenda.agenda_answer, name="agenda-answered"),
    path("agenda-items/<int:pk>/same-as/", agenda.agenda_merge, name="agenda-merge"),
    path("agenda-items/<int:pk>/bring-back/", agenda.agenda_bring_back, name="agenda-bring-back"),
    # home plans
    path("patients/<int:pk>/plan/", plans.plan, name="plan"),
    path("patients/<int:pk>/plan/versions/", plans.plan_versions, name="plan-versions"),
    path("plan-items/<int:pk>/edit/", plans.plan_item_edit, name="plan-item-edit"),
    path("plan-items/<int:pk>/remove/", plans.plan_item_remove, name="plan-item-remove"),
    path("plan-items/<int:pk>/rate/", plans.plan_item_rate, name="plan-item-rate"),
    path("plan-items/<int:pk>/log/", plans.practice_log, name="practice-log"),
    # before a clinician leaves a care team or an account closes: every appointment ahead is decided
    path(
        "handover/people/<int:pk>/care-team/<int:clinician_pk>/",
        handover.care_team_leave_view,
        name="care-team-leave",
    ),
    path("handover/people/<int:pk>/close/", handover.account_close_view, name="account-close"),
    # reminders
    path("reminders/", reminders.reminders_mine, name="reminders"),
    path("reminders/preferences/", reminders.reminder_preferences, name="reminder-preferences"),
    path("reminders/clinic/", reminders.reminders_clinic, name="reminders-clinic"),
    path("reminders/people/<int:pk>/", reminders.reminders_person, name="reminders-person"),
    path("reminders/unsubscribe/<str:token>/", reminders.unsubscribe, name="unsubscribe"),
]

from django.urls import path

from alliance import views, views_checkins
from alliance import views_record as record

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

# The shared record. Every URL names the patient; the patient's own pages use their own id.
R = "patients/<int:pk>/record/"
urlpatterns += [
    path("record/overview/", record.record_overview, name="record-overview"),
    path(R, record.record_home, name="record"),
    path(R + "notes/new/", record.note_new, name="record-note-new"),
    path(R + "questions/", record.questions, name="record-questions"),
    path(R + "questions/new/", record.question_new, name="record-question-new"),
    path(R + "questions/<int:item>/", record.question_detail, name="record-question"),
    path(R + "questions/<int:item>/answer/", record.question_answer, name="record-question-answer"),
    path(R + "questions/<int:item>/feedback/", record.question_feedback, name="record-question-feedback"),
    path(R + "goals/", record.goals, name="record-goals"),
    path(R + "goals/new/", record.goal_new, name="record-goal-new"),
    path(R + "goals/<int:item>/", record.goal_detail, name="record-goal"),
    path(R + "goals/<int:item>/accept/", record.goal_accept, name="record-goal-accept"),
    path(R + "goals/<int:item>/rate/", record.goal_rate, name="record-goal-rate"),
    path(R + "goals/<int:item>/status/", record.goal_status, name="record-goal-status"),
    path(R + "journal/", record.journal, name="record-journal"),
    path(R + "journal/wins/new/", record.win_new, name="record-win-new"),
    path(R + "journal/wins/<int:item>/acknowledge/", record.win_acknowledge, name="record-win-acknowledge"),
    path(R + "journal/setbacks/new/", record.setback_new, name="record-setback-new"),
    path(R + "journal/setbacks/<int:item>/agenda/", record.setback_agenda, name="record-setback-agenda"),
    path(R + "explanations/", record.explanations, name="record-explanations"),
    path(R + "explanations/new/", record.explanation_new, name="record-explanation-new"),
    path(R + "explanations/<int:item>/", record.explanation_detail, name="record-explanation"),
    path(R + "explanations/<int:item>/revise/", record.explanation_revise, name="record-explanation-revise"),
    path(R + "explanations/<int:item>/respond/", record.explanation_respond, name="record-explanation-respond"),
    path(
        R + "explanations/<int:item>/responses/<int:response>/talked-through/",
        record.explanation_talked,
        name="record-explanation-talked",
    ),
    path(
        R + "explanations/<int:item>/responses/<int:response>/felt-heard/",
        record.explanation_heard,
        name="record-explanation-heard",
    ),
    path(R + "decisions/", record.decisions, name="record-decisions"),
    path(R + "decisions/new/", record.decision_new, name="record-decision-new"),
    path(R + "decisions/<int:item>/", record.decision_detail, name="record-decision"),
    path(R + "decisions/<int:item>/options/new/", record.option_new, name="record-option-new"),
    path(R + "decisions/<int:item>/share/", record.decision_share, name="record-decision-share"),
    path(R + "decisions/<int:item>/preference/", record.decision_preference, name="record-decision-preference"),
    path(R + "decisions/<int:item>/check/", record.decision_check, name="record-decision-check"),
    path(R + "story/", record.story, name="record-story"),
    path(R + "story/new/", record.story_new, name="record-story-new"),
    path(R + "story/<int:item>/", record.story_entry, name="record-story-entry"),
    path(R + "story/<int:item>/passages/", record.story_passage, name="record-story-passage"),
    path(R + "story/<int:item>/what-i-heard/", record.story_reflect, name="record-story-reflect"),
    path(
        R + "story/what-i-heard/<int:item>/respond/",
        record.story_reflection_respond,
        name="record-story-reflection-respond",
    ),
    path(R + "items/<slug:kind>/<int:item>/edit/", record.item_edit, name="record-item-edit"),
    path(R + "items/<slug:kind>/<int:item>/withdraw/", record.item_withdraw, name="record-item-withdraw"),
    path(R + "items/<slug:kind>/<int:item>/history/", record.item_history, name="record-item-history"),
]

"""Questions the patient wants to ask, answers, and whether an answer helped."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.models import (
    Question,
    QuestionReply,
    QuestionRoute,
    QuestionStatus,
    ReplyKind,
)
from alliance.services.record.common import agenda_text, clean_text, require_live, save_fields
from patients.models import AuditEvent, Patient, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add, agenda_item_settle
from sessions.services.access import check_care_team, check_is_patient


def question_ask(*, patient: Patient, by: User, text: str, worried_silly: bool, route: str) -> Question:
    check_is_patient(user=by, patient=patient)
    text = clean_text(
        text, field="text", limit=2000, required=_("Please write your question. Any question is welcome.")
    )
    if route not in QuestionRoute.values:
        raise ValidationError({"route": _("Please choose when you'd like to talk about it.")})
    with transaction.atomic():
        question = Question.objects.create(
            patient=patient,
            created_by=by,
            last_activity_by=by,
            text=text,
            worried_silly=bool(worried_silly),
            route=route,
        )
        if route == QuestionRoute.NEXT_SESSION:
            agenda_item_add(
                patient=patient,
                text=agenda_text(text),
                source=AgendaSource.QUESTION,
                source_ref=f"question:{question.pk}",
                raised_by=by,
            )
    return question


def question_answer(*, question: Question, by: User, body: str, in_session: bool = False) -> QuestionReply:
    """A clinician answers in writing, or records that they talked it through in a session."""
    check_care_team(user=by, patient=question.patient)
    require_live(question)
    required = None if in_session else _("Please write your answer.")
    body = clean_text(body, field="body", limit=4000, required=required)
    with transaction.atomic():
        reply = QuestionReply.objects.create(
            question=question,
            kind=ReplyKind.TALKED_IN_SESSION if in_session else ReplyKind.ANSWER,
            body=body,
            author=by,
        )
        question.status = QuestionStatus.ANSWERED
        question.touch(by=by, at=reply.created_at)
        save_fields(question, "status", "last_activity_at", "last_activity_by")
        if in_session:
            agenda_item_settle(
                patient=question.patient, source=AgendaSource.QUESTION, source_ref=f"question:{question.pk}"
            )
    return reply


def question_feedback(
    *, question: Question, by: User, helped: bool, words: str = "", raise_next_session: bool = False
) -> QuestionReply:
    """The patient says the answer helps, or that it is still unclear (which keeps the question open)."""
    check_is_patient(user=by, patient=question.patient)
    require_live(question)
    if question.status != QuestionStatus.ANSWERED:
        raise ValidationError(_("You can say how the answer landed once your clinician has answered."))
    words = clean_text(words, field="words", limit=2000)
    with transaction.atomic():
        reply = QuestionReply.objects.create(
            question=question, kind=ReplyKind.HELPED if helped else ReplyKind.STILL_UNCLEAR, body=words, author=by
        )
        question.status = QuestionStatus.HELPED if helped else QuestionStatus.STILL_UNCLEAR
        question.touch(by=by, at=reply.created_at)
        save_fields(question, "status", "last_activity_at", "last_activity_by")
        if not helped and raise_next_session:
            agenda_item_add(
                patient=question.patient,
                text=lambda: agenda_text(_("Still unclear: %(question)s") % {"question": question.text}),
                source=AgendaSource.QUESTION,
                source_ref=f"question:{question.pk}:reply:{reply.pk}",
                raised_by=by,
            )
    return reply


def question_about_access(*, patient: Patient, by: User, entry: AuditEvent, text: str, times: int = 1) -> Question:
    """The patient asks about someone looking at their record: a question for their next session.

    It goes the way every question raised for a session goes (``question_ask``, onto the shared agenda),
    opening with who looked, on which day (in the patient's own time zone) and, when ``times`` is more
    than one, how many times that day; then the patient's words.
    ``entry`` must be one of this patient's "who has looked" entries (``PermissionDenied`` otherwise).
    """
    check_is_patient(user=by, patient=patient)
    if entry.patient_id != patient.pk:
        raise PermissionDenied
    words = clean_text(text, field="text", limit=1500, required=_("Please say what you'd like to ask."))
    day = timezone.localtime(entry.at, by.tzinfo)
    who = entry.actor.full_name if entry.actor is not None else _("Someone")
    values = {"who": who, "day": date_format(day, "DATE_FORMAT"), "times": times, "words": words}
    if times > 1:
        about = ngettext(
            "About %(who)s looking at my record on %(day)s (%(times)s time that day): %(words)s",
            "About %(who)s looking at my record on %(day)s (%(times)s times that day): %(words)s",
            times,
        )
    else:
        about = _("About %(who)s looking at my record on %(day)s: %(words)s")
    about = about % values
    return question_ask(patient=patient, by=by, text=about, worried_silly=False, route=QuestionRoute.NEXT_SESSION)

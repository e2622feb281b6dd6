"""Questions: the list, asking one, answering, and the patient's feedback on an answer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.record import (
    AnswerForm,
    FeedbackForm,
    QuestionForm,
)
from alliance.models import QuestionRoute, QuestionStatus, RecordSection, ReplyKind
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import (
    CLINICIAN_ONLY,
    PATIENT_ONLY,
    done,
    record_page,
    record_url,
    seen_since,
    with_permissions,
)
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


@require_GET
def questions(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = seen_since(request, patient, RecordSection.QUESTIONS)
    items = sel.mark_new(list(sel.questions_for(user=request.user, patient=patient)), user=request.user, since=since)
    open_items = [q for q in items if q.is_open and not q.is_withdrawn]
    other = [q for q in items if q not in open_items]
    return record_page(
        request, "alliance/record/questions.html", patient, RecordSection.QUESTIONS, open_items=open_items, other=other
    )


@resume_form(lambda request, **kwargs: QuestionForm())
@require_http_methods(["GET", "POST"])
def question_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    form = QuestionForm(request.POST or None, initial={"route": QuestionRoute.NEXT_SESSION})
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.question_ask(patient=patient, by=request.user, **data))
    ):
        question = saved.value
        text = (
            _("Thank you. Your question is on the agenda for your next appointment.")
            if question.route == QuestionRoute.NEXT_SESSION
            else _("Thank you. Your clinician will answer it in writing.")
        )
        return done(request, text, record_url("record-question", patient, question.pk))
    return record_page(request, "alliance/record/question_new.html", patient, RecordSection.QUESTIONS, form=form)


def _question_page(request, patient, question, **forms):
    with_permissions([question], request.user, patient)
    is_clinician = request.user.role == Role.CLINICIAN
    talked = next((r for r in question.replies.all() if r.kind == ReplyKind.TALKED_IN_SESSION), None)
    context = {
        "question": question,
        "talked_in_session": talked,
        "answer_form": forms.get("answer_form") or (AnswerForm() if is_clinician else None),
        "feedback_form": forms.get("feedback_form")
        or (FeedbackForm() if not is_clinician and question.status == QuestionStatus.ANSWERED else None),
    }
    return record_page(request, "alliance/record/question.html", patient, RecordSection.QUESTIONS, **context)


@require_GET
def question_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    question = sel.question_get(user=request.user, patient=patient, pk=item)
    return _question_page(request, patient, question)


@resume_form(lambda request, **kwargs: AnswerForm())
@require_POST
def question_answer(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    question = sel.question_get(user=request.user, patient=patient, pk=item)
    form = AnswerForm(request.POST)
    if saved := form_save(form, lambda data: svc.question_answer(question=question, by=request.user, **data)):
        text = _("Marked as talked through in a session.") if saved.value.body == "" else _("Your answer is shared.")
        return done(request, text, record_url("record-question", patient, question.pk))
    return _question_page(request, patient, question, answer_form=form)


@resume_form(lambda request, **kwargs: FeedbackForm())
@require_POST
def question_feedback(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    question = sel.question_get(user=request.user, patient=patient, pk=item)
    form = FeedbackForm(request.POST)
    if form_save(
        form,
        lambda data: svc.question_feedback(
            question=question,
            by=request.user,
            helped=data["outcome"] == ReplyKind.HELPED,
            words=data["words"],
            raise_next_session=data["raise_next_session"],
        ),
    ):
        data = form.cleaned_data
        text = (
            _("Thank you for letting us know.")
            if data["outcome"] == ReplyKind.HELPED
            else _("Thank you for saying so. The question stays open, and your clinician will come back to it.")
        )
        return done(request, text, record_url("record-question", patient, question.pk))
    return _question_page(request, patient, question, feedback_form=form)

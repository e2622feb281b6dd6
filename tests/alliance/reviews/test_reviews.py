"""Step-back reviews: due every few sessions (the clinic's setting) or when either side asks; written
honestly beside the patient's own figures; answered by the patient, whose disagreement lands on the agenda."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance.models import StepBackReview
from alliance.selectors.reviews import review_figures, review_status
from alliance.services.checkins import checkin_submit
from alliance.services.record import goal_rate
from alliance.services.reviews import review_ask, review_reflect, review_write
from sessions.models import AgendaItem, AgendaSource, Reminder, ReminderKind, SessionStatus
from tests.alliance.record import helpers as h
from tests.factories import CareSessionFactory
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

ALLIANCE_KEYS = ("relationship", "goals", "approach", "overall")
PARTS = {
    "what_changed": "You're walking further than in the spring.",
    "what_hasnt": "The evenings are still hard.",
    "going_on": "Your nervous system is still on high alert after a long day.",
    "try_next": "Pacing the afternoons, and a short wind-down routine.",
}


def sessions_done(cast, n, *, days_ago=30):
    for i in range(n):
        CareSessionFactory(
            patient=cast.alice,
            clinician=cast.bob,
            starts_at=timezone.now() - timedelta(days=days_ago - i),
            status=SessionStatus.DONE,
        )


def url(name, cast, *args):
    return reverse(f"alliance:{name}", args=[cast.alice.pk, *args])


# --- when a review is due --------------------------------------------------------------------------


def test_a_review_is_due_after_the_clinics_number_of_sessions(cast):
    cast.riverside.review_every_sessions = 3
    cast.riverside.save()
    sessions_done(cast, 2)
    assert not review_status(patient=cast.alice).due
    sessions_done(cast, 1, days_ago=5)
    status = review_status(patient=cast.alice)
    assert status.due and status.sessions_since == 3 and status.every == 3


def test_writing_a_review_starts_the_count_again(cast):
    cast.riverside.review_every_sessions = 2
    cast.riverside.save()
    sessions_done(cast, 2)
    review_write(patient=cast.alice, by=cast.bob.user, **PARTS)
    status = review_status(patient=cast.alice)
    assert not status.due and status.sessions_since == 0 and status.sessions_to_go == 2


def test_a_patient_asks_for_a_review_and_it_lands_on_the_agenda_once(client, cast):
    client.force_login(cast.alice.user)
    response = client.post(url("review-ask", cast), follow=True)
    assert "Your clinician will write a step-back review" in page_text(response)
    client.post(url("review-ask", cast))
    review = StepBackReview.objects.get(patient=cast.alice)
    assert review.asked_by == cast.alice.user and review.written_at is None
    item = AgendaItem.objects.get(patient=cast.alice, source=AgendaSource.REVIEW)
    assert item.care_session == cast.alice_session and item.raised_by == cast.alice.user
    assert item.text.startswith("I'd like a step-back review")
    assert review_status(patient=cast.alice).due


def test_someone_off_the_care_team_cannot_ask(cast):
    with pytest.raises(PermissionDenied):
        review_ask(patient=cast.alice, by=cast.carol.user)
    assert not StepBackReview.objects.exists()


def test_the_caseload_and_the_patient_page_show_a_review_is_due(client, cast):
    review_ask(patient=cast.alice, by=cast.alice.user)
    client.force_login(cast.bob.user)
    home = page_text(client.get(reverse("alliance:home")))
    assert "Step-back review asked for" in home
    assert url("reviews", cast) in home
    assert "A step-back review was asked for" in page_text(
        client.get(reverse("alliance:patient", args=[cast.alice.pk]))
    )


def test_a_patient_with_no_review_due_has_no_marker_on_the_caseload(client, cast):
    client.force_login(cast.bob.user)
    assert "Step-back review" not in page_text(client.get(reverse("alliance:home")))


def test_the_digest_lists_the_reviews_to_write(cast):
    from tests.care_sessions.test_reminders import _send_due, no_quiet_hours

    cast.alice_session.starts_at = timezone.now() + timedelta(days=5)
    cast.alice_session.save()
    review_ask(patient=cast.alice, by=cast.alice.user)
    no_quiet_hours(cast.bob.user)
    Reminder.objects.create(
        recipient=cast.bob.user,
        kind=ReminderKind.DIGEST,
        dedupe_key="digest:today",
        due_at=timezone.now() - timedelta(minutes=1),
    )
    assert _send_due() == {"sent": 1}
    body = mail.outbox[0].body
    assert "Step-back reviews to write" in body and "Alice Archer: asked for" in body
    assert "walking" not in body


# --- writing one -----------------------------------------------------------------------------------


def test_every_part_of_a_review_is_needed_and_nothing_is_half_saved(client, cast):
    client.force_login(cast.bob.user)
    response = client.post(url("review-new", cast), {**PARTS, "going_on": "", "try_next": ""})
    assert response.status_code == 400
    text = page_text(response)
    assert "Please say what you think is going on." in text and "Please suggest what to try next." in text
    assert PARTS["what_changed"] in text, "the words typed are kept"
    assert not StepBackReview.objects.exists()


def test_only_the_care_team_writes_a_review(cast):
    for outsider in (cast.carol.user, cast.alice.user):
        with pytest.raises(PermissionDenied):
            review_write(patient=cast.alice, by=outsider, **PARTS)


def test_a_written_review_answers_the_one_asked_for_and_keeps_the_figures_beside_it(client, cast):
    asked = review_ask(patient=cast.alice, by=cast.alice.user)
    pain = {"intensity": 6, "enjoyment": 6, "activity": 6}
    first = checkin_submit(
        patient=cast.alice, care_session=None, alliance_answers=dict.fromkeys(ALLIANCE_KEYS, 7), pain_answers=pain
    )
    first.checkin.pain_response.__class__.objects.filter(pk=first.checkin.pain_response_id).update(
        submitted_at=timezone.now() - timedelta(days=20)
    )
    first.checkin.alliance_response.__class__.objects.filter(pk=first.checkin.alliance_response_id).update(
        submitted_at=timezone.now() - timedelta(days=20)
    )
    checkin_submit(
        patient=cast.alice,
        care_session=None,
        alliance_answers=dict.fromkeys(ALLIANCE_KEYS, 7),
        pain_answers={"intensity": 6, "enjoyment": 5, "activity": 6},
    )
    client.force_login(cast.bob.user)
    response = client.post(url("review-new", cast), PARTS)
    review = StepBackReview.objects.get()
    assert review.pk == asked.pk and review.written_by == cast.bob.user
    assert response["Location"] == url("review", cast, review.pk)
    figures = " ".join(review.figures)
    # 6 → 5.67 on the pain check's average is within its 1-point noise: about the same, never "better".
    assert "Your pain check average has come down from 6 to 5.7 out of 10" in figures
    assert "within the usual ups and downs: about the same" in figures
    assert "better" not in figures
    assert "Your alliance check-in total is 28 out of 40, the same as" in figures


def test_goal_ratings_are_weighed_against_their_own_scale(cast):
    goal = h.goal(cast)
    goal_rate(goal=goal, by=cast.alice.user, value=3)
    goal_rate(goal=goal, by=cast.alice.user, value=5)
    sentences = review_figures(patient=cast.alice, you=True)
    line = next(s for s in sentences if goal.text in s)
    assert "has gone up from 3 to 5 out of 10" in line and "better, by more than the usual ups and downs" in line
    assert sentences[:2] == ["No alliance check-ins yet.", "No pain checks yet."]


# --- the patient's answer --------------------------------------------------------------------------


def test_the_patient_reads_the_review_and_answers_with_their_own_reflection(client, cast):
    review = h.review(cast)
    client.force_login(cast.alice.user)
    page = page_text(client.get(url("review", cast, review.pk)))
    for text in PARTS.values():
        assert text in page
    assert "How does this look from where you are?" in page
    response = client.post(url("review-reflect", cast, review.pk), {"reflection": "Mostly right.", "disagree": ""})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.reflection == "Mostly right." and review.reflected_at is not None
    assert not AgendaItem.objects.filter(patient=cast.alice, source=AgendaSource.REVIEW).exists()


def test_a_disagreement_lands_on_the_agenda(client, cast):
    review = h.review(cast)
    client.force_login(cast.alice.user)
    disagree = "It isn't the evenings, it's the mornings."
    response = client.post(
        url("review-reflect", cast, review.pk), {"reflection": "Partly right.", "disagree": disagree}, follow=True
    )
    assert "on the agenda for your next appointment" in page_text(response)
    item = AgendaItem.objects.get(patient=cast.alice, source=AgendaSource.REVIEW)
    assert item.text == f"Something I see differently in the step-back review: {disagree}"
    assert item.care_session == cast.alice_session
    client.force_login(cast.bob.user)
    assert disagree in page_text(client.get(url("review", cast, review.pk)))


def test_a_patient_answers_a_review_once(cast):
    review = h.review(cast)
    review_reflect(review=review, by=cast.alice.user, reflection="Right.")
    with pytest.raises(ValidationError, match="already answered"):
        review_reflect(review=review, by=cast.alice.user, reflection="Changed my mind.")
    review.refresh_from_db()
    assert review.reflection == "Right."


def test_an_empty_reflection_is_refused_beside_the_field(client, cast):
    review = h.review(cast)
    client.force_login(cast.alice.user)
    response = client.post(url("review-reflect", cast, review.pk), {"reflection": "", "disagree": "The mornings"})
    assert response.status_code == 400
    assert "Please say how this looks from where you are." in page_text(response)
    assert "The mornings" in page_text(response)
    review.refresh_from_db()
    assert review.reflected_at is None


def test_a_review_only_asked_for_is_not_a_page_yet(client, cast):
    asked = review_ask(patient=cast.alice, by=cast.bob.user)
    client.force_login(cast.alice.user)
    assert client.get(url("review", cast, asked.pk)).status_code == 404


def test_my_progress_links_to_the_reviews(client, cast):
    client.force_login(cast.alice.user)
    assert url("reviews", cast) in page_text(client.get(reverse("alliance:progress")))

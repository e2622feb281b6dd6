"""The shared agenda and the session record: both sides raise, reorder and record, nothing is dropped."""

import html
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance.models import AlertKind
from alliance.services.checkins import checkin_submit
from sessions import services
from sessions.models import AgendaEntry, AgendaItem, AgendaSource, AgendaStatus, SessionRecord, SessionStatus
from sessions.selectors import agenda_for_session
from tests.care_sessions.helpers import BAD_TEXT, ODD_BUT_FINE, future_session, past_session
from tests.helpers import field_errors, page_text, query_counts_at_1_and_50

pytestmark = pytest.mark.django_db


def raise_item(cast, who, text, care_session=None):
    return services.agenda_item_raise(by=who.user, care_session=care_session or cast.alice_session, text=text)


# --- assembling the agenda ---------------------------------------------------------------------


def test_both_sides_add_items_and_each_shows_who_raised_it(client, cast):
    raise_item(cast, cast.alice, "Is it silly to ask about sleep?")
    raise_item(cast, cast.bob, "Review the walking plan")
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "Is it silly to ask about sleep?" in body and "Raised by you" in body
    assert "Raised by Bob Baker" in body
    client.force_login(cast.bob.user)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "Raised by Alice Archer" in body and "Raised by you" in body


def test_items_pushed_from_the_record_land_once_on_the_next_session(cast):
    later = future_session(cast, days=14)
    first = services.agenda_item_add(
        patient=cast.alice,
        text="A question about flare-ups",
        source=AgendaSource.QUESTION,
        source_ref="question:7",
        raised_by=cast.alice.user,
    )
    again = services.agenda_item_add(
        patient=cast.alice,
        text="A question about flare-ups",
        source=AgendaSource.QUESTION,
        source_ref="question:7",
        raised_by=cast.alice.user,
    )
    assert first.pk == again.pk
    assert first.care_session == cast.alice_session  # the next one, not the later one
    assert later.agenda_items.count() == 0


def test_checkin_note_and_alliance_concerns_arrive_on_the_agenda_without_the_word_alert(client, cast):
    low = {"relationship": 2, "goals": 2, "approach": 2, "overall": 2}
    result = checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers=low,
        pain_answers={},
        note="I'd like to talk about work",
    )
    assert sorted(alert.kind for alert in result.alerts) == [AlertKind.LOW_ITEM, AlertKind.LOW_TOTAL]
    items = list(cast.alice_session.agenda_items.order_by("position"))
    assert [i.source for i in items] == [AgendaSource.ALERT, AgendaSource.CHECKIN_NOTE]
    assert items[0].text == "How our sessions are going for you"
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "How our sessions are going for you" in body and "I'd like to talk about work" in body
    assert "alert" not in body.lower().replace("alert alert-", "").replace('class="alert', "")


def test_items_raised_with_no_session_booked_wait_and_join_the_next_booking(cast):
    cast.alice_session.status = SessionStatus.CANCELLED
    cast.alice_session.save()
    item = services.agenda_item_add(
        patient=cast.alice,
        text="Story passage",
        source=AgendaSource.STORY,
        source_ref="story:1",
        raised_by=cast.bob.user,
    )
    assert item.care_session is None
    booked = services.care_session_schedule(
        by=cast.bob.user, patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() + timedelta(days=3)
    )
    item.refresh_from_db()
    assert item.care_session == booked


def test_someone_off_the_team_cannot_raise_items(cast):
    with pytest.raises(PermissionDenied):
        raise_item(cast, cast.carol, "Not my patient")
    with pytest.raises(PermissionDenied):
        raise_item(cast, cast.frank, "Not my session")


# --- reordering without JavaScript ------------------------------------------------------------


def test_either_side_reorders_with_plain_post_buttons(client, cast):
    a = raise_item(cast, cast.alice, "First")
    raise_item(cast, cast.bob, "Second")  # untouched by name, moved by the others
    c = raise_item(cast, cast.alice, "Third")
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:agenda-move", kwargs={"pk": c.pk}), {"direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{c.pk}")
    client.force_login(cast.bob.user)
    client.post(reverse("care_sessions:agenda-move", kwargs={"pk": a.pk}), {"direction": "down"})
    order = [i.text for i in agenda_for_session(care_session=cast.alice_session).active]
    assert order == ["Third", "First", "Second"]


def test_moving_the_first_item_up_changes_nothing_and_bad_directions_are_refused(cast):
    a = raise_item(cast, cast.alice, "First")
    raise_item(cast, cast.alice, "Second")
    services.agenda_item_move(by=cast.alice.user, item=a, direction="up")
    assert [i.text for i in agenda_for_session(care_session=cast.alice_session).active] == ["First", "Second"]
    with pytest.raises(ValidationError):
        services.agenda_item_move(by=cast.alice.user, item=a, direction="sideways")


# --- parking: never dropped -------------------------------------------------------------------


def test_parked_item_leaves_the_agenda_for_the_parked_list_and_is_brought_back(client, cast):
    later = future_session(cast, days=14)
    item = raise_item(cast, cast.alice, "Can we talk about my mood?")
    services.agenda_item_park(by=cast.bob.user, item=item)
    item.refresh_from_db()
    assert (item.status, item.care_session, item.parked_from) == (AgendaStatus.PARKED, None, cast.alice_session)
    assert later.agenda_items.count() == 0, "a parked item waits in the parked list, not on the next agenda"
    client.force_login(cast.alice.user)
    page = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": later.pk})))
    parked = page[page.index("Parked for later") :]
    assert "Can we talk about my mood?" in parked and "weren't dropped" in parked
    assert "parked by Bob Baker" in parked
    response = client.post(reverse("care_sessions:agenda-bring-back", kwargs={"pk": item.pk}), {"to": later.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert (item.status, item.care_session, item.times_carried) == (AgendaStatus.OPEN, later, 1)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": later.pk})))
    assert "Can we talk about my mood?" in body and "Carried over once" in body


def test_the_patient_parks_their_own_items_but_never_the_clinicians(client, cast):
    mine = raise_item(cast, cast.alice, "Mine")
    bobs = raise_item(cast, cast.bob, "Bob's")
    services.agenda_item_park(by=cast.alice.user, item=mine)
    mine.refresh_from_db()
    assert mine.status == AgendaStatus.PARKED and mine.marked_by == cast.alice.user
    with pytest.raises(PermissionDenied):
        services.agenda_item_park(by=cast.alice.user, item=bobs)
    client.force_login(cast.alice.user)
    for name in ("care_sessions:agenda-park", "care_sessions:agenda-answered"):
        assert client.post(reverse(name, kwargs={"pk": bobs.pk})).status_code == 403
    merge = client.post(reverse("care_sessions:agenda-merge", kwargs={"pk": bobs.pk}), {"into": mine.pk})
    assert merge.status_code == 403
    bobs.refresh_from_db()
    assert bobs.status == AgendaStatus.OPEN
    page = client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})).content.decode()
    assert reverse("care_sessions:agenda-park", kwargs={"pk": bobs.pk}) not in page


def test_the_clinician_may_park_a_patients_item_only_by_choosing_to(cast):
    item = raise_item(cast, cast.alice, "Later please")
    services.agenda_item_park(by=cast.bob.user, item=item)
    item.refresh_from_db()
    assert item.care_session is None and item.status == AgendaStatus.PARKED
    assert AgendaEntry.objects.get(agenda_item=item).outcome == "parked"


def test_either_side_marks_an_item_answered_already_and_can_take_it_back(client, cast):
    item = raise_item(cast, cast.alice, "Is heat or ice better?")
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:agenda-answered", kwargs={"pk": item.pk}))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.marked_by) == (AgendaStatus.ANSWERED, cast.alice.user)
    view = agenda_for_session(care_session=cast.alice_session, viewer=cast.bob.user)
    assert view.active == [] and [i.pk for i in view.answered] == [item.pk]
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "Answered already" in body and "marked answered by you" in body
    client.force_login(cast.bob.user)
    bobs = raise_item(cast, cast.bob, "Review the walking plan")
    assert client.post(reverse("care_sessions:agenda-answered", kwargs={"pk": bobs.pk})).status_code == 302
    client.post(reverse("care_sessions:agenda-bring-back", kwargs={"pk": item.pk}), {"to": cast.alice_session.pk})
    item.refresh_from_db()
    assert (item.status, item.times_carried) == (AgendaStatus.OPEN, 0), "same appointment: not carried"


def test_same_as_puts_an_item_under_the_one_it_joined_and_nothing_is_lost(client, cast):
    sleep = raise_item(cast, cast.bob, "Sleep")
    nights = raise_item(cast, cast.alice, "I wake at 3am with pain")
    evenings = raise_item(cast, cast.alice, "Evenings are the worst")
    client.force_login(cast.alice.user)
    url = reverse("care_sessions:agenda-merge", kwargs={"pk": evenings.pk})
    assert client.post(url, {"into": nights.pk})["Location"].endswith(f"#item-{nights.pk}")
    # The patient may merge their own item into the clinician's; what joined it goes along.
    client.post(reverse("care_sessions:agenda-merge", kwargs={"pk": nights.pk}), {"into": sleep.pk})
    nights.refresh_from_db()
    evenings.refresh_from_db()
    assert (nights.status, nights.merged_into, evenings.merged_into) == (AgendaStatus.MERGED, sleep, sleep)
    view = agenda_for_session(care_session=cast.alice_session, viewer=cast.alice.user)
    assert [i.pk for i in view.active] == [sleep.pk]
    assert [i.pk for i in view.active[0].merged] == [nights.pk, evenings.pk]
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "Same as this: “I wake at 3am with pain”" in body and "Same as this: “Evenings are the worst”" in body


def test_same_as_needs_another_open_item_of_the_same_appointment(client, cast):
    later = future_session(cast, days=14)
    here = raise_item(cast, cast.bob, "Here")
    there = raise_item(cast, cast.bob, "There", care_session=later)
    for into in (here.pk, there.pk, "", "nonsense"):
        with pytest.raises(ValidationError):
            services.agenda_item_merge(by=cast.bob.user, item=here, into_id=into)
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:agenda-merge", kwargs={"pk": here.pk}), {"into": there.pk}, follow=True
    )
    assert "Please choose another item still to talk about at this appointment." in page_text(response)
    here.refresh_from_db()
    assert here.status == AgendaStatus.OPEN


def test_a_retracted_item_frees_what_was_merged_into_it(cast):
    question = services.agenda_item_add(
        patient=cast.alice,
        text="A question",
        source=AgendaSource.QUESTION,
        source_ref="question:1",
        raised_by=cast.alice.user,
    )
    same = raise_item(cast, cast.alice, "Same thing")
    services.agenda_item_merge(by=cast.alice.user, item=same, into_id=question.pk)
    services.agenda_item_retract(patient=cast.alice, source=AgendaSource.QUESTION, source_ref="question:1")
    same.refresh_from_db()
    assert (same.status, same.merged_into) == (AgendaStatus.OPEN, None)


def test_the_agenda_shows_whether_it_fits_and_only_suggests_what_to_park(client, cast):
    # 45 minutes: 10 to settle in, then 5 for each hand-raised item; eight items need 50.
    for n in range(4):
        raise_item(cast, cast.alice, f"Alice's item {n}")
        raise_item(cast, cast.bob, f"Bob's item {n}")
    client.force_login(cast.bob.user)
    page = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "About 50 minutes for a 45-minute appointment: about 5 minutes more than there is." in page
    view = agenda_for_session(care_session=cast.alice_session, viewer=cast.bob.user)
    assert [i.text for i in view.fit.suggestions] == ["Bob's item 3"], "the last in the agreed order"
    assert AgendaItem.objects.filter(status=AgendaStatus.OPEN).count() == 8, "nothing parked by itself"
    # The patient is offered only their own items to park.
    patient_view = agenda_for_session(care_session=cast.alice_session, viewer=cast.alice.user)
    assert [i.text for i in patient_view.fit.suggestions] == ["Alice's item 3"]
    suggested = view.fit.suggestions[0]
    assert client.post(reverse("care_sessions:agenda-park", kwargs={"pk": suggested.pk})).status_code == 302
    page = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert "About 45 minutes for a 45-minute appointment: it fits." in page


def test_estimates_follow_the_kind_of_item(cast):
    from sessions.selectors import SETTLING_MINUTES, agenda_item_minutes

    decision = services.agenda_item_add(
        patient=cast.alice,
        text="Surgery or rehab?",
        source=AgendaSource.DECISION,
        source_ref="decision:1",
        raised_by=cast.bob.user,
    )
    setback = services.agenda_item_add(
        patient=cast.alice,
        text="A flare",
        source=AgendaSource.SETBACK,
        source_ref="setback:1",
        raised_by=cast.alice.user,
    )
    assert (agenda_item_minutes(decision), agenda_item_minutes(setback)) == (15, 10)
    view = agenda_for_session(care_session=cast.alice_session, viewer=cast.bob.user)
    assert view.fit.minutes_needed == SETTLING_MINUTES + 25 and view.fit.fits


def test_a_missed_session_carries_its_agenda_on_without_blame(client, cast):
    missed = past_session(cast)
    item = services.agenda_item_raise(by=cast.alice.user, care_session=missed, text="Pacing")
    services.care_session_record_outcome(by=cast.bob.user, care_session=missed, status=SessionStatus.MISSED)
    item.refresh_from_db()
    assert item.care_session == cast.alice_session and item.status == AgendaStatus.OPEN
    assert item.times_carried == 1
    client.force_login(cast.alice.user)
    assert "Carried over once" in page_text(
        client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk}))
    )
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": missed.pk})))
    assert "didn't go ahead. That happens, and it's fine" in body
    for word in ("no-show", "no show", "failed to attend", "dna", "non-compliant"):
        assert word not in body.lower()


def test_a_cancelled_session_carries_its_agenda_on(cast):
    later = future_session(cast, days=14)
    item = raise_item(cast, cast.alice, "Work")
    services.care_session_cancel(by=cast.bob.user, care_session=cast.alice_session, reason="Unwell")
    item.refresh_from_db()
    assert item.care_session == later and item.times_carried == 1
    services.care_session_cancel(by=cast.bob.user, care_session=later, reason="Unwell")
    item.refresh_from_db()
    assert item.times_carried == 2 and item.carried_label == "Carried over twice"


# --- the session record ------------------------------------------------------------------------


def record(cast, care_session, entries, summary="We talked about walking.", next_steps="Try the walk."):
    return services.session_record_save(
        by=cast.bob.user, care_session=care_session, summary=summary, next_steps=next_steps, entries=entries
    )


def test_recording_a_session_marks_who_led_each_item_and_what_was_agreed(client, cast):
    held = past_session(cast)
    a = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Sleep")
    b = services.agenda_item_raise(by=cast.bob.user, care_session=held, text="Walking plan")
    c = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Work stress")
    record(
        cast,
        held,
        [
            services.EntryInput(a.pk, True, "patient", "Keep a sleep diary for a week"),
            services.EntryInput(b.pk, True, "together", ""),
            services.EntryInput(c.pk, False),
        ],
    )
    held.refresh_from_db()
    assert held.status == SessionStatus.DONE
    assert SessionRecord.objects.get(care_session=held).summary == "We talked about walking."
    c.refresh_from_db()
    # Not talked about: carried to the next appointment, never parked for the patient.
    assert (c.status, c.care_session, c.times_carried) == (AgendaStatus.OPEN, cast.alice_session, 1)
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk})))
    assert "Summary from Bob Baker" in body and "We talked about walking." in body
    assert "You led this" in body and "You and Bob led this together" in body
    assert "Keep a sleep diary for a week" in body and "Parked for later" not in body


def test_the_record_is_all_or_nothing(cast):
    held = past_session(cast)
    a = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Sleep")
    b = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Work")
    with pytest.raises(ValidationError) as error:
        record(cast, held, [services.EntryInput(a.pk, True, "patient"), services.EntryInput(b.pk, True)])
    assert f"item-{b.pk}-led_by" in error.value.message_dict
    held.refresh_from_db()
    assert held.status == SessionStatus.SCHEDULED
    assert not AgendaEntry.objects.exists() and not SessionRecord.objects.exists()
    assert AgendaItem.objects.filter(status=AgendaStatus.DISCUSSED).count() == 0


def test_a_session_cannot_be_recorded_before_it_starts_or_by_someone_else(cast):
    with pytest.raises(ValidationError):
        record(cast, cast.alice_session, [])
    with pytest.raises(PermissionDenied):
        services.session_record_save(
            by=cast.carol.user, care_session=past_session(cast), summary="x", next_steps="", entries=[]
        )


def test_the_patient_adds_what_they_took_from_today(client, cast):
    held = past_session(cast)
    record(cast, held, [])
    client.force_login(cast.alice.user)
    url = reverse("care_sessions:takeaway", kwargs={"pk": held.pk})
    response = client.post(url, {"text": "That pacing is a skill, not a weakness"})
    assert response.status_code == 302
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk})))
    assert "That pacing is a skill, not a weakness" in body
    client.force_login(cast.bob.user)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk})))
    assert "What Alice took from the session" in body and "That pacing is a skill" in body


def test_record_page_keeps_every_word_when_something_is_missing(client, cast):
    held = past_session(cast)
    a = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Sleep")
    b = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Work")
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:record", kwargs={"pk": held.pk}),
        {
            f"item-{a.pk}-talked": "on",
            f"item-{a.pk}-agreed": "A diary 🌙",
            f"item-{b.pk}-led_by": "patient",
            f"item-{b.pk}-agreed": "Ask HR 💼",
            "summary": "",
            "next_steps": "Rest",
        },
    )
    assert response.status_code == 400
    assert field_errors(response, f"item-{a.pk}-led_by") == [
        "Please say who led this part: the patient, you, or both together."
    ]
    assert field_errors(response, f"item-{b.pk}-agreed") == [
        "You wrote what was agreed: please tick this item as talked about, or clear the words."
    ]
    assert field_errors(response, "summary") == ["Please write a short summary. A few plain sentences are enough."]
    body = page_text(response)
    assert "A diary 🌙" in body and "Ask HR 💼" in body and "Rest" in body
    assert not SessionRecord.objects.exists()


def test_recording_is_one_screen_with_who_led_defaulting_to_who_raised_it(client, cast):
    held = past_session(cast)
    hers = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Sleep")
    his = services.agenda_item_raise(by=cast.bob.user, care_session=held, text="Walking plan")
    skipped = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Work")
    client.force_login(cast.bob.user)
    url = reverse("care_sessions:record", kwargs={"pk": held.pk})
    same = services.agenda_item_raise(by=cast.alice.user, care_session=held, text="Waking at 3am")
    services.agenda_item_merge(by=cast.alice.user, item=same, into_id=hers.pk)
    page = client.get(url).content.decode()
    assert 'type="checkbox"' in page and page.count('type="checkbox"') == 3
    assert "Same as this: “Waking at 3am”" in html.unescape(page)
    for item, lead in ((hers, "patient"), (his, "clinician")):
        form = next(f for f in client.get(url).context["item_forms"] if f.item == item)
        assert form["led_by"].value() == lead
    response = client.post(
        url,
        {
            f"item-{hers.pk}-talked": "on",
            f"item-{hers.pk}-led_by": "patient",
            f"item-{his.pk}-talked": "on",
            f"item-{his.pk}-led_by": "together",
            f"item-{his.pk}-agreed": "Ten minutes most days",
            f"item-{skipped.pk}-led_by": "patient",
            "summary": "A good talk.",
            "next_steps": "",
        },
    )
    assert response.status_code == 302
    assert set(AgendaEntry.objects.filter(care_session=held).values_list("agenda_item__text", "led_by", "agreed")) == {
        ("Sleep", "patient", ""),
        ("Walking plan", "together", "Ten minutes most days"),
    }
    skipped.refresh_from_db()
    assert (skipped.care_session, skipped.status, skipped.times_carried) == (cast.alice_session, "open", 1)
    # Saving again with "Sleep" unticked takes it back off the record and carries it on too.
    client.post(url, {f"item-{his.pk}-talked": "on", f"item-{his.pk}-led_by": "together", "summary": "A good talk."})
    hers.refresh_from_db()
    assert (hers.care_session, hers.status) == (cast.alice_session, "open")
    assert AgendaEntry.objects.filter(care_session=held).count() == 1


# --- bad input on the agenda form ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BAD_TEXT["empty"], "Please say what you'd like to talk about."),
        (BAD_TEXT["too long"], "Please keep this under 1,000 characters."),
    ],
    ids=["empty", "too long"],
)
def test_bad_agenda_input_gets_a_clear_message_and_keeps_the_words(client, cast, text, message):
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk}), {"text": text})
    assert response.status_code == 400
    assert field_errors(response, "text") == [message]
    if text.strip():
        assert text in page_text(response)
    assert not AgendaItem.objects.exists()


@pytest.mark.parametrize("case", sorted(ODD_BUT_FINE))
def test_html_and_emoji_are_stored_as_written_and_shown_escaped(client, cast, case):
    client.force_login(cast.alice.user)
    text = ODD_BUT_FINE[case]
    response = client.post(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk}), {"text": text})
    assert response.status_code == 302
    assert AgendaItem.objects.get().text == text
    raw = client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})).content.decode()
    assert "<script>alert" not in raw
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk})))
    assert body.count(f'<p class="agenda-text mb-1">{text}</p>') == 1


# --- query counts ------------------------------------------------------------------------------


def test_agenda_page_query_count_is_the_same_for_1_and_50_items(cast):
    later = future_session(cast, days=14)
    raised: list[AgendaItem] = []

    def add(n):
        for _ in range(n):
            who = cast.alice if len(raised) % 2 else cast.bob
            item = raise_item(cast, who, f"Item {len(raised)}")
            if len(raised) % 5 == 0:
                services.agenda_item_park(by=cast.bob.user, item=item)
            elif len(raised) % 5 == 1:
                services.agenda_item_answer(by=cast.bob.user, item=item)
            elif len(raised) % 5 == 2 and len(raised) > 5:
                services.agenda_item_merge(by=cast.bob.user, item=item, into_id=raised[3].pk)
            raised.append(item)

    query_counts_at_1_and_50(
        add,
        lambda: [
            (cast.bob.user, reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk}), 14),
            (cast.bob.user, reverse("care_sessions:agenda", kwargs={"pk": later.pk}), 14),
        ],
    )


def test_with_nothing_booked_the_patient_sees_what_is_kept_for_next_time(client, cast):
    item = raise_item(cast, cast.alice, "Can we talk about flare-ups?")
    services.care_session_cancel(by=cast.bob.user, care_session=cast.alice_session)
    item.refresh_from_db()
    assert item.care_session is None
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("alliance:home")))
    assert "Kept for your next appointment" in body and "Can we talk about flare-ups?" in body


def test_a_long_checkin_note_is_never_refused_by_the_agenda(cast):
    note = "I'd like to talk about " + "how the evenings go " * 100
    result = checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers={"relationship": 9, "goals": 9, "approach": 9, "overall": 9},
        pain_answers={},
        note=note[:2000],
    )
    item = cast.alice_session.agenda_items.get()
    assert result.checkin.note == note[:2000].strip()
    assert len(item.text) == 1000 and item.text.endswith("…")


def test_the_agenda_never_suggests_parking_a_checkin_note_an_alert_or_a_review_disagreement(cast):
    for n in range(6):
        raise_item(cast, cast.alice, f"Alice's item {n}")
    protected = [
        (AgendaSource.CHECKIN_NOTE, "checkin:1", "I can't cope any more, the pain is too much"),
        (AgendaSource.ALERT, "alert:1", "How our sessions are going"),
        (AgendaSource.REVIEW, "review:1:disagree", "Something I see differently in the step-back review"),
    ]
    for source, ref, text in protected:
        services.agenda_item_add(
            patient=cast.alice, text=text, source=source, source_ref=ref, raised_by=cast.alice.user
        )
    for viewer in (cast.bob.user, cast.alice.user):
        view = agenda_for_session(care_session=cast.alice_session, viewer=viewer)
        assert not view.fit.fits
        suggested = [i.text for i in view.fit.suggestions]
        assert suggested and suggested[0] == "Alice's item 5", suggested
        assert not {text for _, _, text in protected} & set(suggested)

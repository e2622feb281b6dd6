"""Home plans: versions, "how worth trying", practice logged from home, adherence beside trust."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from sessions import services
from sessions.models import HomePlan, PlanItem, PracticeLog, WorthRating
from sessions.selectors import home_plan_items
from sessions.services.plans import patient_today
from tests.care_sessions.helpers import BAD_TEXT, ODD_BUT_FINE, plan_for
from tests.helpers import field_errors, page_text, query_counts_at_1_and_50

pytestmark = pytest.mark.django_db

SHAMING = ("missed", "failed", "streak", "non-compliant", "noncompliant", "should have", "only managed", "broke")


def test_every_change_is_a_new_version_and_earlier_ones_stay_as_they_were(cast):
    first = plan_for(cast, titles=("Morning walk", "Stretches"))
    walk = first.items.get(title="Morning walk")
    second = services.plan_item_change(
        by=cast.bob.user,
        patient=cast.alice,
        lineage=walk.lineage,
        data={"title": "Morning walk", "description": "To the corner and back", "how_often": "Daily"},
    )
    third = services.plan_item_remove(
        by=cast.bob.user, patient=cast.alice, lineage=first.items.get(title="Stretches").lineage
    )
    assert [p.version for p in HomePlan.objects.filter(patient=cast.alice).order_by("version")] == [1, 2, 3]
    assert second.items.get(title="Morning walk").lineage == walk.lineage
    assert list(third.items.values_list("title", flat=True)) == ["Morning walk"]
    walk.refresh_from_db()
    assert walk.how_often == "Most days", "version 1 is untouched"
    assert "Changed" in second.change_note and "Took out" in third.change_note


def test_the_database_refuses_two_plans_with_one_version_number(cast):
    plan_for(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        HomePlan.objects.create(patient=cast.alice, version=1, created_by=cast.bob.user)


def test_only_the_care_team_changes_a_plan(cast):
    with pytest.raises(PermissionDenied):
        plan_for(cast, by=cast.carol.user)
    with pytest.raises(PermissionDenied):
        plan_for(cast, by=cast.alice.user)


def test_patient_rates_how_worth_trying_and_ratings_follow_the_item_across_versions(cast):
    plan = plan_for(cast)
    walk = plan.items.get()
    services.worth_rating_record(by=cast.alice.user, item=walk, score=4)
    plan2 = services.plan_item_change(
        by=cast.bob.user,
        patient=cast.alice,
        lineage=walk.lineage,
        data={"title": "Shorter walk", "description": "Five minutes", "how_often": "Daily"},
    )
    _, items = home_plan_items(patient=cast.alice, today=patient_today(patient=cast.alice))
    assert items[0].title == "Shorter walk" and items[0].worth == 4
    services.worth_rating_record(by=cast.alice.user, item=plan2.items.get(), score=8)
    _, items = home_plan_items(patient=cast.alice, today=patient_today(patient=cast.alice))
    assert items[0].worth == 8
    assert WorthRating.objects.count() == 2, "the history is kept"


@pytest.mark.parametrize("score", [-1, 11, "7.5", "seven", "", None])
def test_ratings_outside_0_to_10_are_refused(cast, score):
    walk = plan_for(cast).items.get()
    with pytest.raises(ValidationError):
        services.worth_rating_record(by=cast.alice.user, item=walk, score=score)


def test_rating_an_old_version_or_someone_elses_item_is_refused(cast):
    old = plan_for(cast).items.get()
    plan_for(cast, titles=("New thing",))
    with pytest.raises(ValidationError):
        services.worth_rating_record(by=cast.alice.user, item=old, score=5)
    with pytest.raises(PermissionDenied):
        services.worth_rating_record(by=cast.frank.user, item=PlanItem.objects.latest("pk"), score=5)


def test_practice_is_one_entry_per_item_per_day_and_logging_again_updates_it(cast):
    walk = plan_for(cast).items.get()
    log, created = services.practice_log_record(by=cast.alice.user, item=walk, outcome="partly", note="Knee ached")
    assert created
    log2, created = services.practice_log_record(by=cast.alice.user, item=walk, outcome="done")
    assert not created and log2.pk == log.pk and log2.outcome == "done" and log2.note == "Knee ached"
    assert PracticeLog.objects.count() == 1
    with pytest.raises(ValidationError):
        services.practice_log_record(by=cast.alice.user, item=walk, outcome="perfect")


def test_patient_logs_practice_from_home_in_one_tap_with_encouragement(client, cast):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    home = page_text(client.get(reverse("alliance:home")))
    assert "Today's home plan" in home and "Morning walk" in home and "Not today" in home
    response = client.post(
        reverse("care_sessions:practice-log", kwargs={"pk": walk.pk}),
        {"outcome": "not_today", "note": "", "next": reverse("alliance:home")},
        follow=True,
    )
    body = page_text(response)
    assert response.redirect_chain[-1][0] == reverse("alliance:home")
    assert "Some days are like that" in body and "Today so far: <strong>Not today</strong>" in body
    for word in SHAMING:
        assert word not in body.lower()


def test_clinician_sees_adherence_next_to_worth_trying(client, cast):
    plan = plan_for(cast, titles=("Morning walk", "Stretches"))
    walk, stretches = plan.items.order_by("position")
    services.worth_rating_record(by=cast.alice.user, item=walk, score=9)
    services.practice_log_record(by=cast.alice.user, item=walk, outcome="done", note="Felt good 🌞")
    services.practice_log_record(by=cast.alice.user, item=stretches, outcome="not_today")
    client.force_login(cast.bob.user)
    body = page_text(client.get(reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk})))
    assert "<strong>9</strong> / 10" in body and "Not rated yet" in body
    assert "Done 1 · partly 0 · not today 0" in body and "Done 0 · partly 0 · not today 1" in body
    assert "Felt good 🌞" in body
    for word in SHAMING:
        assert word not in body.lower()


def test_patient_plan_page_has_an_accessible_0_to_10_radio_group(client, cast):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk})))
    assert "<fieldset" in body and "How worth trying does “Morning walk” feel?</legend>" in body
    for n in range(11):
        assert f'id="rate-{walk.pk}-{n}" value="{n}"' in body
    assert 'type="range"' not in body


def test_rating_with_nothing_chosen_says_so_next_to_the_question(client, cast):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:plan-item-rate", kwargs={"pk": walk.pk}), {})
    assert response.status_code == 400
    assert field_errors(response, f"rate-{walk.pk}-score") == ["Please choose a number from 0 to 10."]
    assert not WorthRating.objects.exists()


@pytest.mark.parametrize(
    ("title", "message"),
    [
        (BAD_TEXT["empty"], "Please give this a short name."),
        (BAD_TEXT["too long"], "Please keep this under 200 characters."),
    ],
    ids=["empty", "too long"],
)
def test_bad_plan_item_input_keeps_the_words_and_saves_nothing(client, cast, title, message):
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk}),
        {"title": title, "description": "Walk", "how_often": "Daily", "link": "not a link"},
    )
    assert response.status_code == 400
    assert field_errors(response, "title") == [message]
    assert 'value="not a link"' in page_text(response)
    assert not HomePlan.objects.exists()


def test_a_link_must_be_a_web_address(client, cast):
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk}),
        {"title": "Walk", "description": "Walk", "how_often": "Daily", "link": "javascript:alert(1)"},
    )
    assert field_errors(response, "link") == [
        "Please give a full web address starting with https://, or leave this empty."
    ]
    assert not HomePlan.objects.exists()


@pytest.mark.parametrize("case", sorted(ODD_BUT_FINE))
def test_html_and_emoji_in_a_plan_item_are_kept_and_escaped(client, cast, case):
    client.force_login(cast.bob.user)
    text = ODD_BUT_FINE[case]
    response = client.post(
        reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk}),
        {"title": text[:200], "description": text, "how_often": "Daily"},
    )
    assert response.status_code == 302
    assert PlanItem.objects.get().description == text
    client.force_login(cast.alice.user)
    raw = client.get(reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk})).content.decode()
    assert "<script>alert" not in raw


@pytest.mark.parametrize("case", ["too long", "html", "emoji"])
def test_practice_note_bad_input(client, cast, case):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    note = {**BAD_TEXT, **ODD_BUT_FINE}[case]
    response = client.post(
        reverse("care_sessions:practice-log", kwargs={"pk": walk.pk}), {"outcome": "done", "note": note}
    )
    if case == "too long":
        assert response.status_code == 400
        assert field_errors(response, "note") == ["Please keep this under 1,000 characters."]
        assert note in page_text(response)
        assert not PracticeLog.objects.exists()
    else:
        assert response.status_code == 302
        assert PracticeLog.objects.get().note == note


def test_practice_log_ignores_an_offsite_next(client, cast):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    response = client.post(
        reverse("care_sessions:practice-log", kwargs={"pk": walk.pk}),
        {"outcome": "done", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("alliance:home")


# --- query counts ------------------------------------------------------------------------------


def _plan_grows(cast):
    """``add(n)``: a new plan version with ``n`` more items, each rated and practised."""
    titles: list[str] = []

    def add(n):
        titles.extend(f"Exercise {len(titles) + i}" for i in range(n))
        plan = plan_for(cast, titles=titles)
        for item in plan.items.all():
            services.worth_rating_record(by=cast.alice.user, item=item, score=item.position % 11)
            services.practice_log_record(by=cast.alice.user, item=item, outcome="partly", note="ok")

    return add


def test_plan_and_adherence_page_query_count_is_the_same_for_1_and_50_items(cast):
    plan = reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk})
    query_counts_at_1_and_50(_plan_grows(cast), lambda: [(cast.bob.user, plan, 12), (cast.alice.user, plan, 12)])


def test_patient_home_query_count_is_the_same_for_1_and_50_plan_items(cast):
    query_counts_at_1_and_50(_plan_grows(cast), lambda: [(cast.alice.user, reverse("alliance:home"), 14)])

"""Progress sentences compare the latest check-in with the one before it and with the first, say
plainly when something went down, and never call a change within the measure's noise (its minimal
important difference, 1 point on the pain check) an improvement."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from alliance.instruments.scoring import minimal_important_difference
from alliance.selectors.progress import Change, Point, change_kind, change_sentence

PAIN_MID = Decimal(1)
ALLIANCE_MID = Decimal(4)
WITHIN = "a change smaller than 1 point, so within the usual ups and downs: about the same"


def _points(*values, days=(70, 10, 0)):
    now = timezone.now()
    days = days[-len(values) :]
    return [Point(now - timedelta(days=d), Decimal(str(v))) for v, d in zip(values, days, strict=True)]


@pytest.fixture
def dates():
    now = timezone.localtime()
    return {
        "first": date_format(now - timedelta(days=70), "F"),
        "previous": date_format(now - timedelta(days=10), "j F"),
    }


def pain(*values, invite=False):
    return change_sentence("Pain intensity", _points(*values), lower_is_better=True, mid=PAIN_MID, invite=invite)


# --- the boundaries: exactly the MID, just under it, down, flat, one check-in --------------------


def test_the_minimal_important_difference_is_a_tenth_of_the_range():
    assert minimal_important_difference(Decimal(0), Decimal(10)) == Decimal(1)
    assert minimal_important_difference(Decimal(0), Decimal(40)) == Decimal(4)


def test_a_change_of_exactly_the_mid_counts_as_better(dates):
    assert change_kind(Decimal(5), Decimal(4), lower_is_better=True, mid=PAIN_MID) == Change.BETTER
    assert pain(5, 4) == (
        f"Pain intensity has come down from 5 to 4 since {dates['previous']}: "
        "better, by more than the usual ups and downs."
    )


def test_a_change_just_under_the_mid_is_never_called_an_improvement(dates):
    assert change_kind(Decimal("5"), Decimal("4.1"), lower_is_better=True, mid=PAIN_MID) == Change.WITHIN
    sentence = pain(5, "4.1")
    assert sentence == f"Pain intensity has come down from 5 to 4.1 since {dates['previous']}: {WITHIN}."
    assert "better" not in sentence and "improv" not in sentence


def test_a_pain_average_just_under_the_mid_on_the_mean_is_about_the_same():
    # 5.33 → 4.67: the average moved by 0.66, less than a point.
    assert change_kind(Decimal("5.33"), Decimal("4.67"), lower_is_better=True, mid=PAIN_MID) == Change.WITHIN
    assert change_kind(Decimal("5.33"), Decimal("4.33"), lower_is_better=True, mid=PAIN_MID) == Change.BETTER


def test_a_rise_in_pain_is_said_plainly_as_worse_and_offers_a_conversation(dates):
    assert pain(3, 5, invite=True) == (
        f"Pain intensity has gone up from 3 to 5 since {dates['previous']}: "
        "worse, by more than the usual ups and downs. It may help to talk this through with your care team."
    )


def test_a_small_fall_in_the_alliance_is_still_named_as_a_fall(dates):
    sentence = change_sentence(
        "Your alliance check-in total", _points(32, 30), lower_is_better=False, mid=ALLIANCE_MID, out_of=Decimal(40)
    )
    assert sentence.startswith("Your alliance check-in total has come down from 32 to 30 out of 40")
    assert "smaller than 4 points, so within the usual ups and downs: about the same" in sentence


def test_a_flat_figure_says_the_same_and_never_improving(dates):
    sentence = pain(6, 6)
    assert sentence == f"Pain intensity is 6, the same as on {dates['previous']}."
    assert "improv" not in sentence and "better" not in sentence


def test_one_check_in_only_says_there_is_nothing_to_compare_yet():
    now = timezone.now()
    sentence = change_sentence("Pain intensity", [Point(now, Decimal(6))], lower_is_better=True, mid=PAIN_MID)
    assert sentence == (
        f"Pain intensity was 6 on {date_format(timezone.localtime(now), 'j F')}. "
        "That is the only check-in so far, so there is nothing to compare it with yet."
    )


def test_no_check_ins_give_no_sentence():
    assert change_sentence("Pain intensity", [], lower_is_better=True, mid=PAIN_MID) == ""


# --- against the first check-in too ---------------------------------------------------------------


def test_a_drop_back_to_an_old_figure_is_said_as_a_drop(dates):
    sentence = change_sentence(
        "Your alliance check-in total",
        _points(28, 38, 28),
        lower_is_better=False,
        mid=ALLIANCE_MID,
        out_of=Decimal(40),
        invite=True,
    )
    assert sentence == (
        f"Your alliance check-in total has come down from 38 to 28 out of 40 since the check-in on "
        f"{dates['previous']}: worse, by more than the usual ups and downs. "
        f"At the first check-in, in {dates['first']}, it was also 28. "
        "It may help to talk this through with your care team."
    )


def test_better_than_last_time_but_worse_than_at_the_start_says_both(dates):
    sentence = pain(3, 7, 5, invite=True)
    assert sentence == (
        f"Pain intensity has come down from 7 to 5 since the check-in on {dates['previous']}: "
        "better, by more than the usual ups and downs. "
        f"At the first check-in, in {dates['first']}, it was 3, so it is worse now than at the start. "
        "It may help to talk this through with your care team."
    )


def test_a_slow_drift_within_the_noise_since_the_start_is_about_the_same(dates):
    sentence = pain("5.5", 5, 5)
    assert sentence == (
        "Pain intensity is 5, the same as at the check-in before. "
        f"At the first check-in, in {dates['first']}, it was 5.5: about the same, within the usual ups and downs."
    )

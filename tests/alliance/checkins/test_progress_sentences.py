"""Progress sentences compare the latest check-in with the one before it as well as the first,
and never hide a drop behind a figure that happens to match an older one."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from alliance.selectors.progress import Point, change_sentence


def _points(*values, days=(70, 10, 0)):
    now = timezone.now()
    return [Point(now - timedelta(days=d), Decimal(v)) for v, d in zip(values, days, strict=True)]


@pytest.fixture
def dates():
    now = timezone.localtime()
    return {
        "first": date_format(now - timedelta(days=70), "F"),
        "previous": date_format(now - timedelta(days=10), "j F"),
    }


def test_a_drop_back_to_an_old_figure_is_said_as_a_drop(dates):
    sentence = change_sentence(
        "Your alliance check-in total", _points(28, 38, 28), lower_is_better=False, out_of=Decimal(40), invite=True
    )
    assert sentence == (
        f"Your alliance check-in total has come down from 38 to 28 out of 40 since the check-in on "
        f"{dates['previous']}; in {dates['first']} it was also 28. "
        "It may help to talk this through with your care team."
    )


def test_a_rise_since_the_last_check_in_is_compared_with_the_first_too(dates):
    sentence = change_sentence("Pain intensity", _points(7, 5, 4), lower_is_better=True, invite=True)
    assert sentence == (
        f"Pain intensity has come down from 5 to 4 since the check-in on {dates['previous']}; "
        f"in {dates['first']} it was 7."
    )


def test_no_change_since_the_last_check_in_says_so_and_an_earlier_worse_figure_is_named(dates):
    sentence = change_sentence("Pain intensity", _points(3, 6, 6), lower_is_better=True, invite=True)
    assert sentence == (
        f"Pain intensity is 6, the same as at the check-in before; in {dates['first']} it was 3. "
        "It may help to talk this through with your care team."
    )


def test_two_check_ins_compare_the_two():
    now = timezone.now()
    points = [Point(now - timedelta(days=70), Decimal(24)), Point(now, Decimal(32))]
    month = date_format(timezone.localtime(now - timedelta(days=70)), "F")
    assert (
        change_sentence("The total", points, lower_is_better=False, out_of=Decimal(40))
        == f"The total has gone up from 24 to 32 out of 40 since {month}."
    )

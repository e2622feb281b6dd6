"""The scoring function against hand-worked examples, and definition checks."""

from decimal import Decimal

import pytest

from alliance.instruments import builtin_definitions
from alliance.instruments.scoring import DefinitionError, definition_validate, score, total_range

BUILTIN = {d["key"]: d for d in builtin_definitions()}
ALLIANCE = BUILTIN["alliance-checkin"]
PAIN = BUILTIN["pain-check"]


def test_alliance_sum_all_answered():
    # 8 + 7 + 9 + 6 = 30
    result = score(ALLIANCE, {"relationship": 8, "goals": 7, "approach": 9, "overall": 6})
    assert result.total == Decimal("30.00")
    assert result.subscales == {
        "bond": Decimal("8.00"),
        "goals": Decimal("7.00"),
        "tasks": Decimal("9.00"),
        "overall": Decimal("6.00"),
    }
    assert result.answered == 4 and result.missing == ()


def test_alliance_sum_is_prorated_when_one_answer_is_missing():
    # mean of 8, 7, 9 is 8; prorated to four items: 32
    result = score(ALLIANCE, {"relationship": 8, "goals": 7, "approach": 9, "overall": None})
    assert result.total == Decimal("32.00")
    assert result.subscales["overall"] is None
    assert result.missing == ("overall",)


def test_proration_rounds_half_up_to_two_places():
    # mean of 7, 7, 8 is 7.3333…; × 4 = 29.3333… → 29.33
    assert score(ALLIANCE, {"relationship": 7, "goals": 7, "approach": 8}).total == Decimal("29.33")
    # mean of 1, 0, 0 is 0.3333…; × 4 = 1.3333 → 1.33
    assert score(ALLIANCE, {"relationship": 1, "goals": 0, "approach": 0}).total == Decimal("1.33")


def test_too_few_answers_give_no_total():
    result = score(ALLIANCE, {"relationship": 8, "goals": 7})
    assert result.total is None
    assert result.answered == 2


@pytest.mark.parametrize(("value", "total"), [(0, Decimal("0.00")), (10, Decimal("40.00"))])
def test_scale_boundaries_are_accepted(value, total):
    assert score(ALLIANCE, dict.fromkeys(("relationship", "goals", "approach", "overall"), value)).total == total


@pytest.mark.parametrize("bad", [-1, 11, 7.5, "7", True])
def test_values_off_the_scale_are_refused(bad):
    with pytest.raises(ValueError, match="whole number from 0 to 10"):
        score(ALLIANCE, {"relationship": bad, "goals": 7, "approach": 7, "overall": 7})


def test_unknown_items_are_refused():
    with pytest.raises(ValueError, match="does not have"):
        score(ALLIANCE, {"relationship": 5, "goals": 5, "approach": 5, "overall": 5, "mood": 3})


def test_pain_check_is_the_mean():
    # (6 + 5 + 7) / 3 = 6
    result = score(PAIN, {"intensity": 6, "enjoyment": 5, "activity": 7})
    assert result.total == Decimal("6.00")
    assert result.subscales == {"intensity": Decimal("6.00"), "interference": Decimal("6.00")}


def test_pain_check_mean_of_two_when_one_skipped_and_rounding():
    # (7 + 4) / 2 = 5.5; interference needs one of its two items
    result = score(PAIN, {"intensity": 7, "enjoyment": None, "activity": 4})
    assert result.total == Decimal("5.50")
    assert result.subscales["interference"] == Decimal("4.00")
    # (2 + 2 + 3) / 3 = 2.3333… → 2.33 ; (5 + 5 + 6)/3 = 5.3333 → 5.33
    assert score(PAIN, {"intensity": 2, "enjoyment": 2, "activity": 3}).total == Decimal("2.33")
    assert score(PAIN, {"intensity": 1, "enjoyment": 1, "activity": 2}).total == Decimal("1.33")
    # (1 + 2 + 2) / 3 = 1.6666… → 1.67
    assert score(PAIN, {"intensity": 1, "enjoyment": 2, "activity": 2}).total == Decimal("1.67")


def test_pain_check_with_only_one_answer_has_no_total():
    assert score(PAIN, {"intensity": 7}).total is None


def test_reverse_scored_items_are_mirrored():
    definition = definition_validate(
        {
            "key": "mixed",
            "name": "Mixed",
            "scale": {"min": 1, "max": 5},
            "items": [{"key": "a", "text": "A"}, {"key": "b", "text": "B", "reverse": True}],
            "scoring": {"method": "sum"},
        }
    )
    # a = 4; b = 2 mirrored on 1..5 → 4; total 8
    assert score(definition, {"a": 4, "b": 2}).total == Decimal("8.00")
    assert total_range(definition) == (Decimal(2), Decimal(10))


def test_every_builtin_definition_is_valid_and_has_end_labels():
    assert set(BUILTIN) == {"alliance-checkin", "alliance-clinician", "pain-check"}
    for definition in BUILTIN.values():
        for item in definition["items"]:
            assert item["low_label"] and item["high_label"], (definition["key"], item["key"])


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([], "must be a JSON object"),
        (
            {"key": "Bad Key!", "name": "x", "scale": {"min": 0, "max": 4}, "items": [{"key": "a", "text": "A"}]},
            '"key"',
        ),
        ({"key": "x", "name": "x", "scale": {"min": 4, "max": 0}, "items": [{"key": "a", "text": "A"}]}, "greater"),
        ({"key": "x", "name": "x", "scale": {"min": 0, "max": 4}, "items": []}, "at least one item"),
        (
            {"key": "x", "name": "x", "scale": {"min": 0, "max": 4}, "items": [{"key": "a", "text": "A"}] * 2},
            "used twice",
        ),
        (
            {
                "key": "x",
                "name": "x",
                "scale": {"min": 0, "max": 4},
                "items": [{"key": "a", "text": "A"}],
                "subscales": {"s": ["zz"]},
            },
            "do not exist",
        ),
        (
            {
                "key": "x",
                "name": "x",
                "scale": {"min": 0, "max": 4},
                "items": [{"key": "a", "text": "A"}],
                "thresholds": {"explode": 1},
            },
            "Unknown threshold",
        ),
        (
            {
                "key": "x",
                "name": "x",
                "scale": {"min": 0, "max": 4},
                "items": [{"key": "a", "text": "A"}],
                "scoring": {"method": "median"},
            },
            "scoring.method",
        ),
    ],
)
def test_bad_definitions_are_explained(raw, problem):
    with pytest.raises(DefinitionError) as error:
        definition_validate(raw)
    assert any(problem in p for p in error.value.problems), error.value.problems

import io
import itertools

import pytest
from django.core.management import CommandError, call_command

from patients.models import CareTeamMembership, Clinic, Patient, User
from sessions.models import CareSession, SessionStatus

pytestmark = pytest.mark.django_db


def _seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts():
    return (
        User.objects.count(),
        Patient.objects.count(),
        CareTeamMembership.objects.count(),
        CareSession.objects.count(),
    )


def test_seed_demo_creates_the_named_accounts_and_is_idempotent():
    output = _seed("--password", "a-demo-password-for-tests")
    first = _counts()
    _seed("--password", "a-demo-password-for-tests")
    assert _counts() == first
    assert "patient1@demo.test" in output and "a-demo-password-for-tests" in output
    assert Clinic.objects.count() == 2
    emails = set(User.objects.values_list("email", flat=True))
    assert {
        "admin@demo.test",
        "clinician1@demo.test",
        "clinician2@demo.test",
        "admin@second.demo.test",
        "clinician@second.demo.test",
        "patient@second.demo.test",
    } <= emails
    assert {f"patient{i}@demo.test" for i in range(1, 7)} <= emails
    names = list(User.objects.values_list("full_name", flat=True))
    assert len(names) == len(set(names)), "every person has a distinct name"
    assert User.objects.get(email="patient1@demo.test").check_password("a-demo-password-for-tests")


def test_demo_care_teams_follow_the_contract():
    _seed()

    def team(email):
        return set(
            CareTeamMembership.objects.filter(patient__user__email=email).values_list(
                "clinician__user__email", flat=True
            )
        )

    assert "clinician1@demo.test" in team("patient1@demo.test")
    assert "clinician2@demo.test" not in team("patient1@demo.test")
    assert "clinician2@demo.test" in team("patient2@demo.test")
    assert "clinician1@demo.test" not in team("patient2@demo.test")


def test_demo_has_past_and_upcoming_appointments_for_everyone():
    _seed("--weeks", "6")
    from django.utils import timezone

    now = timezone.now()
    for patient in Patient.objects.all():
        assert CareSession.objects.filter(patient=patient, starts_at__lt=now).exists(), patient
        assert CareSession.objects.filter(
            patient=patient, starts_at__gt=now, status=SessionStatus.SCHEDULED
        ).exists(), patient


def test_seed_demo_scales():
    _seed("--patients", "30", "--weeks", "12")
    assert Patient.objects.filter(clinic__name="Riverside Pain Service").count() == 30


def test_a_big_demo_gets_enough_clinicians_for_everyone_to_have_appointments():
    """Two clinicians cannot see 130 patients a fortnight: without more, the last patients had no history."""
    output = _seed("--patients", "130", "--weeks", "4")
    assert "clinician3@demo.test" in output
    assert User.objects.filter(email="clinician3@demo.test", clinician__clinic__name="Riverside Pain Service").exists()
    from django.utils import timezone

    now = timezone.now()
    without_history = Patient.objects.exclude(care_sessions__starts_at__lt=now)
    without_next = Patient.objects.exclude(
        care_sessions__starts_at__gt=now, care_sessions__status=SessionStatus.SCHEDULED
    )
    assert list(without_history.values_list("user__email", flat=True)) == []
    assert list(without_next.values_list("user__email", flat=True)) == []
    _assert_nobody_is_booked_twice_at_once()


def _assert_nobody_is_booked_twice_at_once():
    """The demo never books what the booking form would refuse: one clinician, two sessions at once."""
    from datetime import timedelta

    by_clinician: dict[int, list] = {}
    for clinician_id, starts, minutes in CareSession.objects.exclude(status=SessionStatus.CANCELLED).values_list(
        "clinician_id", "starts_at", "duration_minutes"
    ):
        by_clinician.setdefault(clinician_id, []).append((starts, starts + timedelta(minutes=minutes)))
    for clinician_id, sessions in by_clinician.items():
        sessions.sort()
        for (_, end), (next_start, _) in itertools.pairwise(sessions):
            assert end <= next_start, f"clinician {clinician_id} is booked twice at {next_start}"


def test_the_demo_never_books_a_clinician_twice_at_the_same_time():
    _seed("--weeks", "26")
    _assert_nobody_is_booked_twice_at_once()


def test_seed_demo_refuses_a_weak_password():
    with pytest.raises(CommandError, match="--password"):
        _seed("--password", "short")


def test_seed_demo_fills_the_shared_record_once():
    from alliance.models import (
        Alert,
        AlertKind,
        DecisionCheck,
        Fit,
        FitResponse,
        Question,
        QuestionStatus,
        Setback,
        StoryEntry,
        StoryPassage,
        Win,
    )

    _seed()

    def counts():
        return [
            m.objects.count() for m in (Question, Win, Setback, FitResponse, DecisionCheck, StoryEntry, StoryPassage)
        ]

    first = counts()
    _seed()
    assert counts() == first, "a second run adds nothing to the record"
    alice = Patient.objects.get(user__email="patient1@demo.test")
    questions = Question.objects.filter(patient=alice)
    assert questions.filter(worried_silly=True, status=QuestionStatus.HELPED).exists()
    assert questions.filter(status=QuestionStatus.STILL_UNCLEAR).exists()
    assert FitResponse.objects.filter(version__explanation__patient=alice, fit=Fit.DOESNT_FIT).exists()
    assert DecisionCheck.objects.filter(decision__patient=alice).exists()
    wins = Win.objects.filter(patient=alice)
    assert wins.filter(acknowledged_at__isnull=False).exists() and wins.filter(acknowledged_at__isnull=True).exists()
    assert Setback.objects.filter(patient=alice).count() >= 2
    assert StoryPassage.objects.filter(entry__patient=alice).exists()
    assert not Alert.objects.filter(kind=AlertKind.DECISION_CHECK).exists(), "the demo check was a good one"


DEMO_STAFF = {
    "admin@demo.test",
    "clinician1@demo.test",
    "clinician2@demo.test",
    "admin@second.demo.test",
    "clinician@second.demo.test",
}


def _totp_lines(output: str) -> dict[str, str]:
    lines = [line.split() for line in output.splitlines() if line.startswith("totp ")]
    assert all(len(parts) == 3 for parts in lines), "each line is: totp <email> <base32 secret>"
    return {email: secret for _, email, secret in lines}


def test_every_demo_clinician_and_admin_gets_an_authenticator_app_and_its_secret_is_printed():
    import pyotp

    from patients.services import second_factor_check

    secrets = _totp_lines(_seed())
    assert set(secrets) == DEMO_STAFF
    assert len(set(secrets.values())) == len(DEMO_STAFF), "each account its own secret"
    admin = User.objects.get(email="admin@demo.test")
    device = second_factor_check(user=admin, code=pyotp.TOTP(secrets["admin@demo.test"]).now())
    assert device.user == admin, "a code worked out from the printed secret signs the admin in"
    assert _totp_lines(_seed()) == secrets, "running it again keeps everyone's app working"


def test_one_totp_secret_for_every_demo_staff_account():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert _totp_lines(_seed("--totp-secret", secret.lower())) == dict.fromkeys(DEMO_STAFF, secret)


def test_a_totp_secret_that_is_not_base32_is_refused():
    with pytest.raises(CommandError, match="--totp-secret: A TOTP secret is base32"):
        _seed("--totp-secret", "not-base32!")

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import CareTeamMembership, Invitation, Role, User
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a walk to the shops and back"


def _invite(cast, **overrides):
    params = {
        "clinic": cast.riverside,
        "created_by": cast.dave.user,
        "email": "Nina.New@Example.org ",
        "full_name": "Nina New",
        "role": Role.PATIENT,
        "clinicians": [cast.bob],
    }
    params.update(overrides)
    return services.invitation_create(**params)


def test_invitation_creates_the_account_without_a_password_and_emails_a_link(cast):
    issued = _invite(cast)
    person = issued.invitation.user
    assert person.email == "nina.new@example.org"
    assert not person.has_usable_password()
    assert person.patient.clinic == cast.riverside
    assert list(CareTeamMembership.objects.filter(patient=person.patient).values_list("clinician", flat=True)) == [
        cast.bob.pk
    ]
    assert issued.emailed
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina.new@example.org"]
    assert issued.token in message.body
    assert "works once" in message.body


def test_only_a_hash_of_the_token_is_stored(cast):
    issued = _invite(cast)
    stored = Invitation.objects.get(pk=issued.invitation.pk)
    assert issued.token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_inviting_an_existing_email_is_refused_next_to_the_email_field(cast):
    with pytest.raises(ValidationError) as error:
        _invite(cast, email="ALICE@example.org")
    assert "email" in error.value.error_dict
    assert User.objects.filter(email="alice@example.org").count() == 1


def test_a_clinician_invitation_needs_a_real_profession(cast):
    with pytest.raises(ValidationError) as error:
        _invite(cast, role=Role.CLINICIAN, clinicians=[], profession="wizard")
    assert "profession" in error.value.error_dict
    assert not User.objects.filter(email="nina.new@example.org").exists(), "nothing is half-saved"


def test_care_team_must_come_from_the_same_clinic(cast):
    with pytest.raises(ValidationError):
        _invite(cast, clinicians=[cast.heidi])
    assert not User.objects.filter(email="nina.new@example.org").exists()


def test_accepting_sets_the_password_and_the_link_then_stops_working(cast):
    issued = _invite(cast)
    person = services.invitation_accept(token=issued.token, password=GOOD_PASSWORD)
    person.refresh_from_db()
    assert person.check_password(GOOD_PASSWORD)
    with pytest.raises(services.InvitationUnusable) as problem:
        services.invitation_accept(token=issued.token, password="another long password")
    assert problem.value.reason == "used"


def test_an_expired_link_cannot_be_used(cast):
    issued = _invite(cast)
    Invitation.objects.filter(pk=issued.invitation.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(services.InvitationUnusable) as problem:
        services.invitation_accept(token=issued.token, password=GOOD_PASSWORD)
    assert problem.value.reason == "expired"


def test_link_expires_after_seven_days(cast):
    issued = _invite(cast)
    lifetime = issued.invitation.expires_at - issued.invitation.created_at
    assert lifetime == timedelta(days=7)


def test_resending_replaces_the_earlier_link(cast):
    first = _invite(cast)
    second = services.invitation_resend(person=first.invitation.user, clinic=cast.riverside, created_by=cast.dave.user)
    with pytest.raises(services.InvitationUnusable) as problem:
        services.invitation_check(token=first.token)
    assert problem.value.reason == "revoked"
    assert services.invitation_check(token=second.token).pk == second.invitation.pk


def test_a_link_replaced_and_then_cancelled_says_it_was_cancelled_not_to_look_for_a_newer_one(client, cast):
    first = _invite(cast)
    second = services.invitation_resend(person=first.invitation.user, clinic=cast.riverside, created_by=cast.dave.user)
    assert services.invitation_cancel(invitation=second.invitation, by=cast.dave.user)
    for issued in (first, second):
        with pytest.raises(services.InvitationUnusable) as problem:
            services.invitation_check(token=issued.token)
        assert problem.value.reason == "cancelled"
        response = client.get(reverse("patients:invitation-accept", kwargs={"token": issued.token}))
        assert response.status_code == 410
        assert "This invitation was cancelled" in page_text(response)
        assert "newer invitation" not in page_text(response)


def test_a_weak_password_is_refused(cast):
    issued = _invite(cast)
    with pytest.raises(ValidationError):
        services.invitation_accept(token=issued.token, password="short")
    assert services.invitation_check(token=issued.token), "the link still works after a refused password"


# --- through the page -----------------------------------------------------------------------


def test_accept_page_sets_password_and_signs_the_person_in(client, cast):
    issued = _invite(cast)
    url = reverse("patients:invitation-accept", kwargs={"token": issued.token})
    page = client.get(url)
    assert page.status_code == 200
    assert "Choose a password" in page_text(page)
    response = client.post(url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("alliance:home"))
    assert home.status_code == 200
    assert "Hello, Nina" in page_text(home)


def test_mismatched_passwords_get_a_clear_message_and_nothing_is_saved(client, cast):
    issued = _invite(cast)
    url = reverse("patients:invitation-accept", kwargs={"token": issued.token})
    response = client.post(url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD + "x"})
    assert response.status_code == 400
    assert "didn’t match" in page_text(response)
    assert not User.objects.get(pk=issued.invitation.user.pk).has_usable_password()


@pytest.mark.parametrize(
    ("token", "heading"),
    [
        ("nonsense", "We don't recognise this link"),
        ("x" * 500, "We don't recognise this link"),
        ("%00", "We don't recognise this link"),
        ("' OR 1=1 --", "We don't recognise this link"),
        ("😀😀😀", "We don't recognise this link"),
        # A token with a slash in it never reaches the invitation page: the site's own "not found" answers.
        ("<script>alert(1)</script>", "We can't find that page"),
        ("..%2F..%2Fetc%2Fpasswd", "We can't find that page"),
    ],
    ids=["nonsense", "500 x", "nul", "sql", "emoji", "script", "path"],
)
def test_malformed_tokens_get_a_clear_page_not_an_error(client, cast, token, heading):
    response = client.get(f"/accounts/invitation/{token}/")
    assert response.status_code == 404
    body = page_text(response)
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", body, flags=re.S) == [heading]
    assert "<script>alert(1)</script>" not in body


def test_used_link_gets_a_clear_page(client, cast):
    issued = _invite(cast)
    services.invitation_accept(token=issued.token, password=GOOD_PASSWORD)
    response = client.get(reverse("patients:invitation-accept", kwargs={"token": issued.token}))
    assert response.status_code == 410
    assert "already been used" in page_text(response)


def test_expired_link_gets_a_clear_page(client, cast):
    issued = _invite(cast)
    Invitation.objects.filter(pk=issued.invitation.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("patients:invitation-accept", kwargs={"token": issued.token}))
    assert response.status_code == 410
    assert "This link has expired" in page_text(response)


def test_invite_form_keeps_the_typed_words_on_bad_input(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"),
        {"role": "patient", "full_name": "Zoë <b>Brave</b> 😀", "email": "not-an-email"},
    )
    assert response.status_code == 400
    body = page_text(response)
    assert "Enter a valid email address" in body
    assert 'value="Zoë &lt;b&gt;Brave&lt;/b&gt; 😀"' in response.content.decode(), "kept, and escaped"
    assert 'value="not-an-email"' in body
    assert not User.objects.filter(full_name__startswith="Zoë").exists()


def test_invite_form_requires_a_profession_for_clinicians(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"),
        {"role": "clinician", "full_name": "Cara New", "email": "cara@example.org", "profession": ""},
    )
    assert response.status_code == 400
    assert "Please choose the clinician's profession." in page_text(response)


def test_invite_form_offers_only_own_clinic_clinicians(client, cast):
    client.force_login(cast.dave.user)
    body = page_text(client.get(reverse("patients:invite")))
    assert "Bob Baker" in body
    assert "Heidi Hall" not in body


def test_invite_form_refuses_a_clinician_from_another_clinic(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"),
        {"role": "patient", "full_name": "Nina New", "email": "nina@example.org", "clinicians": [cast.heidi.pk]},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert not User.objects.filter(email="nina@example.org").exists()


def test_overlong_input_is_refused_with_a_message(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"), {"role": "patient", "full_name": "N" * 10_000, "email": "long@example.org"}
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 150 characters" in page_text(response)


def test_mail_server_down_keeps_the_invitation_and_says_so(client, cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"),
        {"role": "patient", "full_name": "Nina New", "email": "nina@example.org"},
        follow=True,
    )
    assert response.status_code == 200
    assert "could not be sent just now" in page_text(response)
    assert User.objects.filter(email="nina@example.org").exists()


@pytest.mark.django_db
def test_an_invitation_states_its_expiry_in_the_persons_zone_and_names_it(cast, settings):
    settings.INVITATION_TTL = timedelta(days=7)
    cast.riverside.timezone = "America/New_York"
    cast.riverside.save(update_fields=["timezone"])
    issued = services.invitation_create(
        clinic=cast.riverside, created_by=cast.dave.user, email="nina@example.org", full_name="Nina New", role="patient"
    )
    expires = issued.invitation.expires_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    (email,) = mail.outbox
    assert f"until {expires:%-d %B %Y, %H:%M} (New York time)." in email.body


def test_an_invitation_links_to_the_public_address_whatever_address_the_admin_used(client, cast, settings, mailoutbox):
    settings.SITE_URL = "https://alliance.example.org"
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"),
        {"email": "new.person@example.org", "full_name": "New Person", "role": "patient", "clinicians": [cast.bob.pk]},
        HTTP_HOST="127.0.0.1",
    )
    assert response.status_code == 302
    assert "https://alliance.example.org/accounts/invitation/" in mailoutbox[-1].body
    assert "127.0.0.1" not in mailoutbox[-1].body

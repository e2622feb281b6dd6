"""Changing the address one signs in with (issue 12): the current password (and, for anyone who has one,
the second factor again) to ask; a link sent to the new address to confirm, opened by the same person
signed in; the current address told; an address already in use anywhere answered exactly as a free one;
the change kept in the audit trail with the address before and after."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse

from patients.decorators import CONFIRMED_AT
from patients.models import TRACKED, User
from patients.services import EMAIL_CHANGE_TTL
from tests.factories import PASSWORD
from tests.helpers import Client, field_errors, totp_code, totp_device_for, visible_text

PAGE = reverse("patients:email-change")
NEW = "alice.new@example.org"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ask(client, new_email, password=PASSWORD):
    return client.post(PAGE, {"new_email": new_email, "password": password})


def _link(message) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/me/email/confirm/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


@pytest.mark.django_db
def test_a_patient_changes_their_address_through_a_link_sent_to_the_new_one(cast):
    alice = cast.alice.user
    alice.timezone = "America/New_York"
    alice.save(update_fields=["timezone"])
    client = _signed_in(alice)
    account = client.get(reverse("patients:account"))
    assert PAGE in account.content.decode(), "offered on the account page, beside the password"
    assert client.get(PAGE).status_code == 200

    wrong = _ask(client, NEW, password="not-her-password")
    assert wrong.status_code == 400
    assert field_errors(wrong, "password") == ["That isn't your current password. Please check it and try again."]
    assert f'value="{NEW}"' in wrong.content.decode(), "the new address is kept"
    assert mail.outbox == []

    asked = _ask(client, "Alice.New@Example.org")
    assert (asked.status_code, asked["Location"]) == (302, reverse("patients:account"))
    alice.refresh_from_db()
    assert alice.email == "alice@example.org", "nothing changes until the link is opened"
    (confirm,) = _to(NEW)
    (told,) = _to("alice@example.org")
    assert "(New York time)" in confirm.body, "the link's expiry is in her own zone, and named"
    assert NEW in told.body and "change your password" in told.body, "the current address is told"
    assert f"We've emailed {NEW}" in visible_text(client.get(reverse("patients:account")))

    link = _link(confirm)
    shown = client.get(link)
    assert shown.status_code == 200 and NEW in visible_text(shown)
    alice.refresh_from_db()
    assert alice.email == "alice@example.org", "opening the page alone changes nothing"
    done = client.post(link)
    assert (done.status_code, done["Location"]) == (302, reverse("patients:account"))
    alice.refresh_from_db()
    assert alice.email == NEW
    assert f"You now sign in with {NEW}" in visible_text(client.get(reverse("patients:account")))
    assert client.get(link).status_code == 410, "the link works once"

    # She signs in with the new address; the old one no longer works.
    assert Client().post(reverse("login"), {"username": NEW, "password": PASSWORD}).status_code == 302
    assert Client().post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD}).status_code == 200

    # The audit trail keeps the change: who made it, and the address before and after.
    event = TRACKED["patients.User"].event_model.objects.filter(pgh_obj_id=alice.pk).order_by("pgh_id").last()
    assert event.email == NEW and event.pgh_context["user"] == alice.pk
    trail = visible_text(_signed_in(cast.dave.user).get(reverse("patients:audit"), {"patient": cast.alice.pk}))
    assert f"alice@example.org → {NEW}" in trail


@pytest.mark.django_db
def test_an_address_already_in_use_in_any_clinic_gets_the_same_answer_as_a_free_one(cast):
    """erin is the admin of another clinic: the page must not reveal her address has an account."""
    client = _signed_in(cast.alice.user)

    def answer(address: str) -> tuple[int, str, str]:
        mail.outbox.clear()
        response = _ask(client, address)
        page = visible_text(client.get(response["Location"])).replace(address, "ADDRESS")
        return response.status_code, response["Location"], page

    assert answer("erin@example.org") == answer("free@example.org")
    assert answer("frank@example.org") == answer("free@example.org"), "the same in her own clinic"
    # The taken address gets a note and no link; nothing changes for anyone.
    mail.outbox.clear()
    _ask(client, "erin@example.org")
    (note,) = _to("erin@example.org")
    assert "/accounts/me/email/confirm/" not in note.body and "nothing has changed" in note.body
    assert len(_to("alice@example.org")) == 1, "alice's current address is told, as for any ask"
    cast.alice.user.refresh_from_db()
    assert cast.alice.user.email == "alice@example.org"


@pytest.mark.django_db
def test_the_link_is_for_the_person_who_asked_only_and_for_one_day(cast, monkeypatch):
    alice = _signed_in(cast.alice.user)
    _ask(alice, NEW)
    link = _link(_to(NEW)[0])
    bob = _signed_in(cast.bob.user)
    assert bob.get(link).status_code == 404 and bob.post(link).status_code == 404
    bob_email = User.objects.get(pk=cast.bob.user.pk).email
    assert bob_email == "bob@example.org" and User.objects.get(pk=cast.alice.user.pk).email == "alice@example.org"
    assert Client().get(link)["Location"].startswith(reverse("login")), "signed out: sign in first"

    # A day later the link has run out.
    later = time.time() + EMAIL_CHANGE_TTL.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = alice.post(link)
    assert expired.status_code == 410 and "expired" in visible_text(expired)
    assert User.objects.get(pk=cast.alice.user.pk).email == "alice@example.org"


@pytest.mark.django_db
def test_an_address_taken_after_the_link_was_sent_is_not_taken_twice(cast):
    alice = _signed_in(cast.alice.user)
    _ask(alice, NEW)
    link = _link(_to(NEW)[0])
    User.objects.create_user(email=NEW, full_name="Someone Else")
    refused = alice.post(link)
    assert refused.status_code == 410 and "can't be used" in visible_text(refused)
    assert User.objects.get(pk=cast.alice.user.pk).email == "alice@example.org"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["bob", "dave"])
def test_staff_give_their_second_factor_again_before_asking(cast, who):
    user = cast.user(who)
    client = _signed_in(user)
    session = client.session
    session[CONFIRMED_AT] = time.time() - timedelta(minutes=30).total_seconds()
    session.save()
    sent_away = client.get(PAGE)
    assert sent_away.status_code == 302 and sent_away["Location"].startswith(reverse("patients:confirm-it-is-you"))
    back = client.post(sent_away["Location"], {"code": totp_code(totp_device_for(user))})
    assert (back.status_code, back["Location"]) == (302, PAGE)
    assert client.get(PAGE).status_code == 200
    assert _ask(client, f"{who}.new@example.org").status_code == 302
    assert len(_to(f"{who}.new@example.org")) == 1

"""A person's language: chosen on their account, followed by every page and email they get.

Alliance lists English and Spanish (tests/test_translations.py checks the Spanish is complete); these
tests also check through Django's own Spanish translations (form errors), which ship with Django.
"""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from patients.emails import as_seen_by
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

REQUIRED_ES = "Este campo es obligatorio."
def _account(name="Alice Archer", language="es"):
    return {"full_name": name, "timezone": "", "language": language}


def test_with_one_language_there_is_nothing_to_choose(client, cast, settings):
    settings.LANGUAGES = [("en-gb", "English")]
    client.force_login(cast.alice.user)
    response = client.get(reverse("patients:account"))
    assert 'name="language"' not in response.content.decode()
    assert '<html lang="en-gb">' in response.content.decode()


def test_a_chosen_language_is_kept_and_every_page_follows_it(client, cast):
    client.force_login(cast.alice.user)
    assert client.post(reverse("patients:account"), _account()).status_code == 302
    cast.alice.user.refresh_from_db()
    assert cast.alice.user.language == "es"
    response = client.post(reverse("patients:account"), _account(name=""))
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()
    assert REQUIRED_ES in response.context["form"].errors["full_name"]


def test_without_a_choice_pages_follow_the_browser(client, cast):
    client.force_login(cast.alice.user)
    response = client.post(reverse("patients:account"), _account(name="", language=""), HTTP_ACCEPT_LANGUAGE="es")
    assert REQUIRED_ES in response.context["form"].errors["full_name"]
    response = client.post(reverse("patients:account"), _account(name="", language=""), HTTP_ACCEPT_LANGUAGE="en")
    assert "This field is required." in response.context["form"].errors["full_name"]


def test_a_language_not_on_the_list_is_refused_beside_its_field(client, cast):
    client.force_login(cast.alice.user)
    response = client.post(reverse("patients:account"), _account(name="Alice A", language="xx"))
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert response.context["form"].errors["language"]
    cast.alice.user.refresh_from_db()
    assert (cast.alice.user.full_name, cast.alice.user.language) == ("Alice Archer", "")


def test_emails_are_written_in_the_recipients_language(cast):
    cast.alice.user.language = "es"
    with as_seen_by(cast.alice.user):
        assert gettext("This field is required.") == REQUIRED_ES
    with as_seen_by(cast.frank.user):
        assert gettext("This field is required.") == "This field is required."


def test_an_admin_chooses_the_invitees_language_and_the_invitation_is_written_in_it(client, cast, mailoutbox):
    from patients.models import User

    client.force_login(cast.dave.user)
    page = client.get(reverse("patients:invite"))
    assert 'name="language"' in page.content.decode()
    form = {"role": "patient", "full_name": "Rosa Ruiz", "email": "rosa@example.org", "clinicians": [cast.bob.pk]}
    refused = client.post(reverse("patients:invite"), {**form, "language": "xx"})
    assert refused.status_code == 400 and refused.context["form"].errors["language"]
    assert not User.objects.filter(email="rosa@example.org").exists()
    assert client.post(reverse("patients:invite"), {**form, "language": "es"}).status_code == 302
    assert User.objects.get(email="rosa@example.org").language == "es"
    assert mailoutbox[-1].subject == "Riverside Pain Service te ha invitado a Alliance"


def test_an_invitation_opens_in_the_language_chosen_for_the_person_whatever_the_browser(client, cast):
    from patients.services import invitation_create

    issued = invitation_create(
        clinic=cast.riverside,
        created_by=cast.dave.user,
        email="rosa@example.org",
        full_name="Rosa Ruiz",
        role="patient",
        clinicians=[cast.bob],
        language="es",
    )
    url = reverse("patients:invitation-accept", kwargs={"token": issued.token})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB")
    assert page.headers["Content-Language"] == "es" and '<html lang="es">' in page.content.decode()
    password = "una contraseña larga de verdad 2026"
    done = client.post(url, {"new_password1": password, "new_password2": password}, follow=True)
    assert "Te damos la bienvenida a Alliance, Rosa. Tu contraseña ya está guardada." in page_text(done)


def test_a_new_password_link_opens_in_her_language(client, cast):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    cast.alice.user.language = "es"
    cast.alice.user.save()
    uid = urlsafe_base64_encode(force_bytes(cast.alice.user.pk))
    token = default_token_generator.make_token(cast.alice.user)
    page = client.get(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}), follow=True)
    assert page.headers["Content-Language"] == "es"
    assert '<html lang="es">' in page.content.decode()


def test_the_saved_message_is_in_the_language_just_chosen(client, cast):
    client.force_login(cast.alice.user)
    to_spanish = client.post(reverse("patients:account"), _account(), follow=True)
    assert "Tus datos se han guardado." in page_text(to_spanish)
    to_english = client.post(reverse("patients:account"), _account(language="en-gb"), follow=True)
    assert "Your details are saved." in page_text(to_english)


def test_words_alliance_puts_on_her_agenda_are_in_her_language_whoever_acted(cast):
    """Bob reads English; Alice reads Spanish. The agenda item his marking a passage of her story makes is
    written in Spanish, as is a setback she puts on it herself."""
    from alliance.services import record as svc
    from sessions.models import AgendaItem
    from tests.alliance.record import helpers as h

    cast.alice.user.language = "es"
    cast.alice.user.save()
    entry = h.story(cast, body="Dejé de ir a bailar. Echo de menos bailar con mis amigas.")
    svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="Echo de menos bailar")
    setback = h.setback(cast, text="Un mal brote después del jardín")
    svc.setback_add_to_agenda(setback=setback, by=cast.alice.user)
    texts = list(AgendaItem.objects.filter(patient=cast.alice).order_by("pk").values_list("text", flat=True))
    assert texts[-2] == "Hablemos de esto, de la historia de Alice: “Echo de menos bailar”"
    assert texts[-1] == "Un retroceso: Un mal brote después del jardín"

"""After inviting, nothing a clinic admin sees tells an email that had an account in another clinic from a
new one: the people list, the invitation's page, resending, cancelling, expiry, inviting again and the
counts on the admin's home are the same, once names, emails and ids are set aside."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Invitation, User
from patients.services import INVITATION_RESENDS_PER_HOUR, invitation_create
from tests.factories import PatientFactory
from tests.helpers import Client, page_text, query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

NEW = "nobody.yet@example.org"


def _invite(client, email, name, clinicians=(), token=""):
    return client.post(
        reverse("patients:invite"),
        {
            "role": "patient",
            "full_name": name,
            "email": email,
            "clinicians": [c.pk for c in clinicians],
            "form_token": f"{email}-{name}{token}",
        },
    )


def _both(client, cast, clinicians=()):
    """Invite Grace's email (her account is at Northgate) and a new one, the same way; their invitations."""
    client.force_login(cast.dave.user)
    grace = cast.grace.user
    assert _invite(client, grace.email, "Olive Other", clinicians).status_code == 302
    assert _invite(client, NEW, "Nina New", clinicians).status_code == 302
    client.get(reverse("patients:people"))  # read the notes that the invitations were sent
    elsewhere = Invitation.objects.get(clinic=cast.riverside, email=grace.email)
    new = Invitation.objects.get(clinic=cast.riverside, email=NEW)
    # Sent at the same moment, so that the times shown are the same too.
    Invitation.objects.filter(pk__in=[elsewhere.pk, new.pk]).update(
        created_at=new.created_at, expires_at=new.expires_at
    )
    return (elsewhere, "Olive Other", grace.email), (new, "Nina New", NEW)


def _masked(html: str) -> str:
    return re.sub(r'name="(csrfmiddlewaretoken|form_token)" value="[^"]*"', r'name="\1" value="X"', html)


def _normalised(html: str, invitation: Invitation, name: str, email: str) -> str:
    html = html.replace(name, "NAME").replace(email, "EMAIL")
    return _masked(re.sub(rf"/invited/{invitation.pk}/", "/invited/ID/", html))


def _row(html: str, email: str) -> str:
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if email in row]
    assert len(rows) == 1, f"one row for {email}"
    return rows[0]


def _notes(client, response) -> list[str]:
    """The notes shown on the page a POST led to (reading them clears them)."""
    html = client.get(response["Location"]).content.decode()
    return [unescape(note) for note in re.findall(r'<div class="alert alert-[a-z]+">(.*?)</div>', html, flags=re.S)]


def _people(client) -> str:
    return client.get(reverse("patients:people")).content.decode()


def _latest(invitation: Invitation) -> Invitation:
    return Invitation.objects.filter(clinic=invitation.clinic, email=invitation.email).order_by("-created_at").first()


def test_the_people_list_shows_both_invitations_alike(client, cast):
    (elsewhere, *a), (new, *b) = _both(client, cast, clinicians=[cast.bob])
    html = _people(client)
    row_a, row_b = _row(html, a[1]), _row(html, b[1])
    assert _normalised(row_a, elsewhere, *a) == _normalised(row_b, new, *b)
    assert "Invited" in row_a and "1 clinician" in row_a
    assert f'href="/clinic/people/invited/{elsewhere.pk}/"' in row_a
    assert "Patients (4)" in page_text(client.get(reverse("patients:people")))  # Alice, Frank and both


def test_the_list_keeps_name_order_whichever_the_email(client, cast):
    client.force_login(cast.dave.user)
    _invite(client, cast.grace.user.email, "Amy Aardvark")  # had an account elsewhere
    _invite(client, NEW, "Zoe Zebra")
    _invite(client, "third@example.org", "Beth Badger")
    text = page_text(client.get(reverse("patients:people")))
    text = text[text.index("Patients (") :]  # past the note that the invitations were sent
    names = ["Alice Archer", "Amy Aardvark", "Beth Badger", "Frank Foster", "Zoe Zebra"]
    assert sorted(names, key=text.index) == sorted(names)


def test_the_invitation_page_is_the_same_for_both(client, cast):
    (elsewhere, *a), (new, *b) = _both(client, cast, clinicians=[cast.bob])
    page_a = client.get(reverse("patients:invitation", kwargs={"pk": elsewhere.pk}))
    page_b = client.get(reverse("patients:invitation", kwargs={"pk": new.pk}))
    assert page_a.status_code == page_b.status_code == 200
    assert _normalised(page_a.content.decode(), elsewhere, *a) == _normalised(page_b.content.decode(), new, *b)
    text = page_text(page_a)
    for words in (
        "Olive Other",
        cast.grace.user.email,
        "Invited",
        "Bob Baker",
        "Resend invitation",
        "Cancel invitation",
    ):
        assert words in text
    assert cast.grace.user.full_name not in text, "her real name is never shown"


def test_resending_answers_the_same_and_emails_each_person_as_before(client, cast, mailoutbox):
    (elsewhere, *a), (new, *b) = _both(client, cast)
    mailoutbox.clear()
    answers = []
    for invitation, _name, email in ((elsewhere, *a), (new, *b)):
        response = client.post(
            reverse("patients:invitation-resend", kwargs={"pk": invitation.pk}), {"form_token": email}
        )
        fresh = _latest(invitation)
        assert fresh.pk != invitation.pk and fresh.state == "invited"
        assert response["Location"] == reverse("patients:invitation", kwargs={"pk": fresh.pk})
        said = _notes(client, response)
        answers.append([m.replace(email, "EMAIL") for m in said])
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None
    assert answers[0] == answers[1] == ["We've emailed a new invitation to EMAIL. Earlier links no longer work."]
    assert [m.to for m in mailoutbox] == [[cast.grace.user.email], [NEW]]
    assert "tried to invite you" in mailoutbox[0].subject and "nothing has changed" in mailoutbox[0].body
    assert "has invited you" in mailoutbox[1].subject and "/accounts/invitation/" in mailoutbox[1].body
    cast.grace.user.refresh_from_db()
    assert cast.grace.user.patient.clinic == cast.northgate
    html = _people(client)
    assert _normalised(_row(html, a[1]), _latest(elsewhere), *a) == _normalised(_row(html, b[1]), _latest(new), *b)


def test_resending_too_often_is_refused_the_same_way(client, cast, mailoutbox):
    (elsewhere, *a), (new, *b) = _both(client, cast)
    refusals = []
    for invitation, _name, email in ((elsewhere, *a), (new, *b)):
        for n in range(INVITATION_RESENDS_PER_HOUR + 1):
            current = _latest(invitation)
            response = client.post(
                reverse("patients:invitation-resend", kwargs={"pk": current.pk}), {"form_token": f"{email}{n}"}
            )
            notes = _notes(client, response)
        refusals.append(notes)
        assert response["Location"] == reverse("patients:invitation", kwargs={"pk": current.pk})
    assert (
        refusals[0]
        == refusals[1]
        == ["This invitation was sent several times in the last hour. Please wait a while and try again."]
    )


def test_cancelling_shows_the_same(client, cast):
    (elsewhere, *a), (new, *b) = _both(client, cast)
    said = []
    for invitation, _name, email in ((elsewhere, *a), (new, *b)):
        response = client.post(
            reverse("patients:invitation-cancel", kwargs={"pk": invitation.pk}), {"form_token": email}
        )
        assert response["Location"] == reverse("patients:invitation", kwargs={"pk": invitation.pk})
        said.append([m.replace(email, "EMAIL") for m in _notes(client, response)])
    assert said[0] == said[1] == ["The invitation to EMAIL is cancelled. Its link no longer works."]
    html = _people(client)
    row_a, row_b = _row(html, a[1]), _row(html, b[1])
    assert "Invitation cancelled" in row_a
    assert _normalised(row_a, elsewhere, *a) == _normalised(row_b, new, *b)
    page_a = client.get(reverse("patients:invitation", kwargs={"pk": elsewhere.pk})).content.decode()
    page_b = client.get(reverse("patients:invitation", kwargs={"pk": new.pk})).content.decode()
    assert _normalised(page_a, elsewhere, *a) == _normalised(page_b, new, *b)


def test_an_expired_invitation_shows_the_same(client, cast):
    (elsewhere, *a), (new, *b) = _both(client, cast)
    past = timezone.now() - timedelta(days=1)
    Invitation.objects.filter(pk__in=[elsewhere.pk, new.pk]).update(
        created_at=past - timedelta(days=7), expires_at=past
    )
    html = _people(client)
    row_a, row_b = _row(html, a[1]), _row(html, b[1])
    assert "Invitation expired" in row_a
    assert _normalised(row_a, elsewhere, *a) == _normalised(row_b, new, *b)


def test_inviting_the_same_email_twice_gets_the_same_answer(client, cast):
    (_, *a), (_, *b) = _both(client, cast)
    again_a = _invite(client, a[1], "Olive Other", token="again")
    again_b = _invite(client, b[1], "Nina New", token="again")
    assert again_a.status_code == again_b.status_code == 400
    text_a = _masked(again_a.content.decode()).replace(a[1], "EMAIL").replace("Olive Other", "NAME")
    text_b = _masked(again_b.content.decode()).replace(b[1], "EMAIL").replace("Nina New", "NAME")
    assert text_a == text_b
    assert "This person is already in your clinic." in text_a
    assert Invitation.objects.filter(clinic=cast.riverside, email=a[1]).count() == 1


def _home_counts(client) -> dict[str, str]:
    text = visible_text(client.get(reverse("alliance:home")))
    return {label: re.search(rf"(\d+) {label}", text).group(1) for label in ("patients", "not joined yet")}


def test_the_admin_home_counts_both_alike(client, cast):
    client.force_login(cast.dave.user)
    before = _home_counts(client)
    _invite(client, cast.grace.user.email, "Olive Other")
    after_elsewhere = _home_counts(client)
    _invite(client, NEW, "Nina New")
    after_new = _home_counts(client)
    for label in before:
        assert int(after_elsewhere[label]) - int(before[label]) == 1
        assert int(after_new[label]) - int(after_elsewhere[label]) == 1
    html = client.get(reverse("alliance:home")).content.decode()
    need_team = html[html.index("Patients who need a care team") :]
    for email in (cast.grace.user.email, NEW):
        pk = Invitation.objects.get(clinic=cast.riverside, email=email).pk
        assert f'href="/clinic/people/invited/{pk}/"' in need_team


def test_another_clinics_admin_cannot_open_or_act_on_an_invitation(cast):
    issued = invitation_create(
        clinic=cast.riverside,
        created_by=cast.dave.user,
        email=cast.grace.user.email,
        full_name="Olive Other",
        role="patient",
    )
    erin = Client()
    erin.force_login(cast.erin.user)
    pk = issued.invitation.pk
    assert erin.get(reverse("patients:invitation", kwargs={"pk": pk})).status_code == 404
    for name in ("patients:invitation-resend", "patients:invitation-cancel"):
        assert erin.post(reverse(name, kwargs={"pk": pk}), {"form_token": name}).status_code == 404
    issued.invitation.refresh_from_db()
    assert issued.invitation.state == "invited"


def test_resending_with_the_same_form_twice_sends_once(client, cast, mailoutbox):
    (elsewhere, *a), _ = _both(client, cast)
    mailoutbox.clear()
    url = reverse("patients:invitation-resend", kwargs={"pk": elsewhere.pk})
    client.post(url, {"form_token": "once"})
    client.post(url, {"form_token": "once"})
    assert Invitation.objects.filter(clinic=cast.riverside, email=a[1]).count() == 2
    assert len(mailoutbox) == 1


def test_people_list_query_count_is_the_same_for_1_and_50_invitations(cast):
    def add(n):
        for _ in range(n):
            elsewhere = PatientFactory(clinic=cast.northgate).user
            invitation_create(
                clinic=cast.riverside,
                created_by=cast.dave.user,
                email=elsewhere.email,
                full_name="Someone",
                role="patient",
                clinicians=[cast.bob],
            )
            invitation_create(
                clinic=cast.riverside,
                created_by=cast.dave.user,
                email=f"new{User.objects.count()}@example.org",
                full_name="Someone New",
                role="patient",
                clinicians=[cast.bob],
            )

    query_counts_at_1_and_50(
        add, lambda: [(cast.dave.user, reverse("patients:people"), 9), (cast.dave.user, reverse("alliance:home"), 10)]
    )

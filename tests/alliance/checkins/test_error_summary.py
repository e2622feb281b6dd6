"""A check-in or rating sent with answers missing comes back with a summary that takes focus and
links to each missing question (plain anchors: no script needed)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from alliance.models import Purpose, Respondent
from alliance.selectors.instruments import instruments_current

pytestmark = pytest.mark.django_db


def test_the_check_in_summary_is_focused_and_links_to_each_missing_question(client, cast):
    versions = instruments_current(
        clinic=cast.alice.clinic, respondent=Respondent.PATIENT, purposes=(Purpose.ALLIANCE, Purpose.PAIN)
    )
    items = versions[Purpose.ALLIANCE].definition["items"]
    answered = {f"alliance-{items[0]['key']}": "3"}
    client.force_login(cast.alice.user)
    response = client.post(reverse("alliance:checkin"), {**answered, "session": str(cast.alice_session.pk)})
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div[^>]*id="checkin-errors"[^>]*>(.*?)</div>', html, re.S)
    assert summary is not None
    opening = summary.group(0).split(">", 1)[0]
    assert 'tabindex="-1"' in opening and "autofocus" in opening
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(1))
    assert [unescape(text) for _, text in links] == [item["text"] for item in items[1:]]
    for anchor, _ in links:
        assert f'id="{anchor}"' in html, "each link lands on its question"
    assert items[0]["text"] not in unescape(summary.group(1)), "the answered question is not listed"

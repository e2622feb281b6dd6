"""The clinician's home: the patients who need them first, a page at a time, and a search by name."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, AlertKind
from alliance.selectors.caseload import PER_PAGE, QUERY_MAX_LENGTH, caseload_page, caseload_query_clean
from alliance.services import record as svc
from alliance.views.home import LIST_LIMIT
from tests.alliance.record import helpers as h
from tests.factories import CareSessionFactory, CareTeamFactory, PatientFactory, UserFactory
from tests.helpers import query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

HOME = reverse("alliance:home")


def _patient(cast, name, clinician=None):
    patient = PatientFactory(user=UserFactory(full_name=name), clinic=cast.riverside)
    CareTeamFactory(patient=patient, clinician=clinician or cast.bob)
    return patient


def _names(response) -> list[str]:
    """The patients listed in the caseload table, in order."""
    body = response.content.decode()
    if '<table class="table table-stack' not in body:
        return []
    table = body.split('<table class="table table-stack', 1)[1].split("</table>", 1)[0]
    return [html.unescape(name) for name in re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', table)]


def _rows(response) -> list[str]:
    """What each row of the caseload says is waiting, in order."""
    cells = re.findall(r'<td data-label="Waiting for you">(.*?)</td>', response.content.decode(), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def _every_name(client, query="") -> list[str]:
    """Follow the pages from the first to the last and collect every name."""
    names, page = [], 1
    while True:
        response = client.get(HOME, {"q": query, "page": page} if query else {"page": page})
        names += _names(response)
        if "Next page" not in visible_text(response):
            return names
        page += 1


@pytest.fixture
def bob_client(client, cast):
    client.force_login(cast.bob.user)
    return client


# --- Who comes first -----------------------------------------------------------------------------


def test_patients_who_need_attention_come_first_and_each_row_says_why(bob_client, cast):
    quiet = [_patient(cast, f"Aaron Quiet {n}") for n in range(3)]
    alerted = _patient(cast, "Zoe Alerted")
    Alert.objects.create(patient=alerted, kind=AlertKind.LOW_TOTAL, detail="Total 12 of 40")
    asking = _patient(cast, "Yusuf Asking")
    svc.question_ask(patient=asking, by=asking.user, text="Is swimming OK?", worried_silly=False, route="ask_now")
    proud = _patient(cast, "Xena Proud")
    svc.win_log(patient=proud, by=proud.user, text="Walked to the shop")
    seen_today = _patient(cast, "Wendy Today")
    CareSessionFactory(patient=seen_today, clinician=cast.bob, starts_at=_today_at(cast, 23, 59))
    h.doesnt_fit(cast)  # alice's explanation doesn't fit her experience

    response = bob_client.get(HOME)
    names = _names(response)
    attention = ["Alice Archer", "Wendy Today", "Xena Proud", "Yusuf Asking", "Zoe Alerted"]
    assert names == attention + [p.user.full_name for p in quiet]
    text = visible_text(response)
    assert "5 of your 8 patients have something waiting for you" in text
    rows = dict(zip(names, _rows(response), strict=True))
    assert rows["Zoe Alerted"] == "1 to talk through"
    assert rows["Yusuf Asking"] == "Open questions"
    assert rows["Alice Archer"] == "An explanation doesn't fit yet"
    assert rows["Xena Proud"] == "A win waiting for your reply"
    assert rows["Wendy Today"] == "Appointment today"
    assert text.count("Nothing right now") == 3


def test_a_win_the_clinician_wrote_and_a_talked_through_alert_do_not_count(bob_client, cast):
    svc.win_log(patient=cast.alice, by=cast.bob.user, text="Bob noticed she walked further")
    alert = Alert.objects.create(
        patient=cast.alice, kind=AlertKind.DROP, detail="Down 8", acknowledged_at=timezone.now()
    )
    alert.resolved_at = timezone.now()
    alert.save()
    text = visible_text(bob_client.get(HOME))
    assert "Nothing is waiting for you across your 1 patient" in text and "Nothing right now" in text


def test_a_cancelled_appointment_today_is_not_a_reason(bob_client, cast):
    CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=_today_at(cast, 23, 58), status="cancelled")
    assert "Appointment today" not in visible_text(bob_client.get(HOME))


def test_the_caseload_never_shows_another_clinicians_patients(client, cast):
    client.force_login(cast.carol.user)
    text = visible_text(client.get(HOME, {"q": "Alice"}))
    assert "Alice Archer" not in text and "No one on your caseload has “Alice” in their name" in text
    assert _names(client.get(HOME)) == ["Frank Foster"]


def test_a_clinician_with_no_patients_is_told_who_adds_them(client, cast):
    cast.carol.care_team_memberships.all().delete()
    client.force_login(cast.carol.user)
    text = visible_text(client.get(HOME))
    assert "No patients are on your caseload yet. Your clinic admin adds you to patients' care teams." in text
    assert "Find a patient by name" not in text


# --- Pages ---------------------------------------------------------------------------------------


def test_a_big_caseload_is_paged_and_every_patient_is_reachable(bob_client, cast):
    patients = [_patient(cast, f"Patient {n:03d}") for n in range(PER_PAGE + 6)]
    svc.win_log(patient=patients[-1], by=patients[-1].user, text="A good day")
    first = bob_client.get(HOME)
    names = _names(first)
    assert len(names) == PER_PAGE and names[0] == "Patient 030", "the patient waiting for a reply comes first"
    text = visible_text(first)
    assert "Patients 1 to 25 of 32, page 1 of 2." in text and "Next page" in text and "Previous" not in text
    html = first.content.decode()
    assert '<nav aria-label="Pages of your patient list">' in html
    assert 'aria-current="page"' in html and 'href="?page=2#caseload-heading"' in html
    second = bob_client.get(HOME, {"page": 2})
    assert len(_names(second)) == 32 - PER_PAGE and "Previous page" in visible_text(second)
    everyone = _every_name(bob_client)
    assert sorted(everyone) == sorted(["Alice Archer", *(p.user.full_name for p in patients)])
    assert len(everyone) == len(set(everyone)) == 32


@pytest.mark.parametrize(
    ("page", "expected_first"),
    [
        ("abc", "Alice Archer"),
        ("-1", "Patient 024"),
        ("0", "Patient 024"),
        ("999", "Patient 024"),
        ("1e309", "Alice Archer"),
        ("99999999999999999999999", "Patient 024"),
        ("", "Alice Archer"),
        ("2.5", "Alice Archer"),
    ],
)
def test_a_page_number_that_makes_no_sense_gives_the_first_or_last_page(bob_client, cast, page, expected_first):
    for n in range(PER_PAGE + 5):
        _patient(cast, f"Patient {n:03d}")
    response = bob_client.get(HOME, {"page": page})
    assert response.status_code == 200
    assert _names(response)[0] == expected_first


# --- Search --------------------------------------------------------------------------------------


def test_search_finds_a_patient_by_any_part_of_their_name_in_any_order(bob_client, cast):
    _patient(cast, "Sarah Mitchell")
    _patient(cast, "Sarah O'Connor")
    _patient(cast, "Tom Fletcher")
    assert _names(bob_client.get(HOME, {"q": "sarah"})) == ["Sarah Mitchell", "Sarah O'Connor"]
    assert _names(bob_client.get(HOME, {"q": "  mitchell   SARAH "})) == ["Sarah Mitchell"]
    assert _names(bob_client.get(HOME, {"q": "o'connor"})) == ["Sarah O'Connor"]
    response = bob_client.get(HOME, {"q": "sarah"})
    text = visible_text(response)
    assert "2 patients with “sarah” in their name." in text and "Show all 4 patients" in text
    assert 'value="sarah"' in response.content.decode()


def test_search_keeps_the_summary_of_the_whole_caseload(bob_client, cast):
    other = _patient(cast, "Tom Fletcher")
    svc.win_log(patient=other, by=other.user, text="Slept well")
    text = visible_text(bob_client.get(HOME, {"q": "alice"}))
    assert "1 of your 2 patients has something waiting for you" in text


def test_search_with_no_match_says_so_kindly_and_offers_everyone(bob_client, cast):
    text = visible_text(bob_client.get(HOME, {"q": "Nobody"}))
    assert (
        "No one on your caseload has “Nobody” in their name. Check the spelling, or try part of a first or last name."
        in text
    )
    assert "Show all 1 patient" in text


def test_search_results_are_paged_with_the_search_kept_in_the_links(bob_client, cast):
    for n in range(PER_PAGE + 2):
        _patient(cast, f"Sam Smith {n:02d}")
    _patient(cast, "Tom Fletcher")
    first = bob_client.get(HOME, {"q": "smith"})
    assert 'href="?q=smith&amp;page=2#caseload-heading"' in first.content.decode()
    assert _every_name(bob_client, "smith") == [f"Sam Smith {n:02d}" for n in range(PER_PAGE + 2)]


@pytest.mark.parametrize(
    "query",
    ["x" * 10_000, "%", "_", "\\", "\x00alice", "<script>alert('x')</script>", "' OR 1=1 --", "😀👍🏽 Zoë’s", " " * 50],
)
def test_hostile_searches_never_break_the_page(bob_client, cast, query):
    response = bob_client.get(HOME, {"q": query, "page": "abc"})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_a_very_long_search_is_shortened_and_says_so(bob_client, cast):
    text = visible_text(bob_client.get(HOME, {"q": "Alice" + "x" * 500}))
    assert f"That search was long, so we looked for the first {QUERY_MAX_LENGTH} characters." in text


def test_percent_and_underscore_are_searched_for_literally(bob_client, cast):
    _patient(cast, "Ann_Marie Jones")
    assert _names(bob_client.get(HOME, {"q": "_"})) == ["Ann_Marie Jones"]
    assert _names(bob_client.get(HOME, {"q": "%"})) == []


def test_the_search_field_has_a_label_and_needs_no_script(bob_client, cast):
    html = bob_client.get(HOME).content.decode()
    form = html.split('role="search"', 1)[1].split("</form>", 1)[0]
    assert '<label class="form-label" for="caseload-q">Find a patient by name</label>' in form
    assert 'id="caseload-q" name="q"' in form and f'maxlength="{QUERY_MAX_LENGTH}"' in form
    assert '<button class="btn btn-outline-primary" type="submit">Search</button>' in form
    assert 'method="get"' in html.split('role="search"', 1)[0].rsplit("<form", 1)[1]
    assert "<script" not in form


def test_the_search_is_cleaned_before_it_reaches_the_database():
    assert caseload_query_clean("  Sarah \x00 Mitchell \n") == ("Sarah Mitchell", False)
    assert caseload_query_clean(None) == ("", False)
    query, clipped = caseload_query_clean("a" * (QUERY_MAX_LENGTH + 1))
    assert len(query) == QUERY_MAX_LENGTH and clipped


# --- What the page costs -------------------------------------------------------------------------


def _today_at(cast, hour: int, minute: int = 0):
    return timezone.localtime(timezone.now(), cast.bob.user.tzinfo).replace(hour=hour, minute=minute, second=0)


def _fill_caseload(cast, count: int, *, start: int = 0) -> None:
    """``count`` patients on bob's caseload, each with everything that can be waiting for him."""
    for n in range(start, start + count):
        patient = _patient(cast, f"Patient {n:03d}")
        Alert.objects.create(patient=patient, kind=AlertKind.LOW_TOTAL, detail="Total 12 of 40")
        svc.question_ask(
            patient=patient, by=patient.user, text="Is this normal?", worried_silly=n % 2 == 0, route="ask_now"
        )
        svc.win_log(patient=patient, by=patient.user, text="A good day")
        exp = svc.explanation_write(patient=patient, by=cast.bob.user, title="Why it hurts", body="A protective alarm.")
        svc.explanation_respond(version=exp.versions.get(), by=patient.user, fit="doesnt_fit", words="Not for me")
        CareSessionFactory(patient=patient, clinician=cast.bob, starts_at=_today_at(cast, 12))
        CareSessionFactory(patient=patient, clinician=cast.bob, starts_at=timezone.now() + timedelta(days=3))


def test_the_caseload_costs_the_same_queries_at_1_and_50_patients(cast):
    made = []

    def add(n):
        _fill_caseload(cast, n, start=len(made))
        made.extend(range(n))

    query_counts_at_1_and_50(
        add,
        lambda: [(cast.bob.user, HOME + params, 13) for params in ("", "?q=patient", "?page=2")],
    )


def test_the_caseload_selector_reads_in_two_queries(cast, django_assert_num_queries):
    _fill_caseload(cast, 30)
    user = (
        type(cast.bob.user)
        .objects.select_related("patient", "clinician__clinic", "clinic_admin")
        .get(pk=cast.bob.user.pk)
    )
    with django_assert_num_queries(2):
        page = caseload_page(user=user, query="", page="2")
        # The 30 with something waiting come first, then alice: page 2 starts at the 26th.
        assert [p.user.full_name for p in page.patients] == [
            *(f"Patient {n:03d}" for n in range(25, 30)),
            "Alice Archer",
        ]
    assert page.counts.total == 31 and page.counts.attention == 30
    assert all(p.is_today and p.is_alerts and p.is_questions and p.is_fits and p.is_wins for p in page.patients[:5])
    assert not page.patients[5].needs_attention


def test_the_lists_above_show_the_first_few_and_say_where_the_rest_are(bob_client, cast):
    _fill_caseload(cast, LIST_LIMIT + 1)
    text = visible_text(bob_client.get(HOME))
    assert f"These are the first {LIST_LIMIT}. Everyone with something to talk through comes first" in text
    assert f"The lists from the shared records show the first {LIST_LIMIT} of each." in text
    assert text.count("Be gentle:") == LIST_LIMIT // 2


def test_short_lists_say_nothing_about_more(bob_client, cast):
    _fill_caseload(cast, 2)
    text = visible_text(bob_client.get(HOME))
    assert "These are the first" not in text and "show the first" not in text

"""The named cast every test can use.

- alice: a patient at Riverside; bob is on her care team.
- frank: another patient at Riverside; carol is on his care team, bob is not.
- bob: alice's clinician. carol: a clinician at Riverside, not on alice's team.
- dave: Riverside's clinic admin. erin: the admin of another clinic (Northgate), with her own
  clinician (heidi) and patient (grace).
"""

import copy
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from patients.models import Clinic, ClinicAdmin, Clinician, Patient, User
from sessions.models import CareSession
from tests.factories import (
    PASSWORD,
    CareSessionFactory,
    CareTeamFactory,
    ClinicAdminFactory,
    ClinicFactory,
    ClinicianFactory,
    PatientFactory,
    UserFactory,
)
from tests.helpers import Client


@dataclass
class Cast:
    riverside: Clinic
    northgate: Clinic
    alice: Patient
    frank: Patient
    bob: Clinician
    carol: Clinician
    dave: ClinicAdmin
    erin: ClinicAdmin
    heidi: Clinician
    grace: Patient
    alice_session: CareSession
    frank_session: CareSession
    grace_session: CareSession

    password: str = PASSWORD

    def user(self, name: str) -> User | None:
        """The account behind a cast name, or None for "anonymous"."""
        if name == "anonymous":
            return None
        return getattr(self, name).user


def make_cast() -> Cast:
    # Transactional tests flush the database, taking the questionnaires the migrations load with it.
    from alliance.instruments import builtin_sync
    from alliance.models import Instrument, InstrumentVersion

    builtin_sync(Instrument, InstrumentVersion)
    riverside = ClinicFactory(name="Riverside Pain Service")
    northgate = ClinicFactory(name="Northgate Physiotherapy")
    alice = PatientFactory(user=UserFactory(email="alice@example.org", full_name="Alice Archer"), clinic=riverside)
    frank = PatientFactory(user=UserFactory(email="frank@example.org", full_name="Frank Foster"), clinic=riverside)
    bob = ClinicianFactory(user=UserFactory(email="bob@example.org", full_name="Bob Baker"), clinic=riverside)
    carol = ClinicianFactory(user=UserFactory(email="carol@example.org", full_name="Carol Clarke"), clinic=riverside)
    dave = ClinicAdminFactory(user=UserFactory(email="dave@example.org", full_name="Dave Dixon"), clinic=riverside)
    erin = ClinicAdminFactory(user=UserFactory(email="erin@example.org", full_name="Erin Evans"), clinic=northgate)
    heidi = ClinicianFactory(user=UserFactory(email="heidi@example.org", full_name="Heidi Hall"), clinic=northgate)
    grace = PatientFactory(user=UserFactory(email="grace@example.org", full_name="Grace Green"), clinic=northgate)
    CareTeamFactory(patient=alice, clinician=bob)
    CareTeamFactory(patient=frank, clinician=carol)
    CareTeamFactory(patient=grace, clinician=heidi)
    soon = timezone.now() + timedelta(days=1)
    return Cast(
        riverside=riverside,
        northgate=northgate,
        alice=alice,
        frank=frank,
        bob=bob,
        carol=carol,
        dave=dave,
        erin=erin,
        heidi=heidi,
        grace=grace,
        alice_session=CareSessionFactory(patient=alice, clinician=bob, starts_at=soon),
        frank_session=CareSessionFactory(patient=frank, clinician=carol, starts_at=soon),
        grace_session=CareSessionFactory(patient=grace, clinician=heidi, starts_at=soon),
    )


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()


# Everyone the permission matrix asks as: the cast's users, and a visitor who is not signed in.
ROLES = ("anonymous", "alice", "frank", "bob", "carol", "dave", "erin")


@dataclass
class SignedIn:
    cast: Cast
    cookies: dict[str, SimpleCookie]

    def client(self, role: str) -> Client:
        """A client of its own for ``role``, already signed in (or not, for "anonymous")."""
        client = Client()
        client.cookies = copy.deepcopy(self.cookies[role])
        return client


@pytest.fixture(scope="module")
def signed_in(django_db_setup, django_db_blocker) -> SignedIn:
    """The cast, each signed in once for the whole module.

    They are made in a transaction held open for this module and rolled back after it. Each test
    runs inside it, in a savepoint of its own that is rolled back when the test ends, so a test
    sees the cast and their sessions and leaves nothing behind for the next. So only tests that
    are not transactional can use it; a test changing the cast's objects in memory copies them first.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        cast = make_cast()
        cookies = {}
        for role in ROLES:
            client = Client()
            if (user := cast.user(role)) is not None:
                client.force_login(user)
            cookies[role] = client.cookies
        yield SignedIn(cast, cookies)
        transaction.set_rollback(True)


# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _forget_broker_connections() -> None:
    """Celery keeps a pool of connections to the broker it first used: let the next use open new ones."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def unreachable_broker(settings, monkeypatch):
    """Point Celery at a closed port for one test, and put the real broker back afterwards."""
    # Celery reads its configuration lazily: read it now, while the real broker is still configured,
    # or it would be read during the test and keep the closed port for every later test.
    real = celery_app.conf.broker_url
    assert real != UNREACHABLE_BROKER
    # Celery reads CELERY_BROKER_URL from the environment ahead of its own configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    celery_app.conf.broker_url = UNREACHABLE_BROKER
    _forget_broker_connections()
    yield
    celery_app.conf.broker_url = real
    _forget_broker_connections()


@pytest.fixture
def client() -> Client:
    """pytest-django's ``client``, as our ``Client``: staff signed in with ``force_login`` are past their
    second factor too (see tests/helpers.py)."""
    return Client()


@pytest.fixture
def client_for(client):
    """``client_for(user)`` gives a test client signed in as that user (or anonymous for None)."""

    def _client(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _client


@pytest.fixture
def celery_workers(transactional_db, tmp_path):
    """Real ``celery -A config`` processes on a queue of this test's own (see tests/workers.py).

    Asking for transactional_db here means the processes are stopped before the database is
    flushed (PostgreSQL cannot drop a database other sessions are connected to).
    """
    from tests.workers import CeleryWorkers

    workers = CeleryWorkers(tmp_path)
    yield workers
    workers.stop()


@pytest.fixture(scope="session", autouse=True)
def _export_files_in_a_temporary_folder(tmp_path_factory):
    """Export files written by tests go to a temporary folder, never under var/."""
    from django.conf import settings

    settings.EXPORT_ROOT = tmp_path_factory.mktemp("exports")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Among transactional tests, run those with ``serialized_rollback`` first.

    After a transactional test without it, Django flushes the database and recreates the content
    types under new ids; a serialized-rollback test that follows then reloads the old rows and
    collides with them (``django_content_type_app_label_model`` unique). After a serialized one the
    flush recreates nothing, so the others can safely come after. pytest-django has already put
    the transactional tests last; this stable sort keeps that and only orders within them.
    """

    def transactional(item) -> bool:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        return bool(
            (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
            or "transactional_db" in fixtures
            or "live_server" in fixtures
        )

    def serialized(item) -> bool:
        marker = item.get_closest_marker("django_db")
        return bool(marker and marker.kwargs.get("serialized_rollback"))

    # pytest-django has put the transactional tests together; reorder only that block, stably.
    block = [index for index, item in enumerate(items) if transactional(item)]
    if block:
        start, end = block[0], block[-1] + 1
        items[start:end] = sorted(items[start:end], key=lambda item: not serialized(item))


@pytest.fixture(autouse=True)
def _an_empty_cache():
    """Each test starts with an empty cache: pages kept for one test's people never reach another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _the_sites_language():
    """Each test starts in the site's language, as each request does: a page asked for in Spanish by one
    test (the test client leaves the language it used active) never decides the words of the next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)

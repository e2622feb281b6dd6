"""Pages no one else can reopen: every answer to someone signed in says ``Cache-Control: no-store``."""

from __future__ import annotations

import copy

import pytest
from django.db import transaction
from django.urls import reverse

from tests.conftest import ROLES
from tests.test_permissions import ROWS

SIGNED_IN_ROLES = [role for role in ROLES if role != "anonymous"]


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_every_signed_in_answer_of_the_permission_matrix_says_no_store(signed_in):
    """Every URL of the matrix, asked by every signed-in role, whatever the answer (200, 302, 403, 404)."""
    checked, missing = 0, []
    for row in ROWS:
        # Each row builds what its URL needs and is rolled back after, as in the matrix itself.
        with transaction.atomic():
            cast = copy.deepcopy(signed_in.cast)
            url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
            data = row.data(cast)
            for role in SIGNED_IN_ROLES:
                with transaction.atomic():
                    response = getattr(signed_in.client(role), row.method)(url, data)
                    transaction.set_rollback(True)
                checked += 1
                if not _no_store(response):
                    cache_control = response.get("Cache-Control")
                    missing.append(f"{row.method.upper()} {url} as {role}: {response.status_code} {cache_control}")
            transaction.set_rollback(True)
    print(f"\nno-store: {checked} signed-in answers checked over {len(ROWS)} URLs")
    assert checked == len(ROWS) * len(SIGNED_IN_ROLES)
    assert not missing, "\n".join(missing)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["login", "password_reset", "password_reset_done", "password_reset_complete"])
def test_sign_in_and_password_pages_say_no_store_before_anyone_signs_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert _no_store(response)

"""The Clinic settings page: a clinic's admins choose when an alert is overdue and how often to step back."""

import pytest
from django.urls import reverse

from tests.helpers import page_text

pytestmark = pytest.mark.django_db

URL = reverse("patients:clinic-settings")


def test_defaults_are_two_days_and_six_sessions(client, cast):
    client.force_login(cast.dave.user)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'name="alert_overdue_days" value="2"' in response.content.decode()
    assert 'name="review_every_sessions" value="6"' in response.content.decode()


def test_an_admin_changes_their_own_clinic_only(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(URL, {"alert_overdue_days": "5", "review_every_sessions": "4"}, follow=True)
    assert "The clinic's settings are saved." in page_text(response)
    cast.riverside.refresh_from_db()
    cast.northgate.refresh_from_db()
    assert (cast.riverside.alert_overdue_days, cast.riverside.review_every_sessions) == (5, 4)
    assert (cast.northgate.alert_overdue_days, cast.northgate.review_every_sessions) == (2, 6)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("alert_overdue_days", "0", "Ensure this value is greater than or equal to 1."),
        ("alert_overdue_days", "31", "Ensure this value is less than or equal to 30."),
        ("review_every_sessions", "1", "Ensure this value is greater than or equal to 2."),
        ("review_every_sessions", "lots", "Enter a whole number."),
    ],
)
def test_a_value_out_of_range_is_explained_beside_its_field_and_nothing_is_saved(client, cast, field, value, message):
    client.force_login(cast.dave.user)
    sent = {"alert_overdue_days": "3", "review_every_sessions": "8", field: value}
    response = client.post(URL, sent)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert f'value="{value}"' in response.content.decode()
    cast.riverside.refresh_from_db()
    assert (cast.riverside.alert_overdue_days, cast.riverside.review_every_sessions) == (2, 6)

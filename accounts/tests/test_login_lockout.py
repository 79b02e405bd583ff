import pytest
from django.contrib.auth import get_user_model

from tigermcp.settings import AXES_FAILURE_LIMIT

pytestmark = pytest.mark.django_db


def test_admin_login_locks_out_after_repeated_failures(client):
    get_user_model().objects.create_superuser("ops", password="pw-ops-correct-1")
    for _ in range(AXES_FAILURE_LIMIT - 1):
        response = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "wrong"})
        assert response.status_code == 200 and "Please enter the correct username" in response.content.decode()
    locked = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "wrong"})
    assert locked.status_code == 429
    # Even the right password is refused while locked out.
    again = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "pw-ops-correct-1"})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_good_login_resets_the_count(client):
    get_user_model().objects.create_superuser("ops", password="pw-ops-correct-1")
    for _ in range(AXES_FAILURE_LIMIT - 1):
        client.post("/admin/login/", {"username": "ops", "password": "wrong"})
    assert client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "pw-ops-correct-1"}).status_code == 302
    client.logout()
    assert client.post("/admin/login/", {"username": "ops", "password": "wrong"}).status_code == 200

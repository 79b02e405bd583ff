import re

import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.tests.factories import make_account
from trading.services import kill_switch_set

pytestmark = pytest.mark.django_db


def test_admin_home_shows_health_kill_switch_and_accounts(client):
    client.force_login(get_user_model().objects.create_superuser("ops", password="pw-ops-1234567"))
    account = make_account(label="Alpha")
    page = client.get("/admin/").content.decode()
    assert 'id="tigermcp-dashboard"' in page and "Alpha (" + account.account_number + ")" in page
    assert re.search(r'id="kill-switch">\s*off</td>', page)
    kill_switch_set(actor=Actor.system("cli"), active=True, reason="fat finger drill")
    page = client.get("/admin/").content.decode()
    assert "fat finger drill" in page and "globally" in page

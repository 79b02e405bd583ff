"""A token stops working the moment its owner is deactivated or deleted (REST: the owning user;
MCP: the owning client — see mcp_bridge/tests/test_transport.py for the MCP transports)."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.actors import Actor
from accounts.authentication import BAD_TOKEN
from accounts.models import ApiToken, Scope
from accounts.services import api_token_create, grant_set
from accounts.tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned():
    owner = get_user_model().objects.create_user("scripter", password="pw-script-123456")
    token, plain = api_token_create(actor=Actor.system("cli"), name="nightly", owner=owner)
    account = make_account()
    grant_set(actor=Actor.system("cli"), account=account, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return owner, token, account, client


def _accounts(client):
    return client.get("/api/accounts/")


def test_a_deactivated_owner_stops_the_token_at_once(owned):
    owner, _, account, client = owned
    assert [a["account_number"] for a in _accounts(client).json()["accounts"]] == [account.account_number]
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    reply = _accounts(client)
    assert reply.status_code == 401 and reply.json()["error"] == {"code": "not_authenticated", "message": BAD_TOKEN}
    owner.is_active = True
    owner.save(update_fields=["is_active"])
    assert _accounts(client).status_code == 200


def test_a_deleted_owner_takes_the_token_with_them(owned):
    owner, token, _, client = owned
    owner.delete()
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    reply = _accounts(client)
    assert reply.status_code == 401 and reply.json()["error"] == {"code": "not_authenticated", "message": BAD_TOKEN}


def test_a_token_without_owner_keeps_working(owned):
    _, _, account, _ = owned
    token, plain = api_token_create(actor=Actor.system("cli"), name="service")
    grant_set(actor=Actor.system("cli"), account=account, scope=Scope.READ, api_token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert _accounts(client).status_code == 200

"""The REST API fuzzed from its own OpenAPI schema (schemathesis): whatever a token client sends,
the API answers with a clear 4xx, never a server error. Calls reach the real services and, through
the real SDK, the simulator."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import api_token_create, grant_set

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Django closes DB connections at the end of each request; inside a test transaction that
    closes the test's own connection. Its test client disconnects the same handlers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(make_tiger_account, wsgi_keeps_the_test_connection):
    account = make_tiger_account()
    api_token, plain = api_token_create(actor=Actor.system("cli", "fuzz"), name="fuzz")
    grant_set(actor=Actor.system("cli", "fuzz"), account=account, scope=Scope.TRADE, api_token=api_token)
    return plain


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_with_a_server_error(case, token):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
    assert response.status_code < 500


@pytest.mark.django_db
def test_the_fuzzing_token_reaches_the_services(client, token):
    # Guards the test above against passing on nothing but 401s.
    response = client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and len(response.json()["accounts"]) == 1
    quotes = client.get("/api/quotes/?symbols=AAPL", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert quotes.status_code == 200 and quotes.json()["quotes"][0]["symbol"] == "AAPL"

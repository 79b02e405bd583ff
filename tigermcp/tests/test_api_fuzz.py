"""The REST API fuzzed from its own OpenAPI schema (schemathesis) against a running server (pytest-django's
live server, a real HTTP server thread): whatever a token client sends, the API answers with a clear
4xx, never a server error, and every response (success or refusal) matches the schema: status code,
content type, headers and body. Calls reach the real services and, through the real SDK, the simulator."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import api_token_create, grant_set


@pytest.fixture
def token(make_tiger_account, transactional_db):
    account = make_tiger_account()
    api_token, plain = api_token_create(actor=Actor.system("cli", "fuzz"), name="fuzz")
    grant_set(actor=Actor.system("cli", "fuzz"), account=account, scope=Scope.TRADE, api_token=api_token)
    return plain


def _published_schema() -> dict:
    """The schema exactly as /api/schema/ serves it."""
    from django.test import Client

    return Client().get("/api/schema/?format=json").json()


schema = schemathesis.openapi.from_dict(_published_schema())


@pytest.fixture
def server(live_server, settings):
    # Not throttled for the fuzzer: 429 is documented, but a run of nothing but 429s would test nothing.
    settings.API_THROTTLE_RATE = ""
    return live_server.url


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_request_as_its_schema_says(case, token, server):
    # Every built-in check (server errors, status codes, content types, headers, response bodies
    # against the schema), except the two that judge the server's input validation by the
    # generator's reading of the schema: DRF accepts what the schema does not forbid (extra query
    # parameters, strings for numbers in a form body), which is deliberate leniency, not a bug.
    from schemathesis.checks import negative_data_rejection, positive_data_acceptance

    response = case.call_and_validate(base_url=server, headers={"Authorization": f"Bearer {token}"},
                                      excluded_checks=[negative_data_rejection, positive_data_acceptance])
    assert response.status_code < 500


@pytest.mark.django_db
def test_the_fuzzing_token_reaches_the_services(client, make_tiger_account):
    # Guards the test above against passing on nothing but 401s.
    account = make_tiger_account()
    api_token, plain = api_token_create(actor=Actor.system("cli", "fuzz"), name="fuzz")
    grant_set(actor=Actor.system("cli", "fuzz"), account=account, scope=Scope.TRADE, api_token=api_token)
    response = client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200 and len(response.json()["accounts"]) == 1
    quotes = client.get("/api/quotes/?symbols=AAPL", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert quotes.status_code == 200 and quotes.json()["quotes"][0]["symbol"] == "AAPL"

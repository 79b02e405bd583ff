"""The REST API as a contract: every required endpoint exists and its responses are typed in the
OpenAPI schema, one error shape for every refusal (DRF's own included), throttling per token,
pagination and filters, and a constant number of queries per list page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Scope
from trading.models import OrderStatus
from trading.tests.factories import make_order

pytestmark = pytest.mark.django_db

# (method, path) of every endpoint the API promises, as the schema names them.
REQUIRED = [
    ("get", "/api/accounts/"), ("get", "/api/accounts/{account_number}/"),
    ("get", "/api/accounts/{account_number}/positions/"), ("get", "/api/portfolio/"), ("get", "/api/quotes/"),
    ("get", "/api/bars/"), ("get", "/api/contracts/"), ("get", "/api/options/chain/"),
    ("get", "/api/market-status/"), ("get", "/api/orders/"), ("get", "/api/orders/{order_id}/"),
    ("post", "/api/orders/preview/"), ("post", "/api/orders/place/"), ("post", "/api/orders/{order_id}/modify/"),
    ("post", "/api/orders/{order_id}/cancel/"), ("get", "/api/fills/"), ("get", "/api/audit/"), ("get", "/api/health/"),
]


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


def _resolve(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _typed(schema, node) -> bool:
    """A response schema that says what is in it: properties, or a oneOf of such."""
    node = _resolve(schema, node)
    if "oneOf" in node:
        return all(_typed(schema, n) for n in node["oneOf"])
    return bool(node.get("properties"))


def test_every_required_endpoint_exists_with_a_typed_response_and_the_error_shape(schema):
    untyped = []
    for method, path in REQUIRED:
        operation = schema["paths"].get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} is missing"
        success = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert success, f"{method.upper()} {path} documents no success response"
        for status, response in success.items():
            body = response.get("content", {}).get("application/json", {}).get("schema")
            if body is None or not _typed(schema, body):
                untyped.append(f"{method.upper()} {path} {status}")
        for status in ("400", "401", "403", "404", "429"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}, (path, status)
    # Every operation, not only the required ones, is typed.
    for path, operations in schema["paths"].items():
        if path == "/api/schema/":  # the schema itself
            continue
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                body = response.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("2") and (body is None or not _typed(schema, body)):
                    untyped.append(f"{method.upper()} {path} {status}")
    assert sorted(set(untyped)) == []


def test_every_refusal_has_the_one_error_shape(client, api_client_for, tiger_account):
    api = api_client_for(tiger_account, Scope.TRADE)
    unauthenticated = client.get("/api/orders/")
    bad_token = client.get("/api/orders/", HTTP_AUTHORIZATION="Bearer tmapi_nope")
    bad_body = api.post("/api/orders/preview/", {"symbol": "AAPL", "side": "buy", "quantity": "1"}, format="json")
    bad_query = api.get("/api/orders/?limit=0")
    wrong_method = api.delete("/api/orders/")
    not_found = api.get("/api/orders/999999/")
    for response, status, code in ((unauthenticated, 401, "not_authenticated"), (bad_token, 401, "not_authenticated"),
                                   (bad_body, 400, "invalid_input"), (bad_query, 400, "bad_query"),
                                   (wrong_method, 405, "method_not_allowed"), (not_found, 404, "unknown_order")):
        body = response.json()
        assert response.status_code == status and set(body) == {"error"}, body
        assert body["error"]["code"] == code and body["error"]["message"], body
    assert "side" in bad_body.json()["error"]["message"] and "BUY" in bad_body.json()["error"]["message"]
    assert "get_orders" in not_found.json()["error"]["message"]


def test_throttling_is_per_token_and_answers_429_in_the_one_shape(api_client_for, tiger_account, settings):
    settings.API_THROTTLE_RATE = "3/min"
    first, second = api_client_for(tiger_account, Scope.READ, "first"), api_client_for(tiger_account, Scope.READ, "second")
    assert [first.get("/api/accounts/").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/api/accounts/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"
    assert "retry in" in refused.json()["error"]["message"] and "3/min" in refused.json()["error"]["message"]
    # Another token has a budget of its own.
    assert second.get("/api/accounts/").status_code == 200


def _orders(account, n, **fields):
    start = timezone.now() - timedelta(hours=1)
    return [make_order(account=account, created_at=start + timedelta(seconds=i), **fields) for i in range(n)]


def test_orders_page_newest_first_with_cursor_and_filters(api_client_for, tiger_account):
    api = api_client_for(tiger_account, Scope.READ)
    made = _orders(tiger_account, 5)
    _orders(tiger_account, 2, symbol="MSFT", status=OrderStatus.SUBMITTED)
    first = api.get("/api/orders/?limit=3&symbol=AAPL").json()
    assert [o["order_id"] for o in first["orders"]] == [o.pk for o in reversed(made)][:3]
    assert first["previous"] is None and first["next"]
    second = api.get(first["next"]).json()
    assert [o["order_id"] for o in second["orders"]] == [made[1].pk, made[0].pk] and second["next"] is None
    submitted = api.get("/api/orders/?status=SUBMITTED").json()["orders"]
    assert {o["symbol"] for o in submitted} == {"MSFT"} and len(submitted) == 2
    assert api.get("/api/orders/?status=NOPE").json()["error"]["code"] == "bad_query"


def test_a_list_page_costs_the_same_queries_whatever_its_size(api_client_for, tiger_account):
    api = api_client_for(tiger_account, Scope.READ)
    _orders(tiger_account, 60)
    api.get("/api/orders/?limit=1")  # the token's last_used_at is written on its first use only
    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/orders/?limit={size}")
        assert response.status_code == 200 and len(response.json()["orders"]) == size
        counts[size] = len(queries)
    assert counts[5] == counts[50], counts

import pytest


@pytest.mark.django_db
def test_health_is_served_at_the_root_for_load_balancers(client):
    response = client.get("/health")
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert response.status_code in (200, 503) and "accounts" not in body  # anonymous: no per-account rows

import pytest


@pytest.mark.django_db
def test_health_is_served_at_the_root_for_load_balancers(client):
    response = client.get("/health")
    body = response.json()
    # Database up, in-process or reachable Redis, eager Celery: healthy, so a load balancer keeps it.
    assert response.status_code == 200 and body["status"] == "ok" and body["database"]["status"] == "ok"
    assert "accounts" not in body  # anonymous: no per-account rows

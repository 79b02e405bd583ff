from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_describes_the_production_topology():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert "celery -A tigermcp worker" in services["worker"]["command"]
    assert "DatabaseScheduler" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["TIGERMCP_ENV"] == "production" and env["REDIS_URL"].startswith("redis://")
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}
    assert (ROOT / "Dockerfile").exists() and (ROOT / "deploy" / "nginx.conf").exists()
    assert set(compose["volumes"]) == {"postgres_data", "redis_data", "audit_checkpoint"}
    # The app runs as a role that neither owns the tables nor is a superuser; only migrate is the owner.
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://tigermcp_app:")
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith("postgres://tigermcp:")
    assert "APP_DB_PASSWORD" in services["postgres"]["environment"]
    assert any(v.startswith("./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/") for v in services["postgres"]["volumes"])
    for name in ("web", "worker", "beat", "migrate"):  # one checkpoint file for every writer
        assert "audit_checkpoint:/var/lib/tigermcp/audit" in services[name]["volumes"]
        assert services[name]["environment"]["AUDIT_CHECKPOINT_PATH"].startswith("/var/lib/tigermcp/audit/")


def test_compose_nginx_conf_is_rendered_from_the_template_the_topology_test_uses():
    from tigermcp.nginx import compose_nginx_conf

    # Regenerate with: python -m tigermcp.nginx > deploy/nginx.conf
    assert (ROOT / "deploy" / "nginx.conf").read_text() == compose_nginx_conf()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in compose["services"]["nginx"]["volumes"]
    assert compose["services"]["web"]["deploy"]["replicas"] >= 2

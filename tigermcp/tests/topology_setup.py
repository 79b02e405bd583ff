"""What an operator does in the admin before the topology test's clients arrive, run as
`python -m tigermcp.tests.topology_setup` in the deployment's environment (production settings, the
app's database role). Reads the simulator's properties (tiger_id, private_key, account, server_url)
as JSON on stdin; writes the identities it created (plain tokens, the admin's login) as JSON on stdout.
Goes through the services the admin uses, so grants, policies and audit events are real."""

import json
import os
import secrets
import sys


def build(spec: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from accounts.actors import Actor
    from accounts.models import Environment, Scope, TigerAccount
    from accounts.services import account_save, api_token_create, grant_set, mcp_client_create, mcp_token_create
    from tigermcp.embedded import DEMO_MARKETS
    from tigersim.server import DEMO_LICENSE
    from trading.models import RiskPolicy
    from trading.services import risk_policy_save

    actor = Actor.system("cli", "topology-test")
    account = account_save(actor=actor, account=TigerAccount(
        label="Paper margin", account_number=spec["account"], environment=Environment.PAPER,
        permission=Scope.TRADE, tiger_id=spec["tiger_id"], private_key=spec["private_key"], license=DEMO_LICENSE,
        server_url=spec["server_url"], is_default=True))
    risk_policy_save(actor=actor, policy=RiskPolicy(account=account, allowed_markets=DEMO_MARKETS, currency="USD"))
    client = mcp_client_create(actor=actor, name="assistant")
    grant_set(actor=actor, account=account, scope=Scope.TRADE, mcp_client=client)
    _, mcp_token = mcp_token_create(actor=actor, client=client, name="assistant")
    api_token, api_plain = api_token_create(actor=actor, name="script")
    grant_set(actor=actor, account=account, scope=Scope.READ, api_token=api_token)
    password = secrets.token_urlsafe(16)
    get_user_model().objects.create_superuser("operator", password=password)
    # The operator shortens reconciliation (Periodic tasks in the admin) from a minute to 2 s, so the
    # fill reaches the watchers within the test's time.
    every_two, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    assert PeriodicTask.objects.filter(task="trading.orders_reconcile").update(interval=every_two) == 1
    return {"account": account.account_number, "mcp_token": mcp_token, "api_token": api_plain,
            "admin": {"username": "operator", "password": password}}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")
    import django

    django.setup()
    json.dump(build(json.loads(sys.stdin.read())), sys.stdout)


if __name__ == "__main__":
    main()

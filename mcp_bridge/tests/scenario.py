"""Builds the MCP tests' world in the database a run_mcp subprocess will use.

Run as `python -m mcp_bridge.tests.scenario` with DATABASE_URL pointing at the test's SQLite file;
reads the simulator's developer credentials and account numbers as JSON on stdin, writes the
created identities (client names, plain tokens) as JSON on stdout. It goes through the same
services admin uses (account_save, grant_set, mcp_token_create), so the grants are real.
"""

import json
import os
import sys


def build(spec: dict) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.actors import Actor
    from accounts.models import Environment, Scope, TigerAccount
    from accounts.services import account_save, grant_set, mcp_client_create, mcp_token_create, token_revoke
    from mcp_bridge.services import mcp_client_deactivate

    actor = Actor.system("cli", "mcp-tests")
    dev = spec["developer"]
    accounts = {}
    for key, number, environment, permission, label in (
        ("paper_a", spec["accounts"]["paper_a"], Environment.PAPER, Scope.TRADE, "Paper margin"),
        ("paper_b", spec["accounts"]["paper_b"], Environment.PAPER, Scope.TRADE, "Paper cash"),
        ("paper_ro", spec["accounts"]["paper_ro"], Environment.PAPER, Scope.READ, "Paper read-only"),
        ("live_x", spec["accounts"]["live_x"], Environment.LIVE, Scope.TRADE, "Live (not enabled)"),
    ):
        account = TigerAccount(
            label=label, account_number=number, environment=environment, permission=permission,
            tiger_id=dev["tiger_id"], private_key=dev["private_key"], license=dev["license"],
            server_url=spec["sim_url"], is_default=key == "paper_a",
        )
        accounts[key] = account_save(actor=actor, account=account, changed=["label", "account_number"])

    grants = {
        "trader": {"paper_a": Scope.TRADE, "paper_b": Scope.READ, "live_x": Scope.TRADE},
        "reader": {"paper_a": Scope.READ, "paper_ro": Scope.READ},
        "nobody": {},
        "off": {"paper_a": Scope.TRADE},
    }
    out = {"accounts": {k: a.account_number for k, a in accounts.items()}, "tokens": {}}
    for name, grant in grants.items():
        client = mcp_client_create(actor=actor, name=name)
        for key, scope in grant.items():
            grant_set(actor=actor, account=accounts[key], scope=scope, mcp_client=client)
        _, plain = mcp_token_create(actor=actor, client=client, name=f"{name}-token")
        out["tokens"][name] = plain
        if name == "off":
            mcp_client_deactivate(actor=actor, client=client)
        if name == "trader":
            revoked, plain = mcp_token_create(actor=actor, client=client, name="revoked")
            token_revoke(actor=actor, token=revoked)
            out["tokens"]["revoked"] = plain
            _, plain = mcp_token_create(actor=actor, client=client, name="expired",
                                        expires_at=timezone.now() - timedelta(minutes=1))
            out["tokens"]["expired"] = plain
    return out


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")
    import django

    django.setup()
    spec = json.loads(sys.stdin.read())
    json.dump(build(spec), sys.stdout)


if __name__ == "__main__":
    main()

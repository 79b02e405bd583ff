"""The demo shows something from the first minute: the demo admin may trade the demo accounts, they
hold US and HK stocks, their policy allows both markets, and setup_demo --reset starts afresh."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.actors import Actor
from accounts.models import AccessGrant, Scope, TigerAccount
from broker.client import broker_cache_clear, broker_for
from tigermcp.testing import environ_without, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded(settings, tmp_path, monkeypatch):
    from tigermcp import embedded as demo

    monkeypatch.setattr(demo, "_embedded", None)
    settings.TIGERSIM_EMBEDDED = True
    settings.TIGERSIM_PORT = free_port()
    settings.TIGERSIM_STATE_DIR = tmp_path / "tigersim"
    settings.DATA_DIR = tmp_path
    yield settings
    if demo._embedded is not None:
        demo._embedded.stop()
    broker_cache_clear()


@pytest.mark.django_db(transaction=True)
def test_the_demo_admin_trades_demo_accounts_holding_us_and_hk_stocks(embedded):
    from django.contrib.auth import get_user_model

    from trading.services import order_preview

    call_command("setup_demo", stdout=open("/dev/null", "w"))
    admin = get_user_model().objects.get(username="admin")
    accounts = list(TigerAccount.objects.order_by("account_number"))
    assert len(accounts) == 2
    for account in accounts:
        assert AccessGrant.objects.get(account=account, user=admin).scope == Scope.TRADE
        assert account.risk_policy.allowed_markets == "US,HK"
    assert [a.risk_policy.currency for a in accounts] == ["USD", "HKD"]
    held = {p.symbol: p.quantity for p in broker_for(accounts[0]).positions()}
    assert held["AAPL"] == 100 and held["00700"] == 200 and held["09988"] == 500
    assert {p.symbol for p in broker_for(accounts[1]).positions()} == {"MSFT", "02800"}

    # The README's example: an HK order passes on both accounts. The cash account has limits per
    # currency, so HKD's own ...
    actor = Actor.for_user(admin)
    price = broker_for(accounts[1]).quotes(["00700"])[0].latest_price
    preview = order_preview(actor=actor, account_number=accounts[1].account_number, symbol="00700", side="BUY",
                            quantity=100, limit_price=price)
    assert preview.order["market"] == "HK" and preview.confirmation_token
    assert "market" in preview.risk["checked"] and "currency" in preview.risk["checked"]
    assert (preview.risk["limit_currency"], preview.risk["fx_rate"]) == ("HKD", "")
    # ... and the margin account's limits are in USD: the order is converted at Tiger's rate.
    preview = order_preview(actor=actor, account_number=accounts[0].account_number, symbol="00700", side="BUY",
                            quantity=100, limit_price=price)
    assert (preview.risk["limit_currency"], preview.risk["fx_rate"]) == ("USD", "0.128205")
    assert Decimal(preview.risk["converted_notional"]) > 0
    us = order_preview(actor=actor, account_number=accounts[1].account_number, symbol="AAPL", side="BUY", quantity=1,
                       limit_price=broker_for(accounts[1]).quotes(["AAPL"])[0].latest_price)
    assert us.order["market"] == "US" and us.risk["limit_currency"] == "USD"

    # Run again: nothing doubles, and a grant the admin edited stays as edited.
    AccessGrant.objects.filter(account=accounts[1], user=admin).update(scope=Scope.READ)
    call_command("setup_demo", stdout=open("/dev/null", "w"))
    assert AccessGrant.objects.filter(user=admin).count() == 2
    assert AccessGrant.objects.get(account=accounts[1], user=admin).scope == Scope.READ


def manage(*args, data_dir, port):
    env = environ_without("TIGERMCP_", "TIGERSIM_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION")
    env.update({"TIGERMCP_DATA_DIR": str(data_dir), "TIGERSIM_PORT": str(port)})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_setup_demo_reset_starts_afresh(tmp_path):
    port = free_port()
    first = manage("setup_demo", "--reset", data_dir=tmp_path, port=port)  # on an empty folder: migrates, sets up
    assert first.returncode == 0, first.stderr
    assert "Removed" not in first.stdout and first.stdout.count("Demo paper account:") == 2
    # Something done in the demo (a user), seen beside the seeded holdings from another process.
    change = manage("shell", "--no-imports", "-c", (
        "from django.contrib.auth.models import User; User.objects.create(username='visitor');"
        "from accounts.models import TigerAccount; from broker.client import broker_for;"
        "b = broker_for(TigerAccount.objects.get(is_default=True)); print(len(b.positions()))"), data_dir=tmp_path, port=port)
    assert change.returncode == 0 and change.stdout.split() == ["5"], change.stderr

    reset = manage("setup_demo", "--reset", data_dir=tmp_path, port=port)
    assert reset.returncode == 0, reset.stderr
    assert f"Removed {tmp_path / 'tigersim'}" in reset.stdout and reset.stdout.count("Demo paper account:") == 2
    old_password = first.stdout.split("Demo admin: admin / ")[1].split()[0]
    new_password = reset.stdout.split("Demo admin: admin / ")[1].split()[0]
    assert new_password != old_password
    probe = manage("shell", "--no-imports", "-c", (
        "from django.contrib.auth.models import User; from accounts.models import AccessGrant;"
        "print(User.objects.filter(username='visitor').exists(), AccessGrant.objects.filter(user__username='admin').count())"),
        data_dir=tmp_path, port=port)
    assert probe.stdout.split() == ["False", "2"], probe.stderr

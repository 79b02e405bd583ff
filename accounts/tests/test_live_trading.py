import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.actors import Actor
from accounts.models import Environment, Scope
from accounts.selectors import account_for_actor, accounts_for_actor
from accounts.tests.factories import make_account
from core.config import parse_strict_bool
from core.errors import PermissionDenied


@pytest.mark.parametrize("value", ["paper", "TRUE ", "yes!", "True", "yes", "on", " true", "enabled"])
def test_anything_but_exact_true_or_false_stops_the_process(value):
    with pytest.raises(ImproperlyConfigured, match="exactly 'true' or 'false'"):
        parse_strict_bool("TIGER_LIVE_TRADING_ENABLED", value)


@pytest.mark.parametrize("value,expected", [("true", True), ("1", True), ("false", False), ("0", False), ("", False), (None, False)])
def test_exact_values(value, expected):
    assert parse_strict_bool("X", value) is expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "account_flag,global_flag,tradeable",
    [(False, False, False), (True, False, False), (False, True, False), (True, True, True)],
)
def test_live_account_needs_both_switches(settings, account_flag, global_flag, tradeable):
    settings.TIGER_LIVE_TRADING_ENABLED = global_flag
    live = make_account(environment=Environment.LIVE, live_trading_enabled=account_flag, account_number="U1234567")
    system = Actor.system("cli")
    assert live.can_trade_live() is tradeable
    assert (live in accounts_for_actor(system, scope=Scope.TRADE)) is tradeable
    if not tradeable:
        with pytest.raises(PermissionDenied, match="live account"):
            account_for_actor(system, "U1234567", scope=Scope.TRADE)


@pytest.mark.django_db
def test_paper_accounts_trade_without_live_switches(settings):
    settings.TIGER_LIVE_TRADING_ENABLED = False
    paper = make_account(environment=Environment.PAPER)
    assert paper in accounts_for_actor(Actor.system("cli"), scope=Scope.TRADE)

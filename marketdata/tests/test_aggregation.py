from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from broker.client import broker_for
from broker.types import OrderIntent
from accounts.models import Scope
from accounts.services import grant_set
from marketdata.models import PortfolioSnapshot
from marketdata.services import fx_convert, portfolio_aggregate, portfolio_snapshot_create
from tigermcp.testing import free_port

pytestmark = pytest.mark.django_db



@pytest.fixture
def developer(sim):
    return sim.create_developer()


@pytest.fixture
def two_accounts(sim, make_tiger_account, developer):
    a = make_tiger_account(developer=developer, label="Alpha", cash={"USD": Decimal("1000000"), "HKD": Decimal("780000")})
    b = make_tiger_account(developer=developer, label="Beta", cash={"USD": Decimal("50000")})
    broker_for(a).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(10), order_type="MKT"))
    broker_for(b).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(5), order_type="MKT"))
    broker_for(b).place_order(OrderIntent(symbol="MSFT", side="BUY", quantity=Decimal(3), order_type="MKT"))
    sim.match()
    return a, b


def test_fx_convert_uses_tigers_rate_direction():
    rates = {"USD": Decimal("1"), "HKD": Decimal("0.128205")}  # one HKD is worth 0.128 USD
    assert fx_convert(Decimal("780000"), "HKD", "USD", rates).quantize(Decimal("1")) == Decimal("100000")
    assert fx_convert(Decimal("100"), "USD", "HKD", rates).quantize(Decimal("0.01")) == Decimal("780.00")
    assert fx_convert(Decimal("5"), "EUR", "USD", rates) is None
    assert fx_convert(Decimal("5"), "EUR", "EUR", {}) == Decimal("5")


def test_totals_positions_and_exposure_across_accounts(two_accounts):
    a, b = two_accounts
    progress = []
    agg = portfolio_aggregate(actor=Actor.system("api", "test"), progress=lambda d, t, n: progress.append((d, t, n)))
    assert agg.errors == [] and agg.complete
    by_number = {p.account_number: p for p in agg.accounts}
    assert set(by_number) >= {a.account_number, b.account_number}
    assert sorted(n for _, _, n in progress) == sorted(by_number)
    assert progress[-1][0] == progress[-1][1] == len(by_number)
    # Totals are the exact sum of the per-account figures (all USD here).
    assert agg.totals["net_liquidation"] == sum(p.net_liquidation for p in agg.accounts)
    assert agg.totals["cash"] == sum(p.cash for p in agg.accounts)
    assert all(isinstance(v, Decimal) for v in agg.totals.values())
    # Alpha holds HKD 780,000 = USD 100,000 on top of its USD.
    alpha = by_number[a.account_number]
    assert abs(alpha.net_liquidation - Decimal("1100000")) < Decimal("200")
    # Combined positions: 15 AAPL across both accounts, one MSFT line.
    combined = {p["symbol"]: p for p in agg.positions}
    assert combined["AAPL"]["quantity"] == Decimal(15)
    assert sorted(x["quantity"] for x in combined["AAPL"]["accounts"]) == [Decimal(5), Decimal(10)]
    assert combined["MSFT"]["quantity"] == Decimal(3)
    exposure = {e["symbol"]: e for e in agg.exposure_by_symbol}
    assert exposure["AAPL"]["market_value"] == combined["AAPL"]["market_value_base"]
    assert sum(e["percent_of_gross"] for e in agg.exposure_by_symbol) == pytest.approx(Decimal(100), abs=Decimal("0.05"))
    assert agg.exposure_by_market[0]["market"] == "US" and agg.exposure_by_market[0]["currency"] == "USD"
    assert agg.totals["market_value"] == combined["AAPL"]["market_value_base"] + combined["MSFT"]["market_value_base"]


def test_totals_in_another_base_currency_use_the_brokers_fx(two_accounts):
    actor = Actor.system("api", "test")
    usd = portfolio_aggregate(actor=actor, base_currency="USD")
    hkd = portfolio_aggregate(actor=actor, base_currency="hkd")
    rate = usd.fx_rates["HKD"]  # USD per HKD, from the broker
    assert hkd.base_currency == "HKD" and Decimal("0.12") < rate < Decimal("0.13")
    assert hkd.totals["net_liquidation"] == pytest.approx(usd.totals["net_liquidation"] / rate, rel=Decimal("1e-4"))
    assert hkd.totals["net_liquidation"] > usd.totals["net_liquidation"] * 7
    # A currency the broker has no rate for is left out of the totals, with a warning saying so.
    eur = portfolio_aggregate(actor=actor, base_currency="EUR")
    assert eur.totals["net_liquidation"] == 0 and any("EUR" in w for w in eur.warnings)


def test_one_failing_account_is_reported_beside_the_others(two_accounts, make_tiger_account, developer, settings):
    settings.TIGER_HTTP_TIMEOUT = 1
    a, b = two_accounts
    down = make_tiger_account(developer=developer, label="Down", server_url=f"http://127.0.0.1:{free_port()}/gateway")
    agg = portfolio_aggregate(actor=Actor.system("api", "test"))
    assert [e.account_number for e in agg.errors] == [down.account_number]
    failure = agg.errors[0]
    assert failure.code == "broker_unavailable" and down.account_number in failure.message
    numbers = {p.account_number for p in agg.accounts}
    assert {a.account_number, b.account_number} <= numbers and down.account_number not in numbers
    assert agg.totals["net_liquidation"] == sum(p.net_liquidation for p in agg.accounts) > 0
    assert not agg.complete


def test_only_accounts_the_caller_may_read(two_accounts, system_actor):
    a, b = two_accounts
    user = get_user_model().objects.create_user("agg-user", password="pw-agg-123456")
    grant_set(actor=system_actor, account=b, scope=Scope.READ, user=user)
    agg = portfolio_aggregate(actor=Actor.for_user(user, door="api"))
    assert [p.account_number for p in agg.accounts] == [b.account_number]


def test_snapshot_is_stored_with_decimal_strings(two_accounts):
    snapshot = portfolio_snapshot_create(actor=Actor.system("task", "beat"))
    stored = PortfolioSnapshot.objects.get(pk=snapshot.pk)
    assert stored.accounts_ok >= 2 and stored.accounts_failed == 0
    assert stored.data["totals"]["net_liquidation"] == {"amount": stored.data["totals"]["net_liquidation"]["amount"], "currency": "USD"}
    assert Decimal(stored.data["totals"]["net_liquidation"]["amount"]).quantize(Decimal("0.0001")) == stored.net_liquidation
    assert isinstance(stored.data["positions"][0]["quantity"], str)


def test_an_account_with_an_open_circuit_says_so_and_others_still_answer(two_accounts, settings):
    from broker.limits import circuit_record_failure

    a, b = two_accounts
    settings.MARKETDATA_CIRCUIT_FAILURES = 2
    circuit_record_failure(a.pk, "broker_unavailable: gateway down")
    circuit_record_failure(a.pk, "broker_unavailable: gateway down")
    agg = portfolio_aggregate(actor=Actor.system("api", "test"))
    assert [(e.account_number, e.code) for e in agg.errors] == [(a.account_number, "circuit_open")]
    assert "UTC (in " in agg.errors[0].message
    assert [p.account_number for p in agg.accounts] == [b.account_number]

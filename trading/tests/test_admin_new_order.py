"""The admin's New order form: entered, previewed (risk check, Tiger's preview, a single-use token) and
confirmed through the same services and confirm step as every other door."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Scope
from accounts.services import grant_set
from audit.models import AuditEvent
from core.formatting import format_money
from trading.models import Order, RiskPolicy
from trading.risk import MSG
from trading.services import risk_policy_save

pytestmark = pytest.mark.django_db

NEW = "/admin/trading/order/new/"


def _token(page: str) -> str:
    return re.search(r'name="confirmation_token" value="([^"]+)"', page).group(1)


def test_an_order_entered_in_the_admin_is_previewed_then_placed_once(trader, account, last_price):
    form = trader.get(NEW).content.decode()
    assert f'<option value="{account.account_number}"' in form and 'id="preview-order"' in form
    assert 'href="/admin/trading/order/new/"' in trader.get("/admin/trading/order/").content.decode()

    price = (last_price("AAPL") * Decimal("0.98")).quantize(Decimal("0.01"))
    entered = {"account": account.account_number, "symbol": "aapl", "side": "BUY", "quantity": "1200",
               "order_type": "LMT", "limit_price": str(price), "time_in_force": "DAY"}
    refused = trader.post(NEW, entered).content.decode()
    assert re.search(r'id="order-error">(.*?)<', refused).group(1) == MSG["max_quantity"].format(limit="1000", value="1200")
    assert '<table class="risk-decision">' in refused and "max_quantity" in refused
    assert not Order.objects.exists()

    preview = trader.post(NEW, {**entered, "quantity": "12"}).content.decode()
    summary = re.search(r'id="preview-summary">(.*?)</td>', preview, re.S).group(1)
    assert summary == f"BUY 12 AAPL LMT @ {price:,.2f} USD"
    assert re.search(r'<th scope="row">Accepted</th><td>yes</td>', preview) and 'id="confirm-order"' in preview
    assert not Order.objects.exists()  # nothing is sent before the confirmation

    token = _token(preview)
    placed = trader.post(NEW, {"confirmation_token": token, "account_number": account.account_number})
    order = Order.objects.get()
    assert placed.status_code == 302 and placed["Location"] == f"/admin/trading/order/{order.pk}/change/"
    assert (order.symbol, order.quantity, order.limit_price, order.door, order.status) == (
        "AAPL", Decimal(12), price, "admin", "SUBMITTED")
    # A second click on the same confirmation places nothing more: the token is the idempotency key.
    again = trader.post(NEW, {"confirmation_token": token, "account_number": account.account_number})
    assert again["Location"] == placed["Location"] and Order.objects.count() == 1
    kinds = set(AuditEvent.objects.filter(door="admin", actor_label="desk").values_list("event_type", flat=True))
    assert {"risk.decision", "confirmation.issued", "confirmation.used", "order.transition"} <= kinds


def test_a_hong_kong_board_lot_passes_a_policy_that_allows_hk_in_hkd(trader, account, system_actor):
    from trading.services import last_price

    risk_policy_save(actor=system_actor, policy=RiskPolicy(account=account, currency="HKD", allowed_markets="US,HK",
                                                           max_order_notional=Decimal("780000")))
    price = last_price(account, "00700")
    preview = trader.post(NEW, {"account": account.account_number, "symbol": "00700", "side": "BUY", "quantity": "100",
                                "order_type": "LMT", "limit_price": str(price), "time_in_force": "DAY"}).content.decode()
    assert 'id="order-error"' not in preview, re.search(r'id="order-error">(.*?)<', preview).group(1)
    assert re.search(r"BUY 100 00700 LMT @ [\d,]+\.\d+ HKD", preview)
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert (order.market, order.currency, order.quantity) == ("HK", "HKD", Decimal(100))
    assert order.status in ("SUBMITTED", "FILLED"), order.status_reason


def test_the_preview_risk_table_shows_each_limits_currency_the_rate_and_the_converted_amount(trader, account,
                                                                                              system_actor):
    from trading.services import last_price

    risk_policy_save(actor=system_actor, policy=RiskPolicy(account=account, currency="USD", allowed_markets="US,HK"))
    price = last_price(account, "00700").quantize(Decimal("1"))
    entered = {"account": account.account_number, "symbol": "00700", "side": "BUY", "quantity": "100",
               "order_type": "LMT", "limit_price": str(price), "time_in_force": "DAY"}
    preview = trader.post(NEW, entered).content.decode()
    assert 'id="order-error"' not in preview, re.search(r'id="order-error">(.*?)<', preview).group(1)
    converted = format_money((price * 100 * Decimal("0.128205")).quantize(Decimal("0.01"), "ROUND_UP"), "USD")
    table = re.search(r'<table class="risk-decision">(.*?)</table>', preview, re.S).group(1)
    assert "<th scope=\"row\">Money limits in</th><td>USD</td>" in table
    assert "<th scope=\"row\">FX rate (Tiger&#x27;s)</th><td>1 HKD = 0.128205 USD</td>" in table
    assert f"<th scope=\"row\">Converted notional</th><td>{converted}</td>" in table
    assert (f"<td>Max order notional: order {converted} ({format_money(price * 100, 'HKD')} at 0.128205 USD per HKD, "
            "Tiger&#x27;s rate); limit 100,000.00 USD<br>Max open exposure: open orders with this one "
            f"{converted}; limit 250,000.00 USD<br>Daily loss limit: limit 10,000.00 USD</td>") in table
    # Over the converted limit: the refusal's table says the same.
    policy = RiskPolicy.objects.get(account=account)
    policy.max_order_notional = Decimal(converted.split()[0].replace(",", "")) - 1
    risk_policy_save(actor=system_actor, policy=policy)
    refused = trader.post(NEW, entered).content.decode()
    assert "Order notional" in re.search(r'id="order-error">(.*?)<', refused).group(1)
    assert "1 HKD = 0.128205 USD" in refused


def test_someone_without_a_trade_grant_is_told_how_to_get_one(client, account, system_actor):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("viewer", password="pw-viewer-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    grant_set(actor=system_actor, account=account, scope=Scope.READ, user=user)
    client.force_login(user)
    page = client.get(NEW).content.decode()
    assert "Ask an admin for a trade grant" in page and 'id="new-order-form"' not in page


def test_a_trailing_stop_entered_in_the_admin_is_previewed_then_placed(trader, account, sim):
    entered = {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "2",
               "order_type": "TRAIL", "trailing_percent": "5", "time_in_force": "GTC"}
    preview = trader.post(NEW, entered).content.decode()
    assert 'id="order-error"' not in preview, re.search(r'id="order-error">(.*?)<', preview).group(1)
    summary = re.search(r'id="preview-summary">(.*?)</td>', preview, re.S).group(1)
    assert summary == "BUY 2 AAPL TRAIL trailing 5 %"
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert (order.order_type, order.trailing_percent, order.time_in_force, order.status) == (
        "TRAIL", Decimal(5), "GTC", "SUBMITTED")
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].trailing_percent == 5
    both = trader.post(NEW, {**entered, "trailing_amount": "1"}).content.decode()
    assert "exactly one of trailing_amount" in re.search(r'id="order-error">(.*?)<', both).group(1)


def test_a_gtd_order_entered_in_the_admin_carries_its_expiry_to_tiger(trader, account, sim, last_price):
    from datetime import timedelta

    from django.utils import timezone

    expiry = (max(sim.clock.now(), timezone.now()) + timedelta(days=1)).replace(second=0, microsecond=0)
    price = (last_price("AAPL") * Decimal("0.9")).quantize(Decimal("0.01"))
    entered = {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "1",
               "order_type": "LMT", "limit_price": str(price), "time_in_force": "GTD",
               "expire_time": expiry.strftime("%Y-%m-%d %H:%M")}
    missing = trader.post(NEW, {**entered, "expire_time": ""}).content.decode()
    assert "needs expire_time" in re.search(r'id="order-error">(.*?)<', missing).group(1)
    preview = trader.post(NEW, entered).content.decode()
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert (order.time_in_force, order.expire_time) == ("GTD", expiry)
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].expire_time == \
        int(expiry.timestamp() * 1000)


def test_close_from_the_portfolio_page_previews_the_sale_of_the_whole_position(client, sim, make_tiger_account,
                                                                                system_actor):
    from broker.client import broker_for
    from broker.types import OrderIntent

    account = make_tiger_account(label="Closer")
    broker_for(account).place_order(OrderIntent(symbol="AAPL", side="BUY", quantity=Decimal(8), order_type="MKT"))
    sim.match()
    ops = get_user_model().objects.create_superuser("ops", password="pw-ops-7654321")
    grant_set(actor=system_actor, account=account, scope=Scope.TRADE, user=ops)
    client.force_login(ops)
    portfolio = client.get("/admin/marketdata/portfoliosnapshot/positions/?group=account").content.decode()
    link = re.search(r'href="([^"]+)" class="close-position"', portfolio).group(1).replace("&amp;", "&")
    assert link == f"{NEW}?close=AAPL&account={account.account_number}"
    page = client.get(link).content.decode()
    assert re.findall(r'class="errornote"[^>]*>([^<]*)', page) == []
    assert re.search(r'id="preview-summary">SELL 8 AAPL MKT', page)
    token = re.search(r'name="confirmation_token" value="([^"]+)"', page).group(1)
    client.post(NEW, {"confirmation_token": token, "account_number": account.account_number})
    order = Order.objects.get(account=account)
    assert (order.side, order.quantity, order.status) == ("SELL", 8, "SUBMITTED")
    nothing = client.get(f"{NEW}?close=MSFT&account={account.account_number}").content.decode()
    assert "holds no shares of MSFT" in nothing


def test_a_bracket_entered_in_the_admin_is_previewed_with_its_legs_and_placed_with_them(trader, account, last_price):
    price = (last_price("AAPL") * Decimal("0.95")).quantize(Decimal("0.01"))
    entered = {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "3",
               "order_type": "LMT", "limit_price": str(price), "time_in_force": "DAY",
               "take_profit_price": str(price + 10), "stop_loss_price": str(price + 1)}
    wrong = trader.post(NEW, entered).content.decode()
    assert f"give a stop_loss_price below {price.normalize():f}" in wrong and not Order.objects.exists()
    preview = trader.post(NEW, {**entered, "stop_loss_price": str(price - 10)}).content.decode()
    bracket = re.search(r'id="preview-bracket">(.*?)</td>', preview, re.S).group(1)
    assert bracket == (f"take-profit {price + 10:,.2f} USD, stop-loss {price - 10:,.2f} USD (SELL 3): "
                       "Tiger holds them until the entry fills; one filling cancels the other")
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    entry = Order.objects.get(parent__isnull=True)
    assert entry.take_profit_price == price + 10 and entry.stop_loss_price == price - 10
    assert sorted(entry.legs.values_list("leg", "order_type")) == [("LOSS", "STP"), ("PROFIT", "LMT")]
    leg = entry.legs.get(leg="PROFIT")
    page = trader.get(f"/admin/trading/order/{leg.pk}/change/")
    assert page.status_code == 200 and f"#{entry.pk} BUY 3 AAPL LMT" in page.content.decode()


def test_an_order_by_amount_entered_in_the_admin_is_previewed_as_its_amount_and_placed(trader, account):
    entered = {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "amount": "500",
               "order_type": "MKT", "time_in_force": "DAY"}
    both = trader.post(NEW, {**entered, "quantity": "2"}).content.decode()
    assert "Give either quantity" in both and not Order.objects.exists()
    preview = trader.post(NEW, entered).content.decode()
    summary = re.search(r'id="preview-summary">(.*?)</td>', preview, re.S).group(1)
    assert summary == "BUY 500.00 USD of AAPL MKT"
    trader.post(NEW, {"confirmation_token": _token(preview), "account_number": account.account_number})
    order = Order.objects.get()
    assert order.amount == 500 and order.order_type == "MKT"


def test_the_confirm_page_shows_every_leg_the_net_debit_commission_margin_maximum_loss_and_session(
        trader, account, last_price):
    limit = (last_price("AAPL") * Decimal("0.95")).quantize(Decimal("0.01"))
    page = trader.post(NEW, {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "10",
                             "order_type": "LMT", "limit_price": str(limit), "time_in_force": "DAY",
                             "take_profit_price": str(limit + 10), "stop_loss_price": str(limit - 5)}).content.decode()

    def cell(name: str) -> str:
        return re.sub(r"\s+", " ", re.search(rf'id="preview-{name}">(.*?)</td>', page, re.S).group(1)).strip()

    legs = re.findall(r"<li>(.*?)</li>", cell("legs"))
    assert legs == [f"Entry: BUY 10 AAPL LMT at {limit:,.2f} USD = {format_money(limit * 10, 'USD')}",
                    f"Take-profit (works once the entry fills): SELL 10 AAPL LMT at {limit + 10:,.2f} USD = "
                    f"{format_money((limit + 10) * 10, 'USD')}",
                    f"Stop-loss (works once the entry fills): SELL 10 AAPL STP at {limit - 5:,.2f} USD = "
                    f"{format_money((limit - 5) * 10, 'USD')}"]
    assert cell("net") == f"Net debit: {format_money(limit * 10, 'USD')} paid if it fills."
    assert cell("commission") == "Commission 1.00 USD (Tiger&#x27;s preview)."
    assert cell("margin").startswith("Buying power: uses ") and "initial margin" in cell("margin")
    assert cell("max-loss").startswith("Maximum loss 50.00 USD: the stop-loss distance 5.00 USD x 10")
    assert cell("session") == "Trades now, in the US regular session."


def test_an_overnight_order_entered_in_the_admin_is_previewed_for_the_overnight_session_and_placed(
        trader, account, last_price, sim):
    limit = (last_price("AAPL") * Decimal("0.95")).quantize(Decimal("0.01"))
    entered = {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "3",
               "order_type": "MKT", "time_in_force": "DAY", "trading_session_type": "OVERNIGHT"}
    refused = trader.post(NEW, entered).content.decode()
    assert "The overnight session takes a US stock&#x27;s LMT order (got order_type MKT)" in refused
    page = trader.post(NEW, {**entered, "order_type": "LMT", "limit_price": str(limit)}).content.decode()
    session = re.search(r'id="preview-session">(.*?)</td>', page, re.S).group(1)
    assert session.startswith("Trades in the US overnight session only (20:00 to 04:00 New York time")
    trader.post(NEW, {"confirmation_token": _token(page), "account_number": account.account_number})
    order = Order.objects.get(account=account)
    assert order.trading_session_type == "OVERNIGHT" and order.limit_price == limit
    assert sim.exchange.accounts[account.account_number].orders[int(order.broker_id)].trading_session_type == "OVERNIGHT"


def test_an_oca_group_entered_in_the_admin_shows_both_orders_and_places_them_as_one_group(
        trader, account, last_price, sim):
    last = last_price("AAPL")
    below, above = (last * Decimal("0.95")).quantize(Decimal("0.01")), (last * Decimal("1.05")).quantize(Decimal("0.01"))
    entered = {"account": account.account_number, "symbol": "AAPL", "side": "BUY", "quantity": "5",
               "order_type": "LMT", "limit_price": str(below), "time_in_force": "DAY", "oca_order_type": "STP"}
    refused = trader.post(NEW, entered).content.decode()
    assert "oca_orders[0] is a STP order: it needs stop_price" in refused
    page = trader.post(NEW, {**entered, "oca_stop_price": str(above)}).content.decode()
    legs = re.findall(r"<li>(.*?)</li>", re.search(r'id="preview-legs">(.*?)</td>', page, re.S).group(1))
    assert [leg.split(" = ")[0] for leg in legs] == [f"OCA order 1 of 2: BUY 5 AAPL LMT at {below:,.2f} USD",
                                                     f"OCA order 2 of 2: BUY 5 AAPL STP at {above:,.2f} USD"]
    trader.post(NEW, {"confirmation_token": _token(page), "account_number": account.account_number})
    first = Order.objects.get(account=account, parent=None)
    (other,) = Order.objects.filter(parent=first)
    assert (other.leg, other.order_type, other.stop_price) == ("OCA", "STP", above)
    held = sim.exchange.accounts[account.account_number].orders
    assert held[int(other.broker_id)].oca_group == int(first.broker_id)

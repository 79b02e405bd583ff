"""Trading's only ways to reach the broker for facts: last price, position, equity.

Kept in one place so the risk code never knows where the facts come from.
"""

from decimal import Decimal

from trading.intents import OrderIntent


def broker(account):
    # Imported lazily: the SDK pulls pandas, and most processes never trade.
    from broker.client import broker_for

    return broker_for(account)


def last_price(account, symbol: str) -> Decimal | None:
    """The last traded price, or None when the broker has none (the risk check then refuses).
    Through the market-data cache: a price collar of a few percent does not need a quote younger
    than the quote time-to-live, and a burst of previews must not spend Tiger's quote budget."""
    from marketdata.services import account_quotes

    for quote in account_quotes(account=account, symbols=[symbol]):
        if quote.symbol.upper() == symbol.upper():
            return quote.latest_price
    return None


def position_quantity(account, symbol: str) -> Decimal:
    """Signed stock position: positive long, negative short, zero when flat."""
    total = Decimal("0")
    for position in broker(account).positions():
        if position.symbol.upper() == symbol.upper() and position.sec_type in ("STK", "", None):
            total += position.quantity
    return total


def net_liquidation(account) -> tuple[Decimal | None, str]:
    assets = broker(account).assets()
    return assets.net_liquidation, assets.currency


def order_spec(intent: OrderIntent, *, remark: str = ""):
    from broker.client import OrderSpec

    return OrderSpec(
        symbol=intent.symbol, side=intent.side, quantity=intent.quantity, order_type=intent.order_type,
        limit_price=intent.limit_price, stop_price=intent.stop_price, time_in_force=intent.time_in_force,
        outside_rth=intent.outside_rth, remark=remark, sec_type=intent.sec_type, currency=intent.currency,
        market=intent.market,
    )

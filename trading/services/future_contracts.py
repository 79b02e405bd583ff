"""A futures order's contract checked against Tiger's own contract list before anything is valued
or sent: a product ("ES") names its current (front) contract, a code ("ES2612") must be listed; the
contract gives the order its code, last trading day, multiplier, currency and market, and its prices
must sit on the contract's tick. Input errors name the listed contracts, so the caller can fix the
order in one step."""

import re
from dataclasses import replace
from decimal import Decimal

from accounts.actors import Actor
from broker.types import OrderIntent, canonical_decimal
from core.errors import BrokerRejected, InvalidInput
from marketdata.services import FUTURE_EXCHANGES, future_contracts_get, future_quotes_get

CODE = re.compile(r"^([A-Z]{1,4})(\d{2})(\d{2})$")
NO_PRODUCT = ("No futures product {product}. Listed products: {products}. Give a product (its front contract) or a "
              "contract code from get_future_contracts, e.g. \"ES2612\".")
NOT_LISTED = ("{code} is not a listed {product} contract{why}. Listed: {listed}. The front contract is {front}; give "
              "symbol \"{product}\" for it, or one of the listed codes.")
WRONG_EXPIRY = ("expiry {given} is not {code}'s last trading day ({actual}). Leave expiry out, or give {actual}.")
WRONG_MULTIPLIER = ("multiplier {given} is not the contract's: {code} is worth {actual} times its price. Leave "
                    "multiplier out, or give {actual}.")
NO_MULTIPLIER = ("Tiger's contract list states no multiplier for {code}, so the order cannot be valued; nothing was "
                 "sent. Try again later.")
OFF_TICK = ("{field} {price} is not on {code}'s tick of {tick}; use {choices}.")


def _product_and_code(symbol: str) -> tuple[str, str | None]:
    match = CODE.match(symbol)
    return (match.group(1), symbol) if match else (symbol, None)


def _products(actor: Actor, number: str) -> str:
    products = sorted({c.type for exchange in FUTURE_EXCHANGES
                       for c in future_contracts_get(actor=actor, exchange=exchange, account_number=number)})
    return ", ".join(products) or "none"


def future_contract_resolve(*, actor: Actor, account, intent: OrderIntent) -> OrderIntent:
    """The intent naming its listed contract (code, last trading day, multiplier, currency, market);
    anything but a future unchanged."""
    if not intent.is_future:
        return intent
    number = account.account_number
    product, code = _product_and_code(intent.symbol)
    try:
        front = next(iter(future_contracts_get(actor=actor, product=product, account_number=number)), None)
    except BrokerRejected:  # Tiger refuses a type it does not know ("invalid type")
        front = None
    if front is None:
        raise InvalidInput(NO_PRODUCT.format(product=product, products=_products(actor, number)),
                           code="unknown_future_product")
    contract = front
    if code is not None and code != front.code:
        listed = [c for c in future_contracts_get(actor=actor, exchange=front.exchange, account_number=number)
                  if c.type == front.type]
        contract = next((c for c in listed if c.code == code), None)
        if contract is None:
            expired = code[-4:] < front.code[-4:]
            raise InvalidInput(NOT_LISTED.format(code=code, product=product, why=" (it has expired)" if expired else "",
                                                 listed=", ".join(c.code for c in listed) or front.code,
                                                 front=front.code),
                               code="future_expired" if expired else "unknown_future_contract")
    if contract.multiplier is None or contract.multiplier <= 0:
        raise BrokerRejected(NO_MULTIPLIER.format(code=contract.code), code="no_future_multiplier")
    actual = contract.multiplier.normalize()
    if intent.multiplier is not None and intent.multiplier != actual:
        raise InvalidInput(WRONG_MULTIPLIER.format(given=canonical_decimal(intent.multiplier), code=contract.code,
                                                   actual=canonical_decimal(actual)), code="wrong_future_multiplier")
    if intent.expiry is not None and contract.last_trading_date is not None and intent.expiry != contract.last_trading_date:
        raise InvalidInput(WRONG_EXPIRY.format(given=intent.expiry, code=contract.code,
                                               actual=contract.last_trading_date), code="wrong_future_expiry")
    _check_tick(intent, contract)
    return replace(intent, symbol=contract.code, expiry=contract.last_trading_date, multiplier=Decimal(actual),
                   currency=contract.currency, market="HK" if contract.currency == "HKD" else "US")


def _check_tick(intent: OrderIntent, contract) -> None:
    tick = contract.min_tick
    if tick is None or tick <= 0:
        return  # the list states none: only Tiger can judge the price
    for field in ("limit_price", "stop_price", "trailing_amount"):
        price = getattr(intent, field)
        if price is not None and price % tick:
            below = price - price % tick
            choices = " or ".join(canonical_decimal(p) for p in (below, below + tick) if p > 0)
            raise InvalidInput(OFF_TICK.format(field=field, price=canonical_decimal(price), code=contract.code,
                                               tick=canonical_decimal(tick), choices=choices), code="off_tick")


def future_last_price(*, actor: Actor, account, intent: OrderIntent) -> Decimal | None:
    """The contract's latest price (cached as every futures quote), or None when it has none."""
    quotes = future_quotes_get(actor=actor, codes=[intent.symbol], account_number=account.account_number)
    return next((q.latest_price for q in quotes if q.code == intent.symbol), None)

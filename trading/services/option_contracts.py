"""An option order's contract checked against the broker's own chain before anything is valued or
sent: the expiry must be listed, the strike in the chain, and the multiplier is the chain's. Input
errors name the nearest valid expiries or strikes, so the caller can fix the order in one step."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from accounts.actors import Actor
from broker.types import OrderIntent, canonical_decimal
from broker.quotes import account_quotes
from core.errors import BrokerRejected, InvalidInput
from marketdata.services import option_chain_get, option_expirations_get, option_symbols_get
from trading.combos import BAD_SHAPE, SHAPES, combo_shape_ok, net_price

NO_OPTIONS = "{symbol} has no listed options. Check the underlying (get_option_expirations lists an underlying's expiries)."
# Whether a date is past is the broker's to say (its chain lists today's expiries onward).
OPTION_EXPIRED = ("The {symbol} option expiring {expiry} has expired. Nearest expiries: {nearest}. "
                  "Call get_option_expirations for all of them.")
UNKNOWN_EXPIRY = ("No {symbol} options expire on {expiry}. Nearest expiries: {nearest}. "
                  "Call get_option_expirations for all of them.")
UNKNOWN_STRIKE = ("No {symbol} {right} expiring {expiry} at strike {strike}. Nearest strikes: {nearest}. "
                  "Call get_option_chain for the chain.")
WRONG_MULTIPLIER = ("multiplier {given} is not the contract's: {symbol} {expiry} {strike} {right} covers {actual} "
                    "shares per contract. Leave multiplier out, or give {actual}.")
NO_MULTIPLIER = ("Tiger's option chain states no multiplier for {identifier}, so the order cannot be valued; "
                 "nothing was sent. Try again later.")
NEAREST = 3


def _nearest(values, target, key) -> str:
    return ", ".join(str(v) for v in sorted(sorted(values, key=lambda v: abs(key(v) - key(target)))[:NEAREST]))


def _hk_option_symbol(*, actor: Actor, number: str, code: str) -> str:
    """HKEX's option symbol (TCH.HK) of a Hong Kong stock code (00700), which Tiger's option orders,
    chains and identifiers name; InvalidInput when the stock has no listed options."""
    for row in option_symbols_get(actor=actor, market="HK", account_number=number):
        if row.underlying == code:
            return row.symbol
    raise InvalidInput(NO_OPTIONS.format(symbol=code), code="no_options")


def option_symbol_resolve(*, actor: Actor, account, intent: OrderIntent) -> OrderIntent:
    """A Hong Kong option named by its stock's code (00700) is named by HKEX's option symbol (TCH.HK),
    as Tiger's orders and identifiers name it; any other order unchanged."""
    if intent.is_option and intent.market == "HK" and intent.symbol.isdigit():
        return replace(intent, symbol=_hk_option_symbol(actor=actor, number=account.account_number, code=intent.symbol))
    return intent


def option_underlying_stock(*, actor: Actor, account, intent: OrderIntent) -> str:
    """The stock an option is on, whose shares cover its calls: the US ticker itself; in Hong Kong the
    code HKEX's option symbol stands for (TCH.HK: 00700), or the symbol itself when Tiger lists none."""
    if intent.market != "HK" or intent.symbol.isdigit():
        return intent.symbol
    rows = option_symbols_get(actor=actor, market="HK", account_number=account.account_number)
    return next((row.underlying for row in rows if row.symbol == intent.symbol), intent.symbol)


def option_contract_resolve(*, actor: Actor, account, intent: OrderIntent) -> OrderIntent:
    """The intent with its contract's multiplier, once the chain lists the contract; a stock unchanged.
    A Hong Kong option named by its stock's code (00700) is named by HKEX's option symbol (TCH.HK)."""
    if not intent.is_option:
        return intent
    number = account.account_number
    intent = option_symbol_resolve(actor=actor, account=account, intent=intent)
    expiries = option_expirations_get(actor=actor, symbol=intent.symbol, account_number=number)
    if not expiries:
        raise InvalidInput(NO_OPTIONS.format(symbol=intent.symbol), code="no_options")
    if intent.expiry not in expiries:
        nearest = _nearest(expiries, intent.expiry, key=date.toordinal)
        expired = intent.expiry < min(expiries)
        raise InvalidInput((OPTION_EXPIRED if expired else UNKNOWN_EXPIRY).format(
            symbol=intent.symbol, expiry=intent.expiry, nearest=nearest),
            code="option_expired" if expired else "unknown_option_expiry")
    chain = [o for o in option_chain_get(actor=actor, symbol=intent.symbol, expiry=intent.expiry, account_number=number)
             if o.put_call == intent.right]
    row = next((o for o in chain if o.strike == intent.strike), None)
    if row is None:
        nearest = ", ".join(canonical_decimal(s) for s in sorted(
            sorted({o.strike for o in chain}, key=lambda s: abs(s - intent.strike))[:NEAREST]))
        raise InvalidInput(UNKNOWN_STRIKE.format(symbol=intent.symbol, right=intent.right, expiry=intent.expiry,
                                                 strike=canonical_decimal(intent.strike), nearest=nearest or "none"),
                           code="unknown_option_strike")
    if row.multiplier is None or row.multiplier <= 0:
        raise BrokerRejected(NO_MULTIPLIER.format(identifier=intent.identifier), code="no_option_multiplier")
    actual = row.multiplier.normalize()
    if intent.multiplier is not None and intent.multiplier != actual:
        raise InvalidInput(WRONG_MULTIPLIER.format(given=canonical_decimal(intent.multiplier), symbol=intent.symbol,
                                                   expiry=intent.expiry, strike=canonical_decimal(intent.strike),
                                                   right=intent.right, actual=canonical_decimal(actual)),
                           code="wrong_option_multiplier")
    return replace(intent, multiplier=Decimal(actual))


def option_last_price(*, actor: Actor, account, intent: OrderIntent) -> Decimal | None:
    """The contract's last price in its chain (cached as every chain read), or None when it has none."""
    chain = option_chain_get(actor=actor, symbol=intent.symbol, expiry=intent.expiry,
                             account_number=account.account_number)
    for row in chain:
        if row.put_call == intent.right and row.strike == intent.strike:
            return row.latest_price
    return None


LEG_MULTIPLIERS = ("The option legs of a combo must cover the same shares per contract; these cover {found}. "
                   "Choose legs of one underlying's standard contracts.")
COMBO_NO_MODIFY = ("A combo cannot be modified at Tiger: cancel it (cancel_order) and preview a new one with the "
                   "changed legs, quantity or net price.")


def _leg_intent(intent: OrderIntent, leg) -> OrderIntent:
    """One option leg as a single-option order (to check its contract against the chain)."""
    return OrderIntent(account_number=intent.account_number, symbol=intent.symbol, side=leg.side,
                       quantity=Decimal(leg.ratio), order_type="MKT", sec_type="OPT", market=intent.market,
                       currency=intent.currency, expiry=leg.expiry, strike=leg.strike, right=leg.right,
                       multiplier=leg.multiplier)


def combo_contracts_resolve(*, actor: Actor, account, intent: OrderIntent) -> OrderIntent:
    """A combo with each option leg checked against the chain (listed expiry and strike; errors name the
    nearest) and its multiplier; the combo's multiplier is theirs, and a covered or protective combo's
    shares must cover its contracts. Anything else unchanged."""
    if not intent.is_combo:
        return intent
    legs, multipliers = [], set()
    for leg in intent.legs:
        if not leg.is_stock:
            leg = replace(leg, multiplier=option_contract_resolve(actor=actor, account=account,
                                                                  intent=_leg_intent(intent, leg)).multiplier)
            multipliers.add(leg.multiplier)
        legs.append(leg)
    if len(multipliers) != 1:
        raise InvalidInput(LEG_MULTIPLIERS.format(found=", ".join(sorted(canonical_decimal(m) for m in multipliers))),
                           code="combo_multiplier")
    multiplier = multipliers.pop()
    if intent.multiplier is not None and intent.multiplier != multiplier:
        raise InvalidInput(WRONG_MULTIPLIER.format(given=canonical_decimal(intent.multiplier), symbol=intent.symbol,
                                                   expiry=legs[-1].expiry, strike=canonical_decimal(legs[-1].strike),
                                                   right=legs[-1].right, actual=canonical_decimal(multiplier)),
                           code="wrong_option_multiplier")
    if not combo_shape_ok(intent.combo_type, tuple(legs), multiplier):
        raise InvalidInput(BAD_SHAPE.format(combo=intent.combo_type, shape=SHAPES[intent.combo_type].format(
            shares=canonical_decimal(multiplier))), code="bad_combo_shape")
    return replace(intent, multiplier=multiplier, legs=tuple(legs))


def combo_last_price(*, actor: Actor, account, intent: OrderIntent) -> Decimal | None:
    """A combo's net price at its legs' last prices (the BUY orientation); None when one has none."""
    prices = []
    for leg in intent.legs:
        if leg.is_stock:
            quotes = account_quotes(account=account, symbols=[intent.symbol])
            price = next((q.latest_price for q in quotes if q.symbol.upper() == intent.symbol), None)
        else:
            price = option_last_price(actor=actor, account=account, intent=_leg_intent(intent, leg))
        if price is None:
            return None
        prices.append(price)
    return net_price(intent.legs, prices, intent.units)

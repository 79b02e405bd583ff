"""Reads of one account's money history: its cash ledger (every deposit, trade and fee), its
deposits and withdrawals, and its assets by segment and currency. Each returns (account, result)
for an account the actor may read (accounts.selectors.account_route); never cached, as balances."""

from __future__ import annotations

from datetime import date

from accounts.actors import Actor
from accounts.selectors import account_route
from broker.client import broker_for
from core.errors import InvalidInput

CASH_KINDS = ("ALL", "DEPOSIT_WITHDRAW", "TRADE", "FEE")
SEGMENT_CURRENCIES = ("USD", "HKD", "CNH")
MAX_PAGE = 100
BAD_RANGE = "start {start} is after end {end}; give start <= end."
BAD_KIND = "Unknown entry kind '{kind}'. Use one of: {kinds}."
BAD_CURRENCY = "Unknown currency '{currency}'. Use one of: {currencies}."
BAD_PAGE = "offset must be >= 0 and limit between 1 and {max} (got offset {offset}, limit {limit})."


def cash_history_get(*, actor: Actor, account_number: str | None = None, start: date | None = None,
                     end: date | None = None, currency: str | None = None, kind: str = "ALL", offset: int = 0,
                     limit: int = 50):
    """(account, broker.data_types.CashHistory): the ledger's entries, oldest first, one page."""
    if start and end and start > end:
        raise InvalidInput(BAD_RANGE.format(start=start, end=end), code="bad_date_range")
    kind = (kind or "ALL").strip().upper()
    if kind not in CASH_KINDS:
        raise InvalidInput(BAD_KIND.format(kind=kind[:30], kinds=", ".join(CASH_KINDS)), code="bad_kind")
    currency = (currency or "").strip().upper() or None
    if currency and currency not in SEGMENT_CURRENCIES:
        raise InvalidInput(BAD_CURRENCY.format(currency=currency[:10], currencies=", ".join(SEGMENT_CURRENCIES)),
                           code="bad_currency")
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(BAD_PAGE.format(max=MAX_PAGE, offset=offset, limit=limit), code="bad_page")
    account = account_route(actor, account_number)
    return account, broker_for(account).cash_history(start=start, end=end, currency=currency,
                                                     kind=None if kind == "ALL" else kind, offset=offset, limit=limit)


def transfers_get(*, actor: Actor, account_number: str | None = None):
    """(account, [broker.data_types.Transfer]): deposits and withdrawals."""
    account = account_route(actor, account_number)
    return account, broker_for(account).transfers()


def segment_assets_get(*, actor: Actor, account_number: str | None = None, base_currency: str | None = None):
    """(account, [broker.data_types.SegmentAssets]): securities (S) and futures (C) segments, each with
    its cash per currency, in `base_currency` (default the account's)."""
    account = account_route(actor, account_number)
    base = (base_currency or account.base_currency or "USD").strip().upper()
    if base not in SEGMENT_CURRENCIES:
        raise InvalidInput(BAD_CURRENCY.format(currency=base[:10], currencies=", ".join(SEGMENT_CURRENCIES)),
                           code="bad_currency")
    return account, broker_for(account).segment_assets(base_currency=base)

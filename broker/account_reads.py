"""One account's balances and positions through a short-lived shared cache (TIGER_ACCOUNT_READ_TTL
seconds), with the quote cache's stampede protection (broker.cache.cached_fetch): many callers
reading one account at once cost one Tiger call, which Tiger's per-developer limit (60 a minute)
makes precious.

Each answer carries when Tiger gave it (`as_of`) and whether this call read Tiger (`live`) or took
the cached answer (`cache`); `fresh_only` reads Tiger now and refreshes the cache with the answer.

Keys name the account by id and number and the kind of read, never a credential. Each account has a
generation in the cache and its keys carry it: account_reads_forget (called when one of the
account's orders changes state, after the commit) starts a new generation, so every process stops
serving the old answers at once, and a read that was in flight then stores its answer under the old
generation, where nobody looks any more.

For an account the caller has already been allowed (marketdata.selectors checks, every call, before
the cache is asked)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from broker.cache import cached_fetch
from broker.client import broker_for
from broker.types import Assets, Position

logger = logging.getLogger(__name__)

T = TypeVar("T")

KINDS = ("assets", "positions", "positions:OPT")
FIRST_GENERATION = "0"


@dataclass(frozen=True)
class AccountRead(Generic[T]):
    value: T
    as_of: datetime  # when Tiger answered
    source: str  # "live": this call read Tiger; "cache": an answer read for another call

    def age_seconds(self, now: datetime | None = None) -> int:
        return max(0, int(((now or timezone.now()) - self.as_of).total_seconds()))


def account_read_ttl() -> int:
    """Seconds an account read is served from the cache; 0 reads Tiger every time."""
    return max(0, int(getattr(settings, "TIGER_ACCOUNT_READ_TTL", 5)))


def _prefix(account) -> str:
    # The number beside the id: a cache shared by two databases (tests, benches) never mixes them up.
    return f"tm:acct:{account.pk}:{account.account_number}"


def _generation(account) -> str:
    return cache.get(_prefix(account) + ":gen") or FIRST_GENERATION


def _read(account, kind: str, fetch: Callable[[], T], *, fresh_only: bool) -> AccountRead[T]:
    ttl = account_read_ttl()
    # The generation is read before Tiger is: an answer read across a forget lands under the old one.
    key = f"{_prefix(account)}:{_generation(account)}:{kind}"
    read_here = []

    def live() -> tuple[T, datetime]:
        read_here.append(True)
        return fetch(), timezone.now()

    if fresh_only or ttl == 0:
        value, as_of = live()
        if ttl:
            cache.set(key, (value, as_of), timeout=ttl)
    else:
        value, as_of = cached_fetch(key, ttl, live)
    return AccountRead(value=value, as_of=as_of, source="live" if read_here else "cache")


def account_assets(*, account, fresh_only: bool = False) -> AccountRead[Assets]:
    """The account's balances (broker.types.Assets), at most TIGER_ACCOUNT_READ_TTL seconds old."""
    return _read(account, "assets", lambda: broker_for(account).assets(), fresh_only=fresh_only)


def account_positions(*, account, fresh_only: bool = False, sec_type: str = "STK") -> AccountRead[list[Position]]:
    """The account's positions (broker.types.Position) of one security type, at most
    TIGER_ACCOUNT_READ_TTL seconds old. Tiger lists each type apart: STK stocks, OPT options."""
    kind = "positions" if sec_type == "STK" else f"positions:{sec_type}"
    return _read(account, kind, lambda: list(broker_for(account).positions(sec_type=sec_type)), fresh_only=fresh_only)


def account_reads_forget(account) -> None:
    """Stop serving the account's cached reads, in every process (its orders changed: a fill moves
    positions and cash, a new or cancelled order moves buying power). Never raises: a cache outage
    costs at most TIGER_ACCOUNT_READ_TTL seconds of an older answer, never the caller's work."""
    prefix = _prefix(account)
    try:
        old = _generation(account)
        cache.set(prefix + ":gen", uuid.uuid4().hex[:16], timeout=None)
        # Also the first generation's answers themselves: should the generation key ever be evicted,
        # the first generation's name comes back, and must find nothing left under it. A random name
        # never comes back, so its answers need no deleting (every order's transitions come here).
        if old == FIRST_GENERATION:
            cache.delete_many([f"{prefix}:{old}:{kind}" for kind in KINDS])
    except Exception:  # noqa: BLE001 - see the docstring
        logger.warning("cached reads of account id %s not forgotten", account.pk, exc_info=True)

"""The broker client: every call to Tiger goes through here, through the real `tigeropen` SDK.

One BrokerClient per TigerAccount, built from its decrypted credentials and cached (thread-safe).
The SDK is imported lazily: it pulls pandas (~0.5 s), which `manage.py` commands, web workers and the
MCP server must not pay at start-up.

Results are plain dataclasses with Decimal money (never the SDK's floats or DataFrames), so nothing
above this module knows the SDK. SDK exceptions become core.errors classes whose messages say
what to do and carry no secret (the SDK's own messages embed signed request parameters).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from django.conf import settings

from broker.types import (
    Assets,
    Bar,
    BarsPage,
    BrokerLeg,
    BrokerOrder,
    Contract,
    Fill,
    LEG_LOSS,
    LEG_OCA,
    LEG_PROFIT,
    MarketStatus,
    OptionQuote,
    OrderIntent,
    PlaceResult,
    Position,
    Preview,
    Quote,
    Tick,
    TradableQuantity,
    ValueDay,
    ValueHistory,
    currency_for,
    dec,
    from_millis,
)
from broker.data_calls import (DiscoveryDataCalls, FundamentalDataCalls, FutureDataCalls, HistoryDataCalls,
                               OptionDataCalls, QuoteDataCalls)
from accounts.private_keys import ACCEPTED_FORMATS, private_key_problem
from core.redaction import RedactingFilter, scrub_text
from broker.limits import api_name, circuit_guard, rate_limit_acquire, tiger_id_hash
from core.metrics import RATE_LIMITED as RATE_LIMITED_EVENTS
from core.errors import (
    BadCredentials,
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    CredentialError,
    OutcomeUnknown,
    RateLimited,
)

logger = logging.getLogger("tigermcp.broker")

RATE_LIMITED = "Tiger is rate-limiting {api} for this developer id; retry in {seconds:.0f} s."
UNAVAILABLE = "Tiger's gateway did not answer {api} for account {account} ({detail}). Nothing was changed; try again shortly."
OUTCOME_UNKNOWN = (
    "Tiger did not confirm {api} for account {account} ({detail}). The request may or may not have "
    "taken effect. It will NOT be re-sent automatically; reconciliation will find out. Check the "
    "order list before trying again."
)
BAD_SIGNATURE = (
    "Tiger refused the request signature for account {account}: the stored private key does not "
    "match the developer id's registered public key. Re-enter the key in the admin."
)
REJECTED = "Tiger rejected {api} for account {account}: {message}"
NO_QUOTE_PERMISSION = ("Account {account}'s Tiger developer id has no real-time quote permission for this market. "
                       "Call get_delayed_quote (quotes toolset; REST /api/quotes/delayed/) for quotes delayed about "
                       "15 minutes, or buy the real-time quote permission from Tiger.")
MARKET_HOURS_HINT = (" Outside regular trading hours only limit orders with outside_rth=true are accepted; "
                     "use one, or wait for the regular session.")
NO_CREDENTIALS = "Account {account} has no {what} stored. Add it in the admin (Accounts → Tiger accounts)."
UNUSABLE_KEY = ("Account {account}'s stored private key cannot sign requests ({why}). Re-enter the key in the "
                "admin (Accounts → Tiger accounts). " + ACCEPTED_FORMATS)
READ_ONLY_WRITE = ("Not sent: {api} for account {account} changes state at Tiger, and this deployment is read-only "
                   "(TIGERMCP_READ_ONLY=true).")

# Calls that change state at the broker: never retried, and a lost reply means "outcome unknown".
MUTATING = {"place_order", "modify_order", "cancel_order"}


# ---------------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------------


_sdk_configured = False


def _configure_sdk() -> None:
    """Once per process: scrub the SDK's logging (it logs whole signed requests at DEBUG and puts
    parameters into exception messages), and give its module-level urllib3 pool room for the
    concurrent calls aggregation makes (its default keeps one connection per host)."""
    global _sdk_configured
    if _sdk_configured:
        return
    import urllib3
    from tigeropen.common.util import web_utils

    sdk_logger = logging.getLogger("tiger_openapi")
    if not any(isinstance(f, RedactingFilter) for f in sdk_logger.filters):
        sdk_logger.addFilter(RedactingFilter())
    web_utils.http_pool = urllib3.PoolManager(maxsize=settings.TIGER_HTTP_POOL_SIZE)
    _sdk_configured = True


class BrokerClient(QuoteDataCalls, OptionDataCalls, HistoryDataCalls, DiscoveryDataCalls, FundamentalDataCalls,
                   FutureDataCalls):
    def __init__(self, account):
        from tigeropen.quote.quote_client import QuoteClient
        from tigeropen.tiger_open_config import TigerOpenClientConfig
        from tigeropen.trade.trade_client import TradeClient

        _configure_sdk()
        self.account_id = account.pk
        self.account_number = account.account_number
        for what in ("tiger_id", "private_key"):
            if not getattr(account, what):
                raise CredentialError(NO_CREDENTIALS.format(account=account.account_number, what=what), code="missing_credentials")
        # Checked here rather than left to the SDK, which would report a failed signature as a
        # transport error ("request sign failed"), retry it, and never say the key is the problem.
        problem = private_key_problem(account.private_key)
        if problem:
            raise CredentialError(UNUSABLE_KEY.format(account=account.account_number, why=problem),
                                  code="unusable_private_key")
        # Tiger limits per developer id: the limiter keys on a hash of it, never the id itself.
        self.developer_key = tiger_id_hash(account.tiger_id)

        config = TigerOpenClientConfig(enable_dynamic_domain=False)
        config.tiger_id = account.tiger_id
        config.account = account.account_number
        config.private_key = account.private_key
        config.license = account.license or None
        if account.server_url:
            config.server_url = account.server_url
            config.quote_server_url = account.server_url
        if account.gateway_public_key:
            config.tiger_public_key = account.gateway_public_key
        config.timeout = settings.TIGER_HTTP_TIMEOUT
        # Reads retry inside the SDK (never orders); keep it short so a caller is not held a minute.
        config.retry_max_tries = settings.TIGER_READ_RETRIES
        config.retry_max_time = settings.TIGER_HTTP_TIMEOUT * 2
        self._trade = TradeClient(config)
        self._quote = QuoteClient(config, is_grab_permission=False)
        self._local = _local_gateway_for(account)

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _translate(self, api: str):
        from tigeropen.common.exceptions import ApiException, RequestException, ResponseException

        mutating = api in MUTATING
        try:
            yield
        except ApiException as exc:
            raise self._from_api_exception(api, exc) from None
        except (RequestException, ResponseException) as exc:
            if "sign failed" in str(exc):  # the SDK signs before sending: nothing left the process
                raise CredentialError(UNUSABLE_KEY.format(account=self.account_number, why="signing failed"),
                                      code="unusable_private_key") from None
            detail = _transport_detail(exc)
            if mutating and not _never_sent(exc):
                raise OutcomeUnknown(OUTCOME_UNKNOWN.format(api=api, account=self.account_number, detail=detail)) from None
            raise BrokerUnavailable(UNAVAILABLE.format(api=api, account=self.account_number, detail=detail)) from None

    def _send(self, fn, args, kwargs):
        if self._local is None:
            return fn(*args, **kwargs)
        from tigeropen.common.exceptions import RequestException

        self._local.ensure()  # one refused non-blocking lock while another process serves it
        try:
            return fn(*args, **kwargs)
        except RequestException as exc:
            # The process that served the embedded simulator has exited: serve it here (or wait for
            # the one that now does) and send again. Safe for orders too: a refused connection
            # never reached a gateway.
            if not _never_sent(exc) or not self._local.take_over():
                raise
        return fn(*args, **kwargs)

    def _from_api_exception(self, api: str, exc) -> BrokerError:
        code = exc.code
        message = scrub_text(str(exc.msg or ""))
        lowered = message.lower()
        if code in (4, 5) and "rate limit" in lowered or code == 5:
            RATE_LIMITED_EVENTS.labels(api=api_name(api), source="tiger").inc()
            return RateLimited(RATE_LIMITED.format(api=api, seconds=60), retry_after=60.0)
        if code == 1000 and "sign" in lowered:
            return BadCredentials(BAD_SIGNATURE.format(account=self.account_number))
        if code == 4 and "permission denied" in lowered:
            return BrokerRejected(NO_QUOTE_PERMISSION.format(account=self.account_number), code="no_quote_permission")
        if code in (1, 2):
            if api in MUTATING:
                return OutcomeUnknown(OUTCOME_UNKNOWN.format(api=api, account=self.account_number, detail=f"Tiger error {code}: {message}"))
            return BrokerUnavailable(UNAVAILABLE.format(api=api, account=self.account_number, detail=f"Tiger error {code}: {message}"))
        if ("market" in lowered and "closed" in lowered) or "pre-market" in lowered or "after-hours" in lowered:
            return BrokerRejected(REJECTED.format(api=api, account=self.account_number, message=message) + MARKET_HOURS_HINT, code="market_closed")
        return BrokerRejected(REJECTED.format(api=api, account=self.account_number, message=message), extra={"tiger_code": code})

    def _call(self, api: str, fn, *args, **kwargs):
        """Every broker call: under Tiger's limits (shared by all processes), through the account's
        circuit breaker, with the SDK's errors translated."""
        if api in MUTATING and settings.TIGERMCP_READ_ONLY:
            # The services refuse writes earlier, each with its own message; this is the last stop,
            # so that no door (and no path a service forgot) writes to Tiger in a read-only deployment.
            raise BrokerRejected(READ_ONLY_WRITE.format(api=api, account=self.account_number), code="read_only_deployment")
        started = time.monotonic()
        # The circuit first: a call it refuses must not spend rate-limit budget.
        with circuit_guard(self.account_id, label=self.account_number):
            rate_limit_acquire(tiger_id_hash=self.developer_key, api=api)
            with self._translate(api):
                result = self._send(fn, args, kwargs)
        # INFO: with the request id (core.request_context) it is how a request is followed to Tiger.
        logger.info("tiger %s for %s took %.0f ms", api, self.account_number, (time.monotonic() - started) * 1000)
        return result

    # -- account ----------------------------------------------------------------------------------

    def assets(self) -> Assets:
        return self._assets(self._call("prime_assets", self._trade.get_prime_assets, account=self.account_number))

    def credentials_probe(self) -> Assets:
        """One assets read for credentials not saved yet (an admin's edit): under Tiger's limits, with
        the SDK's errors translated, but outside the account's circuit breaker, whose failures must
        stay those of the stored credentials."""
        rate_limit_acquire(tiger_id_hash=self.developer_key, api="prime_assets")
        with self._translate("prime_assets"):
            portfolio = self._send(self._trade.get_prime_assets, (), {"account": self.account_number})
        return self._assets(portfolio)

    def _assets(self, portfolio) -> Assets:
        segment = portfolio.segments.get("S") if portfolio else None
        if segment is None:
            raise BrokerRejected(REJECTED.format(api="prime_assets", account=self.account_number, message="no securities segment returned"))
        by_currency = {
            currency: dec(asset.cash_balance)
            for currency, asset in segment.currency_assets.items()
            if dec(asset.cash_balance) is not None
        }
        rates = {segment.currency: Decimal(1)}
        rates.update({c: dec(a.forex_rate) for c, a in segment.currency_assets.items() if dec(a.forex_rate)})
        return Assets(
            account=self.account_number,
            currency=segment.currency,
            net_liquidation=dec(segment.net_liquidation),
            cash=dec(segment.cash_balance),
            buying_power=dec(segment.buying_power),
            unrealized_pnl=dec(segment.unrealized_pl),
            realized_pnl=dec(segment.realized_pl),
            cash_by_currency=by_currency,
            fx_rates=rates,
        )

    def positions(self, *, sec_type: str = "STK") -> list[Position]:
        """Positions of one security type (Tiger's default, and the SDK's, is STK; options are OPT)."""
        rows = self._call("positions", self._trade.get_positions, account=self.account_number, sec_type=sec_type) or []
        return [
            Position(
                symbol=p.contract.symbol,
                sec_type=p.contract.sec_type,
                market=getattr(p.contract, "market", None),
                currency=p.contract.currency,
                quantity=dec(p.position_qty if p.position_qty is not None else p.quantity) or Decimal(0),
                average_cost=dec(p.average_cost),
                latest_price=dec(p.market_price),
                market_value=dec(p.market_value),
                unrealized_pnl=dec(p.unrealized_pnl),
                realized_pnl=dec(p.realized_pnl),
                identifier=(str(p.contract.identifier) if p.contract.sec_type in ("OPT", "FUT") and p.contract.identifier
                            else None),
                multiplier=dec(getattr(p.contract, "multiplier", None)),
            )
            for p in rows
        ]

    # -- orders -----------------------------------------------------------------------------------

    def orders(self, *, limit: int = 100, start: datetime | None = None, end: datetime | None = None) -> list[BrokerOrder]:
        """The account's orders, newest first; with `start`/`end`, only those Tiger entered from `start`
        (included) to `end` (excluded), by Tiger's own clock."""
        rows = self._call("orders", self._trade.get_orders, account=self.account_number, limit=limit,
                          start_time=_millis(start), end_time=_millis(end)) or []
        return [self._order(o) for o in rows]

    def open_orders(self) -> list[BrokerOrder]:
        rows = self._call("active_orders", self._trade.get_open_orders, account=self.account_number) or []
        return [self._order(o) for o in rows]

    def order(self, broker_id: str) -> BrokerOrder:
        row = self._call("orders", self._trade.get_order, account=self.account_number, id=int(broker_id))
        if row is None:
            raise BrokerRejected(REJECTED.format(api="get_order", account=self.account_number, message=f"no order {broker_id}"), code="unknown_order")
        return self._order(row)

    def _sdk_order(self, spec: OrderIntent, remark: str = ""):
        from tigeropen.common.util.contract_utils import future_contract, option_contract_by_symbol, stock_contract
        from tigeropen.trade.domain.order import Order

        if spec.is_combo:
            return _combo_order(self.account_number, spec, remark)
        if spec.is_option:
            # As the SDK's own option_contract builds it: expiry yyyyMMdd, strike a number, right CALL/PUT.
            contract = option_contract_by_symbol(spec.symbol, spec.expiry.strftime("%Y%m%d"), _float(spec.strike),
                                                 spec.right, spec.currency, multiplier=int(spec.units))
        elif spec.is_future:
            # As Tiger's own MCP server builds it: the contract's code (ES2612) and its currency.
            contract = future_contract(spec.symbol, spec.currency)
        else:
            contract = stock_contract(spec.symbol, spec.currency)
        order = Order(
            account=self.account_number,
            contract=contract,
            action=spec.side,
            order_type=spec.order_type,
            quantity=_scaled(spec.quantity)[0] if spec.quantity is not None else None,
            limit_price=float(spec.limit_price) if spec.limit_price is not None else None,
            aux_price=_float(spec.stop_price if spec.order_type != "TRAIL" else spec.trailing_amount),
            trailing_percent=_float(spec.trailing_percent),
            time_in_force=spec.time_in_force,
            outside_rth=spec.outside_rth,
            # An order by amount: Tiger's cash_amount (the SDK's market_order_by_amount).
            total_cash_amount=_float(spec.amount),
            # GTD: Tiger takes the expiry in epoch milliseconds.
            expire_time=int(spec.expire_time.timestamp() * 1000) if spec.expire_time is not None else None,
        )
        if spec.quantity is not None and _scaled(spec.quantity)[1]:
            order.quantity_scale = _scaled(spec.quantity)[1]  # 1.5 shares: 15, scale 1
        if remark:
            order.user_mark = remark  # our reference: Tiger echoes it back on the order
        if spec.is_bracket:
            order.order_legs = _order_legs(spec)
        if spec.trading_session_type:
            order.trading_session_type = spec.trading_session_type  # Tiger's OVERNIGHT session
        if spec.is_oca:  # the SDK's oca_order: every order of the group is one of its legs
            order.order_type, order.limit_price, order.aux_price = "OCA", None, None
            order.order_legs = _oca_legs(spec)
        return order

    def preview_order(self, spec: OrderIntent) -> Preview:
        data = self._call("preview_order", self._trade.preview_order, self._sdk_order(spec)) or {}
        get = data.get if isinstance(data, dict) else (lambda k, d=None: getattr(data, k, d))
        return Preview(
            is_pass=bool(get("is_pass", False)),
            init_margin=dec(get("init_margin")),
            maint_margin=dec(get("maint_margin")),
            equity_with_loan=dec(get("equity_with_loan")),
            min_commission=dec(get("min_commission")),
            max_commission=dec(get("max_commission")),
            commission_currency=get("commission_currency"),
            warning=scrub_text(str(get("warning_text") or "")),
            init_margin_before=dec(get("init_margin_before")),
            maint_margin_before=dec(get("maint_margin_before")),
            equity_with_loan_before=dec(get("equity_with_loan_before")),
            margin_currency=get("margin_currency"),
        )

    def place_order(self, spec: OrderIntent, *, remark: str = "") -> PlaceResult:
        order = self._sdk_order(spec, remark)
        broker_id = self._call("place_order", self._trade.place_order, order)
        return PlaceResult(broker_id=str(broker_id), order_id=order.order_id, legs=_placed_legs(spec, order))

    def modify_order(self, broker_id: str, spec: OrderIntent, *, remark: str = "") -> None:
        order = self._sdk_order(spec, remark)
        order.id = int(broker_id)
        order.order_legs = None  # a bracket's legs are orders of their own, changed by their own ids
        self._call(
            "modify_order", self._trade.modify_order, order,
            quantity=int(spec.quantity),
            limit_price=float(spec.limit_price) if spec.limit_price is not None else None,
            aux_price=_float(spec.stop_price if spec.order_type != "TRAIL" else spec.trailing_amount),
            trailing_percent=_float(spec.trailing_percent),
        )

    def tradable_quantity(self, spec: OrderIntent) -> TradableQuantity:
        """The most this account could trade of spec's symbol at its price (spec.quantity is ignored)."""
        item = self._call("estimate_tradable_quantity", self._trade.get_estimate_tradable_quantity,
                          self._sdk_order(spec), seg_type="SEC")
        get = (lambda k: getattr(item, k, None)) if item is not None else (lambda k: None)
        return TradableQuantity(
            symbol=spec.symbol, side=spec.side, currency=spec.currency, cash_quantity=dec(get("tradable_quantity")),
            margin_quantity=dec(get("financing_quantity")), position_quantity=dec(get("position_quantity")),
            salable_quantity=dec(get("tradable_position_quantity")),
        )

    def cancel_order(self, broker_id: str) -> None:
        self._call("cancel_order", self._trade.cancel_order, account=self.account_number, id=int(broker_id))

    def _order(self, o) -> BrokerOrder:
        # The SDK's OrderStatus enum values are Tiger's wire strings, which the project speaks.
        status = getattr(o.status, "value", o.status)
        return BrokerOrder(
            broker_id=str(o.id),
            order_id=o.order_id,
            account=o.account,
            symbol=o.contract.symbol if o.contract else "",
            side=o.action,
            order_type=o.order_type,
            quantity=_unscaled(o.quantity, getattr(o, "quantity_scale", None)),
            filled_quantity=_unscaled(o.filled, getattr(o, "filled_scale", None)),
            limit_price=dec(o.limit_price),
            # A trailing stop's aux_price is its trailing amount, not a stop price.
            stop_price=dec(o.aux_price) if o.order_type != "TRAIL" else None,
            trailing_amount=dec(o.aux_price) if o.order_type == "TRAIL" else None,
            trailing_percent=dec(getattr(o, "trailing_percent", None)),
            trail_stop_price=dec(getattr(o, "trail_stop_price", None)),
            expire_time=from_millis(getattr(o, "expire_time", None)),
            avg_fill_price=dec(o.avg_fill_price),
            time_in_force=o.time_in_force,
            outside_rth=bool(o.outside_rth),
            status=str(status),
            currency=o.contract.currency if o.contract else None,
            commission=dec(o.commission),
            realized_pnl=dec(o.realized_pnl),
            can_modify=o.can_modify,
            is_open=o.is_open,
            # The SDK puts Tiger's `remark` (a reject or expiry reason) on `reason`; ours is `user_mark`.
            remark=str(getattr(o, "reason", None) or getattr(o, "remark", None) or o.user_mark or ""),
            reference=str(o.user_mark or ""),
            open_time=from_millis(o.order_time),
            update_time=from_millis(o.update_time),
            parent_id=str(o.parent_id) if getattr(o, "parent_id", None) else None,
            amount=dec(getattr(o, "total_cash_amount", None)),
            **_option_fields(o.contract),
            **_combo_fields(o),
        )

    def fills(self, *, symbol: str | None = None, start: datetime | None = None, end: datetime | None = None,
              limit: int = 100) -> list[Fill]:
        """Executions, newest first (Tiger's order transactions; at most 100 per call)."""
        rows = self._call("order_transactions", self._trade.get_transactions, account=self.account_number,
                          symbol=symbol, start_time=_millis(start), end_time=_millis(end), limit=limit) or []
        fills = []
        for t in rows:
            c = t.contract
            symbol_ = getattr(c, "symbol", None) or ""
            quantity = _unscaled(t.filled_quantity, getattr(t, "filled_quantity_scale", None))
            price = dec(t.filled_price) or Decimal(0)
            fills.append(Fill(
                fill_id=str(t.id), broker_order_id=str(t.order_id), account=str(t.account or self.account_number),
                symbol=symbol_, sec_type=getattr(c, "sec_type", None) or "STK", market=getattr(c, "market", None),
                currency=getattr(c, "currency", None) or currency_for(symbol_), side=str(t.action),
                quantity=quantity, price=price,
                amount=dec(t.filled_amount) if dec(t.filled_amount) is not None else quantity * price,
                time=from_millis(getattr(t, "transaction_time", None)) or _tiger_local_time(t.transacted_at, symbol_),
            ))
        return fills

    def value_history(self, *, start: date, end: date, currency: str) -> ValueHistory:
        """Daily net value and P&L of the securities segment (Tiger's analytics_asset)."""
        data = self._call("analytics_asset", self._trade.get_analytics_asset, account=self.account_number,
                          start_date=start.isoformat(), end_date=end.isoformat(), seg_type="SEC",
                          currency=currency) or {}
        summary = data.get("summary") or {}
        days = [
            ValueDay(
                # Tiger dates each day at its midnight; the market's own date is what the row means.
                day=_tiger_day(row["date"]), net_value=dec(row.get("asset")), pnl=dec(row.get("pnl")),
                pnl_ratio=dec(row.get("pnl_percentage")), cash=dec(row.get("cash_balance")),
                position_value=dec(row.get("gross_position_value")), deposits=dec(row.get("deposit")),
                withdrawals=dec(row.get("withdrawal")),
            )
            for row in data.get("history") or []
        ]
        return ValueHistory(currency=currency, start=start, end=end, pnl=dec(summary.get("pnl")),
                            pnl_ratio=dec(summary.get("pnl_percentage")), days=sorted(days, key=lambda d: d.day))

    # -- market data ------------------------------------------------------------------------------

    def quotes(self, symbols: list[str]) -> list[Quote]:
        frame = self._call("quote_real_time", self._quote.get_stock_briefs, list(symbols))
        return [
            Quote(
                symbol=r["symbol"],
                latest_price=dec(r.get("latest_price")),
                bid=dec(r.get("bid_price")),
                ask=dec(r.get("ask_price")),
                bid_size=dec(r.get("bid_size")),
                ask_size=dec(r.get("ask_size")),
                open=dec(r.get("open")),
                high=dec(r.get("high")),
                low=dec(r.get("low")),
                pre_close=dec(r.get("pre_close")),
                volume=dec(r.get("volume")),
                latest_time=from_millis(r.get("latest_time")),
                status=r.get("status"),
                currency=currency_for(r["symbol"]),
            )
            for r in _records(frame)
        ]

    def bars(self, symbols: list[str], *, period: str = "day", limit: int = 100, begin_time=-1, end_time=-1,
             page_token: str | None = None) -> BarsPage:
        frame = self._call("kline", self._quote.get_bars, list(symbols), period=period, limit=limit,
                           begin_time=begin_time, end_time=end_time, page_token=page_token)
        bars: dict[str, list[Bar]] = {s: [] for s in symbols}
        next_token = None
        for r in _records(frame):
            bars.setdefault(r["symbol"], []).append(Bar(
                time=from_millis(r["time"]), open=dec(r["open"]), high=dec(r["high"]), low=dec(r["low"]),
                close=dec(r["close"]), volume=dec(r["volume"]), amount=dec(r.get("amount")),
            ))
            token = r.get("next_page_token")
            if isinstance(token, str) and token:
                next_token = token
        return BarsPage(bars=bars, next_page_token=next_token)

    def trade_ticks(self, symbols: list[str], *, limit: int = 100) -> dict[str, list[Tick]]:
        frame = self._call("trade_tick", self._quote.get_trade_ticks, list(symbols), limit=limit)
        ticks: dict[str, list[Tick]] = {s: [] for s in symbols}
        for r in _records(frame):
            ticks.setdefault(r["symbol"], []).append(Tick(
                time=from_millis(r["time"]), price=dec(r["price"]), volume=dec(r["volume"]),
                direction=r.get("direction") or r.get("type"),
            ))
        return ticks

    def contract(self, symbol: str, *, sec_type: str = "STK") -> Contract:
        c = self._call("contract", self._trade.get_contract, symbol, sec_type=sec_type, currency=currency_for(symbol))
        if c is None:
            raise BrokerRejected(REJECTED.format(api="contract", account=self.account_number, message=f"no contract for {symbol}"), code="unknown_symbol")
        return Contract(
            symbol=c.symbol, sec_type=c.sec_type, currency=c.currency, exchange=c.exchange,
            market=getattr(c, "market", None), name=c.name, multiplier=dec(c.multiplier),
            lot_size=dec(getattr(c, "lot_size", None)), shortable=getattr(c, "shortable", None),
            tradeable=getattr(c, "tradeable", None) if getattr(c, "tradeable", None) is not None else getattr(c, "trade", None),
            support_fractional_share=getattr(c, "support_fractional_share", None),
        )

    def option_expirations(self, symbol: str) -> list[date]:
        frame = self._call("option_expiration", self._quote.get_option_expirations, [symbol])
        return sorted({date.fromisoformat(str(r["date"])[:10]) for r in _records(frame)})

    def option_chain(self, symbol: str, expiry: date) -> list[OptionQuote]:
        frame = self._call("option_chain", self._quote.get_option_chain, symbol, expiry.isoformat())
        return [
            OptionQuote(
                identifier=str(r.get("identifier", "")).strip(), symbol=symbol, expiry=expiry,
                strike=dec(r["strike"]), put_call=str(r["put_call"]).upper(),
                bid=dec(r.get("bid_price")), ask=dec(r.get("ask_price")), latest_price=dec(r.get("latest_price")),
                volume=dec(r.get("volume")), open_interest=dec(r.get("open_interest")),
                multiplier=dec(r.get("multiplier")),
            )
            for r in _records(frame)
        ]

    def market_status(self, market: str = "US") -> list[MarketStatus]:
        rows = self._call("market_state", self._quote.get_market_status, market) or []
        return [MarketStatus(market=m.market, status=m.trading_status or m.status, open_time=str(m.open_time) if m.open_time else None) for m in rows]


def _option_fields(contract) -> dict:
    """An option's or future's contract as BrokerOrder carries it (nothing for a stock)."""
    sec_type = getattr(contract, "sec_type", None) if contract is not None else None
    if sec_type not in ("OPT", "FUT"):
        return {}
    return {"sec_type": sec_type, "identifier": str(contract.identifier or "") or None,
            "multiplier": dec(getattr(contract, "multiplier", None))}


def _combo_order(account: str, spec: OrderIntent, remark: str):
    """A combo as the SDK's combo_order builds it: its legs (contract_leg, the option's expiry yyyyMMdd),
    combo_type, the combo's side, quantity and net price (negative: a credit)."""
    from tigeropen.common.util.order_utils import combo_order, contract_leg

    legs = [contract_leg(symbol=spec.symbol, sec_type=leg.sec_type,
                         expiry=leg.expiry.strftime("%Y%m%d") if leg.expiry else None, strike=_float(leg.strike),
                         put_call=leg.right, action=leg.side, ratio=leg.ratio) for leg in spec.legs]
    order = combo_order(account, legs, spec.combo_type, spec.side, int(spec.quantity), order_type=spec.order_type,
                        limit_price=_float(spec.limit_price))
    order.time_in_force = spec.time_in_force
    if remark:
        order.user_mark = remark
    return order


def _combo_fields(o) -> dict:
    """A combo's type and legs as BrokerOrder carries them (nothing for other orders)."""
    if not getattr(o, "combo_type", None) or getattr(getattr(o, "contract", None), "sec_type", None) != "MLEG":
        return {}
    legs = []
    for leg in getattr(o, "contract_legs", None) or []:
        expiry = str(leg.expiry or "").replace("-", "")
        legs.append(BrokerLeg(sec_type=str(leg.sec_type or ""), side=str(leg.action or ""), ratio=int(leg.ratio or 1),
                              expiry=datetime.strptime(expiry, "%Y%m%d").date() if expiry else None,
                              strike=dec(leg.strike), right=leg.put_call or None, quantity=dec(leg.total_quantity),
                              filled_quantity=dec(leg.filled_quantity), avg_fill_price=dec(leg.avg_filled_price)))
    return {"sec_type": "MLEG", "combo_type": str(o.combo_type), "legs": tuple(legs),
            "multiplier": dec(getattr(o.contract, "multiplier", None))}


def _millis(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _tiger_local_time(text, symbol: str) -> datetime | None:
    """Tiger's "transactedAt" text is in the market's local time; used only without transactionTime."""
    if not text:
        return None
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Hong_Kong" if symbol.isdigit() else "America/New_York")
    local = datetime.strptime(str(text)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC"))


def _tiger_day(millis) -> date:
    """A history row's day: Tiger stamps it at the day's midnight in the market (New York or Hong
    Kong, hours before or after UTC midnight), so the nearest UTC midnight is that day."""
    return (from_millis(millis) + timedelta(hours=12)).date()


def _records(frame) -> list[dict]:
    if frame is None:
        return []
    if hasattr(frame, "to_dict"):
        return frame.to_dict("records")
    return list(frame)


def _transport_detail(exc) -> str:
    status = getattr(exc, "status", None)
    if status:
        return f"HTTP {status}"
    text = str(exc)
    for marker in ("timed out", "Connection refused", "NewConnectionError", "RemoteDisconnected", "Connection aborted"):
        if marker.lower() in text.lower():
            return marker.lower()
    return "transport error"


def _never_sent(exc) -> bool:
    """Only a refused connection proves the request never reached the gateway."""
    text = str(exc)
    return "Connection refused" in text or "NewConnectionError" in text


# ---------------------------------------------------------------------------------------------------
# Factory
# ---------------------------------------------------------------------------------------------------

_clients: dict[tuple, BrokerClient] = {}
_clients_lock = threading.Lock()


class LocalGateway(Protocol):
    """A gateway this machine serves itself (the embedded simulator), registered by start-up code."""

    def serves(self, account) -> bool: ...  # the account is bound to it
    def ensure(self) -> None: ...  # cheap: serve it here when no process does
    def take_over(self) -> bool: ...  # after a refused connection: True once it answers again


_local_gateway: LocalGateway | None = None


def local_gateway_register(gateway: LocalGateway | None) -> None:
    global _local_gateway
    _local_gateway = gateway


def _local_gateway_for(account) -> LocalGateway | None:
    gateway = _local_gateway
    return gateway if gateway is not None and gateway.serves(account) else None


def broker_for(account) -> BrokerClient:
    """The cached client for an account; rebuilt when the account (credentials, URL) changes."""
    key = (account.pk, account.updated_at)
    client = _clients.get(key)
    if client is not None:
        return client
    local = _local_gateway_for(account)
    if local is not None:  # only accounts bound to it need it up
        local.ensure()
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            for stale in [k for k in _clients if k[0] == account.pk]:
                del _clients[stale]
            client = _clients[key] = BrokerClient(account)
    return client


def broker_cache_clear() -> None:
    with _clients_lock:
        _clients.clear()


def _scaled(quantity: Decimal) -> tuple[int, int]:
    """A quantity as Tiger takes it: an integer and its scale (1.5 shares: 15, scale 1; 10: 10, 0)."""
    exponent = quantity.normalize().as_tuple().exponent
    scale = -exponent if exponent < 0 else 0
    return int(quantity.scaleb(scale)), scale


def _unscaled(quantity, scale) -> Decimal:
    """Tiger's integer quantity and its scale back to shares (773, scale 5: 0.00773)."""
    value = dec(quantity) or Decimal(0)
    return value.scaleb(-int(scale)) if scale else value


def _float(value: Decimal | None) -> float | None:
    # The SDK sends JSON numbers; str() first keeps 187.25 exactly 187.25.
    return None if value is None else float(str(value))


def _order_legs(spec: OrderIntent) -> list:
    """Tiger's attached orders (the SDK's order_leg): PROFIT at the take-profit price, LOSS at the
    stop-loss price; they live DAY or GTC (Tiger's choices for legs), as the entry does."""
    from tigeropen.common.util.order_utils import order_leg

    tif = "GTC" if spec.time_in_force == "GTC" else "DAY"
    legs = []
    if spec.take_profit_price is not None:
        legs.append(order_leg(LEG_PROFIT, float(spec.take_profit_price), time_in_force=tif))
    if spec.stop_loss_price is not None:
        legs.append(order_leg(LEG_LOSS, float(spec.stop_loss_price), time_in_force=tif))
    return legs


def _oca_legs(spec: OrderIntent) -> list:
    """Each order of an OCA group as the SDK's order_leg: its type, stop (price) and limit, quantity."""
    from tigeropen.common.util.order_utils import order_leg

    return [order_leg(o.order_type, _float(o.stop_price if o.order_type != "LMT" else o.limit_price),
                      time_in_force=spec.time_in_force, outside_rth=spec.outside_rth or None,
                      limit_price=_float(o.limit_price), quantity=int(o.quantity)) for o in spec.group()]


def _placed_legs(spec: OrderIntent, order) -> tuple[tuple[str, str], ...]:
    """(broker id, PROFIT|LOSS) of each attached order Tiger created: read from the orders it echoes
    (a limit is the take-profit, a stop the stop-loss), else its sub ids in the order the legs were sent."""
    sub_ids = [str(i) for i in (getattr(order, "sub_ids", None) or [])]
    if spec.is_oca:  # the group's other orders, in the order they were sent
        return tuple((broker_id, LEG_OCA) for broker_id in sub_ids)
    if not spec.is_bracket:
        return ()
    kinds = {}
    for item in getattr(order, "orders", None) or []:
        if isinstance(item, dict) and str(item.get("id")) in sub_ids:
            kinds[str(item["id"])] = LEG_PROFIT if item.get("orderType") == "LMT" else LEG_LOSS
    sent = [kind for kind, price in ((LEG_PROFIT, spec.take_profit_price), (LEG_LOSS, spec.stop_loss_price))
            if price is not None]
    return tuple((broker_id, kinds.get(broker_id, sent[i] if i < len(sent) else LEG_LOSS))
                 for i, broker_id in enumerate(sub_ids))

"""Gateway methods: biz_content in, ``data`` out, with the field names the SDK parses."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Callable

from . import protocol as p
from .exchange import (BASE_CURRENCY, CANCELLED, FILLED, INACTIVE, INVALID, MSG_OCA_EMPTY, MSG_OCA_SAME, Account,
                       Exchange, Fill, Order,
                       check_lot_and_tick, dec, fx_per_usd, is_future, multiplier_of, option_from_order, order_size,
                       to_base)
from .instruments import (UNIVERSE, OptionContract, contract_json, get_instrument, is_derivative, normalize_symbol,
                          option_root,
                          option_underlying, tradable)
from .market_calendar import CALENDARS, STATUS_TEXT, open_time_text
from .gateway_discovery import DiscoveryMethods
from .gateway_fundamentals import FundamentalMethods
from .futures import FUTURE_INITIAL_MARGIN, FUTURE_MAINTENANCE_MARGIN
from .gateway_futures import FutureMethods
from .gateway_history import HistoryMethods
from .gateway_options import OptionMethods
from .gateway_quotes import QuoteMethods
from .prices import Bar, _seed_int, aggregate

UTC = dt.timezone.utc
ZERO = Decimal("0")

INTRADAY_PERIODS = {"1min": 1, "3min": 3, "5min": 5, "10min": 10, "15min": 15, "30min": 30, "45min": 45,
                    "60min": 60, "2hour": 120, "3hour": 180, "4hour": 240}
DAILY_PERIODS = {"day", "week", "month", "year"}
MAX_BARS = 1200
TICK_SECONDS = 5
MAX_TRANSACTIONS = 100  # Tiger's page size for order_transactions
MAX_HISTORY_DAYS = 366
MSG_NO_QUOTE_PERMISSION = ("permission denied(Current user and device do not have permissions in the "
                           "market, please purchase the real-time quote)")
PERMISSIONS = [{"name": "usStockQuote", "expireAt": -1}, {"name": "usOptionQuote", "expireAt": -1},
               {"name": "hkStockQuoteLv2", "expireAt": -1}]


class Gateway(QuoteMethods, OptionMethods, HistoryMethods, DiscoveryMethods, FundamentalMethods, FutureMethods):
    """Dispatches one verified request to its handler. ``tiger_id`` scopes account access."""

    def __init__(self, exchange: Exchange):
        self.ex = exchange
        # Developer ids without a real-time quote permission (set by tests and demos, not persisted):
        # quote_real_time refuses them as Tiger does; quote_delay still answers.
        self.realtime_denied: set[str] = set()
        self.handlers: dict[str, Callable[[str, dict, object], object]] = {
            "user_license": self.user_license, "grab_quote_permission": self.quote_permission,
            "get_quote_permission": self.quote_permission,
            "accounts": self.accounts, "assets": self.assets, "prime_assets": self.prime_assets,
            "positions": self.positions, "orders": self.orders, "active_orders": self.active_orders,
            "filled_orders": self.filled_orders, "inactive_orders": self.inactive_orders,
            "order_no": self.order_no, "preview_order": self.preview_order, "place_order": self.place_order,
            "modify_order": self.modify_order, "cancel_order": self.cancel_order,
            "contract": self.contract, "contracts": self.contracts, "market_state": self.market_state,
            "quote_real_time": self.quote_real_time, "kline": self.kline, "trade_tick": self.trade_tick,
            "option_expiration": self.option_expiration, "option_chain": self.option_chain,
            "financial_exchange_rate": self.financial_exchange_rate, "all_symbols": self.all_symbols,
            "order_transactions": self.order_transactions, "analytics_asset": self.analytics_asset,
            "estimate_tradable_quantity": self.estimate_tradable_quantity,
            **self.quote_handlers(), **self.option_handlers(), **self.history_handlers(),
            **self.discovery_handlers(), **self.fundamental_handlers(), **self.future_handlers(),
        }

    def supports(self, method: str) -> bool:
        return method in self.handlers

    def handle(self, tiger_id: str, method: str, biz: dict, fault=None):
        # Under the exchange lock: a read must see one consistent state, never an account whose
        # positions the matcher is changing mid-iteration (requests run on many threads).
        with self.ex.lock:
            return self.handlers[method](tiger_id, biz, fault)

    # --- helpers --------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self.ex.clock.now()

    def _account(self, tiger_id: str, biz: dict) -> Account:
        return self.ex.account_for(tiger_id, biz.get("account"))

    def _symbols(self, biz: dict) -> list[str]:
        symbols = biz.get("symbols") or ([biz["symbol"]] if biz.get("symbol") else [])
        if not symbols:
            raise p.field_empty("symbols")
        out = []
        for symbol in symbols:
            inst = get_instrument(symbol)
            if inst is None:
                raise p.GatewayError(p.CODE_COMMON_PARAM, f"invalid symbols: {symbol}")
            out.append(inst.symbol)
        return out

    # --- session --------------------------------------------------------------------------

    def user_license(self, tiger_id, biz, fault):
        return {"license": self.ex.developers[tiger_id].license}

    def quote_permission(self, tiger_id, biz, fault):
        return PERMISSIONS

    # --- accounts -------------------------------------------------------------------------

    def accounts(self, tiger_id, biz, fault):
        dev = self.ex.developers[tiger_id]
        wanted = biz.get("account")
        items = []
        for number in dev.accounts:
            if wanted and number != wanted:
                continue
            acct = self.ex.accounts[number]
            items.append({"account": number, "capability": acct.capability, "status": "Funded",
                          "accountType": "PAPER" if acct.paper else "STANDARD"})
        return {"items": items}

    def assets(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        now = self._now()
        s = self.ex.summary(acct, now)
        now_ms = int(now.timestamp() * 1000)
        by_ccy = self.ex.position_value(acct, now)
        market_values = []
        for ccy in sorted(set(acct.cash) | set(by_ccy)):
            cash = acct.cash.get(ccy, ZERO)
            stock = by_ccy.get(ccy, ZERO)
            market_values.append({
                "currency": ccy, "netLiquidation": cash + stock, "cashBalance": cash, "stockMarketValue": stock,
                "optionMarketValue": ZERO, "warrantValue": ZERO, "futuresPnl": ZERO,
                "unrealizedPnL": self._unrealized(acct, ccy, now), "realizedPnL": acct.realized_pnl.get(ccy, ZERO),
                "exchangeRate": 1 / fx_per_usd(ccy), "netDividend": ZERO, "updateTime": now_ms})
        segment = {"category": "S", "accruedCash": ZERO, "accruedDividend": ZERO,
                   "availableFunds": s["excess_liquidity"], "cashValue": s["cash"],
                   "equityWithLoan": s["equity_with_loan"], "excessLiquidity": s["excess_liquidity"],
                   "grossPositionValue": s["gross_position_value"], "initMarginReq": s["init_margin"],
                   "maintMarginReq": s["maint_margin"], "leverage": self._leverage(s),
                   "netLiquidation": s["net_liquidation"], "regTEquity": s["equity_with_loan"],
                   "regTMargin": s["init_margin"], "sMA": s["excess_liquidity"], "updateTime": now_ms}
        item = {"account": acct.account, "capability": acct.capability, "currency": BASE_CURRENCY,
                "accruedCash": ZERO, "accruedDividend": ZERO, "availableFunds": s["excess_liquidity"],
                "buyingPower": s["buying_power"], "cashValue": s["cash"], "cushion": self._cushion(s),
                "dayTradesRemaining": -1, "equityWithLoan": s["equity_with_loan"],
                "excessLiquidity": s["excess_liquidity"], "grossPositionValue": s["gross_position_value"],
                "initMarginReq": s["init_margin"], "maintMarginReq": s["maint_margin"],
                "netLiquidation": s["net_liquidation"], "realizedPnL": s["realized_pnl"],
                "regTEquity": s["equity_with_loan"], "regTMargin": s["init_margin"], "sMA": s["excess_liquidity"],
                "unrealizedPnL": s["unrealized_pnl"], "updateTime": now_ms,
                "segments": [segment] if biz.get("segment") else [],
                "marketValues": market_values if biz.get("market_value") else []}
        return {"items": [item]}

    @staticmethod
    def _leverage(s) -> Decimal:
        return (s["gross_position_value"] / s["net_liquidation"]).quantize(Decimal("0.0001")) \
            if s["net_liquidation"] > 0 else ZERO

    @staticmethod
    def _cushion(s) -> Decimal:
        return (s["excess_liquidity"] / s["net_liquidation"]).quantize(Decimal("0.0001")) \
            if s["net_liquidation"] > 0 else ZERO

    def _unrealized(self, acct: Account, ccy: str, now) -> Decimal:
        total = ZERO
        for pos in acct.positions.values():
            inst = tradable(pos.symbol)
            if pos.quantity and inst.currency == ccy and inst.sec_type != "FUT":
                total += (self.ex.mark_price(pos.symbol, now) - pos.average_cost) * pos.quantity * multiplier_of(pos.symbol)
        return total

    def prime_assets(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        now = self._now()
        s = self.ex.summary(acct, now)
        base = (biz.get("base_currency") or BASE_CURRENCY).upper()
        rate = fx_per_usd(base)
        by_ccy = self.ex.position_value(acct, now)
        currency_assets = []
        for ccy in sorted(set(acct.cash) | set(by_ccy) | {"USD", "HKD", "CNH"}):
            cash = acct.cash.get(ccy, ZERO)
            currency_assets.append({
                "currency": ccy, "cashBalance": cash, "cashAvailableForTrade": cash,
                "grossPositionValue": abs(by_ccy.get(ccy, ZERO)), "stockMarketValue": by_ccy.get(ccy, ZERO),
                "futuresMarketValue": ZERO, "optionMarketValue": ZERO,
                "unrealizedPL": self._unrealized(acct, ccy, now), "realizedPL": acct.realized_pnl.get(ccy, ZERO),
                # USD per unit of the currency, as Tiger's forexRate (HKD ~ 0.128).
                "forexRate": (Decimal(1) / fx_per_usd(ccy)).quantize(Decimal("0.000001")),
            })
        in_base = {k: v * rate for k, v in s.items()}
        segment = {
            "capability": "RegTMargin" if acct.capability == "MGRN" else "Cash", "category": "S",
            "currency": base, "cashBalance": in_base["cash"], "cashAvailableForTrade": in_base["buying_power"]
            if acct.capability == "CASH" else in_base["excess_liquidity"],
            "grossPositionValue": in_base["gross_position_value"], "equityWithLoan": in_base["equity_with_loan"],
            "netLiquidation": in_base["net_liquidation"], "initMargin": in_base["init_margin"],
            "maintainMargin": in_base["maint_margin"], "overnightMargin": in_base["maint_margin"],
            "unrealizedPL": in_base["unrealized_pnl"], "unrealizedPLByCostOfCarry": in_base["unrealized_pnl"],
            "realizedPL": in_base["realized_pnl"], "totalTodayPL": ZERO,
            "excessLiquidation": in_base["excess_liquidity"], "overnightLiquidation": in_base["excess_liquidity"],
            "buyingPower": in_base["buying_power"], "lockedFunds": ZERO, "leverage": self._leverage(s),
            "uncollected": ZERO, "currencyAssets": currency_assets, "consolidatedSegTypes": ["SEC", "FUND"],
        }
        segments = [segment] + ([self._futures_segment(acct, base, now)] if acct.has_futures else [])
        return {"accountId": acct.account, "updateTimestamp": int(now.timestamp() * 1000), "segments": segments}

    def _futures_segment(self, acct: Account, base: str, now) -> dict:
        """The futures segment ("C") of an account with futures permission: its own cash, and the
        open P&L and margin of its futures positions."""
        rate = fx_per_usd(base)
        f = {k: (v * rate).quantize(Decimal("0.01")) for k, v in self.ex.futures_summary(acct, now).items()}
        futures_value: dict[str, Decimal] = {}
        for pos in acct.positions.values():
            inst = tradable(pos.symbol)
            if pos.quantity and inst.sec_type == "FUT":
                futures_value[inst.currency] = futures_value.get(inst.currency, ZERO) + \
                    pos.quantity * self.ex.mark_price(pos.symbol, now) * inst.multiplier
        currencies = sorted(set(acct.futures_cash) | set(futures_value)) or ["USD"]
        currency_assets = [{"currency": ccy, "cashBalance": acct.futures_cash.get(ccy, ZERO),
                            "cashAvailableForTrade": acct.futures_cash.get(ccy, ZERO),
                            "grossPositionValue": abs(futures_value.get(ccy, ZERO)), "stockMarketValue": ZERO,
                            "futuresMarketValue": futures_value.get(ccy, ZERO), "optionMarketValue": ZERO,
                            "unrealizedPL": self._unrealized_futures(acct, ccy, now), "realizedPL": ZERO,
                            "forexRate": (Decimal(1) / fx_per_usd(ccy)).quantize(Decimal("0.000001"))}
                           for ccy in currencies]
        return {"capability": "RegTMargin", "category": "C", "currency": base, "cashBalance": f["cash"],
                "cashAvailableForTrade": max(ZERO, f["available"]), "grossPositionValue": f["gross_position_value"],
                "equityWithLoan": f["net_liquidation"], "netLiquidation": f["net_liquidation"],
                "initMargin": f["init_margin"], "maintainMargin": f["maint_margin"],
                "overnightMargin": f["maint_margin"], "unrealizedPL": f["unrealized_pnl"],
                "unrealizedPLByCostOfCarry": f["unrealized_pnl"], "realizedPL": f["realized_pnl"], "totalTodayPL": ZERO,
                "excessLiquidation": f["excess_liquidity"], "overnightLiquidation": f["excess_liquidity"],
                "buyingPower": max(ZERO, f["available"]), "lockedFunds": ZERO,
                "leverage": (f["gross_position_value"] / f["net_liquidation"]).quantize(Decimal("0.0001"))
                if f["net_liquidation"] > 0 else ZERO, "uncollected": ZERO, "currencyAssets": currency_assets,
                "consolidatedSegTypes": ["FUT"]}

    def _unrealized_futures(self, acct: Account, ccy: str, now) -> Decimal:
        return sum(((self.ex.mark_price(pos.symbol, now) - pos.average_cost) * pos.quantity * multiplier_of(pos.symbol)
                    for pos in acct.positions.values()
                    if pos.quantity and is_future(pos.symbol) and tradable(pos.symbol).currency == ccy), ZERO)

    def positions(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        now = self._now()
        sec_type = (biz.get("sec_type") or "STK").upper()
        market = (biz.get("market") or "ALL").upper()
        currency = (biz.get("currency") or "ALL").upper()
        symbol = normalize_symbol(biz["symbol"]) if biz.get("symbol") else None
        items = []
        for pos in sorted(acct.positions.values(), key=lambda x: x.symbol):
            inst = tradable(pos.symbol)
            if pos.quantity == 0 or sec_type not in (inst.sec_type, "ALL"):
                continue
            if (market != "ALL" and inst.market != market) or (currency != "ALL" and inst.currency != currency):
                continue
            option = inst.json() if is_derivative(inst) else {}
            if symbol and symbol not in (inst.symbol, option.get("symbol")):
                continue
            quote = self.ex.quote(pos.symbol, now)
            mark = quote.latest
            mult = multiplier_of(pos.symbol)
            value = pos.quantity * mark * mult
            unrealized = (mark - pos.average_cost) * pos.quantity * mult
            cost_basis = abs(pos.average_cost * pos.quantity * mult)
            salable = self.ex._salable(acct, pos.symbol) if pos.quantity > 0 else ZERO
            pct = (unrealized / cost_basis).quantize(Decimal("0.0001")) if cost_basis else ZERO
            today = (mark - quote.pre_close) * pos.quantity * mult
            items.append({
                "account": acct.account, "symbol": inst.symbol, "secType": "STK", "market": inst.market,
                "currency": inst.currency, "contractId": inst.contract_id, "identifier": inst.symbol,
                "name": inst.name, "multiplier": 1.0, **scaled(pos.quantity, "position", "positionScale"),
                "positionQty": pos.quantity, "salableQty": salable, "averageCost": pos.average_cost,
                "averageCostByAverage": pos.average_cost, "averageCostOfCarry": pos.average_cost,
                "latestPrice": mark, "marketValue": value, "realizedPnl": pos.realized_pnl,
                "realizedPnlByAverage": pos.realized_pnl, "unrealizedPnl": unrealized,
                "unrealizedPnlByAverage": unrealized, "unrealizedPnlByCostOfCarry": unrealized,
                "unrealizedPnlPercent": pct, "unrealizedPnlPercentByAverage": pct,
                "unrealizedPnlPercentByCostOfCarry": pct, "status": 0, "updateTimestamp": int(now.timestamp() * 1000),
                "comboTypes": [], "comboTypeMap": {}, "mmPercent": ZERO,
                "mmValue": abs(value) * Decimal("0.25"), "todayPnl": today,
                "todayPnlPercent": (today / abs(quote.pre_close * pos.quantity * mult)).quantize(Decimal("0.0001")),
                "categories": [], "lastClosePrice": quote.pre_close,
                **option,
            })
        return {"items": items}

    # --- orders ---------------------------------------------------------------------------

    def order_json(self, order: Order) -> dict:
        if order.legs:
            return self.combo_json(order)
        inst = tradable(order.symbol)
        latest = self.ex.quote(order.symbol).latest
        option = inst.json() if is_derivative(inst) else {}
        return {
            "symbol": order.symbol, "market": order.market, "secType": "STK", "currency": order.currency,
            "identifier": order.symbol, "id": order.id, "externalId": str(order.order_id), "orderId": order.order_id,
            "account": order.account, "action": order.action, "orderType": order.order_type,
            "limitPrice": order.limit_price, "auxPrice": order.aux_price,
            **scaled(order.quantity, "totalQuantity", "totalQuantityScale"),
            **({"totalCashAmount": order.cash_amount} if order.cash_amount is not None else {}),
            **({"trailingPercent": order.trailing_percent, "trailStopPrice": order.trail_stop}
               if order.order_type == "TRAIL" else {}),
            **({"expireTime": order.expire_time} if order.time_in_force == "GTD" else {}),
            **scaled(order.filled, "filledQuantity", "filledQuantityScale"),
            "filledCashAmount": order.filled_value, "avgFillPrice": order.avg_fill_price,
            "timeInForce": order.time_in_force, "outsideRth": order.outside_rth, "commission": order.commission,
            "gst": ZERO, "realizedPnl": order.realized_pnl,
            # remark carries Tiger's own reason text when there is one, else the user's text.
            "remark": order.reason or order.user_mark, "userMark": order.user_mark,
            "liquidation": False, "openTime": order.open_time, "updateTime": order.update_time,
            "latestTime": order.latest_time, "name": inst.name, "latestPrice": latest, "attrDesc": "",
            "attrList": [], "algoStrategy": order.order_type, "status": order.wire_status, "source": "OpenApi",
            "discount": 0, "replaceStatus": "NONE", **option,
            "cancelStatus": "RECEIVED" if order.status in ("PendingCancel", CANCELLED) else "NONE",
            "canModify": order.can_modify, "canCancel": order.can_cancel, "isOpen": order.opens_position,
            # An attached leg names its entry (the SDK reads parentId); OCA siblings share a group.
            **({"parentId": order.parent_id} if order.parent_id is not None else {}),
            **({"ocaGroupId": order.oca_group} if order.oca_group is not None else {}),
            "orderDiscount": 0,
            "tradingSessionType": order.trading_session_type or ("PRE_RTH_POST" if order.outside_rth else "RTH"),
        }

    def combo_json(self, order: Order) -> dict:
        """A combo as Tiger lists it: sec_type MLEG on the underlying, its comboType and its legs,
        each with what it filled (the SDK reads them as Order.contract_legs)."""
        out = self.order_json(replace(order, legs=[]))
        out.update(secType="MLEG", comboType=order.combo_type, comboTypeDesc=self.ex.combo_description(order),
                   multiplier=float(order.combo_multiplier), canModify=False, legs=[])
        for leg in order.legs:
            inst = tradable(leg["symbol"])
            filled = Decimal(leg.get("filled", "0"))
            row = {"symbol": getattr(inst, "underlying", inst.symbol), "secType": inst.sec_type,
                   "action": leg["action"], "ratio": leg["ratio"], "market": inst.market, "currency": inst.currency,
                   "multiplier": multiplier_of(leg["symbol"]), "totalQuantity": order.quantity * leg["ratio"],
                   "filledQuantity": filled,
                   "avgFilledPrice": Decimal(leg["filled_value"]) / filled if filled else ZERO,
                   "createdAt": order.open_time, "updatedAt": order.update_time}
            if isinstance(inst, OptionContract):
                row.update(expiry=inst.expiry.strftime("%Y%m%d"), strike=str(inst.strike.normalize()),
                           right=inst.right, identifier=inst.symbol)
            out["legs"].append(row)
        return out

    def _filter_orders(self, acct: Account, biz: dict, keep: Callable[[Order], bool]) -> list[Order]:
        symbol = normalize_symbol(biz["symbol"]) if biz.get("symbol") else None
        market = (biz.get("market") or "ALL").upper()
        sec_type = (biz.get("sec_type") or "ALL").upper()
        states = set(biz.get("states") or [])
        start, end = biz.get("start_date"), biz.get("end_date")
        out = []
        for order in acct.orders.values():
            if not keep(order):
                continue
            if symbol and order.symbol != symbol:
                continue
            if market != "ALL" and order.market != market:
                continue
            if sec_type not in ("ALL", "MLEG" if order.legs else "STK"):
                continue
            if states and order.wire_status not in states and order.status not in states:
                continue
            if isinstance(start, int) and start > 0 and order.open_time < start:
                continue
            if isinstance(end, int) and end > 0 and order.open_time >= end:
                continue
            out.append(order)
        out.sort(key=lambda o: (o.open_time, o.id), reverse=True)
        return out

    def orders(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        if biz.get("id") or biz.get("order_id"):
            order = self.ex.find_order(acct, biz.get("id"), biz.get("order_id"))
            # The SDK's get_order returns None for an empty object: how "no such order" reaches callers.
            return self.order_json(order) if order else {}
        found = self._filter_orders(acct, biz, lambda o: True)
        limit = int(biz.get("limit") or 100)
        return {"items": [self.order_json(o) for o in found[:limit]], "nextPageToken": None}

    def active_orders(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        return {"items": [self.order_json(o) for o in self._filter_orders(acct, biz, lambda o: o.is_open)]}

    def inactive_orders(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        done = {CANCELLED, INACTIVE, INVALID}
        return {"items": [self.order_json(o) for o in self._filter_orders(acct, biz, lambda o: o.status in done)]}

    def filled_orders(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        found = self._filter_orders(acct, biz, lambda o: o.status == FILLED or (not o.is_open and o.filled > 0))
        return {"items": [self.order_json(o) for o in found]}

    def order_transactions(self, tiger_id, biz, fault):
        """The account's fills (one item per execution), newest first, from the orders' own fills, so
        they always agree with positions, cash and the orders' filled quantities."""
        acct = self._account(tiger_id, biz)
        symbol = normalize_symbol(biz["symbol"]) if biz.get("symbol") else None
        order_id = biz.get("order_id")
        sec_type = (biz.get("sec_type") or "ALL").upper()
        start, end = _ms(biz.get("start_date")), _ms(biz.get("end_date"))
        limit = int(biz.get("limit") or 100)
        if not 1 <= limit <= MAX_TRANSACTIONS:
            raise p.biz_error(f"limit must be between 1 and {MAX_TRANSACTIONS}")
        rows = []
        for order in acct.orders.values():
            inst = tradable(order.symbol)
            if (symbol and symbol not in (order.symbol, getattr(inst, "underlying", None))) \
                    or sec_type not in ("ALL", inst.sec_type):
                continue
            if order_id and int(order_id) != order.id:
                continue
            if order.legs:  # a combo's executions are its legs'
                rows.extend(self._combo_transactions(order, symbol, sec_type, start, end))
                continue
            for index, fill in enumerate(order.fills):
                if (start and fill.time_ms < start) or (end and fill.time_ms >= end):
                    continue
                rows.append((order, index, fill))
        rows.sort(key=lambda r: (r[2].time_ms, r[0]["orderId"] if isinstance(r[0], dict) else r[0].id, r[1]), reverse=True)
        items = []
        for order, index, fill in rows[:limit]:
            if isinstance(order, dict):  # a combo leg's execution, already an item
                items.append(order)
                continue
            local = CALENDARS[order.market].local(dt.datetime.fromtimestamp(fill.time_ms / 1000, UTC))
            items.append({
                # Tiger's execution ids are unique per account; ours derive from the order's, stably.
                "id": order.id * 100 + index + 1, "accountId": acct.account, "orderId": order.id,
                "secType": "STK", "symbol": order.symbol, "currency": order.currency, "market": order.market,
                "action": order.action, **scaled(fill.quantity, "filledQuantity", "filledQuantityScale"),
                "filledPrice": fill.price, "filledAmount": fill.quantity * fill.price * multiplier_of(order.symbol),
                "transactedAt": local.strftime("%Y-%m-%d %H:%M:%S"), "transactionTime": fill.time_ms,
                **(tradable(order.symbol).json() if multiplier_of(order.symbol) > 1 else {}),
            })
        return {"items": items, "nextPageToken": None}

    def _combo_transactions(self, order: Order, symbol, sec_type: str, start, end) -> list[tuple]:
        """(item, sort index, fill) for each execution of each leg of a combo, filtered as the others."""
        rows = []
        for number, leg in enumerate(order.legs):
            inst = tradable(leg["symbol"])
            if (symbol and symbol not in (inst.symbol, getattr(inst, "underlying", None))) \
                    or sec_type not in ("ALL", inst.sec_type):
                continue
            side = "BUY" if (leg["action"] == "BUY") == (order.action == "BUY") else "SELL"
            for index, (time_ms, qty, price) in enumerate(leg["fills"]):
                if (start and time_ms < start) or (end and time_ms >= end):
                    continue
                qty, price = Decimal(qty), Decimal(price)
                local = CALENDARS[order.market].local(dt.datetime.fromtimestamp(time_ms / 1000, UTC))
                item = {
                    "id": order.id * 100 + 50 + number * 10 + index, "accountId": order.account, "orderId": order.id,
                    "secType": "STK", "symbol": inst.symbol, "currency": order.currency, "market": order.market,
                    "action": side, **scaled(qty, "filledQuantity", "filledQuantityScale"), "filledPrice": price,
                    "filledAmount": qty * price * multiplier_of(leg["symbol"]),
                    "transactedAt": local.strftime("%Y-%m-%d %H:%M:%S"), "transactionTime": time_ms,
                    **(inst.json() if multiplier_of(leg["symbol"]) > 1 else {}),
                }
                rows.append((item, number * 100 + index, Fill(time_ms, qty, price, ZERO)))
        return rows

    def analytics_asset(self, tiger_id, biz, fault):
        """Daily net value and P&L, replayed from the account's own fills and the price model: each
        day is valued at its closes (today at the current marks, so the last day is today's net
        liquidation). Opening cash is today's cash with every fill undone; deposits are not dated
        here, so they count as opening cash."""
        acct = self._account(tiger_id, biz)
        now = self._now()
        cal = CALENDARS["US"]
        today = cal.local(now).date()
        end = _day(biz.get("end_date"), "end_date") or today
        start = _day(biz.get("start_date"), "start_date") or end - dt.timedelta(days=30)
        if start > end:
            raise p.biz_error("start_date must not be after end_date")
        if (end - start).days > MAX_HISTORY_DAYS:
            raise p.biz_error(f"the date range may span at most {MAX_HISTORY_DAYS} days")
        end = min(end, today)  # a range after today has no rows yet
        currency = (biz.get("currency") or BASE_CURRENCY).upper()
        rate = fx_per_usd(currency)
        events = []  # (time_ms, symbol, currency, signed quantity, cash change)
        opening_cash = dict(acct.cash)
        for order in acct.orders.values():
            if is_future(order.symbol):  # the futures segment's, not the securities account's
                continue
            for fill in order.fills:
                buy = order.action == "BUY"
                amount = fill.quantity * fill.price * multiplier_of(order.symbol)
                cash = (-amount if buy else amount) - fill.commission
                events.append((fill.time_ms, order.symbol, order.currency, fill.quantity if buy else -fill.quantity, cash))
                opening_cash[order.currency] = opening_cash.get(order.currency, ZERO) - cash
        events.sort(key=lambda e: e[0])

        def value_at(day: dt.date) -> tuple[Decimal, Decimal]:
            """(cash, position value) in USD at the end of ``day`` (now, for today)."""
            cutoff = now if day >= today else min(now, cal.at(day, dt.time(23, 59, 59)))
            cutoff_ms = int(cutoff.timestamp() * 1000)
            cash, held = dict(opening_cash), {}
            for time_ms, symbol, ccy, quantity, change in events:
                if time_ms > cutoff_ms:
                    break
                cash[ccy] = cash.get(ccy, ZERO) + change
                held[symbol] = held.get(symbol, ZERO) + quantity
            positions = ZERO
            for symbol, quantity in held.items():
                if not quantity:
                    continue
                inst = tradable(symbol)
                if day >= today or isinstance(inst, OptionContract):  # options: valued at today's mark
                    price = self.ex.mark_price(symbol, now)
                else:
                    price = self.ex.prices.close_price(inst, CALENDARS[inst.market].trading_day_on_or_before(day))
                positions += to_base(quantity * price * multiplier_of(symbol), inst.currency)
            return sum((to_base(v, c) for c, v in cash.items()), ZERO), positions

        cash, positions = value_at(cal.previous_trading_day(start))
        previous = _cents((cash + positions) * rate)
        opening = previous
        history = []
        day = cal.trading_day_on_or_before(start)
        if day < start:
            day = cal.next_trading_day(day)
        while day <= end:
            cash, positions = value_at(day)
            asset = _cents((cash + positions) * rate)
            pnl = asset - previous
            history.append({"date": _midnight_ms(cal, day), "asset": asset, "pnl": pnl,
                            "pnlPercentage": (pnl / previous).quantize(Decimal("0.000001")) if previous else ZERO,
                            "cashBalance": _cents(cash * rate), "grossPositionValue": _cents(abs(positions) * rate),
                            "deposit": ZERO, "withdrawal": ZERO})
            previous = asset
            day = cal.next_trading_day(day)
        total = previous - opening
        return {"summary": {"pnl": total,
                            "pnlPercentage": (total / opening).quantize(Decimal("0.000001")) if opening else ZERO,
                            "annualizedReturn": ZERO, "overUserPercentage": ZERO},
                "history": history}

    def estimate_tradable_quantity(self, tiger_id, biz, fault):
        """The largest order this account could place now, found with the same check place_order
        runs (so the answer is exactly what would be accepted). financingQuantity may use margin
        (and, selling, go short); tradableQuantity uses only cash (buying) or the salable position."""
        acct = self._account(tiger_id, biz)
        inst = get_instrument(biz.get("symbol") or "")
        if inst is None or (biz.get("sec_type") or "STK").upper() != "STK":
            raise p.GatewayError(acct.trade_error_code, "the contract is not supported")
        action = (biz.get("action") or "").upper()
        if action not in ("BUY", "SELL"):
            raise p.biz_error("action must be BUY or SELL")
        order_type = (biz.get("order_type") or "").upper()
        limit_price, stop_price = dec(biz.get("limit_price"), "limit_price"), dec(biz.get("stop_price"), "stop_price")
        if order_type in ("LMT", "STP_LMT") and limit_price is None:
            raise p.field_empty("limit_price")
        if order_type in ("STP", "STP_LMT") and stop_price is None:
            raise p.field_empty("stop_price")
        if order_type not in ("MKT", "LMT", "STP", "STP_LMT"):
            raise p.biz_error(f"order_type {order_type or 'empty'} is not supported")
        now = self._now()
        quote = self.ex.quote(inst.symbol, now)
        lot = Decimal(inst.lot_size)

        def fits(quantity: Decimal) -> bool:
            try:
                self.ex._check_order(acct, inst, action, order_type, quantity, limit_price, stop_price, quote, now,
                                     exclude=None)
            except p.GatewayError:
                return False
            return True

        lots = 0  # largest number of lots known to fit; grow, then bisect
        step = 1
        while step <= 10 ** 9 and fits(lot * (lots + step)):
            lots += step
            step *= 2
        while step > 1:
            step //= 2
            if fits(lot * (lots + step)):
                lots += step
        most = lot * lots
        held = acct.positions.get(inst.symbol)
        salable = self.ex._salable(acct, inst.symbol)
        if action == "SELL":
            tradable = min(salable, most)
        elif acct.capability == "CASH":
            tradable = most
        else:
            price = self.ex._estimate_price(order_type, action, limit_price, stop_price, quote)
            cash_local = self.ex.summary(acct, now)["cash"] * fx_per_usd(inst.currency)
            tradable = min(most, (max(ZERO, cash_local) / price // lot) * lot) if price > 0 else ZERO
        return {"tradableQuantity": tradable, "financingQuantity": most,
                "positionQuantity": held.quantity if held else ZERO, "tradablePositionQuantity": salable}

    def order_no(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        return {"orderId": self.ex.allocate_order_id(acct)}

    def preview_order(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        if biz.get("oca_orders") is not None:
            return self._preview_oca(tiger_id, acct, biz, fault)
        from .commission import order_commission
        now = self._now()
        if biz.get("contract_legs") is not None or (biz.get("sec_type") or "").upper() == "MLEG":
            return self._preview_combo(acct, biz, now)
        if (biz.get("sec_type") or "STK").upper() == "OPT":
            inst = self.ex.listed_option(acct.trade_error_code, option_from_order(acct.trade_error_code, biz), now)
        elif (biz.get("sec_type") or "STK").upper() == "FUT":
            inst = self.ex.listed_future(acct.trade_error_code, biz, now)
        else:
            inst = get_instrument(biz.get("symbol") or "")
        if inst is None:
            raise p.GatewayError(acct.trade_error_code, "bad_request:We don't support trading of this stock now")
        future = inst.sec_type == "FUT"  # figures of the futures segment, whose margin it holds
        before = self.ex.futures_summary(acct, now) if future else self.ex.summary(acct, now)
        before.setdefault("equity_with_loan", before["net_liquidation"])
        action = (biz.get("action") or "BUY").upper()
        order_type = (biz.get("order_type") or "MKT").upper()
        quote = self.ex.quote(inst.symbol, now)
        price = self.ex._estimate_price(order_type, action, dec(biz.get("limit_price")), dec(biz.get("aux_price")),
                                        quote) or quote.latest
        try:
            quantity, _, fractional = order_size(acct.trade_error_code, inst, biz, order_type,
                                                 (biz.get("time_in_force") or "DAY").upper(),
                                                 bool(biz.get("outside_rth")), price)
        except p.GatewayError as exc:
            if exc.code == p.CODE_BIZ_PARAM:
                raise
            quantity, fractional, refused = ZERO, True, exc.message
        else:
            refused = ""
        value = quantity * price * multiplier_of(inst.symbol)
        commission = order_commission(inst.market, quantity, value, inst.sec_type)
        if future:  # margin on what the order opens, either side
            opening = to_base(self.ex._future_opening(acct, inst.symbol, action, quantity) * price
                              * inst.multiplier, inst.currency)
            init_change, maint_change = opening * FUTURE_INITIAL_MARGIN, opening * FUTURE_MAINTENANCE_MARGIN
        else:  # the position's margin after the order less before: a short sale adds its short margin
            held = acct.positions[inst.symbol].quantity if inst.symbol in acct.positions else ZERO
            after = held + quantity if action == "BUY" else held - quantity
            init_before, maint_before = self.ex.position_margin(acct, inst, held, price, now)
            init_after, maint_after = self.ex.position_margin(acct, inst, after, price, now)
            init_change, maint_change = init_after - init_before, maint_after - maint_before
        data = {
            "account": acct.account, "initMarginBefore": before["init_margin"],
            "initMargin": max(ZERO, before["init_margin"] + init_change),
            "maintMarginBefore": before["maint_margin"],
            "maintMargin": max(ZERO, before["maint_margin"] + maint_change),
            "marginCurrency": BASE_CURRENCY, "equityWithLoanBefore": before["equity_with_loan"],
            "equityWithLoan": before["equity_with_loan"] - to_base(commission, inst.currency),
            "minCommission": commission, "maxCommission": commission, "commissionCurrency": inst.currency,
            "gst": ZERO, "isPass": True, "warningText": "",
        }
        try:
            if refused:
                raise p.GatewayError(acct.trade_error_code, refused)
            check_lot_and_tick(acct.trade_error_code, inst, ZERO if fractional else quantity,
                               (dec(biz.get("limit_price")), dec(biz.get("aux_price"))))
            self.ex._check_order(acct, inst, action, order_type, quantity, dec(biz.get("limit_price")),
                                 dec(biz.get("aux_price")), quote, now, exclude=None)
        except p.GatewayError as exc:
            data["isPass"] = False
            data["warningText"] = exc.message
        return data

    def _preview_combo(self, acct: Account, biz: dict, now) -> dict:
        """A combo's preview: the margin it would hold (what it can lose) and its legs' commission."""
        before = self.ex.summary(acct, now)
        data = {"account": acct.account, "initMarginBefore": before["init_margin"],
                "maintMarginBefore": before["maint_margin"], "marginCurrency": BASE_CURRENCY,
                "equityWithLoanBefore": before["equity_with_loan"], "gst": ZERO, "isPass": True, "warningText": ""}
        try:
            order, holds, commission = self.ex.preview_combo(acct, biz)
        except p.GatewayError as exc:
            if exc.code == p.CODE_BIZ_PARAM:
                raise
            data.update(isPass=False, warningText=exc.message, initMargin=before["init_margin"],
                        maintMargin=before["maint_margin"], equityWithLoan=before["equity_with_loan"])
            return data
        held = to_base(holds, order.currency)
        data.update(initMargin=before["init_margin"] + held, maintMargin=before["maint_margin"] + held,
                    equityWithLoan=before["equity_with_loan"] - to_base(commission, order.currency),
                    minCommission=commission, maxCommission=commission, commissionCurrency=order.currency)
        return data

    def _preview_oca(self, tiger_id, acct, biz, fault):
        """An OCA order's preview: each of its orders previewed alone (the group holds margin once, as
        its largest, since one filling cancels the rest); the first refusal is the group's."""
        items = biz.get("oca_orders")
        if not isinstance(items, list) or len(items) < 2:
            raise p.GatewayError(acct.trade_error_code, MSG_OCA_EMPTY)
        if len({((i.get("symbol") or "").upper(), (i.get("action") or "").upper()) for i in items}) != 1:
            raise p.GatewayError(acct.trade_error_code, MSG_OCA_SAME)
        top = {k: v for k, v in biz.items() if k not in ("oca_orders", "order_type", "action", "total_quantity")}
        previews = [self.preview_order(tiger_id, {**top, **item}, fault) for item in items]
        refused = next((one for one in previews if not one["isPass"]), None)
        return refused or max(previews, key=lambda one: one["initMargin"])

    def place_order(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        if biz.get("oca_orders") is not None:  # an OCA order: every leg works at once
            orders = self.ex.place_oca(acct, biz, fault)
            accepted = orders
        elif biz.get("contract_legs") is not None or (biz.get("sec_type") or "").upper() == "MLEG":
            orders = accepted = [self.ex.place_combo(acct, biz, fault)]  # a combo: one order, its legs fill together
        elif biz.get("attach_type"):  # an entry with attached PROFIT/LOSS legs, held until it fills
            orders = self.ex.place_bracket(acct, biz, fault)
            accepted = orders[:1]
        else:
            orders = accepted = [self.ex.place(acct, biz, fault)]
        snapshots = [self.order_json(o) for o in orders]  # as placed: status Initial, like Tiger's reply
        for order in accepted:
            self.ex.accept(order, fault)
        self.ex.match()
        first = orders[0]
        return {"id": first.id, "subIds": [o.id for o in orders[1:]], "order_id": first.order_id,
                "orders": snapshots}

    def modify_order(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        order = self.ex.modify(acct, biz)
        self.ex.match()
        return {"id": order.id}

    def cancel_order(self, tiger_id, biz, fault):
        acct = self._account(tiger_id, biz)
        if not biz.get("id") and not biz.get("order_id"):
            raise p.field_empty("id")
        order = self.ex.cancel(acct, biz.get("id"), biz.get("order_id"))
        return {"id": order.id}

    # --- contracts and market data --------------------------------------------------------

    def contract(self, tiger_id, biz, fault):
        symbol = biz.get("symbol")
        if not symbol:
            raise p.field_empty("symbol")
        inst = get_instrument(symbol)
        if inst is None or (biz.get("sec_type") or "STK").upper() != "STK":
            return []
        return [contract_json(inst)]

    def contracts(self, tiger_id, biz, fault):
        symbols = biz.get("symbols") or []
        if not symbols:
            raise p.field_empty("symbols")
        if (biz.get("sec_type") or "STK").upper() != "STK":
            return {"items": []}
        return {"items": [contract_json(get_instrument(s)) for s in symbols if get_instrument(s)]}

    def market_state(self, tiger_id, biz, fault):
        market = (biz.get("market") or "ALL").upper()
        now = self._now()
        out = []
        for name in ("US", "HK", "CN"):
            if market not in ("ALL", name):
                continue
            cal = CALENDARS[name]
            phase = "TRADING" if self.ex.always_open else cal.phase(now)
            out.append({"market": name, "marketStatus": STATUS_TEXT[phase], "status": phase,
                        "openTime": open_time_text(cal, now)})
        return out

    def quote_real_time(self, tiger_id, biz, fault):
        if tiger_id in self.realtime_denied:
            raise p.GatewayError(p.CODE_ACCESS_FORBIDDEN, MSG_NO_QUOTE_PERMISSION)
        now = self._now()
        out = []
        for symbol in self._symbols(biz):
            q = self.ex.quote(symbol, now)
            item = {"symbol": symbol, "open": q.open, "high": q.high, "low": q.low, "close": q.regular_latest,
                    "preClose": q.pre_close, "latestPrice": q.regular_latest,
                    "latestTime": int(now.timestamp() * 1000), "askPrice": q.ask, "askSize": q.ask_size,
                    "bidPrice": q.bid, "bidSize": q.bid_size, "volume": q.volume, "status": "NORMAL",
                    "adjPreClose": q.pre_close}
            cal = CALENDARS[get_instrument(symbol).market]
            if biz.get("include_hour_trading") and cal.is_extended(now):
                tag = "Pre-Mkt" if q.phase == "PRE_HOUR_TRADING" else "Post-Mkt"
                local = cal.local(now)
                item["hourTrading"] = {"tag": tag, "latestPrice": q.latest, "preClose": q.regular_latest,
                                       "latestTime": local.strftime("%H:%M ") + local.tzname(),
                                       "volume": 0, "timestamp": int(now.timestamp() * 1000)}
            out.append(item)
        return out

    def kline(self, tiger_id, biz, fault):
        period = (biz.get("period") or "day").lower()
        if period not in INTRADAY_PERIODS and period not in DAILY_PERIODS:
            raise p.biz_error(f"period {period} is not supported")
        limit = min(int(biz.get("limit") or 251), MAX_BARS)
        now = self._now()
        begin, end = _ms(biz.get("begin_time")), _ms(biz.get("end_time"))
        until = min(now, dt.datetime.fromtimestamp(end / 1000, UTC)) if end else now
        out = []
        for symbol in self._symbols(biz):
            inst = get_instrument(symbol)
            bars = self._bars(inst, period, until, limit, begin)
            out.append({"symbol": symbol, "period": period, "nextPageToken": None,
                        "items": [{"time": b.time_ms, "open": b.open, "high": b.high, "low": b.low,
                                   "close": b.close, "volume": b.volume, "amount": b.amount} for b in bars]})
        return out

    def _bars(self, inst, period: str, until: dt.datetime, limit: int, begin_ms: int | None) -> list[Bar]:
        cal = CALENDARS[inst.market]
        model = self.ex.prices
        day = cal.session_date(until)
        bars: list[Bar] = []
        if period in INTRADAY_PERIODS:
            size = INTRADAY_PERIODS[period]
            while len(bars) < limit:
                minutes = model.minute_bars(inst, day, until)
                groups = [minutes[i:i + size] for i in range(0, len(minutes), size)]
                bars = [aggregate(g) for g in groups if g] + bars
                if begin_ms and minutes and minutes[0].time_ms <= begin_ms:
                    break
                day = cal.previous_trading_day(day)
                if (until.date() - day).days > 400:
                    break
        else:
            needed = {"day": limit, "week": limit * 5, "month": limit * 22, "year": limit * 252}[period]
            needed = min(needed, 260 * 3)
            days = []
            cursor = day
            while len(days) < needed:
                days.append(cursor)
                if begin_ms and _midnight_ms(cal, cursor) <= begin_ms:
                    break
                cursor = cal.previous_trading_day(cursor)
            days.reverse()
            dailies = [b for b in (model.day_bar(inst, d, until) for d in days) if b is not None]
            if period == "day":
                bars = dailies
            else:
                groups: dict[tuple, list[Bar]] = {}
                for d, b in zip(days, dailies):
                    key = {"week": d.isocalendar()[:2], "month": (d.year, d.month), "year": (d.year,)}[period]
                    groups.setdefault(key, []).append(b)
                bars = [aggregate(g) for g in groups.values()]
        if begin_ms:
            bars = [b for b in bars if b.time_ms >= begin_ms]
        return bars[-limit:]

    def trade_tick(self, tiger_id, biz, fault):
        now = self._now()
        limit = min(int(biz.get("limit") or 200), 2000)
        out = []
        for symbol in self._symbols(biz):
            inst = get_instrument(symbol)
            cal = CALENDARS[inst.market]
            day = cal.session_date(now)
            minutes = cal.regular_minutes(day)
            first = minutes[0].timestamp()
            last = min(now.timestamp(), minutes[-1].timestamp() + 60)
            count = max(0, int((last - first) // TICK_SECONDS))
            end_index = count if biz.get("end_index") in (None, -1) else min(int(biz["end_index"]), count)
            begin_index = biz.get("begin_index")
            begin_index = max(0, end_index - limit) if begin_index in (None, -1) else int(begin_index)
            items, previous = [], None
            for i in range(begin_index, end_index):
                ts = first + i * TICK_SECONDS
                price = self.ex.prices.price_at(symbol, dt.datetime.fromtimestamp(ts, UTC))
                kind = "*" if previous is None or price == previous else ("+" if price > previous else "-")
                volume = inst.lot_size * (1 + _seed_int(self.ex.prices.seed, symbol, day, i) % 9)
                items.append({"time": int(ts * 1000), "volume": volume, "price": price, "type": kind})
                previous = price
            out.append({"symbol": symbol, "beginIndex": begin_index, "endIndex": end_index, "items": items})
        return out

    def option_expiration(self, tiger_id, biz, fault):
        now = self._now()
        out = []
        for symbol in biz.get("symbols") or []:
            symbol = normalize_symbol(symbol)
            underlying = option_underlying(symbol)
            if underlying is None:
                out.append({"symbol": symbol, "optionSymbols": [], "dates": [], "timestamps": [],
                            "periodTags": [], "count": 0})
                continue
            cal = CALENDARS[get_instrument(underlying).market]
            expiries = self.ex.prices.option_expiries(underlying, now)
            out.append({"symbol": symbol, "optionSymbols": [option_root(underlying)] * len(expiries),
                        "dates": [d.isoformat() for d, _ in expiries],
                        "timestamps": [_midnight_ms(cal, d) for d, _ in expiries],
                        "periodTags": [tag for _, tag in expiries], "count": len(expiries)})
        return out

    def option_chain(self, tiger_id, biz, fault):
        now = self._now()
        out = []
        for basic in biz.get("option_basic") or []:
            symbol = normalize_symbol(basic.get("symbol") or "")
            underlying = option_underlying(symbol)
            expiry = basic.get("expiry")
            if underlying is None or expiry is None:
                continue
            # The expiry is a midnight: New York's by default, Hong Kong's when the SDK is told the
            # market; either falls on the expiry date in the underlying's own time zone.
            cal = CALENDARS[get_instrument(underlying).market]
            try:
                day = dt.datetime.fromtimestamp(int(expiry) / 1000, cal.tz).date()
            except (OverflowError, OSError, ValueError):
                day = None  # a date no option expires on, like any other
            if day not in {d for d, _ in self.ex.prices.option_expiries(underlying, now)}:
                out.append({"symbol": symbol, "expiry": int(expiry), "items": []})
                continue
            items = []
            for strike in self.ex.prices.option_strikes(underlying, now):
                put = self.ex.prices.option_quote(underlying, day, strike, "PUT", now)
                call = self.ex.prices.option_quote(underlying, day, strike, "CALL", now)
                if not biz.get("return_greek_value"):
                    for leg in (put, call):
                        for greek in ("delta", "gamma", "theta", "vega", "rho"):
                            leg.pop(greek)
                items.append({"put": put, "call": call})
            out.append({"symbol": symbol, "expiry": int(expiry), "items": items})
        return out

    def financial_exchange_rate(self, tiger_id, biz, fault):
        """Units of each currency per US dollar, one value per day in the range."""
        currencies = biz.get("currency_list") or []
        if not currencies:
            raise p.field_empty("currency_list")
        begin = _ms(biz.get("begin_date")) or self.ex.clock.now_ms()
        end = _ms(biz.get("end_date")) or begin
        days = []
        cursor = dt.datetime.fromtimestamp(begin / 1000, UTC).date()
        last = dt.datetime.fromtimestamp(end / 1000, UTC).date()
        while cursor <= last and len(days) < 400:
            days.append(cursor)
            cursor += dt.timedelta(days=1)
        return [{"currency": c.upper(),
                 "dailyValueList": [{"date": int(dt.datetime.combine(d, dt.time(0), tzinfo=UTC).timestamp() * 1000),
                                     "value": fx_per_usd(c.upper())} for d in days]}
                for c in currencies]

    def all_symbols(self, tiger_id, biz, fault):
        market = (biz.get("market") or "US").upper()
        return [s for s, i in UNIVERSE.items() if i.market == market]


def scaled(quantity: Decimal, name: str, scale_name: str) -> dict:
    """A quantity as Tiger sends it: whole numbers as they are (scale 0), a fraction as an integer and
    its scale (0.00773 shares: 773, scale 5), beside which positions also carry positionQty."""
    exponent = quantity.normalize().as_tuple().exponent if quantity else 0
    if exponent >= 0:
        return {name: quantity, scale_name: 0}
    return {name: int(quantity.scaleb(-exponent)), scale_name: -exponent}


def _ms(value) -> int | None:
    if value in (None, "", -1, "-1"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise p.biz_error(f"time {value!r} must be a millisecond timestamp")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _day(value, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise p.biz_error(f"{name} must be a date like 2026-03-01 (got {value!r})")


def _midnight_ms(cal, day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=cal.tz).timestamp() * 1000)

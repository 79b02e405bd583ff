"""Soak the order path: N orders (stocks, single-leg options, bracket entries, OCA groups, option combos) through
preview → place, with faults injected at random into the
simulator's place_order (lost answers after acceptance, 5xx, dropped connections, rate-limit
replies, latency, partial fills), some client retries with the same idempotency key, periodic
reconciliation, and simulator restarts mid-run (the gateway goes away with orders in flight and
comes back from its state folder on the same port); then compare our rows with the simulator's
ground truth as it reloaded it from disk.

    python -m bench.soak_orders [--orders 1000] [--fault-rate 0.25] [--retry-rate 0.1] [--restarts 2] [--seed 1]
                                [--combo-rate 0.1] [--option-rate 0.15] [--bracket-rate 0.1] [--oca-rate 0.1]

A share of the orders (--combo-rate) are option combos (a debit or credit vertical, or a straddle)
from the simulator's chains: one broker order each, its legs filled together. Another share
(--option-rate) are single-leg options near the money, bought or sold, MKT or LMT near the chain's
price; another (--bracket-rate) are bracket entries: a LMT stock order with a take-profit and a
stop-loss, which Tiger holds as two more orders (each must become one of our leg rows); another
(--oca-rate) are OCA groups: a LMT near the price with one or two stops beyond it, one side, which
Tiger holds as orders sharing the group's mark (each after the first must become one of our leg rows;
a fill cancels the others).

Runs on a throw-away SQLite database in a temporary folder (pass --use-database-url to use
DATABASE_URL instead) and its own in-process simulator. Exit status 1 if any order was duplicated
at the broker or lost.
"""

import argparse
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

FAULT_KINDS = ("latency", "http_error", "drop", "drop_after_accept", "rate_limit", "server_error", "partial_fill")
SYMBOLS = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "SPY")
SIM_CLOCK = "2026-11-23T15:00:00Z"  # a Monday inside New York's regular session
COMBO_UNDERLYINGS = ("AAPL", "SPY", "TSLA")


def combo_order(sim, r: random.Random) -> dict:
    """A random combo on a listed chain: a call or put vertical (debit or credit) or a straddle, near the money."""
    symbol = r.choice(COMBO_UNDERLYINGS)
    now = sim.clock.now()
    expiry = sim.exchange.prices.option_expiries(symbol, now)[r.randint(1, 3)][0]
    strikes = sim.exchange.prices.option_strikes(symbol, now)
    spot = sim.quote(symbol).regular_latest
    mid = min(range(len(strikes)), key=lambda i: abs(strikes[i] - spot))
    leg = lambda strike, right, side: {"expiry": expiry.isoformat(), "strike": str(strike), "right": right,
                                       "side": side}
    kind = r.choice(["VERTICAL", "VERTICAL", "STRADDLE"])
    if kind == "STRADDLE":
        legs = [leg(strikes[mid], "CALL", "BUY"), leg(strikes[mid], "PUT", "BUY")]
    else:
        right = r.choice(["CALL", "PUT"])
        legs = [leg(strikes[mid - 1], right, r.choice(["BUY", "SELL"])), leg(strikes[mid + 1], right, "")]
        legs[1]["side"] = "SELL" if legs[0]["side"] == "BUY" else "BUY"
    return {"symbol": symbol, "side": "BUY", "quantity": str(r.randint(1, 3)), "order_type": "MKT",
            "combo_type": kind, "legs": legs}


def option_order(sim, r: random.Random) -> dict:
    """A single-leg option near the money, a few expiries out, bought or sold, MKT or LMT near its price."""
    symbol = r.choice(COMBO_UNDERLYINGS)
    now = sim.clock.now()
    expiry = sim.exchange.prices.option_expiries(symbol, now)[r.randint(1, 3)][0]
    strikes = sim.exchange.prices.option_strikes(symbol, now)
    strike = strikes[len(strikes) // 2 + r.randint(-3, 3)]
    right = r.choice(["CALL", "PUT"])
    order = {"symbol": symbol, "expiry": expiry.isoformat(), "strike": str(strike), "right": right,
             "side": r.choice(["BUY", "SELL"]), "quantity": str(r.randint(1, 5)), "order_type": "MKT"}
    if r.random() < 0.5:
        latest = Decimal(str(sim.exchange.prices.option_quote(symbol, expiry, strike, right, now)["latestPrice"]))
        price = (latest * Decimal(str(r.uniform(0.97, 1.03)))).quantize(Decimal("0.01"))
        order.update(order_type="LMT", limit_price=str(max(Decimal("0.01"), price)))
    return order


def bracket_order(sim, r: random.Random) -> dict:
    """A LMT stock entry near the price with a take-profit and a stop-loss 2% either side of it."""
    symbol, side = r.choice(SYMBOLS), r.choice(["BUY", "SELL"])
    last = Decimal(str(sim.quote(symbol).regular_latest))
    limit = (last * (1 + Decimal(str(r.uniform(-0.01, 0.01))))).quantize(Decimal("0.01"))
    up, down = (limit * Decimal("1.02")).quantize(Decimal("0.01")), (limit * Decimal("0.98")).quantize(Decimal("0.01"))
    return {"symbol": symbol, "side": side, "quantity": str(r.randint(1, 5)), "order_type": "LMT",
            "limit_price": str(limit), "take_profit_price": str(up if side == "BUY" else down),
            "stop_loss_price": str(down if side == "BUY" else up)}


def oca_group(sim, r: random.Random) -> dict:
    """An OCA group on one stock and side: a LMT within 1% of the price, and a STP (sometimes a STP_LMT
    too) 2-3% beyond it, whichever trades first cancelling the others."""
    symbol, side = r.choice(SYMBOLS), r.choice(["BUY", "SELL"])
    last = Decimal(str(sim.quote(symbol).regular_latest))
    limit = (last * (1 + Decimal(str(r.uniform(-0.01, 0.01))))).quantize(Decimal("0.01"))
    away = 1 if side == "BUY" else -1  # a buy stop triggers above the market, a sell stop below

    def beyond(pct: str) -> str:
        return str((last * (1 + away * Decimal(pct))).quantize(Decimal("0.01")))

    others = [{"order_type": "STP", "stop_price": beyond("0.02")}]
    if r.random() < 0.5:
        others.append({"order_type": "STP_LMT", "stop_price": beyond("0.03"), "limit_price": beyond("0.035")})
    return {"symbol": symbol, "side": side, "quantity": str(r.randint(1, 5)), "order_type": "LMT",
            "limit_price": str(limit), "oca_orders": others}


def _setup(use_database_url: bool) -> None:
    data = tempfile.mkdtemp(prefix="tigermcp-soak-")
    os.environ["TIGERMCP_DATA_DIR"] = data
    os.environ["TIGERSIM_EMBEDDED"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")
    if not use_database_url:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LOG_LEVEL", "CRITICAL")
    import django

    django.setup()
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        # Several client threads write: take SQLite's write lock at BEGIN, so a read transaction is
        # never refused its upgrade ("database is locked"). Recommended for the project's settings too.
        db.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    import logging

    logging.getLogger("tiger_openapi").setLevel(logging.CRITICAL)
    logging.getLogger("trading").setLevel(logging.CRITICAL)
    from django.conf import settings
    from django.core.management import call_command

    settings.TIGER_HTTP_TIMEOUT = 3
    settings.TIGER_READ_RETRIES = 0
    # The simulator runs with a 1 s rate window (Tiger's 60 s would cap the soak at 120 orders a
    # minute); the client-side limiter follows it. The circuit breaker is set out of reach so every
    # fault reaches the order path instead of short-circuiting it.
    settings.MARKETDATA_RATE_WINDOW_SECONDS = 1.0
    settings.MARKETDATA_CIRCUIT_FAILURES = 10**9
    call_command("migrate", verbosity=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.25, help="probability of a fault on each place_order")
    parser.add_argument("--retry-rate", type=float, default=0.1, help="probability the client retries with the same key")
    parser.add_argument("--reconcile-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=6, help="client threads placing orders at once")
    parser.add_argument("--restarts", type=int, default=2, help="simulator restarts at random points of the run")
    parser.add_argument("--combo-rate", type=float, default=0.1, help="share of the orders that are option combos")
    parser.add_argument("--option-rate", type=float, default=0.15, help="share of single-leg option orders")
    parser.add_argument("--bracket-rate", type=float, default=0.1, help="share of bracket entries")
    parser.add_argument("--oca-rate", type=float, default=0.1, help="share of OCA groups")
    parser.add_argument("--use-database-url", action="store_true")
    args = parser.parse_args(argv)
    _setup(args.use_database_url)

    from accounts.actors import Actor
    from accounts.models import Scope, TigerAccount
    from accounts.services import account_save
    from core.errors import ApplicationError
    from tigersim.server import Simulator
    from trading import services
    from trading.models import Order, OrderStatus

    actor = Actor.system("cli", "bench.soak_orders")
    state_dir = tempfile.mkdtemp(prefix="tigermcp-soak-sim-")
    sim = Simulator(state_dir=state_dir, seed=args.seed, clock=SIM_CLOCK, rate_limit_window=1.0).start()
    box = {"sim": sim}  # the simulator serving now (replaced at each restart)
    injected = Counter()
    restart_lock = threading.Lock()
    rng = random.Random(args.seed)
    restart_at = set(rng.sample(range(args.orders // 10, args.orders), min(args.restarts, args.orders - args.orders // 10)))

    def arm(target) -> None:
        target.faults.random_mode(args.fault_rate, seed=args.seed + len(injected), kinds=FAULT_KINDS,
                                  methods={"place_order"})

    def restart() -> None:
        """Stop the gateway with orders in flight, leave it down a moment, serve the same folder again."""
        with restart_lock:
            old = box["sim"]
            port = old.port
            injected.update(kind for method, kind in old.faults.history if method == "place_order")
            old.stop()
            time.sleep(0.3)
            new = Simulator(state_dir=state_dir, seed=args.seed, clock=old.clock, port=port, rate_limit_window=1.0)
            arm(new)
            box["sim"] = new.start()
            tally["restarts"] += 1

    try:
        dev = sim.create_developer()
        number = sim.open_account(dev.tiger_id, cash={"USD": Decimal("100000000")})
        account = account_save(actor=actor, account=TigerAccount(
            label="soak", account_number=number, tiger_id=dev.tiger_id, private_key=dev.private_key,
            license=dev.license, server_url=sim.url, permission=Scope.TRADE), changed=["label"])
        policy = services.risk_policy_for(account=account)
        policy.max_orders_per_minute = 1_000_000
        policy.duplicate_window_seconds = 0
        policy.max_order_notional = Decimal("10000000")
        policy.max_open_exposure = Decimal("1000000000")
        policy.daily_loss_limit = None
        policy.allow_naked_short_calls = True  # single-leg calls are sold as often as bought
        services.risk_policy_save(actor=actor, policy=policy)

        arm(sim)
        outcomes, errors = Counter(), Counter()
        tally = {"replays": 0, "replay_mismatch": 0, "restarts": 0}
        lock = threading.Lock()

        def one(i: int) -> None:
            from django.db import connection

            if i in restart_at:
                restart()
            r = random.Random(args.seed * 1_000_003 + i)
            symbol, side = r.choice(SYMBOLS), r.choice(["BUY", "SELL"])
            order = {"symbol": symbol, "side": side, "quantity": str(r.randint(1, 5))}
            draw = r.random()
            if draw < args.combo_rate:
                order = combo_order(box["sim"], r)
            elif draw < args.combo_rate + args.option_rate:
                order = option_order(box["sim"], r)
            elif draw < args.combo_rate + args.option_rate + args.bracket_rate:
                order = bracket_order(box["sim"], r)
            elif draw < args.combo_rate + args.option_rate + args.bracket_rate + args.oca_rate:
                order = oca_group(box["sim"], r)
            elif r.random() < 0.5:
                order["order_type"] = "MKT"
            else:
                last = Decimal(str(box["sim"].quote(symbol).regular_latest))
                offset = Decimal(str(r.uniform(-0.01, 0.01)))
                order.update(order_type="LMT", limit_price=str((last * (1 + offset)).quantize(Decimal("0.01"))))
            key = uuid.uuid4().hex
            try:
                preview = services.order_preview(actor=actor, account_number=number, **order)
                placed = services.order_place(actor=actor, account_number=number,
                                              confirmation_token=preview.confirmation_token, idempotency_key=key)
                with lock:
                    outcomes[str(placed.status)] += 1
                if r.random() < args.retry_rate:  # the client lost our answer and retries
                    again = services.order_place(actor=actor, account_number=number,
                                                 confirmation_token=preview.confirmation_token, idempotency_key=key)
                    with lock:
                        tally["replays"] += 1
                        tally["replay_mismatch"] += again.pk != placed.pk
            except ApplicationError as exc:
                with lock:
                    errors[exc.code] += 1
            if (i + 1) % args.reconcile_every == 0:
                # A failed pass (the gateway restarting, or too slow to list the orders under load) is
                # tried again shortly, as the periodic task's next beat would: an UNKNOWN order older
                # than the reach of Tiger's order list (300) is otherwise never resolved.
                for attempt in range(5):
                    try:
                        services.orders_reconcile(actor=actor, account_number=number, unknown_grace_seconds=0)
                        break
                    except ApplicationError as exc:
                        with lock:
                            errors[f"reconcile:{exc.code}"] += 1
                        time.sleep(1 + attempt)
            connection.close()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            for future in [pool.submit(one, i) for i in range(args.orders)]:
                future.result()
        replays, replay_mismatch = tally["replays"], tally["replay_mismatch"]
        elapsed = time.monotonic() - started
        sim = box["sim"]
        injected.update(kind for method, kind in sim.faults.history if method == "place_order")
        sim.faults.clear()
        # Ground truth as the gateway's disk has it: one more restart, with nothing in flight.
        restart()
        sim = box["sim"]
        sim.faults.clear()
        for _ in range(10):
            services.orders_reconcile(actor=actor, account_number=number, unknown_grace_seconds=0)
            if not Order.objects.filter(account=account, status__in=[OrderStatus.UNKNOWN, OrderStatus.PENDING_SUBMIT]).exists():
                break
            time.sleep(0.2)

        # Ground truth: the simulator's own book for this account. A bracket's legs are orders of their
        # own at Tiger, carrying their entry's mark: each must be one of our rows (a leg), by its id. So
        # must the orders of an OCA group after its first (they share its mark and name it as their group).
        everything = list(sim.exchange.accounts[number].orders.values())
        book = [b for b in everything if b.parent_id is None and b.oca_group in (None, b.id)]
        book_ids_top = {id(b) for b in book}
        legs_at_broker = [b for b in everything if id(b) not in book_ids_top]
        oca_at_broker = [b for b in legs_at_broker if b.parent_id is None]
        groups: dict[int, list] = {}
        for b in everything:
            if b.parent_id is None and b.oca_group is not None:
                groups.setdefault(b.oca_group, []).append(b)
        # A group with a fill keeps no other order working: its siblings were cancelled by the fill.
        oca_filled = [g for g in groups.values() if any(b.filled > 0 for b in g)]
        oca_still_working = [g for g in oca_filled if any(b.is_open and b.filled == 0 for b in g)]
        rows = {o.client_ref: o for o in Order.objects.filter(account=account, parent__isnull=True)}
        leg_rows = {o.broker_id for o in Order.objects.filter(account=account, parent__isnull=False)}
        by_ref = Counter(b.user_mark for b in book)
        duplicates = sum(n - 1 for ref, n in by_ref.items() if n > 1)
        unclaimed = [b for b in book if not b.user_mark.startswith("tm:") or b.user_mark[3:] not in rows]
        wrong_link = [b for b in book if b.user_mark[3:] in rows and rows[b.user_mark[3:]].broker_id != str(b.id)]
        legs_unrecorded = [b for b in legs_at_broker if str(b.id) not in leg_rows]
        book_ids = {str(b.id) for b in everything}
        phantom = [o for o in rows.values() if o.broker_id and o.broker_id not in book_ids]
        phantom += [broker_id for broker_id in leg_rows if broker_id not in book_ids]
        unresolved = [o for o in rows.values() if o.status in (OrderStatus.UNKNOWN, OrderStatus.PENDING_SUBMIT)]
        lost = len(unclaimed) + len(wrong_link) + len(legs_unrecorded) + len(phantom) + len(unresolved)
        placed_kinds = Counter("combo" if o.combo_type else "option" if o.sec_type == "OPT" else
                               "bracket" if o.take_profit_price is not None else "oca" if o.oca_orders else "stock"
                               for o in rows.values() if o.broker_id)
        final = Counter(o.status for o in rows.values())

        print(f"orders submitted (order_place calls): {args.orders} in {elapsed:.1f} s with {args.workers} client "
              f"threads ({args.orders / elapsed:.1f}/s, preview + place each)")
        print(f"faults injected on place_order: {sum(injected.values())} {dict(sorted(injected.items()))}")
        print(f"simulator restarts: {tally['restarts'] - 1} mid-run with orders in flight, then 1 before the count "
              f"(every order below is as the gateway reloaded it from its state folder)")
        print(f"first answers: {dict(sorted(outcomes.items()))}; refused before sending: {dict(errors)}")
        print(f"client retries with the same key: {replays}, answered with a different order: {replay_mismatch}")
        print(f"final statuses after reconciliation: {dict(sorted(final.items()))}")
        print(f"broker orders: {len(book)} ({sum(1 for b in book if b.legs)} combos, "
              f"{sum(1 for b in book if b.legs and b.status == 'Filled')} filled with all their legs); our rows linked "
              f"to one: {sum(1 for o in rows.values() if o.broker_id)} ({sum(1 for o in rows.values() if o.combo_type)} "
              f"combo rows)")
        print(f"at the broker by kind: {dict(sorted(placed_kinds.items()))}, and {len(legs_at_broker) - len(oca_at_broker)} "
              f"bracket legs and {len(oca_at_broker)} further OCA orders ({len(leg_rows)} leg rows of ours)")
        print(f"OCA groups at the broker: {len(groups)}, {len(oca_filled)} with a fill, of which "
              f"{len(oca_still_working)} still had another order working")
        print(f"duplicate broker orders: {duplicates}")
        print(f"orders lost: {lost} (unclaimed at broker {len(unclaimed)}, mislinked {len(wrong_link)}, "
              f"bracket legs or OCA orders without their row {len(legs_unrecorded)}, linked but absent {len(phantom)}, "
              f"still unknown {len(unresolved)})")
        return 1 if duplicates or lost or replay_mismatch or oca_still_working else 0
    finally:
        box["sim"].stop()


if __name__ == "__main__":
    sys.exit(main())

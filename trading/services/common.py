"""What every trading service shares: message templates (tests assert them), limits, the order row lock and guarded transition."""

import logging
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.actors import Actor
from core.errors import (
    ApplicationError,
    BadCredentials,
    BrokerRejected,
    BrokerUnavailable,
    CircuitOpen,
    CredentialError,
    RateLimited,
)
from broker.types import ComboLeg, OcaOrder
from trading.intents import OrderIntent
from trading.models import (
    Order,
    OrderStatus,
)


logger = logging.getLogger(__name__)


S = OrderStatus


CONFIRMATION_TTL_SECONDS = 120


# An UNKNOWN (or stale PENDING_SUBMIT) order that the broker's order list still does not show after
# this long was never received: reconciliation rejects it.
UNKNOWN_GRACE_SECONDS = 60


# A PENDING_SUBMIT row younger than this may be mid-send in another process: leave it alone.
PENDING_STALE_SECONDS = 45


BROKER_LIST_LIMIT = 300


# Requests one reconciliation pass may spend per account looking for orders beyond the reach of
# Tiger's recent list (an UNKNOWN order's time window, its anchors, a found entry's legs).
WINDOW_REQUESTS_PER_PASS = 12


COVERAGE_MARGIN_SECONDS = 10


NEW_YORK = ZoneInfo("America/New_York")


# Message templates (tests assert them).
TOKEN_MISSING = "No confirmation token given. Call the preview first and pass its confirmation_token."


TOKEN_INVALID = "This confirmation token is not valid for account {account}. Call the preview again and confirm with the new token."


TOKEN_USED = "This confirmation token was already used. Call the preview again to get a new one."


TOKEN_EXPIRED = "This confirmation token expired (tokens live {ttl} s). Call the preview again."


TOKEN_WRONG_ACTION = "This token confirms a {token_action}, not a {action}. Use the token from the matching preview."


TOKEN_WRONG_ORDER = "This token confirms a change to order {token_order}, not order {order}."


TOKEN_OTHER_ACTOR = ("This confirmation token was issued to another caller; only whoever previewed an order can "
                     "confirm it. Call the preview yourself and confirm with the token it returns.")


KEY_REQUIRED = "idempotency_key is required (1 to 128 characters). Reuse a key only to retry the same order."


KEY_REUSED = "Idempotency key {key!r} was already used for a different order (order {order_id}). Use a new key for a new order."


IN_PROGRESS = "Order {order_id} (idempotency key {key!r}) is still being submitted. Wait a moment, then look it up with get_order."


PREVIEW_FAILED = "Tiger's order preview did not pass for account {account}: {warning}. Nothing was placed."


NOT_WORKING = "Order {order_id} is {status}; only working orders (SUBMITTED, PARTIALLY_FILLED) can be {verb}."


NOT_ACKED = "Order {order_id} has no Tiger id yet (status {status}); run reconciliation first (reconcile_orders)."


NOT_SENT = "Not placed: {message}"


NOTHING_TO_MODIFY = "Give at least one of quantity, limit_price, stop_price that differs from the order."


BELOW_FILLED = "The new quantity {quantity} is below the {filled} already filled."


NOT_FOUND_AT_BROKER = "Tiger's order list does not show this order {seconds} s after it was sent: it was never placed."


KILLED_BEFORE_SEND = "The kill switch was turned on before the order was sent; it was not sent."


BROKER_ID_TAKEN = ("Tiger answered with broker id {broker_id}, which already belongs to order {holder}: it was not "
                   "bound to order {order}. The order's outcome is unknown until reconciliation finds it by its "
                   "reference ({reference}); an alert is open for an operator.")


REFERENCE_MISMATCH = ("Tiger's order {broker_id} {found}, not this order's {reference}: the broker id no longer "
                      "identifies order {order}. Nothing is sent for it until reconciliation finds it by its reference "
                      "or an operator resolves the alert.")


VANISHED = ("Tiger's full order list does not carry this order's reference {reference} {seconds} s after it was "
            "entered, and its broker id {broker_id} names another order: Tiger no longer has it.")


UNIDENTIFIED = ("Tiger's order {broker_id} has no reference of ours but the same symbol, side, type, quantity and "
                "price as order {order}: it may be this order. Left UNKNOWN for an operator; it is never bound by "
                "its attributes alone.")


CANCEL_NOT_PROCESSED = ("Tiger still shows the order working {seconds} s after the cancel was requested: the cancel "
                        "was not processed, the order is working again. Cancel it again if you still want it gone.")


ACK_NOT_RECORDED = ("Outcome unknown: Tiger acknowledged the order but the acknowledgement could not be recorded "
                    "({error}); reconciliation will resolve it.")


NOT_SENT_INTERNAL = ("Internal error (reference {ref}) before the order was sent: nothing was placed. The cause is "
                     "logged under that reference; try again, and report it if it repeats.")


UNKNOWN_INTERNAL = ("Internal error (reference {ref}) while order {order} was being sent: its outcome is unknown "
                    "and reconciliation will resolve it (get_order shows the result). The cause is logged under that "
                    "reference.")


NOT_CANCELLED_UNIDENTIFIED = ("Order {order} was not cancelled: Tiger's order under its broker id {broker_id} could "
                              "not be positively identified as this order. It is now UNKNOWN with an alert for an operator.")


NOT_MODIFIED_UNIDENTIFIED = ("Order {order} was not modified: Tiger's order under its broker id {broker_id} could "
                             "not be positively identified as this order. It is now UNKNOWN with an alert for an operator.")


# A cancel Tiger still has not acted on after this long was lost: the order goes back to working.
CANCEL_STALE_SECONDS = 60


OPERATORS_ONLY = "Only operators (staff users, management commands) may use the kill switch."


CANCELS_NOT_SENT = "cancels not sent (read-only deployment)"


NOT_SENT_ERRORS = (BrokerRejected, RateLimited, BrokerUnavailable, CircuitOpen, BadCredentials, CredentialError)


CONFIRMATION_MISMATCH = (
    "This confirmation token was issued for a different order: {diffs}. Nothing was placed or changed. "
    "Preview the order you want again, show it to the user, and confirm with the new token."
)


class _CommitThenRaise(Exception):
    """Leave the atomic block normally (keeping the refusal's audit events), then raise `error`."""

    def __init__(self, error: ApplicationError):
        super().__init__(error.message)
        self.error = error


def _intent_of(order: Order, *, group: bool = False) -> OrderIntent:
    # An order by amount is sent as its amount; its quantity row is an estimate (or Tiger's shares).
    # `group`: the first order of an OCA group with its others (as it is placed); without, it alone
    # (as it is modified: each order of a group is changed by its own id).
    if order.combo_type:
        return OrderIntent(account_number=order.account.account_number, symbol=order.symbol, side=order.side,
                           quantity=order.quantity, order_type=order.order_type, limit_price=order.limit_price,
                           time_in_force=order.time_in_force, sec_type=order.sec_type, market=order.market,
                           currency=order.currency, multiplier=order.multiplier, combo_type=order.combo_type,
                           legs=tuple(ComboLeg.from_canonical(leg) for leg in order.combo_legs))
    return OrderIntent(account_number=order.account.account_number, symbol=order.symbol, side=order.side,
                       quantity=order.quantity if order.amount is None else None, amount=order.amount,
                       order_type=order.order_type, limit_price=order.limit_price,
                       stop_price=order.stop_price, time_in_force=order.time_in_force, outside_rth=order.outside_rth,
                       sec_type=order.sec_type, market=order.market, currency=order.currency,
                       trailing_amount=order.trailing_amount, trailing_percent=order.trailing_percent,
                       expire_time=order.expire_time,
                       take_profit_price=order.take_profit_price, stop_loss_price=order.stop_loss_price,
                       **({"expiry": order.expiry, "strike": order.strike, "right": order.right,
                           "multiplier": order.multiplier} if order.sec_type == "OPT" else {}),
                       **({"expiry": order.expiry, "multiplier": order.multiplier} if order.sec_type == "FUT" else {}),
                       oca=tuple(OcaOrder.from_canonical(o) for o in order.oca_orders) if group else (),
                       trading_session_type=order.trading_session_type or None)


def _lock_order(pk: int) -> Order:
    """Lock one order row (call inside transaction.atomic) and read it afresh, with its account."""
    return Order.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)


def _transition(order_pk: int, new_status: str, *, actor, only_from, reason: str = "") -> Order:
    """Lock the row, re-read it, and move it if it still is where the caller thinks it is
    (`only_from`, which never holds `new_status`)."""
    with transaction.atomic():
        order = _lock_order(order_pk)
        if order.status not in only_from:
            return order
        order.set_status(new_status, actor=actor, reason=reason)
    return order


def _is_operator(actor: Actor) -> bool:
    return actor.kind == "system" or (actor.kind == "user" and (actor.user.is_staff or actor.user.is_superuser))

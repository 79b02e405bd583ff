"""Writes on orders: preview → confirm → PENDING_SUBMIT (committed) → submit → ack | UNKNOWN → fills.

Every door (MCP, API, admin, tasks, commands) comes here; permissions (account_for_actor with
scope="trade"), the risk decision and the audit events live here so no door can skip them.

Order entry on one account is serial: the account's AccountTradingState row is locked
(select_for_update) while the limits are checked and the PENDING_SUBMIT row inserted, then the
transaction commits and only then does the network call happen, outside any lock. Facts that need
the network (last price, position, equity) are fetched before the lock is taken.

One module per topic (common, policy, risk_check, confirmations, identity, reconciliation, orders, closing, kill_switch); every public name is re-exported here,
where every door imports them."""

from trading.services.common import (  # noqa: F401
    _intent_of,
    ACK_NOT_RECORDED,
    BELOW_FILLED,
    BROKER_ID_TAKEN,
    BROKER_LIST_LIMIT,
    CANCEL_NOT_PROCESSED,
    CANCEL_STALE_SECONDS,
    CANCELS_NOT_SENT,
    CONFIRMATION_MISMATCH,
    CONFIRMATION_TTL_SECONDS,
    COVERAGE_MARGIN_SECONDS,
    IN_PROGRESS,
    KEY_REQUIRED,
    KEY_REUSED,
    KILLED_BEFORE_SEND,
    NEW_YORK,
    NOT_ACKED,
    NOT_CANCELLED_UNIDENTIFIED,
    NOT_FOUND_AT_BROKER,
    NOT_MODIFIED_UNIDENTIFIED,
    NOT_SENT,
    NOT_SENT_ERRORS,
    NOT_SENT_INTERNAL,
    NOT_WORKING,
    NOTHING_TO_MODIFY,
    OPERATORS_ONLY,
    PENDING_STALE_SECONDS,
    PREVIEW_FAILED,
    REFERENCE_MISMATCH,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_MISSING,
    TOKEN_OTHER_ACTOR,
    TOKEN_USED,
    TOKEN_WRONG_ACTION,
    TOKEN_WRONG_ORDER,
    UNIDENTIFIED,
    UNKNOWN_GRACE_SECONDS,
    UNKNOWN_INTERNAL,
    VANISHED,
)
from trading.services.policy import (  # noqa: F401
    risk_policy_for,
    risk_policy_save,
)
from trading.services.risk_check import (  # noqa: F401
    last_price,
    position_quantity,
    trading_day,
)
from trading.services.confirmations import (  # noqa: F401
    OrderPreview,
    token_idempotency_key,
)
from trading.services.identity import (  # noqa: F401
    order_alert_raise,
    order_alert_resolve,
)
from trading.services.reconciliation import (  # noqa: F401
    map_tiger_status,
    orders_reconcile,
    orders_reconcile_all,
    ReconcileReport,
    TIGER_STATUS,
)
from trading.services.orders import (  # noqa: F401
    order_cancel_by_operator,
    order_cancel,
    order_cancel_preview,
    order_modify,
    order_check_lots_and_ticks,
    order_modify_preview,
    order_place,
    order_preview,
)
from trading.services.closing import (  # noqa: F401
    position_close_preview,
)
from trading.services.kill_switch import (  # noqa: F401
    kill_switch_set,
    KillSwitchResult,
)

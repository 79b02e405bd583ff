"""Placing, modifying and cancelling orders: PENDING_SUBMIT committed before the one network call."""

import hashlib
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Scope
from accounts.selectors import account_for_actor, account_route
from audit.services import audit_record
from core.hot_queries import hot_insert
from core.metrics import ORDERS
from core.errors import (
    ApplicationError,
    BrokerError,
    BrokerRejected,
    Conflict,
    InvalidInput,
    internal_error,
    OutcomeUnknown,
    PermissionDenied,
)
from broker.client import broker_for
from trading import selectors
from marketdata.services import contract_get
from trading.intents import OrderIntent, canonical_decimal, intent_with_changes, normalise_intent
from trading.lots_and_ticks import check_lots_and_ticks
from trading.models import (
    ACTIVE,
    UNACKED,
    ConfirmAction,
    Order,
)
from trading.risk import RiskDecision, RiskRefused, oca_members
from trading.services.common import (
    ACK_NOT_RECORDED,
    BELOW_FILLED,
    _CommitThenRaise,
    IN_PROGRESS,
    _intent_of,
    _is_operator,
    KEY_REQUIRED,
    KEY_REUSED,
    KILLED_BEFORE_SEND,
    _lock_order,
    logger,
    NOT_ACKED,
    NOT_CANCELLED_UNIDENTIFIED,
    NOT_MODIFIED_UNIDENTIFIED,
    NOT_SENT,
    NOT_SENT_ERRORS,
    NOT_SENT_INTERNAL,
    NOT_WORKING,
    NOTHING_TO_MODIFY,
    OPERATORS_ONLY,
    PREVIEW_FAILED,
    S,
    TOKEN_WRONG_ORDER,
    _transition,
    UNKNOWN_INTERNAL,
)
from trading.services.confirmations import (
    _check_expected,
    _consume_token,
    _find_token,
    _issue_token,
    OrderPreview,
    _refuse_confirmation,
    token_idempotency_key,
)
from trading.services.future_contracts import future_contract_resolve
from trading.services.option_contracts import (COMBO_NO_MODIFY, combo_contracts_resolve, option_contract_resolve,
                                                option_symbol_resolve)
from trading.services.order_summary import market_status_for, order_summary
from trading.services.brackets import legs_record
from trading.services.identity import _binding_refused, _lock_order_to_bind, _positively_identified
from trading.services.policy import risk_policy_and_state_for, risk_policy_for
from trading.services.reconciliation import _sync_one
from trading.services.risk_check import _evaluate_locked, _gather_facts, _lock_state, _read_locked


def order_preview(*, actor: Actor, account_number: str | None, symbol: str | None = None, side: str, quantity, order_type: str = "LMT",
                  limit_price=None, stop_price=None, time_in_force: str = "DAY", outside_rth: bool = False,
                  market: str | None = None, currency: str | None = None, trailing_amount=None,
                  trailing_percent=None, expire_time=None, sec_type: str | None = None, identifier: str | None = None,
                  expiry=None, strike=None, right: str | None = None, multiplier=None,
                  take_profit_price=None, stop_loss_price=None, amount=None, combo_type=None,
                  legs=None, oca_orders=None, trading_session_type=None) -> OrderPreview:
    """Check an order (permission, risk, Tiger's own preview) and return a single-use confirmation
    token bound to this account and this exact order, valid for CONFIRMATION_TTL_SECONDS.
    An option (sec_type OPT) is named by identifier or by symbol (the underlying), expiry, strike and
    right; its contract must be in the chain, whose multiplier it takes. take_profit_price and/or
    stop_loss_price make a LMT entry a bracket: Tiger holds those legs until the entry fills.
    amount instead of quantity: a MKT order for that much money's worth of a US stock whose contract
    supports fractional shares (as is a fractional quantity).
    combo_type and legs: a combo (trading.combos), valued at the most it can lose.
    oca_orders: the order and these others form an OCA group (trading.oca), counted as its largest.
    trading_session_type "OVERNIGHT": a US stock's LMT order for Tiger's overnight session.
    Raises RiskRefused (rule, limit, value), PermissionDenied/NotFound, InvalidInput, BrokerError."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    intent = normalise_intent(account_number=account.account_number, symbol=symbol, side=side, quantity=quantity,
                              order_type=order_type, limit_price=limit_price, stop_price=stop_price,
                              time_in_force=time_in_force, outside_rth=outside_rth, market=market,
                              currency=currency, trailing_amount=trailing_amount, trailing_percent=trailing_percent,
                              expire_time=expire_time, sec_type=sec_type, identifier=identifier, expiry=expiry,
                              strike=strike, right=right, multiplier=multiplier,
                              take_profit_price=take_profit_price, stop_loss_price=stop_loss_price,
                              amount=amount, combo_type=combo_type, legs=legs, oca_orders=oca_orders,
                              trading_session_type=trading_session_type)
    if intent.is_future:  # a product names its front contract: the token is bound to that contract
        intent = future_contract_resolve(actor=actor, account=account, intent=intent)
    elif intent.is_combo:  # each option leg in the chain; the token is bound to their multiplier
        intent = combo_contracts_resolve(actor=actor, account=account, intent=intent)
    else:
        intent = option_contract_resolve(actor=actor, account=account, intent=intent)
        for member in oca_members(intent) if intent.is_oca else (intent,):  # each order of an OCA group
            order_check_lots_and_ticks(actor=actor, account=account, intent=member)
    policy, state, kill_switch = risk_policy_and_state_for(account=account)
    facts = _gather_facts(account, intent, policy, actor=actor, state_and_switch=(state, kill_switch))
    with transaction.atomic():
        decision = _evaluate_locked(actor=actor, account=account, intent=intent, policy=policy, facts=facts,
                                    state=_lock_state(account), stage="preview")
    if not decision.accepted:
        raise RiskRefused(decision, account=account)
    preview = broker_for(account).preview_order(intent)
    if not preview.is_pass:
        raise BrokerRejected(PREVIEW_FAILED.format(account=account.account_number, warning=preview.warning or "no reason given"),
                             code="preview_failed")
    # Its fields are plain values: no need for dataclasses.asdict's deep copy.
    broker_preview = {k: (canonical_decimal(v) if isinstance(v, Decimal) else v) for k, v in vars(preview).items()}
    status, status_error = market_status_for(account=account, intent=intent)
    summary = order_summary(intent=intent, decision=decision, broker=preview, market_status=status,
                            status_error=status_error)
    return _issue_token(actor=actor, account=account, action=ConfirmAction.PLACE, payload=intent.canonical(),
                        payload_hash=intent.hash(), decision=decision.as_dict(), broker_preview=broker_preview,
                        preview=summary)


def order_check_lots_and_ticks(*, actor: Actor, account, intent: OrderIntent) -> None:
    """Tiger's board-lot and tick-size refusals, made before anything is sent (every door's preview and
    modification preview come here). Hong Kong lots come from the instrument's contract (cached);
    US stocks trade in single shares, or in fractions (and by amount) where their contract says so. A
    future's prices are checked against its contract's own tick."""
    if intent.is_future:
        future_contract_resolve(actor=actor, account=account, intent=intent)
        return
    lot_size = None
    if intent.market == "HK" and not intent.is_option:  # an option trades in whole contracts
        lot_size = contract_get(actor=actor, symbol=intent.symbol, account_number=account.account_number).lot_size
    if intent.sec_type == "STK" and intent.is_fractional:
        contract = contract_get(actor=actor, symbol=intent.symbol, account_number=account.account_number)
        if not getattr(contract, "support_fractional_share", None):
            raise InvalidInput(NOT_FRACTIONAL.format(symbol=intent.symbol, what="an order by amount" if intent.is_amount
                                                     else f"a fractional quantity ({canonical_decimal(intent.quantity)})"),
                               code="not_fractional")
    check_lots_and_ticks(intent, lot_size=lot_size)


NOT_FRACTIONAL = ("{symbol} does not trade in fractional shares at Tiger (its contract's support_fractional_share "
                  "is false), so {what} cannot be placed; give quantity as a whole number of shares.")


def _replay(order: Order, payload_hash: str, key: str) -> Order:
    if order.payload_hash != payload_hash:
        raise Conflict(KEY_REUSED.format(key=key, order_id=order.pk), code="idempotency_key_reused")
    if order.status == S.PENDING_SUBMIT:
        raise Conflict(IN_PROGRESS.format(order_id=order.pk, key=key), code="order_in_progress")
    order.replayed = True
    return order


def order_place(*, actor: Actor, account_number: str | None, confirmation_token: str,
                idempotency_key: str | None = None, expected: dict | None = None) -> Order:
    """Place the previewed order. Idempotent by key: the same key and order returns the original
    Order (whatever its status) with `replayed` set; the same key with a different order, or while
    the first is still being sent, is refused (Conflict). The returned Order is SUBMITTED, REJECTED (with
    status_reason), or UNKNOWN when Tiger's answer was lost: never resent; reconciliation resolves it.
    `expected`: the canonical order the caller believes it confirms; refused if the token says otherwise."""
    try:
        order = _order_enter(actor=actor, account_number=account_number, confirmation_token=confirmation_token,
                             idempotency_key=idempotency_key, expected=expected)
    except ApplicationError:
        raise
    except Exception as exc:  # nothing has been sent: say so, and log why
        raise internal_error(exc, logger, NOT_SENT_INTERNAL) from exc
    if order.replayed:
        return order
    try:
        order = _submit(order=order, actor=actor)
        ORDERS.labels(account=order.account.account_number, side=order.side, outcome=_outcome(order.status)).inc()
        return order
    except ApplicationError:
        raise
    except Exception as exc:  # the row is committed: reconciliation finds out whether Tiger has it
        raise internal_error(exc, logger, UNKNOWN_INTERNAL.replace("{order}", str(order.pk))) from exc


def _outcome(status: str) -> str:
    if status == S.REJECTED:
        return "rejected"
    if status == S.UNKNOWN:
        return "unknown"
    return "submitted"  # acknowledged, and perhaps already filled or cancelled by reconciliation


def _order_enter(*, actor: Actor, account_number: str | None, confirmation_token: str, idempotency_key: str | None,
                 expected: dict | None) -> Order:
    """Check, confirm and commit the PENDING_SUBMIT row (or return the replayed original)."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    if idempotency_key is None:
        idempotency_key = token_idempotency_key(confirmation_token)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 128:
        raise InvalidInput(KEY_REQUIRED, code="idempotency_key_required")
    # The token and the order already under the key (if any) in one statement.
    token = _find_token(actor=actor, account=account, plain=confirmation_token, action=ConfirmAction.PLACE,
                        idempotency_key=key)
    if expected is not None:  # the door's restatement, in the same canonical form as the previewed order
        restated = normalise_intent(**{**expected, "account_number": account.account_number})
        if restated.is_future:  # "ES" restates the front contract the preview resolved
            restated = future_contract_resolve(actor=actor, account=account, intent=restated)
        else:  # "00700" restates HKEX's option symbol (TCH.HK) the preview resolved
            restated = option_symbol_resolve(actor=actor, account=account, intent=restated)
        restated = combo_contracts_resolve(actor=actor, account=account, intent=restated)
        expected = restated.canonical()
    _check_expected(actor=actor, account=account, token=token, previewed=token.payload, expected=expected,
                    both_ways=("take_profit_price", "stop_loss_price", "amount", "combo_type", "legs", "oca",
                               "trading_session_type"))
    if token.key_order_id is not None:
        return _replay(Order.objects.get(pk=token.key_order_id), token.payload_hash, key)

    intent = OrderIntent.from_canonical(token.payload)
    policy, state, kill_switch = risk_policy_and_state_for(account=account)
    facts = _gather_facts(account, intent, policy, actor=actor, state_and_switch=(state, kill_switch))
    refusal: ApplicationError | None = None
    order = existing = None
    try:
        with transaction.atomic():
            state = _lock_state(account)
            # A twin with the same key may have committed while this waited for the lock.
            checked_at, reads = _read_locked(account, idempotency_key=key)
            if reads.key_order_id is None:
                try:
                    _consume_token(actor=actor, account=account, token=token)
                    decision = _evaluate_locked(actor=actor, account=account, intent=intent, policy=policy,
                                                facts=facts, state=state, stage="place", reads=(checked_at, reads))
                    if not decision.accepted:
                        raise _CommitThenRaise(RiskRefused(decision, account=account))
                except _CommitThenRaise as wrapped:
                    # Caught inside the block so the refusal's audit events (and the spent token) commit.
                    refusal = wrapped.error
                else:
                    order = _order_create(actor=actor, account=account, intent=intent, key=key, decision=decision,
                                          payload_hash=token.payload_hash)
            else:
                existing = Order.objects.get(pk=reads.key_order_id)
    except IntegrityError:
        # SQLite has no row locks: a concurrent twin with the same key won the insert.
        existing = Order.objects.filter(account=account, idempotency_key=key).first()
        if existing is None:
            raise
    if refusal is not None:
        ORDERS.labels(account=account.account_number, side=intent.side, outcome="refused").inc()
        raise refusal
    if order is None:
        return _replay(existing, token.payload_hash, key)
    return order


def _order_create(*, actor, account, intent: OrderIntent, key: str, decision: RiskDecision, payload_hash: str) -> Order:
    order = Order(
        client_ref=uuid.uuid4().hex, account=account, idempotency_key=key, payload_hash=payload_hash,
        symbol=intent.symbol, sec_type=intent.sec_type, market=intent.market, currency=intent.currency,
        expiry=intent.expiry, strike=intent.strike, right=intent.right or "", multiplier=intent.units,
        side=intent.side, order_type=intent.order_type, quantity=_quantity_of(intent, decision),
        amount=intent.amount, limit_price=intent.limit_price,
        stop_price=intent.stop_price, time_in_force=intent.time_in_force, outside_rth=intent.outside_rth,
        trailing_amount=intent.trailing_amount, trailing_percent=intent.trailing_percent,
        expire_time=intent.expire_time, take_profit_price=intent.take_profit_price,
        stop_loss_price=intent.stop_loss_price, oca_orders=[o.canonical() for o in intent.oca],
        trading_session_type=intent.trading_session_type or "",
        reference_price=Decimal(decision.reference_price), status=S.PENDING_SUBMIT,
        combo_type=intent.combo_type or "", combo_legs=[leg.canonical() for leg in intent.legs],
        actor_type=actor.kind, actor_id=actor.ref_id, actor_label=actor.label, door=actor.door,
        request_id=actor.request_id, risk_decision=decision.as_dict(), policy_version=decision.policy_version,
        created_at=timezone.now(),
    )
    # The account was just resolved (and locked) by the caller: no query to check it exists.
    order.full_clean(exclude=["account"], validate_unique=False, validate_constraints=False)
    hot_insert(order)
    audit_record(actor=actor, event_type="order.transition", account=account,
                 payload={**order.audit_payload(), "from": None, "to": S.PENDING_SUBMIT,
                          "risk_decision": {"accepted": True, "checked": decision.checked, "notional": decision.notional}})
    return order


def _quantity_of(intent: OrderIntent, decision: RiskDecision) -> Decimal:
    """An order's quantity row; an order by amount's is the shares its amount buys at the reference price
    (what open exposure and same-side sales count until Tiger reports the shares it bought)."""
    if intent.amount is None:
        return intent.quantity
    return max((intent.amount / Decimal(decision.reference_price)).quantize(Decimal("0.000001")),
               Decimal("0.000001"))


def _submit(*, order: Order, actor) -> Order:
    """The one network call for a new order. Never retried: an unknown outcome becomes UNKNOWN."""
    if order.risk_decision.get("risk_increasing", True) and selectors.kill_switch_scope(account=order.account):
        return _transition(order.pk, S.REJECTED, actor=actor, reason=KILLED_BEFORE_SEND, only_from={S.PENDING_SUBMIT})
    try:
        result = broker_for(order.account).place_order(_intent_of(order, group=True), remark=order.remark)
    except OutcomeUnknown as exc:
        return _transition(order.pk, S.UNKNOWN, actor=actor, reason=exc.message, only_from={S.PENDING_SUBMIT})
    except NOT_SENT_ERRORS as exc:
        return _transition(order.pk, S.REJECTED, actor=actor, reason=NOT_SENT.format(message=exc.message),
                           only_from={S.PENDING_SUBMIT})
    except Exception as exc:  # a bug or an error we do not know: the order may exist, so UNKNOWN
        logger.exception("place_order failed unexpectedly for order %s", order.pk)
        reason = exc.message if isinstance(exc, BrokerError) else f"unexpected error ({type(exc).__name__})"
        return _transition(order.pk, S.UNKNOWN, actor=actor, reason=reason, only_from={S.PENDING_SUBMIT})
    try:
        order = _apply_ack(order.pk, order.account, result, actor=actor)
    except Exception as exc:  # Tiger has the order; we failed to write that down
        logger.exception("recording Tiger's acknowledgement %s of order %s failed", result.broker_id, order.pk)
        return _transition(order.pk, S.UNKNOWN, actor=actor, reason=ACK_NOT_RECORDED.format(error=type(exc).__name__),
                           only_from={S.PENDING_SUBMIT})
    if order.risk_decision.get("risk_increasing", True) and selectors.kill_switch_scope(account=order.account) \
            and order.status in ACTIVE:
        # The switch went on while this order was in flight: the sweep may have missed it.
        _cancel_at_broker(order=order, actor=actor, reason="kill switch")
        order.refresh_from_db()
    return order


def _apply_ack(order_pk: int, account, result, *, actor) -> Order:
    broker_id = str(result.broker_id)
    with transaction.atomic():
        order = _lock_order_to_bind(order_pk, account, broker_id)
        holder = order.broker_id_holder
        if holder is not None or (order.broker_id and order.broker_id != broker_id):
            _binding_refused(order, broker_id, holder or order.pk, actor=actor)
            return order
        order.broker_id = broker_id
        order.broker_order_id = order.broker_order_id or result.order_id
        if order.status in UNACKED:
            order.set_status(S.SUBMITTED, actor=actor, reason="acknowledged by Tiger",
                             changed=("broker_id", "broker_order_id"))
        else:  # reconciliation got there first
            order.save(update_fields=["broker_id", "broker_order_id", "updated_at"])
        if result.legs:
            legs_record(order, result.legs, actor=actor)
    return order


def _working_order(account, order_id: int, verb: str) -> Order:
    order = Order.objects.select_related("account").filter(account=account, pk=order_id).first()
    if order is None:
        raise InvalidInput(selectors.NO_SUCH_ORDER.format(order_id=order_id, account=account.account_number),
                           code="unknown_order")
    if order.status not in ACTIVE:
        if order.status in UNACKED:
            raise Conflict(NOT_ACKED.format(order_id=order.pk, status=order.status), code="order_not_acknowledged")
        raise Conflict(NOT_WORKING.format(order_id=order.pk, status=order.status, verb=verb), code="order_not_working")
    return order


def _modified_intent(order: Order, quantity, limit_price, stop_price, trailing_amount=None,
                     trailing_percent=None) -> OrderIntent:
    current = _intent_of(order)
    changes = {}
    if trailing_amount is not None:  # a trailing stop trails by an amount or a percent, never both
        changes.update(trailing_amount=trailing_amount, trailing_percent=None)
    if trailing_percent is not None:
        changes.update(trailing_percent=trailing_percent, trailing_amount=None)
    if quantity is not None:
        changes["quantity"] = quantity
    if limit_price is not None:
        changes["limit_price"] = limit_price
    if stop_price is not None:
        changes["stop_price"] = stop_price
    new = intent_with_changes(current, **changes)
    if new == current:
        raise InvalidInput(NOTHING_TO_MODIFY)
    if new.quantity < order.filled_quantity:
        raise InvalidInput(BELOW_FILLED.format(quantity=new.quantity, filled=order.filled_quantity))
    return new


def _take_prices(order: Order, new: OrderIntent) -> None:
    order.quantity, order.limit_price, order.stop_price = new.quantity, new.limit_price, new.stop_price
    order.trailing_amount, order.trailing_percent = new.trailing_amount, new.trailing_percent


def _modify_payload(order: Order, new: OrderIntent) -> tuple[dict, str]:
    payload = {"order_id": order.pk, "broker_id": order.broker_id, "new": new.canonical()}
    return payload, hashlib.sha256(f"{order.pk}:{new.hash()}".encode()).hexdigest()


def order_modify_preview(*, actor: Actor, account_number: str | None, order_id: int, quantity=None, limit_price=None,
                         stop_price=None, trailing_amount=None, trailing_percent=None) -> OrderPreview:
    """Check a change to a working order against the risk policy (as if it were the order, without
    its old self in the exposure) and return a token that confirms exactly this change."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    order = _working_order(account, order_id, "modified")
    if order.combo_type:
        raise InvalidInput(COMBO_NO_MODIFY, code="combo_not_modifiable")
    new = _modified_intent(order, quantity, limit_price, stop_price, trailing_amount, trailing_percent)
    order_check_lots_and_ticks(actor=actor, account=account, intent=new)
    policy = risk_policy_for(account=account)
    facts = _gather_facts(account, new, policy, actor=actor)
    with transaction.atomic():
        decision = _evaluate_locked(actor=actor, account=account, intent=new, policy=policy, facts=facts,
                                    state=_lock_state(account), stage="modify_preview", exclude_order_id=order.pk,
                                    modifying=True)
    if not decision.accepted:
        raise RiskRefused(decision, account=account)
    payload, payload_hash = _modify_payload(order, new)
    return _issue_token(actor=actor, account=account, action=ConfirmAction.MODIFY, payload=payload,
                        payload_hash=payload_hash, decision=decision.as_dict(), order=order)


def order_modify(*, actor: Actor, account_number: str | None, order_id: int, confirmation_token: str,
                 expected: dict | None = None) -> Order:
    """Apply a previewed change. Risk is checked again under the account lock. While the change is
    in flight the order counts at the larger of its old and new notional."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    token = _find_token(actor=actor, account=account, plain=confirmation_token, action=ConfirmAction.MODIFY)
    if token.order_id != int(order_id):
        _refuse_confirmation(actor, account, ConfirmAction.MODIFY, "wrong_order", token)
        raise PermissionDenied(TOKEN_WRONG_ORDER.format(token_order=token.order_id, order=order_id), code="confirmation_invalid")
    _check_expected(actor=actor, account=account, token=token, previewed=token.payload["new"], expected=expected)
    order = _working_order(account, order_id, "modified")
    if not _positively_identified(order, actor=actor):
        raise Conflict(NOT_MODIFIED_UNIDENTIFIED.format(order=order.pk, broker_id=order.broker_id),
                       code="order_not_identified")
    new = OrderIntent.from_canonical(token.payload["new"])
    policy = risk_policy_for(account=account)
    facts = _gather_facts(account, new, policy, actor=actor)
    old = {"quantity": order.quantity, "limit_price": order.limit_price, "stop_price": order.stop_price,
           "trailing_amount": order.trailing_amount, "trailing_percent": order.trailing_percent,
           "reference_price": order.reference_price}
    refusal = None
    with transaction.atomic():
        try:
            state = _lock_state(account)
            _consume_token(actor=actor, account=account, token=token)
            order = _lock_order(order.pk)
            if order.status not in ACTIVE:
                raise _CommitThenRaise(Conflict(NOT_WORKING.format(order_id=order.pk, status=order.status, verb="modified"),
                                                code="order_not_working"))
            decision = _evaluate_locked(actor=actor, account=account, intent=new, policy=policy, facts=facts, state=state,
                                        stage="modify", exclude_order_id=order.pk, modifying=True)
            if not decision.accepted:
                raise _CommitThenRaise(RiskRefused(decision, account=account))
            new_ref = Decimal(decision.reference_price)
            grows = new.quantity * new_ref >= order.quantity * order.reference_price
            if grows:  # count the larger exposure while the broker decides
                _take_prices(order, new)
                order.reference_price = new_ref
                order.save()
            audit_record(actor=actor, event_type="order.modify_requested", account=account,
                         payload={**order.audit_payload(), "new": new.canonical(),
                                  "old": {k: canonical_decimal(v) for k, v in old.items()}})
        except _CommitThenRaise as wrapped:
            refusal = wrapped.error
    if refusal is not None:
        ORDERS.labels(account=account.account_number, side=new.side, outcome="refused").inc()
        raise refusal
    try:
        broker_for(account).modify_order(order.broker_id, new, remark=order.remark)
    except OutcomeUnknown as exc:
        audit_record(actor=actor, event_type="order.modify_unknown", account=account,
                     payload={**order.audit_payload(), "reason": exc.message})
        return order
    except BrokerError as exc:
        with transaction.atomic():
            order = _lock_order(order.pk)
            for name, value in old.items():
                setattr(order, name, value)
            order.save()
            audit_record(actor=actor, event_type="order.modify_rejected", account=account,
                         payload={**order.audit_payload(), "reason": exc.message})
        raise
    with transaction.atomic():
        order = _lock_order(order.pk)
        _take_prices(order, new)
        order.reference_price = Decimal(decision.reference_price)
        order.save()
        audit_record(actor=actor, event_type="order.modified", account=account, payload=order.audit_payload())
    return order


def order_cancel_preview(*, actor: Actor, account_number: str | None, order_id: int) -> OrderPreview:
    """A token confirming the cancellation of one working order (cancelling never adds risk)."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    order = _working_order(account, order_id, "cancelled")
    payload = {"order_id": order.pk, "broker_id": order.broker_id, "symbol": order.symbol, "side": order.side,
               "quantity": canonical_decimal(order.quantity), "filled_quantity": canonical_decimal(order.filled_quantity)}
    decision = {"accepted": True, "rule": "", "message": "Cancelling reduces exposure."}
    return _issue_token(actor=actor, account=account, action=ConfirmAction.CANCEL, payload=payload,
                        payload_hash=hashlib.sha256(f"cancel:{order.pk}".encode()).hexdigest(), decision=decision,
                        order=order)


def order_cancel(*, actor: Actor, account_number: str | None, order_id: int, confirmation_token: str) -> Order:
    """Cancel a working order with the token from order_cancel_preview. Returns the order, usually
    CANCEL_PENDING (CANCELLED once Tiger confirms; reconciliation completes it)."""
    account = account_route(actor, account_number, scope=Scope.TRADE)
    token = _find_token(actor=actor, account=account, plain=confirmation_token, action=ConfirmAction.CANCEL)
    if token.order_id != int(order_id):
        _refuse_confirmation(actor, account, ConfirmAction.CANCEL, "wrong_order", token)
        raise PermissionDenied(TOKEN_WRONG_ORDER.format(token_order=token.order_id, order=order_id), code="confirmation_invalid")
    refusal = None
    with transaction.atomic():
        try:
            _consume_token(actor=actor, account=account, token=token)
        except _CommitThenRaise as wrapped:
            refusal = wrapped.error
    if refusal is not None:  # a spent or expired token: nothing is sent
        ORDERS.labels(account=account.account_number, side=token.payload.get("side", ""), outcome="refused").inc()
        raise refusal
    order = _working_order(account, order_id, "cancelled")
    return _cancel_at_broker(order=order, actor=actor, reason="cancel requested", raise_errors=True)


def order_cancel_by_operator(*, actor: Actor, order_id: int) -> Order:
    """An operator's cancel from the admin, whose action is its own confirmation step: no token.
    The operator needs trade on the order's account; the request is audited, then the order is
    cancelled exactly as order_cancel does (positively identified at Tiger first)."""
    if not _is_operator(actor):
        raise PermissionDenied(OPERATORS_ONLY.replace("use the kill switch", "cancel from the admin"), code="operators_only")
    order = Order.objects.select_related("account").filter(pk=order_id).first()
    if order is None:
        raise InvalidInput(f"No order {order_id}.", code="unknown_order")
    account = account_for_actor(actor, order.account.account_number, scope=Scope.TRADE)
    order = _working_order(account, order_id, "cancelled")
    with transaction.atomic():
        audit_record(actor=actor, event_type="order.cancel_requested", account=account,
                     payload={**order.audit_payload(), "by": "operator"})
    return _cancel_at_broker(order=order, actor=actor, reason="cancel requested by an operator", raise_errors=True)


def _cancel_at_broker(*, order: Order, actor, reason: str, raise_errors: bool = False) -> Order:
    """Cancel one working order at Tiger, only once Tiger's order under its broker id is positively
    this order (its reference matches); otherwise the row goes UNKNOWN with an alert and nothing is sent."""
    if order.status not in ACTIVE or not order.broker_id:
        return order
    try:
        identified = _positively_identified(order, actor=actor)
    except BrokerError:
        if raise_errors:
            raise
        return Order.objects.select_related("account").get(pk=order.pk)  # not sent: the order still works
    if not identified:
        if raise_errors:
            raise Conflict(NOT_CANCELLED_UNIDENTIFIED.format(order=order.pk, broker_id=order.broker_id),
                           code="order_not_identified")
        return Order.objects.select_related("account").get(pk=order.pk)
    with transaction.atomic():
        locked = _lock_order(order.pk)
        if locked.status not in ACTIVE or locked.broker_id != order.broker_id:
            return locked
        previous = locked.status
        locked.set_status(S.CANCEL_PENDING, actor=actor, reason=reason)
    try:
        broker_for(locked.account).cancel_order(locked.broker_id)
    except OutcomeUnknown:
        return locked  # still CANCEL_PENDING; reconciliation reads the truth
    except BrokerRejected as exc:
        # Too late (filled) or refused: read the order's real state.
        _sync_one(locked, actor=actor, cancel_refused=exc.message)
        if raise_errors:
            raise
        return Order.objects.get(pk=locked.pk)
    except BrokerError as exc:  # not sent: the order still works
        _transition(locked.pk, previous, actor=actor, reason=f"cancel not sent: {exc.message}",
                    only_from={S.CANCEL_PENDING})
        if raise_errors:
            raise
        return Order.objects.get(pk=locked.pk)
    try:
        _sync_one(locked, actor=actor)
    except BrokerError:
        pass  # the cancel went through; reconciliation will read the final state
    return Order.objects.select_related("account").get(pk=locked.pk)

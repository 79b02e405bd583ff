"""Risk policies: the one editable policy per account, versioned on every save."""


from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import TigerAccount
from audit.services import audit_record
from core.errors import (
    InvalidInput,
)
from trading import selectors
from trading.models import (
    AccountTradingState,
    RiskPolicy,
    RiskPolicyVersion,
)


def risk_policy_save(*, actor: Actor, policy: RiskPolicy) -> RiskPolicy:
    """Create or edit a policy: a new version, its snapshot, and one audit event."""
    creating = policy.pk is None
    with transaction.atomic():
        if not creating:
            current = RiskPolicy.objects.select_for_update().get(pk=policy.pk)
            policy.version = current.version
        policy.version += 1
        try:
            policy.full_clean()
        except Exception as exc:
            raise InvalidInput(f"Risk policy is not valid: {exc}") from None
        policy.save()
        snapshot = policy.snapshot()
        RiskPolicyVersion.objects.create(policy=policy, version=policy.version, snapshot=snapshot,
                                         created_at=timezone.now(), actor_label=actor.label)
        audit_record(actor=actor, event_type="risk_policy.created" if creating else "risk_policy.updated",
                     account=policy.account, payload=snapshot)
    return policy


def risk_policy_for(*, account: TigerAccount) -> RiskPolicy:
    """The account's policy; the conservative defaults are created (and audited) on first use."""
    policy = selectors.risk_policy_of(account=account)  # compiled once: every preview and place reads it
    if policy is not None:
        return policy
    try:
        return risk_policy_save(actor=Actor.system("task", "default risk policy"), policy=RiskPolicy(account=account))
    except (IntegrityError, InvalidInput):
        return RiskPolicy.objects.get(account=account)


def risk_policy_and_state_for(*, account: TigerAccount) -> tuple[RiskPolicy, AccountTradingState | None, str | None]:
    """risk_policy_for, with the account's trading state (unlocked; None before its first order) and
    kill switch scope read in the same statement (selectors.risk_policy_and_state): what a preview or a
    place reads before taking the account's lock."""
    policy, state, kill_switch = selectors.risk_policy_and_state(account=account)
    if policy is None:
        policy = risk_policy_for(account=account)
    return policy, state, kill_switch

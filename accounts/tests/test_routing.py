import pytest
from django.contrib.auth import get_user_model

from accounts.actors import Actor
from accounts.models import Scope
from accounts.services import account_save, grant_set
from accounts.tests.factories import make_account
from accounts.selectors import NO_ACCOUNT_CHOSEN, NO_USABLE_ACCOUNTS, account_route
from core.errors import InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(system_actor):
    a = make_account(label="Alpha")
    b = make_account(label="Beta")
    c = make_account(label="Gamma", permission=Scope.READ)
    hidden = make_account(label="Hidden")
    user = get_user_model().objects.create_user("router-user", password="pw-router-123456")
    for account, scope in ((a, Scope.TRADE), (b, Scope.TRADE), (c, Scope.READ)):
        grant_set(actor=system_actor, account=account, scope=scope, user=user)
    return {"a": a, "b": b, "c": c, "hidden": hidden, "actor": Actor.for_user(user, door="api")}


def _set_default(account):
    account.is_default = True
    account_save(actor=Actor.system("cli"), account=account, changed=["is_default"])


def test_explicit_then_context_then_configured_default(world):
    actor, a, b, c = world["actor"], world["a"], world["b"], world["c"]
    _set_default(a)
    assert account_route(actor, b.account_number, context_default=c.account_number) == b
    assert account_route(actor, None, context_default=c.account_number) == c
    assert account_route(actor) == a
    assert account_route(actor, "  ", context_default="") == a


def test_unknown_or_forbidden_account_lists_usable_ones(world):
    actor = world["actor"]
    for number in ("NOPE123", world["hidden"].account_number):
        with pytest.raises(NotFound) as err:
            account_route(actor, number)
        msg = err.value.message
        assert number in msg
        for usable in ("a", "b", "c"):
            assert world[usable].account_number in msg
        # The hidden account is never offered as usable: named at most once, as the one asked for.
        assert msg.count(world["hidden"].account_number) == (number == world["hidden"].account_number)


def test_stale_context_default_is_an_error_not_a_silent_switch(world):
    _set_default(world["a"])
    with pytest.raises(NotFound) as err:
        account_route(world["actor"], context_default=world["hidden"].account_number)
    assert world["a"].account_number in err.value.message


def test_no_default_and_several_accounts_asks_the_caller_to_choose(world):
    with pytest.raises(InvalidInput) as err:
        account_route(world["actor"])
    assert err.value.code == "account_required"
    assert err.value.message.startswith(NO_ACCOUNT_CHOSEN.split("{")[0])
    assert world["b"].account_number in err.value.message


def test_single_usable_account_needs_no_default(system_actor):
    only = make_account(label="Only")
    make_account(label="Other")
    user = get_user_model().objects.create_user("solo", password="pw-solo-123456")
    grant_set(actor=system_actor, account=only, scope=Scope.READ, user=user)
    assert account_route(Actor.for_user(user, door="mcp")) == only


def test_no_accounts_at_all():
    user = get_user_model().objects.create_user("nobody", password="pw-nobody-123456")
    with pytest.raises(NotFound) as err:
        account_route(Actor.for_user(user, door="api"))
    assert err.value.message == NO_USABLE_ACCOUNTS.format(verb="read")


def test_trade_scope_on_a_read_only_grant_says_why(world):
    with pytest.raises(PermissionDenied) as err:
        account_route(world["actor"], world["c"].account_number, scope=Scope.TRADE)
    assert world["a"].account_number in err.value.message and world["c"].account_number in err.value.message
    # The configured default is skipped for trading when it is not tradeable for this caller.
    _set_default(world["c"])
    with pytest.raises(InvalidInput):
        account_route(world["actor"], scope=Scope.TRADE)

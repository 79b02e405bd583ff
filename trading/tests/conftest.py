from decimal import Decimal

import pytest


@pytest.fixture
def account(sim, make_tiger_account):
    # Its own developer id: Tiger's per-developer rate limits then never leak between tests.
    return make_tiger_account(developer=sim.create_developer())


@pytest.fixture
def futures_account(sim, account, system_actor):
    """The account with USD 100,000 in its futures segment and money limits a future fits in."""
    from trading import services

    sim.transfer_to_futures(account.account_number, "USD", Decimal("100000"))
    policy = services.risk_policy_for(account=account)
    policy.max_order_notional = Decimal("2000000")
    policy.max_open_exposure = Decimal("5000000")
    policy.allowed_markets = "US,HK"
    services.risk_policy_save(actor=system_actor, policy=policy)
    return account


@pytest.fixture
def api(account, api_client_for):
    """A DRF client holding an API token with a trade grant on `account`: a scripted caller over REST."""
    from accounts.models import Scope

    return api_client_for(account, Scope.TRADE, name="script")


@pytest.fixture
def last_price(account):
    from trading.services import last_price as fetch

    def get(symbol="AAPL") -> Decimal:
        return fetch(account, symbol)

    return get


@pytest.fixture
def place(system_actor, account):
    """Preview and place through the services, as every door does."""
    from trading.services import order_place, order_preview

    def run(*, key=None, actor=None, acct=None, **order):
        import uuid

        acct = acct or account
        values = {"symbol": "AAPL", "side": "BUY", "quantity": "10", "order_type": "MKT"}
        values.update(order)
        preview = order_preview(actor=actor or system_actor, account_number=acct.account_number, **values)
        return order_place(actor=actor or system_actor, account_number=acct.account_number,
                           confirmation_token=preview.confirmation_token, idempotency_key=key or uuid.uuid4().hex)

    return run


@pytest.fixture
def trader(client, account, system_actor):
    """The test client logged in as staff who may view orders and trade `account` (the admin's order pages)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from accounts.models import Scope
    from accounts.services import grant_set

    user = get_user_model().objects.create_user("desk", password="pw-desk-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    grant_set(actor=system_actor, account=account, scope=Scope.TRADE, user=user)
    client.force_login(user)
    return client


@pytest.fixture
def hk_session(sim, account, system_actor, db):
    """Hong Kong's morning on the simulator's clock (given back after), and HK allowed by the policy."""
    import datetime as dt

    from trading import services

    policy = services.risk_policy_for(account=account)
    policy.allowed_markets = "US,HK"
    services.risk_policy_save(actor=system_actor, policy=policy)
    start = sim.clock.now()
    sim.clock.set(dt.datetime(2026, 11, 24, 2, 30, tzinfo=dt.timezone.utc))  # Tuesday 10:30 in Hong Kong
    try:
        yield
    finally:
        sim.clock.set(start)

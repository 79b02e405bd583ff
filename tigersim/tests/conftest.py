import datetime as dt
import json
from pathlib import Path

import pytest

from tigersim.clock import SimClock
from tigersim.server import Simulator

# Tuesday 2026-03-10, 11:00 New York: inside the US regular session whenever the tests run.
US_SESSION = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.timezone.utc)
US_PREMARKET = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)  # 08:00 EDT
SATURDAY = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())["data"]


@pytest.fixture
def sim():
    simulator = Simulator(seed=42, clock=SimClock(US_SESSION, frozen=True), match_interval=None).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def demo(sim):
    return sim.ensure_demo()


@pytest.fixture
def trade(sim, demo):
    from tigeropen.trade.trade_client import TradeClient
    return TradeClient(sim.client_config(demo))


@pytest.fixture
def cash_trade(sim, demo):
    from tigeropen.trade.trade_client import TradeClient
    return TradeClient(sim.client_config(demo, demo.accounts[1]))


@pytest.fixture
def quote(sim, demo):
    from tigeropen.quote.quote_client import QuoteClient
    return QuoteClient(sim.client_config(demo), is_grab_permission=False)


class Biz:
    """A minimal biz model for raw gateway calls through the SDK's own signing client."""

    def __init__(self, **fields):
        self.fields = fields
        self.version = fields.get("version")

    def to_openapi_dict(self):
        return dict(self.fields)


def raw_call(client, method, **fields):
    from tigeropen.common.request import OpenApiRequest
    return client.execute(OpenApiRequest(method, Biz(**fields) if fields else None))

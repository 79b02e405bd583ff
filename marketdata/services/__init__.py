"""Market data, portfolio aggregation across accounts, snapshots and health checks.

Every function here is the one path for its job: MCP tools, the REST API, the admin and Celery tasks
call these and hold no logic of their own. Broker calls go through broker.client (whose calls pass
the rate limiter and circuit breaker in broker.limits); market data passes the cache in
broker.cache first.

One module per topic (market, portfolio, health); the public names are re-exported here."""

from marketdata.services.market import (  # noqa: F401
    BAR_PERIODS,
    MAX_BARS,
    MARKETS,
    BAD_PERIOD,
    BAD_LIMIT,
    BAD_PAGE_TOKEN,
    BAD_MARKET,
    quotes_get,
    BarsResult,
    bars_get,
    trade_ticks_get,
    contract_get,
    option_expirations_get,
    option_chain_get,
    account_market_status,
    market_status_get,
)
from marketdata.services.quote_data import (  # noqa: F401
    CAPITAL_PERIODS,
    depth_get,
    timeline_get,
    delayed_quotes_get,
    capital_flow_get,
    capital_distribution_get,
    broker_seats_get,
)
from marketdata.services.options import (  # noqa: F401
    OPTION_BAR_PERIODS,
    ANALYSIS_PERIODS,
    option_identifiers_clean,
    option_greeks_get,
    option_analysis_get,
    option_bars_get,
    option_ticks_get,
    OPTION_SYMBOL_MARKETS,
    option_symbols_get,
    option_depth_get,
)
from marketdata.services.account_history import (  # noqa: F401
    CASH_KINDS,
    SEGMENT_CURRENCIES,
    cash_history_get,
    transfers_get,
    segment_assets_get,
)
from marketdata.services.discovery import (  # noqa: F401
    SEARCH_MARKETS,
    CALENDAR_MARKETS,
    SCAN_MARKETS,
    SCAN_FIELDS,
    symbol_search,
    trading_calendar_get,
    market_scan_get,
)
from marketdata.services.fundamentals import (  # noqa: F401
    DAILY_FIELDS,
    REPORT_FIELDS,
    REPORT_PERIODS,
    ACTION_KINDS,
    INDUSTRY_LEVELS,
    financial_daily_get,
    financial_report_get,
    corporate_actions_get,
    industries_get,
)
from marketdata.services.futures import (  # noqa: F401
    FUTURE_EXCHANGES,
    FUTURE_BAR_PERIODS,
    future_codes_clean,
    future_contracts_get,
    future_quotes_get,
    future_bars_get,
)
from marketdata.services.portfolio import (  # noqa: F401
    NO_FX_RATE,
    INTERNAL_ERROR,
    fx_convert,
    AccountPortfolio,
    AccountFailure,
    PortfolioAggregate,
    portfolio_aggregate,
    portfolio_from_snapshot,
    as_jsonable,
    aggregate_as_data,
    portfolio_snapshot_create,
)
from marketdata.services.health import (  # noqa: F401
    account_health_check,
    account_connection_test,
    account_credentials_check,
    CREDENTIALS_REFUSED,
    GATEWAY_UNREACHABLE,
    celery_heartbeat_record,
    HEARTBEAT_KEY,
)

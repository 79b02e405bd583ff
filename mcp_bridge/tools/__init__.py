"""MCP tools by topic: typed adapters over the services. Tool names and parameters are a public contract.

Each tool resolves the caller (mcp_bridge.context), calls one service or selector in a worker thread
(mcp_bridge.adapter.call), and shapes the result (mcp_bridge.shapes). ApplicationError becomes a tool
error whose message says how to fix the call; nothing else about an unexpected failure leaves the server.
"""

from mcp_bridge.adapter import WRITE_UNAVAILABLE, call, require_write
from mcp_bridge.params import DESTRUCTIVE, PREVIEW, READ, WRITE_TOOLS
from mcp_bridge.tools import accounts, closing, futures, history, market, options, orders, portfolio, quotes, research
from mcp_bridge.tools.accounts import list_accounts

__all__ = ["TOOLSET_OF", "WRITE_TOOLS", "WRITE_UNAVAILABLE", "call", "list_accounts", "register", "require_write"]

# Registration order is the order clients list them in.
READ_TOOLS = {
    accounts.get_account_summary: "Account summary", accounts.get_positions: "Positions",
    portfolio.get_portfolio: "Portfolio (all accounts)", orders.get_orders: "Orders", orders.get_order: "Order",
    market.get_quote: "Quotes", market.get_bars: "Bars", market.get_trade_ticks: "Trade ticks",
    market.get_contract: "Contract", market.get_option_chain: "Option chain",
    market.get_market_status: "Market status", accounts.get_health: "Health",
    orders.get_fills: "Fills", accounts.get_pnl_history: "P&L history",
    orders.get_tradable_quantity: "Tradable quantity",
}

# Read tools of the toolsets beyond core (mcp_bridge.toolsets): listed only where a connection enables them.
TOOLSET_TOOLS = {
    "quotes": {
        quotes.get_depth: "Order book (level 2)", quotes.get_timeline: "Intraday timeline",
        quotes.get_delayed_quote: "Delayed quotes", quotes.get_capital_flow: "Capital flow",
        quotes.get_capital_distribution: "Capital distribution", quotes.get_broker_seats: "HK broker seats",
    },
    "options": {
        options.get_option_expirations: "Option expirations", options.get_option_greeks: "Option chain with Greeks",
        options.get_option_analysis: "Option IV/HV analysis", options.get_option_bars: "Option bars",
        options.get_option_ticks: "Option trades", options.get_option_depth: "Option order book",
        options.get_option_symbols: "HK option symbols",
    },
    "history": {
        history.get_cash_history: "Cash history", history.get_transfers: "Deposits and withdrawals",
        history.get_segment_assets: "Assets by segment and currency",
    },
    "research": {
        research.search_symbols: "Symbol search", research.get_trading_calendar: "Trading calendar",
        research.scan_market: "Market scanner", research.get_financial_daily: "Daily valuation",
        research.get_financial_report: "Financial report", research.get_corporate_actions: "Corporate actions",
        research.get_industries: "Industries",
    },
    "futures": {
        futures.get_future_contracts: "Futures contracts", futures.get_future_quote: "Futures quotes",
        futures.get_future_bars: "Futures bars",
    },
}
# Write tools of the toolsets beyond core: combos are option trading, listed with the options toolset
# so the default tool list stays as small as it was.
TOOLSET_WRITE_TOOLS = {"options": {orders.combo_order: "Combo (multi-leg) order"}}
# Tool name -> toolset; every tool not named here is core.
TOOLSET_OF = {fn.__name__: toolset for sets in (TOOLSET_TOOLS, TOOLSET_WRITE_TOOLS)
              for toolset, fns in sets.items() for fn in fns}


def register(add) -> None:
    """Pass every tool to `add(fn, **Tool.from_function options)` (mcp_bridge.server.build_tools)."""
    add(list_accounts, annotations=READ, title="List accounts")
    for fn, title in READ_TOOLS.items():
        add(fn, annotations=READ, title=title)
    add(orders.preview_order, annotations=PREVIEW, title="Preview order")
    add(orders.place_order, annotations=DESTRUCTIVE, title="Place order")
    add(orders.modify_order, annotations=DESTRUCTIVE, title="Modify order")
    add(orders.cancel_order, annotations=DESTRUCTIVE, title="Cancel order")
    add(closing.close_position, annotations=PREVIEW, title="Close position")
    for fns in TOOLSET_TOOLS.values():
        for fn, title in fns.items():
            add(fn, annotations=READ, title=title)
    for fns in TOOLSET_WRITE_TOOLS.values():
        for fn, title in fns.items():
            add(fn, annotations=DESTRUCTIVE, title=title)

"""Toolsets: which tools a connection lists and may call.

Every tool belongs to one toolset. A deployment picks the default (TIGERMCP_TOOLSETS); a client may
ask for others: `run_mcp --toolsets core,options` over stdio, `/mcp?toolsets=core,options` over
HTTP. "all" enables every toolset. The default is small ("core") so a model's context does not fill
with tools it will not use. Hiding is a courtesy to the model; services check every permission again."""

from __future__ import annotations

from core.errors import InvalidInput

TOOLSETS: dict[str, str] = {
    "core": "accounts, positions, portfolio, orders, quotes, bars, option chain, fills, P&L history",
    "quotes": "level-2 depth, intraday timelines, delayed quotes, capital flow and distribution, HK broker seats",
    "options": "option expirations, chains with Greeks, IV/HV analysis, option bars and trades",
    "history": "account funding and cash history, assets by segment and currency",
    "research": "fundamentals, corporate actions, industries, market scanner, trading calendar, symbol search",
    "futures": "futures contracts, quotes and bars",
}
DEFAULT_TOOLSETS = frozenset({"core"})
ALL = "all"

UNKNOWN_TOOLSET = "Unknown toolset '{name}'. Use any of: {names}, or 'all'."
NOT_ENABLED = ("{tool} is in the '{toolset}' toolset, which this connection has not enabled. Reconnect with it "
               "enabled (run_mcp --toolsets {enabled},{toolset}, or /mcp?toolsets={enabled},{toolset}) "
               "or ask the deployment to add it to TIGERMCP_TOOLSETS. (code: toolset_not_enabled)")


def toolsets_parse(text: str | None, *, default: frozenset[str] = DEFAULT_TOOLSETS) -> frozenset[str]:
    """'core,options' (commas or spaces) → the set; blank → `default`; 'all' → every toolset. Core is
    always on: without it a model cannot even list its accounts."""
    names = [n.strip().lower() for n in (text or "").replace(",", " ").split() if n.strip()]
    if not names:
        return frozenset(default)
    if ALL in names:
        return frozenset(TOOLSETS)
    for name in names:
        if name not in TOOLSETS:
            raise InvalidInput(UNKNOWN_TOOLSET.format(name=name[:40], names=", ".join(TOOLSETS)), code="bad_toolset")
    return frozenset(names) | {"core"}


def deployment_toolsets() -> frozenset[str]:
    from django.conf import settings

    return toolsets_parse(getattr(settings, "TIGERMCP_TOOLSETS", ""))


def not_enabled_message(tool: str, toolset: str, enabled: frozenset[str]) -> str:
    return NOT_ENABLED.format(tool=tool, toolset=toolset, enabled=",".join(sorted(enabled)))

"""Results a model reads without confusion, through the mcp package's own client: one shape per idea in
every tool, money rounded to its currency, hints that name tools which exist, input errors that say how
to fix the call.

The walk covers every registered tool, all toolsets enabled (new tools are checked without touching this module): their
descriptions and output schemas, a call with arguments built from the input schema, a call with a
wrong argument, and (where they take one) an unknown account.
"""

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision

from core.formatting import PRICE_PLACES
from mcp_bridge.tests.test_tools import error_text, ok, working_price

pytestmark = pytest.mark.anyio

# A word that reads as a tool name: a verb the tool names start with, then snake_case.
TOOL_WORD = re.compile(r"\b(?:get|list|place|preview|modify|cancel|search|set|find|scan)_[a-z_]+[a-z]\b")
# Money whose amount is a price keeps up to PRICE_PLACES decimals; every other amount its currency's.
PRICE_KEYS = {"limit_price", "stop_price", "avg_fill_price", "latest_price", "average_cost", "price", "strike",
              "bid", "ask", "open", "high", "low", "close", "pre_close"}
# Fields that hold money or quantities (measurements such as a process's cpu_percent may be numbers).
MONEY_WORD = re.compile(r"price|amount|value|cash|pnl|quantity|cost|commission|liquidation|power|size|volume|strike"
                        r"|^bid$|^ask$|^open$|^high$|^low$|^close$|total")
RAW_VALIDATION = ("pydantic", "errors.pydantic.dev", "http://", "https://", "type=", "input_value=", "validation error")


def all_tool_names() -> set[str]:
    """Every registered tool, whichever the server lists to this caller (a hint may name any of them)."""
    from mcp_bridge.server import build_tools

    return {t.name for t in build_tools()}


def named_tools(text: str) -> set[str]:
    return set(TOOL_WORD.findall(text or ""))


def schema_texts(node) -> list[str]:
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in ([v] if k == "description" and isinstance(v, str) else schema_texts(v))]
    if isinstance(node, list):
        return [t for v in node for t in schema_texts(v)]
    return []


def schema_problems(node, path="") -> list[str]:
    """Money in an output schema: an object with a string `amount` beside its `currency`."""
    problems = []
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and {"amount", "currency"} <= set(props):
            amount_type = props["amount"].get("type")
            types = amount_type if isinstance(amount_type, list) else [amount_type]
            if not set(types) <= {"string", "null"}:
                problems.append(f"{path}: money must be {{amount: decimal string, currency}}, got {props}")
        for key, value in node.items():
            problems += schema_problems(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            problems += schema_problems(value, f"{path}[{i}]")
    return problems


def value_problems(node, path="", key="") -> list[str]:
    """In a result: no floats anywhere; every money amount a decimal string with at most its
    currency's decimals (a price: at most PRICE_PLACES)."""
    problems = []
    if isinstance(node, float) and MONEY_WORD.search(key):
        problems.append(f"{path}: float {node!r}; money and quantities are decimal strings")
    elif isinstance(node, dict):
        if set(node) == {"amount", "currency"}:
            amount, currency = node["amount"], node["currency"]
            if amount is not None:
                if not isinstance(amount, str):
                    problems.append(f"{path}: amount {amount!r} is not a string")
                else:
                    places = PRICE_PLACES if key in PRICE_KEYS else get_currency_precision(currency)
                    exponent = Decimal(amount).as_tuple().exponent
                    if -exponent > places or "E" in amount.upper():
                        problems.append(f"{path}: {amount} {currency} has more than {places} decimals")
        for k, v in node.items():
            problems += value_problems(v, f"{path}.{k}", k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            problems += value_problems(v, f"{path}[{i}]", key)
    return problems


def error_problems(tool: str, text: str, known: set[str]) -> list[str]:
    problems = []
    if any(marker in text for marker in RAW_VALIDATION):
        problems.append(f"{tool}: raw validation text: {text}")
    if text.strip().rstrip(":") == f"Error executing tool {tool}":
        problems.append(f"{tool}: bare error with no explanation")
    unknown = named_tools(text) - known
    if unknown:
        problems.append(f"{tool}: error names tools that do not exist {sorted(unknown)}: {text}")
    return problems


def sample_arguments(schema: dict, examples: dict) -> dict:
    """Arguments for the required parameters, from the input schema (an example by name where one fits)."""
    def sample(name: str, prop: dict):
        if name in examples:
            return examples[name]
        if "enum" in prop:
            return prop["enum"][0]
        types = prop.get("type", "string")
        kind = next((t for t in (types if isinstance(types, list) else [types]) if t != "null"), "string")
        if kind == "string":
            return {"date": date(2026, 3, 9).isoformat(),
                    "date-time": datetime(2026, 3, 9, tzinfo=timezone.utc).isoformat()}.get(prop.get("format"), "AAPL")
        if kind in ("integer", "number"):
            return prop.get("minimum", 1)
        if kind == "boolean":
            return False
        if kind == "array":
            return [sample(name, prop.get("items", {}))]
        return {}

    props = schema.get("properties", {})
    return {name: sample(name, props[name]) for name in schema.get("required", [])}


def wrong_arguments(schema: dict, good: dict) -> dict | None:
    """The good arguments with one made wrong: an enum value in lower case, else a string for a number,
    else a required one left out."""
    props = schema.get("properties", {})
    for name, prop in props.items():
        if "enum" in prop and isinstance(prop["enum"][0], str) and prop["enum"][0].lower() != prop["enum"][0]:
            return {**good, name: prop["enum"][0].lower()}
    for name, prop in props.items():
        types = prop.get("type")
        if types in ("integer", "number") or (isinstance(types, list) and {"integer", "number"} & set(types)):
            return {**good, name: "not-a-number"}
    required = schema.get("required", [])
    return {k: v for k, v in good.items() if k != required[0]} if required else None


async def test_every_tool_reads_the_same_way(world):
    """Every listed tool: hints in its description and output schema name existing tools, money in
    its schema is {amount: string, currency}; a call's result has money at its currency's precision
    and no floats; a wrong argument and an unknown account give errors that say how to fix the call."""
    known = all_tool_names()
    examples = {"symbol": "AAPL", "symbols": ["AAPL"], "identifiers": ["AAPL  260320C00190000"], "side": "BUY", "quantity": "1", "order_type": "LMT",
                "limit_price": working_price(world.sim), "order_id": 999999, "base_currency": "HKD"}
    problems: list[str] = []
    # Every toolset: the walk covers every registered tool.
    async with world.stdio("--client", "trader", "--toolsets", "all") as mcp:
        tools = (await mcp.list_tools()).tools
        assert {t.name for t in tools} == known
        for tool in tools:
            texts = [tool.description or "", *schema_texts(tool.input_schema), *schema_texts(tool.output_schema)]
            for text in texts:
                unknown = named_tools(text) - known
                if unknown:
                    problems.append(f"{tool.name}: names tools that do not exist {sorted(unknown)}: {text}")
            problems += [f"{tool.name}{p}" for p in schema_problems(tool.output_schema)]

            good = sample_arguments(tool.input_schema, examples)
            result = await mcp.call_tool(tool.name, good)
            if result.is_error:
                problems += error_problems(tool.name, result.content[0].text, known)
            else:
                problems += [f"{tool.name}{p}" for p in value_problems(result.structured_content)]

            wrong = wrong_arguments(tool.input_schema, good)
            if wrong is not None:
                refused = await mcp.call_tool(tool.name, wrong)
                text = error_text(refused)
                problems += error_problems(tool.name, text, known)
                if "(code: invalid_arguments)" not in text:
                    problems.append(f"{tool.name}: a wrong argument {wrong} is not an invalid_arguments error: {text}")

            # Only where the sample arguments were accepted: then the account is the one thing wrong.
            if "account" in tool.input_schema.get("properties", {}) and not result.is_error:
                unknown_account = await mcp.call_tool(tool.name, {**good, "account": "999"})
                text = error_text(unknown_account)
                problems += error_problems(tool.name, text, known)
                if "list_accounts" not in text:
                    problems.append(f"{tool.name}: an unknown account does not point to list_accounts: {text}")
    assert problems == [], "\n".join(problems)


async def test_an_order_reads_the_same_in_place_order_get_orders_and_get_order(world):
    price = working_price(world.sim)
    order = {"symbol": "AAPL", "side": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": price}
    async with world.stdio("--client", "trader") as mcp:
        preview = ok(await mcp.call_tool("preview_order", order))
        placed = ok(await mcp.call_tool("place_order", {**order, "confirmation_token": preview["confirmation_token"]}))
        listed = ok(await mcp.call_tool("get_orders", {}))["orders"]
        one = ok(await mcp.call_tool("get_order", {"order_id": int(placed["order"]["order_ref"])}))
        cancel = ok(await mcp.call_tool("cancel_order", {"order_id": int(placed["order"]["order_ref"])}))
    [row] = [o for o in listed if o["order_ref"] == placed["order"]["order_ref"]]
    for shown in (placed["order"], row, one):
        assert shown["status"] == "SUBMITTED"
        # Nothing filled: no fill price and no commission yet, in every tool.
        assert shown["avg_fill_price"] is None and shown["commission"] is None
        # Neither TigerMCP's bookkeeping nor its "tm:" reference is shown as the order's remark.
        assert shown["remark"] is None
        assert shown["limit_price"] == {"amount": price, "currency": "USD"}
    assert placed["status"] == row["status"]
    # The cancel preview's token is where preview_order has it (and, for older clients, in preview).
    assert cancel["status"] == "confirmation_required"
    assert cancel["confirmation_token"] and cancel["confirmation_token"] == cancel["preview"]["confirmation_token"]
    assert cancel["expires_at"] == cancel["preview"]["expires_at"]
    assert preview["confirmation_token"]


async def test_the_confusions_a_new_user_met_are_gone(world):
    async with world.stdio("--client", "trader") as mcp:
        # A HKD total is rounded to cents.
        portfolio = ok(await mcp.call_tool("get_portfolio", {"base_currency": "HKD"}))
        for name, total in portfolio["totals"].items():
            assert total["currency"] == "HKD"
            assert -Decimal(total["amount"]).as_tuple().exponent <= 2, (name, total)
        # An unknown order points to a tool that exists.
        missing = error_text(await mcp.call_tool("get_order", {"order_id": 987654}))
        assert "list_orders" not in missing and "get_orders" in missing
        # A lower-case side says which values are allowed, without pydantic's text.
        side = error_text(await mcp.call_tool("preview_order", {"symbol": "AAPL", "side": "buy", "quantity": "1",
                                                                 "order_type": "MKT"}))
        assert "side" in side and "'BUY' or 'SELL'" in side and "you sent 'buy'" in side
        assert "pydantic" not in side and "http" not in side
        missing_args = error_text(await mcp.call_tool("preview_order", {"symbol": "AAPL"}))
        assert "side is required" in missing_args and "order_type is required" in missing_args
        # quantity may be left out for amount: the service says so when both are.
        no_size = error_text(await mcp.call_tool("preview_order", {"symbol": "AAPL", "side": "BUY",
                                                                   "order_type": "MKT"}))
        assert "quantity is required" in no_size and "or give amount" in no_size
        # "700" is Hong Kong's 00700.
        quotes = ok(await mcp.call_tool("get_quote", {"symbols": ["700"]}))
        assert quotes["quotes"] == [] and any("00700" in h for h in quotes["hints"])
        both = ok(await mcp.call_tool("get_quote", {"symbols": ["AAPL", "0700"]}))
        assert [q["symbol"] for q in both["quotes"]] == ["AAPL"] and "00700" in both["hints"][0]


def test_the_checks_catch_what_they_look_for():
    """The walkers above, shown failing on the shapes the issue reported."""
    assert value_problems({"totals": {"cash": {"amount": "10080010.08001007995007995008", "currency": "HKD"}}})
    assert not value_problems({"totals": {"cash": {"amount": "10080010.08", "currency": "HKD"}}})
    assert value_problems({"limit_price": {"amount": "1.123456", "currency": "USD"}})
    assert not value_problems({"limit_price": {"amount": "1.1234", "currency": "USD"}})
    assert value_problems({"quantity": 1.5}) and not value_problems({"cpu_percent": 1.5})
    assert error_problems("get_order", "No order 1. Call list_orders to see them.", {"get_order", "get_orders"})
    assert error_problems("place_order", "1 validation error ... https://errors.pydantic.dev/2/v/literal_error",
                          {"place_order"})
    assert schema_problems({"properties": {"price": {"properties": {"amount": {"type": "number"}, "currency": {}}}}})
    assert not schema_problems({"properties": {"amount": {"type": ["string", "null"]}, "currency": {"type": "string"}}})

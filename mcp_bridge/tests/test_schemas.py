"""compact_schema: smaller published schemas that accept and refuse exactly what pydantic's do."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from mcp_bridge.schemas import OrderActionResult, PositionsResult, compact_schema


class Node(BaseModel):
    title: str  # a property named like the keyword: data, not a keyword
    note: str | None = None
    children: list[Node] = []


def errors(schema: dict, value) -> list[str]:
    return sorted(e.message for e in Draft202012Validator(schema).iter_errors(value))


def test_refs_inlined_titles_dropped_nullable_types_merged():
    original = PositionsResult.model_json_schema()
    compact = compact_schema(original)
    assert "$defs" in original and "$defs" not in compact
    position = compact["properties"]["positions"]["items"]
    assert "$ref" not in str(compact) and "title" not in position and "title" not in compact
    assert position["properties"]["market"] == {"type": ["string", "null"]}
    amount = position["properties"]["average_cost"]["properties"]["amount"]
    assert amount["type"] == ["string", "null"] and amount["description"].startswith("Decimal string")


def test_recursive_model_keeps_its_reference_and_property_names():
    compact = compact_schema(Node.model_json_schema())
    assert set(compact["properties"]) == {"title", "note", "children"}
    assert compact["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert set(compact["$defs"]["Node"]["properties"]) == {"title", "note", "children"}
    assert errors(compact, {"title": "a", "children": [{"title": "b", "children": [{"title": "c"}]}]}) == []
    assert errors(compact, {"title": "a", "children": [{"title": 1}]}) == ["1 is not of type 'string'"]


GOOD_ACTION = {
    "status": "SUBMITTED", "message": "ok", "preview": None,
    "order": {"order_ref": "1", "broker_id": None, "account": "DU1", "symbol": "AAPL", "side": "BUY", "order_type": "LMT",
              "quantity": "1", "filled_quantity": None, "limit_price": {"amount": "1.5", "currency": "USD"},
              "stop_price": None, "avg_fill_price": None, "time_in_force": "DAY", "outside_rth": False,
              "status": "SUBMITTED", "remark": None, "open_time": None, "updated_at": None},
}


@pytest.mark.parametrize("value, valid", [
    (GOOD_ACTION, True),
    ({**GOOD_ACTION, "order": None}, True),
    ({**GOOD_ACTION, "status": None}, False),
    ({**GOOD_ACTION, "order": {**GOOD_ACTION["order"], "limit_price": {"amount": 1.5, "currency": "USD"}}}, False),
    ({**GOOD_ACTION, "order": {**GOOD_ACTION["order"], "limit_price": {"currency": "USD"}}}, False),
    ({**GOOD_ACTION, "preview": {"allowed": "yes"}}, False),
    ({"status": "x"}, False),
])
def test_compact_schema_judges_like_the_original(value, valid):
    original = OrderActionResult.model_json_schema()
    assert (errors(original, value) == []) is valid
    assert (errors(compact_schema(original), value) == []) is valid

"""The published tool list is a contract: names, descriptions, parameter and result schemas, annotations.

tool_contract.json is the list as published; a change to it is a change to the contract and must be
made on purpose (regenerate it with the snippet in this module's `published()` and review the diff).
"""

import json
from pathlib import Path

CONTRACT = Path(__file__).with_name("tool_contract.json")


def published() -> dict:
    from mcp_bridge.server import build_tools

    return json.loads(json.dumps({
        t.name: {"title": t.title, "description": t.description, "parameters": t.parameters,
                 "output": t.fn_metadata.output_schema,
                 "annotations": t.annotations.model_dump() if t.annotations else None}
        for t in build_tools()
    }, default=str))


def test_the_published_tools_are_exactly_the_contract():
    expected = json.loads(CONTRACT.read_text())
    actual = published()
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], f"tool {name} differs from {CONTRACT.name}"

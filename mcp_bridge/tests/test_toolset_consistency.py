"""The consistency walk of test_result_consistency over the tools of every toolset beyond core
(listed only with --toolsets): hints name existing tools, no floats, money at its currency's
precision, wrong arguments and unknown accounts answered with how to fix the call."""

import pytest

from mcp_bridge.tests.test_result_consistency import (
    all_tool_names,
    error_problems,
    named_tools,
    sample_arguments,
    schema_problems,
    schema_texts,
    value_problems,
    wrong_arguments,
)
from mcp_bridge.tests.test_tools import error_text
from mcp_bridge.tools import TOOLSET_OF

pytestmark = pytest.mark.anyio


async def test_every_toolset_tool_reads_the_same_way(world):
    known = all_tool_names()
    examples = {"symbol": "AAPL", "symbols": ["AAPL"], "identifiers": ["AAPL  260320C00190000"]}
    problems: list[str] = []
    async with world.stdio("--client", "reader", "--toolsets", "all") as mcp:
        tools = [t for t in (await mcp.list_tools()).tools if t.name in TOOLSET_OF]
        assert {t.name for t in tools} == set(TOOLSET_OF)
        for tool in tools:
            for text in [tool.description or "", *schema_texts(tool.input_schema), *schema_texts(tool.output_schema)]:
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
                text = error_text(await mcp.call_tool(tool.name, wrong))
                problems += error_problems(tool.name, text, known)
                if "(code: invalid_arguments)" not in text:
                    problems.append(f"{tool.name}: a wrong argument {wrong} is not an invalid_arguments error: {text}")
            if "account" in tool.input_schema.get("properties", {}):
                text = error_text(await mcp.call_tool(tool.name, {**good, "account": "999"}))
                problems += error_problems(tool.name, text, known)
                if "list_accounts" not in text:
                    problems.append(f"{tool.name}: an unknown account does not point to list_accounts: {text}")
    assert problems == [], "\n".join(problems)

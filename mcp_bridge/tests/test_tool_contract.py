"""The published tool list is a contract: names, descriptions, parameter and result schemas, annotations.

mcp_bridge/tool_contract.json is the list as published: run_mcp lists the tools from it without
generating their schemas (mcp_bridge.server.build_tools). A change to it is a change to the contract and
must be made on purpose: regenerate it with `python manage.py tool_contract` and review the diff.
"""

import json

from mcp_bridge.server import CONTRACT, build_tools, contract_text, tool_contract, tools_generate


def test_the_generated_tools_are_exactly_the_contract_file():
    expected = json.loads(CONTRACT.read_text(encoding="utf-8"))
    generated = tools_generate()
    actual = tool_contract(generated)
    assert list(actual) == list(expected)  # the order clients list them in
    for name in expected:
        assert actual[name] == expected[name], f"tool {name} differs from {CONTRACT.name}"
    # Key for key in the same order too: the tool list's bytes (and so its tokens) are the generated ones.
    assert contract_text(generated) == CONTRACT.read_text(encoding="utf-8")


def test_the_listed_tools_are_the_generated_ones_for_every_toolset_choice():
    for toolsets in (None, frozenset({"core"}), frozenset({"core", "options"}), frozenset({"research"})):
        listed, generated = build_tools(toolsets), tools_generate(toolsets)
        assert [t.name for t in listed] == [t.name for t in generated]
        assert json.dumps(tool_contract(listed)) == json.dumps(tool_contract(generated))
        # MCPServer.list_tools reads these attributes: what tools/list sends.
        for lt, gt in zip(listed, generated):
            assert (lt.title, lt.description, lt.parameters, lt.output_schema, lt.annotations, lt.icons, lt.meta) == \
                   (gt.title, gt.description, gt.parameters, gt.output_schema, gt.annotations, gt.icons, gt.meta)


def test_a_listed_tool_is_built_at_its_first_use_and_calls_like_the_generated_one():
    listed = build_tools()
    assert all(t._sdk_tool is None for t in listed)  # listing them built no argument or output model
    for lt, gt in zip(listed, tools_generate()):
        lm, gm = lt.fn_metadata, gt.fn_metadata
        assert lm.arg_model.model_json_schema() == gm.arg_model.model_json_schema(), lt.name
        assert (lm.output_model, lm.wrap_output, lm.output_schema) == (gm.output_model, gm.wrap_output, gm.output_schema)
        assert (lt.is_async, lt.context_kwarg, lt.resolved_params) == (gt.is_async, gt.context_kwarg, gt.resolved_params)
        assert lt.sdk_tool().parameters == gt.parameters
    assert all(t._sdk_tool is not None for t in listed)

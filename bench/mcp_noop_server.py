"""A bare MCP server: the mcp package's own MCPServer and stdio transport, one tool that does nothing.

bench.mcp_latency times it to show the floor: what any server built on this SDK adds to a call
through the mcp client over stdio, before it does any work.
"""

from mcp.server.mcpserver import MCPServer

server = MCPServer("noop")


@server.tool()
async def noop() -> str:
    """Does nothing."""
    return "ok"


if __name__ == "__main__":
    server.run("stdio")

"""What the test suites of several apps share (never imported by product code)."""

import os
import secrets
import socket

# Part of the name of each database a test run creates (pytest-django's, the MCP tests'), so that two
# runs against one server never drop each other's.
TEST_RUN_ID = secrets.token_hex(4)


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on: for a server a test starts, or one it expects down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environ_without(*prefixes: str) -> dict[str, str]:
    """This process's environment minus the variables starting with `prefixes`: for a subprocess
    whose configuration a test makes itself. It never reads the checkout's .env either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["TIGERMCP_READ_DOT_ENV"] = "false"
    return env

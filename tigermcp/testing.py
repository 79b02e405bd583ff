"""What the test suites of several apps share (never imported by product code)."""

import socket


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on: for a server a test starts, or one it expects down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

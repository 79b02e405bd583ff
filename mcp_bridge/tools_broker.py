"""Tools over the broker-facing services (marketdata, trading). Registered as those services land."""

from __future__ import annotations


def register(server) -> None:
    pass

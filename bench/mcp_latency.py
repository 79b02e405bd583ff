"""get_positions latency: through run_mcp over stdio (the mcp package's client) vs the same call made
directly with tigeropen, both against the gateway simulator.

    python -m bench.mcp_latency [--calls 300] [--official /tmp/tigermcp-official/bin/python]

Target (issue 6): run_mcp adds at most 2 ms at p50, and is faster than the official `tigermcp`
server (PyPI; needs `mcp<2` in its own virtualenv), measured when --official points at one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent


# Calls are spaced (--pause) as an assistant's are, not fired in a tight loop: the figures are then
# what one tool call costs. (Before the simulator disabled Nagle, back-to-back calls on one
# keep-alive connection also stalled ~40 ms on TCP's delayed ACK; the pause kept that out too.)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms, min {ordered[0] * 1000:.2f} ms"


async def interleaved(calls: int, direct, ours_params, ours_args: list[dict], official_params, floor_params,
                      pause: float) -> dict:
    """Each round times one direct call, one through run_mcp, one no-op through a bare mcp server and (if
    given) one through the official server, back to back, so a busy machine slows all alike."""
    from contextlib import AsyncExitStack

    from mcp import Client

    samples = {"direct": [], "ours": [], "official": [], "floor": []}
    async with AsyncExitStack() as stack:
        ours = await stack.enter_async_context(Client(ours_params, read_timeout_seconds=60))
        floor = await stack.enter_async_context(Client(floor_params, read_timeout_seconds=60))
        theirs = None
        if official_params is not None:
            theirs = await stack.enter_async_context(Client(official_params, read_timeout_seconds=60))
        for i in range(len(ours_args) + 5):  # warm-up: one SDK client per account on each side
            await anyio.sleep(pause)
            direct(i)
            await anyio.sleep(pause)
            await ours.call_tool("get_positions", ours_args[i % len(ours_args)])
            await floor.call_tool("noop", {})
            if theirs is not None and i < 3:
                await anyio.sleep(pause)
                await theirs.call_tool("get_positions", {})
        for i in range(calls):
            await anyio.sleep(pause)
            started = time.perf_counter()
            direct(i)
            samples["direct"].append(time.perf_counter() - started)
            started = time.perf_counter()
            result = await ours.call_tool("get_positions", ours_args[i % len(ours_args)])
            samples["ours"].append(time.perf_counter() - started)
            await anyio.sleep(pause)
            if result.is_error or not result.structured_content["positions"]:
                raise RuntimeError(f"run_mcp get_positions failed: {result.content[0].text}")
            started = time.perf_counter()
            await floor.call_tool("noop", {})
            samples["floor"].append(time.perf_counter() - started)
            await anyio.sleep(pause)
            if theirs is not None and i % 5 == 0:  # its one developer id: under 60 calls a minute
                await anyio.sleep(pause)
                started = time.perf_counter()
                result = await theirs.call_tool("get_positions", {})
                samples["official"].append(time.perf_counter() - started)
                text = result.content[0].text if result.content else ""
                if result.is_error or "AAPL" not in text:  # it reports errors as plain text
                    raise RuntimeError(f"official get_positions failed: {text[:300]}")
    return samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between calls (see the note on delayed ACKs)")
    parser.add_argument("--official", default="/tmp/tigermcp-official/bin/python",
                        help="python of a virtualenv with the PyPI tigermcp server (skipped if missing)")
    args = parser.parse_args(argv)

    from bench.support import GatewayProcess, bench_accounts, bench_django, bench_mcp_client, bench_simulator, official_server_env

    data_dir = bench_django("mcp-latency")

    # Tiger allows 60 position reads per minute per developer id, and the simulator and our own limiter
    # enforce it: spread the calls over enough developer ids (one account each) to stay under; the
    # official server (one account in its properties file) is called every fifth round.
    sim = bench_simulator(str(Path(tempfile.mkdtemp(dir=data_dir))))
    developers = -(-(2 * args.calls + 40) // 50)  # direct and run_mcp share each id
    from mcp import StdioServerParameters
    from tigeropen.trade.trade_client import TradeClient

    *accounts, official_account = bench_accounts(sim, developers + 1, per_developer=1, label="Latency")
    bench_mcp_client(accounts)
    trades = [(TradeClient(sim.client_config(sim.credentials(account.tiger_id), account.account_number)),
               account.account_number) for account in accounts]
    official_params = None
    official = Path(args.official)
    if official.exists():
        props, env = official_server_env(sim, official_account, data_dir)
        official_params = StdioServerParameters(command=str(official), args=["-m", "tigermcp.server"], env=env,
                                                cwd=str(props))
    # Serve the same state from its own process: a simulator inside this process would compete with
    # the direct client for this interpreter's CPU, and not with the servers'.
    served = GatewayProcess(sim, latency=0)

    def direct(i: int) -> None:
        trade, number = trades[i % len(trades)]
        if not trade.get_positions(account=number):
            raise RuntimeError("the bench accounts hold positions")

    ours = StdioServerParameters(command=sys.executable, args=["manage.py", "run_mcp", "--client", "bench"],
                                 env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=str(ROOT))
    # fresh_only: every call reads Tiger, as the direct one does, never the shared few-seconds-old read.
    arguments = [{"account": a.account_number, "fresh_only": True} for a in accounts]
    floor = StdioServerParameters(command=sys.executable, args=["-m", "bench.mcp_noop_server"],
                                  env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=str(ROOT))
    try:
        samples = anyio.run(interleaved, args.calls, direct, ours, arguments, official_params, floor, args.pause)
    finally:
        served.stop()

    p50 = {k: statistics.median(v) * 1000 for k, v in samples.items() if v}
    print(f"get_positions, {args.calls} interleaved rounds ({args.pause * 1000:.0f} ms apart), simulator in its own process")
    print(f"  tigeropen direct:           {percentiles(samples['direct'])}")
    print(f"  run_mcp over stdio (mcp):   {percentiles(samples['ours'])}")
    print(f"  added by run_mcp at p50:    {p50['ours'] - p50['direct']:.2f} ms   (target <= 2 ms)")
    print(f"  floor: a no-op tool on a bare mcp server (bench/mcp_noop_server.py): {percentiles(samples['floor'])}")
    print("         (what any server on this SDK adds through the mcp client over stdio, before doing any work)")
    if samples["official"]:
        print(f"  official tigermcp (stdio):  {percentiles(samples['official'])}")
        print(f"  run_mcp vs official at p50: {p50['ours'] - p50['official']:+.2f} ms   (target < 0)")
    else:
        print(f"  official tigermcp: skipped ({official} not found; see the module docstring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""run_mcp start-up: process start to the first tools/list answer, and idle memory.

    python -m bench.mcp_startup [--runs 7] [--official /tmp/tigermcp-official/bin/python]

Targets (issue 6): first tools/list within 1.2 s of process start on this machine; idle RSS of
run_mcp at most 200 MB. The raw JSON-RPC messages are written the moment the process is spawned
(as Claude Desktop does), so the figure includes interpreter, Django and MCP start-up.

With --official (a virtualenv holding the PyPI `tigermcp` server and `mcp<2`), the official Tiger
MCP server is measured the same way, pointed at the same simulator with TIGEROPEN_PROPS_PATH, in
turn with run_mcp (one start of each per round, so a change of the machine's load hits both). Each
start's CPU time at the reply (user + system, from /proc) is printed too: it moves less with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INIT = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_tools_list(cmd: list[str], env: dict, *, cwd=ROOT, extra: list[dict] = (), idle: float = 0.0,
                       cpu: list | None = None):
    """Seconds from spawn to the tools/list reply; RSS after `idle` seconds; optional extra requests.
    `cpu`: the process's CPU seconds at the reply are appended to it."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, bufsize=1)
    try:
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in INIT))
        proc.stdin.flush()
        elapsed, tools = None, 0
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{cmd[0]} exited before answering tools/list")
            try:
                message = json.loads(line)
            except ValueError:
                continue  # the official server prints a banner on stdout; not ours to judge here
            if message.get("id") == 2:
                elapsed = time.perf_counter() - started
                if cpu is not None:
                    cpu.append(cpu_seconds(proc.pid))
                tools = len(message["result"]["tools"])
                break
        for request in extra:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            while json.loads(proc.stdout.readline()).get("id") != request["id"]:
                pass
        if idle:
            time.sleep(idle)
        memory = rss_mb(proc.pid)
        return elapsed, tools, memory
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--official", default="/tmp/tigermcp-official/bin/python",
                        help="python of a virtualenv with the PyPI tigermcp server (skipped if missing)")
    parser.add_argument("--profile", metavar="FILE",
                        help="also start run_mcp once under cProfile and write the profile to FILE (pstats)")
    args = parser.parse_args(argv)

    from bench.support import bench_accounts, bench_django, bench_mcp_client, bench_simulator, official_server_env

    data_dir = bench_django("mcp-startup")
    sim = bench_simulator()
    [account] = bench_accounts(sim, 1, label="Startup")
    bench_mcp_client([account])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "manage.py", "run_mcp", "--client", "bench"]

    official = Path(args.official)
    off_cmd = off_env = props = None
    if official.exists():
        props, off_env = official_server_env(sim, account, data_dir)
        off_cmd = [str(official), "-m", "tigermcp.server"]
        time_to_tools_list(off_cmd, off_env, cwd=props)
    time_to_tools_list(cmd, env)  # warm the OS file cache and .pyc files once
    if args.profile:
        time_to_tools_list([sys.executable, "-m", "cProfile", "-o", args.profile, *cmd[1:]], env)
    samples, tools, idle_rss, cpu = [], 0, [], []
    off, off_cpu = [], []
    for _ in range(args.runs):
        elapsed, tools, memory = time_to_tools_list(cmd, env, idle=1.0, cpu=cpu)
        samples.append(elapsed)
        idle_rss.append(memory)
        if off_cmd:
            off.append(time_to_tools_list(off_cmd, off_env, cwd=props, idle=1.0, cpu=off_cpu))
    positions = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                 "params": {"name": "get_positions", "arguments": {"account": account.account_number}}}
    _, _, after_call = time_to_tools_list(cmd, env, extra=[positions], idle=1.0)

    print(f"run_mcp stdio, {tools} tools listed, {args.runs} runs")
    print(f"  start -> first tools/list: median {statistics.median(samples) * 1000:.0f} ms, "
          f"min {min(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms   (target <= 1200 ms); "
          f"CPU median {statistics.median(cpu) * 1000:.0f} ms")
    print(f"  idle RSS after start: {statistics.median(idle_rss):.0f} MB; after a get_positions call "
          f"(tigeropen loaded): {after_call:.0f} MB   (target <= 200 MB)")
    if off_cmd:
        wall = statistics.median(o[0] for o in off)
        print(f"official tigermcp (PyPI, mcp<2), {off[0][1]} tools listed, in turn with run_mcp")
        print(f"  start -> first tools/list: median {wall * 1000:.0f} ms, "
              f"min {min(o[0] for o in off) * 1000:.0f} ms; CPU median {statistics.median(off_cpu) * 1000:.0f} ms; "
              f"idle RSS {statistics.median(o[2] for o in off):.0f} MB")
        print(f"  run_mcp / official: {statistics.median(samples) / wall:.2f}x the time, "
              f"{statistics.median(cpu) / statistics.median(off_cpu):.2f}x the CPU   (target <= 1.00x the time)")
    else:
        print(f"official tigermcp: skipped ({official} not found; see the module docstring)")
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How much of a model's context the tool list takes: the default toolset, each toolset, and all tools,
against the official `tigermcp` server's list.

    python -m bench.tool_list_tokens [--official /tmp/tigermcp-official/bin/python]

The list is what a client puts in the model's context: each tool's name, title, description, input
schema and output schema, as the server sends them in its tools/list answer (compact JSON). Tokens are
counted with tiktoken's cl100k_base when tiktoken and its encoding file are available offline; else
estimated as characters / 4 (the usual rule of thumb for English and JSON; this machine has no
network, and tiktoken downloads its encodings on first use). The script says which it used.

--official: a virtualenv holding the PyPI `tigermcp` server and `mcp<2`
(`python -m venv /tmp/tigermcp-official && /tmp/tigermcp-official/bin/pip install tigermcp "mcp<2"`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.mcp_startup import INIT, ROOT


def tools_list(cmd: list[str], env: dict, *, cwd=ROOT) -> list[dict]:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, bufsize=1)
    try:
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in INIT))
        proc.stdin.flush()
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{cmd} exited before answering tools/list")
            try:
                message = json.loads(line)
            except ValueError:
                continue  # the official server prints a banner on stdout
            if message.get("id") == 2:
                return message["result"]["tools"]
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def counter():
    """(name, count) with tiktoken's cl100k_base if it loads without the network, else chars / 4."""
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base")
        return "tiktoken cl100k_base", lambda text: len(encoding.encode(text))
    except Exception:  # noqa: BLE001 - not installed, or its encoding file cannot be fetched offline
        return "estimate: characters / 4", lambda text: round(len(text) / 4)


MODEL_KEYS = ("name", "description", "inputSchema")


def measure(tools: list[dict], count) -> tuple[int, int, int, int]:
    """(tools, characters, tokens of the whole list, tokens of what a model is given: name,
    description and input schema; clients keep the output schema to check results)."""
    text = json.dumps(tools, separators=(",", ":"), ensure_ascii=False)
    model = json.dumps([{k: t[k] for k in MODEL_KEYS if k in t} for t in tools], separators=(",", ":"),
                       ensure_ascii=False)
    return len(tools), len(text), count(text), count(model)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--official", default="/tmp/tigermcp-official/bin/python",
                        help="python of a virtualenv with the PyPI tigermcp server (skipped if missing)")
    args = parser.parse_args(argv)

    from bench.support import bench_accounts, bench_django, bench_mcp_client, bench_simulator, official_server_env

    data_dir = bench_django("tool-list-tokens")
    sim = bench_simulator()
    from mcp_bridge.tools import TOOLSET_OF

    [account] = bench_accounts(sim, 1, label="Tokens")
    # A paper account the client may trade, so the write tools are listed too (the official server lists its own).
    bench_mcp_client([account], scope="trade")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    name, count = counter()
    rows = []
    toolsets_with_tools = list(dict.fromkeys(TOOLSET_OF.values()))
    for label, toolsets in [("default (core)", None), *[(f"core + {t}", t) for t in toolsets_with_tools],
                            ("all", "all")]:
        cmd = [sys.executable, "manage.py", "run_mcp", "--client", "bench"]
        if toolsets:
            cmd += ["--toolsets", toolsets]
        rows.append((f"run_mcp {label}", *measure(tools_list(cmd, env), count)))

    official = Path(args.official)
    if official.exists():
        props, off_env = official_server_env(sim, account, data_dir)
        rows.append(("official tigermcp", *measure(tools_list([str(official), "-m", "tigermcp.server"], off_env,
                                                              cwd=props), count)))
    else:
        print(f"official tigermcp: skipped ({official} not found; see the module docstring)")
    sim.stop()

    print(f"tools/list size ({name}); a trading client (write tools listed)")
    print(f"  {'':<28} {'tools':>5}  {'chars':>7}  {'tokens':>6}  {'model':>6}  (model: name, description, input schema)")
    base = next((r for r in rows if r[0] == "official tigermcp"), None)
    for label, tools, chars, tokens, model in rows:
        ratio = f"  {tokens / base[3]:.2f}x / {model / base[4]:.2f}x official" if base else ""
        print(f"  {label:<28} {tools:>5}  {chars:>7,}  {tokens:>6,}  {model:>6,}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The layers (README: Architecture) are enforced by import-linter's contracts in .importlinter, and
no module imports itself back through others. Both checks run on the real tree, and are shown to
fail on a copy of it with one forbidden import added."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "audit", "accounts", "broker", "marketdata", "trading", "mcp_bridge", "tigermcp", "tigersim")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=root,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})


CIRCLES = """
import json, sys
import grimp
graph = grimp.build_graph(*sys.argv[1:], cache_dir=None)
product = {m for m in graph.modules if ".tests" not in m and ".migrations" not in m}
edges = {m: {t for t in graph.find_modules_directly_imported_by(m) if t in product and t != m} for m in product}
index, low, stack, on_stack, groups = {}, {}, [], set(), []

def visit(v):  # Tarjan's strongly connected components
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        group = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            group.append(w)
            if w == v:
                break
        if len(group) > 1:
            groups.append(sorted(group))

sys.setrecursionlimit(10_000)
for v in sorted(product):
    if v not in index:
        visit(v)
print(json.dumps(groups))
"""


def import_circles(root: Path) -> list[list[str]]:
    """Groups of modules (outside tests and migrations) that import each other round, every import
    counted (also those inside functions). In a fresh interpreter, so `root` is the tree analysed."""
    done = subprocess.run([sys.executable, "-c", CIRCLES, *PACKAGES], cwd=root, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def copy_of_the_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_import_contracts_hold():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 7 kept, 0 broken." in done.stdout


def test_no_module_imports_itself_back():
    assert import_circles(ROOT) == []


def test_a_forbidden_import_breaks_the_contracts_and_makes_a_circle(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    # accounts may not know trading: an accounts module importing trading's selectors.
    (tree / "accounts" / "reach_up.py").write_text("from trading import selectors  # noqa\n")
    done = lint_imports(tree)
    assert done.returncode == 1
    assert "accounts imports neither trading nor marketdata BROKEN" in done.stdout
    assert "Layers: each imports only the layers below it BROKEN" in done.stdout
    # trading.selectors imports accounts.selectors; accounts.selectors importing it back closes a circle.
    (tree / "accounts" / "selectors.py").write_text((tree / "accounts" / "selectors.py").read_text()
                                                   + "\nfrom accounts import reach_up  # noqa\n")
    circles = import_circles(tree)
    assert any("accounts.selectors" in group and "trading.selectors" in group for group in circles)

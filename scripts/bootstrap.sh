# Sourced by scripts/run and scripts/test: a project virtualenv with the pinned requirements.
# Re-installs only when requirements.txt changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  echo "[tigermcp] creating virtualenv .venv with $PYTHON" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[tigermcp] installing requirements (about a minute the first time)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
# Byte-compile the project (quick when nothing changed). Where PYTHONDONTWRITEBYTECODE is set, Python
# would otherwise compile every module again on every start: ~0.3 s of run_mcp's start-up here.
.venv/bin/python -m compileall -q -x '/(\.venv|data|\.git)/' . >/dev/null

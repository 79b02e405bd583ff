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
# Browser libraries the admin serves itself (Chart.js for the dashboard's charts; no CDN, so the admin
# works offline): pinned by package-lock.json, installed into node_modules/ when the lock changed.
js_stamp=node_modules/.package-lock.sha256
js_want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$js_stamp" 2>/dev/null)" != "$js_want" ]; then
  if ! command -v npm >/dev/null; then
    echo "[tigermcp] npm not found: the admin's charts need it to install Chart.js (apt-get install npm)" >&2
    exit 1
  fi
  echo "[tigermcp] installing browser libraries (npm ci)" >&2
  npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$js_want" > "$js_stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
# Byte-compile the project (quick when nothing changed). Where PYTHONDONTWRITEBYTECODE is set, Python
# would otherwise compile every module again on every start: ~0.3 s of run_mcp's start-up here.
.venv/bin/python -m compileall -q -x '/(\.venv|data|\.git)/' . >/dev/null

#!/usr/bin/env bash
# Create .venv with the locked dependencies: finds Python 3.10 and uv, and does nothing when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION="0.13.9"
TOOLS=var/tools

find_python() {
  local candidate
  if candidate=$(command -v python3.10 2>/dev/null) && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    echo "$candidate"; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do
      [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
  fi
  for candidate in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  if command -v uv >/dev/null 2>&1 && candidate=$(uv python find 3.10 2>/dev/null); then
    echo "$candidate"; return
  fi
  return 1
}

find_uv() {
  if [ -x "$TOOLS/bin/uv" ]; then echo "$TOOLS/bin/uv"; return; fi
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  echo "bootstrap: installing uv $UV_VERSION into $TOOLS" >&2
  "$PYTHON" -m venv "$TOOLS" >&2
  "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2
  echo "$TOOLS/bin/uv"
}

if [ "${1:-}" = "--print-uv" ]; then
  # `make lint` asks which uv to run `uv pip check` with.
  PYTHON=$(find_python) || PYTHON=python3
  find_uv; exit 0
fi

stamp=.venv/.shaml-synced
if [ -f "$stamp" ] && [ "$stamp" -nt uv.lock ] && [ "$stamp" -nt pyproject.toml ] && [ -x .venv/bin/shaml ]; then
  exit 0
fi

if ! PYTHON=$(find_python); then
  echo "bootstrap: Python 3.10 not found (looked on PATH, in \$(pyenv root)/versions/3.10.*, and with 'uv python find')." >&2
  echo "bootstrap: install it, e.g. 'pyenv install 3.10' or 'uv python install 3.10', then run make again." >&2
  exit 1
fi
UV=$(find_uv)
echo "bootstrap: syncing .venv with uv.lock using $PYTHON" >&2
UV_PROJECT_ENVIRONMENT=.venv "$UV" sync --frozen --python "$PYTHON" --quiet
touch "$stamp"

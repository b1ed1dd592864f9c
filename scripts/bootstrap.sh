#!/usr/bin/env bash
# Prepare a fresh machine: uv (in the cache), the workspace venv, Kafka jars, FerretDB.
# Everything downloaded or built lives under $PATRONAGE_CACHE (default ~/.cache/patronage),
# outside the work tree, so a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATRONAGE_CACHE="${PATRONAGE_CACHE:-$HOME/.cache/patronage}"
export UV_CACHE_DIR="${UV_CACHE_DIR:-$PATRONAGE_CACHE/uv}"
export UV_PYTHON_DOWNLOADS=never
UV_VERSION=0.13.8
TOOLS="$PATRONAGE_CACHE/tools"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "bootstrap: $1 not found: $2" >&2; exit 1; }
}
need python3 "install Python 3.11+ (apt-get install python3 python3-venv)"
need java "install a JDK 17 (apt-get install openjdk-17-jdk-headless)"
need mvn "install Maven (apt-get install maven)"
need go "install Go 1.22+ (https://go.dev/doc/install or apt-get install golang)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "bootstrap: Python 3.11+ is required, found $(python3 --version)" >&2; exit 1; }

if [ ! -x "$TOOLS/bin/uv" ] || [ "$("$TOOLS/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "bootstrap: installing uv $UV_VERSION into $TOOLS"
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q "uv==$UV_VERSION"
fi
"$TOOLS/bin/uv" sync --frozen --python python3 -q
.venv/bin/python -m patronage_devinfra prepare
# Debian's Chromium for the gateway's browser tests (only if missing; needs root).
./scripts/install-chromium.sh \
  || echo "bootstrap: warning: no /usr/bin/chromium; the browser tests will fail" >&2

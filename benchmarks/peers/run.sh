#!/usr/bin/env bash
# Peer comparison: immunoporosis vs libroadrunner vs scipy vs diffrax on Lemaire 2004 (BIOMD0000000278).
# From the repository root:   bash benchmarks/peers/run.sh [peers.py options]
# Creates/reuses benchmarks/peers/.venv, installs the pinned requirements.txt, builds the
# release binary with `cargo build --release`, then runs peers.py (options are passed on,
# see `bash benchmarks/peers/run.sh --help`).  Environment: PYTHON (interpreter used to
# create the venv, default python3; jax needs Python >= 3.11).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

venv="$here/.venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"

if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "== creating virtual environment $venv"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "== installing $(realpath --relative-to="$root" "$req")"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$req"
    echo "$want" > "$stamp"
else
    echo "== reusing $(realpath --relative-to="$root" "$venv") (requirements unchanged)"
fi

echo "== cargo build --release"
cargo build --release

echo "== peers.py"
exec "$venv/bin/python" "$here/peers.py" "$@"

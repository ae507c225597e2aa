#!/usr/bin/env bash
# The Python suite (issue 14): a fresh virtual environment, the README's install command
# (`pip install ./python`, which builds the extension with maturin in the workspace's target/),
# with pandas, pytest and matplotlib; then pytest (python/tests, which also runs the example and
# checks what it prints) and the example itself, as the README tells a new user to run it.
# Needs python3 (3.9 or newer) with venv and pip, network access to PyPI (maturin, pandas,
# matplotlib, pytest) and a Rust toolchain. Run by .ci/run after the Rust tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
say() { echo "python-ci: $*"; }
venv=target/python-venv
out=target/python-example
say "virtual environment $venv"
python3 -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
build_start=$(date +%s)
"$venv/bin/pip" install --quiet ./python pandas pytest matplotlib
say "pip install ./python (and pandas, pytest, matplotlib): $(($(date +%s) - build_start)) s"
"$venv/bin/python" -m pytest -q python/tests
mkdir -p "$out"
"$venv/bin/python" docs/examples/denosumab_doses.py "$out/denosumab_doses.png"
say "ok in $(($(date +%s) - started)) s"

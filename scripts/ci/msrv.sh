#!/usr/bin/env bash
# The minimum Rust version: the highest `rust-version` among the locked dependencies must equal
# Cargo.toml's `rust-version` and the version the README names; then that toolchain must build
# everything (`cargo +VERSION check`). Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
needed=$(cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
m = json.load(sys.stdin)
ids = {n["id"] for n in m["resolve"]["nodes"]}
def key(v): return tuple(int(x) for x in v.split("."))
vs = [(key(p["rust_version"]), p["rust_version"], p["name"]) for p in m["packages"]
      if p["id"] in ids and p.get("rust_version") and p["source"] is not None]
best = max(vs)
print(".".join(best[1].split(".")[:2]), best[2])
')
version=${needed% *}
crate=${needed#* }
declared=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
echo "msrv: the locked dependencies need Rust $version (highest: $crate); Cargo.toml says $declared"
if [ "$declared" != "$version" ]; then
  echo "msrv: Cargo.toml's rust-version ($declared) is not what the locked dependencies need ($version)" >&2
  exit 1
fi
if ! grep -q "Rust toolchain ($version or newer" README.md; then
  echo "msrv: README.md does not name Rust $version as the minimum" >&2
  exit 1
fi
if [ "${1:-}" = "--build" ]; then
  rustup toolchain install "$version" --profile minimal >/dev/null
  # --workspace: the Python bindings (python/, outside the default members) too.
  cargo "+$version" check --locked --workspace --all-targets --target-dir target/msrv
  echo "msrv: Rust $version builds every target"
fi

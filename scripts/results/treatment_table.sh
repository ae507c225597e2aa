#!/usr/bin/env bash
# Runs the treatment scenarios and their comparators with the bundled parameters and prints a
# Markdown table of lumbar spine (LS) and total hip (TH) BMD change from day 0 at 1, 2, 3, 5 and
# 10 years (from each run's summary.json), then CTX over the two years after stopping denosumab.
# Usage: bash scripts/results/treatment_table.sh [binary] [output folder]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-target/release/immunoporosis}"
out="${2:-output/treatment_table}"
[ -x "$bin" ] || cargo build --release --locked >&2
scenarios=(placebo_pmo denosumab_single_dose denosumab_freedom denosumab_10y denosumab_stop
  teriparatide teriparatide_then_denosumab romosozumab_then_denosumab zoledronate alendronate
  menopause_natural pmo_hormone_therapy rheumatoid_arthritis ra_anti_tnf ra_jak_inhibitor
  ra_anti_il17 ra_anti_il6r ra_treg_expansion ra_abatacept)
for s in "${scenarios[@]}"; do
  "$bin" run "params/scenarios/$s.toml" --out "$out/$s" > /dev/null
done
python3 - "$out" "${scenarios[@]}" <<'PY'
import csv, json, sys
out, scenarios = sys.argv[1], sys.argv[2:]
years = [1, 2, 3, 5, 10]
print("| scenario | site | " + " | ".join(f"{y} y" for y in years) + " | CTX 1 y | P1NP 1 y |")
print("|---|---|" + "---|" * (len(years) + 2))
for s in scenarios:
    rows = {r["years"]: r for r in json.load(open(f"{out}/{s}/summary.json"))["endpoints"]}
    for site, col in (("LS", "bmd_lumbar_spine_change_pct"), ("TH", "bmd_total_hip_change_pct")):
        cells = [f"{rows[y][col]:+.2f}" if y in rows else "–" for y in years]
        markers = [f"{rows[1][c]:+.0f}" if site == "LS" and 1 in rows else "" for c in ("ctx_change_pct", "p1np_change_pct")]
        print(f"| `{s}` | {site} | " + " | ".join(cells) + " | " + " | ".join(markers) + " |")
# CTX after stopping denosumab (last dose on day 913.125; its effect ends about 6 months later).
t, ctx = [], []
with open(f"{out}/denosumab_stop/timeseries.csv") as f:
    for r in csv.DictReader(f):
        t.append(float(r["t_day"])); ctx.append(float(r["ctx_change_pct"]))
print("\nCTX (% change from day 0) after the last denosumab dose (day 913.125):")
for day in (913.125, 1004.4, 1095.75, 1187.1, 1278.4, 1369.8, 1461.0, 1552.4, 1643.7, 1735.1, 1826.25):
    k = min(range(len(t)), key=lambda i: abs(t[i] - day))
    print(f"  day {t[k]:7.1f} ({(t[k] - 913.125) / 30.4375:5.1f} months after the last dose): {ctx[k]:+6.1f}")
after = [(v, x) for v, x in zip(ctx, t) if x > 913.125]
peak = max(after)
print(f"  peak {peak[0]:+.1f} on day {peak[1]:.1f} ({(peak[1] - 913.125) / 30.4375:.1f} months after the last dose)")
PY

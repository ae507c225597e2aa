#!/usr/bin/env python3
"""Print the tables of docs/immune.md section 4 from a calibration's fit_report.json.

Usage:
    immunoporosis calibrate params/calibration/immunoporosis.toml --no-fit --out /tmp/cal
    python3 scripts/results/calibration_tables.py /tmp/cal/fit_report.json

Prints (Markdown): the clinical targets, the interventions (with the handles they set, read from
params/interventions/immunoporosis.toml) and the fitted parameters with their identifiability.
Standard library only.
"""
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def num(x):
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.3e}"


def main(report_path):
    r = json.loads(Path(report_path).read_text())
    with open(ROOT / "params/interventions/immunoporosis.toml", "rb") as f:
        interventions = {i["name"]: i for i in tomllib.load(f)["intervention"]}
    clinical = [t for t in r["targets"] if t["name"] not in interventions]
    found = [t for t in r["targets"] if t["name"] in interventions]

    print("Clinical targets:\n")
    print("| target | wanted | band | got | met |\n|---|---|---|---|---|")
    for t in clinical:
        lo, hi = t["band"]
        print(f"| {t['name']} | {num(t['wanted'])} | [{num(lo)}, {num(hi)}] | {t['got']:.3f} | {'yes' if t['met'] else '**no**'} |")

    print("\nInterventions (fraction prevented, or percentage points in the healthy context):\n")
    print("| intervention | context | handles | published | band | model | met |\n|---|---|---|---|---|---|---|")
    for t in found:
        i = interventions[t["name"]]
        handles = ", ".join(f"{k} {v:g}" for k, v in i["set"].items())
        lo, hi = t["band"]
        print(f"| {t['name']} | {i['context']} | {handles} | {num(t['wanted'])} | [{num(lo)}, {num(hi)}] | {t['got']:.2f} | {'yes' if t['met'] else '**no**'} |")
    met = sum(t["met"] for t in found)
    print(f"\n{met} of {len(found)} interventions within their bands.")

    ident = {p["name"]: p for p in r.get("identifiability", {}).get("parameters", [])}
    print("\nParameters:\n")
    print("| parameter | start | value | bounds | relative SE | verdict | most correlated with |\n|---|---|---|---|---|---|---|")
    for p in r["parameters"]:
        q = ident.get(p["name"], {})
        se = q.get("relative_se")
        se = "unbounded" if se is None else f"{100 * se:.0f} %"
        partner = q.get("partner") or ""
        if partner:
            partner = f"`{partner}` ({q['partner_correlation']:+.2f})"
        print(f"| `{p['name']}` | {num(p['initial'])} | {num(p['fitted'])} | [{num(p['lower'])}, {num(p['upper'])}] | {se} | {q.get('verdict', '')} | {partner} |")


if __name__ == "__main__":
    main(sys.argv[1])

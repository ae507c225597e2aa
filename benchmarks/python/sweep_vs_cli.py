"""Benchmark (issue 14): a 1000-run sweep through the Python package against the command line.

The same 1000 ten-year natural-menopause runs (the mechanostat strength on a log grid from half
to twice its bundled value, as benchmarks/targets/sweep_nodrug_5000.toml) three ways:

- cli: `immunoporosis sweep FILE --out DIR` as a whole process (load, runs, sweep.csv,
  figures, report.html), with one endpoint, lumbar spine BMD at 10 years;
- run_many: 1000 scenarios loaded with `parameters={"mechanics.g_mech": g}` and simulated by
  `immunoporosis.run_many`, each with its whole trajectory, manifest and summary; the endpoint
  (lumbar spine BMD at 10 years) read from each trajectory into one DataFrame;
- sweep: `immunoporosis.sweep` on the same file (the library's sweep in-process, endpoints only).

Each is timed `--repeat` times (default 3) on `--threads` threads (default 2) and the median
reported, with the ratios to the command line; the endpoints of run_many and the command line
must agree (they are the same runs). Not a test: numbers go to docs/performance.md.

    python benchmarks/python/sweep_vs_cli.py [--runs 1000] [--threads 2] [--repeat 3]

Run from the repository root after `cargo build --release` and `pip install ./python`.
"""

import argparse
import csv
import math
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

import immunoporosis as ip

ROOT = Path(__file__).resolve().parents[2]
LOW, HIGH = 5.4897544722713025, 21.95901788908521  # mechanics.g_mech x 0.5 and x 2


def sweep_file(folder: Path, runs: int) -> Path:
    # One endpoint, the value run_many reads from each trajectory: the command line does no more
    # than the same runs (the bundled ten-year endpoints add a ten-year CTX mean, a window
    # statistic that costs extra right-hand sides).
    (folder / "endpoints.toml").write_text(
        '[[endpoint]]\nname = "ls_bmd_10y"\ncolumn = "bmd_lumbar_spine_change_pct"\nat_day = 3652.5\n'
    )
    text = f"""name = "python_bench"
scenario = "{ROOT / 'params/scenarios/menopause_natural.toml'}"
endpoints = "endpoints.toml"
design = "grid"

[[parameter]]
name = "mechanics.g_mech"
min = {LOW!r}
max = {HIGH!r}
scale = "log"
points = {runs}
"""
    path = folder / "sweep.toml"
    path.write_text(text)
    return path


def grid(runs: int):
    # The sweep's log grid: exp(ln a + k (ln b - ln a) / (n - 1)).
    a, b = math.log(LOW), math.log(HIGH)
    return [math.exp(a + k * (b - a) / (runs - 1)) for k in range(runs)]


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def cli(path: Path, out: Path, threads: int):
    binary = ROOT / "target" / "release" / "immunoporosis"
    subprocess.run(
        [str(binary), "sweep", str(path), "--out", str(out), "--threads", str(threads), "--force"],
        check=True,
        capture_output=True,
    )
    with open(out / "sweep.csv", newline="") as f:
        return [float(r["ls_bmd_10y"]) for r in csv.DictReader(f)]


def run_many(runs: int, threads: int):
    scenario = ROOT / "params" / "scenarios" / "menopause_natural.toml"
    loaded = [ip.load(scenario, parameters={"mechanics.g_mech": g}) for g in grid(runs)]
    results = ip.run_many(loaded, threads=threads)
    frame = pd.DataFrame(
        {"ls_bmd_10y": [r.column("bmd_lumbar_spine_change_pct")[-1] for r in results]}
    )
    return list(frame["ls_bmd_10y"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = sweep_file(folder, a.runs)
        times = {"cli": [], "run_many": [], "sweep": []}
        for _ in range(a.repeat):
            t, from_cli = timed(lambda: cli(path, folder / "out", a.threads))
            times["cli"].append(t)
            t, from_many = timed(lambda: run_many(a.runs, a.threads))
            times["run_many"].append(t)
            t, from_sweep = timed(lambda: ip.sweep(path, threads=a.threads))
            times["sweep"].append(t)
        worst = max(abs(x - y) / max(abs(y), 1e-300) for x, y in zip(from_many, from_cli))
        assert worst < 1e-9, f"run_many and the command line disagree by {worst:.3e} relative"
        assert list(from_sweep["ls_bmd_10y"]) == from_cli
    load = os.getloadavg()[0]
    cli_s = statistics.median(times["cli"])
    print(f"{a.runs} ten-year natural-menopause runs, {a.threads} threads, median of {a.repeat} (1-minute load {load:.2f})")
    for k, v in times.items():
        m = statistics.median(v)
        print(f"  {k:<9} {m:7.3f} s  {a.runs / m:7.0f} runs/s  {m / cli_s:5.2f} x the command line   ({', '.join(f'{x:.3f}' for x in v)})")
    print(f"  run_many and the command line agree to {worst:.1e} relative")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peer comparison: immunoporosis vs libroadrunner vs scipy vs diffrax on the Lemaire 2004 model.

The same work is done by every tool:

  baseline  BIOMD0000000278 from its initial values, t = 0 .. 1000 days, output every
            day (1001 points), rtol 1e-8, atol 1e-12, all inputs I_P = I_O = I_L = 0.
  sweep     1000 runs of that simulation over a 40 x 25 grid of constant inputs
            I_O in [0, 2e5] x I_L in [0, 1e4] pM/day (both ends included; run k has
            I_O index k // 25 and I_L index k % 25); the endpoint R, B, C at t = 1000.

Tools:

  immunoporosis  `target/release/immunoporosis run|sweep` as a subprocess; we time the
                 whole process (start, parse, simulate, write CSV/plots, exit) and also
                 report the simulation-only rate the sweep prints.  The sweep is run with
                 all cores (the program's default) and with --threads 1.
  libroadrunner  SBML loaded once (LLVM JIT, not timed in the rate); CVODE (BDF),
                 rtol 1e-8, atol 1e-12; per run: reset(), set I_O and I_L, simulate
                 0..1000 with 1001 points.  Single-threaded, in-process wall time.
  scipy          solve_ivp (LSODA by default) at rtol 1e-8, atol 1e-12, t_eval daily, on a
                 right-hand side generated from the SBML MathML with python-libsbml (the
                 translator of scripts/reference/lemaire2004_reference.py).
                 Single-threaded, in-process wall time.  If the full sweep would take
                 longer than --scipy-budget seconds, only every 10th run is done and the
                 rate is extrapolated (reported as such).
  diffrax        JAX, Tsit5 with PIDController(rtol 1e-8, atol 1e-12), SaveAt(ts=daily), 64-bit
                 floats, on the same generated right-hand side traced by JAX; the sweep is one
                 jax.jit(jax.vmap(...)) call over the 1000 input pairs.  Run in its own process
                 (diffrax_tool.py) with XLA limited to one thread, so on one core.  The first
                 call of each jitted function (tracing + compilation + one run) is reported
                 apart as the compile time; the rate uses the later calls (compile excluded).
                 Steps per run come from sol.stats["num_steps"].

Ratios: every rate is divided by libroadrunner's and by diffrax's (compile excluded) on the
same workload.  The issue's target is the whole `sweep --threads 1` process at least 100x
libroadrunner's in-process loop (per core).

Agreement: the baseline trajectories (1001 times x R, B, C) between every pair of tools
and the sweep endpoints (R, B, C at day 1000, every run) between every pair of tools,
max relative difference |a - b| / max(|a|, |b|) must be <= --tol (default 1e-6).
The exit status is 1 if any comparison exceeds it.

Results also go to benchmarks/peers/results.json.  Run through benchmarks/peers/run.sh,
which sets up the virtual environment and builds the program.
"""

import argparse
import csv
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import libsbml
import numpy as np
import roadrunner
import scipy
from scipy.integrate import solve_ivp

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

T_END = 1000.0
N_POINTS = 1001
RTOL, ATOL = 1e-8, 1e-12
N_IO, N_IL = 40, 25
IO_MAX, IL_MAX = 2.0e5, 1.0e4
STATES = ("R", "B", "C")


def repo_path(p):
    """Paths given on the command line are relative to the repository root."""
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(REPO_ROOT, p))


SBML_DEFAULT = os.path.join("shared", "reference", "sbml", "BIOMD0000000278.xml")


def default_sbml():
    """shared/reference/sbml/BIOMD0000000278.xml beside the repository or further up (a git
    worktree may sit deeper than the main checkout)."""
    d = os.path.dirname(REPO_ROOT)
    while True:
        p = os.path.join(d, SBML_DEFAULT)
        if os.path.exists(p):
            return p
        parent = os.path.dirname(d)
        if parent == d:
            return os.path.join(os.path.dirname(REPO_ROOT), SBML_DEFAULT)
        d = parent


def load_reference_module():
    """The SBML -> Python right-hand-side translator of the reference script."""
    path = os.path.join(REPO_ROOT, "scripts", "reference", "lemaire2004_reference.py")
    spec = importlib.util.spec_from_file_location("lemaire2004_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def grid():
    """(I_O, I_L) for runs k = 0..999: I_O index k // 25, I_L index k % 25."""
    io = np.linspace(0.0, IO_MAX, N_IO)
    il = np.linspace(0.0, IL_MAX, N_IL)
    return [(io[k // N_IL], il[k % N_IL]) for k in range(N_IO * N_IL)]


def max_rel(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    denom = np.maximum(np.abs(a), np.abs(b))
    rel = np.where(denom > 0, np.abs(a - b) / np.where(denom > 0, denom, 1.0), 0.0)
    return float(rel.max())


# --------------------------------------------------------------------------
# Machine and versions
# --------------------------------------------------------------------------
def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu_model": cpu, "platform": platform.platform()}


def versions(binary):
    v = {
        "python": platform.python_version(),
        "libroadrunner": roadrunner.__version__,
        "python-libsbml": libsbml.getLibSBMLDottedVersion(),
        "scipy": scipy.__version__,
        "numpy": np.__version__,
    }
    for dist in ("jax", "jaxlib", "diffrax", "equinox"):
        try:
            v[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            v[dist] = "not installed"
    try:
        v["immunoporosis"] = subprocess.run([binary, "--version"], capture_output=True,
                                            text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        v["immunoporosis"] = "unknown"
    try:
        v["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True, text=True,
                                    check=True, cwd=REPO_ROOT).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return v


# --------------------------------------------------------------------------
# immunoporosis (subprocess)
# --------------------------------------------------------------------------
SWEEP_LINE = re.compile(r"(\d+) runs of scenario .*\((\d+) failed\) in ([0-9.eE+-]+) s, "
                        r"([0-9.eE+-]+) runs/s")


def read_csv_columns(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


STEPS_LINE = re.compile(r"(\d+) steps \((\d+) rejected\), (\d+) evaluations")


def prog_baseline(binary, scenario, repeats, workdir):
    """The trajectory, the wall times, and the solver's (steps, rejected, evaluations) as
    `run` prints them (None if its summary line has another form)."""
    times = []
    traj = None
    steps = None
    for i in range(repeats):
        out = os.path.join(workdir, "run_%02d" % i)
        t0 = time.perf_counter()
        proc = subprocess.run([binary, "run", scenario, "--out", out], check=True,
                              cwd=REPO_ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if traj is None:
            m = STEPS_LINE.search(proc.stdout + proc.stderr)
            if m:
                steps = tuple(int(g) for g in m.groups())
            data = np.loadtxt(os.path.join(out, "timeseries.csv"), delimiter=",", skiprows=1)
            with open(os.path.join(out, "timeseries.csv")) as f:
                header = f.readline().strip().split(",")
            assert header[:4] == ["t_day", "R_pM", "B_pM", "C_pM"], header
            assert data.shape[0] == N_POINTS, data.shape
            assert np.array_equal(data[:, 0], np.arange(N_POINTS, dtype=float)), "output times"
            traj = data[:, 1:4]
    return traj, times, steps


def prog_sweep(binary, sweep_file, threads, repeats, workdir, tag):
    wall = []
    sim_rates = []
    sim_seconds = []
    endpoints = None
    inputs = None
    for i in range(repeats):
        out = os.path.join(workdir, "sweep_%s_%02d" % (tag, i))
        cmd = [binary, "sweep", sweep_file, "--out", out]
        if threads is not None:
            cmd += ["--threads", str(threads)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, check=True, cwd=REPO_ROOT, capture_output=True, text=True)
        wall.append(time.perf_counter() - t0)
        m = SWEEP_LINE.search(proc.stdout + proc.stderr)
        if not m:
            raise RuntimeError("could not find the runs/s line in the sweep output:\n"
                               + proc.stdout + proc.stderr)
        n_runs, n_failed = int(m.group(1)), int(m.group(2))
        assert n_runs == N_IO * N_IL and n_failed == 0, (n_runs, n_failed)
        sim_seconds.append(float(m.group(3)))
        sim_rates.append(float(m.group(4)))
        if endpoints is None:
            rows = read_csv_columns(os.path.join(out, "sweep.csv"))
            assert len(rows) == N_IO * N_IL, len(rows)
            for k, r in enumerate(rows):
                assert int(r["run"]) == k and r["status"] == "ok", r
            inputs = np.array([[float(r["input.I_O"]), float(r["input.I_L"])] for r in rows])
            endpoints = np.array([[float(r["R_end"]), float(r["B_end"]), float(r["C_end"])]
                                  for r in rows])
    return {"endpoints": endpoints, "inputs": inputs, "wall": wall,
            "sim_rates": sim_rates, "sim_seconds": sim_seconds}


# --------------------------------------------------------------------------
# libroadrunner (in-process)
# --------------------------------------------------------------------------
class RoadRunnerTool:
    def __init__(self, sbml_path):
        t0 = time.perf_counter()
        self.rr = roadrunner.RoadRunner(sbml_path)
        self.load_seconds = time.perf_counter() - t0
        rr = self.rr
        rr.setIntegrator("cvode")
        integ = rr.getIntegrator()
        integ.setValue("stiff", True)
        integ.setValue("relative_tolerance", RTOL)
        integ.setValue("absolute_tolerance", ATOL)
        integ.setValue("maximum_num_steps", 1_000_000)
        assert integ.getValue("relative_tolerance") == RTOL
        assert integ.getValue("absolute_tolerance") == ATOL
        rr.timeCourseSelections = ["time"] + ["[%s]" % s for s in STATES]
        self.y0 = np.array([rr.model["init([%s])" % s] for s in STATES])
        self.times = np.linspace(0.0, T_END, N_POINTS)

    def simulate(self, i_o, i_l):
        rr = self.rr
        rr.reset()
        rr["I_P"] = 0.0
        rr["I_O"] = i_o
        rr["I_L"] = i_l
        return rr.simulate(0.0, T_END, N_POINTS)

    def check(self, res):
        res = np.asarray(res)
        assert res.shape == (N_POINTS, 4), res.shape
        assert np.allclose(res[:, 0], self.times, rtol=0, atol=1e-9), "roadrunner output times"
        assert np.array_equal(res[0, 1:], self.y0), "roadrunner did not start from the SBML initial values"
        return res[:, 1:]

    def baseline(self, repeats):
        times = []
        traj = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = self.simulate(0.0, 0.0)
            times.append(time.perf_counter() - t0)
            if traj is None:
                traj = self.check(res)
        return traj, times

    def sweep(self, inputs, repeats):
        wall = []
        endpoints = None
        for rep in range(repeats):
            results = []
            t0 = time.perf_counter()
            for i_o, i_l in inputs:
                results.append(self.simulate(i_o, i_l))
            wall.append(time.perf_counter() - t0)
            if endpoints is None:
                endpoints = np.array([self.check(r)[-1] for r in results])
        return endpoints, wall


# --------------------------------------------------------------------------
# scipy (in-process)
# --------------------------------------------------------------------------
class ScipyTool:
    def __init__(self, sbml_path, method):
        ref = load_reference_module()
        self.rhs = ref.SbmlRhs(sbml_path)
        assert tuple(self.rhs.state_ids) == STATES
        self.y0 = np.array(self.rhs.y0, dtype=float)
        self.method = method
        self.t_eval = np.linspace(0.0, T_END, N_POINTS)

    def simulate(self, i_o, i_l):
        params = dict(self.rhs.constants)
        params["I_P"] = 0.0
        params["I_O"] = float(i_o)
        params["I_L"] = float(i_l)
        sol = solve_ivp(self.rhs, (0.0, T_END), self.y0, method=self.method,
                        t_eval=self.t_eval, args=(params,), rtol=RTOL, atol=ATOL)
        if not sol.success:
            raise RuntimeError("scipy %s failed for I_O=%g I_L=%g: %s"
                               % (self.method, i_o, i_l, sol.message))
        return sol

    def check(self, sol):
        assert np.array_equal(sol.t, self.t_eval), "scipy output times"
        return sol.y.T

    def baseline(self, repeats):
        times = []
        traj = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            sol = self.simulate(0.0, 0.0)
            times.append(time.perf_counter() - t0)
            if traj is None:
                traj = self.check(sol)
        return traj, times

    def sweep(self, inputs, budget):
        """Every 10th run first; the rest only if the projected total fits the budget."""
        n = len(inputs)
        first = list(range(0, n, 10))
        rest = [k for k in range(n) if k % 10 != 0]
        endpoints = np.full((n, 3), np.nan)

        def run(ks):
            sols = []
            t0 = time.perf_counter()
            for k in ks:
                sols.append(self.simulate(*inputs[k]))
            dt = time.perf_counter() - t0
            for k, s in zip(ks, sols):
                endpoints[k] = self.check(s)[-1]
            return dt

        t_first = run(first)
        projected = t_first * n / len(first)
        if projected <= budget:
            t_rest = run(rest)
            return endpoints, list(range(n)), t_first + t_rest, False, projected
        return endpoints, first, t_first, True, projected


# --------------------------------------------------------------------------
# diffrax (its own process, one core; see diffrax_tool.py)
# --------------------------------------------------------------------------
def run_diffrax(sbml, inputs, baseline_repeats, sweep_repeats, pin, workdir):
    inputs_path = os.path.join(workdir, "diffrax_inputs.npy")
    out_path = os.path.join(workdir, "diffrax.npz")
    np.save(inputs_path, np.asarray(inputs, dtype=float))
    cmd = [sys.executable, os.path.join(HERE, "diffrax_tool.py"),
           "--sbml", sbml,
           "--reference-module", os.path.join(REPO_ROOT, "scripts", "reference",
                                              "lemaire2004_reference.py"),
           "--out", out_path, "--inputs", inputs_path,
           "--t-end", repr(T_END), "--n-points", str(N_POINTS),
           "--rtol", repr(RTOL), "--atol", repr(ATOL),
           "--baseline-repeats", str(baseline_repeats), "--sweep-repeats", str(sweep_repeats)]
    if pin:
        cmd.append("--pin")
    subprocess.run(cmd, check=True, cwd=REPO_ROOT)
    with np.load(out_path) as d:
        res = {k: d[k] for k in d.files}
    res["meta"] = json.loads(str(res["meta"]))
    assert res["meta"]["x64"], "diffrax ran without 64-bit floats"
    return res


# --------------------------------------------------------------------------
def fmt_rate(x):
    return "%.1f" % x if x < 100 else "%.0f" % x


def print_table(title, rows, ref_rate, dfx_rate):
    """`dfx_rate` is diffrax's rate (compile excluded), or None when diffrax was skipped."""
    print()
    print(title)
    head = ("tool", "runs", "seconds", "sim/s", "x roadrunner", "x diffrax")
    widths = (60, 26, 10, 10, 12, 10)
    print("  " + "  ".join(h.ljust(w) if i < 2 else h.rjust(w)
                           for i, (h, w) in enumerate(zip(head, widths))))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        ratio = r["sims_per_second"] / ref_rate
        r["ratio_to_roadrunner"] = ratio
        r["ratio_to_diffrax"] = r["sims_per_second"] / dfx_rate if dfx_rate else None
        cells = (r["tool"], r["runs_label"], "%.4f" % r["seconds"], fmt_rate(r["sims_per_second"]),
                 "%.2f" % ratio,
                 "%.2f" % r["ratio_to_diffrax"] if dfx_rate else "-")
        print("  " + "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(cells, widths))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sbml", default=None,
                    help="BIOMD0000000278 SBML file (relative to the repository root); default: "
                         "%s in the nearest folder above the repository that has it "
                         "(../shared/... in CI)" % SBML_DEFAULT)
    ap.add_argument("--binary", default="target/release/immunoporosis")
    ap.add_argument("--scenario", default="params/scenarios/lemaire2004_baseline.toml")
    ap.add_argument("--sweep", default="params/analyses/sweep_lemaire_opg_rankl.toml")
    ap.add_argument("--baseline-repeats", type=int, default=20,
                    help="single-baseline repetitions per tool (median reported)")
    ap.add_argument("--sweep-repeats", type=int, default=3,
                    help="full-sweep repetitions for immunoporosis and roadrunner (median "
                         "reported); scipy does its sweep once")
    ap.add_argument("--scipy-method", default="LSODA", choices=("LSODA", "Radau", "BDF"))
    ap.add_argument("--scipy-budget", type=float, default=180.0,
                    help="seconds; above this projected time scipy does every 10th run only")
    ap.add_argument("--no-diffrax", action="store_true", help="leave diffrax out")
    ap.add_argument("--diffrax-pin", action="store_true",
                    help="bind the diffrax process to one CPU (it uses one core either way)")
    ap.add_argument("--tol", type=float, default=1e-6, help="max relative difference allowed")
    ap.add_argument("--json", default="benchmarks/peers/results.json")
    args = ap.parse_args()

    sbml = repo_path(args.sbml) if args.sbml else default_sbml()
    binary = repo_path(args.binary)
    scenario = repo_path(args.scenario)
    sweep_file = repo_path(args.sweep)
    for p in (sbml, binary, scenario, sweep_file):
        if not os.path.exists(p):
            sys.exit("not found: %s" % p)

    mach = machine_info()
    vers = versions(binary)
    print("machine   %d CPU(s) (nproc), %s; %s" % (mach["nproc"], mach["cpu_model"], mach["platform"]))
    print("versions  " + ", ".join("%s %s" % kv for kv in vers.items()))
    print("model     %s" % os.path.relpath(sbml, REPO_ROOT))
    print("work      baseline 0..%g days, %d outputs, rtol %g atol %g; sweep %d x %d grid "
          "I_O in [0, %g] x I_L in [0, %g] pM/day"
          % (T_END, N_POINTS, RTOL, ATOL, N_IO, N_IL, IO_MAX, IL_MAX))

    inputs = grid()
    n_runs = len(inputs)
    results = {"machine": mach, "versions": vers, "sbml": os.path.relpath(sbml, REPO_ROOT),
               "rtol": RTOL, "atol": ATOL, "t_end_days": T_END, "n_points": N_POINTS,
               "grid": {"I_O": [0.0, IO_MAX, N_IO], "I_L": [0.0, IL_MAX, N_IL]},
               "tolerance": args.tol}

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="peers_") as work:
        # A private copy of the binary, so that a concurrent `cargo build` in the same
        # target directory cannot swap it in the middle of the measurements.
        private = os.path.join(work, "immunoporosis")
        shutil.copy2(binary, private)
        binary = private
        # ---------------- immunoporosis
        print("\n[immunoporosis] baseline x%d ..." % args.baseline_repeats, flush=True)
        prog_traj, prog_base_t, prog_steps = prog_baseline(binary, scenario,
                                                           args.baseline_repeats, work)
        print("[immunoporosis] sweep, all cores x%d ..." % args.sweep_repeats, flush=True)
        sw_all = prog_sweep(binary, sweep_file, None, args.sweep_repeats, work, "all")
        print("[immunoporosis] sweep, --threads 1 x%d ..." % args.sweep_repeats, flush=True)
        sw_one = prog_sweep(binary, sweep_file, 1, args.sweep_repeats, work, "one")

    grid_arr = np.array(inputs)
    grid_diff = max_rel(sw_all["inputs"], grid_arr)
    assert grid_diff <= 1e-14, "the program's sweep grid differs from ours: %g" % grid_diff

    # ---------------- libroadrunner
    print("[libroadrunner] load ...", flush=True)
    rrt = RoadRunnerTool(sbml)
    print("[libroadrunner] baseline x%d ..." % args.baseline_repeats, flush=True)
    rr_traj, rr_base_t = rrt.baseline(args.baseline_repeats)
    print("[libroadrunner] sweep x%d ..." % args.sweep_repeats, flush=True)
    rr_end, rr_sweep_t = rrt.sweep(inputs, args.sweep_repeats)

    # ---------------- scipy
    print("[scipy %s] baseline x%d ..." % (args.scipy_method, args.baseline_repeats), flush=True)
    spt = ScipyTool(sbml, args.scipy_method)
    assert np.array_equal(spt.y0, rrt.y0), "initial values differ between libsbml and roadrunner"
    sp_traj, sp_base_t = spt.baseline(args.baseline_repeats)
    print("[scipy %s] sweep (every 10th run first, budget %.0f s) ..."
          % (args.scipy_method, args.scipy_budget), flush=True)
    sp_end, sp_runs, sp_sweep_t, sp_subset, sp_projected = spt.sweep(inputs, args.scipy_budget)
    if sp_subset:
        print("[scipy %s] projected full sweep %.0f s > budget %.0f s: every 10th run only "
              "(%d runs), rate extrapolated" % (args.scipy_method, sp_projected,
                                                 args.scipy_budget, len(sp_runs)))

    # ---------------- diffrax
    dfx = None
    if not args.no_diffrax:
        print("[diffrax Tsit5] baseline x%d and vmapped sweep x%d, one core (own process) ..."
              % (args.baseline_repeats, args.sweep_repeats), flush=True)
        with tempfile.TemporaryDirectory(prefix="peers_diffrax_") as work:
            dfx = run_diffrax(sbml, inputs, args.baseline_repeats, args.sweep_repeats,
                              args.diffrax_pin, work)

    # ---------------- tables
    med = statistics.median
    base_rows = [
        {"tool": "immunoporosis run (process wall time)", "runs_label": "1 (median of %d)" % len(prog_base_t),
         "seconds": med(prog_base_t)},
        {"tool": "libroadrunner CVODE (in-process)", "runs_label": "1 (median of %d)" % len(rr_base_t),
         "seconds": med(rr_base_t)},
        {"tool": "scipy %s (in-process)" % args.scipy_method, "runs_label": "1 (median of %d)" % len(sp_base_t),
         "seconds": med(sp_base_t)},
    ]
    for r in base_rows:
        r["sims_per_second"] = 1.0 / r["seconds"]
        r["all_seconds"] = None
    base_rows[0]["all_seconds"] = prog_base_t
    base_rows[1]["all_seconds"] = rr_base_t
    base_rows[2]["all_seconds"] = sp_base_t
    dfx_base_rate = None
    if dfx is not None:
        t = [float(x) for x in dfx["baseline_seconds"]]
        base_rows.append({"tool": "diffrax Tsit5 (in-process, jitted, compile excluded)",
                          "runs_label": "1 (median of %d)" % len(t), "seconds": med(t),
                          "sims_per_second": 1.0 / med(t), "all_seconds": t,
                          "compile_seconds": float(dfx["baseline_compile_seconds"])})
        dfx_base_rate = base_rows[-1]["sims_per_second"]

    nthreads = mach["nproc"]
    rr_rate = n_runs / med(rr_sweep_t)
    sweep_rows = [
        {"tool": "immunoporosis sweep, %d threads (process wall)" % nthreads,
         "runs_label": "%d (median of %d)" % (n_runs, len(sw_all["wall"])),
         "seconds": med(sw_all["wall"]), "all_seconds": sw_all["wall"]},
        {"tool": "immunoporosis sweep, %d threads (sim only)" % nthreads,
         "runs_label": "%d (median of %d)" % (n_runs, len(sw_all["sim_rates"])),
         "seconds": n_runs / med(sw_all["sim_rates"]), "printed_rates": sw_all["sim_rates"]},
        {"tool": "immunoporosis sweep, 1 thread (process wall)",
         "runs_label": "%d (median of %d)" % (n_runs, len(sw_one["wall"])),
         "seconds": med(sw_one["wall"]), "all_seconds": sw_one["wall"]},
        {"tool": "immunoporosis sweep, 1 thread (sim only)",
         "runs_label": "%d (median of %d)" % (n_runs, len(sw_one["sim_rates"])),
         "seconds": n_runs / med(sw_one["sim_rates"]), "printed_rates": sw_one["sim_rates"]},
        {"tool": "libroadrunner CVODE, 1 thread (in-process)",
         "runs_label": "%d (median of %d)" % (n_runs, len(rr_sweep_t)),
         "seconds": med(rr_sweep_t), "all_seconds": rr_sweep_t},
    ]
    sp_rate = len(sp_runs) / sp_sweep_t
    if sp_subset:
        sweep_rows.append({"tool": "scipy %s, 1 thread (in-process)" % args.scipy_method,
                           "runs_label": "%d of %d, extrapolated" % (len(sp_runs), n_runs),
                           "seconds": n_runs / sp_rate, "measured_seconds": sp_sweep_t,
                           "extrapolated": True})
    else:
        sweep_rows.append({"tool": "scipy %s, 1 thread (in-process)" % args.scipy_method,
                           "runs_label": "%d (once)" % n_runs, "seconds": sp_sweep_t,
                           "extrapolated": False})
    dfx_rate = None
    if dfx is not None:
        t = [float(x) for x in dfx["sweep_seconds"]]
        compile_s = float(dfx["sweep_compile_seconds"])
        sweep_rows.append({"tool": "diffrax Tsit5, vmapped, 1 core (compile excluded)",
                           "runs_label": "%d (median of %d)" % (n_runs, len(t)),
                           "seconds": med(t), "all_seconds": t,
                           "cpu_seconds": [float(x) for x in dfx["sweep_cpu_seconds"]]})
        sweep_rows.append({"tool": "diffrax Tsit5, vmapped, 1 core (first call, with compile)",
                           "runs_label": "%d (once)" % n_runs, "seconds": compile_s})
        dfx_rate = n_runs / med(t)
    for r in sweep_rows:
        r["sims_per_second"] = n_runs / r["seconds"]

    print_table("Baseline: one 1000-day run, daily output", base_rows,
                base_rows[1]["sims_per_second"], dfx_base_rate)
    print_table("Sweep: 1000 runs (40 x 25 grid of constant I_O, I_L), 1000 days, daily output",
                sweep_rows, rr_rate, dfx_rate)
    print("  libroadrunner model load + JIT (once, not in the rate): %.3f s" % rrt.load_seconds)
    if sp_subset:
        print("  scipy: every 10th run (%d runs) measured in %.1f s, rate extrapolated to 1000 runs"
              % (len(sp_runs), sp_sweep_t))
    dfx_info = None
    if dfx is not None:
        steps = dfx["sweep_steps"]
        dfx_info = {
            "compile_seconds": {"baseline": float(dfx["baseline_compile_seconds"]),
                                "sweep": float(dfx["sweep_compile_seconds"])},
            "baseline_steps": {"steps": int(dfx["baseline_steps"][0]),
                               "accepted": int(dfx["baseline_steps"][1]),
                               "rejected": int(dfx["baseline_steps"][2])},
            "sweep_steps_per_run": {"min": int(steps.min()), "median": float(np.median(steps)),
                                    "mean": float(steps.mean()), "max": int(steps.max()),
                                    "rejected_mean": float(dfx["sweep_rejected"].mean())},
            "sweep_cpu_over_wall": float(np.sum(dfx["sweep_cpu_seconds"])
                                         / np.sum(dfx["sweep_seconds"])),
            "meta": dfx["meta"],
        }
        print("  diffrax compile (first call: trace + XLA compile + one run, not in the rate): "
              "baseline %.2f s, vmapped sweep %.2f s"
              % (dfx_info["compile_seconds"]["baseline"], dfx_info["compile_seconds"]["sweep"]))
        print("  diffrax steps per run (sol.stats num_steps, rejected included): baseline %d "
              "(%d rejected); sweep min %d / median %.0f / max %d (a vmapped call steps every "
              "run until the slowest is done)"
              % (dfx_info["baseline_steps"]["steps"], dfx_info["baseline_steps"]["rejected"],
                 steps.min(), np.median(steps), steps.max()))
        print("  diffrax CPU time / wall time over the timed sweep calls: %.2f (<= 1: one core)"
              % dfx_info["sweep_cpu_over_wall"])
    if prog_steps is not None:
        print("  immunoporosis baseline solver: %d steps (%d rejected), %d right-hand sides"
              % prog_steps)
    one_wall = sweep_rows[2]["sims_per_second"]
    target = one_wall / rr_rate
    print("  target >= 100x libroadrunner per core (sweep --threads 1, whole process, against "
          "libroadrunner's loop): %.1fx  %s" % (target, "met" if target >= 100 else "NOT met"))
    if dfx_rate:
        print("  immunoporosis sweep --threads 1 (whole process) against diffrax vmapped "
              "(compile excluded): %.2fx" % (one_wall / dfx_rate))
    all_threads = sweep_rows[0]["sims_per_second"] / rr_rate

    # ---------------- agreement
    trajs = {"immunoporosis": prog_traj, "libroadrunner": rr_traj, "scipy": sp_traj}
    ends = {"immunoporosis": sw_all["endpoints"], "libroadrunner": rr_end, "scipy": sp_end}
    if dfx is not None:
        trajs["diffrax"] = dfx["baseline_traj"]
        ends["diffrax"] = dfx["sweep_endpoints"]
    sp_idx = np.array(sp_runs)
    checks = []
    names = list(trajs)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            checks.append({"what": "baseline trajectory (%d times x R,B,C)" % N_POINTS,
                           "pair": "%s vs %s" % (a, b), "max_rel": max_rel(trajs[a], trajs[b])})
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            idx = sp_idx if "scipy" in (a, b) else np.arange(n_runs)
            checks.append({"what": "sweep endpoints (%d runs x R,B,C at day 1000)" % len(idx),
                           "pair": "%s vs %s" % (a, b),
                           "max_rel": max_rel(ends[a][idx], ends[b][idx])})
    checks.append({"what": "sweep endpoints (%d runs x R,B,C at day 1000)" % n_runs,
                   "pair": "immunoporosis %d threads vs 1 thread" % nthreads,
                   "max_rel": max_rel(sw_all["endpoints"], sw_one["endpoints"])})
    load_end = os.getloadavg()[0]
    print("  1-min load average at start / end: %.2f / %.2f on %d CPU(s) (other work on the "
          "machine skews the numbers, the multi-threaded ones most)" % (load_start, load_end, nthreads))
    ok = True
    print("\nAgreement (max relative difference |a-b|/max(|a|,|b|), tolerance %.0e)" % args.tol)
    for c in checks:
        c["ok"] = c["max_rel"] <= args.tol
        ok &= c["ok"]
        print("  %-48s %-44s %.3e  %s" % (c["what"], c["pair"], c["max_rel"],
                                          "OK" if c["ok"] else "FAIL"))

    results.update({
        "baseline": base_rows,
        "sweep": sweep_rows,
        "roadrunner_load_seconds": rrt.load_seconds,
        "scipy": {"method": args.scipy_method, "subset": sp_subset, "runs": len(sp_runs),
                  "projected_full_seconds": sp_projected, "budget_seconds": args.scipy_budget},
        "immunoporosis_baseline_solver": (dict(zip(("steps", "rejected", "evaluations"),
                                                    prog_steps)) if prog_steps else None),
        "ratio_program_one_thread_wall_to_roadrunner": target,
        "ratio_program_one_thread_wall_to_diffrax": one_wall / dfx_rate if dfx_rate else None,
        "ratio_program_all_threads_wall_to_roadrunner": all_threads,
        "diffrax": dfx_info,
        "agreement": checks,
        "load_average_1min": {"start": load_start, "end": load_end},
        "passed": bool(ok),
    })
    json_path = repo_path(args.json)
    with open(json_path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print("\nwrote %s" % os.path.relpath(json_path, REPO_ROOT))
    if not ok:
        print("FAILED: some tools disagree by more than %.0e relative" % args.tol)
        return 1
    print("PASSED: all tools agree to %.0e relative" % args.tol)
    return 0


if __name__ == "__main__":
    sys.exit(main())

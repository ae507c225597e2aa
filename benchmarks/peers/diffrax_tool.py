#!/usr/bin/env python3
"""diffrax (JAX) side of the peer comparison: Lemaire 2004 with Tsit5, on one CPU core.

peers.py runs this file as a separate process, so that XLA's single-thread flags (and, with
--pin, os.sched_setaffinity) are set before JAX is imported without affecting the other tools,
and so that JAX's start-up and threads stay out of their process.

The work is that of peers.py (see its docstring): BIOMD0000000278 from its initial values,
t = 0 .. 1000 days, output every day (1001 points, `SaveAt(ts=...)`), Tsit5 with
`PIDController(rtol=1e-8, atol=1e-12)`, 64-bit floats; once (baseline), and as the 1000-run
40 x 25 sweep of constant inputs I_O, I_L, `jax.vmap`ped over the 1000 input pairs in one
`jax.jit`ted call.  The right-hand side is the one scipy uses: generated from the SBML MathML
by the translator of scripts/reference/lemaire2004_reference.py, traced by JAX.

Timing (time.perf_counter, in-process, each call followed by `block_until_ready`):
  compile  the first call of each jitted function (tracing, XLA compilation and one run);
  run      the later calls (the steady state), median reported by peers.py.
Also recorded: the steps each run took (`sol.stats["num_steps"]`, accepted and rejected)
and the CPU time over the timed sweep calls (close to the wall time on one core).

Writes an .npz file (--out) that peers.py reads; prints nothing else of note.
"""

import argparse
import json
import os
import sys
import time


def one_core(pin):
    """Keep XLA to one thread of computation; with `pin`, also bind the process to one CPU.

    XLA's flags alone keep the work on one core (the CPU time over the timed calls is at most
    the wall time, which peers.py reports); pinning is optional because on a shared machine a
    pinned process cannot move away from a busy core, while the other tools can.
    """
    cpu = None
    if pin:
        cpu = sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {cpu})
    flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                               "intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    return cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sbml", required=True)
    ap.add_argument("--reference-module", required=True,
                    help="path of scripts/reference/lemaire2004_reference.py")
    ap.add_argument("--out", required=True, help=".npz file for the results")
    ap.add_argument("--t-end", type=float, required=True)
    ap.add_argument("--n-points", type=int, required=True)
    ap.add_argument("--rtol", type=float, required=True)
    ap.add_argument("--atol", type=float, required=True)
    ap.add_argument("--inputs", required=True, help=".npy file of the (I_O, I_L) pairs")
    ap.add_argument("--baseline-repeats", type=int, default=20)
    ap.add_argument("--sweep-repeats", type=int, default=3)
    ap.add_argument("--max-steps", type=int, default=100_000)
    ap.add_argument("--pin", action="store_true", help="bind the process to one CPU")
    args = ap.parse_args()

    cpu = one_core(args.pin)

    import importlib.util

    import numpy as np
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import diffrax
    import equinox

    spec = importlib.util.spec_from_file_location("lemaire2004_reference", args.reference_module)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    sbml_rhs = ref.SbmlRhs(args.sbml)
    constants = dict(sbml_rhs.constants)
    y0 = jnp.asarray(np.array(sbml_rhs.y0, dtype=np.float64))
    ts = jnp.linspace(0.0, args.t_end, args.n_points)

    def vector_field(t, y, inputs):
        # The generated function writes the states and assignment rules into the dict it is
        # given, so every call gets a fresh one.
        values = dict(constants)
        values["I_P"] = 0.0
        values["I_O"] = inputs[0]
        values["I_L"] = inputs[1]
        return jnp.stack(sbml_rhs._rhs(t, y, values))

    term = diffrax.ODETerm(vector_field)
    solver = diffrax.Tsit5()
    controller = diffrax.PIDController(rtol=args.rtol, atol=args.atol)
    saveat = diffrax.SaveAt(ts=ts)

    def solve(i_o, i_l):
        sol = diffrax.diffeqsolve(term, solver, t0=0.0, t1=args.t_end, dt0=None, y0=y0,
                                  args=(i_o, i_l), saveat=saveat,
                                  stepsize_controller=controller, max_steps=args.max_steps)
        return (sol.ys, sol.stats["num_steps"], sol.stats["num_accepted_steps"],
                sol.stats["num_rejected_steps"], sol.result == diffrax.RESULTS.successful)

    def timed(fn, *a):
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn(*a))
        return out, time.perf_counter() - t0

    # ---- baseline: one run, jitted
    one = jax.jit(solve)
    zero = jnp.float64(0.0)
    base_out, base_compile = timed(one, zero, zero)
    base_times = []
    for _ in range(args.baseline_repeats):
        out, dt = timed(one, zero, zero)
        base_times.append(dt)
    ys, steps, acc, rej, ok = out
    assert bool(ok), "diffrax baseline did not succeed"
    assert np.array_equal(np.asarray(ys), np.asarray(base_out[0])), "baseline not repeatable"
    base_traj = np.asarray(ys)
    assert base_traj.shape == (args.n_points, 3), base_traj.shape
    assert np.array_equal(base_traj[0], np.asarray(y0)), "diffrax did not start from y0"

    # ---- sweep: all runs in one vmapped, jitted call
    inputs = np.load(args.inputs)
    i_o = jnp.asarray(inputs[:, 0])
    i_l = jnp.asarray(inputs[:, 1])
    many = jax.jit(jax.vmap(solve))
    first, sweep_compile = timed(many, i_o, i_l)
    sweep_times = []
    cpu_times = []
    for _ in range(args.sweep_repeats):
        c0 = time.process_time()
        out, dt = timed(many, i_o, i_l)
        cpu_times.append(time.process_time() - c0)
        sweep_times.append(dt)
    s_ys, s_steps, s_acc, s_rej, s_ok = out
    assert bool(np.all(np.asarray(s_ok))), "some diffrax sweep runs did not succeed"
    s_ys = np.asarray(s_ys)
    assert s_ys.shape == (len(inputs), args.n_points, 3), s_ys.shape
    assert np.array_equal(s_ys, np.asarray(first[0])), "sweep not repeatable"

    import jaxlib
    versions = {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                "diffrax": diffrax.__version__, "equinox": equinox.__version__}
    np.savez(args.out,
             baseline_traj=base_traj,
             baseline_compile_seconds=base_compile,
             baseline_seconds=np.array(base_times),
             baseline_steps=np.array([int(steps), int(acc), int(rej)]),
             sweep_endpoints=s_ys[:, -1, :],
             sweep_compile_seconds=sweep_compile,
             sweep_seconds=np.array(sweep_times),
             sweep_cpu_seconds=np.array(cpu_times),
             sweep_steps=np.asarray(s_steps),
             sweep_accepted=np.asarray(s_acc),
             sweep_rejected=np.asarray(s_rej),
             meta=json.dumps({"cpu": cpu, "versions": versions,
                              "devices": [str(d) for d in jax.devices()],
                              "x64": bool(jax.config.jax_enable_x64),
                              "xla_flags": os.environ.get("XLA_FLAGS", "")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

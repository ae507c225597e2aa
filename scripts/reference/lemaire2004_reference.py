#!/usr/bin/env python3
"""Reference trajectories of the Lemaire et al. (2004) bone-remodeling model.

The model is read from the unchanged BioModels SBML file BIOMD0000000278.xml
(time in days, concentrations in pM).  Three scenarios of the BioModels curation
of Lemaire 2004 Figure 2C are simulated from t = 0 to t = 140 days and written
every 0.1 day (t_k = k/10, k = 0..1400):

  lemaire2004_pth        I_P = 1000 pM/day for 20 < t <= 80, 0 otherwise
  lemaire2004_opg        I_O = 2e5  pM/day for 20 < t <= 80, 0 otherwise
  lemaire2004_rankl_opg  I_L = 1e4  pM/day for t > 20, plus I_O = 9e4 pM/day for t > 80

The inputs are piecewise constant, so every scenario is integrated segment by
segment ([0, 20], [20, 80], [80, 140]); the solver is restarted at t = 20 and
t = 80 with the new parameter values and the state carried over.  No
discontinuity ever falls inside one solver call.

Two independent solutions are computed:

  1. libroadrunner (LLVM-compiled SBML, SUNDIALS CVODE BDF) loading the SBML
     file directly; rtol 1e-12, atol 1e-18.  This one is written out.
  2. scipy solve_ivp(method="Radau", rtol=1e-12, atol=1e-20) on a right-hand
     side that this script builds itself from the SBML's MathML (walked with
     python-libsbml's AST), so nobody re-types the equations.

The script fails (exit code 1) unless the two agree to better than 1e-8
relative at every output time, for every state and scenario.

Usage, from the repository root, after `pip install -r scripts/reference/requirements.txt`:

    python3 scripts/reference/lemaire2004_reference.py

Options: --sbml PATH (default /work/shared/reference/sbml/BIOMD0000000278.xml,
or $LEMAIRE_SBML), --outdir DIR (default tests/data of this repository),
--no-write (only compute and compare).
"""

import argparse
import math
import os
import sys

import libsbml
import numpy as np
import roadrunner
import scipy
from scipy.integrate import solve_ivp

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_SBML = os.environ.get(
    "LEMAIRE_SBML", "/work/shared/reference/sbml/BIOMD0000000278.xml"
)
DEFAULT_OUTDIR = os.path.join(REPO_ROOT, "tests", "data")

STATES = ("R", "B", "C")
INPUTS = ("I_P", "I_O", "I_L")
T_END_TENTHS = 1400  # t = 140 days, output step 0.1 day

RR_RTOL, RR_ATOL = 1e-12, 1e-18
RADAU_RTOL, RADAU_ATOL = 1e-12, 1e-20
AGREEMENT_TOL = 1e-8

# Segments: (start day, end day, input values held constant on the segment).
SCENARIOS = {
    "lemaire2004_pth": [
        (0, 20, {"I_P": 0.0, "I_O": 0.0, "I_L": 0.0}),
        (20, 80, {"I_P": 1000.0, "I_O": 0.0, "I_L": 0.0}),
        (80, 140, {"I_P": 0.0, "I_O": 0.0, "I_L": 0.0}),
    ],
    "lemaire2004_opg": [
        (0, 20, {"I_P": 0.0, "I_O": 0.0, "I_L": 0.0}),
        (20, 80, {"I_P": 0.0, "I_O": 2e5, "I_L": 0.0}),
        (80, 140, {"I_P": 0.0, "I_O": 0.0, "I_L": 0.0}),
    ],
    "lemaire2004_rankl_opg": [
        (0, 20, {"I_P": 0.0, "I_O": 0.0, "I_L": 0.0}),
        (20, 80, {"I_P": 0.0, "I_O": 0.0, "I_L": 1e4}),
        (80, 140, {"I_P": 0.0, "I_O": 9e4, "I_L": 1e4}),
    ],
}


def segment_times(t0, t1):
    """Exact output times k/10 for k = 10*t0 .. 10*t1."""
    return [k / 10 for k in range(10 * t0, 10 * t1 + 1)]


def full_times():
    return np.array([k / 10 for k in range(T_END_TENTHS + 1)])


# --------------------------------------------------------------------------
# Solver 1: libroadrunner on the SBML file
# --------------------------------------------------------------------------
def solve_roadrunner(sbml_path, segments):
    rr = roadrunner.RoadRunner(sbml_path)
    integ = rr.getIntegrator()
    if integ.getName() != "cvode":
        rr.setIntegrator("cvode")
        integ = rr.getIntegrator()
    integ.setValue("stiff", True)
    integ.setValue("relative_tolerance", RR_RTOL)
    integ.setValue("absolute_tolerance", RR_ATOL)
    integ.setValue("maximum_num_steps", 1_000_000)
    # Make sure the tolerances were not clamped.
    assert integ.getValue("relative_tolerance") == RR_RTOL
    assert integ.getValue("absolute_tolerance") == RR_ATOL
    selections = ["time"] + ["[%s]" % s for s in STATES]
    rr.timeCourseSelections = selections

    rows = []
    for i, (t0, t1, inputs) in enumerate(segments):
        for name, value in inputs.items():
            rr[name] = value
        times = segment_times(t0, t1)
        res = np.array(rr.simulate(times=times))
        assert res.shape == (len(times), 4), res.shape
        assert np.array_equal(res[:, 0], np.array(times)), "roadrunner output times differ"
        assert math.isclose(rr.model.getTime(), t1, rel_tol=0, abs_tol=1e-12)
        if i > 0:
            # The state must have been carried over from the previous segment.
            assert np.array_equal(res[0, 1:], rows[-1][-1, 1:]), "state not carried over"
            res = res[1:]  # t0 already written by the previous segment
        rows.append(res)
    out = np.vstack(rows)
    assert np.array_equal(out[:, 0], full_times())
    return out[:, 1:]


# --------------------------------------------------------------------------
# Solver 2: scipy Radau on a right-hand side generated from the SBML MathML
# --------------------------------------------------------------------------
_BINARY = {
    libsbml.AST_PLUS: "+",
    libsbml.AST_MINUS: "-",
    libsbml.AST_TIMES: "*",
    libsbml.AST_DIVIDE: "/",
    libsbml.AST_POWER: "**",
    libsbml.AST_FUNCTION_POWER: "**",
}


def ast_to_python(node, names):
    """Translate a libsbml AST (arithmetic only) into a Python expression.

    `names` collects every identifier used.  Anything beyond + - * / ^,
    numbers and identifiers raises, so a changed model cannot be silently
    mistranslated.
    """
    t = node.getType()
    if t == libsbml.AST_NAME:
        names.add(node.getName())
        return "v[%r]" % node.getName()
    if t == libsbml.AST_INTEGER:
        return repr(float(node.getInteger()))
    if t in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
        return repr(float(node.getReal()))
    if t in _BINARY:
        args = [ast_to_python(node.getChild(i), names) for i in range(node.getNumChildren())]
        op = _BINARY[t]
        if t == libsbml.AST_MINUS and len(args) == 1:
            return "(-%s)" % args[0]
        if t == libsbml.AST_PLUS and len(args) == 0:
            return "0.0"
        if t == libsbml.AST_TIMES and len(args) == 0:
            return "1.0"
        if t in (libsbml.AST_MINUS, libsbml.AST_DIVIDE, libsbml.AST_POWER,
                 libsbml.AST_FUNCTION_POWER):
            assert len(args) == 2, "unexpected arity"
        return "(" + (" %s " % op).join(args) + ")"
    raise ValueError("unsupported MathML node %s in %s"
                     % (node.getType(), libsbml.formulaToL3String(node)))


class SbmlRhs:
    """Right-hand side of the rate rules, built from the SBML file."""

    def __init__(self, sbml_path):
        doc = libsbml.readSBMLFromFile(sbml_path)
        if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) + doc.getNumErrors(libsbml.LIBSBML_SEV_FATAL):
            raise RuntimeError(doc.getErrorLog().toString())
        m = doc.getModel()
        # This translator handles exactly the constructs this model uses.
        assert m.getNumReactions() == 0
        assert m.getNumEvents() == 0
        assert m.getNumFunctionDefinitions() == 0
        assert m.getNumInitialAssignments() == 0

        self.constants = {}
        for c in m.getListOfCompartments():
            # Rate rules on species act on concentrations; with size 1 the
            # concentration and amount coincide anyway.
            assert c.getSize() == 1.0
            self.constants[c.getId()] = c.getSize()
        for p in m.getListOfParameters():
            if p.isSetValue():
                self.constants[p.getId()] = p.getValue()

        self.state_ids = []
        self.y0 = []
        for s in m.getListOfSpecies():
            self.state_ids.append(s.getId())
            assert s.isSetInitialConcentration()
            self.y0.append(s.getInitialConcentration())
        assert tuple(self.state_ids) == STATES, self.state_ids

        assign = {}
        rates = {}
        for r in m.getListOfRules():
            names = set()
            expr = ast_to_python(r.getMath(), names)
            if r.isAssignment():
                assign[r.getVariable()] = (expr, names)
            elif r.isRate():
                rates[r.getVariable()] = (expr, names)
            else:
                raise ValueError("algebraic rules are not supported")
        assert set(rates) == set(STATES)

        # Order the assignment rules so that each one only uses values that
        # are already known (constants, states, earlier assignment rules).
        known = set(self.constants) | set(STATES)
        order = []
        pending = dict(assign)
        while pending:
            ready = [k for k, (_, names) in pending.items() if names <= known | set(order)]
            if not ready:
                raise ValueError("cyclic assignment rules: %s" % sorted(pending))
            for k in sorted(ready):
                order.append(k)
                del pending[k]
        for k in STATES:
            missing = rates[k][1] - (known | set(order))
            assert not missing, missing

        lines = ["def _rhs(t, y, v):"]
        for i, s in enumerate(STATES):
            lines.append("    v[%r] = y[%d]" % (s, i))
        for k in order:
            lines.append("    v[%r] = %s" % (k, assign[k][0]))
        lines.append("    return [%s]" % ", ".join(rates[s][0] for s in STATES))
        self.source = "\n".join(lines)
        namespace = {}
        exec(compile(self.source, "<rhs from %s>" % os.path.basename(sbml_path), "exec"), namespace)
        self._rhs = namespace["_rhs"]

    def __call__(self, t, y, params):
        return self._rhs(t, y, params)


def solve_radau(rhs, segments):
    y = np.array(rhs.y0, dtype=float)
    rows = [y.copy()]
    for t0, t1, inputs in segments:
        params = dict(rhs.constants)
        params.update(inputs)
        times = segment_times(t0, t1)
        sol = solve_ivp(rhs, (float(t0), float(t1)), y, method="Radau",
                        t_eval=times, args=(params,),
                        rtol=RADAU_RTOL, atol=RADAU_ATOL)
        if not sol.success:
            raise RuntimeError(sol.message)
        assert np.array_equal(sol.t, np.array(times))
        rows.extend(sol.y[:, 1:].T)
        y = sol.y[:, -1].copy()
    out = np.array(rows)
    assert out.shape == (T_END_TENTHS + 1, 3)
    return out


# --------------------------------------------------------------------------
def write_csv(path, t, y):
    with open(path, "w", newline="\n") as f:
        f.write("t_day,R_pM,B_pM,C_pM\n")
        for k in range(len(t)):
            f.write(",".join(repr(float(x)) for x in (t[k], y[k, 0], y[k, 1], y[k, 2])) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sbml", default=DEFAULT_SBML)
    ap.add_argument("--outdir", default=DEFAULT_OUTDIR)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    print("libroadrunner %s, python-libsbml %s, scipy %s, numpy %s"
          % (roadrunner.__version__, libsbml.getLibSBMLDottedVersion(),
             scipy.__version__, np.__version__))
    rhs = SbmlRhs(args.sbml)
    print("initial state from SBML: " + ", ".join(
        "%s=%r" % (s, v) for s, v in zip(STATES, rhs.y0)))
    t = full_times()
    ok = True
    for name, segments in SCENARIOS.items():
        y_rr = solve_roadrunner(args.sbml, segments)
        y_ra = solve_radau(rhs, segments)
        assert np.array_equal(y_rr[0], np.array(rhs.y0)), "initial states differ"
        rel = np.abs(y_rr - y_ra) / np.abs(y_ra)
        per_state = rel.max(axis=0)
        worst = rel.max()
        status = "OK" if worst < AGREEMENT_TOL else "FAIL"
        ok &= worst < AGREEMENT_TOL
        print("%-22s max rel diff roadrunner vs Radau: %.3e  (R %.3e, B %.3e, C %.3e)  %s"
              % (name, worst, per_state[0], per_state[1], per_state[2], status))
        k80 = 800
        pct = 100.0 * (y_rr[k80] / y_rr[0] - 1.0)
        print("%-22s change at t=80 vs t=0: R %+.1f %%, B %+.1f %%, C %+.1f %%"
              % ("", pct[0], pct[1], pct[2]))
        if not args.no_write:
            path = os.path.join(args.outdir, name + ".csv")
            write_csv(path, t, y_rr)
            print("%-22s wrote %s" % ("", os.path.relpath(path, REPO_ROOT)))
    if not ok:
        print("the two solvers disagree by more than %.0e relative" % AGREEMENT_TOL)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

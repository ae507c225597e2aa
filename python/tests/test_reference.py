"""The published numbers the Rust tests check, through the Python API."""

import csv

import numpy as np
import pytest

import immunoporosis as ip

from conftest import ROOT


def read_reference(stem):
    with open(ROOT / "tests" / "data" / f"{stem}.csv", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(x) for x in r] for r in rows[1:]])


@pytest.mark.parametrize("stem", ["lemaire2004_pth", "lemaire2004_opg", "lemaire2004_rankl_opg"])
def test_lemaire2004_matches_the_sbml_reference(stem):
    # An independent libroadrunner solution of BIOMD0000000278 (tests/data/README.md), to 1e-6
    # relative, as tests/it/reference.rs.
    columns, want = read_reference(stem)
    assert columns == ["t_day", "R_pM", "B_pM", "C_pM"]
    r = ip.run(f"params/scenarios/{stem}.toml")
    got = r.timeseries
    assert len(got) == len(want)
    np.testing.assert_allclose(got["t_day"], want[:, 0], rtol=0, atol=1e-9)
    for j, name in enumerate(columns[1:], start=1):
        rel = np.abs(got[name].to_numpy() - want[:, j]) / np.abs(want[:, j])
        assert rel.max() <= 1e-6, f"{stem}: {name} differs by {rel.max():.3e} relative"


def test_lemaire2004_pth_shows_the_published_catabolic_response():
    # Lemaire 2004: at day 80 under continuous PTH, R +421 %, B +124 %, C +304 %.
    ts = ip.run("params/scenarios/lemaire2004_pth.toml").timeseries
    k80 = int(np.argmin(np.abs(ts["t_day"] - 80.0)))
    assert ts["t_day"][k80] == pytest.approx(80.0, abs=1e-9)
    for name, want in [("R_pM", 421.0), ("B_pM", 124.0), ("C_pM", 304.0)]:
        change = 100.0 * (ts[name][k80] / ts[name][0] - 1.0)
        assert abs(change - want) < 1.0, f"{name}: {change:.1f} %"


def test_pivonka2008_steady_state_is_the_published_one():
    # Pivonka et al. 2008: OBp 6.196e-4, OBa 5.584e-4, OCa 8.069e-4 pM.
    s = ip.steady("pivonka2008")
    v = dict(zip(s["state"], s["value"]))
    assert v["OBp"] == pytest.approx(6.196e-4, rel=1e-3)
    assert v["OBa"] == pytest.approx(5.584e-4, rel=1e-3)
    assert v["OCa"] == pytest.approx(8.069e-4, rel=1e-3)
    assert set(s["unit"]) == {"pM"}
    assert s.attrs["stable"]
    assert all(re < 0 for re, _ in s.attrs["eigenvalues"])
    assert s.attrs["relative_residual"] < 1e-12


def test_lemaire2004_steady_state_is_the_sbml_one():
    # BIOMD0000000278: R 7.734e-4, B 7.283e-4, C 9.127e-4 pM.
    s = ip.steady("lemaire2004")
    v = dict(zip(s["state"], s["value"]))
    assert v["R"] == pytest.approx(7.734e-4, rel=1e-3)
    assert v["B"] == pytest.approx(7.283e-4, rel=1e-3)
    assert v["C"] == pytest.approx(9.127e-4, rel=1e-3)


def test_a_run_reports_the_steady_state_it_started_from():
    # The core model keeps Pivonka's steady state; a run of it says so.
    r = ip.run("params/scenarios/rankl_excess.toml")
    states = r.steady_state["states"]
    assert states["OBp"] == pytest.approx(6.196e-4, rel=1e-3)
    assert states["OCa"] == pytest.approx(8.069e-4, rel=1e-3)
    assert r.steady_state["stable"]
    ts = r.timeseries
    assert ts["OBp_pM"][0] == pytest.approx(states["OBp"], rel=1e-12)

"""The analyses of the command line through the Python API, and the example."""

import subprocess
import sys

import numpy as np
import pytest

import immunoporosis as ip

from conftest import ROOT

POPULATION = {
    "name": "pop_test",
    "scenario": "params/scenarios/menopause_natural.toml",
    "endpoints": "params/endpoints/bone_mass_10y.toml",
    "patients": 24,
    "seed": 11,
    "bands": ["bmd_lumbar_spine_change_pct"],
    "parameter": [
        {"name": "estrogen.g_OCapo_E", "cv": 0.3},
        {"name": "mechanics.g_mech", "cv": 0.2},
    ],
}


def test_a_seeded_population_is_reproducible():
    a = ip.population(POPULATION, threads=1)
    b = ip.population(POPULATION, threads=2)
    assert a.accepted == b.accepted == 24
    assert a.patients.equals(b.patients)
    assert a.bands.equals(b.bands)
    # Another seed draws other women: the comparison above could fail.
    c = ip.population(dict(POPULATION, seed=12))
    assert not np.allclose(a.patients["estrogen.g_OCapo_E"], c.patients["estrogen.g_OCapo_E"])
    # The bands order the patients' values.
    band = a.band("bmd_lumbar_spine_change_pct")
    assert (band["p05"] <= band["p50"]).all() and (band["p50"] <= band["p95"]).all()
    assert band["p95"].iloc[-1] > band["p05"].iloc[-1]


def test_population_from_its_file_equals_its_dict(tmp_path):
    tomllib = pytest.importorskip("tomllib")
    path = ROOT / "params" / "analyses" / "population_menopause.toml"
    with open(path, "rb") as f:
        d = tomllib.load(f)
    d["patients"] = 20
    d["scenario"] = "params/scenarios/menopause_natural.toml"  # a dict's paths are relative to the working folder
    d["endpoints"] = "params/endpoints/bone_mass_10y.toml"
    a = ip.population(d)
    # The file, copied out of the source tree with its relative paths made absolute.
    text = path.read_text().replace("patients = 200", "patients = 20")
    text = text.replace('"../', f'"{ROOT / "params"}/')
    copy = tmp_path / "population.toml"
    copy.write_text(text)
    b = ip.population(copy)
    assert a.patients.equals(b.patients)
    assert a.bands.equals(b.bands)


def test_population_arms_from_one_file_differ_by_their_treatment():
    treated = ip.population(
        dict(POPULATION, scenario="params/scenarios/placebo_pmo.toml"),
        treatments=[{"drug": "denosumab", "dose": 60.0, "unit": "mg", "route": "SC", "interval_days": 182.625, "doses": 20}],
    )
    placebo = ip.population(dict(POPULATION, scenario="params/scenarios/placebo_pmo.toml"))
    # The same women (same candidates) ...
    assert treated.patients["estrogen.g_OCapo_E"].equals(placebo.patients["estrogen.g_OCapo_E"])
    # ... gain bone on denosumab and lose it on placebo.
    assert (treated.patients["ls_bmd_10y"] > 0).all()
    assert (placebo.patients["ls_bmd_10y"] < 0).all()


def test_a_bad_population_dict_names_its_entry():
    bad = dict(POPULATION, parameter=[{"name": "estrogen.g_OCapo_E", "cv": -0.3}])
    with pytest.raises(ip.ScenarioError) as e:
        ip.population(bad)
    assert e.value.file == "<dict>"
    assert e.value.path is not None and e.value.path.startswith('["parameter"][0]')


def test_sweep_rows_in_run_order():
    f = ip.sweep("params/analyses/sweep_menopause_turnover.toml")
    assert len(f) == 21 and list(f["run"]) == list(range(21))
    assert (f["status"] == "ok").all()
    g = f["mechanics.g_mech"].to_numpy()
    # The grid of params/analyses/sweep_menopause_turnover.toml: 5 to 80, log-spaced.
    assert g[0] == pytest.approx(5.0) and g[-1] == pytest.approx(80.0)
    assert np.allclose(np.diff(np.log(g)), np.log(80.0 / 5.0) / 20)
    # Each row is the scenario run at that value: the same as run() with the override.
    k = 7
    r = ip.run("params/scenarios/menopause_natural.toml", parameters={"mechanics.g_mech": float(g[k])})
    assert f["ls_bmd_10y"][k] == pytest.approx(r.column("bmd_lumbar_spine_change_pct")[-1], rel=1e-9)
    assert f["ls_bmd_10y"].nunique() == 21


def test_sensitivity_tables():
    s = ip.sensitivity(
        {
            "name": "sens_test",
            "scenario": "params/scenarios/menopause_natural.toml",
            "endpoints": "params/endpoints/bone_mass_10y.toml",
            "methods": ["local"],
            "parameter": [{"name": "mechanics.g_mech"}, {"name": "estrogen.g_OCapo_E"}],
        }
    )
    local = s["local"]
    assert set(local["variable"]) == {"mechanics.g_mech", "estrogen.g_OCapo_E"}
    row = local[(local["variable"] == "estrogen.g_OCapo_E") & (local["endpoint"] == "ls_bmd_10y")]
    # More estrogen-dependent resorption: more bone lost (a more negative change).
    assert row["dy_dlnp"].iloc[0] < 0


def test_calibration_without_fit_reports_its_targets():
    c = ip.calibrate("params/calibration/immunoporosis.toml", no_fit=True)
    t = c.targets
    assert len(t) > 10
    np.testing.assert_allclose(t["residual"], t["got"] - t["wanted"], rtol=1e-12, atol=1e-12)
    inside = (t["band_low"] <= t["got"]) & (t["got"] <= t["band_high"])
    assert (inside == t["met"]).all()
    assert np.isfinite(c.cost)
    assert (c.parameters["lower"] <= c.parameters["value"]).all()


def test_validation_verdicts_follow_the_bands():
    v = ip.validate()
    assert len(v) > 50
    inside = (v["band_low"] <= v["model"]) & (v["model"] <= v["band_high"])
    assert (inside == (v["verdict"] == "within")).all()


def test_list_parameters_have_units_and_sources():
    p = ip.list_parameters()
    assert set(p["model"]) == {"lemaire2004", "pivonka2008", "bone", "immunoporosis"}
    assert (p["unit"] != "").all() and (p["source"] != "").all()
    a = p[(p["model"] == "pivonka2008") & (p["name"] == "osteoclast.A_OCa")]
    assert a["unit"].iloc[0] == "1/day"
    with pytest.raises(ip.ScenarioError):
        ip.list_parameters("pivonka")


def test_the_denosumab_example_runs_and_draws(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "denosumab_doses.png"
    p = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "denosumab_doses.py"), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = {l.split("  ")[0].strip(): l for l in p.stdout.splitlines()}
    median = {k: float(v.split(" / ")[1]) for k, v in lines.items() if v.count(" / ") == 2 and k != "arm"}
    assert len(median) == 4, p.stdout
    # Placebo loses bone; denosumab every 3 months gains the most, every 6 months more than
    # every 12 months (the dose-interval ordering the figure shows).
    assert median["placebo"] < 0
    assert median["denosumab every 3 months"] > median["denosumab every 6 months (label)"] > median["denosumab every 12 months"]

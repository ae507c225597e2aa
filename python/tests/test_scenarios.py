"""Scenarios from files and dicts, overrides, errors, run_many."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import immunoporosis as ip

# Denosumab runs on a weekly grid warn that the grid cannot follow its absorption (checked once
# below); elsewhere that warning is expected and silenced.
pytestmark = pytest.mark.filterwarnings("ignore:.*output_interval_days:immunoporosis.ImmunoporosisWarning")

RANKL = {
    "name": "rankl_py",
    "description": "extra RANKL from year 1",
    "model": "bone",
    "duration_days": 730.5,
    "output_interval_days": 7.0,
    "parameters": {"osteoclast.A_OCa": 0.6},
    "input": [
        {"name": "P_RANKL_d", "value": 200.0, "unit": "pM/day", "start_day": 365.25},
    ],
    "solver": {"rtol": 1e-8},
}

RANKL_TOML = """\
name = "rankl_py"
description = "extra RANKL from year 1"
model = "bone"
duration_days = 730.5
output_interval_days = 7.0

[parameters]
"osteoclast.A_OCa" = 0.6

[[input]]
name = "P_RANKL_d"
value = 200.0
unit = "pM/day"
start_day = 365.25

[solver]
rtol = 1e-8
"""


def same_run(a, b):
    assert a.columns == b.columns
    assert np.array_equal(a.to_numpy(), b.to_numpy())


def test_a_dict_and_its_file_give_identical_results(tmp_path):
    path = tmp_path / "rankl.toml"
    path.write_text(RANKL_TOML)
    from_file = ip.run(path)
    from_dict = ip.run(RANKL)
    same_run(from_file, from_dict)
    assert from_file.summary == from_dict.summary
    # Bone is lost under excess RANKL: the run did something.
    assert from_file.column("bmd_lumbar_spine_change_pct")[-1] < -0.1


def test_a_bundled_file_and_its_dict_give_identical_results():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    path = "params/scenarios/denosumab_freedom.toml"
    with open(path, "rb") as f:
        as_dict = tomllib.load(f)
    same_run(ip.run(path), ip.run(as_dict))


def test_overrides_equal_the_edited_file(tmp_path):
    base = RANKL_TOML.replace('model = "bone"', 'model = "immunoporosis"')
    edited = base.replace('"osteoclast.A_OCa" = 0.6', '"osteoclast.A_OCa" = 0.8')
    edited += textwrap.dedent(
        """
        [[treatment]]
        drug = "denosumab"
        dose = 60.0
        unit = "mg"
        route = "SC"
        first_day = 0.0
        interval_days = 182.625
        doses = 4
        """
    )
    (tmp_path / "edited.toml").write_text(edited)
    (tmp_path / "base.toml").write_text(base)
    treatment = {"drug": "denosumab", "dose": 60.0, "unit": "mg", "route": "SC", "first_day": 0.0, "interval_days": 182.625, "doses": 4}
    overridden = ip.run(tmp_path / "base.toml", parameters={"osteoclast.A_OCa": 0.8}, treatments=[treatment])
    same_run(ip.run(tmp_path / "edited.toml"), overridden)
    # The override changed the run: the parameter is recorded with the file's value replaced.
    assert "denosumab_central_mg" in overridden.columns
    plain = ip.run(tmp_path / "base.toml")
    assert not np.array_equal(plain.column("OCa_pM"), overridden.column("OCa_pM")[: len(plain.column("OCa_pM"))])
    params = overridden.manifest["parameters"]
    a_oca = params["osteoclast.A_OCa"] if isinstance(params, dict) else next(p for p in params if p["name"] == "osteoclast.A_OCa")
    assert a_oca["value"] == 0.8


def test_a_bad_file_raises_scenario_error_with_file_key_and_line(tmp_path):
    bad = RANKL_TOML.replace('unit = "pM/day"', 'unit = "nM/day"')
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    with pytest.raises(ip.ScenarioError) as e:
        ip.run(path)
    err = e.value
    assert err.file == str(path)
    assert err.key == "input[0].unit"
    assert err.line == bad.splitlines().index('unit = "nM/day"') + 1
    assert err.path is None
    assert "pM/day" in str(err)


def test_a_bad_file_with_overrides_still_names_its_own_line(tmp_path):
    bad = RANKL_TOML.replace('unit = "pM/day"', 'unit = "nM/day"')
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    with pytest.raises(ip.ScenarioError) as e:
        ip.run(path, parameters={"osteoclast.A_OCa": 0.7})
    assert e.value.line == bad.splitlines().index('unit = "nM/day"') + 1
    assert e.value.path is None
    path.write_text(bad.replace("duration_days = 730.5", "duration_days = = 730.5"))
    with pytest.raises(ip.ScenarioError) as e:
        ip.run(path, parameters={"osteoclast.A_OCa": 0.7})
    assert e.value.line == 4


def test_a_toml_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "syntax.toml"
    path.write_text(RANKL_TOML.replace("duration_days = 730.5", "duration_days = = 730.5"))
    with pytest.raises(ip.ScenarioError) as e:
        ip.load(path)
    assert e.value.line == 4
    assert e.value.file == str(path)


def test_a_bad_dict_raises_scenario_error_with_its_dict_path():
    bad = dict(RANKL, input=[dict(RANKL["input"][0], name="P_RANKL_dd")])
    with pytest.raises(ip.ScenarioError) as e:
        ip.run(bad)
    err = e.value
    assert err.file == "<dict>"
    assert err.path == '["input"][0]["name"]'
    assert err.key == "input[0].name"
    assert err.line is None
    assert "did you mean `P_RANKL_d`" in err.help
    # A wrong type is found by the TOML reader; the path still names the entry.
    with pytest.raises(ip.ScenarioError) as e:
        ip.run(dict(RANKL, solver={"rtol": "tight"}))
    assert e.value.path == '["solver"]["rtol"]'


def test_a_bad_override_names_the_override():
    with pytest.raises(ip.ScenarioError) as e:
        ip.run("params/scenarios/rankl_excess.toml", parameters={"osteoclast.A_OCb": 0.6})
    assert e.value.path == '["parameters"]["osteoclast.A_OCb"]'
    assert e.value.file == "params/scenarios/rankl_excess.toml"
    assert e.value.help == "did you mean `osteoclast.A_OCp`?"
    with pytest.raises(TypeError):
        ip.run(RANKL, parameters=[("osteoclast.A_OCa", 0.6)])


def test_a_failed_run_raises_simulation_error_with_the_time_reached():
    tiny = dict(RANKL, solver={"max_steps": 20})
    with pytest.raises(ip.SimulationError) as e:
        ip.run(tiny)
    t = e.value.time_reached
    assert t is not None and 0.0 < t < RANKL["duration_days"]
    assert "max_steps" in str(e.value)


def variants(n):
    return [dict(RANKL, name=f"v{i}", parameters={"osteoclast.A_OCa": 0.4 + 0.05 * i}) for i in range(n)]


def test_run_many_equals_serial_runs():
    scenarios = variants(8)
    serial = [ip.run(s) for s in scenarios]
    for threads in (None, 1, 2):
        parallel = ip.run_many(scenarios, threads=threads)
        assert [r.name for r in parallel] == [s["name"] for s in scenarios]
        for a, b in zip(serial, parallel):
            same_run(a, b)
    # The variants differ, so the comparison above could fail.
    assert serial[0].column("OCa_pM")[-1] != serial[-1].column("OCa_pM")[-1]


def test_run_many_raises_or_returns_the_failed_run():
    scenarios = variants(3)
    scenarios[1] = dict(scenarios[1], solver={"max_steps": 20})
    with pytest.raises(ip.SimulationError) as e:
        ip.run_many(scenarios)
    assert e.value.index == 1
    out = ip.run_many(scenarios, errors="return")
    assert isinstance(out[1], ip.SimulationError) and out[1].time_reached > 0
    same_run(out[0], ip.run(scenarios[0]))
    with pytest.raises(ip.ScenarioError) as e:
        ip.run_many([RANKL, dict(RANKL, model="bones")])
    assert e.value.index == 1 and e.value.path == '["model"]'


LONG = {
    # 5000 fifty-year runs, one thread: minutes of work.
    "run_many": """
        s = ip.load("params/scenarios/healthy.toml")
        ip.run_many([s] * 5000, threads=1)
    """,
    # 100,000 ten-year patients, one thread: minutes of work.
    "population": """
        ip.population({
            "name": "long", "scenario": "params/scenarios/menopause_natural.toml",
            "endpoints": "params/endpoints/bone_mass_10y.toml", "patients": 100000,
            "parameter": [{"name": "mechanics.g_mech", "cv": 0.2}],
        }, threads=1)
    """,
}


@pytest.mark.parametrize("work", sorted(LONG))
def test_ctrl_c_stops_long_work(work):
    # Work far too long to finish is interrupted with SIGINT: the interpreter gets
    # KeyboardInterrupt and the process ends (the timeout only guards against a hang).
    # The child installs Python's own SIGINT handler: a process started in the background of a
    # non-interactive shell (CI under `nohup ... &`) inherits SIGINT ignored, and Python then
    # leaves it ignored.
    code = "import signal, sys, immunoporosis as ip\n"
    code += "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    code += "print('started', flush=True)\ntry:\n"
    code += textwrap.indent(textwrap.dedent(LONG[work]).strip(), "    ")
    code += "\nexcept KeyboardInterrupt:\n    print('interrupted', flush=True)\n    sys.exit(3)\nprint('finished', flush=True)\n"
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    import time

    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    assert out.strip() == "interrupted"
    assert p.returncode == 3


def test_the_command_lines_warnings_are_python_warnings():
    with pytest.warns(ip.ImmunoporosisWarning, match="denosumab_freedom: output_interval_days"):
        s = ip.load("params/scenarios/denosumab_freedom.toml")
    assert len(s.warnings) == 1
    a = dict(RANKL, input=[dict(RANKL["input"][0], value=2.0e6)])
    with pytest.warns(ip.ImmunoporosisWarning, match="P_RANKL_d"):
        ip.load(a)


def test_result_tables():
    r = ip.run("params/scenarios/menopause_natural.toml")
    ts = r.timeseries
    assert list(ts.columns) == r.columns
    assert ts["t_day"].iloc[0] == 0.0 and ts["t_day"].iloc[-1] == pytest.approx(3652.5)
    assert r.manifest["scenario"]["name"] == "menopause_natural" if isinstance(r.manifest["scenario"], dict) else True
    assert set(r.summary) >= {"endpoints"}
    assert "bone" in r.plots
    assert r.steady_state["stable"]


def test_plot_draws_the_bone_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    r = ip.run("params/scenarios/menopause_natural.toml")
    ax = r.plot("bone")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "lumbar spine BMD" in labels
    ax.figure.savefig(tmp_path / "bone.png")
    assert (tmp_path / "bone.png").stat().st_size > 1000
    with pytest.raises(ValueError):
        r.plot("bones")


def test_to_polars_goes_through_arrow():
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    r = ip.run(RANKL)
    df = r.to_polars()
    assert isinstance(df, pl.DataFrame)
    assert df.columns == r.columns
    assert np.array_equal(df["OCa_pM"].to_numpy(), r.column("OCa_pM"))


def test_compare_stacks_the_scenarios():
    f = ip.compare(["params/scenarios/placebo_pmo.toml", "params/scenarios/denosumab_freedom.toml"])
    assert set(f["scenario"]) == {"placebo_pmo", "denosumab_freedom"}
    assert "bmd_lumbar_spine_change_pct" in f.columns

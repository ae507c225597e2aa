//! The analyses of the command line from Python: sweep, sensitivity, population, calibrate,
//! validate, steady and the parameter list. Each loads its file (or dict) with the library's
//! loader, runs the library's analysis off the interpreter's thread and returns plain columns
//! (dicts of lists) that the Python layer turns into DataFrames. Nothing is written.

use crate::boundary::{analysis_error, guarded, interruptible, scenario_error, simulation_error};
use crate::source::{DICT, Given, Overrides, Text, generated};
use immunoporosis::analysis::{
    self, population as lib_population, sensitivity as lib_sensitivity, sweep as lib_sweep,
};
use immunoporosis::config::{self, AnalysisText};
use immunoporosis::error::ConfigError;
use immunoporosis::model::ModelId;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use toml::Value;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity, m)?)?;
    m.add_function(wrap_pyfunction!(population, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(steady, m)?)?;
    m.add_function(wrap_pyfunction!(list_parameters, m)?)?;
    Ok(())
}

fn interrupted() -> PyErr {
    PyKeyboardInterrupt::new_err("interrupted")
}

/// An analysis file or dict, with the scenario that replaces the one it names: the `scenario`
/// argument, a dict under its `scenario` key, or the named scenario with overrides.
fn analysis_text(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    scenario: Option<&Bound<'_, PyAny>>,
    ov: &Overrides,
) -> PyResult<(Text, Option<config::Scenario>)> {
    let scenario = scenario.filter(|s| !s.is_none());
    match Given::from_py(spec, "analysis")? {
        Given::File(path) => {
            let src = config::read(&path).map_err(|e| scenario_error(py, e, None))?;
            let inline = match scenario {
                Some(s) => Some(crate::load(py, Given::from_py(s, "scenario")?, ov)?),
                None if !ov.is_empty() => {
                    let named =
                        named_scenario(&path, &src).map_err(|e| scenario_error(py, e, None))?;
                    Some(crate::load(py, Given::File(named), ov)?)
                }
                None => None,
            };
            let text = Text {
                file: path,
                src,
                map: None,
            };
            Ok((text, inline))
        }
        Given::Dict(mut t) => {
            let inline = match (scenario, t.get("scenario")) {
                (Some(s), _) => Some(crate::load(py, Given::from_py(s, "scenario")?, ov)?),
                (None, Some(Value::Table(inner))) => {
                    Some(crate::load(py, Given::Dict(inner.clone()), ov)?)
                }
                (None, Some(Value::String(p))) if !ov.is_empty() => {
                    Some(crate::load(py, Given::File(PathBuf::from(p)), ov)?)
                }
                _ if !ov.is_empty() => {
                    return Err(scenario_error(
                        py,
                        ConfigError::key(
                            DICT,
                            None,
                            "scenario",
                            "overrides need a scenario, and there is none",
                        ),
                        None,
                    ));
                }
                _ => None,
            };
            if inline.is_some() {
                t.remove("scenario");
            }
            Ok((generated(PathBuf::from(DICT), &t), inline))
        }
    }
}

/// The scenario file an analysis file names (relative to its folder).
fn named_scenario(path: &Path, src: &str) -> Result<PathBuf, ConfigError> {
    let t: toml::Table =
        toml::from_str(src).map_err(|e| ConfigError::file(path, format!("invalid TOML\n{e}")))?;
    match t.get("scenario") {
        Some(Value::String(s)) => Ok(path.parent().unwrap_or(Path::new(".")).join(s)),
        _ => Err(ConfigError::key(
            path,
            None,
            "scenario",
            "overrides need the scenario this file names, and it names none",
        )),
    }
}

fn analysis_input<'a>(text: &'a Text, scenario: Option<config::Scenario>) -> AnalysisText<'a> {
    AnalysisText {
        file: &text.file,
        src: text.src.clone(),
        scenario,
    }
}

/// Parses an analysis file or dict (with its scenario and overrides) by `parse`; bad input is a
/// ScenarioError naming the file or dict path, key and line.
fn parse_analysis<T>(
    py: Python<'_>,
    spec: &Bound<'_, PyAny>,
    scenario: Option<&Bound<'_, PyAny>>,
    (parameters, treatments): (Option<&Bound<'_, PyAny>>, Option<&Bound<'_, PyAny>>),
    parse: impl FnOnce(AnalysisText<'_>) -> Result<T, ConfigError>,
) -> PyResult<T> {
    let ov = Overrides::from_py(parameters, treatments)?;
    let (text, inline) = analysis_text(py, spec, scenario, &ov)?;
    parse(analysis_input(&text, inline)).map_err(|e| scenario_error(py, e, Some(&text)))
}

fn names<'a>(it: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    it.into_iter().cloned().collect()
}

/// sweep(spec, scenario=None, parameters=None, treatments=None, threads=None)
/// --
///
/// Runs a sweep file or dict; returns its header and one row per run (variables, endpoints,
/// status, reason).
#[pyfunction]
#[pyo3(signature = (spec, scenario=None, parameters=None, treatments=None, threads=None))]
fn sweep<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
    scenario: Option<&Bound<'py, PyAny>>,
    parameters: Option<&Bound<'py, PyAny>>,
    treatments: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        let (h, sw) = parse_analysis(
            py,
            spec,
            scenario,
            (parameters, treatments),
            config::parse_sweep,
        )?;
        let rows = interruptible(py, threads, |cancel: &AtomicBool| {
            let mut rows = Vec::with_capacity(sw.runs());
            let done = lib_sweep::stream(&sw, &|| {}, |k, x, o| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(());
                }
                rows.push((k, x, o.endpoints));
                Ok(())
            });
            done.map(|()| rows)
        })?
        .map_err(|()| interrupted())?;
        let d = PyDict::new(py);
        d.set_item("name", &h.name)?;
        d.set_item("scenario", &h.scenario.name)?;
        let vars = names(sw.variables.iter().map(|v| &v.name));
        let ends = names(sw.endpoints.iter().map(|e| &e.name));
        d.set_item("variables", vars.clone())?;
        d.set_item("endpoints", ends.clone())?;
        let cols = PyDict::new(py);
        cols.set_item("run", rows.iter().map(|r| r.0).collect::<Vec<_>>())?;
        for (i, v) in vars.iter().enumerate() {
            cols.set_item(v, rows.iter().map(|r| r.1[i]).collect::<Vec<_>>())?;
        }
        for (j, e) in ends.iter().enumerate() {
            let col: Vec<f64> = rows
                .iter()
                .map(|r| r.2.as_ref().map_or(f64::NAN, |v| v[j]))
                .collect();
            cols.set_item(e, col)?;
        }
        let status: Vec<&str> = rows
            .iter()
            .map(|r| if r.2.is_ok() { "ok" } else { "failed" })
            .collect();
        cols.set_item("status", status)?;
        let reason: Vec<Option<String>> = rows.iter().map(|r| r.2.clone().err()).collect();
        cols.set_item("reason", reason)?;
        d.set_item("table", cols)?;
        Ok(d)
    })
}

/// sensitivity(spec, scenario=None, parameters=None, treatments=None, seed=None, threads=None)
/// --
///
/// Runs a sensitivity file or dict (local, Morris, Sobol as it asks); returns one table per
/// method, one row per variable and endpoint.
#[pyfunction]
#[pyo3(signature = (spec, scenario=None, parameters=None, treatments=None, seed=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn sensitivity<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
    scenario: Option<&Bound<'py, PyAny>>,
    parameters: Option<&Bound<'py, PyAny>>,
    treatments: Option<&Bound<'py, PyAny>>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        let mut s = parse_analysis(
            py,
            spec,
            scenario,
            (parameters, treatments),
            config::parse_sensitivity,
        )?;
        if let Some(seed) = seed {
            s.header.seed = seed;
        }
        let s = &s;
        type Results = (
            Option<lib_sensitivity::Local>,
            Option<Vec<Vec<lib_sensitivity::MorrisStat>>>,
            Option<Vec<Vec<lib_sensitivity::SobolStat>>>,
        );
        let results = interruptible(
            py,
            threads,
            |cancel: &AtomicBool| -> Result<Results, String> {
                let base = &s.header.scenario.spec;
                let eval = |points: &[Vec<f64>]| -> Vec<Result<Vec<f64>, String>> {
                    if cancel.load(Ordering::Relaxed) {
                        return points.iter().map(|_| Err("interrupted".into())).collect();
                    }
                    analysis::run_points(base, &s.variables, points, &s.header.endpoints, &|| {})
                };
                let seed = s.header.seed;
                Ok((
                    s.local
                        .map(|h| lib_sensitivity::local(&eval, &s.nominal, h))
                        .transpose()?,
                    s.morris
                        .map(|(r, p)| lib_sensitivity::morris(&eval, &s.ranges, r, p, seed))
                        .transpose()?,
                    s.sobol
                        .map(|(n, b)| lib_sensitivity::sobol(&eval, &s.ranges, n, b, seed))
                        .transpose()?,
                ))
            },
        )?;
        let (local, morris, sobol) = results.map_err(|reason| analysis_error(py, reason))?;
        let vars = names(s.variables.iter().map(|v| &v.name));
        let ends = names(s.header.endpoints.iter().map(|e| &e.name));
        let d = PyDict::new(py);
        d.set_item("name", &s.header.name)?;
        let pairs = |f: &Fill<'_, 'py>| pair_rows(py, &vars, &ends, f);
        if let Some(l) = &local {
            d.set_item(
                "local",
                pairs(&|i, j, r| {
                    r.set_item("endpoint_nominal", l.nominal_endpoints[j])?;
                    r.set_item("normalised", l.normalised[i][j])?;
                    r.set_item("dy_dlnp", l.dy_dlnp[i][j])
                })?,
            )?;
        }
        if let Some(m) = &morris {
            d.set_item(
                "morris",
                pairs(&|i, j, r| {
                    r.set_item("mu", m[i][j].mu)?;
                    r.set_item("mu_star", m[i][j].mu_star)?;
                    r.set_item("sigma", m[i][j].sigma)
                })?,
            )?;
        }
        if let Some(so) = &sobol {
            d.set_item(
                "sobol",
                pairs(&|i, j, r| {
                    let x = &so[i][j];
                    r.set_item("first", x.first.value)?;
                    r.set_item("first_low", x.first.low)?;
                    r.set_item("first_high", x.first.high)?;
                    r.set_item("total", x.total.value)?;
                    r.set_item("total_low", x.total.low)?;
                    r.set_item("total_high", x.total.high)
                })?,
            )?;
        }
        Ok(d)
    })
}

/// Fills a row of a variable-by-endpoint table: (variable index, endpoint index, row).
type Fill<'a, 'py> = dyn Fn(usize, usize, &Bound<'py, PyDict>) -> PyResult<()> + 'a;

/// One row per variable and endpoint, `fill` adding the numbers.
fn pair_rows<'py>(
    py: Python<'py>,
    vars: &[String],
    ends: &[String],
    fill: &Fill<'_, 'py>,
) -> PyResult<Bound<'py, PyList>> {
    let rows = PyList::empty(py);
    for (i, v) in vars.iter().enumerate() {
        for (j, e) in ends.iter().enumerate() {
            let r = PyDict::new(py);
            r.set_item("variable", v)?;
            r.set_item("endpoint", e)?;
            fill(i, j, &r)?;
            rows.append(r)?;
        }
    }
    Ok(rows)
}

/// population(spec, scenario=None, parameters=None, treatments=None, threads=None)
/// --
///
/// Runs a population file or dict; returns its patients, its percentile bands and its counts.
/// Ctrl-C stops it after the chunk of candidates under way.
#[pyfunction]
#[pyo3(signature = (spec, scenario=None, parameters=None, treatments=None, threads=None))]
fn population<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
    scenario: Option<&Bound<'py, PyAny>>,
    parameters: Option<&Bound<'py, PyAny>>,
    treatments: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        let study = parse_analysis(
            py,
            spec,
            scenario,
            (parameters, treatments),
            config::parse_population,
        )?;
        let pop = &study.population;
        let out = interruptible(py, threads, |cancel: &AtomicBool| {
            let mut patients = Vec::new();
            let summary =
                lib_population::stream(pop, lib_population::BAND_EXACT_BYTES, &|_, _| {}, |p| {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(());
                    }
                    patients.push((p.candidate, p.values.to_vec(), p.endpoints.to_vec()));
                    Ok(())
                });
            summary.map(|s| (patients, s))
        })?;
        let (patients, summary) = match out {
            Ok(v) => v,
            Err(lib_population::PopulationError::Sink(())) => return Err(interrupted()),
            Err(lib_population::PopulationError::Analysis(reason)) => {
                return Err(analysis_error(py, reason));
            }
        };
        let d = PyDict::new(py);
        d.set_item("name", &study.header.name)?;
        d.set_item("scenario", &study.header.scenario.name)?;
        let cols = PyDict::new(py);
        cols.set_item("patient", (0..patients.len()).collect::<Vec<_>>())?;
        cols.set_item(
            "candidate",
            patients.iter().map(|p| p.0).collect::<Vec<_>>(),
        )?;
        for (i, (v, _)) in pop.variables.iter().enumerate() {
            cols.set_item(&v.name, patients.iter().map(|p| p.1[i]).collect::<Vec<_>>())?;
        }
        for (j, e) in pop.endpoints.iter().enumerate() {
            cols.set_item(&e.name, patients.iter().map(|p| p.2[j]).collect::<Vec<_>>())?;
        }
        d.set_item("patients", cols)?;
        let bands = PyList::empty(py);
        for b in &summary.bands {
            let r = PyDict::new(py);
            r.set_item("column", &b.column)?;
            r.set_item("t_day", b.t.clone())?;
            r.set_item("p05", b.p05.clone())?;
            r.set_item("p50", b.p50.clone())?;
            r.set_item("p95", b.p95.clone())?;
            r.set_item("relative_accuracy", b.relative_accuracy)?;
            bands.append(r)?;
        }
        d.set_item("bands", bands)?;
        d.set_item("accepted", summary.accepted)?;
        d.set_item("candidates", summary.candidates)?;
        d.set_item("rejected", summary.rejected)?;
        d.set_item("failed", summary.failed_count)?;
        d.set_item("failures", summary.failed.clone())?;
        Ok(d)
    })
}

/// calibrate(spec, no_fit=False, threads=None)
/// --
///
/// Fits a calibration file or dict (or, with `no_fit`, evaluates it at the parameter file's
/// values); returns the parameters and the targets.
#[pyfunction]
#[pyo3(signature = (spec, no_fit=false, threads=None))]
fn calibrate<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PyAny>,
    no_fit: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        let text = match Given::from_py(spec, "calibration")? {
            Given::File(path) => {
                let src = config::read(&path).map_err(|e| scenario_error(py, e, None))?;
                Text {
                    file: path,
                    src,
                    map: None,
                }
            }
            Given::Dict(t) => generated(PathBuf::from(DICT), &t),
        };
        let cal = config::parse_calibration(&text.file, text.src.clone())
            .map_err(|e| scenario_error(py, e, Some(&text)))?;
        let cal = &cal;
        let fit = interruptible(py, threads, |_: &AtomicBool| {
            use immunoporosis::calibration;
            if no_fit {
                let values: Vec<f64> = cal
                    .parameters
                    .iter()
                    .map(|p| cal.params.params[&p.name].value)
                    .collect();
                calibration::fit_at(cal, &values, 0, 1, "not fitted (no_fit)".into())
            } else {
                calibration::calibrate(cal, &|_, _| {})
            }
        })?
        .map_err(|e| analysis_error(py, format!("calibration failed: {e}")))?;
        let d = PyDict::new(py);
        d.set_item("name", &cal.name)?;
        d.set_item("cost", fit.cost)?;
        d.set_item("iterations", fit.iterations)?;
        d.set_item("evaluations", fit.evaluations)?;
        d.set_item("termination", &fit.termination)?;
        let params = PyList::empty(py);
        for p in &fit.parameters {
            let r = PyDict::new(py);
            r.set_item("name", &p.name)?;
            r.set_item("unit", &p.unit)?;
            r.set_item("initial", p.initial)?;
            r.set_item("value", p.value)?;
            r.set_item("lower", p.lower)?;
            r.set_item("upper", p.upper)?;
            params.append(r)?;
        }
        d.set_item("parameters", params)?;
        let targets = PyList::empty(py);
        for t in &fit.targets {
            let r = PyDict::new(py);
            r.set_item("name", &t.name)?;
            r.set_item("scenario", &t.scenario)?;
            r.set_item("column", &t.column)?;
            r.set_item("time_days", t.time_days)?;
            r.set_item("wanted", t.wanted)?;
            r.set_item("got", t.got)?;
            r.set_item("residual", t.residual)?;
            r.set_item("band_low", t.band.0)?;
            r.set_item("band_high", t.band.1)?;
            r.set_item("met", t.met)?;
            r.set_item("source", &t.source)?;
            targets.append(r)?;
        }
        d.set_item("targets", targets)?;
        Ok(d)
    })
}

/// validate(files, calibrations=None, threads=None)
/// --
///
/// Judges the model against published outcomes (validation files); one row per outcome.
#[pyfunction]
#[pyo3(signature = (files, calibrations=None, threads=None))]
fn validate<'py>(
    py: Python<'py>,
    files: Vec<PathBuf>,
    calibrations: Option<Vec<PathBuf>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    guarded(|| {
        let cals = calibrations.unwrap_or_default();
        let v = config::load_validation(&files, &cals).map_err(|e| scenario_error(py, e, None))?;
        let v = &v;
        let e = interruptible(py, threads, |_: &AtomicBool| {
            immunoporosis::validation::evaluate(v, &|| {})
        })?
        .map_err(|e| simulation_error(py, &e, None))?;
        let rows = PyList::empty(py);
        for (o, r) in v.outcomes.iter().zip(&e.outcomes) {
            let d = PyDict::new(py);
            d.set_item("study", &v.studies[o.study].id)?;
            d.set_item("outcome", &o.name)?;
            d.set_item("scenario", &v.scenarios[o.scenario].name)?;
            d.set_item("minus", o.minus.map(|m| v.scenarios[m].name.clone()))?;
            d.set_item("from_days", o.from_days)?;
            d.set_item("column", &o.column)?;
            d.set_item("time_days", o.time_days)?;
            d.set_item("published", o.value)?;
            d.set_item("se", o.se)?;
            d.set_item("model", r.model)?;
            d.set_item("band_low", r.band.0)?;
            d.set_item("band_high", r.band.1)?;
            d.set_item("verdict", r.verdict.as_str())?;
            rows.append(d)?;
        }
        Ok(rows)
    })
}

fn model_id(py: Python<'_>, model: &str) -> PyResult<ModelId> {
    ModelId::from_name(model).ok_or_else(|| {
        let known: Vec<&str> = ModelId::ALL.iter().map(|m| m.name()).collect();
        scenario_error(
            py,
            ConfigError::key(
                "<argument>",
                None,
                "model",
                format!("unknown model `{model}`"),
            )
            .with_help(format!("known models: {}", known.join(", "))),
            None,
        )
    })
}

/// steady(model, parameter_set=None)
/// --
///
/// A model's steady state (bundled parameters, or a parameter file), with units.
#[pyfunction]
#[pyo3(signature = (model, parameter_set=None))]
fn steady<'py>(
    py: Python<'py>,
    model: &str,
    parameter_set: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        let id = model_id(py, model)?;
        let set = match &parameter_set {
            Some(p) => config::load_params(id, p),
            None => config::bundled_params(id),
        }
        .map_err(|e| scenario_error(py, e, None))?;
        let report = py
            .detach(|| immunoporosis::engine::steady_state(id, &set))
            .map_err(|e| simulation_error(py, &e, None))?;
        let layout = id.layout(&[]);
        let states: Vec<String> = layout.states.iter().map(|s| s.name.to_string()).collect();
        let d = crate::steady_dict(py, &report, &states)?;
        let units: Vec<&str> = layout.states.iter().map(|s| s.unit).collect();
        d.set_item("units", units)?;
        d.set_item("model", id.name())?;
        d.set_item("parameters", &set.origin)?;
        Ok(d)
    })
}

/// list_parameters(model=None)
/// --
///
/// Every parameter of the bundled models (or of one): value, unit, symbol, description,
/// source.
#[pyfunction]
#[pyo3(signature = (model=None))]
fn list_parameters<'py>(py: Python<'py>, model: Option<&str>) -> PyResult<Bound<'py, PyList>> {
    guarded(|| {
        let ids = match model {
            Some(m) => vec![model_id(py, m)?],
            None => ModelId::ALL.to_vec(),
        };
        let rows = PyList::empty(py);
        for id in ids {
            let set = config::bundled_params(id).map_err(|e| scenario_error(py, e, None))?;
            for p in set.params.values() {
                let d = PyDict::new(py);
                d.set_item("model", id.name())?;
                d.set_item("name", &p.name)?;
                d.set_item("value", p.value)?;
                d.set_item("unit", &p.unit)?;
                d.set_item("symbol", &p.symbol)?;
                d.set_item("description", &p.description)?;
                d.set_item("source", &p.source)?;
                rows.append(d)?;
            }
        }
        Ok(rows)
    })
}

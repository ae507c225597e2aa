//! `immunoporosis._native`: the simulator in-process for the Python package `immunoporosis`.
//!
//! The library does the work exactly as the command line does it (the same loaders, validation,
//! engine and analyses); this crate only converts: Python values to scenario text
//! (`source`), library errors to the package's exceptions (`boundary`), results to plain
//! Python data (columns as raw float64 bytes) that the pure-Python layer turns into DataFrames.
//! Simulations run with the GIL released; Ctrl-C stops `run_many` and the analyses.

mod analyses;
mod boundary;
mod source;

use boundary::{Cancelled, guarded, interruptible, scenario_error, simulation_error};
use immunoporosis::config;
use immunoporosis::engine::{self, SteadyStateReport};
use immunoporosis::error::SimError;
use immunoporosis::output;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use rayon::prelude::*;
use source::{Given, Overrides, Text, text_of};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A validated scenario (from a file or a dict, with any overrides applied).
#[pyclass(frozen, module = "immunoporosis._native")]
struct Scenario {
    inner: config::Scenario,
}

#[pymethods]
impl Scenario {
    /// The scenario's name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The model it runs.
    #[getter]
    fn model(&self) -> &str {
        self.inner.spec.model.name()
    }

    /// The TOML text that was validated (for a dict: the text generated from it).
    #[getter]
    fn toml(&self) -> &str {
        &self.inner.source
    }

    /// Inputs and doses far outside their plausible ranges (not errors).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Scenario(name={:?}, model={:?}, from {:?})",
            self.inner.name,
            self.inner.spec.model.name(),
            self.inner.path.display().to_string()
        )
    }
}

/// Loads a scenario: validates it (a file, a dict, overrides) into the engine's form.
pub(crate) fn load(py: Python<'_>, given: Given, ov: &Overrides) -> PyResult<config::Scenario> {
    let file = match &given {
        Given::File(p) if !ov.is_empty() => Some(p.clone()),
        _ => None,
    };
    // A file with overrides that fails: if the file alone fails too, its own error, which names
    // its line, is the one to report.
    let own_error = |e: PyErr| match &file {
        Some(p) => match config::load_scenario(p) {
            Err(own) => scenario_error(py, own, None),
            Ok(_) => e,
        },
        None => e,
    };
    let text = text_of(given, ov).map_err(|e| own_error(scenario_error(py, e, None)))?;
    parse(py, &text).map_err(own_error)
}

fn parse(py: Python<'_>, text: &Text) -> PyResult<config::Scenario> {
    config::parse_scenario(&text.file, &text.src).map_err(|e| scenario_error(py, e, Some(text)))
}

/// load_scenario(scenario, parameters=None, treatments=None)
/// --
///
/// Validates a scenario (a path or a dict with the TOML file's keys); `parameters` are merged
/// into its `[parameters]`, `treatments` replace its `[[treatment]]` list.
#[pyfunction]
#[pyo3(signature = (scenario, parameters=None, treatments=None))]
fn load_scenario(
    py: Python<'_>,
    scenario: &Bound<'_, PyAny>,
    parameters: Option<&Bound<'_, PyAny>>,
    treatments: Option<&Bound<'_, PyAny>>,
) -> PyResult<Scenario> {
    guarded(|| {
        let ov = Overrides::from_py(parameters, treatments)?;
        let given = Given::from_py(scenario, "scenario")?;
        Ok(Scenario {
            inner: load(py, given, &ov)?,
        })
    })
}

/// One simulated scenario: its output table and its records. The manifest and summary are
/// built when asked for (a manifest is about 130 kB of JSON for the immunoporosis model, which
/// `run_many` of many scenarios would otherwise pay for every run).
#[pyclass(frozen, module = "immunoporosis._native")]
struct RunData {
    scenario: Py<Scenario>,
    result: engine::RunResult,
    wall_seconds: f64,
    state_names: Vec<String>,
    plots: &'static [immunoporosis::model::PlotSpec],
}

impl RunData {
    fn new(py: Python<'_>, scenario: &Py<Scenario>, (result, wall_seconds): Simulated) -> Self {
        let layout = scenario.get().inner.spec.layout();
        RunData {
            scenario: scenario.clone_ref(py),
            result,
            wall_seconds,
            state_names: layout.states.iter().map(|x| x.name.to_string()).collect(),
            plots: layout.plots,
        }
    }

    fn data(&self) -> &[Vec<f64>] {
        &self.result.trajectory.data
    }
}

#[pymethods]
impl RunData {
    /// Scenario name.
    #[getter]
    fn name(&self) -> &str {
        &self.scenario.get().inner.name
    }

    /// Column names of the time series.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.result.trajectory.columns.clone()
    }

    /// Number of output times.
    #[getter]
    fn nrows(&self) -> usize {
        self.result.trajectory.len()
    }

    /// Every column's float64 values, one column after another (native byte order).
    fn column_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let n: usize = self.data().iter().map(Vec::len).sum();
        PyBytes::new_with(py, n * 8, |buf| {
            let mut at = 0;
            for col in self.data() {
                for v in col {
                    buf[at..at + 8].copy_from_slice(&v.to_ne_bytes());
                    at += 8;
                }
            }
            Ok(())
        })
        .expect("filling a bytes object cannot fail")
    }

    /// One column's float64 values (native byte order), or None if there is no such column.
    fn column_bytes_of<'py>(&self, py: Python<'py>, name: &str) -> Option<Bound<'py, PyBytes>> {
        let col = self.result.trajectory.column(name)?;
        let bytes: Vec<u8> = col.iter().flat_map(|v| v.to_ne_bytes()).collect();
        Some(PyBytes::new(py, &bytes))
    }

    /// manifest.json of the run, as text.
    #[getter]
    fn manifest_json(&self) -> PyResult<String> {
        let s = &self.scenario.get().inner;
        guarded(|| Ok(output::manifest::build(s, &self.result, self.wall_seconds).to_string()))
    }

    /// summary.json of the run, as text (None for models without clinical read-outs).
    #[getter]
    fn summary_json(&self) -> PyResult<Option<String>> {
        let s = &self.scenario.get().inner;
        guarded(|| Ok(output::manifest::summary(s, &self.result).map(|v| v.to_string())))
    }

    /// Warnings of the scenario.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.scenario.get().inner.warnings.clone()
    }

    /// The model's figures, as the command line draws them: (name, title, y label, [(column,
    /// label, offset)]).
    #[getter]
    #[allow(clippy::type_complexity)]
    fn plots(&self) -> Vec<(&str, &str, &str, Vec<(&str, &str, f64)>)> {
        self.plots
            .iter()
            .map(|p| (p.file_stem, p.title, p.y_label, p.series.to_vec()))
            .collect()
    }

    /// The model's steady state: states, method, residuals, eigenvalues, stability.
    #[getter]
    fn steady_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        steady_dict(py, &self.result.steady_state, &self.state_names)
    }
}

/// A steady-state report as a dict.
pub(crate) fn steady_dict<'py>(
    py: Python<'py>,
    r: &SteadyStateReport,
    names: &[String],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let states = PyDict::new(py);
    for (n, v) in names.iter().zip(&r.state) {
        states.set_item(n, v)?;
    }
    d.set_item("states", states)?;
    d.set_item("method", r.method.as_str())?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("residual", r.residual)?;
    d.set_item("relative_residual", r.relative_residual)?;
    d.set_item("jacobian_states", r.jacobian_states.clone())?;
    d.set_item("eigenvalues", r.eigenvalues.clone())?;
    d.set_item("stable", r.stable)?;
    Ok(d)
}

/// A finished run and its wall time (seconds).
type Simulated = (engine::RunResult, f64);

/// Simulates a scenario as `immunoporosis run` does, without writing anything.
fn simulate(s: &config::Scenario) -> Result<Simulated, SimError> {
    let started = Instant::now();
    let result = engine::simulate(&s.spec)?;
    Ok((result, started.elapsed().as_secs_f64()))
}

/// run(scenario)
/// --
///
/// Simulates a validated scenario (GIL released).
#[pyfunction]
fn run(py: Python<'_>, scenario: Py<Scenario>) -> PyResult<RunData> {
    let s = &scenario.get().inner;
    let out = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| simulate(s))));
    match out {
        Ok(Ok(r)) => Ok(RunData::new(py, &scenario, r)),
        Ok(Err(e)) => Err(simulation_error(py, &e, None)),
        Err(panic) => Err(boundary::internal_error(panic)),
    }
}

/// run_many(scenarios, threads=None, errors="raise")
/// --
///
/// Simulates validated scenarios in parallel (GIL released), results in input order. With
/// `errors="raise"` the first failed run (by index) raises SimulationError; with "return" its
/// place in the list holds the exception. Ctrl-C stops it between runs.
#[pyfunction]
#[pyo3(signature = (scenarios, threads=None, errors="raise"))]
fn run_many<'py>(
    py: Python<'py>,
    scenarios: Vec<Py<Scenario>>,
    threads: Option<usize>,
    errors: &str,
) -> PyResult<Bound<'py, PyList>> {
    let raise = match errors {
        "raise" => true,
        "return" => false,
        other => {
            return Err(PyValueError::new_err(format!(
                "errors must be \"raise\" or \"return\", got {other:?}"
            )));
        }
    };
    let specs: Vec<&config::Scenario> = scenarios.iter().map(|s| &s.get().inner).collect();
    let results = interruptible(py, threads, |cancel: &AtomicBool| {
        specs
            .par_iter()
            .map(|s| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(Cancelled);
                }
                Ok(simulate(s))
            })
            .collect::<Vec<_>>()
    })?;
    let out = PyList::empty(py);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Err(Cancelled) => {
                return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err(
                    "run_many interrupted",
                ));
            }
            Ok(Ok(r)) => out.append(Py::new(py, RunData::new(py, &scenarios[i], r))?)?,
            Ok(Err(e)) => {
                let err = simulation_error(py, &e, Some(i));
                if raise {
                    return Err(err);
                }
                out.append(err.value(py))?;
            }
        }
    }
    Ok(out)
}

/// The Rust extension of the `immunoporosis` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_class::<RunData>()?;
    m.add_function(wrap_pyfunction!(load_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(run_many, m)?)?;
    analyses::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

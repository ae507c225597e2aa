//! Scenario files (`params/scenarios/*.toml`): model, duration, output grid, parameter overrides,
//! time-windowed inputs, treatments, initial state and solver settings.
//!
//! `parse_scenario` reads the file into its raw structs (`raw.rs`) and validates it section by
//! section, in this order: the header (name, model, parameter set: `header.rs`), parameter
//! overrides (`overrides.rs`), duration, run-in and output grid (`grid.rs`), input windows
//! (`inputs.rs`), treatments (`treatments.rs`; the schedules are expanded by
//! `engine::protocol::Schedule`), the initial state (`initial.rs`) and the solver settings
//! (`solver.rs`). The first error stops, naming file, key and line. After the treatments, an
//! output grid too coarse for the dosing intervals or drug half-lives gives a warning
//! (`aliasing.rs`).

mod aliasing;
mod grid;
mod header;
mod initial;
mod inputs;
mod overrides;
mod raw;
mod solver;
mod treatments;

use super::figure::FigureOptions;
use super::{line, num, read, suggest, toml_error};
use crate::engine::{Protocol, RunSpec};
use crate::error::ConfigError;
use crate::model::Layout;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// File it came from.
    pub path: PathBuf,
    /// The file's text as read and validated (shown and hashed in `report.html`).
    pub source: String,
    /// Name (also the default output folder).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Parameter overrides applied: (dotted name, value).
    pub overrides: Vec<(String, f64)>,
    /// The run, ready for the engine.
    pub spec: RunSpec,
    /// Input windows as written: (name, unit, value, start, end, profile).
    pub inputs: Vec<(String, String, f64, f64, f64, String)>,
    /// Treatments as written, one line each (drug, dose, route, schedule).
    pub treatments: Vec<String>,
    /// Inputs and doses far outside their plausible ranges, and an output grid too coarse for the
    /// dosed drugs (it aliases), one line each (not errors).
    pub warnings: Vec<String>,
    /// How its figures are drawn (`[figure]`).
    pub figure: FigureOptions,
}

/// Loads and validates a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, ConfigError> {
    parse_scenario(path, &read(path)?)
}

/// Validates scenario text; `file` is used in messages and to resolve relative paths.
pub fn parse_scenario(file: &Path, src: &str) -> Result<Scenario, ConfigError> {
    let raw: raw::RawScenario = toml::from_str(src).map_err(|e| toml_error(file, src, &e))?;
    let cx = Ctx { file, src };
    let header = header::parse(&cx, &raw)?;
    // The drugs the scenario doses decide its state layout (a drug the model cannot be given is
    // reported with its treatment).
    let drugs = header.model.drugs_named(
        raw.treatment
            .iter()
            .map(|t| t.get_ref().drug.get_ref().as_str()),
    );
    let spec = header.model.layout(&drugs);
    let mut params = header.params;
    let overrides = overrides::apply(&cx, &spec, &raw.parameters, &mut params)?;
    let grid = grid::parse(&cx, &spec, &raw)?;
    let inputs = inputs::parse(&cx, &spec, &grid, &raw.input)?;
    let treatments = treatments::parse(&cx, &spec, &grid, &params, &raw.treatment)?;
    let initial = initial::parse(&cx, &spec, raw.initial_state.as_ref())?;
    let (solver, atol_states) = solver::parse(&cx, &spec, raw.solver.as_ref())?;
    let figure = super::figure::parse_figure(file, src, raw.figure.as_ref())?;
    let mut warnings = inputs.warnings;
    warnings.extend(treatments.warnings);
    warnings.extend(aliasing::warnings(
        &spec,
        &params,
        &treatments.doses,
        grid.output_interval,
        grid.duration,
    ));
    Ok(Scenario {
        path: file.to_path_buf(),
        source: src.to_string(),
        name: header.name,
        description: raw.description.unwrap_or_default(),
        overrides,
        inputs: inputs.described,
        treatments: treatments.described,
        warnings,
        figure,
        spec: RunSpec {
            model: header.model,
            drugs,
            params,
            protocol: Protocol {
                start: grid.start,
                duration: grid.duration,
                output_interval: grid.output_interval,
                windows: inputs.windows,
                doses: treatments.doses,
            },
            initial,
            solver,
            atol_states,
        },
    })
}

/// The file being validated, for messages: every error names the file, the key and the line.
struct Ctx<'a> {
    file: &'a Path,
    src: &'a str,
}

impl Ctx<'_> {
    /// An error at a key, on a line if known.
    fn err(&self, at: Option<usize>, key: &str, msg: impl Into<String>) -> ConfigError {
        ConfigError::key(self.file, at, key, msg.into())
    }

    /// The line a spanned value starts on.
    fn line<T>(&self, v: &Spanned<T>) -> Option<usize> {
        line(self.src, v)
    }

    /// The line of an optional spanned value.
    fn line_of<T>(&self, v: Option<&Spanned<T>>) -> Option<usize> {
        v.and_then(|v| self.line(v))
    }

    /// A missing required top-level key, with an example.
    fn required(&self, what: &str, example: &str) -> ConfigError {
        ConfigError::key(
            self.file,
            None,
            what,
            format!("missing required key `{what}`"),
        )
        .with_help(format!("add e.g. `{example}`"))
    }

    /// A finite positive number.
    fn positive(&self, v: &Spanned<f64>, key: &str) -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(self.err(
                self.line(v),
                key,
                format!("must be a positive number, got {}", num(x)),
            ))
        }
    }

    /// A state named in a table key (`[initial_state]`, `[solver] atol_states`): its index.
    fn state_index(
        &self,
        spec: &Layout,
        key: &Spanned<String>,
        k: &str,
    ) -> Result<usize, ConfigError> {
        spec.states
            .iter()
            .position(|s| s.name == key.get_ref())
            .ok_or_else(|| {
                self.err(
                    self.line(key),
                    k,
                    format!("model `{}` has no state `{}`", spec.name, key.get_ref()),
                )
                .with_help(
                    spec.undosed_compartment(key.get_ref()).unwrap_or_else(|| {
                        suggest(key.get_ref(), spec.states.iter().map(|s| s.name))
                    }),
                )
            })
    }
}

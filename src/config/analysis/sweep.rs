//! Sweep files: a design (grid, random, Latin hypercube, Sobol) over parameter ranges.

use super::{
    AnalysisFile, AnalysisHeader, AnalysisText, Common, RangeKeys, open, range, runs_limit,
    variable,
};
use crate::analysis::Variable;
use crate::analysis::sampling::{Design, MAX_SOBOL_DIMENSIONS, MAX_SOBOL_POINTS, Range};
use crate::analysis::sweep::Sweep;
use crate::config::limits::{self, MAX_RUNS, SENSITIVITY_BYTES};
use crate::config::{line, suggest};
use crate::error::ConfigError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<Spanned<String>>,
    description: Option<String>,
    scenario: Option<Spanned<String>>,
    endpoints: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    figure: Option<crate::config::figure::RawFigure>,
    design: Option<Spanned<String>>,
    samples: Option<Spanned<usize>>,
    trajectories: Option<Spanned<bool>>,
    #[serde(default)]
    parameter: Vec<Spanned<RawSweepVariable>>,
}

common!(RawSweep, "sweep");

/// A `[[parameter]]` of a sweep: a range, and its number of grid points.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweepVariable {
    name: Spanned<String>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    scale: Option<Spanned<String>>,
    points: Option<Spanned<usize>>,
}

impl RawSweepVariable {
    fn range_keys(&self) -> RangeKeys<'_> {
        RangeKeys {
            name: &self.name,
            min: self.min.as_ref(),
            max: self.max.as_ref(),
            scale: self.scale.as_ref(),
        }
    }
}

/// Loads and validates a sweep file.
pub fn load_sweep(path: &Path) -> Result<(AnalysisHeader, Sweep), ConfigError> {
    parse_sweep(AnalysisText::read(path)?)
}

/// Validates a sweep file's text (its scenario given or named by its `scenario` key).
pub fn parse_sweep(text: AnalysisText) -> Result<(AnalysisHeader, Sweep), ConfigError> {
    let path = text.file;
    let (src, raw, h) = open::<RawSweep>(text, Some("sweep"))?;
    let f = SweepFile {
        path,
        src: &src,
        raw: &raw,
    };
    let design = f.design()?;
    let (variables, ranges, points) = f.variables(&h, design)?;
    if design == Design::Grid {
        f.check_grid_size(&points)?;
    }
    let samples = f.samples(design, &points)?;
    f.check_design_memory(design, samples, variables.len())?;
    let trajectories = f.trajectories(&h, samples)?;
    if design == Design::Sobol && variables.len() > MAX_SOBOL_DIMENSIONS {
        return Err(ConfigError::key(
            path,
            None,
            "parameter",
            format!("a Sobol design has at most {MAX_SOBOL_DIMENSIONS} parameters"),
        ));
    }
    let sweep = Sweep {
        base: h.scenario.spec.clone(),
        variables,
        ranges,
        points,
        design,
        samples,
        seed: h.seed,
        endpoints: h.endpoints.clone(),
        trajectories,
    };
    Ok((h, sweep))
}

/// The variables, their ranges and their grid points.
type Variables = (Vec<Variable>, Vec<Range>, Vec<usize>);

/// A sweep file being validated.
struct SweepFile<'a> {
    path: &'a Path,
    src: &'a str,
    raw: &'a RawSweep,
}

impl SweepFile<'_> {
    fn err(
        &self,
        at: Option<usize>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> ConfigError {
        ConfigError::key(self.path, at, key, msg)
    }

    fn design(&self) -> Result<Design, ConfigError> {
        Ok(
            match self.raw.design.as_ref().map(|d| d.get_ref().as_str()) {
                None | Some("grid") => Design::Grid,
                Some("random") => Design::Random,
                Some("lhs") => Design::LatinHypercube,
                Some("sobol") => Design::Sobol,
                Some(other) => {
                    let d = self.raw.design.as_ref().expect("matched Some");
                    return Err(self
                        .err(
                            line(self.src, d),
                            "design",
                            format!("unknown design `{other}`"),
                        )
                        .with_help(suggest(other, ["grid", "random", "lhs", "sobol"])));
                }
            },
        )
    }

    /// The variables, their ranges and their grid points (0 for designs other than a grid).
    fn variables(&self, h: &AnalysisHeader, design: Design) -> Result<Variables, ConfigError> {
        let (path, src) = (self.path, self.src);
        let mut variables = Vec::new();
        let mut ranges = Vec::new();
        let mut points = Vec::new();
        for (k, v) in self.raw.parameter.iter().enumerate() {
            variables.push(variable(path, src, h, k, &v.get_ref().name)?);
            ranges.push(range(path, src, k, v.get_ref().range_keys())?);
            let key = format!("parameter[{k}].points");
            let n = match (&v.get_ref().points, design) {
                (Some(p), Design::Grid) if *p.get_ref() >= 1 => *p.get_ref(),
                (Some(p), Design::Grid) => {
                    return Err(self.err(line(src, p), key, "points must be at least 1"));
                }
                (None, Design::Grid) => {
                    return Err(self.err(
                        line(src, v),
                        key,
                        "a grid needs `points` for every parameter",
                    ));
                }
                (Some(p), _) => {
                    return Err(self.err(
                        line(src, p),
                        key,
                        "`points` is for grid designs; use `samples` for the others",
                    ));
                }
                (None, _) => 0,
            };
            points.push(n);
        }
        Ok((variables, ranges, points))
    }

    /// A grid's number of points (runs) is bounded.
    fn check_grid_size(&self, points: &[usize]) -> Result<(), ConfigError> {
        // Checked product: two dimensions of 2^32 points must not wrap around to zero.
        let mut total = Some(1u64);
        for (k, (n, v)) in points.iter().zip(&self.raw.parameter).enumerate() {
            total = total.and_then(|t| t.checked_mul(*n as u64));
            if total.is_none_or(|t| t > MAX_RUNS) {
                let product: f64 = points.iter().map(|p| *p as f64).product();
                let factors: Vec<String> = points.iter().map(|p| p.to_string()).collect();
                return Err(self
                    .err(
                        v.get_ref().points.as_ref().and_then(|p| line(self.src, p)),
                        format!("parameter[{k}].points"),
                        format!(
                            "the grid has {} points ({}), each a run; {}",
                            limits::count(product),
                            factors.join(" x "),
                            runs_limit()
                        ),
                    )
                    .with_help(
                        "use fewer points per parameter, or a random, lhs or sobol design with `samples`",
                    ));
            }
        }
        Ok(())
    }

    /// The number of runs: the grid's points, or `samples` for the other designs.
    fn samples(&self, design: Design, points: &[usize]) -> Result<usize, ConfigError> {
        let src = self.src;
        let samples = match (design, &self.raw.samples) {
            (Design::Grid, Some(s)) => {
                return Err(self.err(
                    line(src, s),
                    "samples",
                    "a grid's size comes from `points`; `samples` is for random, lhs and sobol",
                ));
            }
            (Design::Grid, None) => points.iter().product(),
            (_, None) => {
                return Err(self.err(
                    None,
                    "samples",
                    "random, lhs and sobol designs need `samples`",
                ));
            }
            (_, Some(s)) if *s.get_ref() == 0 => {
                return Err(self.err(line(src, s), "samples", "samples must be at least 1"));
            }
            (Design::Sobol, Some(s)) if *s.get_ref() > MAX_SOBOL_POINTS => {
                return Err(self.err(
                    line(src, s),
                    "samples",
                    format!("a Sobol design has at most {MAX_SOBOL_POINTS} points"),
                ));
            }
            (_, Some(s)) => *s.get_ref(),
        };
        if let Some(s) = &self.raw.samples
            && samples as u64 > MAX_RUNS
        {
            return Err(self
                .err(
                    line(src, s),
                    "samples",
                    format!("{} samples, each a run; {}", s.get_ref(), runs_limit()),
                )
                .with_help("use fewer samples"));
        }
        Ok(samples)
    }

    /// A Latin hypercube is a joint property of all its points: its strata are drawn up front,
    /// one number per point and parameter (analysis::sampling::latin_hypercube_points).
    fn check_design_memory(
        &self,
        design: Design,
        samples: usize,
        parameters: usize,
    ) -> Result<(), ConfigError> {
        let design_bytes = (samples as f64) * (parameters as f64 + 1.0) * 8.0;
        if design == Design::LatinHypercube && design_bytes > SENSITIVITY_BYTES as f64 {
            return Err(self
                .err(
                    self.raw.samples.as_ref().and_then(|s| line(self.src, s)),
                    "samples",
                    format!(
                        "a Latin hypercube of {samples} samples in {parameters} parameters holds {} of strata in memory; at most {}",
                        limits::bytes(design_bytes),
                        limits::bytes(SENSITIVITY_BYTES as f64)
                    ),
                )
                .with_help(
                    "use fewer samples, or a random or sobol design (generated point by point)",
                ));
        }
        Ok(())
    }

    /// Whether every run's trajectory is kept, within the size of `trajectories.csv`.
    fn trajectories(&self, h: &AnalysisHeader, samples: usize) -> Result<bool, ConfigError> {
        let keep = self.raw.trajectories.as_ref().is_some_and(|t| *t.get_ref());
        if !keep {
            return Ok(false);
        }
        // Every run's trajectory goes to trajectories.csv (and a chunk of them is in memory at
        // once: fewer numbers than the whole file).
        let p = &h.scenario.spec.protocol;
        let model = h.scenario.spec.layout();
        let columns = 1 + model.states.len() + model.derived.len();
        let rows = limits::output_rows(p.duration, p.output_interval);
        let values = samples as f64 * rows * columns as f64;
        if values > limits::MAX_TRAJECTORY_VALUES as f64 {
            return Err(self
                .err(
                    self.raw.trajectories.as_ref().and_then(|t| line(self.src, t)),
                    "trajectories",
                    format!(
                        "trajectories.csv would hold {samples} runs x {} rows x {columns} columns = {} numbers (about {} of text); at most {} numbers",
                        limits::count(rows),
                        limits::count(values),
                        limits::bytes(values * 20.0),
                        limits::MAX_TRAJECTORY_VALUES
                    ),
                )
                .with_help(format!(
                    "drop `trajectories`, use fewer runs, or raise output_interval_days in scenario `{}`",
                    h.scenario.name
                )));
        }
        Ok(true)
    }
}

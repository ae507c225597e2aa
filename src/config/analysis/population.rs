//! Population files: log-normal patients, an acceptance window, percentile bands, responders.

use super::{AnalysisFile, AnalysisHeader, AnalysisText, Common, open, runs_limit, variable};
use crate::analysis::nominal;
use crate::analysis::population::{Acceptance, Population};
use crate::analysis::{Endpoint, Statistic, Variable};
use crate::config::limits::{self, MAX_RUNS};
use crate::config::{line, num, suggest};
use crate::error::ConfigError;
use crate::model::Layout;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    name: Option<Spanned<String>>,
    description: Option<String>,
    scenario: Option<Spanned<String>>,
    endpoints: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    figure: Option<crate::config::figure::RawFigure>,
    patients: Option<Spanned<usize>>,
    max_candidates: Option<Spanned<usize>>,
    bands: Option<Vec<String>>,
    acceptance: Option<Spanned<RawAcceptance>>,
    responder: Option<Spanned<RawResponder>>,
    #[serde(default)]
    parameter: Vec<Spanned<RawPopulationVariable>>,
}

common!(RawPopulation, "population");

/// A `[[parameter]]` of a population: a coefficient of variation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulationVariable {
    name: Spanned<String>,
    cv: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAcceptance {
    column: Spanned<String>,
    at_day: Spanned<f64>,
    min: Spanned<f64>,
    max: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponder {
    endpoint: Spanned<String>,
    below: Option<f64>,
    above: Option<f64>,
}

/// A responder definition: an endpoint below or above a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Responder {
    /// Index of the endpoint.
    pub endpoint: usize,
    /// Threshold.
    pub threshold: f64,
    /// True: responders are below the threshold; false: above.
    pub below: bool,
}

/// A validated population study with its shared settings.
#[derive(Debug, Clone)]
pub struct PopulationStudy {
    /// Shared settings.
    pub header: AnalysisHeader,
    /// The study.
    pub population: Population,
    /// Optional responder definition.
    pub responder: Option<Responder>,
}

/// Loads and validates a population file.
pub fn load_population(path: &Path) -> Result<PopulationStudy, ConfigError> {
    parse_population(AnalysisText::read(path)?)
}

/// Validates a population file's text (its scenario given or named by its `scenario` key).
pub fn parse_population(text: AnalysisText) -> Result<PopulationStudy, ConfigError> {
    let path = text.file;
    let (src, raw, h) = open::<RawPopulation>(text, None)?;
    let f = PopulationFile {
        path,
        src: &src,
        raw: &raw,
    };
    let n = f.patients()?;
    let (variables, nominals) = f.variables(&h)?;
    let spec = h.scenario.spec.layout();
    let columns: Vec<&str> = spec.columns().collect();
    let bands = f.bands(&spec, &columns)?;
    let acceptance = match &raw.acceptance {
        None => None,
        Some(a) => Some(f.acceptance(&h, &spec, &columns, a)?),
    };
    let responder = match &raw.responder {
        None => None,
        Some(r) => Some(f.responder(&h, r)?),
    };
    let max_candidates = raw
        .max_candidates
        .as_ref()
        .map_or(n.saturating_mul(10).min(MAX_RUNS as usize), |m| {
            *m.get_ref()
        })
        .max(n);
    f.check_band_memory(&h, n, bands.len())?;
    let population = Population {
        base: h.scenario.spec.clone(),
        variables,
        nominal: nominals,
        patients: n,
        max_candidates,
        seed: h.seed,
        acceptance,
        endpoints: h.endpoints.clone(),
        band_columns: bands,
    };
    Ok(PopulationStudy {
        header: h,
        population,
        responder,
    })
}

/// The variables with their coefficients of variation, and their nominal values.
type Variables = (Vec<(Variable, f64)>, Vec<f64>);

/// A population file being validated.
struct PopulationFile<'a> {
    path: &'a Path,
    src: &'a str,
    raw: &'a RawPopulation,
}

impl PopulationFile<'_> {
    /// The number of patients (and of candidates, if given) is bounded.
    fn patients(&self) -> Result<usize, ConfigError> {
        let (path, src, raw) = (self.path, self.src, self.raw);
        let patients = raw.patients.as_ref().ok_or_else(|| {
            ConfigError::key(
                path,
                None,
                "patients",
                "missing required key `patients`".to_string(),
            )
        })?;
        if *patients.get_ref() == 0 {
            return Err(ConfigError::key(
                path,
                line(src, patients),
                "patients",
                "must be at least 1".to_string(),
            ));
        }
        if *patients.get_ref() as u64 > MAX_RUNS {
            return Err(ConfigError::key(
                path,
                line(src, patients),
                "patients",
                format!(
                    "{} patients, each at least one run; {}",
                    patients.get_ref(),
                    runs_limit()
                ),
            )
            .with_help("use fewer patients"));
        }
        if let Some(m) = &raw.max_candidates
            && *m.get_ref() as u64 > MAX_RUNS
        {
            return Err(ConfigError::key(
                path,
                line(src, m),
                "max_candidates",
                format!("{} candidates, each a run; {}", m.get_ref(), runs_limit()),
            )
            .with_help("use fewer candidates"));
        }
        Ok(*patients.get_ref())
    }

    /// The variables with their coefficients of variation, and their nominal values (positive:
    /// the medians of log-normal distributions).
    fn variables(&self, h: &AnalysisHeader) -> Result<Variables, ConfigError> {
        let (path, src, raw) = (self.path, self.src, self.raw);
        let mut variables = Vec::new();
        let mut nominals = Vec::new();
        for (k, v) in raw.parameter.iter().enumerate() {
            let var = variable(path, src, h, k, &v.get_ref().name)?;
            let cv = v.get_ref().cv.as_ref().ok_or_else(|| {
                ConfigError::key(
                    path,
                    line(src, v),
                    format!("parameter[{k}].cv"),
                    "`cv` (coefficient of variation) is required".to_string(),
                )
            })?;
            if !(cv.get_ref().is_finite() && *cv.get_ref() >= 0.0) {
                return Err(ConfigError::key(
                    path,
                    line(src, cv),
                    format!("parameter[{k}].cv"),
                    format!("cv must be a number >= 0, got {}", num(*cv.get_ref())),
                ));
            }
            let x0 = nominal(&h.scenario.spec, &var).unwrap_or(0.0);
            if x0 <= 0.0 {
                return Err(ConfigError::key(
                    path,
                    line(src, v),
                    format!("parameter[{k}].name"),
                    format!(
                        "`{}` is {} in the scenario: log-normal variability needs a positive nominal value",
                        var.name,
                        num(x0)
                    ),
                ));
            }
            variables.push((var, *cv.get_ref()));
            nominals.push(x0);
        }
        Ok((variables, nominals))
    }

    /// The band columns (default the BMD columns the model has).
    fn bands(&self, spec: &Layout, columns: &[&str]) -> Result<Vec<String>, ConfigError> {
        let bands = self.raw.bands.clone().unwrap_or_else(|| {
            ["bmd_lumbar_spine_change_pct", "bmd_total_hip_change_pct"]
                .iter()
                .filter(|c| columns.contains(c))
                .map(|c| c.to_string())
                .collect()
        });
        for b in &bands {
            if !columns.contains(&b.as_str()) {
                return Err(ConfigError::key(
                    self.path,
                    None,
                    "bands",
                    format!("model `{}` has no column `{b}`", spec.name),
                )
                .with_help(suggest(b, columns.iter().copied())));
            }
        }
        Ok(bands)
    }

    /// The acceptance window: a column at a day within the run, between `min` and `max`.
    fn acceptance(
        &self,
        h: &AnalysisHeader,
        spec: &Layout,
        columns: &[&str],
        a: &Spanned<RawAcceptance>,
    ) -> Result<Acceptance, ConfigError> {
        let (path, src) = (self.path, self.src);
        let at = line(src, a);
        let a = a.get_ref();
        if !columns.contains(&a.column.get_ref().as_str()) {
            return Err(ConfigError::key(
                path,
                line(src, &a.column),
                "acceptance.column",
                format!(
                    "model `{}` has no column `{}`",
                    spec.name,
                    a.column.get_ref()
                ),
            )
            .with_help(suggest(a.column.get_ref(), columns.iter().copied())));
        }
        let day = *a.at_day.get_ref();
        let duration = h.scenario.spec.protocol.duration;
        if !(day.is_finite() && day >= 0.0 && day <= duration) {
            return Err(ConfigError::key(
                path,
                line(src, &a.at_day),
                "acceptance.at_day",
                format!(
                    "at_day must lie within the run (0 to {} day), got {}",
                    num(duration),
                    num(day)
                ),
            ));
        }
        let (min, max) = (*a.min.get_ref(), *a.max.get_ref());
        if min > max || min.is_nan() || max.is_nan() {
            return Err(ConfigError::key(
                path,
                at,
                "acceptance.min",
                "min must not exceed max".to_string(),
            ));
        }
        Ok(Acceptance {
            reading: Endpoint {
                name: "acceptance".into(),
                column: a.column.get_ref().clone(),
                statistic: Statistic::At(day),
                description: String::new(),
            },
            min,
            max,
        })
    }

    /// The responder definition: one of the endpoints below or above a threshold.
    fn responder(
        &self,
        h: &AnalysisHeader,
        r: &Spanned<RawResponder>,
    ) -> Result<Responder, ConfigError> {
        let (path, src) = (self.path, self.src);
        let at = line(src, r);
        let r = r.get_ref();
        let endpoint = h
            .endpoints
            .iter()
            .position(|e| e.name == *r.endpoint.get_ref())
            .ok_or_else(|| {
                ConfigError::key(
                    path,
                    line(src, &r.endpoint),
                    "responder.endpoint",
                    format!("no endpoint `{}`", r.endpoint.get_ref()),
                )
                .with_help(suggest(
                    r.endpoint.get_ref(),
                    h.endpoints.iter().map(|e| e.name.as_str()),
                ))
            })?;
        let (threshold, below) = match (r.below, r.above) {
            (Some(t), None) => (t, true),
            (None, Some(t)) => (t, false),
            _ => {
                return Err(ConfigError::key(
                    path,
                    at,
                    "responder",
                    "give exactly one of `below` and `above`".to_string(),
                ));
            }
        };
        Ok(Responder {
            endpoint,
            threshold,
            below,
        })
    }

    /// Bands beyond the exact budget take one quantile sketch per column and output time, each
    /// up to `SKETCH_MAX_BINS` bins: bounded here, before any run.
    fn check_band_memory(
        &self,
        h: &AnalysisHeader,
        patients: usize,
        bands: usize,
    ) -> Result<(), ConfigError> {
        use crate::analysis::population::{BAND_EXACT_BYTES, SKETCH_MAX_BINS};
        let p = &h.scenario.spec.protocol;
        let values = bands as f64 * limits::output_rows(p.duration, p.output_interval);
        let sketch = values * SKETCH_MAX_BINS as f64 * limits::SKETCH_BIN_BYTES as f64;
        if patients as f64 * values * 8.0 > BAND_EXACT_BYTES as f64
            && sketch > limits::SKETCH_BYTES as f64
        {
            return Err(ConfigError::key(
                self.path,
                None,
                "bands",
                format!(
                    "{} band values (columns x output times) need up to {} of quantile sketches; at most {}",
                    limits::count(values),
                    limits::bytes(sketch),
                    limits::bytes(limits::SKETCH_BYTES as f64)
                ),
            )
            .with_help(format!(
                "band fewer columns, or raise output_interval_days in scenario `{}`",
                h.scenario.name
            )));
        }
        Ok(())
    }
}

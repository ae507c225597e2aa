//! Sensitivity files: local coefficients, Morris screening and Sobol indices.

use super::{
    AnalysisFile, AnalysisHeader, AnalysisText, Common, RangeKeys, open, range, runs_limit,
    variable,
};
use crate::analysis::Variable;
use crate::analysis::nominal;
use crate::analysis::sampling::{MAX_SOBOL_DIMENSIONS, MAX_SOBOL_POINTS, Range};
use crate::analysis::sensitivity::sobol_runs;
use crate::config::limits::{self, MAX_MORRIS_LEVELS, MAX_RUNS, SENSITIVITY_BYTES};
use crate::config::{line, num, suggest};
use crate::error::ConfigError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSensitivity {
    name: Option<Spanned<String>>,
    description: Option<String>,
    scenario: Option<Spanned<String>>,
    endpoints: Option<Spanned<String>>,
    seed: Option<Spanned<u64>>,
    figure: Option<crate::config::figure::RawFigure>,
    methods: Option<Spanned<Vec<String>>>,
    local: Option<RawLocal>,
    morris: Option<RawMorris>,
    sobol: Option<RawSobol>,
    #[serde(default)]
    parameter: Vec<Spanned<RawRangeVariable>>,
}

common!(RawSensitivity, "sensitivity");

/// A `[[parameter]]` of a sensitivity analysis: a range.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRangeVariable {
    name: Spanned<String>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    scale: Option<Spanned<String>>,
}

impl RawRangeVariable {
    fn range_keys(&self) -> RangeKeys<'_> {
        RangeKeys {
            name: &self.name,
            min: self.min.as_ref(),
            max: self.max.as_ref(),
            scale: self.scale.as_ref(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocal {
    relative_step: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMorris {
    trajectories: Option<Spanned<usize>>,
    levels: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSobol {
    base_samples: Option<Spanned<usize>>,
    bootstrap: Option<Spanned<usize>>,
}

/// A validated sensitivity analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    /// Shared settings.
    pub header: AnalysisHeader,
    /// Variables with their ranges (Morris, Sobol) and nominal values (local).
    pub variables: Vec<Variable>,
    /// Ranges.
    pub ranges: Vec<Range>,
    /// Nominal values (from the scenario).
    pub nominal: Vec<f64>,
    /// Which methods to run.
    pub local: Option<f64>,
    /// Morris (trajectories, levels).
    pub morris: Option<(usize, usize)>,
    /// Sobol (base samples, bootstrap resamples).
    pub sobol: Option<(usize, usize)>,
}

/// Refuses a Morris or Sobol analysis with more runs than [`MAX_RUNS`] or whose points and
/// endpoints would not fit in [`SENSITIVITY_BYTES`].
#[allow(clippy::too_many_arguments)]
fn check_sensitivity_runs(
    path: &Path,
    at: Option<usize>,
    key: &str,
    runs: u64,
    parameters: usize,
    endpoints: usize,
    product: &str,
    help: &str,
) -> Result<(), ConfigError> {
    let bytes = runs as f64 * limits::sensitivity_run_bytes(parameters, endpoints) as f64;
    let problem = if runs > MAX_RUNS {
        runs_limit()
    } else if bytes > SENSITIVITY_BYTES as f64 {
        format!(
            "their points and endpoints need {} in memory, at most {}",
            limits::bytes(bytes),
            limits::bytes(SENSITIVITY_BYTES as f64)
        )
    } else {
        return Ok(());
    };
    Err(
        ConfigError::key(path, at, key, format!("{product} = {runs} runs; {problem}"))
            .with_help(help.to_string()),
    )
}

/// Loads and validates a sensitivity file.
pub fn load_sensitivity(path: &Path) -> Result<Sensitivity, ConfigError> {
    parse_sensitivity(AnalysisText::read(path)?)
}

/// Validates a sensitivity file's text (its scenario given or named by its `scenario` key).
pub fn parse_sensitivity(text: AnalysisText) -> Result<Sensitivity, ConfigError> {
    let path = text.file;
    let (src, raw, h) = open::<RawSensitivity>(text, Some("analyse"))?;
    let f = SensitivityFile {
        path,
        src: &src,
        raw: &raw,
    };
    let methods = f.methods()?;
    let has = |m: &str| methods.iter().any(|x| x == m);
    let (variables, ranges, nominals) =
        f.variables(&h, has("local"), has("morris") || has("sobol"))?;
    let (k, m) = (variables.len(), h.endpoints.len());
    let local = if has("local") { Some(f.local()?) } else { None };
    let morris = if has("morris") {
        Some(f.morris(k, m)?)
    } else {
        None
    };
    let sobol = if has("sobol") {
        Some(f.sobol(k, m)?)
    } else {
        None
    };
    Ok(Sensitivity {
        header: h,
        variables,
        ranges,
        nominal: nominals,
        local,
        morris,
        sobol,
    })
}

/// The variables, their ranges and their nominal values.
type Variables = (Vec<Variable>, Vec<Range>, Vec<f64>);

/// A sensitivity file being validated.
struct SensitivityFile<'a> {
    path: &'a Path,
    src: &'a str,
    raw: &'a RawSensitivity,
}

impl SensitivityFile<'_> {
    /// The methods to run (default all three).
    fn methods(&self) -> Result<Vec<String>, ConfigError> {
        let (path, src, raw) = (self.path, self.src, self.raw);
        let methods: Vec<String> = raw.methods.as_ref().map_or_else(
            || vec!["local".into(), "morris".into(), "sobol".into()],
            |m| m.get_ref().clone(),
        );
        let at = raw.methods.as_ref().and_then(|v| line(src, v));
        if methods.is_empty() {
            return Err(ConfigError::key(
                path,
                at,
                "methods",
                "no method listed: the analysis would compute nothing".to_string(),
            )
            .with_help(
                "list at least one of \"local\", \"morris\", \"sobol\", or drop `methods` to run all three",
            ));
        }
        for m in &methods {
            if !["local", "morris", "sobol"].contains(&m.as_str()) {
                return Err(
                    ConfigError::key(path, at, "methods", format!("unknown method `{m}`"))
                        .with_help(suggest(m, ["local", "morris", "sobol"])),
                );
            }
        }
        Ok(methods)
    }

    /// The variables, their ranges (where Morris or Sobol needs them) and nominal values
    /// (nonzero where the local method normalises by them).
    fn variables(
        &self,
        h: &AnalysisHeader,
        local: bool,
        needs_ranges: bool,
    ) -> Result<Variables, ConfigError> {
        let (path, src) = (self.path, self.src);
        let mut variables = Vec::new();
        let mut ranges = Vec::new();
        let mut nominals = Vec::new();
        for (k, v) in self.raw.parameter.iter().enumerate() {
            let var = variable(path, src, h, k, &v.get_ref().name)?;
            let x0 = nominal(&h.scenario.spec, &var).unwrap_or(0.0);
            if local && x0 == 0.0 {
                return Err(ConfigError::key(
                    path,
                    line(src, v),
                    format!("parameter[{k}].name"),
                    format!(
                        "`{}` is 0 in the scenario: a normalised local sensitivity needs a nonzero nominal value",
                        var.name
                    ),
                ));
            }
            if needs_ranges {
                ranges.push(range(path, src, k, v.get_ref().range_keys())?);
            }
            variables.push(var);
            nominals.push(x0);
        }
        Ok((variables, ranges, nominals))
    }

    /// The local method's relative step.
    fn local(&self) -> Result<f64, ConfigError> {
        let h = self
            .raw
            .local
            .as_ref()
            .and_then(|l| l.relative_step.as_ref())
            .map_or(1e-3, |s| *s.get_ref());
        if !(h > 0.0 && h < 0.5) {
            return Err(ConfigError::key(
                self.path,
                None,
                "local.relative_step",
                format!("must be in (0, 0.5), got {}", num(h)),
            ));
        }
        Ok(h)
    }

    /// Morris (trajectories, levels), for `k` parameters and `m` endpoints.
    fn morris(&self, k: usize, m: usize) -> Result<(usize, usize), ConfigError> {
        let path = self.path;
        let raw = self.raw.morris.as_ref();
        let r = raw
            .and_then(|m| m.trajectories.as_ref())
            .map_or(20, |v| *v.get_ref());
        let p = raw
            .and_then(|m| m.levels.as_ref())
            .map_or(4, |v| *v.get_ref());
        if r < 2 || p < 2 || p % 2 == 1 {
            return Err(ConfigError::key(
                path,
                None,
                "morris",
                format!(
                    "need at least 2 trajectories and an even number of levels >= 2, got {r} and {p}"
                ),
            ));
        }
        let morris_line = |f: fn(&RawMorris) -> &Option<Spanned<usize>>| {
            raw.and_then(|x| f(x).as_ref())
                .and_then(|v| line(self.src, v))
        };
        if p > MAX_MORRIS_LEVELS {
            return Err(ConfigError::key(
                path,
                morris_line(|x| &x.levels),
                "morris.levels",
                format!("{p} levels; at most {MAX_MORRIS_LEVELS} (the method uses 4 to 10)"),
            ));
        }
        // Morris runs trajectories x (parameters + 1) points and keeps them all with their
        // endpoints.
        let runs = (r as u64).saturating_mul(k as u64 + 1);
        check_sensitivity_runs(
            path,
            morris_line(|x| &x.trajectories),
            "morris.trajectories",
            runs,
            k,
            m,
            &format!("{r} trajectories x ({k} parameters + 1)"),
            "use fewer trajectories",
        )?;
        Ok((r, p))
    }

    /// Sobol (base samples, bootstrap resamples), for `k` parameters and `m` endpoints.
    fn sobol(&self, k: usize, m: usize) -> Result<(usize, usize), ConfigError> {
        let path = self.path;
        let raw = self.raw.sobol.as_ref();
        let sobol_line = |f: fn(&RawSobol) -> &Option<Spanned<usize>>| {
            raw.and_then(|x| f(x).as_ref())
                .and_then(|v| line(self.src, v))
        };
        let n = raw
            .and_then(|s| s.base_samples.as_ref())
            .map_or(1024, |v| *v.get_ref());
        let bootstrap = raw
            .and_then(|s| s.bootstrap.as_ref())
            .map_or(200, |v| *v.get_ref());
        if !(2..=MAX_SOBOL_POINTS).contains(&n) || 2 * k > MAX_SOBOL_DIMENSIONS {
            return Err(ConfigError::key(
                path,
                None,
                "sobol.base_samples",
                format!(
                    "need 2 <= base_samples <= {MAX_SOBOL_POINTS} and at most {} parameters",
                    MAX_SOBOL_DIMENSIONS / 2
                ),
            ));
        }
        // Saltelli's scheme runs base_samples x (parameters + 2) points and keeps them all with
        // their endpoints; the bootstrap keeps bootstrap x base_samples resample indices.
        let runs = sobol_runs(n, k) as u64;
        check_sensitivity_runs(
            path,
            sobol_line(|x| &x.base_samples),
            "sobol.base_samples",
            runs,
            k,
            m,
            &format!("{n} base samples x ({k} parameters + 2)"),
            "use fewer base samples",
        )?;
        let indices = (bootstrap as u64)
            .saturating_mul(n as u64)
            .saturating_mul(8);
        if indices > SENSITIVITY_BYTES {
            return Err(ConfigError::key(
                path,
                sobol_line(|x| &x.bootstrap),
                "sobol.bootstrap",
                format!(
                    "{bootstrap} bootstrap resamples of {n} base samples need {} in memory; at most {}",
                    limits::bytes(bootstrap as f64 * n as f64 * 8.0),
                    limits::bytes(SENSITIVITY_BYTES as f64)
                ),
            )
            .with_help(format!(
                "use at most {} resamples with {n} base samples (a few hundred give 95 % intervals)",
                SENSITIVITY_BYTES / 8 / n as u64
            )));
        }
        Ok((n, bootstrap))
    }
}

//! Validation files (`params/validation/*.toml`): published outcomes the model was not fitted to,
//! each with its study (citation, population, category), the scenario (or the difference of two
//! arms, or a change between two times), the output column and time, and the published mean with
//! its uncertainty (a standard error, a standard deviation and a group size, or a 95 % interval).
//!
//! The split cannot leak: every calibration target of the calibration files given (by default
//! every `params/calibration/*.toml` of the validation file's repository) is loaded first, and an
//! outcome on the same scenario file, comparator, column and time is refused.

use super::calibration::{CalibrationTarget, calibration_targets};
use super::scenario::{Scenario, load_scenario};
use super::{check_name, file_problem, line, num, read, suggest, toml_error};
use crate::error::ConfigError;
use crate::validation::{Category, Outcome, Study, Validation, ValidationFile};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Two times closer than this (days) are the same output time.
const SAME_TIME: f64 = 1e-9;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<Spanned<String>>,
    description: Option<String>,
    #[serde(default)]
    study: Vec<Spanned<RawStudy>>,
    #[serde(default)]
    outcome: Vec<Spanned<RawOutcome>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    id: Option<Spanned<String>>,
    citation: Option<Spanned<String>>,
    population: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcome {
    study: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    scenario: Option<Spanned<String>>,
    minus_scenario: Option<Spanned<String>>,
    from_days: Option<Spanned<f64>>,
    column: Option<Spanned<String>>,
    time_days: Option<Spanned<f64>>,
    value: Option<Spanned<f64>>,
    se: Option<Spanned<f64>>,
    sd: Option<Spanned<f64>>,
    n: Option<Spanned<f64>>,
    ci: Option<Spanned<[f64; 2]>>,
    #[serde(rename = "where")]
    where_: Option<Spanned<String>>,
    note: Option<String>,
}

/// The repository root of `file`: the nearest folder above it holding `params/calibration/`.
pub fn repository_root(file: &Path) -> Option<PathBuf> {
    let file = std::fs::canonicalize(file).ok()?;
    file.ancestors()
        .skip(1)
        .find(|a| a.join("params").join("calibration").is_dir())
        .map(Path::to_path_buf)
}

/// The calibration files of `root`: every `params/calibration/*.toml`, sorted.
pub fn bundled_calibrations(root: &Path) -> Vec<PathBuf> {
    toml_files(&root.join("params").join("calibration"))
}

/// Every `*.toml` file of a folder, sorted (none if it cannot be read).
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file());
    files.sort();
    files
}

/// Loads and validates validation files against the calibration targets of `calibrations`
/// (empty: every `params/calibration/*.toml` of each file's repository root).
pub fn load_validation(
    files: &[PathBuf],
    calibrations: &[PathBuf],
) -> Result<Validation, ConfigError> {
    if files.is_empty() {
        return Err(ConfigError::file(
            "params/validation",
            "no validation files (*.toml) to check",
        )
        .with_help("give validation files, or run from the repository root"));
    }
    let targets = targets_of(files, calibrations)?;
    let mut v = Validation::default();
    let mut scenarios = ScenarioCache::default();
    for path in files {
        let src = read(path)?;
        let raw: RawFile = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
        let cx = Cx {
            path,
            src: &src,
            file: v.files.len(),
            targets: &targets,
        };
        cx.file(raw, &mut v, &mut scenarios)?;
    }
    v.scenarios = scenarios.scenarios;
    Ok(v)
}

/// The calibration targets the outcomes must not repeat.
fn targets_of(
    files: &[PathBuf],
    calibrations: &[PathBuf],
) -> Result<Vec<CalibrationTarget>, ConfigError> {
    let mut cals: Vec<PathBuf> = calibrations.to_vec();
    if cals.is_empty() {
        for f in files {
            let Some(root) = repository_root(f) else {
                return Err(ConfigError::file(
                    f,
                    "no `params/calibration/` folder above this file: its calibration targets cannot be checked",
                )
                .with_help("give the calibration with --calibration FILE"));
            };
            for c in bundled_calibrations(&root) {
                if !cals.contains(&c) {
                    cals.push(c);
                }
            }
        }
    }
    let mut targets = Vec::new();
    for c in &cals {
        targets.extend(calibration_targets(c)?);
    }
    Ok(targets)
}

/// The scenarios of every file, each loaded once (by canonical path).
#[derive(Default)]
struct ScenarioCache {
    canonical: Vec<PathBuf>,
    scenarios: Vec<Scenario>,
}

impl ScenarioCache {
    fn index(&mut self, file: &Path) -> Result<(usize, PathBuf), ConfigError> {
        let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        if let Some(i) = self.canonical.iter().position(|c| *c == canonical) {
            return Ok((i, canonical));
        }
        let s = load_scenario(file)?;
        self.canonical.push(canonical.clone());
        self.scenarios.push(s);
        Ok((self.scenarios.len() - 1, canonical))
    }
}

struct Cx<'a> {
    path: &'a Path,
    src: &'a str,
    file: usize,
    targets: &'a [CalibrationTarget],
}

/// An outcome's arms as resolved: (scenario index, its canonical path).
type Arm = (usize, PathBuf);

impl Cx<'_> {
    fn err(&self, at: Option<usize>, key: &str, msg: impl Into<String>) -> ConfigError {
        ConfigError::key(self.path, at, key, msg)
    }

    fn at<T>(&self, v: &Spanned<T>) -> Option<usize> {
        line(self.src, v)
    }

    fn required<'v, T>(
        &self,
        v: &'v Option<Spanned<T>>,
        entry_line: Option<usize>,
        key: &str,
    ) -> Result<&'v Spanned<T>, ConfigError> {
        let last = key.rsplit('.').next().unwrap_or(key);
        v.as_ref()
            .ok_or_else(|| self.err(entry_line, key, format!("missing required key `{last}`")))
    }

    fn text(
        &self,
        v: &Option<Spanned<String>>,
        entry_line: Option<usize>,
        key: &str,
    ) -> Result<String, ConfigError> {
        let s = self.required(v, entry_line, key)?;
        if s.get_ref().trim().is_empty() {
            return Err(self.err(self.at(s), key, "must not be empty"));
        }
        Ok(s.get_ref().clone())
    }

    fn file(
        &self,
        raw: RawFile,
        v: &mut Validation,
        scenarios: &mut ScenarioCache,
    ) -> Result<(), ConfigError> {
        let name = self.text(&raw.name, None, "name")?;
        if raw.outcome.is_empty() {
            return Err(self.err(None, "outcome", "no `[[outcome]]`"));
        }
        let first_study = v.studies.len();
        for (k, s) in raw.study.iter().enumerate() {
            let study = self.study(&format!("study[{k}]"), s)?;
            if v.studies[first_study..].iter().any(|o| o.id == study.id) {
                let at = s.get_ref().id.as_ref().and_then(|i| self.at(i));
                return Err(self.err(
                    at,
                    &format!("study[{k}].id"),
                    format!("study `{}` is defined twice in this file", study.id),
                ));
            }
            v.studies.push(study);
        }
        for (k, o) in raw.outcome.iter().enumerate() {
            let outcome = self.outcome(&format!("outcome[{k}]"), o, v, first_study, scenarios)?;
            v.outcomes.push(outcome);
        }
        v.files.push(ValidationFile {
            path: self.path.to_path_buf(),
            source: self.src.to_string(),
            name,
            description: raw.description.unwrap_or_default(),
        });
        Ok(())
    }

    fn study(&self, key: &str, s: &Spanned<RawStudy>) -> Result<Study, ConfigError> {
        let at = self.at(s);
        let r = s.get_ref();
        let id = self.required(&r.id, at, &format!("{key}.id"))?;
        check_name(
            self.path,
            self.src,
            id,
            &format!("{key}.id"),
            "study id",
            "the study column of validation.csv",
        )?;
        let category = self.required(&r.category, at, &format!("{key}.category"))?;
        let Some(cat) = Category::from_name(category.get_ref()) else {
            return Err(self
                .err(
                    self.at(category),
                    &format!("{key}.category"),
                    format!("unknown category `{}`", category.get_ref()),
                )
                .with_help(suggest(
                    category.get_ref(),
                    Category::ALL.map(Category::name),
                )));
        };
        Ok(Study {
            file: self.file,
            id: id.get_ref().clone(),
            citation: self.text(&r.citation, at, &format!("{key}.citation"))?,
            population: self.text(&r.population, at, &format!("{key}.population"))?,
            category: cat,
        })
    }

    fn outcome(
        &self,
        key: &str,
        o: &Spanned<RawOutcome>,
        v: &Validation,
        first_study: usize,
        scenarios: &mut ScenarioCache,
    ) -> Result<Outcome, ConfigError> {
        let at = self.at(o);
        let r = o.get_ref();
        let study = self.study_of(key, r, at, v, first_study)?;
        let name = self.text(&r.name, at, &format!("{key}.name"))?;
        if v.outcomes.iter().any(|x| x.name == name) {
            let n = self.required(&r.name, at, key)?;
            return Err(self.err(
                self.at(n),
                &format!("{key}.name"),
                format!("outcome `{name}` is defined twice (names are unique across all validation files)"),
            ));
        }
        let (scenario, minus) = self.arms(key, r, at, scenarios)?;
        let column = self.column(key, r, at, &scenarios.scenarios, scenario.0, minus.as_ref())?;
        let arms: Vec<&Scenario> = std::iter::once(scenario.0)
            .chain(minus.as_ref().map(|m| m.0))
            .map(|i| &scenarios.scenarios[i])
            .collect();
        let time_days = self.time(key, "time_days", &r.time_days, at, &arms)?;
        let from_days = match &r.from_days {
            None => None,
            Some(f) => Some(self.from(key, f, time_days, &arms)?),
        };
        self.not_a_target(key, r, at, &scenario.1, minus.as_ref(), &column, time_days)?;
        let value = self.required(&r.value, at, &format!("{key}.value"))?;
        if !value.get_ref().is_finite() {
            return Err(self.err(
                self.at(value),
                &format!("{key}.value"),
                "must be a finite number",
            ));
        }
        let se = self.se(key, r, at, *value.get_ref())?;
        Ok(Outcome {
            study,
            name,
            scenario: scenario.0,
            minus: minus.map(|m| m.0),
            from_days,
            column,
            time_days,
            value: *value.get_ref(),
            se,
            where_: self.text(&r.where_, at, &format!("{key}.where"))?,
            note: r.note.clone().unwrap_or_default(),
        })
    }

    fn study_of(
        &self,
        key: &str,
        r: &RawOutcome,
        at: Option<usize>,
        v: &Validation,
        first_study: usize,
    ) -> Result<usize, ConfigError> {
        let s = self.required(&r.study, at, &format!("{key}.study"))?;
        let here = &v.studies[first_study..];
        match here.iter().position(|x| &x.id == s.get_ref()) {
            Some(i) => Ok(first_study + i),
            None => Err(self
                .err(
                    self.at(s),
                    &format!("{key}.study"),
                    format!("no `[[study]]` with id `{}` in this file", s.get_ref()),
                )
                .with_help(suggest(s.get_ref(), here.iter().map(|x| x.id.as_str())))),
        }
    }

    fn scenario(
        &self,
        key: &str,
        file: &Spanned<String>,
        scenarios: &mut ScenarioCache,
    ) -> Result<Arm, ConfigError> {
        let path = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(file.get_ref());
        if let Some(problem) = file_problem(&path) {
            return Err(self.err(
                self.at(file),
                key,
                format!("scenario file `{}` {problem}", path.display()),
            ));
        }
        scenarios.index(&path)
    }

    fn arms(
        &self,
        key: &str,
        r: &RawOutcome,
        at: Option<usize>,
        scenarios: &mut ScenarioCache,
    ) -> Result<(Arm, Option<Arm>), ConfigError> {
        let k = format!("{key}.scenario");
        let file = self.required(&r.scenario, at, &k)?;
        let scenario = self.scenario(&k, file, scenarios)?;
        let Some(m) = &r.minus_scenario else {
            return Ok((scenario, None));
        };
        let k = format!("{key}.minus_scenario");
        let minus = self.scenario(&k, m, scenarios)?;
        let (a, b) = (
            &scenarios.scenarios[scenario.0],
            &scenarios.scenarios[minus.0],
        );
        let problem = if minus.0 == scenario.0 {
            Some("the comparator is the scenario itself: the difference would always be 0".into())
        } else if a.spec.model != b.spec.model {
            Some(format!(
                "the comparator `{}` uses model `{}`, the scenario `{}` model `{}`",
                b.name,
                b.spec.model.name(),
                a.name,
                a.spec.model.name()
            ))
        } else if a.spec.protocol.start != b.spec.protocol.start {
            Some(format!(
                "the comparator has a different run-in ({} days against {} days): changes from day 0 of the two arms would not share a baseline",
                num(-b.spec.protocol.start),
                num(-a.spec.protocol.start)
            ))
        } else {
            None
        };
        match problem {
            Some(p) => Err(self.err(self.at(m), &k, p)),
            None => Ok((scenario, Some(minus))),
        }
    }

    fn column(
        &self,
        key: &str,
        r: &RawOutcome,
        at: Option<usize>,
        scenarios: &[Scenario],
        scenario: usize,
        minus: Option<&Arm>,
    ) -> Result<String, ConfigError> {
        let k = format!("{key}.column");
        let column = self.required(&r.column, at, &k)?;
        for i in std::iter::once(scenario).chain(minus.map(|m| m.0)) {
            let layout = scenarios[i].spec.layout();
            if !layout.columns().any(|c| c == column.get_ref()) {
                return Err(self
                    .err(
                        self.at(column),
                        &k,
                        format!(
                            "scenario `{}` (model `{}`) has no output column `{}`",
                            scenarios[i].name,
                            layout.name,
                            column.get_ref()
                        ),
                    )
                    .with_help(suggest(
                        column.get_ref(),
                        layout.columns().collect::<Vec<_>>(),
                    )));
            }
        }
        Ok(column.get_ref().clone())
    }

    /// A time that is an output time of every arm.
    fn time(
        &self,
        key: &str,
        field: &str,
        v: &Option<Spanned<f64>>,
        at: Option<usize>,
        arms: &[&Scenario],
    ) -> Result<f64, ConfigError> {
        let k = format!("{key}.{field}");
        let t = self.required(v, at, &k)?;
        let time = *t.get_ref();
        for s in arms {
            let p = &s.spec.protocol;
            let on_grid = time.is_finite()
                && p.output_times()
                    .iter()
                    .any(|x| (x - time).abs() <= SAME_TIME * p.output_interval.max(1.0));
            if !on_grid {
                return Err(self.err(
                    self.at(t),
                    &k,
                    format!(
                        "{} day is not an output time of scenario `{}` (0 to {} day, every {} day)",
                        num(time),
                        s.name,
                        num(p.duration),
                        num(p.output_interval)
                    ),
                ));
            }
        }
        Ok(time)
    }

    fn from(
        &self,
        key: &str,
        f: &Spanned<f64>,
        time_days: f64,
        arms: &[&Scenario],
    ) -> Result<f64, ConfigError> {
        let from = self.time(key, "from_days", &Some(f.clone()), None, arms)?;
        if from >= time_days {
            return Err(self.err(
                self.at(f),
                &format!("{key}.from_days"),
                format!(
                    "the change is from {} day to {} day: from_days must come before time_days",
                    num(from),
                    num(time_days)
                ),
            ));
        }
        Ok(from)
    }

    /// Refuses an outcome that is a calibration target: the same scenario file, comparator,
    /// column and time.
    #[allow(clippy::too_many_arguments)]
    fn not_a_target(
        &self,
        key: &str,
        r: &RawOutcome,
        at: Option<usize>,
        scenario: &Path,
        minus: Option<&Arm>,
        column: &str,
        time: f64,
    ) -> Result<(), ConfigError> {
        let minus = minus.map(|m| m.1.as_path());
        let Some(t) = self.targets.iter().find(|t| {
            t.scenario == scenario
                && t.minus.as_deref() == minus
                && t.column == column
                && (t.time_days - time).abs() <= SAME_TIME
        }) else {
            return Ok(());
        };
        let line_of = r.time_days.as_ref().and_then(|v| self.at(v)).or(at);
        Err(self
            .err(
                line_of,
                &format!("{key}.time_days"),
                format!(
                    "this outcome is the calibration target `{}` ({}{}): an outcome is a calibration target or a validation outcome, never both",
                    t.name,
                    t.file.display(),
                    t.line.map_or(String::new(), |l| format!(":{l}"))
                ),
            )
            .with_help("drop the outcome, or take another time or column that was not fitted"))
    }

    /// The standard error from exactly one of `se`, `sd` and `n`, or `ci`.
    fn se(
        &self,
        key: &str,
        r: &RawOutcome,
        at: Option<usize>,
        value: f64,
    ) -> Result<f64, ConfigError> {
        let positive = |v: &Spanned<f64>, field: &str| {
            let x = *v.get_ref();
            if x.is_finite() && x > 0.0 {
                Ok(x)
            } else {
                Err(self.err(
                    self.at(v),
                    &format!("{key}.{field}"),
                    format!("must be a positive number, got {}", num(x)),
                ))
            }
        };
        let given = [
            r.se.is_some(),
            r.sd.is_some() || r.n.is_some(),
            r.ci.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(self.err(
                at,
                &format!("{key}.se"),
                "give exactly one of `se`, `sd` with `n`, or `ci` (the published uncertainty)",
            ));
        }
        if let Some(se) = &r.se {
            return positive(se, "se");
        }
        if let Some(ci) = &r.ci {
            return self.ci(key, ci, value);
        }
        let sd = positive(self.required(&r.sd, at, &format!("{key}.sd"))?, "sd")?;
        let n = self.required(&r.n, at, &format!("{key}.n"))?;
        let count = positive(n, "n")?;
        if count.fract() != 0.0 {
            return Err(self.err(
                self.at(n),
                &format!("{key}.n"),
                format!("a group size is a whole number, got {}", num(count)),
            ));
        }
        Ok(sd / count.sqrt())
    }

    fn ci(&self, key: &str, ci: &Spanned<[f64; 2]>, value: f64) -> Result<f64, ConfigError> {
        let [lo, hi] = *ci.get_ref();
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(self.err(
                self.at(ci),
                &format!("{key}.ci"),
                format!(
                    "a 95 % interval is [lower, upper] with lower < upper, got [{}, {}]",
                    num(lo),
                    num(hi)
                ),
            ));
        }
        if !(lo <= value && value <= hi) {
            return Err(self.err(
                self.at(ci),
                &format!("{key}.ci"),
                format!(
                    "the published value {} lies outside its interval [{}, {}]",
                    num(value),
                    num(lo),
                    num(hi)
                ),
            ));
        }
        Ok(crate::validation::se_from_ci(lo, hi))
    }
}

/// A published value of one scenario's column at one time, for its figures: a calibration target
/// (value +- tolerance) or a validation outcome (its 95 % interval).
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedPoint {
    /// Output column.
    pub column: String,
    /// Output time (days).
    pub time_days: f64,
    /// Published mean.
    pub value: f64,
    /// Lower end of its bar.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// A calibration target (else a validation outcome).
    pub calibration: bool,
}

/// The published points on `scenario` (a plain column at a time: no comparator arm, no change
/// between two times) in the calibration and validation files of its repository
/// (`params/calibration/*.toml`, `params/validation/*.toml`). The files are not validated here
/// (`calibrate` and `validate` do that): a file that cannot be read or an outcome without a
/// usable uncertainty adds nothing.
pub fn published_points(scenario: &Path) -> Vec<PublishedPoint> {
    let (Some(root), Ok(me)) = (repository_root(scenario), std::fs::canonicalize(scenario)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for file in bundled_calibrations(&root) {
        for t in calibration_targets(&file).unwrap_or_default() {
            if t.scenario == me && t.minus.is_none() && t.tolerance.is_finite() {
                out.push(PublishedPoint {
                    column: t.column,
                    time_days: t.time_days,
                    value: t.value,
                    lo: t.value - t.tolerance.abs(),
                    hi: t.value + t.tolerance.abs(),
                    calibration: true,
                });
            }
        }
    }
    for file in toml_files(&root.join("params").join("validation")) {
        out.extend(validation_points(&file, &me));
    }
    out
}

/// The outcomes of validation file `file` on scenario `me` (canonical), with their 95 % interval.
fn validation_points(file: &Path, me: &Path) -> Vec<PublishedPoint> {
    let Ok(src) = read(file) else {
        return Vec::new();
    };
    let Ok(raw) = toml::from_str::<RawFile>(&src) else {
        return Vec::new();
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let value = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| *v.get_ref());
    raw.outcome
        .iter()
        .filter_map(|o| {
            let o = o.get_ref();
            let scenario = std::fs::canonicalize(dir.join(o.scenario.as_ref()?.get_ref())).ok()?;
            if scenario != me || o.minus_scenario.is_some() || o.from_days.is_some() {
                return None;
            }
            let mean = value(&o.value)?;
            let (lo, hi) = match (value(&o.se), value(&o.sd), value(&o.n), &o.ci) {
                (_, _, _, Some(ci)) => (ci.get_ref()[0], ci.get_ref()[1]),
                (Some(se), _, _, _) => (mean - 1.96 * se, mean + 1.96 * se),
                (None, Some(sd), Some(n), _) if n > 0.0 => {
                    let se = sd / n.sqrt();
                    (mean - 1.96 * se, mean + 1.96 * se)
                }
                _ => return None,
            };
            Some(PublishedPoint {
                column: o.column.as_ref()?.get_ref().clone(),
                time_days: value(&o.time_days)?,
                value: mean,
                lo,
                hi,
                calibration: false,
            })
        })
        .filter(|p| {
            [p.time_days, p.value, p.lo, p.hi]
                .iter()
                .all(|v| v.is_finite())
        })
        .collect()
}

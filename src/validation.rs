//! Validation against published outcomes the model was not fitted to. No I/O: the files are read
//! by `config::load_validation`, the results written by `output::validation`.
//!
//! Each distinct scenario runs once (rayon, in parallel); of each run only the columns its
//! outcomes read are kept. An outcome's model value is the column at its time, or its change
//! since `from_days` (for a `*_change_pct` column, the percent change from that later baseline,
//! as a study that starts counting there reports it: [`change`]), minus the comparator arm's
//! (`minus_scenario`) read the same way. It is judged by one rule for all outcomes: the band is the published mean
//! +/- max(2 SE, 30 % of |mean|, 1 in the column's unit: one percentage point).

use crate::analysis::{ValueAtError, value_at::interpolate};
use crate::config::Scenario;
use crate::engine;
use crate::error::SimError;
use rayon::prelude::*;
use std::path::PathBuf;

/// The band's half-width is at least this many standard errors.
pub const BAND_SE: f64 = 2.0;
/// ... at least this fraction of the published value ...
pub const BAND_RELATIVE: f64 = 0.3;
/// ... and at least this much, in the column's unit (one percentage point).
pub const BAND_FLOOR: f64 = 1.0;
/// The two-sided 95 % normal quantile: a 95 % interval is mean +/- 1.96 SE.
pub const Z95: f64 = 1.96;

/// The category of a study (the colour in the parity plot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Natural or surgical menopause.
    Menopause,
    /// Aging.
    Aging,
    /// Glucocorticoid treatment.
    Glucocorticoid,
    /// Rheumatoid arthritis, untreated or under its drugs.
    RheumatoidArthritis,
    /// Denosumab.
    Denosumab,
    /// Teriparatide.
    Teriparatide,
    /// Romosozumab.
    Romosozumab,
    /// Bisphosphonates.
    Bisphosphonate,
    /// A sequence of two drugs.
    Sequence,
    /// Hormone therapy.
    HormoneTherapy,
    /// Aromatase inhibitors.
    AromataseInhibitor,
}

impl Category {
    /// Every category, in the order of the report.
    pub const ALL: [Category; 11] = [
        Category::Menopause,
        Category::Aging,
        Category::Glucocorticoid,
        Category::RheumatoidArthritis,
        Category::Denosumab,
        Category::Teriparatide,
        Category::Romosozumab,
        Category::Bisphosphonate,
        Category::Sequence,
        Category::HormoneTherapy,
        Category::AromataseInhibitor,
    ];

    /// The name in the files.
    pub fn name(self) -> &'static str {
        match self {
            Category::Menopause => "menopause",
            Category::Aging => "aging",
            Category::Glucocorticoid => "glucocorticoid",
            Category::RheumatoidArthritis => "rheumatoid arthritis",
            Category::Denosumab => "denosumab",
            Category::Teriparatide => "teriparatide",
            Category::Romosozumab => "romosozumab",
            Category::Bisphosphonate => "bisphosphonate",
            Category::Sequence => "sequence",
            Category::HormoneTherapy => "hormone therapy",
            Category::AromataseInhibitor => "aromatase inhibitor",
        }
    }

    /// The category of a name in the files.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A validation file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text as read and validated (hashed in `report.html`).
    pub source: String,
    /// Its `name`.
    pub name: String,
    /// Its `description`.
    pub description: String,
}

/// A published study.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// Index into [`Validation::files`].
    pub file: usize,
    /// Id, unique within its file.
    pub id: String,
    /// Full citation.
    pub citation: String,
    /// Who was studied.
    pub population: String,
    /// Category.
    pub category: Category,
}

/// A published outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Index into [`Validation::studies`].
    pub study: usize,
    /// Name, unique across all files.
    pub name: String,
    /// Index into [`Validation::scenarios`].
    pub scenario: usize,
    /// The comparator arm (index into [`Validation::scenarios`]): the outcome is the difference.
    pub minus: Option<usize>,
    /// The outcome is the change from this time (days) to `time_days`.
    pub from_days: Option<f64>,
    /// Output column.
    pub column: String,
    /// Output time (days).
    pub time_days: f64,
    /// Published mean, in the column's unit.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
    /// Where in the paper.
    pub where_: String,
    /// Remarks.
    pub note: String,
}

impl Outcome {
    /// The band the model's value must lie in.
    pub fn band(&self) -> (f64, f64) {
        band(self.value, self.se)
    }
}

/// Validated validation files.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// The files, in the order given.
    pub files: Vec<ValidationFile>,
    /// Every study of every file.
    pub studies: Vec<Study>,
    /// Every distinct scenario, loaded once.
    pub scenarios: Vec<Scenario>,
    /// Every outcome, file by file.
    pub outcomes: Vec<Outcome>,
}

/// The standard error of a 95 % interval [lo, hi]: (hi - lo) / (2 x 1.96).
pub fn se_from_ci(lo: f64, hi: f64) -> f64 {
    (hi - lo) / (2.0 * Z95)
}

/// The band of a published mean with standard error `se`:
/// mean +/- max(2 SE, 0.3 |mean|, 1).
pub fn band(value: f64, se: f64) -> (f64, f64) {
    let half = (BAND_SE * se)
        .max(BAND_RELATIVE * value.abs())
        .max(BAND_FLOOR);
    (value - half, value + half)
}

/// How a model value compares with its band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Inside the band.
    Within,
    /// Outside the band, on the published side of 0 (or the band holds 0).
    Outside,
    /// The band excludes 0 and the model's value has the other sign.
    WrongDirection,
}

impl Verdict {
    /// As written in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Within => "within",
            Verdict::Outside => "outside",
            Verdict::WrongDirection => "wrong direction",
        }
    }
}

/// The verdict on a model value against a published `value` and its band.
pub fn verdict(value: f64, (lo, hi): (f64, f64), model: f64) -> Verdict {
    if lo <= model && model <= hi {
        return Verdict::Within;
    }
    let excludes_zero = lo > 0.0 || hi < 0.0;
    if excludes_zero && model != 0.0 && model.signum() != value.signum() {
        Verdict::WrongDirection
    } else {
        Verdict::Outside
    }
}

/// A kept column of a run: output times and values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Output times (days).
    pub t: Vec<f64>,
    /// Values.
    pub y: Vec<f64>,
}

impl Series {
    /// The value at `day` (an output time; linear interpolation between).
    pub fn at(&self, day: f64) -> Result<f64, ValueAtError> {
        interpolate(&self.t, &self.y, day)
    }
}

/// The columns of one scenario's run that its outcomes read: (column, series).
pub type Kept = Vec<(String, Series)>;

/// One outcome's result.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeResult {
    /// The model's value.
    pub model: f64,
    /// The band.
    pub band: (f64, f64),
    /// The verdict.
    pub verdict: Verdict,
}

/// The results of a validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Per outcome, in the order of [`Validation::outcomes`].
    pub outcomes: Vec<OutcomeResult>,
    /// Per scenario, the columns read.
    pub kept: Vec<Kept>,
}

impl Evaluation {
    /// (within, outside, wrong direction).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |v: Verdict| self.outcomes.iter().filter(|o| o.verdict == v).count();
        (
            n(Verdict::Within),
            n(Verdict::Outside),
            n(Verdict::WrongDirection),
        )
    }

    /// The kept series of `column` in scenario `s`.
    pub fn series(&self, s: usize, column: &str) -> Option<&Series> {
        self.kept[s]
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v)
    }

    /// The model curve of an outcome over its scenario's output times, each arm read as in the
    /// outcome's value (its change since `from_days` when given), minus the comparator's
    /// (interpolated at the same times).
    pub fn curve(&self, o: &Outcome) -> Result<Vec<(f64, f64)>, ValueAtError> {
        let missing = || ValueAtError::NoColumn(o.column.clone());
        let s = self.series(o.scenario, &o.column).ok_or_else(missing)?;
        let m = match o.minus {
            Some(m) => Some(self.series(m, &o.column).ok_or_else(missing)?),
            None => None,
        };
        // Each arm read as in `model_value`: its change from `from_days` when given.
        let from = |series: &Series| o.from_days.map(|d| series.at(d)).transpose();
        let (s_from, m_from) = (from(s)?, m.map(from).transpose()?.flatten());
        let read = |y: f64, base: Option<f64>| base.map_or(y, |b| change(&o.column, b, y));
        s.t.iter()
            .zip(&s.y)
            .filter(|(t, _)| m.is_none_or(|m| m.at(**t).is_ok()))
            .map(|(t, y)| {
                let comparator = match m {
                    Some(m) => read(m.at(*t)?, m_from),
                    None => 0.0,
                };
                Ok((*t, read(*y, s_from) - comparator))
            })
            .collect()
    }
}

/// The change of a column from `from` to `to`: for a percent change from the start of the run
/// (`*_change_pct`), the percent change from the later baseline, 100 ((100 + to) / (100 + from)
/// - 1), as a study that starts counting at `from` reports it; otherwise the difference.
pub fn change(column: &str, from: f64, to: f64) -> f64 {
    if column.ends_with("_change_pct") {
        100.0 * ((100.0 + to) / (100.0 + from) - 1.0)
    } else {
        to - from
    }
}

/// The model's value of an outcome from the kept series: the arm's value at `time_days` (its
/// change from `from_days` when given), minus the comparator's, read the same way.
fn model_value(e: &Evaluation, o: &Outcome) -> Result<f64, ValueAtError> {
    let missing = || ValueAtError::NoColumn(o.column.clone());
    let at = |s: usize, day: f64| e.series(s, &o.column).ok_or_else(missing)?.at(day);
    let arm = |s: usize| -> Result<f64, ValueAtError> {
        let to = at(s, o.time_days)?;
        Ok(match o.from_days {
            Some(from) => change(&o.column, at(s, from)?, to),
            None => to,
        })
    };
    Ok(arm(o.scenario)? - o.minus.map_or(Ok(0.0), arm)?)
}

/// The columns the outcomes read from scenario `s`.
fn columns_of(v: &Validation, s: usize) -> Vec<String> {
    let mut c: Vec<String> = v
        .outcomes
        .iter()
        .filter(|o| o.scenario == s || o.minus == Some(s))
        .map(|o| o.column.clone())
        .collect();
    c.sort();
    c.dedup();
    c
}

/// Runs scenario `s` and keeps the columns its outcomes read.
fn run_one(v: &Validation, s: usize) -> Result<Kept, SimError> {
    let scenario = &v.scenarios[s];
    let fail = |reason: String| SimError::Analysis {
        reason: format!("scenario `{}`: {reason}", scenario.name),
    };
    let run = engine::simulate(&scenario.spec).map_err(|e| fail(e.to_string()))?;
    let traj = run.trajectory;
    let t = traj
        .column("t_day")
        .ok_or_else(|| fail("no column t_day".into()))?
        .to_vec();
    columns_of(v, s)
        .into_iter()
        .map(|c| {
            let y = traj
                .column(&c)
                .ok_or_else(|| fail(format!("no column `{c}`")))?
                .to_vec();
            Ok((c, Series { t: t.clone(), y }))
        })
        .collect()
}

/// Runs every scenario once, in parallel (`progress` after each), and judges every outcome.
/// A failed simulation or an outcome that cannot be read is an error (nothing is judged).
pub fn evaluate(v: &Validation, progress: &(dyn Fn() + Sync)) -> Result<Evaluation, SimError> {
    let kept = (0..v.scenarios.len())
        .into_par_iter()
        .map(|s| {
            let k = run_one(v, s);
            progress();
            k
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut e = Evaluation {
        outcomes: Vec::new(),
        kept,
    };
    for o in &v.outcomes {
        let model = model_value(&e, o).map_err(|err| SimError::Analysis {
            reason: format!("outcome `{}`: {err}", o.name),
        })?;
        let band = o.band();
        e.outcomes.push(OutcomeResult {
            model,
            band,
            verdict: verdict(o.value, band, model),
        });
    }
    Ok(e)
}

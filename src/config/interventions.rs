//! Intervention files (`params/interventions/*.toml`): published knock-outs, neutralisations,
//! depletions and over-expressions, each expressed as the fraction of a disease's effect that it
//! prevents (or, in a healthy adult, as its own effect), with its source and the band the model
//! must meet. A calibration lists them (`interventions = [...]`) and they become its targets.
//!
//! A context names two scenarios, the disease (for example surgical menopause, the human model's
//! ovariectomy) and its control (the healthy adult, the sham), a read-out (column and day), and
//! when the handles start: at the start of a run-in for a knock-out that is lifelong, at day 0 for
//! a treatment. Each intervention sets handles (`<element>_factor` inputs) in both arms.
//!
//! Each intervention says what the fit aims at (`fit`): the published value of a measured result
//! (`"value"`, the default), or only its band for a qualitative one (`"band"`: "prevented", "more
//! loss", "no effect", where the value is the band's middle and not a measurement).

use super::{file_problem, line, num, read, suggest, toml_error};
use crate::config::scenario::{Scenario, load_scenario};
use crate::engine::{Profile, Window};
use crate::error::ConfigError;
use crate::model::ModelId;
use crate::model::immune::HANDLES;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// Longest run-in or duration of a context (days): 20 years.
const MAX_CONTEXT_DAYS: f64 = 7305.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<Spanned<String>>,
    description: Option<String>,
    #[serde(default)]
    context: Vec<Spanned<RawContext>>,
    #[serde(default)]
    intervention: Vec<Spanned<RawIntervention>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    name: Spanned<String>,
    description: Option<String>,
    disease: Spanned<String>,
    control: Spanned<String>,
    duration_days: Spanned<f64>,
    output_interval_days: Spanned<f64>,
    run_in_days: Option<Spanned<f64>>,
    handles_from: Spanned<String>,
    measure: Spanned<String>,
    column: Spanned<String>,
    time_days: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntervention {
    name: Spanned<String>,
    context: Spanned<String>,
    set: Spanned<BTreeMap<String, f64>>,
    value: Spanned<f64>,
    band: Spanned<[f64; 2]>,
    fit: Option<Spanned<String>>,
    column: Option<Spanned<String>>,
    species: Option<String>,
    source: Spanned<String>,
    evidence: Option<String>,
}

/// What an intervention's number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// 1 - (treated disease - treated control) / (disease - control): the fraction of the
    /// disease's effect the intervention prevents (negative when it adds to it). The handles act
    /// in both treated arms (a knock-out mouse and its sham).
    FractionPrevented,
    /// The same, but the control arm is untreated: a treatment started with the disease, against
    /// the untreated control (a trial without a treated healthy arm).
    FractionPreventedUntreatedControl,
    /// treated control - control: the intervention's own effect in the control (healthy) arm, in
    /// the column's unit.
    EffectInControl,
}

impl Measure {
    const NAMES: [(&'static str, Measure); 3] = [
        ("fraction_prevented", Measure::FractionPrevented),
        (
            "fraction_prevented_untreated_control",
            Measure::FractionPreventedUntreatedControl,
        ),
        ("effect_in_control", Measure::EffectInControl),
    ];
}

/// What the fit aims at for an intervention (its `fit` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// `"value"` (default): a measured result; the fit aims at the published value, its residual
    /// scaled by the band's half-width on the residual's side.
    Value,
    /// `"band"`: a qualitative result (a direction, "prevented", "no effect"); the published value
    /// is only the middle of its band, and the fit costs nothing inside the band (a steep wall
    /// outside it, `calibration::BAND_WALL`).
    Band,
}

impl Fit {
    const NAMES: [(&'static str, Fit); 2] = [("value", Fit::Value), ("band", Fit::Band)];
}

/// A context: the disease and control runs of its interventions, and the read-out.
#[derive(Debug, Clone)]
pub struct Context {
    /// Name the interventions refer to.
    pub name: String,
    /// What it stands for (and how a mouse experiment maps onto it).
    pub description: String,
    /// The disease arm, with the context's duration, output grid and run-in.
    pub disease: Scenario,
    /// The control arm, likewise.
    pub control: Scenario,
    /// Day from which the handles act (the start of the run-in for a lifelong knock-out).
    pub handles_from: f64,
    /// What the interventions' numbers are.
    pub measure: Measure,
    /// Read-out column.
    pub column: String,
    /// Read-out day.
    pub time_days: f64,
}

/// A published intervention.
#[derive(Debug, Clone)]
pub struct Intervention {
    /// Label.
    pub name: String,
    /// Index into [`InterventionSet::contexts`].
    pub context: usize,
    /// The handles it sets: (input index in the model's layout, handle name, factor).
    pub set: Vec<(usize, String, f64)>,
    /// The published value (the centre of the fit for [`Fit::Value`]; the middle of the band for
    /// [`Fit::Band`]).
    pub value: f64,
    /// The band the model must meet.
    pub band: (f64, f64),
    /// Whether the fit aims at the value or only at the band.
    pub fit: Fit,
    /// Read-out column (the context's unless the study reports another site).
    pub column: String,
    /// Species or population.
    pub species: String,
    /// Authors, year, journal, volume:pages, figure or table.
    pub source: String,
    /// What the paper reports and how it becomes the value and band.
    pub evidence: String,
}

impl Intervention {
    /// The scenario `base` with this intervention's handles set from `from` on.
    pub fn apply(&self, base: &Scenario, from: f64) -> Scenario {
        let mut s = base.clone();
        s.name = format!("{} + {}", base.name, self.name);
        for (input, name, factor) in &self.set {
            s.spec.protocol.windows.push(Window {
                input: *input,
                value: *factor,
                start: from,
                end: f64::INFINITY,
                profile: Profile::Constant,
            });
            let unit = "1".to_string();
            s.inputs.push((
                name.clone(),
                unit,
                *factor,
                from,
                f64::INFINITY,
                "constant".into(),
            ));
        }
        s
    }
}

/// A validated intervention file.
#[derive(Debug, Clone)]
pub struct InterventionSet {
    /// Name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Contexts.
    pub contexts: Vec<Context>,
    /// Interventions.
    pub interventions: Vec<Intervention>,
}

/// Loads and validates an intervention file for `model`.
pub fn load_interventions(path: &Path, model: ModelId) -> Result<InterventionSet, ConfigError> {
    let src = read(path)?;
    let raw: RawFile = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
    let cx = Cx { path, src: &src };
    let name = raw
        .name
        .ok_or_else(|| cx.err(None, "name", "missing required key `name`".into()))?;
    let mut contexts = Vec::new();
    for (k, c) in raw.context.iter().enumerate() {
        let context = cx.context(&format!("context[{k}]"), c.get_ref(), model)?;
        if contexts.iter().any(|o: &Context| o.name == context.name) {
            return Err(cx.err(
                line(&src, &c.get_ref().name),
                &format!("context[{k}].name"),
                format!("context `{}` is defined twice", context.name),
            ));
        }
        contexts.push(context);
    }
    if raw.intervention.is_empty() {
        return Err(cx.err(None, "intervention", "no `[[intervention]]`".into()));
    }
    let mut interventions = Vec::new();
    for (k, i) in raw.intervention.iter().enumerate() {
        interventions.push(cx.intervention(
            &format!("intervention[{k}]"),
            i.get_ref(),
            &contexts,
        )?);
    }
    Ok(InterventionSet {
        name: name.get_ref().clone(),
        description: raw.description.unwrap_or_default(),
        contexts,
        interventions,
    })
}

struct Cx<'a> {
    path: &'a Path,
    src: &'a str,
}

impl Cx<'_> {
    fn err(&self, at: Option<usize>, key: &str, msg: String) -> ConfigError {
        ConfigError::key(self.path, at, key, msg)
    }

    fn days(&self, key: &str, v: &Spanned<f64>, positive: bool) -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        let ok =
            x.is_finite() && x <= MAX_CONTEXT_DAYS && if positive { x > 0.0 } else { x >= 0.0 };
        if ok {
            return Ok(x);
        }
        Err(self.err(
            line(self.src, v),
            key,
            format!(
                "must be a number of days in {}{}, {}], got {}",
                if positive { "(" } else { "[" },
                0,
                num(MAX_CONTEXT_DAYS),
                num(x)
            ),
        ))
    }

    fn scenario(
        &self,
        key: &str,
        file: &Spanned<String>,
        model: ModelId,
    ) -> Result<Scenario, ConfigError> {
        let path = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(file.get_ref());
        if let Some(problem) = file_problem(&path) {
            return Err(self.err(
                line(self.src, file),
                key,
                format!("scenario file `{}` {problem}", path.display()),
            ));
        }
        let s = load_scenario(&path)?;
        if s.spec.model != model {
            return Err(self.err(
                line(self.src, file),
                key,
                format!(
                    "scenario `{}` uses model `{}`, not `{}`",
                    s.name,
                    s.spec.model.name(),
                    model.name()
                ),
            ));
        }
        if !s.spec.protocol.doses.is_empty() || s.spec.protocol.start != 0.0 {
            return Err(self.err(
                line(self.src, file),
                key,
                format!(
                    "scenario `{}` has doses or a run-in; a context's scenarios set only inputs (the context sets the run-in)",
                    s.name
                ),
            ));
        }
        Ok(s)
    }

    fn context(&self, key: &str, c: &RawContext, model: ModelId) -> Result<Context, ConfigError> {
        let duration = self.days(&format!("{key}.duration_days"), &c.duration_days, true)?;
        let interval = self.days(
            &format!("{key}.output_interval_days"),
            &c.output_interval_days,
            true,
        )?;
        let run_in = match &c.run_in_days {
            Some(v) => self.days(&format!("{key}.run_in_days"), v, false)?,
            None => 0.0,
        };
        let handles_from = match c.handles_from.get_ref().as_str() {
            "run_in" => -run_in,
            "day_0" => 0.0,
            other => {
                return Err(self
                    .err(
                        line(self.src, &c.handles_from),
                        &format!("{key}.handles_from"),
                        format!("unknown `{other}`"),
                    )
                    .with_help(suggest(other, ["run_in", "day_0"])));
            }
        };
        let measure = Measure::NAMES
            .iter()
            .find(|(n, _)| n == c.measure.get_ref())
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                self.err(
                    line(self.src, &c.measure),
                    &format!("{key}.measure"),
                    format!("unknown measure `{}`", c.measure.get_ref()),
                )
                .with_help(suggest(c.measure.get_ref(), Measure::NAMES.map(|(n, _)| n)))
            })?;
        let time = *c.time_days.get_ref();
        let steps = time / interval;
        if !(time > 0.0 && time <= duration && (steps - steps.round()).abs() < 1e-9) {
            return Err(self.err(
                line(self.src, &c.time_days),
                &format!("{key}.time_days"),
                format!(
                    "{} day is not an output time (0 to {} day, every {} day)",
                    num(time),
                    num(duration),
                    num(interval)
                ),
            ));
        }
        let shape = |mut s: Scenario| {
            s.spec.protocol.start = -run_in;
            s.spec.protocol.duration = duration;
            s.spec.protocol.output_interval = interval;
            s
        };
        let disease = shape(self.scenario(&format!("{key}.disease"), &c.disease, model)?);
        let control = shape(self.scenario(&format!("{key}.control"), &c.control, model)?);
        self.column(&format!("{key}.column"), &c.column, &disease)?;
        Ok(Context {
            name: c.name.get_ref().clone(),
            description: c.description.clone().unwrap_or_default(),
            disease,
            control,
            handles_from,
            measure,
            column: c.column.get_ref().clone(),
            time_days: time,
        })
    }

    fn column(&self, key: &str, column: &Spanned<String>, s: &Scenario) -> Result<(), ConfigError> {
        let layout = s.spec.layout();
        if layout.columns().any(|c| c == column.get_ref()) {
            return Ok(());
        }
        Err(self
            .err(
                line(self.src, column),
                key,
                format!("no output column `{}`", column.get_ref()),
            )
            .with_help(suggest(
                column.get_ref(),
                layout.columns().collect::<Vec<_>>(),
            )))
    }

    fn intervention(
        &self,
        key: &str,
        i: &RawIntervention,
        contexts: &[Context],
    ) -> Result<Intervention, ConfigError> {
        let Some(context) = contexts.iter().position(|c| &c.name == i.context.get_ref()) else {
            return Err(self
                .err(
                    line(self.src, &i.context),
                    &format!("{key}.context"),
                    format!("no context `{}`", i.context.get_ref()),
                )
                .with_help(suggest(
                    i.context.get_ref(),
                    contexts.iter().map(|c| c.name.as_str()),
                )));
        };
        let inputs = contexts[context].disease.spec.layout().inputs;
        let mut set = Vec::new();
        for (name, factor) in i.set.get_ref() {
            let at = line(self.src, &i.set);
            let Some(h) = HANDLES.iter().find(|h| h.name == name) else {
                return Err(self
                    .err(
                        at,
                        &format!("{key}.set.{name}"),
                        format!("no handle `{name}`"),
                    )
                    .with_help(suggest(name, HANDLES.iter().map(|h| h.name))));
            };
            if !(factor.is_finite() && (0.0..=10.0).contains(factor)) {
                return Err(self.err(
                    at,
                    &format!("{key}.set.{name}"),
                    format!("a factor must lie in [0, 10], got {}", num(*factor)),
                ));
            }
            let input = inputs
                .iter()
                .position(|s| s.name == h.input)
                .ok_or_else(|| {
                    self.err(
                        at,
                        &format!("{key}.set.{name}"),
                        format!("the model has no input `{}`", h.input),
                    )
                })?;
            set.push((input, h.name.to_string(), *factor));
        }
        if set.is_empty() {
            return Err(self.err(
                line(self.src, &i.set),
                &format!("{key}.set"),
                "sets no handle".into(),
            ));
        }
        let [lo, hi] = *i.band.get_ref();
        let value = *i.value.get_ref();
        if !(lo.is_finite() && hi.is_finite() && lo < value && value < hi) {
            return Err(self.err(
                line(self.src, &i.band),
                &format!("{key}.band"),
                format!(
                    "band [{}, {}] must be finite with the value {} strictly inside",
                    num(lo),
                    num(hi),
                    num(value)
                ),
            ));
        }
        let fit = match &i.fit {
            None => Fit::Value,
            Some(f) => Fit::NAMES
                .iter()
                .find(|(n, _)| n == f.get_ref())
                .map(|(_, m)| *m)
                .ok_or_else(|| {
                    self.err(
                        line(self.src, f),
                        &format!("{key}.fit"),
                        format!("unknown fit `{}`", f.get_ref()),
                    )
                    .with_help(suggest(f.get_ref(), Fit::NAMES.map(|(n, _)| n)))
                })?,
        };
        let column = match &i.column {
            Some(c) => {
                self.column(&format!("{key}.column"), c, &contexts[context].disease)?;
                c.get_ref().clone()
            }
            None => contexts[context].column.clone(),
        };
        if i.source.get_ref().trim().is_empty() {
            return Err(self.err(
                line(self.src, &i.source),
                &format!("{key}.source"),
                "an intervention needs its source".into(),
            ));
        }
        Ok(Intervention {
            name: i.name.get_ref().clone(),
            context,
            set,
            value,
            band: (lo, hi),
            fit,
            column,
            species: i.species.clone().unwrap_or_default(),
            source: i.source.get_ref().clone(),
            evidence: i.evidence.clone().unwrap_or_default(),
        })
    }
}

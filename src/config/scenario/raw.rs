//! The scenario file as written: serde structs that mirror it one to one (`deny_unknown_fields`,
//! and `Spanned` values so every message can name the line).

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub model: Option<Spanned<String>>,
    pub parameter_set: Option<Spanned<String>>,
    pub duration_days: Option<Spanned<f64>>,
    pub run_in_days: Option<Spanned<f64>>,
    pub output_interval_days: Option<Spanned<f64>>,
    #[serde(default)]
    pub parameters: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    pub input: Vec<Spanned<RawInput>>,
    #[serde(default)]
    pub treatment: Vec<Spanned<RawTreatment>>,
    pub initial_state: Option<Spanned<BTreeMap<Spanned<String>, Spanned<f64>>>>,
    pub solver: Option<RawSolver>,
    pub figure: Option<crate::config::figure::RawFigure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInput {
    pub name: Spanned<String>,
    pub value: Spanned<f64>,
    pub unit: Option<Spanned<String>>,
    pub start_day: Option<Spanned<f64>>,
    pub end_day: Option<Spanned<f64>>,
    pub profile: Option<Spanned<String>>,
    pub tau_days: Option<Spanned<f64>>,
    pub rate_per_day: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTreatment {
    pub drug: Spanned<String>,
    pub dose: Spanned<f64>,
    pub unit: Spanned<String>,
    pub route: Spanned<String>,
    pub first_day: Option<Spanned<f64>>,
    pub interval_days: Option<Spanned<f64>>,
    pub doses: Option<Spanned<u32>>,
    pub last_day: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSolver {
    pub method: Option<Spanned<String>>,
    pub rtol: Option<Spanned<f64>>,
    pub atol: Option<Spanned<f64>>,
    pub atol_states: Option<BTreeMap<Spanned<String>, Spanned<f64>>>,
    pub max_step_days: Option<Spanned<f64>>,
    pub max_steps: Option<Spanned<u32>>,
}

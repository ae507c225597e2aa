//! `[initial_state]`: the steady state unless every cell state is given.

use super::Ctx;
use crate::config::params_file::check_value;
use crate::engine::InitialState;
use crate::error::ConfigError;
use crate::model::{Layout, StateKind};
use std::collections::BTreeMap;
use toml::Spanned;

type Table = Spanned<BTreeMap<Spanned<String>, Spanned<f64>>>;

/// The initial state: the steady state without a table; otherwise every dynamic state from the
/// table and each accumulator at its reference where the table does not give it.
pub(super) fn parse(
    cx: &Ctx,
    spec: &Layout,
    table: Option<&Table>,
) -> Result<InitialState, ConfigError> {
    let Some(table) = table else {
        return Ok(InitialState::SteadyState);
    };
    let mut values: Vec<Option<f64>> = vec![None; spec.states.len()];
    for (key, value) in table.get_ref() {
        let k = format!("initial_state.{}", key.get_ref());
        let i = cx.state_index(spec, key, &k)?;
        check_value(cx.file, cx.line(value), &k, *value.get_ref())?;
        values[i] = Some(*value.get_ref());
    }
    let mut full = Vec::with_capacity(values.len());
    for (v, s) in values.iter().zip(&spec.states) {
        match (v, s.kind) {
            (Some(x), _) => full.push(*x),
            (None, StateKind::Accumulator { reference }) => full.push(reference),
            (None, StateKind::Dynamic) => {
                return Err(cx.err(
                    cx.line(table),
                    "initial_state",
                    format!(
                        "explicit initial state lacks `{}` ({}); give every cell state, or drop [initial_state] to start from the steady state",
                        s.name, s.unit
                    ),
                ));
            }
        }
    }
    Ok(InitialState::Explicit(full))
}

//! `[parameters]`: overrides of single parameters by dotted name (nested tables are joined with
//! dots).

use super::Ctx;
use crate::config::params_file::{check_share, check_value};
use crate::config::suggest;
use crate::error::ConfigError;
use crate::model::Layout;
use crate::params::ParamSet;
use std::collections::BTreeMap;
use toml::Spanned;

/// Applies the overrides to `params` and returns them as (dotted name, value), in name order.
pub(super) fn apply(
    cx: &Ctx,
    spec: &Layout,
    table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    params: &mut ParamSet,
) -> Result<Vec<(String, f64)>, ConfigError> {
    let mut flat = Vec::new();
    for (key, value) in table {
        flatten(key.get_ref(), value.get_ref(), cx.line(key), &mut flat);
    }
    let mut overrides = Vec::new();
    for (name, value, at) in flat {
        let key = format!("parameters.\"{name}\"");
        let Some(v) = value else {
            return Err(cx.err(at, &key, "wrong type: expected a number"));
        };
        let Some(p) = params.params.get_mut(&name) else {
            return Err(cx
                .err(
                    at,
                    &key,
                    format!("model `{}` has no parameter `{name}`", spec.name),
                )
                .with_help(suggest(&name, spec.params.iter().map(|p| p.name))));
        };
        check_value(cx.file, at, &key, v)?;
        check_share(cx.file, at, &key, &name, v)?;
        if p.overridden_from.is_some() {
            return Err(cx.err(at, &key, format!("parameter `{name}` is overridden twice")));
        }
        p.overridden_from = Some(p.value);
        p.value = v;
        overrides.push((name, v));
    }
    Ok(overrides)
}

/// Flattens nested override tables into (dotted name, number, line).
fn flatten(
    prefix: &str,
    value: &toml::Value,
    at: Option<usize>,
    out: &mut Vec<(String, Option<f64>, Option<usize>)>,
) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{prefix}.{k}"), v, at, out);
            }
        }
        toml::Value::Float(x) => out.push((prefix.to_string(), Some(*x), at)),
        toml::Value::Integer(i) => out.push((prefix.to_string(), Some(*i as f64), at)),
        _ => out.push((prefix.to_string(), None, at)),
    }
}

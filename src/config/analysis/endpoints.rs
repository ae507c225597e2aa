//! Endpoint files (`params/endpoints/*.toml`): named read-outs of a run.

use crate::analysis::{Endpoint, Statistic};
use crate::config::{check_name, line, num, read, suggest, toml_error};
use crate::error::ConfigError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoints {
    #[serde(default)]
    endpoint: Vec<Spanned<RawEndpoint>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    name: Spanned<String>,
    column: Spanned<String>,
    at_day: Option<Spanned<f64>>,
    stat: Option<Spanned<String>>,
    from_day: Option<Spanned<f64>>,
    to_day: Option<Spanned<f64>>,
    description: Option<String>,
}

/// Loads an endpoints file.
pub fn load_endpoints(path: &Path) -> Result<Vec<Endpoint>, ConfigError> {
    load_endpoints_with_lines(path).map(|(endpoints, _)| endpoints)
}

/// Loads an endpoints file, with the line of each endpoint's `name` (for the checks against a
/// scenario, which come later).
pub(super) fn load_endpoints_with_lines(
    path: &Path,
) -> Result<(Vec<Endpoint>, Vec<Option<usize>>), ConfigError> {
    let src = read(path)?;
    let raw: RawEndpoints = toml::from_str(&src).map_err(|e| toml_error(path, &src, &e))?;
    if raw.endpoint.is_empty() {
        return Err(ConfigError::key(
            path,
            None,
            "endpoint",
            "no `[[endpoint]]` defined".to_string(),
        ));
    }
    let mut out: Vec<Endpoint> = Vec::new();
    let mut lines = Vec::new();
    for (k, e) in raw.endpoint.iter().enumerate() {
        let e = e.get_ref();
        let key = format!("endpoint[{k}]");
        let err = |at: Option<usize>, field: &str, msg: String| {
            ConfigError::key(path, at, format!("{key}.{field}"), msg)
        };
        check_name(
            path,
            &src,
            &e.name,
            &format!("{key}.name"),
            "endpoint name",
            "plot files",
        )?;
        if out.iter().any(|x| x.name == *e.name.get_ref()) {
            return Err(err(
                line(&src, &e.name),
                "name",
                format!("endpoint `{}` is defined twice", e.name.get_ref()),
            ));
        }
        let day = |v: &Option<Spanned<f64>>, field: &str| -> Result<f64, ConfigError> {
            let v = v.as_ref().ok_or_else(|| {
                err(
                    line(&src, &e.name),
                    field,
                    format!("`{field}` is required for this statistic"),
                )
            })?;
            if v.get_ref().is_finite() && *v.get_ref() >= 0.0 {
                Ok(*v.get_ref())
            } else {
                Err(err(
                    line(&src, v),
                    field,
                    format!("must be a day >= 0, got {}", num(*v.get_ref())),
                ))
            }
        };
        let stat = e.stat.as_ref().map_or("at", |s| s.get_ref().as_str());
        let statistic = match stat {
            "at" => Statistic::At(day(&e.at_day, "at_day")?),
            "min" | "max" | "mean" | "auc" | "trough" => {
                let (a, b) = (day(&e.from_day, "from_day")?, day(&e.to_day, "to_day")?);
                if b < a {
                    return Err(err(
                        line(&src, e.to_day.as_ref().expect("checked")),
                        "to_day",
                        format!("to_day ({}) is before from_day ({})", num(b), num(a)),
                    ));
                }
                match stat {
                    "min" => Statistic::Min(a, b),
                    "max" => Statistic::Max(a, b),
                    "auc" => Statistic::Auc(a, b),
                    "trough" => Statistic::Trough(a, b),
                    _ => Statistic::Mean(a, b),
                }
            }
            other => {
                let s = e.stat.as_ref().expect("matched Some");
                return Err(err(
                    line(&src, s),
                    "stat",
                    format!("unknown statistic `{other}`"),
                )
                .with_help(suggest(
                    other,
                    ["at", "min", "max", "mean", "auc", "trough"],
                )));
            }
        };
        lines.push(line(&src, &e.name));
        out.push(Endpoint {
            name: e.name.get_ref().clone(),
            column: e.column.get_ref().clone(),
            statistic,
            description: e.description.clone().unwrap_or_default(),
        });
    }
    Ok((out, lines))
}

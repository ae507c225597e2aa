//! Parameter files (`params/models/<model>.toml`, and `params/drugs/<drug>.toml` for the drugs a
//! model can be given): every entry carries value, unit, symbol and source, and the unit must be
//! the one the model's equations assume.

use super::{closest, line, num, read, suggest, toml_error};
use crate::error::ConfigError;
use crate::model::ModelId;
use crate::params::{Param, ParamSet};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    model: Option<Spanned<RawModel>>,
    drug: Option<Spanned<RawModel>>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    #[serde(default)]
    parameters: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<RawParam>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)]
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    value: Option<Spanned<f64>>,
    unit: Option<Spanned<String>>,
    symbol: Option<String>,
    source: Option<Spanned<String>>,
    description: Option<String>,
    note: Option<String>,
}

/// The bundled parameter set of a model. The bundled files are compiled in, so their validated
/// form never changes: each is parsed once per process and cloned (a scenario of the
/// immunoporosis model loads in a fraction of the 3 ms its model and drug files take to parse,
/// which the Python package's `run_many` of many scenarios pays per scenario otherwise).
pub fn bundled_params(model: ModelId) -> Result<ParamSet, ConfigError> {
    use std::sync::OnceLock;
    static PARSED: [OnceLock<Result<ParamSet, ConfigError>>; ModelId::ALL.len()] =
        [const { OnceLock::new() }; ModelId::ALL.len()];
    let k = ModelId::ALL
        .iter()
        .position(|m| *m == model)
        .expect("every model is in ModelId::ALL");
    PARSED[k]
        .get_or_init(|| {
            let (path, src) = model.bundled_params();
            parse_params(model, Path::new(path), src)
        })
        .clone()
}

/// Loads and validates a parameter file for `model`.
pub fn load_params(model: ModelId, path: &Path) -> Result<ParamSet, ConfigError> {
    parse_params(model, path, &read(path)?)
}

/// Validates parameter-file text for `model`; `file` is used in messages.
pub fn parse_params(model: ModelId, file: &Path, src: &str) -> Result<ParamSet, ConfigError> {
    let raw: RawFile = toml::from_str(src).map_err(|e| toml_error(file, src, &e))?;
    let spec = model.layout(&[]);
    let meta = raw.model.as_ref().ok_or_else(|| {
        ConfigError::key(file, None, "model", "missing table `[model]` with `name`")
    })?;
    let meta = meta.get_ref();
    if meta.name.get_ref() != spec.name {
        return Err(ConfigError::key(
            file,
            line(src, &meta.name),
            "model.name",
            format!(
                "this parameter file is for model `{}`, but the scenario uses model `{}`",
                meta.name.get_ref(),
                spec.name
            ),
        ));
    }
    let mut set = ParamSet {
        model: spec.name.to_string(),
        origin: file.display().to_string(),
        sources: BTreeMap::new(),
        params: BTreeMap::new(),
    };
    let expected: BTreeMap<&str, &str> = spec.params.iter().map(|p| (p.name, p.unit)).collect();
    add_entries(&mut set, &expected, spec.name, file, src, raw, "")?;
    // The drugs the model can be given keep their parameters in their own files.
    for (drug, path, text) in model.bundled_drugs() {
        let drug_file = Path::new(path);
        let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(drug_file, text, &e))?;
        match &raw.drug {
            Some(d) if d.get_ref().name.get_ref() == drug => {}
            _ => {
                return Err(ConfigError::key(
                    drug_file,
                    None,
                    "drug.name",
                    format!("expected `[drug]` with `name = \"{drug}\"`"),
                ));
            }
        }
        // A drug file's citation keys are its own: stored as `<drug>/<key>`, so that two files
        // may both use `assumption` or `label` without one silently taking the other's text.
        add_entries(
            &mut set,
            &expected,
            spec.name,
            drug_file,
            text,
            raw,
            &format!("{drug}/"),
        )?;
    }
    let missing: Vec<&str> = expected
        .keys()
        .copied()
        .filter(|n| !set.params.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        return Err(ConfigError::key(
            file,
            None,
            "parameters",
            format!(
                "missing parameters of model `{}`: {}",
                spec.name,
                missing.join(", ")
            ),
        ));
    }
    Ok(set)
}

/// Validates the entries of one file and adds them to `set`; the file's citation keys are
/// stored with `prefix` (empty for the model's own file).
fn add_entries(
    set: &mut ParamSet,
    expected: &BTreeMap<&str, &str>,
    model: &str,
    file: &Path,
    src: &str,
    raw: RawFile,
    prefix: &str,
) -> Result<(), ConfigError> {
    let spec_name = model;
    let own_sources: BTreeMap<String, String> = raw
        .sources
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in &own_sources {
        set.sources.insert(format!("{prefix}{k}"), v.clone());
    }
    for (group, entries) in raw.parameters {
        for (symbol, entry) in entries {
            let name = format!("{}.{}", group.get_ref(), symbol.get_ref());
            let at = line(src, &symbol);
            let key = format!("parameters.{name}");
            let Some(&unit_expected) = expected.get(name.as_str()) else {
                return Err(ConfigError::key(
                    file,
                    at,
                    key,
                    format!("model `{}` has no parameter `{name}`", spec_name),
                )
                .with_help(suggest(&name, expected.keys().copied())));
            };
            let entry = entry.into_inner();
            let missing = |what: &str| {
                ConfigError::key(file, at, &key, format!("the entry has no `{what}`"))
                    .with_help("every parameter needs value, unit, symbol and source")
            };
            let value = entry.value.ok_or_else(|| missing("value"))?;
            let unit = entry.unit.ok_or_else(|| missing("unit"))?;
            let source = entry.source.ok_or_else(|| missing("source"))?;
            let symbol_text = entry.symbol.ok_or_else(|| missing("symbol"))?;
            check_value(
                file,
                line(src, &value),
                &format!("{key}.value"),
                *value.get_ref(),
            )?;
            check_share(
                file,
                line(src, &value),
                &format!("{key}.value"),
                &name,
                *value.get_ref(),
            )?;
            if unit.get_ref().trim() != unit_expected {
                return Err(ConfigError::key(
                    file,
                    line(src, &unit),
                    format!("{key}.unit"),
                    format!(
                        "unit `{}` does not match the unit the equations use, `{unit_expected}`",
                        unit.get_ref()
                    ),
                )
                .with_help(format!("convert the value to {unit_expected}")));
            }
            let source_key = source.get_ref().trim().to_string();
            if !source_key.starts_with("calibrated:") && !own_sources.contains_key(&source_key) {
                let help = match closest(&source_key, own_sources.keys().map(String::as_str)) {
                    Some(c) => format!(
                        "did you mean `{c}`? Sources are keys of `[sources]` or `calibrated: <target>`"
                    ),
                    None => {
                        "a source is a key of `[sources]` or `calibrated: <target>`".to_string()
                    }
                };
                return Err(ConfigError::key(
                    file,
                    line(src, &source),
                    format!("{key}.source"),
                    format!("unknown source `{source_key}`"),
                )
                .with_help(help));
            }
            if set.params.contains_key(&name) {
                return Err(ConfigError::key(
                    file,
                    at,
                    key,
                    format!("parameter `{name}` is defined in two files"),
                ));
            }
            set.params.insert(
                name.clone(),
                Param {
                    name,
                    value: *value.get_ref(),
                    unit: unit_expected.to_string(),
                    symbol: symbol_text,
                    source: if source_key.starts_with("calibrated:") {
                        source_key
                    } else {
                        format!("{prefix}{source_key}")
                    },
                    description: entry.description.unwrap_or_default(),
                    note: entry.note,
                    overridden_from: None,
                },
            );
        }
    }
    Ok(())
}

/// Parameters that are a share of a whole (a weight between two sources, a fraction of a rate or
/// of a signal): at most 1, besides non-negative.
const SHARES: [&str; 19] = [
    "mechanics.w_RANKL",
    "bone.phi_modeling",
    "mineral.primary_fraction",
    "bcell.phi_OPG",
    "rankl.phi_lymph",
    "rankl.w_Th17",
    "cytokine.w_TNF_M",
    "cytokine.w_IL6_M",
    "cytokine.w_IL10_Treg",
    "cytokine.w_IL10_Th2",
    "cytokine.w_IL7_STAT5",
    "cytokine.phi_TGFb_bone",
    "disease.r_TNF",
    "disease.r_IL6",
    "disease.r_JAK",
    "disease.r_IL17",
    "disease.r_costimulation",
    "disease.blockade_saturation",
    "disease.load_reduction",
];

/// A share of a whole (`SHARES`) above 1 is refused, naming the key.
pub(crate) fn check_share(
    file: &Path,
    line: Option<usize>,
    key: &str,
    name: &str,
    v: f64,
) -> Result<(), ConfigError> {
    if SHARES.contains(&name) && v > 1.0 {
        return Err(ConfigError::key(
            file,
            line,
            key,
            format!("`{name}` is a share of a whole: {} is above 1", num(v)),
        ));
    }
    Ok(())
}

/// Every parameter and input of these models is a non-negative rate, concentration or factor.
pub(crate) fn check_value(
    file: &Path,
    line: Option<usize>,
    key: &str,
    v: f64,
) -> Result<(), ConfigError> {
    if !v.is_finite() {
        return Err(ConfigError::key(
            file,
            line,
            key,
            format!("value {} is not a finite number", num(v)),
        ));
    }
    if v < 0.0 {
        return Err(ConfigError::key(
            file,
            line,
            key,
            format!(
                "negative value {}: rates, concentrations and factors must be >= 0",
                num(v)
            ),
        ));
    }
    Ok(())
}

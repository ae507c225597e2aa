//! The scenario's header: its name, its model and the parameter set the model runs with.

use super::Ctx;
use super::raw::RawScenario;
use crate::config::params_file::{bundled_params, load_params};
use crate::config::{check_name, file_problem, suggest};
use crate::error::ConfigError;
use crate::model::ModelId;
use crate::params::ParamSet;
use std::path::Path;

/// Name, model and parameters of a scenario.
pub(super) struct Header {
    pub name: String,
    pub model: ModelId,
    pub params: ParamSet,
}

/// Validates `name`, `model` and `parameter_set` (the bundled parameters when absent; a path
/// relative to the scenario file otherwise).
pub(super) fn parse(cx: &Ctx, raw: &RawScenario) -> Result<Header, ConfigError> {
    let name = raw
        .name
        .as_ref()
        .ok_or_else(|| cx.required("name", "name = \"my_scenario\""))?;
    check_name(
        cx.file,
        cx.src,
        name,
        "name",
        "scenario name",
        "the output folder output/<name>",
    )?;
    let model_name = raw
        .model
        .as_ref()
        .ok_or_else(|| cx.required("model", "model = \"bone\""))?;
    let model = ModelId::from_name(model_name.get_ref()).ok_or_else(|| {
        cx.err(
            cx.line(model_name),
            "model",
            format!("unknown model `{}`", model_name.get_ref()),
        )
        .with_help(suggest(
            model_name.get_ref(),
            ModelId::ALL.iter().map(|m| m.name()),
        ))
    })?;
    let params = match &raw.parameter_set {
        None => bundled_params(model)?,
        Some(p) => {
            let path = cx.file.parent().unwrap_or(Path::new(".")).join(p.get_ref());
            if let Some(problem) = file_problem(&path) {
                return Err(cx.err(
                    cx.line(p),
                    "parameter_set",
                    format!("parameter file `{}` {problem}", path.display()),
                ));
            }
            load_params(model, &path)?
        }
    };
    Ok(Header {
        name: name.get_ref().clone(),
        model,
        params,
    })
}

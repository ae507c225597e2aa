//! Knock-out files: every handle of the immune module at a few factors, in a few contexts
//! (`params/analyses/knockout.toml`; format in `params/README.md`).

use super::referenced_file;
use super::{AnalysisFile, Common, check_endpoints, endpoints, has_time_course, parse};
use crate::analysis::knockout::{Context, Knockout};
use crate::analysis::{Endpoint, Target, Variable};
use crate::config::{Scenario, check_name, line, line_of, load_scenario, num, suggest};
use crate::error::ConfigError;
use crate::model::immune::{HANDLES, HandleSpec};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Most contexts of a knock-out file (columns of its figure: contexts x factors).
pub const MAX_CONTEXTS: usize = 8;
/// Most factors of a knock-out file.
pub const MAX_FACTORS: usize = 8;
/// Most endpoints of a knock-out analysis (one panel of its figure each).
pub const MAX_KNOCKOUT_ENDPOINTS: usize = 4;
/// Longest context label, in characters (it heads a column group of the figure).
const MAX_LABEL_CHARS: usize = 40;
/// Factors when the file gives none: a knock-out and twice the healthy level.
const DEFAULT_FACTORS: [f64; 2] = [0.0, 2.0];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKnockout {
    name: Option<Spanned<String>>,
    description: Option<String>,
    endpoints: Option<Spanned<String>>,
    handles: Option<Spanned<toml::Value>>,
    factors: Option<Spanned<Vec<Spanned<f64>>>>,
    sort_by: Option<Spanned<String>>,
    #[serde(default)]
    context: Vec<Spanned<RawContext>>,
    figure: Option<crate::config::figure::RawFigure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    label: Spanned<String>,
    scenario: Spanned<String>,
}

impl AnalysisFile for RawKnockout {
    const KIND: &'static str = "knockout";
    fn common(&self) -> Common<'_> {
        Common {
            name: self.name.as_ref(),
            description: self.description.as_ref(),
            scenario: None,
            endpoints: self.endpoints.as_ref(),
            seed: None,
            figure: None,
            parameters: 0,
        }
    }
}

/// A validated knock-out file.
#[derive(Debug, Clone)]
pub struct KnockoutStudy {
    /// File.
    pub path: PathBuf,
    /// The file's text as read and validated (hashed in `report.html`).
    pub source: String,
    /// Name (output folder).
    pub name: String,
    /// What it asks.
    pub description: String,
    /// The endpoints file.
    pub endpoints_path: PathBuf,
    /// The context whose knock-out effects order the printed table.
    pub sort_by: usize,
    /// The analysis.
    pub knockout: Knockout,
    /// How its figure is drawn: its `[figure]`, by default two columns wide and a row per
    /// handle tall.
    pub figure: crate::config::FigureOptions,
    /// Warnings of the contexts' scenarios.
    pub warnings: Vec<String>,
}

/// Loads and validates a knock-out file: every scenario, endpoint, handle and factor is checked
/// before any run.
pub fn load_knockout(path: &Path) -> Result<KnockoutStudy, ConfigError> {
    let (src, raw) = parse::<RawKnockout>(path)?;
    let f = KnockoutFile {
        path,
        src: &src,
        raw: &raw,
    };
    let name = raw.name.as_ref().ok_or_else(|| f.required("name"))?;
    check_name(
        path,
        &src,
        name,
        "name",
        "analysis name",
        "the output folder output/knockout/<name>",
    )?;
    let scenarios = f.scenarios()?;
    let handles = f.handles()?;
    let (endpoints_path, endpoints, lines) = f.endpoints()?;
    let mut contexts = Vec::new();
    let mut warnings = Vec::new();
    for (k, (label, scenario)) in scenarios.into_iter().enumerate() {
        let variables = f.variables(k, &scenario, &handles)?;
        check_endpoints(&endpoints_path, &endpoints, &lines, &scenario)?;
        warnings.extend(
            scenario
                .warnings
                .iter()
                .map(|w| format!("context `{label}`: {w}")),
        );
        contexts.push(Context {
            label,
            scenario: scenario.name.clone(),
            base: scenario.spec,
            variables,
        });
    }
    let factors = f.factors(&contexts[0], &handles)?;
    let sort_by = f.sort_by(&contexts)?;
    let figure = crate::config::figure::parse_figure_sized(
        path,
        &src,
        raw.figure.as_ref(),
        knockout_figure_mm(&handles),
    )?;
    Ok(KnockoutStudy {
        path: path.to_path_buf(),
        source: src.to_string(),
        name: name.get_ref().clone(),
        description: raw.description.clone().unwrap_or_default(),
        endpoints_path,
        sort_by,
        knockout: Knockout {
            contexts,
            handles,
            factors,
            endpoints,
        },
        warnings,
        figure,
    })
}

/// Width of the knock-out figure by default (mm): two journal columns.
pub const KNOCKOUT_WIDTH_MM: f64 = 180.0;
/// Height of a row of the knock-out figure by default (points), and of its headings and notes.
const KNOCKOUT_ROW_PT: f64 = 10.0;
const KNOCKOUT_HEADINGS_PT: f64 = 80.0;

/// Default size of the knock-out figure (mm): [`KNOCKOUT_WIDTH_MM`] wide and tall enough for a
/// row per handle and per kind heading.
fn knockout_figure_mm(handles: &[HandleSpec]) -> (f64, f64) {
    let mut kinds: Vec<&str> = handles.iter().map(|h| h.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let pt = KNOCKOUT_HEADINGS_PT + KNOCKOUT_ROW_PT * (handles.len() + kinds.len()) as f64;
    (KNOCKOUT_WIDTH_MM, (pt * 25.4 / 72.0).clamp(60.0, 400.0))
}

/// An endpoints file: its path, its endpoints and the line of each.
type Endpoints = (PathBuf, Vec<Endpoint>, Vec<Option<usize>>);

/// A knock-out file being validated.
struct KnockoutFile<'a> {
    path: &'a Path,
    src: &'a str,
    raw: &'a RawKnockout,
}

impl KnockoutFile<'_> {
    fn err(
        &self,
        at: Option<usize>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> ConfigError {
        ConfigError::key(self.path, at, key, msg)
    }

    fn required(&self, key: &str) -> ConfigError {
        self.err(None, key, format!("missing required key `{key}`"))
    }

    /// The endpoints file, its endpoints and the line of each (at most
    /// [`MAX_KNOCKOUT_ENDPOINTS`]).
    fn endpoints(&self) -> Result<Endpoints, ConfigError> {
        let key = self
            .raw
            .endpoints
            .as_ref()
            .ok_or_else(|| self.required("endpoints"))?;
        let path = referenced_file(self.path, self.src, "endpoints", key)?;
        let (endpoints, lines) = endpoints::load_endpoints_with_lines(&path)?;
        if endpoints.len() > MAX_KNOCKOUT_ENDPOINTS {
            return Err(self.err(
                line(self.src, key),
                "endpoints",
                format!(
                    "`{}` defines {} endpoints; a knock-out analysis reads at most {MAX_KNOCKOUT_ENDPOINTS} (one panel of its figure each)",
                    path.display(),
                    endpoints.len()
                ),
            ));
        }
        Ok((path, endpoints, lines))
    }

    /// The contexts' labels and scenarios, in file order.
    fn scenarios(&self) -> Result<Vec<(String, Scenario)>, ConfigError> {
        let contexts = &self.raw.context;
        if contexts.is_empty() {
            return Err(self
                .err(None, "context", "no `[[context]]`: nothing to knock out in")
                .with_help("add a [[context]] with a `label` and a `scenario` file"));
        }
        if contexts.len() > MAX_CONTEXTS {
            return Err(self.err(
                line(self.src, &contexts[MAX_CONTEXTS]),
                format!("context[{MAX_CONTEXTS}]"),
                format!(
                    "{} contexts; a knock-out file has at most {MAX_CONTEXTS} (each is a column group of the figure)",
                    contexts.len()
                ),
            ));
        }
        let mut out: Vec<(String, Scenario)> = Vec::new();
        for (k, c) in contexts.iter().enumerate() {
            let c = c.get_ref();
            let label = self.label(k, &c.label, &out)?;
            let key = format!("context[{k}].scenario");
            let scenario =
                load_scenario(&referenced_file(self.path, self.src, &key, &c.scenario)?)?;
            out.push((label, scenario));
        }
        Ok(out)
    }

    /// A context's label: 1 to [`MAX_LABEL_CHARS`] printable characters, not used before.
    fn label(
        &self,
        k: usize,
        label: &Spanned<String>,
        before: &[(String, Scenario)],
    ) -> Result<String, ConfigError> {
        let text = label.get_ref();
        let problem = if text.trim().is_empty() {
            Some("is empty".to_string())
        } else if text.chars().count() > MAX_LABEL_CHARS {
            Some(format!("is longer than {MAX_LABEL_CHARS} characters"))
        } else if text.chars().any(char::is_control) {
            Some("holds a control character".to_string())
        } else if before.iter().any(|(l, _)| l == text) {
            Some("is used by an earlier context".to_string())
        } else {
            None
        };
        match problem {
            None => Ok(text.clone()),
            Some(p) => Err(self.err(
                line(self.src, label),
                format!("context[{k}].label"),
                format!("label `{}` {p}", crate::config::shown_name(text)),
            )),
        }
    }

    /// The handles named by `handles` ("all" or a list of element names), in `HANDLES` order.
    fn handles(&self) -> Result<Vec<HandleSpec>, ConfigError> {
        let Some(given) = &self.raw.handles else {
            return Ok(HANDLES.to_vec());
        };
        let at = line(self.src, given);
        let names: Vec<&str> = HANDLES.iter().map(|h| h.name).collect();
        let list = match given.get_ref() {
            toml::Value::String(s) if s == "all" => return Ok(HANDLES.to_vec()),
            toml::Value::Array(list) => list,
            _ => {
                return Err(self
                    .err(at, "handles", "must be \"all\" or a list of element names")
                    .with_help(format!("the elements: {}", names.join(", "))));
            }
        };
        if list.is_empty() {
            return Err(self.err(at, "handles", "the list of handles is empty"));
        }
        let mut chosen: Vec<usize> = Vec::new();
        for (k, v) in list.iter().enumerate() {
            let key = format!("handles[{k}]");
            let Some(name) = v.as_str() else {
                return Err(self.err(at, key, "must be an element name (a string)"));
            };
            let at = self.line_in(given, name, &list[..k]);
            let Some(i) = names.iter().position(|n| *n == name) else {
                return Err(self
                    .err(
                        at,
                        key,
                        format!(
                            "the immune module has no handle `{}`",
                            crate::config::shown_name(name)
                        ),
                    )
                    .with_help(suggest(name, names.iter().copied())));
            };
            if chosen.contains(&i) {
                return Err(self.err(at, key, format!("handle `{name}` is listed twice")));
            }
            chosen.push(i);
        }
        chosen.sort_unstable();
        Ok(chosen.into_iter().map(|i| HANDLES[i]).collect())
    }

    /// The line of the occurrence of `name` within the `handles` value that comes after the
    /// `earlier` entries (its line, not only the line where the list starts).
    fn line_in(
        &self,
        given: &Spanned<toml::Value>,
        name: &str,
        earlier: &[toml::Value],
    ) -> Option<usize> {
        let span = given.span();
        let text = self.src.get(span.clone())?;
        let skip = earlier.iter().filter(|v| v.as_str() == Some(name)).count();
        let offset = text.match_indices(name).nth(skip).map(|(i, _)| i)?;
        Some(line_of(self.src, span.start + offset))
    }

    /// One variable per handle (`input.<element>_factor`) in the context's model; the scenario
    /// must not give a handle a time course (the analysis sets it over the whole run).
    fn variables(
        &self,
        k: usize,
        scenario: &Scenario,
        handles: &[HandleSpec],
    ) -> Result<Vec<Variable>, ConfigError> {
        let layout = scenario.spec.layout();
        let key = format!("context[{k}].scenario");
        let at = line(self.src, &self.raw.context[k].get_ref().scenario);
        handles
            .iter()
            .map(|h| {
                let index = layout
                    .inputs
                    .iter()
                    .position(|s| s.name == h.input)
                    .ok_or_else(|| {
                        self.err(
                            at,
                            &key,
                            format!(
                                "model `{}` of scenario `{}` has no input `{}`: only the immunoporosis model has the immune module's handles",
                                layout.name, scenario.name, h.input
                            ),
                        )
                    })?;
                if has_time_course(scenario, index) {
                    return Err(self
                        .err(
                            at,
                            &key,
                            format!(
                                "scenario `{}` gives `{}` a time course; the analysis sets each handle over the whole run and would replace it",
                                scenario.name, h.input
                            ),
                        )
                        .with_help("leave that handle out of `handles`, or use a scenario that does not set it"));
                }
                Ok(Variable {
                    name: format!("input.{}", h.input),
                    target: Target::Input(index, h.input.to_string()),
                    unit: layout.inputs[index].unit.to_string(),
                })
            })
            .collect()
    }

    /// The factors: finite, different, within every handle input's plausible range.
    fn factors(&self, context: &Context, handles: &[HandleSpec]) -> Result<Vec<f64>, ConfigError> {
        let Some(given) = &self.raw.factors else {
            return Ok(DEFAULT_FACTORS.to_vec());
        };
        let list = given.get_ref();
        if list.is_empty() {
            return Err(self.err(
                line(self.src, given),
                "factors",
                "the list of factors is empty",
            ));
        }
        if list.len() > MAX_FACTORS {
            return Err(self.err(
                line(self.src, given),
                "factors",
                format!("{} factors; at most {MAX_FACTORS}", list.len()),
            ));
        }
        let layout = context.base.layout();
        let mut out: Vec<f64> = Vec::new();
        for (k, x) in list.iter().enumerate() {
            let (v, at, key) = (*x.get_ref(), line(self.src, x), format!("factors[{k}]"));
            for (h, var) in handles.iter().zip(&context.variables) {
                let Target::Input(index, _) = var.target else {
                    continue;
                };
                let (lo, hi) = layout.inputs[index].range;
                if !(v.is_finite() && v >= lo && v <= hi) {
                    return Err(self.err(
                        at,
                        key,
                        format!(
                            "factor {} is outside the plausible range of `{}`, {} to {}",
                            num(v),
                            h.input,
                            num(lo),
                            num(hi)
                        ),
                    ));
                }
            }
            if out.contains(&v) {
                return Err(self.err(at, key, format!("factor {} is listed twice", num(v))));
            }
            out.push(v);
        }
        Ok(out)
    }

    /// The context that orders the printed table: `sort_by` (a label), or the first.
    fn sort_by(&self, contexts: &[Context]) -> Result<usize, ConfigError> {
        let Some(s) = &self.raw.sort_by else {
            return Ok(0);
        };
        let labels: Vec<&str> = contexts.iter().map(|c| c.label.as_str()).collect();
        labels
            .iter()
            .position(|l| *l == s.get_ref())
            .ok_or_else(|| {
                self.err(
                    line(self.src, s),
                    "sort_by",
                    format!(
                        "no context is labelled `{}`",
                        crate::config::shown_name(s.get_ref())
                    ),
                )
                .with_help(suggest(s.get_ref(), labels.iter().copied()))
            })
    }
}

//! Scenario and analysis files given from Python: a path, or a dict with the file's schema.
//!
//! A dict becomes TOML text, which the library validates exactly as it validates a file. The
//! text is written one value per line and every line remembers the dict path it came from
//! (`["input"][0]["value"]`), so an error at a line of the generated text names the dict entry.
//! Overrides (`parameters=`, `treatments=`) are merged into the file's table the same way.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The name a dict scenario or analysis is given in messages; it has no folder, so relative
/// paths in it are resolved against the working folder.
pub const DICT: &str = "<dict>";

/// TOML text to validate, with where it came from.
pub struct Text {
    /// The file named in messages (and whose folder resolves relative paths).
    pub file: PathBuf,
    /// The text.
    pub src: String,
    /// For generated text: the dict path of every line (1-based line `l` at `map[l - 1]`).
    pub map: Option<Vec<String>>,
}

impl Text {
    /// The dict path of a line of generated text.
    pub fn path_at(&self, line: Option<usize>) -> Option<String> {
        let map = self.map.as_ref()?;
        line.and_then(|l| map.get(l.checked_sub(1)?)).cloned()
    }
}

/// A Python value as TOML; `at` is its dict path, for messages.
pub fn to_toml(v: &Bound<'_, PyAny>, at: &str) -> PyResult<Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(Value::Integer(v.extract()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return Ok(Value::Table(dict_to_table(d, at)?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, x) in v.try_iter()?.enumerate() {
            out.push(to_toml(&x?, &format!("{at}[{i}]"))?);
        }
        return Ok(Value::Array(out));
    }
    // pathlib.Path and other path-like objects become their path; numpy scalars their number.
    let py = v.py();
    if v.hasattr("__fspath__")? {
        let s = py.import("os")?.getattr("fspath")?.call1((v,))?;
        return Ok(Value::String(s.extract()?));
    }
    if let Ok(x) = v.extract::<i64>() {
        return Ok(Value::Integer(x));
    }
    if let Ok(x) = v.extract::<f64>() {
        return Ok(Value::Float(x));
    }
    Err(PyTypeError::new_err(format!(
        "{at}: a {} cannot be a value of a scenario or analysis (use str, int, float, bool, list or dict)",
        v.get_type().name()?
    )))
}

/// A Python dict as a TOML table (string keys only).
pub fn dict_to_table(d: &Bound<'_, PyDict>, at: &str) -> PyResult<Table> {
    let mut t = Table::new();
    for (k, v) in d.iter() {
        let key: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{at}: every key must be a str, got {}",
                k.repr().map_or_else(|_| "?".into(), |r| r.to_string())
            ))
        })?;
        let path = format!("{at}[{}]", quote(&key));
        t.insert(key, to_toml(&v, &path)?);
    }
    Ok(t)
}

/// A key as written in a dict path and in TOML: a basic string.
fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn toml_key(s: &str) -> String {
    let bare = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { s.to_string() } else { quote(s) }
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_table))
}

/// TOML text of a table, one value per line, with the dict path of every line.
pub fn emit(t: &Table) -> (String, Vec<String>) {
    let mut out = Emitter::default();
    out.table(t, &[], "");
    (out.text, out.map)
}

#[derive(Default)]
struct Emitter {
    text: String,
    map: Vec<String>,
}

impl Emitter {
    fn line(&mut self, text: &str, path: String) {
        self.text.push_str(text);
        self.text.push('\n');
        self.map.push(path);
    }

    /// `keys`: the TOML keys of this table's header; `at`: its dict path.
    fn table(&mut self, t: &Table, keys: &[String], at: &str) {
        for (k, v) in t {
            if v.is_table() || is_table_array(v) {
                continue;
            }
            self.line(
                &format!("{} = {v}", toml_key(k)),
                format!("{at}[{}]", quote(k)),
            );
        }
        for (k, v) in t {
            let mut sub = keys.to_vec();
            sub.push(toml_key(k));
            let path = format!("{at}[{}]", quote(k));
            match v {
                Value::Table(inner) => {
                    self.line(&format!("[{}]", sub.join(".")), path.clone());
                    self.table(inner, &sub, &path);
                }
                Value::Array(items) if is_table_array(v) => {
                    for (i, item) in items.iter().enumerate() {
                        let p = format!("{path}[{i}]");
                        self.line(&format!("[[{}]]", sub.join(".")), p.clone());
                        if let Value::Table(inner) = item {
                            self.table(inner, &sub, &p);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Overrides applied to a scenario without editing it: parameter values merged into
/// `[parameters]` (a name given replaces the file's value), treatments replacing `[[treatment]]`.
#[derive(Default)]
pub struct Overrides {
    /// `[parameters]` entries.
    pub parameters: Option<Table>,
    /// The `[[treatment]]` list.
    pub treatments: Option<Value>,
}

impl Overrides {
    /// From the keyword arguments.
    pub fn from_py(
        parameters: Option<&Bound<'_, PyAny>>,
        treatments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let parameters = match parameters {
            None => None,
            Some(p) if p.is_none() => None,
            Some(p) => {
                let d = p.cast::<PyDict>().map_err(|_| {
                    PyTypeError::new_err(
                        "parameters must be a dict {\"osteoclast.A_OCa\": 0.6, ...}",
                    )
                })?;
                Some(dict_to_table(d, "parameters")?)
            }
        };
        let treatments = match treatments {
            None => None,
            Some(t) if t.is_none() => None,
            Some(t) => Some(to_toml(t, "treatments")?),
        };
        Ok(Overrides {
            parameters,
            treatments,
        })
    }

    /// No override given.
    pub fn is_empty(&self) -> bool {
        self.parameters.is_none() && self.treatments.is_none()
    }

    fn apply(&self, t: &mut Table) {
        if let Some(p) = &self.parameters {
            let entry = t
                .entry("parameters")
                .or_insert_with(|| Value::Table(Table::new()));
            match entry {
                Value::Table(own) => {
                    for (k, v) in p {
                        own.insert(k.clone(), v.clone());
                    }
                }
                other => *other = Value::Table(p.clone()),
            }
        }
        if let Some(tr) = &self.treatments {
            t.insert("treatment".into(), tr.clone());
        }
    }
}

/// Where a scenario or an analysis comes from.
pub enum Given {
    /// A file.
    File(PathBuf),
    /// A dict (already TOML).
    Dict(Table),
}

impl Given {
    /// A path (str or path-like) or a dict.
    pub fn from_py(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Self> {
        if let Ok(d) = v.cast::<PyDict>() {
            return Ok(Given::Dict(dict_to_table(d, "")?));
        }
        if v.is_instance_of::<PyString>() || v.hasattr("__fspath__")? {
            let s: PathBuf = v
                .py()
                .import("os")?
                .getattr("fspath")?
                .call1((v,))?
                .extract()?;
            return Ok(Given::File(s));
        }
        Err(PyTypeError::new_err(format!(
            "{what} must be a path (str or pathlib.Path) or a dict with the file's keys, got {}",
            v.get_type().name()?
        )))
    }
}

/// The text to validate: the file as it is (its own lines in messages), or generated text for a
/// dict or a file with overrides (dict paths in messages; the file's folder still resolves its
/// relative paths).
pub fn text_of(
    given: Given,
    overrides: &Overrides,
) -> Result<Text, immunoporosis::error::ConfigError> {
    match given {
        Given::File(path) if overrides.is_empty() => {
            let src = read(&path)?;
            Ok(Text {
                file: path,
                src,
                map: None,
            })
        }
        Given::File(path) => {
            let src = read(&path)?;
            let mut t: Table = toml::from_str(&src).map_err(|e| {
                immunoporosis::error::ConfigError::file(&path, format!("invalid TOML\n{e}"))
            })?;
            overrides.apply(&mut t);
            Ok(generated(path, &t))
        }
        Given::Dict(mut t) => {
            overrides.apply(&mut t);
            Ok(generated(PathBuf::from(DICT), &t))
        }
    }
}

/// Generated text of a table.
pub fn generated(file: PathBuf, t: &Table) -> Text {
    let (src, map) = emit(t);
    Text {
        file,
        src,
        map: Some(map),
    }
}

/// A file's text through the library's one reader (regular files of bounded size only).
fn read(path: &Path) -> Result<String, immunoporosis::error::ConfigError> {
    immunoporosis::config::read(path)
}

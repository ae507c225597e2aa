//! Parameter files edited in place: new `value`s written into a model or drug file with every
//! other byte kept (units, sources, comments, order, spacing), through `toml_edit`.

use crate::error::ConfigError;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Value};

/// A parameter file open for new values.
pub struct ParamsEdit {
    doc: DocumentMut,
}

impl ParamsEdit {
    /// Parses a parameter file's text (`file` names it in errors).
    pub fn parse(file: &Path, text: &str) -> Result<Self, ConfigError> {
        let doc = text.parse::<DocumentMut>().map_err(|e| {
            let mut err = ConfigError::file(file, format!("invalid TOML\n{e}"));
            err.line = e.span().map(|s| super::line_of(text, s.start));
            err
        })?;
        Ok(ParamsEdit { doc })
    }

    /// Sets `value` of `[parameters.<group>.<name>]` for the dotted name `group.name`, keeping
    /// the whitespace and comment around the old value. False when the file has no such
    /// parameter with a number `value` (nothing is changed then).
    pub fn set_value(&mut self, name: &str, value: f64) -> bool {
        let Some((group, key)) = name.split_once('.') else {
            return false;
        };
        // Looked up without inserting: a missing table must stay missing.
        let Some(old) = self
            .doc
            .as_table_mut()
            .get_mut("parameters")
            .and_then(Item::as_table_like_mut)
            .and_then(|p| p.get_mut(group))
            .and_then(Item::as_table_like_mut)
            .and_then(|g| g.get_mut(key))
            .and_then(Item::as_table_like_mut)
            .and_then(|entry| entry.get_mut("value"))
        else {
            return false;
        };
        let Some(decor) = old
            .as_value()
            .filter(|v| v.is_float() || v.is_integer())
            .map(|v| v.decor().clone())
        else {
            return false;
        };
        let Some(mut new) = float(value) else {
            return false;
        };
        *new.decor_mut() = decor;
        *old = Item::Value(new);
        true
    }

    /// The file's text with the new values.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }
}

/// A finite number as a TOML float in its shortest form that reads back exactly: Rust's `{:?}`
/// (`0.30000000000000004`, `2.0`, `1e-300`; always with a `.` or an exponent, so never an
/// integer).
fn float(x: f64) -> Option<Value> {
    if !x.is_finite() {
        return None;
    }
    format!("{x:?}").parse::<Value>().ok()
}

#[cfg(test)]
mod tests {
    use super::ParamsEdit;
    use std::path::Path;

    const FILE: &str = "# head comment\n[model]\nname = \"m\"\n\n[parameters.a.x]   # the x\nvalue   = 1.5    # was 1.4\nunit = \"1/day\"\n\n[parameters.a.y]\nvalue = 2\n";

    #[test]
    fn only_the_value_changes() {
        let mut e = ParamsEdit::parse(Path::new("f.toml"), FILE).unwrap();
        assert!(e.set_value("a.x", 0.1 + 0.2));
        assert!(e.set_value("a.y", 1e-300));
        assert!(!e.set_value("a.z", 1.0));
        assert!(!e.set_value("b.x", 1.0));
        assert!(!e.set_value("nodot", 1.0));
        assert!(!e.set_value("a.x", f64::NAN));
        assert_eq!(
            e.text(),
            "# head comment\n[model]\nname = \"m\"\n\n[parameters.a.x]   # the x\nvalue   = 0.30000000000000004    # was 1.4\nunit = \"1/day\"\n\n[parameters.a.y]\nvalue = 1e-300\n"
        );
    }

    #[test]
    fn a_value_that_is_not_a_number_is_not_replaced() {
        let mut e =
            ParamsEdit::parse(Path::new("f.toml"), "[parameters.a.x]\nvalue = \"one\"\n").unwrap();
        assert!(!e.set_value("a.x", 1.0));
        assert!(ParamsEdit::parse(Path::new("f.toml"), "[a\n").is_err());
    }
}

//! A resolved parameter set: values with units and sources, after every check.
//!
//! This is plain data. Reading it from TOML is `config`'s job; models read values by dotted name.

use std::collections::BTreeMap;

/// One parameter with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Dotted name, `<group>.<symbol>`.
    pub name: String,
    /// Value in `unit`.
    pub value: f64,
    /// Unit, exactly as the model requires it.
    pub unit: String,
    /// Symbol as printed in the source paper.
    pub symbol: String,
    /// Source key (from the file's `[sources]`) or `calibrated: <target>`.
    pub source: String,
    /// What the parameter means.
    pub description: String,
    /// Deviation from the paper, if any (also in `docs/discrepancies.md`).
    pub note: Option<String>,
    /// Set when a scenario overrode the file's value: the file's value.
    pub overridden_from: Option<f64>,
}

/// The parameters of one model, with the bibliography they cite.
#[derive(Debug, Clone, Default)]
pub struct ParamSet {
    /// Model the set belongs to.
    pub model: String,
    /// Where the set came from (bundled path or user file).
    pub origin: String,
    /// Citation key → full reference.
    pub sources: BTreeMap<String, String>,
    /// Parameters by dotted name.
    pub params: BTreeMap<String, Param>,
}

/// Parameter values by dotted name: what a model is built from ([`crate::model::ModelId::build`]).
pub trait ParamValues {
    /// The value of a parameter the model declared.
    ///
    /// # Panics
    /// If the name is not in the set (see [`ParamSet::value`]).
    fn value(&self, name: &str) -> f64;
}

impl ParamValues for ParamSet {
    fn value(&self, name: &str) -> f64 {
        ParamSet::value(self, name)
    }
}

/// A parameter set with some values replaced, without copying it: how an analysis builds the
/// model of each run (a few values per run; the set, with its provenance, is shared by all runs).
/// A name given twice takes its last value, as setting the values one after the other would.
#[derive(Debug, Clone, Copy)]
pub struct Replaced<'a> {
    /// The set the other values come from.
    pub base: &'a ParamSet,
    /// The replaced values, by dotted name.
    pub values: &'a [(&'a str, f64)],
}

impl ParamValues for Replaced<'_> {
    fn value(&self, name: &str) -> f64 {
        match self.values.iter().rev().find(|(n, _)| *n == name) {
            Some(&(_, x)) => x,
            None => self.base.value(name),
        }
    }
}

impl ParamSet {
    /// The value of a parameter the model declared.
    ///
    /// # Panics
    /// If the name is not in the set: configuration checks every declared name first, so this
    /// is a programming error (a name missing from the model's `PARAMS` list).
    pub fn value(&self, name: &str) -> f64 {
        match self.params.get(name) {
            Some(p) => p.value,
            None => panic!("parameter `{name}` read by the model but not declared in its PARAMS"),
        }
    }

    /// The full reference a parameter's source points to (the key itself for `calibrated:`).
    pub fn citation(&self, p: &Param) -> String {
        self.sources
            .get(&p.source)
            .cloned()
            .unwrap_or_else(|| p.source.clone())
    }
}

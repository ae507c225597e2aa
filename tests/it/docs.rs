//! The documentation states the committed parameter values: every row of a table in `docs/*.md`
//! whose columns start `parameter | value` and whose first cell names a parameter of
//! `params/models/*.toml` or `params/drugs/*.toml` gives that parameter's value, to the digits it
//! prints. A refit that changes a value the docs state fails here until the docs follow.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::root;

/// Every `[parameters.<name>]` value of the TOML files in `dir`, with the file it is in.
fn committed_values(dir: &Path, into: &mut BTreeMap<String, Vec<(String, f64)>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml::Table = text.parse().unwrap();
        let Some(params) = doc.get("parameters").and_then(|p| p.as_table()) else {
            continue;
        };
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        collect(params, "", &file, into);
    }
}

/// Walks nested tables down to those with a numeric `value`.
fn collect(
    t: &toml::Table,
    prefix: &str,
    file: &str,
    into: &mut BTreeMap<String, Vec<(String, f64)>>,
) {
    for (key, item) in t {
        let Some(table) = item.as_table() else {
            continue;
        };
        let name = format!("{prefix}{key}");
        let value = table
            .get("value")
            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)));
        match value {
            Some(v) => into.entry(name).or_default().push((file.to_owned(), v)),
            None => collect(table, &format!("{name}."), file, into),
        }
    }
}

/// A number as the docs print it (thousands commas, a typographic minus), with half a unit of
/// its last printed digit: the rounding it allows.
fn printed_number(cell: &str) -> Option<(f64, f64)> {
    let s = cell.replace(',', "").replace('−', "-");
    let value: f64 = s.parse().ok()?;
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s.as_str(), 0),
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    Some((value, 0.5 * 10f64.powi(exponent - decimals) * (1.0 + 1e-9)))
}

/// The cells of a Markdown table row.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// The data rows (line number from 1, cells) of the tables in `doc` whose second column is
/// `value`.
fn value_table_rows(doc: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for (i, line) in doc.lines().enumerate() {
        if !line.trim_start().starts_with('|') {
            header = None;
            continue;
        }
        let row = cells(line);
        match &header {
            None => header = Some(row),
            Some(h) if h.len() > 1 && h[1].eq_ignore_ascii_case("value") => rows.push((i + 1, row)),
            Some(_) => {}
        }
    }
    rows
}

/// What is wrong with a row's value against the committed values of its parameter, if anything.
fn value_problems(at: &str, name: &str, cell: &str, committed: &[(String, f64)]) -> Vec<String> {
    let Some((printed, half_unit)) = printed_number(cell) else {
        return vec![format!(
            "{at}: `{name}`: value cell {cell:?} is not a number"
        )];
    };
    committed
        .iter()
        .filter(|(_, v)| (printed - v).abs() > half_unit.max(1e-12 * v.abs()))
        .map(|(file, v)| format!("{at}: `{name}` is {printed} in the docs, {v} in {file}"))
        .collect()
}

#[test]
fn docs_state_the_committed_parameter_values() {
    let mut values = BTreeMap::new();
    committed_values(&root().join("params/models"), &mut values);
    committed_values(&root().join("params/drugs"), &mut values);
    assert!(values.len() > 200, "parameters read: {}", values.len());
    let (mut checked, mut failures) = (0, Vec::new());
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let doc = std::fs::read_to_string(&path).unwrap();
        for (line, row) in value_table_rows(&doc) {
            let name = row[0].trim_matches('`');
            let Some(committed) = values.get(name).filter(|_| row[0].starts_with('`')) else {
                continue;
            };
            checked += 1;
            failures.extend(value_problems(
                &format!("{file}:{line}"),
                name,
                &row[1],
                committed,
            ));
        }
    }
    assert!(checked > 50, "parameter rows checked: {checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

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

#[test]
fn docs_state_the_committed_parameter_values() {
    let mut values = BTreeMap::new();
    committed_values(&root().join("params/models"), &mut values);
    committed_values(&root().join("params/drugs"), &mut values);
    assert!(values.len() > 200, "parameters read: {}", values.len());
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let doc = std::fs::read_to_string(&path).unwrap();
        let mut value_table = false;
        let mut in_table = false;
        for (i, line) in doc.lines().enumerate() {
            if !line.trim_start().starts_with('|') {
                in_table = false;
                continue;
            }
            let row = cells(line);
            if !in_table {
                in_table = true;
                value_table = row.len() > 1 && row[1].eq_ignore_ascii_case("value");
                continue;
            }
            let name = row[0].trim_matches('`');
            let (true, Some(committed)) =
                (value_table && row[0].starts_with('`'), values.get(name))
            else {
                continue;
            };
            let at = format!("{}:{}", path.file_name().unwrap().to_string_lossy(), i + 1);
            let Some((printed, half_unit)) = printed_number(&row[1]) else {
                failures.push(format!(
                    "{at}: `{name}`: value cell {:?} is not a number",
                    row[1]
                ));
                continue;
            };
            checked += 1;
            for (file, v) in committed {
                if (printed - v).abs() > half_unit.max(1e-12 * v.abs()) {
                    failures.push(format!(
                        "{at}: `{name}` is {printed} in the docs, {v} in {file}"
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "parameter rows checked: {checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! The documentation states the committed parameter values: every row of a table in `docs/*.md`
//! whose columns start `parameter | value` and whose first cell names a parameter of a bundled
//! parameter set (`params/models/*.toml`, `params/drugs/*.toml`) gives that parameter's value,
//! to the digits it prints. A refit that changes a value the docs state fails here until the docs follow.

use std::collections::BTreeMap;

use immunoporosis::config::bundled_params;
use immunoporosis::model::ModelId;

use crate::util::root;

/// Every bundled parameter value (the compiled-in model and drug files, through the program's
/// own loader), with the model whose set holds it.
fn committed_values() -> BTreeMap<String, Vec<(&'static str, f64)>> {
    let mut values: BTreeMap<String, Vec<(&'static str, f64)>> = BTreeMap::new();
    for model in ModelId::ALL {
        for (name, p) in bundled_params(model).unwrap().params {
            values
                .entry(name)
                .or_default()
                .push((model.name(), p.value));
        }
    }
    values
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
fn value_problems(at: &str, name: &str, cell: &str, committed: &[(&str, f64)]) -> Vec<String> {
    let Some((printed, half_unit)) = printed_number(cell) else {
        return vec![format!(
            "{at}: `{name}`: value cell {cell:?} is not a number"
        )];
    };
    committed
        .iter()
        .filter(|(_, v)| (printed - v).abs() > half_unit.max(1e-12 * v.abs()))
        .map(|(file, v)| format!("{at}: `{name}` is {printed} in the docs, {v} in model `{file}`"))
        .collect()
}

#[test]
fn docs_state_the_committed_parameter_values() {
    let values = committed_values();
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

//! Bad input: every error names the file, the key and the line.

use crate::util::{parse, root};
use immunoporosis::config::{load_scenario, parse_params};
use immunoporosis::error::ConfigError;
use immunoporosis::model::ModelId;
use std::path::Path;

const GOOD: &str = r#"name = "t"
model = "bone"
duration_days = 100.0
output_interval_days = 1.0

[parameters]
"osteoclast.A_OCa" = 0.7

[[input]]
name = "P_RANKL_d"
value = 100.0
unit = "pM/day"
start_day = 10.0
"#;

fn err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(_) => panic!("accepted bad input:\n{text}"),
        Err(e) => e,
    }
}

#[track_caller]
fn expect(e: &ConfigError, line: Option<usize>, key: Option<&str>, message_part: &str) {
    let shown = e.to_string();
    assert!(
        shown.contains("params/scenarios/test.toml") || shown.contains(".toml"),
        "no file in: {shown}"
    );
    assert_eq!(e.line, line, "line in: {shown}");
    if let Some(k) = key {
        assert_eq!(e.key.as_deref(), Some(k), "key in: {shown}");
    }
    assert!(
        shown.contains(message_part),
        "`{message_part}` not in: {shown}"
    );
}

#[test]
fn the_good_scenario_is_accepted() {
    let s = parse(GOOD).unwrap();
    assert_eq!(s.overrides, vec![("osteoclast.A_OCa".to_string(), 0.7)]);
}

#[test]
fn unknown_key_names_its_line() {
    let e = err(&GOOD.replace("duration_days", "duraton_days"));
    expect(&e, Some(3), None, "unknown field `duraton_days`");
}

#[test]
fn wrong_type_names_its_line() {
    let e = err(&GOOD.replace("duration_days = 100.0", "duration_days = \"ten years\""));
    expect(&e, Some(3), None, "invalid type");
}

#[test]
fn negative_rate_in_an_input_is_rejected() {
    let e = err(&GOOD.replace("value = 100.0", "value = -100.0"));
    expect(&e, Some(11), Some("input[0].value"), "negative value");
}

#[test]
fn negative_parameter_override_is_rejected() {
    let e = err(&GOOD.replace("= 0.7", "= -0.7"));
    expect(
        &e,
        Some(7),
        Some("parameters.\"osteoclast.A_OCa\""),
        "negative value",
    );
}

#[test]
fn a_share_above_one_is_rejected() {
    // A share of a whole (here the modelling-based share of formation) above 1 would weigh the
    // remodelling part negatively; it is refused like a negative rate.
    let e = err(&GOOD.replace("\"osteoclast.A_OCa\" = 0.7", "\"bone.phi_modeling\" = 1.5"));
    expect(
        &e,
        Some(7),
        Some("parameters.\"bone.phi_modeling\""),
        "is a share of a whole: 1.5 is above 1",
    );
    // So is the mechanostat's share on RANKL production.
    let e = err(&GOOD.replace("\"osteoclast.A_OCa\" = 0.7", "\"mechanics.w_RANKL\" = 1.2"));
    expect(
        &e,
        Some(7),
        Some("parameters.\"mechanics.w_RANKL\""),
        "is a share of a whole: 1.2 is above 1",
    );
    // 1 itself (all formation modelling-based) is a valid, if extreme, share.
    assert!(
        parse(&GOOD.replace("\"osteoclast.A_OCa\" = 0.7", "\"bone.phi_modeling\" = 1.0")).is_ok()
    );
}

#[test]
fn unknown_parameter_suggests_the_closest_name() {
    let e = err(&GOOD.replace("osteoclast.A_OCa", "osteoclast.A_0Ca"));
    expect(&e, Some(7), None, "has no parameter `osteoclast.A_0Ca`");
    assert_eq!(e.help.as_deref(), Some("did you mean `osteoclast.A_OCa`?"));
}

#[test]
fn nested_parameter_tables_are_dotted_names() {
    let text = GOOD.replace(
        "\"osteoclast.A_OCa\" = 0.7",
        "osteoclast.A_OCa = 0.6\nrankl.beta_RANKL = 200",
    );
    let s = parse(&text).unwrap();
    assert_eq!(s.spec.params.params["osteoclast.A_OCa"].value, 0.6);
    assert_eq!(s.spec.params.params["rankl.beta_RANKL"].value, 200.0);
    assert_eq!(
        s.spec.params.params["rankl.beta_RANKL"].overridden_from,
        Some(168.4)
    );
}

#[test]
fn unknown_input_and_wrong_input_unit_are_rejected() {
    let e = err(&GOOD.replace("name = \"P_RANKL_d\"", "name = \"P_RANKL\""));
    expect(
        &e,
        Some(10),
        Some("input[0].name"),
        "has no input `P_RANKL`",
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `P_RANKL_d`?"));
    let e = err(&GOOD.replace("unit = \"pM/day\"", "unit = \"nM/day\""));
    expect(&e, Some(12), Some("input[0].unit"), "does not match");
}

#[test]
fn unknown_model_suggests_a_known_one() {
    let e = err(&GOOD.replace("\"bone\"", "\"pivonka2009\""));
    expect(&e, Some(2), Some("model"), "unknown model");
    assert_eq!(e.help.as_deref(), Some("did you mean `pivonka2008`?"));
}

#[test]
fn missing_required_key_is_named() {
    let e = err(&GOOD.replace("duration_days = 100.0\n", ""));
    expect(&e, None, Some("duration_days"), "missing required key");
}

#[test]
fn window_that_ends_before_it_starts_is_rejected() {
    let e = err(&GOOD.replace("start_day = 10.0", "start_day = 10.0\nend_day = 5.0"));
    expect(
        &e,
        Some(14),
        Some("input[0].end_day"),
        "must be after start_day",
    );
}

#[test]
fn incomplete_explicit_initial_state_is_rejected() {
    let e = err(&format!("{GOOD}\n[initial_state]\nOBp = 6e-4\n"));
    expect(&e, Some(15), Some("initial_state"), "lacks `OBa`");
}

#[test]
fn solver_settings_are_checked() {
    let e = err(&format!("{GOOD}\n[solver]\nrtol = 2.0\n"));
    expect(&e, Some(16), Some("solver.rtol"), "rtol must be in (0, 1)");
    let e = err(&format!("{GOOD}\n[solver]\nmax_step_days = 0.0\n"));
    expect(&e, Some(16), Some("solver.max_step_days"), "positive");
}

#[test]
fn missing_file_is_named() {
    let path = root().join("params/scenarios/no_such_file.toml");
    let e = load_scenario(&path).unwrap_err();
    assert!(e.to_string().contains("no_such_file.toml"), "{e}");
    assert!(e.to_string().contains("cannot read"), "{e}");
}

#[test]
fn missing_parameter_file_is_named() {
    let e = err(&GOOD.replace(
        "model = \"bone\"",
        "model = \"bone\"\nparameter_set = \"nowhere.toml\"",
    ));
    expect(&e, Some(3), Some("parameter_set"), "does not exist");
}

fn param_err(edit: impl Fn(&str) -> String) -> ConfigError {
    let (path, src) = ModelId::Lemaire2004.bundled_params();
    let changed = edit(src);
    assert_ne!(changed, src);
    parse_params(ModelId::Lemaire2004, Path::new(path), &changed).unwrap_err()
}

#[test]
fn parameter_without_unit_or_source_is_rejected() {
    let e = param_err(|s| s.replacen("unit = \"pM/day\"\n", "", 1));
    assert!(e.to_string().contains("the entry has no `unit`"), "{e}");
    assert_eq!(e.key.as_deref(), Some("parameters.osteoblast.D_R"));
    assert_eq!(e.line, Some(13));
    let e = param_err(|s| s.replacen("source = \"biomd278\"\n", "", 1));
    assert!(e.to_string().contains("the entry has no `source`"), "{e}");
}

#[test]
fn parameter_with_a_foreign_unit_or_source_is_rejected() {
    let e = param_err(|s| s.replacen("unit = \"pM/day\"", "unit = \"nM/day\"", 1));
    assert!(
        e.to_string()
            .contains("does not match the unit the equations use, `pM/day`"),
        "{e}"
    );
    let e = param_err(|s| s.replacen("source = \"biomd278\"", "source = \"biomd287\"", 1));
    assert!(e.to_string().contains("unknown source `biomd287`"), "{e}");
    assert!(e.help.unwrap().contains("did you mean `biomd278`?"));
}

#[test]
fn parameter_file_with_unknown_or_missing_entries_is_rejected() {
    let e = param_err(|s| {
        s.replace(
            "[parameters.osteoblast.D_R]",
            "[parameters.osteoblast.D_RR]",
        )
    });
    assert!(
        e.to_string().contains("has no parameter `osteoblast.D_RR`"),
        "{e}"
    );
    let e = param_err(|s| {
        s.replace(
            "[parameters.osteoblast.D_R]\nvalue = 7.0e-4\n",
            "[parameters.osteoblast.D_R]\nvalue = -7.0e-4\n",
        )
    });
    assert!(e.to_string().contains("negative value"), "{e}");
}

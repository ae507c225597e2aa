//! Published interventions (params/interventions/immunoporosis.toml): every one reproduced within
//! its band by the committed parameters, none in the wrong direction; TNF blockade after estrogen
//! withdrawal removes about half of the resorption rise, not all of it.

use crate::util::root;
use immunoporosis::calibration;
use immunoporosis::config::{Calibration, Target, load_calibration, load_interventions};
use immunoporosis::model::ModelId;

fn bundled() -> Calibration {
    load_calibration(&root().join("params/calibration/immunoporosis.toml")).unwrap()
}

/// The calibration's intervention targets with the committed model's values.
fn interventions(cal: &Calibration) -> Vec<(&Target, f64)> {
    let values: Vec<f64> = cal
        .parameters
        .iter()
        .map(|p| cal.params.params[&p.name].value)
        .collect();
    let got = calibration::evaluate(cal, &values).unwrap();
    let set = load_interventions(
        &root().join("params/interventions/immunoporosis.toml"),
        ModelId::Immunoporosis,
    )
    .unwrap();
    cal.targets
        .iter()
        .zip(got)
        .filter(|(t, _)| set.interventions.iter().any(|i| i.name == t.name))
        .collect()
}

#[test]
fn every_intervention_is_reproduced_within_its_band_and_none_in_the_wrong_direction() {
    let cal = bundled();
    let rows = interventions(&cal);
    assert!(rows.len() >= 20, "{} interventions", rows.len());
    let mut misses = Vec::new();
    for (t, got) in &rows {
        let (lo, hi) = t.band;
        eprintln!("{:<75} {got:>8.3}  [{lo}, {hi}]", t.name);
        // The direction: a band on one side of 0 fixes the sign of the effect.
        let wrong_direction = (lo > 0.0 && *got <= 0.0) || (hi < 0.0 && *got >= 0.0);
        if wrong_direction || !(lo..=hi).contains(got) {
            misses.push(format!(
                "{}: {got:.3} outside [{lo}, {hi}]{}",
                t.name,
                if wrong_direction {
                    " (wrong direction)"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn tnf_blockade_after_estrogen_withdrawal_prevents_about_half_of_the_resorption_rise() {
    let cal = bundled();
    let rows = interventions(&cal);
    let (_, f) = rows
        .iter()
        .find(|(t, _)| t.name.starts_with("etanercept after estrogen withdrawal"))
        .unwrap();
    assert!((0.3..=0.7).contains(f), "fraction prevented {f}");
}

#[test]
fn every_intervention_has_a_source_a_band_and_a_handle() {
    let set = load_interventions(
        &root().join("params/interventions/immunoporosis.toml"),
        ModelId::Immunoporosis,
    )
    .unwrap();
    assert!(set.interventions.len() >= 20);
    for i in &set.interventions {
        assert!(i.source.len() > 20, "{}: source", i.name);
        assert!(i.band.0 < i.value && i.value < i.band.1, "{}", i.name);
        assert!(!i.set.is_empty(), "{}", i.name);
    }
}

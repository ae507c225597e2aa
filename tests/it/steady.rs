//! Steady states against published values, and their stability.

use crate::util::assert_rel;
use immunoporosis::config::{bundled_params, parse_params};
use immunoporosis::engine::{self, SteadyMethod};
use immunoporosis::model::ModelId;
use std::path::Path;

#[test]
fn pivonka2008_reproduces_the_published_steady_state() {
    let r = engine::steady_state(
        ModelId::Pivonka2008,
        &bundled_params(ModelId::Pivonka2008).unwrap(),
    )
    .unwrap();
    // Pivonka et al. 2008 (literature.md 1.3).
    assert_rel(r.state[0], 6.196e-4, 1e-3, "OBp");
    assert_rel(r.state[1], 5.584e-4, 1e-3, "OBa");
    assert_rel(r.state[2], 8.069e-4, 1e-3, "OCa");
    assert!(r.stable, "eigenvalues {:?}", r.eigenvalues);
    assert_eq!(r.method, SteadyMethod::Newton);
    assert!(
        r.relative_residual < 1e-12,
        "residual {}",
        r.relative_residual
    );
}

#[test]
fn lemaire2004_reproduces_the_published_steady_state() {
    let r = engine::steady_state(
        ModelId::Lemaire2004,
        &bundled_params(ModelId::Lemaire2004).unwrap(),
    )
    .unwrap();
    // Lemaire et al. 2004 / BIOMD0000000278 (sbml/README.md).
    assert_rel(r.state[0], 7.734e-4, 1e-3, "R");
    assert_rel(r.state[1], 7.283e-4, 1e-3, "B");
    assert_rel(r.state[2], 9.127e-4, 1e-3, "C");
    assert!(r.stable, "eigenvalues {:?}", r.eigenvalues);
}

#[test]
fn core_model_keeps_the_pivonka_steady_state_and_is_stable() {
    let piv = engine::steady_state(
        ModelId::Pivonka2008,
        &bundled_params(ModelId::Pivonka2008).unwrap(),
    )
    .unwrap();
    let core =
        engine::steady_state(ModelId::Bone, &bundled_params(ModelId::Bone).unwrap()).unwrap();
    // Core states: OBp, OBa, OCp, OCa, BV, V_LS, V_TH, m_LS, m_TH.
    assert_rel(core.state[0], piv.state[0], 1e-8, "OBp");
    assert_rel(core.state[1], piv.state[1], 1e-8, "OBa");
    assert_rel(core.state[3], piv.state[2], 1e-8, "OCa");
    assert_rel(core.state[2], 1.0e-3, 1e-8, "OCp (calibrated to 1e-3 pM)");
    assert_eq!(core.state[4], 100.0);
    assert_eq!(
        core.jacobian_states,
        ["OBp", "OBa", "OCp", "OCa", "m_LS", "m_TH", "F"]
    );
    // Mineral content at the steady state: (T p + k) / (T + k) with the site's turnover T.
    let params = bundled_params(ModelId::Bone).unwrap();
    let (p, k) = (
        params.value("mineral.primary_fraction"),
        params.value("mineral.k_secondary"),
    );
    for (i, site) in [(7, "bone.T_lumbar_spine"), (8, "bone.T_total_hip")] {
        let t = params.value(site);
        assert_rel(core.state[i], (t * p + k) / (t + k), 1e-10, site);
    }
    assert!(core.stable, "eigenvalues {:?}", core.eigenvalues);
}

#[test]
fn paper_value_of_beta_rankl_does_not_reproduce_the_published_steady_state() {
    // docs/discrepancies.md: the printed 1.684e4 pM/day gives another steady state.
    let (path, src) = ModelId::Pivonka2008.bundled_params();
    let changed = src.replace("value = 168.4\n", "value = 1.684e4\n");
    assert_ne!(changed, src, "beta_RANKL entry not found");
    let set = parse_params(ModelId::Pivonka2008, Path::new(path), &changed).unwrap();
    let r = engine::steady_state(ModelId::Pivonka2008, &set).unwrap();
    // Team re-simulation (literature.md 1.3 [S]).
    assert_rel(r.state[0], 1.478e-3, 2e-3, "OBp");
    assert_rel(r.state[1], 9.744e-4, 2e-3, "OBa");
    assert_rel(r.state[2], 1.623e-3, 2e-3, "OCa");
    assert!((r.state[2] / 8.069e-4 - 1.0).abs() > 0.5);
}

#[test]
fn core_model_shares_pivonka_parameter_values() {
    let piv = bundled_params(ModelId::Pivonka2008).unwrap();
    let core = bundled_params(ModelId::Bone).unwrap();
    let mut shared = 0;
    for (name, p) in &piv.params {
        if let Some(c) = core.params.get(name) {
            assert_eq!(
                (c.value, &c.unit, &c.source),
                (p.value, &p.unit, &p.source),
                "{name}"
            );
            shared += 1;
        }
    }
    assert_eq!(shared, 24, "every Pivonka parameter but D_OCp is shared");
}

#[test]
fn steady_state_is_found_far_from_the_default_guess() {
    // A 100-fold larger osteoblast supply moves the steady state far from the generic guess;
    // whichever path succeeds, the state must be a true steady state.
    let (path, src) = ModelId::Pivonka2008.bundled_params();
    let changed = src.replacen("value = 7.0e-4\n", "value = 7.0e-2\n", 1);
    let set = parse_params(ModelId::Pivonka2008, Path::new(path), &changed).unwrap();
    let r = engine::steady_state(ModelId::Pivonka2008, &set).unwrap();
    assert!(r.relative_residual < 1e-10, "{r:?}");
    assert!(r.state[0] > 10.0 * 6.196e-4, "{r:?}");
}

//! The drug registry and the state layout built per run: drug states and columns exist only in
//! runs that dose the drug; the core's attachment points are wired by name.

use crate::util::{load, root, run};
use immunoporosis::config::bundled_params;
use immunoporosis::engine;
use immunoporosis::model::bone::Attachments;
use immunoporosis::model::drugs::{Action, DRUGS, Pk};
use immunoporosis::model::{DrugId, InputKind, Model, ModelId, neutral_inputs};

fn all_drugs() -> Vec<DrugId> {
    DrugId::all().collect()
}

#[test]
fn every_drug_declaration_is_consistent() {
    let mut symbols = std::collections::BTreeSet::new();
    for d in DRUGS.iter() {
        assert_eq!(d.compartments.len(), d.pk.compartments(), "{}", d.name);
        assert!(!d.routes.is_empty(), "{}", d.name);
        for r in d.routes {
            assert!(
                r.compartment < d.compartments.len(),
                "{} {}",
                d.name,
                r.route
            );
            assert!(r.labelled_mg > 0.0, "{} {}", d.name, r.route);
        }
        for c in d.compartments {
            assert!(symbols.insert(c.symbol), "state symbol {} twice", c.symbol);
            assert!(
                c.column.starts_with(&format!("{}_", d.name)) && c.column.ends_with("_mg"),
                "{}",
                c.column
            );
        }
        let [ng, pm] = d.concentration_columns;
        assert_eq!(ng.column, format!("{}_ng_per_mL", d.name));
        assert_eq!(pm.column, format!("{}_pM", d.name));
        assert_eq!(d.params_file.0, format!("params/drugs/{}.toml", d.name));
        assert!(
            d.params
                .iter()
                .all(|p| p.name.starts_with(&format!("{}.", d.name)))
        );
        // The action must be one the PK form can carry out.
        let compatible = match d.action {
            Action::RanklDecoy => d.pk == Pk::Denosumab,
            Action::OsteoclastApoptosisFromBone => matches!(d.pk, Pk::Bisphosphonate { .. }),
            _ => matches!(d.pk, Pk::OneCompartment { .. }),
        };
        assert!(compatible, "{}: {:?} with {:?}", d.name, d.action, d.pk);
    }
}

#[test]
fn every_drug_file_is_registered_and_every_registered_drug_has_its_file() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("params/drugs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut registered: Vec<String> = DRUGS.iter().map(|d| d.name.to_string()).collect();
    registered.sort();
    assert_eq!(files, registered);
    let bundled: Vec<&str> = ModelId::Immunoporosis
        .bundled_drugs()
        .iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(bundled, DRUGS.iter().map(|d| d.name).collect::<Vec<_>>());
    for id in [ModelId::Bone, ModelId::Pivonka2008, ModelId::Lemaire2004] {
        assert!(id.bundled_drugs().is_empty() && id.drugs().is_empty());
    }
    // Every drug's parameters are in the model's parameter list and in its parameter set.
    let set = bundled_params(ModelId::Immunoporosis).unwrap();
    let layout = ModelId::Immunoporosis.layout(&[]);
    for d in DRUGS.iter() {
        for p in d.params {
            assert!(layout.params.iter().any(|q| q.name == p.name), "{}", p.name);
            assert!(set.params.contains_key(p.name), "{}", p.name);
        }
    }
}

#[test]
fn the_layout_holds_only_the_dosed_drugs_in_registry_order() {
    let none = ModelId::Immunoporosis.layout(&[]);
    assert_eq!(none.states.len(), 20);
    assert_eq!(1 + none.states.len() + none.derived.len(), 51);
    assert!(none.states.iter().all(|s| s.unit != "mg"));
    assert!(none.dose_routes.is_empty());
    let den = DrugId::from_name("denosumab").unwrap();
    let romo = DrugId::from_name("romosozumab").unwrap();
    // The order of the argument does not matter: registry order (denosumab first).
    let two = ModelId::Immunoporosis.layout(&[romo, den, romo]);
    let names: Vec<&str> = two.states[20..].iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ["Den_depot", "Den_central", "Romo_depot", "Romo_central"]
    );
    let columns: Vec<&str> = two.derived[none.derived.len()..]
        .iter()
        .map(|d| d.column)
        .collect();
    assert_eq!(
        columns,
        [
            "denosumab_ng_per_mL",
            "denosumab_pM",
            "romosozumab_ng_per_mL",
            "romosozumab_pM"
        ]
    );
    // Dose routes address their compartment by name.
    for r in &two.dose_routes {
        let state = two.states[r.state].name;
        let want = match (r.drug, r.route) {
            ("denosumab", "SC") => "Den_depot",
            ("denosumab", "IV") => "Den_central",
            ("romosozumab", "SC") => "Romo_depot",
            other => panic!("unexpected route {other:?}"),
        };
        assert_eq!(state, want);
    }
    assert_eq!(two.dose_routes.len(), 3);
    // Every drug together: the model's 20 states and every drug's compartments (29 for the 14
    // bundled drugs, as in the former fixed layout), its read-outs and two columns per drug.
    let all = ModelId::Immunoporosis.layout(&all_drugs());
    let compartments: usize = DRUGS.iter().map(|d| d.compartments.len()).sum();
    assert_eq!(all.states.len(), 20 + compartments);
    let own = ModelId::Immunoporosis.layout(&[]);
    assert_eq!(all.derived.len(), own.derived.len() + 2 * DRUGS.len());
    // A model without drugs ignores them.
    assert_eq!(ModelId::Bone.layout(&all_drugs()).states.len(), 10);
}

#[test]
fn a_run_without_drugs_writes_no_drug_columns_and_a_dosed_run_only_its_own() {
    let is_drug_column = |c: &str| DRUGS.iter().any(|d| c.starts_with(&format!("{}_", d.name)));
    let healthy = run("healthy").trajectory;
    assert_eq!(healthy.columns.len(), 51);
    let drug_columns: Vec<&String> = healthy
        .columns
        .iter()
        .filter(|c| is_drug_column(c))
        .collect();
    assert!(drug_columns.is_empty(), "{drug_columns:?}");
    let s = load("romosozumab_then_denosumab");
    let dosed: Vec<&str> = s.spec.drugs.iter().map(|d| d.name()).collect();
    assert_eq!(dosed, ["denosumab", "romosozumab"]);
    let r = engine::simulate(&s.spec).unwrap();
    let columns: Vec<&str> = r
        .trajectory
        .columns
        .iter()
        .map(String::as_str)
        .filter(|c| is_drug_column(c))
        .collect();
    assert_eq!(
        columns,
        [
            "denosumab_depot_mg",
            "denosumab_central_mg",
            "romosozumab_depot_mg",
            "romosozumab_central_mg",
            "denosumab_ng_per_mL",
            "denosumab_pM",
            "romosozumab_ng_per_mL",
            "romosozumab_pM"
        ]
    );
    // Both drugs reached their serum.
    for c in ["denosumab_ng_per_mL", "romosozumab_ng_per_mL"] {
        let peak = r
            .trajectory
            .column(c)
            .unwrap()
            .iter()
            .fold(0.0, |a: f64, b| a.max(*b));
        assert!(peak > 1.0, "{c}: {peak}");
    }
}

#[test]
fn attachment_fields_are_the_core_inputs_in_order_and_combine_by_kind() {
    let inputs = ModelId::Bone.info().inputs;
    assert_eq!(Attachments::NAMES.len(), inputs.len());
    for (field, input) in Attachments::NAMES.iter().zip(inputs) {
        assert!(
            field.eq_ignore_ascii_case(input.name),
            "{field} vs {}",
            input.name
        );
    }
    // The immunoporosis model starts with the core's inputs.
    let ip = ModelId::Immunoporosis.info().inputs;
    assert!(inputs.iter().zip(ip).all(|(a, b)| a.name == b.name));
    // An effect on one attachment point changes exactly that point; factors multiply, sources add.
    let base = Attachments::from_array(std::array::from_fn(|k| 1.0 + k as f64));
    for (k, (name, input)) in Attachments::NAMES.iter().zip(inputs).enumerate() {
        let mut effect = Attachments::NEUTRAL.to_array();
        effect[k] = if input.kind == InputKind::Multiplier {
            3.0
        } else {
            0.5
        };
        let combined = base.combined(&Attachments::from_array(effect)).to_array();
        for (j, (c, b)) in combined.iter().zip(base.to_array()).enumerate() {
            let want = match (j == k, input.kind) {
                (false, _) => b,
                (true, InputKind::Multiplier) => b * 3.0,
                (true, InputKind::Additive) => b + 0.5,
            };
            assert_eq!(
                *c,
                want,
                "effect on {name}, point {}",
                Attachments::NAMES[j]
            );
        }
    }
}

#[test]
fn each_attachment_point_changes_exactly_its_named_core_rates() {
    // Which core rates each factor acts on (bone.rs): doubling the factor at the steady state
    // must change those derivatives and no other state's, in the core and in the full model.
    let expected: [(&str, &[&str]); 10] = [
        ("rankl_production", &["OCp", "OCa"]),
        ("opg_production", &["OCp", "OCa"]),
        ("ocp_supply", &["OCp"]),
        ("oc_differentiation", &["OCp", "OCa"]),
        ("oc_apoptosis", &["OCa"]),
        ("ob_differentiation", &["OBp", "OBa"]),
        ("ob_apoptosis", &["OBa"]),
        ("obu_supply", &["OBp"]),
        ("resorption_lumbar_spine", &["V_LS"]),
        ("resorption_total_hip", &["V_TH"]),
    ];
    for id in [ModelId::Bone, ModelId::Immunoporosis] {
        let params = bundled_params(id).unwrap();
        let mut model = id.build(&params, &[]);
        let ss = engine::steady_state(id, &params).unwrap().state;
        model.set_reference(&ss);
        let layout = model.layout().clone();
        let neutral = neutral_inputs(layout.inputs);
        let mut base = vec![0.0; ss.len()];
        model.rhs(0.0, &ss, &neutral, &mut base);
        for (name, rates) in expected {
            let k = layout.inputs.iter().position(|i| i.name == name).unwrap();
            let mut u = neutral;
            u[k] = 2.0;
            let mut dy = vec![0.0; ss.len()];
            model.rhs(0.0, &ss, &u, &mut dy);
            let changed: Vec<&str> = layout
                .states
                .iter()
                .zip(dy.iter().zip(&base))
                .filter(|(_, (a, b))| (*a - *b).abs() > 1e-9 * (a.abs() + b.abs()).max(1e-30))
                .map(|(s, _)| s.name)
                .collect();
            assert_eq!(changed, rates, "{}: {name}", id.name());
        }
    }
}

#[test]
fn a_shared_layout_is_the_layout_of_its_drug_set_built_once() {
    let den = DrugId::from_name("denosumab").unwrap();
    let romo = DrugId::from_name("romosozumab").unwrap();
    let names = |l: &immunoporosis::model::Layout| -> Vec<&str> {
        l.states.iter().map(|s| s.name).collect()
    };
    for (model, drugs) in [
        (ModelId::Immunoporosis, vec![]),
        (ModelId::Immunoporosis, vec![romo, den]),
        (ModelId::Lemaire2004, vec![den]),
    ] {
        let shared = model.shared_layout(&drugs);
        let own = model.layout(&drugs);
        assert_eq!(names(&shared), names(&own));
        assert_eq!(shared.derived.len(), own.derived.len());
        assert_eq!(shared.drugs, own.drugs);
        assert_eq!(shared.params.len(), own.params.len());
    }
    // The same set in another order or with repeats is the same layout; another set is not.
    let a = ModelId::Immunoporosis.shared_layout(&[romo, den]);
    let b = ModelId::Immunoporosis.shared_layout(&[den, romo, den]);
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    let c = ModelId::Immunoporosis.shared_layout(&[den]);
    assert!(!std::sync::Arc::ptr_eq(&a, &c));
    assert_eq!(c.drugs.len(), 1);
    // A model that takes no drugs has one layout whatever it is given.
    let l1 = ModelId::Lemaire2004.shared_layout(&[den]);
    let l2 = ModelId::Lemaire2004.shared_layout(&[]);
    assert!(std::sync::Arc::ptr_eq(&l1, &l2));
    assert_eq!(l1.states.len(), 3);
}

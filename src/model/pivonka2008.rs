//! Pivonka et al. 2008 (Bone 43:249): precursor osteoblasts OBp, active osteoblasts OBa and
//! active osteoclasts OCa, with quasi-steady TGF-beta, PTH, OPG and RANKL/RANK/OPG binding.
//!
//! Parameters follow the authors' code where it differs from the paper (`docs/discrepancies.md`).

use super::signaling::{self, LigandInputs, SignalParams, Signals};
use super::{DerivedSpec, InputKind, InputSpec, InputValues, Layout, Model, ModelInfo};
use super::{Domain, StateKind, StateSpec, param};
use super::{ParamSpec, PlotSpec, fixed, fixed_mut};
use crate::params::ParamValues;
use std::sync::Arc;

const OBP: usize = 0;
const OBA: usize = 1;
const OCA: usize = 2;

const P_PTH: usize = 0;
const P_TGFB: usize = 1;
const P_OPG: usize = 2;
const P_RANKL: usize = 3;

/// Plausible external ligand sources (pM/day): up to 1e6, a thousand times the PTH source of the
/// bundled `pivonka2008_pth` scenario and far above any endogenous production rate of the ligands.
pub(crate) const LIGAND_SOURCE_RANGE: (f64, f64) = (0.0, 1e6);

/// Inputs shared by the Pivonka-lineage models: additive ligand sources (pM/day).
pub(crate) const LIGAND_SOURCES: [InputSpec; 4] = [
    InputSpec {
        name: "P_PTH_d",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: LIGAND_SOURCE_RANGE,
        description: "external PTH source (dosing, hyperparathyroidism)",
    },
    InputSpec {
        name: "P_TGFb_d",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: LIGAND_SOURCE_RANGE,
        description: "external TGF-beta source",
    },
    InputSpec {
        name: "P_OPG_d",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: LIGAND_SOURCE_RANGE,
        description: "additive OPG source",
    },
    InputSpec {
        name: "P_RANKL_d",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: LIGAND_SOURCE_RANGE,
        description: "additive RANKL source",
    },
];

/// Osteoblast-precursor state, shared with the core model.
pub(crate) const OBP_STATE: StateSpec = StateSpec {
    name: "OBp",
    unit: "pM",
    column: "OBp_pM",
    kind: StateKind::Dynamic,
    domain: Domain::NonNegative,
    description: "osteoblast precursors (RANKL-expressing)",
};

/// Active-osteoblast state, shared with the core model.
pub(crate) const OBA_STATE: StateSpec = StateSpec {
    name: "OBa",
    unit: "pM",
    column: "OBa_pM",
    kind: StateKind::Dynamic,
    domain: Domain::NonNegative,
    description: "active osteoblasts (OPG-expressing)",
};

/// Osteoblast-lineage parameters, shared with the core model.
pub(crate) const OSTEOBLAST_PARAMS: [ParamSpec; 3] = [
    param("osteoblast.D_OBu", "pM/day"),
    param("osteoblast.D_OBp", "1/day"),
    param("osteoblast.A_OBa", "1/day"),
];

/// The Pivonka 2008 model with its current inputs.
#[derive(Debug, Clone)]
pub struct Pivonka2008 {
    sig: SignalParams,
    d_obu: f64,
    d_obp: f64,
    a_oba: f64,
    d_ocp: f64,
    a_oca: f64,
    layout: Arc<Layout>,
}

impl Pivonka2008 {
    fn signals(&self, y: &[f64; 3], u: &InputValues) -> Signals {
        let ligands = LigandInputs {
            pth_source: u[P_PTH],
            tgfb_source: u[P_TGFB],
            opg_source: u[P_OPG],
            rankl_source: u[P_RANKL],
            ..LigandInputs::NEUTRAL
        };
        signaling::signals(&self.sig, &ligands, y[OBP], y[OBA], y[OCA])
    }
}

/// Derived ligand columns shared by the Pivonka-lineage models.
pub(crate) const LIGAND_COLUMNS: [DerivedSpec; 4] = [
    DerivedSpec {
        column: "RANKL_pM",
        domain: Domain::NonNegative,
        description: "free RANKL",
    },
    DerivedSpec {
        column: "OPG_pM",
        domain: Domain::NonNegative,
        description: "free OPG",
    },
    DerivedSpec {
        column: "PTH_pM",
        domain: Domain::NonNegative,
        description: "PTH",
    },
    DerivedSpec {
        column: "TGFb_pM",
        domain: Domain::NonNegative,
        description: "active TGF-beta",
    },
];

/// Writes the ligand columns in [`LIGAND_COLUMNS`] order.
pub(crate) fn write_ligands(s: &Signals, out: &mut [f64]) {
    out[0] = s.rankl;
    out[1] = s.opg;
    out[2] = s.pth;
    out[3] = s.tgfb;
}

const STATES: [StateSpec; 3] = [
    OBP_STATE,
    OBA_STATE,
    StateSpec {
        name: "OCa",
        unit: "pM",
        column: "OCa_pM",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "active osteoclasts",
    },
];
const INPUTS: &[InputSpec] = &LIGAND_SOURCES;
const PARAMS: &[ParamSpec] = &super::concat::<ParamSpec, 5, 20, 25>(
    [
        OSTEOBLAST_PARAMS[0],
        OSTEOBLAST_PARAMS[1],
        OSTEOBLAST_PARAMS[2],
        param("osteoclast.D_OCp", "pM/day"),
        param("osteoclast.A_OCa", "1/day"),
    ],
    signaling::SIGNAL_PARAMS,
);
const DERIVED: &[DerivedSpec] = &LIGAND_COLUMNS;
const PLOTS: &[PlotSpec] = &[PlotSpec {
    file_stem: "cells",
    title: "Bone cell populations (Pivonka 2008)",
    y_label: "concentration (pM)",
    series: &[
        ("OBp_pM", "OBp osteoblast precursors", 0.0),
        ("OBa_pM", "OBa active osteoblasts", 0.0),
        ("OCa_pM", "OCa active osteoclasts", 0.0),
    ],
}];

/// The model's static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "pivonka2008",
    title: "Pivonka et al. 2008 (Bone 43:249), OBp/OBa/OCa with quasi-steady TGF-b, PTH, RANKL/RANK/OPG",
    params_file: (
        "params/models/pivonka2008.toml",
        include_str!("../../params/models/pivonka2008.toml"),
    ),
    states: &STATES,
    inputs: INPUTS,
    params: PARAMS,
    derived: DERIVED,
    plots: PLOTS,
    takes_drugs: false,
};

impl Pivonka2008 {
    /// Builds the model from a validated parameter set.
    pub fn from_params(p: &impl ParamValues, layout: Arc<Layout>) -> Self {
        Pivonka2008 {
            sig: signaling::signal_params(p),
            d_obu: p.value("osteoblast.D_OBu"),
            d_obp: p.value("osteoblast.D_OBp"),
            a_oba: p.value("osteoblast.A_OBa"),
            d_ocp: p.value("osteoclast.D_OCp"),
            a_oca: p.value("osteoclast.A_OCa"),
            layout,
        }
    }
}

impl Model for Pivonka2008 {
    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn set_reference(&mut self, _steady_state: &[f64]) {}

    fn steady_state_guess(&self) -> Vec<f64> {
        self.layout.guess(1e-3)
    }

    fn rhs(&self, _t: f64, y: &[f64], u: &InputValues, dy: &mut [f64]) {
        let (y, dy) = (fixed::<3>(y), fixed_mut::<3>(dy));
        let s = self.signals(y, u);
        let obp_to_oba = self.d_obp * s.pi_tgfb_rep_obp * y[OBP];
        dy[OBP] = self.d_obu * s.pi_tgfb_act_obu - obp_to_oba;
        dy[OBA] = obp_to_oba - self.a_oba * y[OBA];
        dy[OCA] = self.d_ocp * s.pi_rankl_act_ocp - self.a_oca * s.pi_tgfb_act_oca * y[OCA];
    }

    fn derived(&self, y: &[f64], u: &InputValues, out: &mut [f64]) {
        let y = fixed::<3>(y);
        write_ligands(&self.signals(y, u), out);
    }
}

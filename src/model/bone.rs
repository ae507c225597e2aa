//! The project's core model: Pivonka 2008 extended with
//! (i) an explicit osteoclast-precursor pool OCp (constant supply, RANKL-driven differentiation,
//! its own removal), so that blocked differentiation builds up precursors;
//! (ii) bone volume and a BMD read-out per skeletal site, each with its own turnover;
//! (iii) turnover markers CTX (from resorption) and P1NP (from formation).
//!
//! Later modules (immune system, drugs) act only through the attachment points, inputs that are
//! neutral (factor 1, source 0) by default and leave the steady state unchanged.

use super::pivonka2008::write_ligands;
use super::pivonka2008::{LIGAND_COLUMNS, LIGAND_SOURCES, OBA_STATE, OBP_STATE, OSTEOBLAST_PARAMS};
use super::signaling::{self, LigandInputs, SignalParams, Signals};
use super::{DAYS_PER_YEAR, DerivedSpec, InputKind, InputSpec, InputValues, Model};
use super::{ParamSpec, PlotSpec, StateKind, StateSpec, param};
use crate::params::ParamSet;
use nalgebra::SVector;

/// State indices.
const OBP: usize = 0;
const OBA: usize = 1;
const OCP: usize = 2;
const OCA: usize = 3;
const BV: usize = 4;
/// Bone volume at the start of a run from steady state (%).
const BV_REFERENCE: f64 = 100.0;
const BMD_LS: usize = 5;
const BMD_TH: usize = 6;

/// Input indices: the four ligand sources, then the multipliers.
const P_PTH: usize = 0;
const P_TGFB: usize = 1;
const P_OPG: usize = 2;
const P_RANKL: usize = 3;
const M_RANKL_PRODUCTION: usize = 4;
const M_OPG_PRODUCTION: usize = 5;
const M_OCP_SUPPLY: usize = 6;
const M_OC_DIFFERENTIATION: usize = 7;
const M_OC_APOPTOSIS: usize = 8;
const M_OB_DIFFERENTIATION: usize = 9;
const M_OB_APOPTOSIS: usize = 10;
const M_OBU_SUPPLY: usize = 11;
const M_RESORPTION_LS: usize = 12;
const M_RESORPTION_TH: usize = 13;
const RANKL_DECOY: usize = 14;

/// Number of core inputs; models built on the core append theirs after these.
pub(crate) const N_INPUTS: usize = 15;

const fn multiplier(name: &'static str, description: &'static str) -> InputSpec {
    InputSpec {
        name,
        unit: "1",
        kind: InputKind::Multiplier,
        description,
    }
}

pub(crate) const INPUTS: [InputSpec; N_INPUTS] = [
    LIGAND_SOURCES[0],
    LIGAND_SOURCES[1],
    LIGAND_SOURCES[2],
    LIGAND_SOURCES[3],
    multiplier(
        "rankl_production",
        "factor on RANKL production by the osteoblast lineage (R_RANKL and beta_RANKL)",
    ),
    multiplier(
        "opg_production",
        "factor on OPG production per osteoblast beta_OPG",
    ),
    multiplier("ocp_supply", "factor on osteoclast-precursor supply D_OCu"),
    multiplier(
        "oc_differentiation",
        "factor on OCp -> OCa differentiation k_OCp",
    ),
    multiplier("oc_apoptosis", "factor on osteoclast apoptosis A_OCa"),
    multiplier(
        "ob_differentiation",
        "factor on OBp -> OBa differentiation D_OBp",
    ),
    multiplier(
        "ob_apoptosis",
        "factor on active-osteoblast apoptosis A_OBa",
    ),
    multiplier(
        "obu_supply",
        "factor on osteoblast commitment from uncommitted progenitors D_OBu (Wnt signalling acts here)",
    ),
    multiplier(
        "resorption_lumbar_spine",
        "site-local factor on resorption at the lumbar spine (local inflammation, loading)",
    ),
    multiplier(
        "resorption_total_hip",
        "site-local factor on resorption at the total hip (local inflammation, loading)",
    ),
    InputSpec {
        name: "rankl_decoy",
        unit: "1",
        kind: InputKind::Additive,
        description: "extra RANKL binding partner (anti-RANKL antibody): K_A [antibody] in the RANKL binding denominator",
    },
];

/// Every parameter of the core model, with its unit.
pub(crate) const PARAMS_ARRAY: [ParamSpec; 31] = super::concat::<ParamSpec, 11, 20, 31>(
    [
        OSTEOBLAST_PARAMS[0],
        OSTEOBLAST_PARAMS[1],
        OSTEOBLAST_PARAMS[2],
        param("osteoclast.D_OCu", "pM/day"),
        param("osteoclast.k_OCp", "1/day"),
        param("osteoclast.A_OCp", "1/day"),
        param("osteoclast.A_OCa", "1/day"),
        param("bone.T_skeleton", "1/year"),
        param("bone.T_lumbar_spine", "1/year"),
        param("bone.T_total_hip", "1/year"),
        param("mechanics.g_mech", "1"),
    ],
    signaling::SIGNAL_PARAMS,
);

/// The core model with its current inputs and reference (baseline) state.
#[derive(Debug, Clone)]
pub struct Bone {
    sig: SignalParams,
    d_obu: f64,
    /// Mechanostat: power of relative bone volume on osteoblast commitment.
    g_mech: f64,
    d_obp: f64,
    a_oba: f64,
    d_ocu: f64,
    k_ocp: f64,
    a_ocp: f64,
    a_oca: f64,
    /// Remodelling turnover per day: whole skeleton, lumbar spine, total hip.
    turnover: [f64; 3],
    /// Baseline active osteoblasts and osteoclasts (steady state), the read-outs' reference.
    oba_ref: f64,
    oca_ref: f64,
}

impl Bone {
    /// Active TGF-beta (pM) at state `y` with inputs `u`.
    pub(crate) fn tgfb(&self, y: &SVector<f64, 7>, u: &InputValues) -> f64 {
        signaling::tgfb(&self.sig, &Self::ligands(u), y[OCA])
    }

    fn ligands(u: &InputValues) -> LigandInputs {
        LigandInputs {
            pth_source: u[P_PTH],
            tgfb_source: u[P_TGFB],
            opg_source: u[P_OPG],
            rankl_source: u[P_RANKL],
            rankl_production: u[M_RANKL_PRODUCTION],
            opg_production: u[M_OPG_PRODUCTION],
            rankl_decoy: u[RANKL_DECOY],
        }
    }

    fn signals(&self, y: &SVector<f64, 7>, u: &InputValues) -> Signals {
        signaling::signals(&self.sig, &Self::ligands(u), y[OBP], y[OBA], y[OCA])
    }

    /// Formation and resorption relative to baseline: the bone balance driver.
    #[inline]
    fn relative_activity(&self, y: &SVector<f64, 7>) -> (f64, f64) {
        (y[OBA] / self.oba_ref, y[OCA] / self.oca_ref)
    }
}

impl Model<7> for Bone {
    const NAME: &'static str = "bone";
    const STATES: [StateSpec; 7] = [
        OBP_STATE,
        OBA_STATE,
        StateSpec {
            name: "OCp",
            unit: "pM",
            column: "OCp_pM",
            kind: StateKind::Dynamic,
            description: "osteoclast precursors",
        },
        StateSpec {
            name: "OCa",
            unit: "pM",
            column: "OCa_pM",
            kind: StateKind::Dynamic,
            description: "active osteoclasts",
        },
        StateSpec {
            name: "BV",
            unit: "%",
            column: "bone_volume_pct",
            kind: StateKind::Accumulator {
                reference: BV_REFERENCE,
            },
            description: "whole-skeleton bone volume, % of baseline",
        },
        StateSpec {
            name: "BMD_LS",
            unit: "%",
            column: "bmd_lumbar_spine_change_pct",
            kind: StateKind::Accumulator { reference: 0.0 },
            description: "lumbar spine BMD, change from baseline in %",
        },
        StateSpec {
            name: "BMD_TH",
            unit: "%",
            column: "bmd_total_hip_change_pct",
            kind: StateKind::Accumulator { reference: 0.0 },
            description: "total hip BMD, change from baseline in %",
        },
    ];
    const INPUTS: &'static [InputSpec] = &INPUTS;
    const PARAMS: &'static [ParamSpec] = &PARAMS_ARRAY;
    const DERIVED: &'static [DerivedSpec] = &[
        LIGAND_COLUMNS[0],
        LIGAND_COLUMNS[1],
        LIGAND_COLUMNS[2],
        LIGAND_COLUMNS[3],
        DerivedSpec {
            column: "ctx_change_pct",
            description: "serum CTX (resorption marker, proportional to OCa), change from baseline in %",
        },
        DerivedSpec {
            column: "p1np_change_pct",
            description: "serum P1NP (formation marker, proportional to OBa), change from baseline in %",
        },
    ];
    const PLOTS: &'static [PlotSpec] = &[
        PlotSpec {
            file_stem: "bone",
            title: "Bone mass",
            y_label: "change from baseline (%)",
            series: &[
                ("bmd_lumbar_spine_change_pct", "lumbar spine BMD", 0.0),
                ("bmd_total_hip_change_pct", "total hip BMD", 0.0),
                ("bone_volume_pct", "whole-skeleton bone volume", 100.0),
            ],
        },
        PlotSpec {
            file_stem: "cells",
            title: "Bone cell populations",
            y_label: "concentration (pM)",
            series: &[
                ("OBp_pM", "OBp osteoblast precursors", 0.0),
                ("OBa_pM", "OBa active osteoblasts", 0.0),
                ("OCp_pM", "OCp osteoclast precursors", 0.0),
                ("OCa_pM", "OCa active osteoclasts", 0.0),
            ],
        },
        PlotSpec {
            file_stem: "markers",
            title: "Bone turnover markers",
            y_label: "change from baseline (%)",
            series: &[
                ("ctx_change_pct", "CTX (resorption)", 0.0),
                ("p1np_change_pct", "P1NP (formation)", 0.0),
            ],
        },
    ];

    fn from_params(p: &ParamSet) -> Self {
        let per_day = |name: &str| p.value(name) / DAYS_PER_YEAR;
        Bone {
            sig: signaling::signal_params(p),
            d_obu: p.value("osteoblast.D_OBu"),
            g_mech: p.value("mechanics.g_mech"),
            d_obp: p.value("osteoblast.D_OBp"),
            a_oba: p.value("osteoblast.A_OBa"),
            d_ocu: p.value("osteoclast.D_OCu"),
            k_ocp: p.value("osteoclast.k_OCp"),
            a_ocp: p.value("osteoclast.A_OCp"),
            a_oca: p.value("osteoclast.A_OCa"),
            turnover: [
                per_day("bone.T_skeleton"),
                per_day("bone.T_lumbar_spine"),
                per_day("bone.T_total_hip"),
            ],
            oba_ref: f64::NAN,
            oca_ref: f64::NAN,
        }
    }

    fn set_reference(&mut self, ss: &SVector<f64, 7>) {
        self.oba_ref = ss[OBA];
        self.oca_ref = ss[OCA];
    }

    fn rhs(&self, _t: f64, y: &SVector<f64, 7>, u: &InputValues, dy: &mut SVector<f64, 7>) {
        let s = self.signals(y, u);
        // Osteoblast lineage (Pivonka 2008).
        let obp_to_oba = u[M_OB_DIFFERENTIATION] * self.d_obp * s.pi_tgfb_rep_obp * y[OBP];
        // Mechanostat: less bone carries more strain per unit, which raises osteoblast commitment.
        let mechanostat = (y[BV] / BV_REFERENCE).powf(-self.g_mech);
        dy[OBP] = u[M_OBU_SUPPLY] * mechanostat * self.d_obu * s.pi_tgfb_act_obu - obp_to_oba;
        dy[OBA] = obp_to_oba - u[M_OB_APOPTOSIS] * self.a_oba * y[OBA];
        // Osteoclast lineage with an explicit precursor pool.
        let ocp_to_oca = u[M_OC_DIFFERENTIATION] * self.k_ocp * s.pi_rankl_act_ocp * y[OCP];
        dy[OCP] = u[M_OCP_SUPPLY] * self.d_ocu - ocp_to_oca - self.a_ocp * y[OCP];
        dy[OCA] = ocp_to_oca - u[M_OC_APOPTOSIS] * self.a_oca * s.pi_tgfb_act_oca * y[OCA];
        // Bone: formation minus resorption relative to baseline, scaled by each site's turnover;
        // a site may see extra local resorption.
        let (formation, resorption) = self.relative_activity(y);
        dy[BV] = self.turnover[0] * 100.0 * (formation - resorption);
        dy[BMD_LS] = self.turnover[1] * 100.0 * (formation - u[M_RESORPTION_LS] * resorption);
        dy[BMD_TH] = self.turnover[2] * 100.0 * (formation - u[M_RESORPTION_TH] * resorption);
    }

    fn derived(&self, y: &SVector<f64, 7>, u: &InputValues, out: &mut [f64]) {
        write_ligands(&self.signals(y, u), &mut out[..4]);
        let (formation, resorption) = self.relative_activity(y);
        out[4] = 100.0 * (resorption - 1.0);
        out[5] = 100.0 * (formation - 1.0);
    }
}

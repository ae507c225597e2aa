//! The project's core model: Pivonka 2008 extended with
//! (i) an explicit osteoclast-precursor pool OCp (constant supply, RANKL-driven differentiation,
//! its own removal), so that blocked differentiation builds up precursors;
//! (ii) bone volume per skeletal site, each with its own turnover, and the mineral content of
//! each site's bone (primary mineralisation of new bone, then slow secondary mineralisation:
//! the "remodelling space" effect that lets BMD rise for years when turnover falls), whose
//! product is the site's BMD;
//! (iii) bone formation that follows osteoblast activity with the delay of the formation phase
//! (the remodelling transient: when resorption stops, formation goes on filling the open
//! remodelling space for months);
//! (iv) turnover markers CTX (from resorption) and P1NP (from formation).
//!
//! Later modules (immune system, drugs) act only through the attachment points, inputs that are
//! neutral (factor 1, source 0) by default and leave the steady state unchanged.

use super::pivonka2008::write_ligands;
use super::pivonka2008::{LIGAND_COLUMNS, LIGAND_SOURCES, OBA_STATE, OBP_STATE, OSTEOBLAST_PARAMS};
use super::signaling::{self, LigandInputs, SignalParams, Signals};
use super::{DAYS_PER_YEAR, DerivedSpec, InputKind, InputSpec, InputValues, Layout, Model};
use super::{
    Domain, ModelInfo, ParamSpec, PlotSpec, StateKind, StateSpec, fixed, fixed_mut, param,
};
use crate::params::ParamValues;
use std::sync::Arc;

/// State indices.
const OBP: usize = 0;
const OBA: usize = 1;
const OCP: usize = 2;
pub(crate) const OCA: usize = 3;
const BV: usize = 4;
/// Bone volume at the start of a run from steady state (%).
const BV_REFERENCE: f64 = 100.0;
/// Largest physically possible bone volume (% of baseline): the skeleton's envelope bounds it; the
/// densest human skeletons (sclerosteosis, osteopetrosis) stay well below (`docs/model.md`).
pub(crate) const BV_MAX: f64 = 400.0;
/// Domain of bone volume (% of baseline).
const BV_DOMAIN: Domain = Domain::Range(0.0, BV_MAX);
/// Domain of a site's bone volume change (%): from no bone left to the envelope.
const V_CHANGE_DOMAIN: Domain = Domain::Range(-100.0, BV_MAX - BV_REFERENCE);
/// Domain of a change from baseline (%) of a non-negative quantity (markers, BMD).
pub(crate) const CHANGE_DOMAIN: Domain = Domain::Range(-100.0, f64::INFINITY);
/// Plausible factors on a rate (attachment points): 0 (blocked) to 10 times the healthy rate.
const FACTOR_RANGE: (f64, f64) = (0.0, 10.0);
const V_LS: usize = 5;
const V_TH: usize = 6;
const MIN_LS: usize = 7;
const MIN_TH: usize = 8;
const FORMATION: usize = 9;
/// Number of states of the core.
pub const N: usize = 10;

/// Number of core inputs; models built on the core append theirs after these.
pub(crate) const N_INPUTS: usize = 15;

const fn multiplier(name: &'static str, description: &'static str) -> InputSpec {
    InputSpec {
        name,
        unit: "1",
        kind: InputKind::Multiplier,
        range: FACTOR_RANGE,
        description,
    }
}

/// Declares the core's attachment points once: each is a field of [`Attachments`] and an input
/// of the core, in this order, so that a field cannot be wired to another input by position.
macro_rules! attachment_points {
    ($($field:ident: $spec:expr,)*) => {
        /// The core's attachment points by name: the inputs through which scenarios, the immune
        /// module and drugs act on the core. Sources are neutral at 0, factors at 1.
        #[derive(Debug, Clone, Copy, PartialEq)]
        #[allow(missing_docs)]
        pub struct Attachments {
            $(pub $field: f64,)*
        }

        /// The core's inputs, in [`InputValues`] order (the fields of [`Attachments`]).
        pub(crate) const INPUTS: [InputSpec; N_INPUTS] = [$($spec,)*];

        impl Attachments {
            /// The field names, in input order (each equals its input's name up to case).
            pub const NAMES: [&'static str; N_INPUTS] = [$(stringify!($field),)*];

            /// Every attachment point at its neutral value.
            pub const NEUTRAL: Attachments = {
                let mut k = 0;
                $(let $field = INPUTS[k].kind.neutral(); k += 1;)*
                assert!(k == N_INPUTS);
                Attachments { $($field,)* }
            };

            /// The attachment points from the core's inputs (the first [`N_INPUTS`] values).
            #[inline]
            pub fn from_inputs(u: &InputValues) -> Attachments {
                let [$($field,)*] = *super::fixed::<N_INPUTS>(u);
                Attachments { $($field,)* }
            }

            /// The values in input order.
            #[inline]
            pub fn to_array(&self) -> [f64; N_INPUTS] {
                [$(self.$field,)*]
            }

            /// Values in input order as attachment points.
            #[inline]
            pub fn from_array(a: [f64; N_INPUTS]) -> Attachments {
                let [$($field,)*] = a;
                Attachments { $($field,)* }
            }
        }
    };
}

attachment_points! {
    p_pth_d: LIGAND_SOURCES[0],
    p_tgfb_d: LIGAND_SOURCES[1],
    p_opg_d: LIGAND_SOURCES[2],
    p_rankl_d: LIGAND_SOURCES[3],
    rankl_production: multiplier(
        "rankl_production",
        "factor on RANKL production by the osteoblast lineage (R_RANKL and beta_RANKL)",
    ),
    opg_production: multiplier(
        "opg_production",
        "factor on OPG production per osteoblast beta_OPG",
    ),
    ocp_supply: multiplier("ocp_supply", "factor on osteoclast-precursor supply D_OCu"),
    oc_differentiation: multiplier(
        "oc_differentiation",
        "factor on OCp -> OCa differentiation k_OCp",
    ),
    oc_apoptosis: multiplier("oc_apoptosis", "factor on osteoclast apoptosis A_OCa"),
    ob_differentiation: multiplier(
        "ob_differentiation",
        "factor on OBp -> OBa differentiation D_OBp",
    ),
    ob_apoptosis: multiplier(
        "ob_apoptosis",
        "factor on active-osteoblast apoptosis A_OBa",
    ),
    obu_supply: multiplier(
        "obu_supply",
        "factor on osteoblast commitment from uncommitted progenitors D_OBu (Wnt signalling acts here)",
    ),
    resorption_lumbar_spine: multiplier(
        "resorption_lumbar_spine",
        "site-local factor on resorption at the lumbar spine (local inflammation, loading)",
    ),
    resorption_total_hip: multiplier(
        "resorption_total_hip",
        "site-local factor on resorption at the total hip (local inflammation, loading)",
    ),
    rankl_decoy: InputSpec {
        name: "rankl_decoy",
        unit: "1",
        kind: InputKind::Additive,
        // 1e6 is about 40 times K_A [Ab] at the peak of a 60 mg denosumab dose (2.3e4).
        range: (0.0, 1e6),
        description: "extra RANKL binding partner (anti-RANKL antibody): K_A [antibody] in the RANKL binding denominator",
    },
}

impl Attachments {
    /// These attachment points with a module's `effect` applied, point by point: factors
    /// multiply, sources add (an effect at [`Attachments::NEUTRAL`] changes nothing).
    #[inline]
    pub fn combined(&self, effect: &Attachments) -> Attachments {
        let (mut a, e) = (self.to_array(), effect.to_array());
        for (k, spec) in INPUTS.iter().enumerate() {
            match spec.kind {
                InputKind::Multiplier => a[k] *= e[k],
                InputKind::Additive => a[k] += e[k],
            }
        }
        Attachments::from_array(a)
    }
}

/// Every parameter of the core model, with its unit.
pub(crate) const PARAMS_ARRAY: [ParamSpec; 36] = super::concat::<ParamSpec, 16, 20, 36>(
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
        param("mechanics.w_RANKL", "1"),
        param("mineral.primary_fraction", "1"),
        param("mineral.k_secondary", "1/year"),
        param("bone.tau_formation", "day"),
        param("bone.phi_modeling", "1"),
    ],
    signaling::SIGNAL_PARAMS,
);

/// The core model with its current inputs and reference (baseline) state.
#[derive(Debug, Clone)]
pub struct Bone {
    sig: SignalParams,
    d_obu: f64,
    /// Mechanostat: power of relative bone volume, split between osteoblast commitment and
    /// RANKL production (see [`Bone::mechanostat`]).
    g_mech: f64,
    /// Share of the mechanostat's power that acts on RANKL production (the osteocytes' RANKL);
    /// the rest acts on osteoblast commitment.
    w_rankl: f64,
    d_obp: f64,
    a_oba: f64,
    d_ocu: f64,
    k_ocp: f64,
    a_ocp: f64,
    a_oca: f64,
    /// Remodelling turnover per day: whole skeleton, lumbar spine, total hip.
    turnover: [f64; 3],
    /// Mineral content of new bone after primary mineralisation, relative to full mineralisation.
    primary_fraction: f64,
    /// Secondary mineralisation rate (1/day).
    k_secondary: f64,
    /// Rate at which formation follows osteoblast activity (1/day).
    k_formation: f64,
    /// Share of baseline formation that is modelling-based: not preceded by resorption, so it
    /// does not follow the osteoblasts that resorption recruits.
    phi_modeling: f64,
    /// Baseline active osteoblasts and osteoclasts (steady state), the read-outs' reference.
    oba_ref: f64,
    oca_ref: f64,
    /// Baseline mineral content of the lumbar spine and the total hip.
    mineral_ref: [f64; 2],
    /// The layout it was built with.
    layout: Arc<Layout>,
}

impl Bone {
    /// Active TGF-beta (pM) at state `y` with inputs `u`.
    pub(crate) fn tgfb(&self, y: &[f64; N], a: &Attachments) -> f64 {
        signaling::tgfb(&self.sig, &Self::ligands(a), y[OCA])
    }

    /// PTH (pM) with attachment points `a`.
    pub(crate) fn pth(&self, a: &Attachments) -> f64 {
        signaling::pth(&self.sig, a.p_pth_d)
    }

    /// Rate (% of the hip's bone per day) at which the total hip is resorbed before any
    /// site-local factor: the hip's turnover times relative osteoclast activity (at its
    /// reference before the reference is known, as in the steady-state search).
    pub(crate) fn hip_resorption(&self, y: &[f64; N]) -> f64 {
        self.turnover[2] * 100.0 * self.relative_resorption(y).unwrap_or(1.0)
    }

    /// Rate (1/day) at which the skeleton is resorbed: whole-skeleton turnover times relative
    /// osteoclast activity (0 before the reference is known).
    pub(crate) fn skeletal_resorption(&self, y: &[f64; N]) -> f64 {
        self.turnover[0] * self.relative_resorption(y).unwrap_or(0.0)
    }

    /// Active osteoclasts relative to the steady state, once the reference is known.
    #[inline]
    fn relative_resorption(&self, y: &[f64; N]) -> Option<f64> {
        (!self.oca_ref.is_nan()).then(|| y[OCA] / self.oca_ref)
    }

    fn ligands(a: &Attachments) -> LigandInputs {
        LigandInputs {
            pth_source: a.p_pth_d,
            tgfb_source: a.p_tgfb_d,
            opg_source: a.p_opg_d,
            rankl_source: a.p_rankl_d,
            rankl_production: a.rankl_production,
            opg_production: a.opg_production,
            rankl_decoy: a.rankl_decoy,
        }
    }

    /// The mechanostat's factors `(on osteoblast commitment, on RANKL production)` at bone
    /// volume `bv` (%): with `x = BV / 100`, `x^-(1-w) g` and `x^(w g)`. Less bone carries more
    /// strain per unit, which raises osteoblast commitment and lowers the osteocytes' RANKL;
    /// more bone the reverse. Both are 1 at the reference.
    #[inline]
    fn mechanostat(&self, bv: f64) -> (f64, f64) {
        let ln_x = (bv / BV_REFERENCE).ln();
        (
            (-(1.0 - self.w_rankl) * self.g_mech * ln_x).exp(),
            (self.w_rankl * self.g_mech * ln_x).exp(),
        )
    }

    /// The signals at state `y` with attachment points `a` and the mechanostat's factor on
    /// RANKL production.
    fn signals(&self, y: &[f64; N], a: &Attachments) -> Signals {
        let mut ligands = Self::ligands(a);
        ligands.rankl_production *= self.mechanostat(y[BV]).1;
        signaling::signals(&self.sig, &ligands, y[OBP], y[OBA], y[OCA])
    }

    /// Formation and resorption relative to baseline: the bone balance driver. Remodelling-based
    /// formation is the delayed state; modelling-based formation (a share `phi_modeling` of
    /// baseline formation) keeps its baseline rate; resorption follows active osteoclasts
    /// directly.
    #[inline]
    fn relative_activity(&self, y: &[f64; N]) -> (f64, f64) {
        let formation = self.phi_modeling + (1.0 - self.phi_modeling) * y[FORMATION];
        (formation, y[OCA] / self.oca_ref)
    }

    /// BMD change (%) of a site from its volume change (%) and mineral content: BMD is
    /// proportional to bone volume times mineral content.
    #[inline]
    fn bmd_change(volume_change_pct: f64, mineral: f64, mineral_ref: f64) -> f64 {
        100.0 * ((1.0 + volume_change_pct / 100.0) * mineral / mineral_ref - 1.0)
    }
}

/// The states of the core, in vector order.
pub(crate) const STATES: [StateSpec; N] = [
    OBP_STATE,
    OBA_STATE,
    StateSpec {
        name: "OCp",
        unit: "pM",
        column: "OCp_pM",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "osteoclast precursors",
    },
    StateSpec {
        name: "OCa",
        unit: "pM",
        column: "OCa_pM",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "active osteoclasts",
    },
    StateSpec {
        name: "BV",
        unit: "%",
        column: "bone_volume_pct",
        kind: StateKind::Accumulator {
            reference: BV_REFERENCE,
        },
        domain: BV_DOMAIN,
        description: "whole-skeleton bone volume, % of baseline",
    },
    StateSpec {
        name: "V_LS",
        unit: "%",
        column: "bv_lumbar_spine_change_pct",
        kind: StateKind::Accumulator { reference: 0.0 },
        domain: V_CHANGE_DOMAIN,
        description: "lumbar spine bone volume, change from baseline in %",
    },
    StateSpec {
        name: "V_TH",
        unit: "%",
        column: "bv_total_hip_change_pct",
        kind: StateKind::Accumulator { reference: 0.0 },
        domain: V_CHANGE_DOMAIN,
        description: "total hip bone volume, change from baseline in %",
    },
    StateSpec {
        name: "m_LS",
        unit: "1",
        column: "mineral_lumbar_spine",
        kind: StateKind::Dynamic,
        domain: Domain::Range(0.0, 1.0),
        description: "mean mineral content of lumbar spine bone, relative to full mineralisation",
    },
    StateSpec {
        name: "m_TH",
        unit: "1",
        column: "mineral_total_hip",
        kind: StateKind::Dynamic,
        domain: Domain::Range(0.0, 1.0),
        description: "mean mineral content of total hip bone, relative to full mineralisation",
    },
    StateSpec {
        name: "F",
        unit: "1",
        column: "formation_rel",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "remodelling-based bone formation rate relative to baseline (follows active osteoblasts over the formation phase; P1NP adds the modelling-based share)",
    },
];
/// The core's read-outs.
pub(crate) const DERIVED: [DerivedSpec; 9] = [
    LIGAND_COLUMNS[0],
    LIGAND_COLUMNS[1],
    LIGAND_COLUMNS[2],
    LIGAND_COLUMNS[3],
    DerivedSpec {
        column: "ctx_change_pct",
        domain: CHANGE_DOMAIN,
        description: "serum CTX (resorption marker, proportional to OCa), change from baseline in %",
    },
    DerivedSpec {
        column: "p1np_change_pct",
        domain: CHANGE_DOMAIN,
        description: "serum P1NP (formation marker, proportional to bone formation), change from baseline in %",
    },
    DerivedSpec {
        column: "bmd_lumbar_spine_change_pct",
        domain: CHANGE_DOMAIN,
        description: "lumbar spine BMD (bone volume x mineral content), change from baseline in %",
    },
    DerivedSpec {
        column: "bmd_total_hip_change_pct",
        domain: CHANGE_DOMAIN,
        description: "total hip BMD (bone volume x mineral content), change from baseline in %",
    },
    DerivedSpec {
        column: "mineral_lumbar_spine_change_pct",
        domain: CHANGE_DOMAIN,
        description: "mean mineral content of lumbar spine bone (the degree of mineralisation that biopsies measure), change from baseline in %",
    },
];
/// The core's figures.
pub(crate) const PLOTS: [PlotSpec; 3] = [
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

/// The core model's static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "bone",
    title: "core model: Pivonka 2008 + osteoclast-precursor pool, bone volume, site BMD, CTX/P1NP, attachment points",
    params_file: (
        "params/models/bone.toml",
        include_str!("../../params/models/bone.toml"),
    ),
    states: &STATES,
    inputs: &INPUTS,
    params: &PARAMS_ARRAY,
    derived: &DERIVED,
    plots: &PLOTS,
    takes_drugs: false,
};

impl Bone {
    /// Builds the core from a validated parameter set, with `layout` (its own, or the layout
    /// of the model it is part of).
    pub fn from_params(p: &impl ParamValues, layout: Arc<Layout>) -> Self {
        let per_day = |name: &str| p.value(name) / DAYS_PER_YEAR;
        Bone {
            sig: signaling::signal_params(p),
            d_obu: p.value("osteoblast.D_OBu"),
            g_mech: p.value("mechanics.g_mech"),
            w_rankl: p.value("mechanics.w_RANKL"),
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
            primary_fraction: p.value("mineral.primary_fraction"),
            k_secondary: per_day("mineral.k_secondary"),
            k_formation: 1.0 / p.value("bone.tau_formation"),
            phi_modeling: p.value("bone.phi_modeling"),
            oba_ref: f64::NAN,
            oca_ref: f64::NAN,
            mineral_ref: [f64::NAN; 2],
            layout,
        }
    }

    /// Records the steady state `ss` of the core's states.
    pub(crate) fn set_core_reference(&mut self, ss: &[f64; N]) {
        self.oba_ref = ss[OBA];
        self.oca_ref = ss[OCA];
        self.mineral_ref = [ss[MIN_LS], ss[MIN_TH]];
    }

    /// The core's right-hand side with its attachment points `u`.
    #[inline]
    pub(crate) fn rates(&self, y: &[f64; N], u: &Attachments, dy: &mut [f64; N]) {
        let s = self.signals(y, u);
        // Osteoblast lineage (Pivonka 2008), with the mechanostat's share on commitment.
        let obp_to_oba = u.ob_differentiation * self.d_obp * s.pi_tgfb_rep_obp * y[OBP];
        let commitment = self.mechanostat(y[BV]).0;
        dy[OBP] = u.obu_supply * commitment * self.d_obu * s.pi_tgfb_act_obu - obp_to_oba;
        dy[OBA] = obp_to_oba - u.ob_apoptosis * self.a_oba * y[OBA];
        // Osteoclast lineage with an explicit precursor pool.
        let ocp_to_oca = u.oc_differentiation * self.k_ocp * s.pi_rankl_act_ocp * y[OCP];
        dy[OCP] = u.ocp_supply * self.d_ocu - ocp_to_oca - self.a_ocp * y[OCP];
        dy[OCA] = ocp_to_oca - u.oc_apoptosis * self.a_oca * s.pi_tgfb_act_oca * y[OCA];
        // Bone: formation minus resorption relative to baseline, scaled by each site's turnover;
        // a site may see extra local resorption.
        let (formation, resorption) = self.relative_activity(y);
        dy[BV] = self.turnover[0] * 100.0 * (formation - resorption);
        dy[V_LS] = self.turnover[1] * 100.0 * (formation - u.resorption_lumbar_spine * resorption);
        dy[V_TH] = self.turnover[2] * 100.0 * (formation - u.resorption_total_hip * resorption);
        // Mineral content m (1 = fully mineralised): new bone enters at the primary fraction and
        // all bone mineralises further towards 1; resorption removes bone of average content.
        // The rate of new bone per unit of bone is the site's turnover times relative formation.
        // Formation follows osteoblast activity over the formation phase; before the reference
        // is known (steady-state search) osteoblast activity is at its reference.
        let oba = y[OBA] / self.oba_ref;
        dy[FORMATION] = self.k_formation * (if oba.is_nan() { 1.0 } else { oba } - y[FORMATION]);
        for (site, (v, m)) in [(V_LS, MIN_LS), (V_TH, MIN_TH)].into_iter().enumerate() {
            let renewal = self.turnover[site + 1] * formation / (1.0 + y[v] / 100.0);
            dy[m] = renewal * (self.primary_fraction - y[m]) + self.k_secondary * (1.0 - y[m]);
        }
    }

    /// The core's steady-state guess.
    pub(crate) fn core_guess(&self) -> [f64; N] {
        let mut y = [1e-3; N];
        y[BV] = BV_REFERENCE;
        y[V_LS] = 0.0;
        y[V_TH] = 0.0;
        y[MIN_LS] = 0.9;
        y[MIN_TH] = 0.9;
        y[FORMATION] = 1.0;
        y
    }

    /// The core's read-outs with attachment points `u`, in [`DERIVED`] order.
    pub(crate) fn core_derived(&self, y: &[f64; N], u: &Attachments, out: &mut [f64]) {
        write_ligands(&self.signals(y, u), &mut out[..4]);
        let (formation, resorption) = self.relative_activity(y);
        out[4] = 100.0 * (resorption - 1.0);
        out[5] = 100.0 * (formation - 1.0);
        out[6] = Self::bmd_change(y[V_LS], y[MIN_LS], self.mineral_ref[0]);
        out[7] = Self::bmd_change(y[V_TH], y[MIN_TH], self.mineral_ref[1]);
        out[8] = Self::bmd_change(0.0, y[MIN_LS], self.mineral_ref[0]);
    }
}

impl Model for Bone {
    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn set_reference(&mut self, ss: &[f64]) {
        self.set_core_reference(fixed(ss));
    }

    fn rhs(&self, _t: f64, y: &[f64], u: &InputValues, dy: &mut [f64]) {
        self.rates(fixed(y), &Attachments::from_inputs(u), fixed_mut(dy));
    }

    fn derived(&self, y: &[f64], u: &InputValues, out: &mut [f64]) {
        self.core_derived(fixed(y), &Attachments::from_inputs(u), out);
    }

    fn steady_state_guess(&self) -> Vec<f64> {
        self.core_guess().to_vec()
    }
}

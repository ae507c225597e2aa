//! Lemaire et al. 2004 (J Theor Biol 229:293), exactly as BioModels BIOMD0000000278.
//!
//! States: responding osteoblasts R, active osteoblasts B, active osteoclasts C (pM).
//! External inputs I_P (PTH), I_O (OPG), I_L (RANKL) enter as in the SBML's assignment rules.

use super::{DerivedSpec, InputKind, InputSpec, InputValues, Layout, Model, ModelInfo};
use super::{Domain, StateKind, StateSpec, param};
use super::{ParamSpec, PlotSpec, fixed, fixed_mut};
use crate::params::ParamValues;
use std::sync::Arc;

/// State indices.
const R: usize = 0;
const B: usize = 1;
const C: usize = 2;

/// Input indices.
const I_P: usize = 0;
const I_O: usize = 1;
const I_L: usize = 2;

/// Plausible external sources (pM/day): up to 1e6, five times the largest in the bundled
/// scenarios (OPG 2e5 pM/day, Lemaire 2004 Fig. 6).
const EXTERNAL_SOURCE_RANGE: (f64, f64) = (0.0, 1e6);

/// The Lemaire 2004 model with its current inputs.
#[derive(Debug, Clone)]
pub struct Lemaire2004 {
    d_r: f64,
    k_b: f64,
    d_c: f64,
    d_a: f64,
    c_s: f64,
    r_l: f64,
    k_o_p: f64,
    k_p: f64,
    /// Groups of parameters the equations use, computed once when the model is built with the
    /// same operations in the same order as the equations (so every rate is unchanged to the
    /// last bit).
    folded: Folded,
    layout: Arc<Layout>,
}

/// Parameter groups of the SBML's assignment rules that do not depend on the state or inputs.
#[derive(Debug, Clone, Copy)]
struct Folded {
    /// f0 C_s, the numerator offset of pi_C (pM).
    f0_c_s: f64,
    /// f0 d_B, the osteoblast differentiation rate (1/day).
    d_b: f64,
    /// P_0 = S_P / k_P (pM).
    p_0: f64,
    /// P_s = k6 / k5 (pM).
    p_s: f64,
    /// k3 / k4 K_L^P, the gain of RANKL on RANK occupancy.
    l_gain: f64,
    /// 1 + k3 K / k4, the RANK term of pi_L's denominator.
    l_base: f64,
    /// k1 / (k2 k_O), the OPG term's factor in pi_L's denominator (1/pM).
    o_gain: f64,
}

impl Lemaire2004 {
    /// pi_C, the TGF-beta proxy: osteoclast-dependent, between f0 and 1 (SBML `Phi_C`).
    #[inline]
    fn pi_c(&self, c: f64) -> f64 {
        (c + self.folded.f0_c_s) / (c + self.c_s)
    }

    /// pi_P, PTH receptor occupancy (SBML `Phi_P`, with `Pbar`, `P_O`, `P_S`).
    #[inline]
    fn pi_p(&self, u: &InputValues) -> f64 {
        let p_bar = u[I_P] / self.k_p;
        (p_bar + self.folded.p_0) / (p_bar + self.folded.p_s)
    }

    /// pi_L, RANKL-RANK occupancy term (SBML `Phi_L`).
    #[inline]
    fn pi_l(&self, r: f64, b: f64, pi_p: f64, u: &InputValues) -> f64 {
        let numerator = self.folded.l_gain * pi_p * b;
        let opg = u[I_O] + self.k_o_p * r / pi_p;
        let denominator = self.folded.l_base + self.folded.o_gain * opg;
        numerator / denominator * (1.0 + u[I_L] / self.r_l)
    }
}

const STATES: [StateSpec; 3] = [
    StateSpec {
        name: "R",
        unit: "pM",
        column: "R_pM",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "responding (precursor) osteoblasts",
    },
    StateSpec {
        name: "B",
        unit: "pM",
        column: "B_pM",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "active osteoblasts",
    },
    StateSpec {
        name: "C",
        unit: "pM",
        column: "C_pM",
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description: "active osteoclasts",
    },
];
const INPUTS: &[InputSpec] = &[
    InputSpec {
        name: "I_P",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: EXTERNAL_SOURCE_RANGE,
        description: "external PTH input",
    },
    InputSpec {
        name: "I_O",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: EXTERNAL_SOURCE_RANGE,
        description: "external OPG input",
    },
    InputSpec {
        name: "I_L",
        unit: "pM/day",
        kind: InputKind::Additive,
        range: EXTERNAL_SOURCE_RANGE,
        description: "external RANKL input",
    },
];
const PARAMS: &[ParamSpec] = &[
    param("osteoblast.D_R", "pM/day"),
    param("osteoblast.d_B", "1/day"),
    param("osteoblast.k_B", "1/day"),
    param("osteoclast.D_C", "pM/day"),
    param("osteoclast.D_A", "1/day"),
    param("tgfb.f0", "1"),
    param("tgfb.C_s", "pM"),
    param("rankl.K_L_P", "pM/pM"),
    param("rankl.r_L", "pM/day"),
    param("rankl.k3", "1/(pM day)"),
    param("rankl.k4", "1/day"),
    param("rankl.K", "pM"),
    param("opg.k1", "1/(pM day)"),
    param("opg.k2", "1/day"),
    param("opg.kO", "1/day"),
    param("opg.K_O_P", "1/day"),
    param("pth.k5", "1/(pM day)"),
    param("pth.k6", "1/day"),
    param("pth.k_P", "1/day"),
    param("pth.S_P", "pM/day"),
];
const DERIVED: &[DerivedSpec] = &[];
const PLOTS: &[PlotSpec] = &[PlotSpec {
    file_stem: "cells",
    title: "Bone cell populations (Lemaire 2004)",
    y_label: "concentration (pM)",
    series: &[
        ("R_pM", "R responding osteoblasts", 0.0),
        ("B_pM", "B active osteoblasts", 0.0),
        ("C_pM", "C active osteoclasts", 0.0),
    ],
}];

/// The model's static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "lemaire2004",
    title: "Lemaire et al. 2004 (J Theor Biol 229:293), R/B/C, exactly as BioModels BIOMD0000000278",
    params_file: (
        "params/models/lemaire2004.toml",
        include_str!("../../params/models/lemaire2004.toml"),
    ),
    states: &STATES,
    inputs: INPUTS,
    params: PARAMS,
    derived: DERIVED,
    plots: PLOTS,
    takes_drugs: false,
};

impl Lemaire2004 {
    /// Builds the model from a validated parameter set.
    pub fn from_params(p: &impl ParamValues, layout: Arc<Layout>) -> Self {
        let v = |name: &str| p.value(name);
        let (f0, k3, k4) = (v("tgfb.f0"), v("rankl.k3"), v("rankl.k4"));
        let k_p = v("pth.k_P");
        let c_s = v("tgfb.C_s");
        Lemaire2004 {
            d_r: v("osteoblast.D_R"),
            k_b: v("osteoblast.k_B"),
            d_c: v("osteoclast.D_C"),
            d_a: v("osteoclast.D_A"),
            c_s,
            r_l: v("rankl.r_L"),
            k_o_p: v("opg.K_O_P"),
            k_p,
            folded: Folded {
                f0_c_s: f0 * c_s,
                d_b: f0 * v("osteoblast.d_B"),
                p_0: v("pth.S_P") / k_p,
                p_s: v("pth.k6") / v("pth.k5"),
                l_gain: k3 / k4 * v("rankl.K_L_P"),
                l_base: 1.0 + k3 * v("rankl.K") / k4,
                o_gain: v("opg.k1") / (v("opg.k2") * v("opg.kO")),
            },
            layout,
        }
    }
}

impl Model for Lemaire2004 {
    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn set_reference(&mut self, _steady_state: &[f64]) {}

    fn derived(&self, _y: &[f64], _u: &InputValues, _out: &mut [f64]) {}

    fn steady_state_guess(&self) -> Vec<f64> {
        self.layout.guess(1e-3)
    }

    fn rhs(&self, _t: f64, y: &[f64], u: &InputValues, dy: &mut [f64]) {
        let (y, dy) = (fixed::<3>(y), fixed_mut::<3>(dy));
        let (r, b, c) = (y[R], y[B], y[C]);
        let pi_c = self.pi_c(c);
        let pi_p = self.pi_p(u);
        let pi_l = self.pi_l(r, b, pi_p, u);
        let d_b = self.folded.d_b;
        dy[R] = self.d_r * pi_c - d_b / pi_c * r;
        dy[B] = d_b / pi_c * r - self.k_b * b;
        dy[C] = self.d_c * pi_l - self.d_a * pi_c * c;
    }
}

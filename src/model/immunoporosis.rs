//! The immunoporosis model: the core model (`bone`) with the immune module attached, and the
//! drugs a run doses.
//!
//! The immune module acts on the core only through its attachment points, by name
//! ([`Attachments`]): it multiplies the core's factor inputs and adds lymphocyte RANKL to the
//! RANKL source. At the healthy baseline every factor is exactly 1 and the source 0, so the
//! core's steady state is unchanged. Each dosed drug ([`Dosed`]) acts where its registry
//! declaration says, on the immune module's drives or on the core's attachment points.
//!
//! Rheumatoid-arthritis disease activity is a state that blocking an RA drug class's target (by a
//! dosed drug or a handle) lowers by the class's clinical response, and the hip's disuse follows
//! it and adapts to the bone it has lost (`model::disease`).
//!
//! State layout: the core, seven immune cell states, the PTH survival programme, the disease
//! activity and the hip's disuse loss, then the compartments of the dosed drugs in registry
//! order (`model::Layout::new`).

use super::bone::{self, Attachments, Bone};
use super::disease::{DISEASE_PARAMS, DiseaseParams};
use super::drugs::{Dosed, PTH_SURVIVAL, PthSurvival};
use super::immune::{
    self, Cells, Drives, Factors, HANDLES, IMMUNE_PARAMS, Immune, ImmuneParams, N_HANDLES,
    N_IMMUNE_PARAMS,
};
use super::{DerivedSpec, InputKind, InputSpec, InputValues, Layout, Model, ModelInfo};
use super::{Domain, ParamSpec, PlotSpec, StateKind, StateSpec, fixed, fixed_mut};
use crate::params::ParamValues;
use std::sync::Arc;

const CORE: usize = bone::N;

const TH1: usize = CORE;
const TH2: usize = CORE + 1;
const TH17: usize = CORE + 2;
const TREG: usize = CORE + 3;
const CD8TREG: usize = CORE + 4;
const BCELL: usize = CORE + 5;
const MACRO: usize = CORE + 6;
/// PTH-induced osteoblast survival programme.
const PTHG: usize = CORE + 7;

/// Rheumatoid-arthritis disease activity (the untreated input lowered by the drugs).
const DIS: usize = CORE + 8;
/// Hip bone lost to disuse in active disease (%).
const HIPL: usize = CORE + 9;

/// Number of the model's own states: the core, 7 immune cell states, the PTH survival
/// programme, disease activity and the hip's disuse loss (the dosed drugs' compartments follow).
pub const N: usize = HIPL + 1;

/// Smallest Treg level used in the Th17/Treg ratio.
const TREG_FLOOR: f64 = 1e-9;

/// Module input indices (after the core's).
const ESTROGEN: usize = bone::N_INPUTS;
const DISEASE: usize = bone::N_INPUTS + 1;
const GLUCOCORTICOID: usize = bone::N_INPUTS + 2;
const AGING: usize = bone::N_INPUTS + 3;
/// The first handle's input (`immune::HANDLES` in order follow).
const FIRST_HANDLE: usize = bone::N_INPUTS + 4;

const fn input(
    name: &'static str,
    unit: &'static str,
    kind: InputKind,
    range: (f64, f64),
    description: &'static str,
) -> InputSpec {
    InputSpec {
        name,
        unit,
        kind,
        range,
        description,
    }
}

/// Plausible factors on a cytokine or pathway: 0 (blocked) to 10 times healthy.
const FACTOR_RANGE: (f64, f64) = (0.0, 10.0);

const DRIVE_INPUTS: [InputSpec; 4] = [
    input(
        "estrogen",
        "1",
        InputKind::Multiplier,
        (0.0, 10.0),
        "serum estrogen relative to premenopausal (1)",
    ),
    input(
        "disease_activity",
        "1",
        InputKind::Additive,
        (0.0, 2.0),
        "inflammatory disease activity (0 none, 1 active untreated rheumatoid arthritis)",
    ),
    input(
        "glucocorticoid",
        "mg/day",
        InputKind::Additive,
        (0.0, 1000.0),
        "glucocorticoid dose, prednisolone-equivalent",
    ),
    input(
        "aging_years",
        "year",
        InputKind::Additive,
        (0.0, 60.0),
        "years of aging beyond the reference adult",
    ),
];

/// One input per handle, `<element>_factor` (`immune::HANDLES`).
const HANDLE_INPUTS: [InputSpec; N_HANDLES] = {
    let mut out = [DRIVE_INPUTS[0]; N_HANDLES];
    let mut i = 0;
    while i < N_HANDLES {
        out[i] = input(
            HANDLES[i].input,
            "1",
            InputKind::Multiplier,
            FACTOR_RANGE,
            HANDLES[i].meaning,
        );
        i += 1;
    }
    out
};

const N_MODULE_INPUTS: usize = 4 + N_HANDLES;
const MODULE_INPUTS: [InputSpec; N_MODULE_INPUTS] =
    super::concat::<InputSpec, 4, N_HANDLES, N_MODULE_INPUTS>(DRIVE_INPUTS, HANDLE_INPUTS);

const N_INPUTS: usize = bone::N_INPUTS + MODULE_INPUTS.len();
const INPUTS: [InputSpec; N_INPUTS] =
    super::concat::<InputSpec, { bone::N_INPUTS }, { MODULE_INPUTS.len() }, N_INPUTS>(
        bone::INPUTS,
        MODULE_INPUTS,
    );
const _: () = assert!(N_INPUTS <= super::MAX_INPUTS, "raise model::MAX_INPUTS");

const N_CORE_IMMUNE: usize = bone::PARAMS_ARRAY.len() + N_IMMUNE_PARAMS;
const CORE_IMMUNE: [ParamSpec; N_CORE_IMMUNE] =
    super::concat::<ParamSpec, { bone::PARAMS_ARRAY.len() }, N_IMMUNE_PARAMS, N_CORE_IMMUNE>(
        bone::PARAMS_ARRAY,
        IMMUNE_PARAMS,
    );

const N_WITH_PTH: usize = N_CORE_IMMUNE + PTH_SURVIVAL.len();
const WITH_PTH: [ParamSpec; N_WITH_PTH] =
    super::concat::<ParamSpec, N_CORE_IMMUNE, 4, N_WITH_PTH>(CORE_IMMUNE, PTH_SURVIVAL);

/// The model's own parameters: the core's, the immune module's, the PTH survival programme's
/// and disease activity's (each drug's come from the registry).
const N_PARAMS: usize = N_WITH_PTH + DISEASE_PARAMS.len();
const PARAMS: [ParamSpec; N_PARAMS] =
    super::concat::<ParamSpec, N_WITH_PTH, 9, N_PARAMS>(WITH_PTH, DISEASE_PARAMS);

const fn immune_state(
    name: &'static str,
    column: &'static str,
    description: &'static str,
) -> StateSpec {
    StateSpec {
        name,
        unit: "1",
        column,
        kind: StateKind::Dynamic,
        domain: Domain::NonNegative,
        description,
    }
}

/// A read-out that is a level (relative to healthy, or a concentration): never negative.
const fn rel(column: &'static str, description: &'static str) -> DerivedSpec {
    DerivedSpec {
        column,
        domain: Domain::NonNegative,
        description,
    }
}

const STATES: [StateSpec; N] = super::flatten(&[
    &bone::STATES,
    &[
        immune_state("Th1", "Th1_rel", "Th1 cells relative to healthy"),
        immune_state("Th2", "Th2_rel", "Th2 cells relative to healthy"),
        immune_state("Th17", "Th17_rel", "Th17 cells relative to healthy"),
        immune_state(
            "Treg",
            "Treg_rel",
            "CD4+ FoxP3+ regulatory T cells relative to healthy",
        ),
        immune_state(
            "CD8Treg",
            "CD8Treg_rel",
            "CD8+ FoxP3+ regulatory T cells relative to healthy",
        ),
        immune_state("B", "B_rel", "marrow B cells relative to healthy"),
        immune_state(
            "M",
            "macrophage_rel",
            "activated monocytes/macrophages relative to healthy",
        ),
        StateSpec {
            name: "G_PTH",
            unit: "1",
            column: "pth_survival_programme",
            kind: StateKind::Dynamic,
            domain: Domain::Range(0.0, 1.0),
            description: "PTH-induced osteoblast survival programme (fraction of maximal)",
        },
        StateSpec {
            name: "D",
            unit: "1",
            column: "disease_activity_state",
            kind: StateKind::Accumulator { reference: 0.0 },
            domain: Domain::NonNegative,
            description: "rheumatoid-arthritis disease activity under treatment (1 = active untreated, about DAS28 6.5)",
        },
        StateSpec {
            name: "L_hip",
            unit: "%",
            column: "hip_disuse_loss",
            kind: StateKind::Accumulator { reference: 0.0 },
            domain: Domain::Range(-100.0, 100.0),
            description: "hip bone volume lost to disuse in active disease, in % of the hip's bone (not re-expressed after a run-in: the loss since disease onset)",
        },
    ],
]);

const N_MODULE_DERIVED: usize = 21;
const N_DERIVED: usize = bone::DERIVED.len() + N_MODULE_DERIVED;
const DERIVED: [DerivedSpec; N_DERIVED] = super::flatten(&[
    &bone::DERIVED,
    &[
        rel("TNF_rel", "TNF-alpha relative to healthy"),
        rel("IL1_rel", "IL-1 relative to healthy"),
        rel("IL3_rel", "IL-3 relative to healthy"),
        rel("IL4_rel", "IL-4 relative to healthy"),
        rel("IL6_rel", "IL-6 relative to healthy"),
        rel("sIL6R_rel", "soluble IL-6 receptor relative to healthy"),
        rel("IL7_rel", "IL-7 relative to healthy"),
        rel("IL10_rel", "IL-10 relative to healthy"),
        rel("IL17_rel", "IL-17 relative to healthy"),
        rel("IFNg_rel", "IFN-gamma relative to healthy"),
        rel("OSM_rel", "oncostatin M relative to healthy"),
        rel(
            "TGFb_rel",
            "marrow TGF-beta (bone- and Treg-derived) relative to healthy",
        ),
        rel("STAT3_rel", "STAT3 activation relative to healthy"),
        rel("STAT5_rel", "STAT5 activation relative to healthy"),
        rel("Th17_Treg_ratio_rel", "Th17/Treg ratio relative to healthy"),
        rel(
            "estrogen_rel",
            "serum estrogen relative to premenopausal (endogenous plus hormone therapy)",
        ),
        rel("DKK1_rel", "DKK1 relative to healthy"),
        rel("sclerostin_rel", "sclerostin activity relative to healthy"),
        rel("Wnt10b_rel", "Wnt10b relative to healthy"),
        rel(
            "wnt_signalling_rel",
            "osteoblastic Wnt/beta-catenin signalling relative to healthy",
        ),
        rel(
            "pth_survival_rel",
            "PTH-induced osteoblast survival programme relative to healthy",
        ),
    ],
]);

/// The figures of a run.
const PLOTS: [PlotSpec; 6] = [
    bone::PLOTS[0],
    bone::PLOTS[1],
    bone::PLOTS[2],
    PlotSpec {
        file_stem: "immune",
        title: "Immune cells",
        y_label: "cell number (fold of healthy)",
        series: &[
            ("Th1_rel", "Th1", 0.0),
            ("Th2_rel", "Th2", 0.0),
            ("Th17_rel", "Th17", 0.0),
            ("Treg_rel", "Treg", 0.0),
            ("CD8Treg_rel", "CD8+ Treg", 0.0),
            ("B_rel", "B cells", 0.0),
            ("macrophage_rel", "macrophages", 0.0),
        ],
    },
    PlotSpec {
        file_stem: "cytokines",
        title: "Cytokines",
        y_label: "concentration (fold of healthy)",
        series: &[
            ("TNF_rel", "TNF-alpha", 0.0),
            ("IL1_rel", "IL-1", 0.0),
            ("IL6_rel", "IL-6", 0.0),
            ("IL17_rel", "IL-17", 0.0),
            ("IFNg_rel", "IFN-gamma", 0.0),
            ("IL10_rel", "IL-10", 0.0),
        ],
    },
    PlotSpec {
        file_stem: "signalling",
        title: "Estrogen, Wnt and JAK/STAT",
        y_label: "level (fold of healthy)",
        series: &[
            ("estrogen_rel", "estrogen", 0.0),
            ("sclerostin_rel", "sclerostin", 0.0),
            ("DKK1_rel", "DKK1", 0.0),
            ("wnt_signalling_rel", "Wnt signalling", 0.0),
            ("STAT3_rel", "STAT3", 0.0),
            ("STAT5_rel", "STAT5", 0.0),
        ],
    },
];

/// The model's static description.
pub static INFO: ModelInfo = ModelInfo {
    name: "immunoporosis",
    title: "core model + immune module: Th1/Th2/Th17/Treg, B cells, macrophages, cytokines, JAK/STAT, Wnt, estrogen",
    params_file: (
        "params/models/immunoporosis.toml",
        include_str!("../../params/models/immunoporosis.toml"),
    ),
    states: &STATES,
    inputs: &INPUTS,
    params: &PARAMS,
    derived: &DERIVED,
    plots: &PLOTS,
    takes_drugs: true,
};

/// The core model with the immune module and the dosed drugs.
#[derive(Debug, Clone)]
pub struct Immunoporosis {
    bone: Bone,
    immune: ImmuneParams,
    /// The dosed drugs, in layout order.
    drugs: Vec<Dosed>,
    pth_survival: PthSurvival,
    disease: DiseaseParams,
    beta_rankl: f64,
    /// PTH clearance (1/day): turns a drug concentration into an equivalent PTH source.
    d_pth: f64,
    /// Core TGF-beta at the steady state (pM), the reference for bone-derived TGF-beta.
    tgfb_ref: f64,
    /// Active osteoclasts at the steady state (pM), the reference of the CD8+ Treg induction.
    oca_ref: f64,
    layout: Arc<Layout>,
}

/// What the coupling computes at one instant.
struct Coupled {
    immune: Immune,
    /// The core's attachment points with the module and the drugs applied.
    core: Attachments,
    /// PTH (pM), which drives the osteoblast survival programme.
    pth: f64,
    /// Untreated disease activity times the drugs' factors: where `D` is heading.
    disease_target: f64,
    /// Factor on the hip's resorption from its disuse.
    hip_disuse: f64,
}

impl Immunoporosis {
    /// Builds the model from a validated parameter set; `layout` names the dosed drugs and where
    /// their compartments start.
    pub fn from_params(p: &impl ParamValues, layout: Arc<Layout>) -> Self {
        Immunoporosis {
            bone: Bone::from_params(p, layout.clone()),
            immune: ImmuneParams::from_params(p),
            drugs: layout
                .drugs
                .iter()
                .map(|&(id, first)| Dosed::new(id, first, p))
                .collect(),
            pth_survival: PthSurvival::from_params(p),
            disease: DiseaseParams::from_params(p),
            beta_rankl: p.value("rankl.beta_RANKL"),
            d_pth: p.value("pth.D_PTH"),
            tgfb_ref: f64::NAN,
            oca_ref: f64::NAN,
            layout,
        }
    }

    fn cells(y: &[f64; N]) -> Cells {
        Cells {
            th1: y[TH1],
            th2: y[TH2],
            th17: y[TH17],
            treg: y[TREG],
            cd8treg: y[CD8TREG],
            b: y[BCELL],
            m: y[MACRO],
        }
    }

    fn drives(u: &InputValues) -> Drives {
        let mut factors = Factors::NEUTRAL;
        factors
            .0
            .copy_from_slice(&u[FIRST_HANDLE..FIRST_HANDLE + N_HANDLES]);
        Drives {
            estrogen: u[ESTROGEN],
            disease_activity: u[DISEASE],
            glucocorticoid: u[GLUCOCORTICOID],
            aging_years: u[AGING],
            factors,
            ctla4: 0.0,
        }
    }

    /// The immune module, the drugs, and the core's attachment points they produce.
    fn couple(&self, y: &[f64], u: &InputValues) -> Coupled {
        let own = fixed::<N>(y);
        let core = fixed::<CORE>(y);
        let scenario = Attachments::from_inputs(u);
        // Before the reference is known (during the steady-state search) bone-derived TGF-beta is
        // at its reference level by definition of the reference.
        let (tgfb_bone, oc_rel) = if self.tgfb_ref.is_nan() {
            (1.0, 1.0)
        } else {
            (
                self.bone.tgfb(core, &scenario) / self.tgfb_ref,
                core[bone::OCA] / self.oca_ref,
            )
        };
        let mut drives = Self::drives(u);
        for drug in &self.drugs {
            drug.act_on_drives(drug.amounts(y), &mut drives);
        }
        let im = immune::evaluate(&self.immune, &Self::cells(own), &drives, tgfb_bone, oc_rel);
        let mut attached = scenario.combined(&im.core);
        attached.p_rankl_d += self.beta_rankl * im.lymph_rankl;
        for drug in &self.drugs {
            drug.act_on_core(drug.amounts(y), &mut attached, self.d_pth);
        }
        // PTH's anabolic signal: the osteoblast survival programme (`drugs::PthSurvival`).
        let pth = self.bone.pth(&attached);
        attached.ob_apoptosis *= self.pth_survival.ob_apoptosis_factor(own[PTHG]);
        let hip_disuse = self.disease.hip_resorption_factor(own[DIS], own[HIPL]);
        attached.resorption_total_hip *= hip_disuse;
        let disease_target = self.disease.target(&drives);
        Coupled {
            immune: im,
            core: attached,
            pth,
            disease_target,
            hip_disuse,
        }
    }
}

impl Model for Immunoporosis {
    fn layout(&self) -> &Layout {
        &self.layout
    }

    fn set_reference(&mut self, ss: &[f64]) {
        let core = fixed::<CORE>(ss);
        self.bone.set_core_reference(core);
        self.tgfb_ref = self.bone.tgfb(core, &Attachments::NEUTRAL);
        self.oca_ref = core[bone::OCA];
        self.pth_survival.g_ref = ss[PTHG];
    }

    fn rhs(&self, _t: f64, y: &[f64], u: &InputValues, dy: &mut [f64]) {
        let c = self.couple(y, u);
        let core = fixed::<CORE>(y);
        self.bone.rates(core, &c.core, fixed_mut::<CORE>(dy));
        let d = &c.immune.d_cells;
        dy[TH1] = d.th1;
        dy[TH2] = d.th2;
        dy[TH17] = d.th17;
        dy[TREG] = d.treg;
        dy[CD8TREG] = d.cd8treg;
        dy[BCELL] = d.b;
        dy[MACRO] = d.m;
        dy[PTHG] = self.pth_survival.rate(c.pth, y[PTHG]);
        dy[DIS] = self.disease.activity_rate(c.disease_target, y[DIS]);
        // The disuse part of the hip's resorption is bone lost to disuse.
        dy[HIPL] = (c.hip_disuse - 1.0) * self.bone.hip_resorption(core);
        let release = self.bone.skeletal_resorption(core);
        for drug in &self.drugs {
            let states = drug.first..drug.first + drug.len;
            drug.rates(&y[states.clone()], release, &mut dy[states]);
        }
    }

    fn derived(&self, y: &[f64], u: &InputValues, out: &mut [f64]) {
        let c = self.couple(y, u);
        let im = &c.immune;
        let n_bone = bone::DERIVED.len();
        self.bone
            .core_derived(fixed::<CORE>(y), &c.core, &mut out[..n_bone]);
        let module = [
            im.tnf,
            im.il1,
            im.il3,
            im.il4,
            im.il6,
            im.sil6r,
            im.il7,
            im.il10,
            im.il17,
            im.ifng,
            im.osm,
            im.tgfb,
            im.stat3,
            im.stat5,
            // A knocked-out Treg population decays towards 0: the ratio stays finite.
            y[TH17] / y[TREG].max(TREG_FLOOR),
            im.estrogen,
            im.dkk1,
            im.sclerostin,
            im.wnt10b,
            im.wnt,
            y[PTHG] / self.pth_survival.g_ref,
        ];
        out[n_bone..n_bone + N_MODULE_DERIVED].copy_from_slice(&module);
        let mut k = n_bone + N_MODULE_DERIVED;
        for drug in &self.drugs {
            let (ng_per_ml, to_pm) = drug.concentration(drug.amounts(y));
            out[k] = ng_per_ml;
            out[k + 1] = ng_per_ml * to_pm;
            k += 2;
        }
    }

    fn steady_state_guess(&self) -> Vec<f64> {
        let mut y = self.layout.guess(1.0);
        y[..CORE].copy_from_slice(&self.bone.core_guess());
        y[PTHG] = 1e-3;
        y[DIS] = 0.0;
        y[HIPL] = 0.0;
        y
    }
}

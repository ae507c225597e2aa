//! The immunoporosis model: the core model (`bone`) with the immune module attached.
//!
//! The immune module acts on the core only through its attachment points: it multiplies the
//! core's factor inputs and adds lymphocyte RANKL to the RANKL source. At the healthy baseline
//! every factor is exactly 1 and the source 0, so the core's steady state is unchanged.

use super::bone::{self, Bone};
use super::drugs::{self, Bisphosphonate, Denosumab, OneCompartment, PthSurvival};
use super::immune::{self, Cells, Drives, IMMUNE_PARAMS, Immune, ImmuneParams, N_IMMUNE_PARAMS};
use super::{
    DerivedSpec, DoseRoute, InputKind, InputSpec, InputValues, Model, ParamSpec, PlotSpec,
};
use super::{Domain, StateKind, StateSpec, neutral_inputs};
use crate::params::ParamSet;
use nalgebra::SVector;

const CORE: usize = bone::N;

const TH1: usize = CORE;
const TH2: usize = CORE + 1;
const TH17: usize = CORE + 2;
const TREG: usize = CORE + 3;
const BCELL: usize = CORE + 4;
const MACRO: usize = CORE + 5;
/// PTH-induced osteoblast survival programme.
const PTHG: usize = CORE + 6;
/// Drug compartments: depot (SC or oral) then central, for each drug in turn; the
/// bisphosphonates also have a bone-bound pool.
const DEN: usize = CORE + 7;
const ADA: usize = DEN + 2;
const IFX: usize = ADA + 2;
const SEC: usize = IFX + 2;
const TCZ: usize = SEC + 2;
const ROMO: usize = TCZ + 2;
const TOFA: usize = ROMO + 2;
const BARI: usize = TOFA + 2;
const ABA: usize = BARI + 2;
const IL2: usize = ABA + 2;
const TERI: usize = IL2 + 2;
const E2: usize = TERI + 2;
/// Alendronate: gut, central, bone.
const ALN: usize = E2 + 2;
/// Zoledronate: central, bone.
const ZOL: usize = ALN + 3;

/// Number of states: the core, 6 immune cell states, the PTH survival programme, 29 drug
/// compartments.
pub const N: usize = ZOL + 2;

/// Core input indices used here.
const P_PTH: usize = 0;
const P_RANKL: usize = 3;
const FIRST_FACTOR: usize = 4;
const OC_APOPTOSIS: usize = 8;
const OB_APOPTOSIS: usize = 10;
const RANKL_DECOY: usize = 14;

/// Module input indices (after the core's).
const ESTROGEN: usize = bone::N_INPUTS;
const DISEASE: usize = bone::N_INPUTS + 1;
const GLUCOCORTICOID: usize = bone::N_INPUTS + 2;
const AGING: usize = bone::N_INPUTS + 3;
const F_TNF: usize = bone::N_INPUTS + 4;
const F_IL1: usize = bone::N_INPUTS + 5;
const F_IL6: usize = bone::N_INPUTS + 6;
const F_IL17: usize = bone::N_INPUTS + 7;
const F_IFNG: usize = bone::N_INPUTS + 8;
const F_JAK: usize = bone::N_INPUTS + 9;
const F_TREG: usize = bone::N_INPUTS + 10;

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

const MODULE_INPUTS: [InputSpec; 11] = [
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
    input(
        "TNF_factor",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on TNF-alpha (anti-TNF acts here)",
    ),
    input(
        "IL1_factor",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on IL-1",
    ),
    input(
        "IL6_factor",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on IL-6 (anti-IL-6R acts here)",
    ),
    input(
        "IL17_factor",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on IL-17 (anti-IL-17A acts here)",
    ),
    input(
        "IFNg_factor",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on IFN-gamma",
    ),
    input(
        "jak_stat_factor",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on JAK/STAT signalling (JAK inhibitors act here)",
    ),
    input(
        "treg_drive",
        "1",
        InputKind::Multiplier,
        FACTOR_RANGE,
        "factor on the Treg polarisation drive (low-dose IL-2 acts here)",
    ),
];

const N_INPUTS: usize = bone::N_INPUTS + MODULE_INPUTS.len();
const INPUTS: [InputSpec; N_INPUTS] =
    super::concat::<InputSpec, { bone::N_INPUTS }, { MODULE_INPUTS.len() }, N_INPUTS>(
        bone::INPUTS,
        MODULE_INPUTS,
    );

const N_CORE_IMMUNE: usize = bone::PARAMS_ARRAY.len() + N_IMMUNE_PARAMS;
const CORE_IMMUNE: [ParamSpec; N_CORE_IMMUNE] =
    super::concat::<ParamSpec, { bone::PARAMS_ARRAY.len() }, N_IMMUNE_PARAMS, N_CORE_IMMUNE>(
        bone::PARAMS_ARRAY,
        IMMUNE_PARAMS,
    );

/// The PTH survival programme's parameters and every drug's (`params/drugs/*.toml`).
const N_DRUG_PARAMS: usize = 102;
const DRUG_PARAMS: [ParamSpec; N_DRUG_PARAMS] = super::flatten(&[
    &drugs::PTH_SURVIVAL,
    &drugs::DENOSUMAB,
    &drugs::ADALIMUMAB,
    &drugs::INFLIXIMAB,
    &drugs::SECUKINUMAB,
    &drugs::TOCILIZUMAB,
    &drugs::ROMOSOZUMAB,
    &drugs::TOFACITINIB,
    &drugs::BARICITINIB,
    &drugs::ABATACEPT,
    &drugs::ALDESLEUKIN,
    &drugs::TERIPARATIDE,
    &drugs::ESTRADIOL,
    &drugs::ALENDRONATE,
    &drugs::ZOLEDRONATE,
]);
const N_PARAMS: usize = N_CORE_IMMUNE + N_DRUG_PARAMS;
const PARAMS: [ParamSpec; N_PARAMS] =
    super::concat::<ParamSpec, N_CORE_IMMUNE, N_DRUG_PARAMS, N_PARAMS>(CORE_IMMUNE, DRUG_PARAMS);

/// The drugs' pharmacokinetics and effect parameters.
#[derive(Debug, Clone, Copy)]
struct Drugs {
    den: Denosumab,
    ada: OneCompartment,
    ifx: OneCompartment,
    sec: OneCompartment,
    tcz: OneCompartment,
    romo: OneCompartment,
    tofa: OneCompartment,
    bari: OneCompartment,
    aba: OneCompartment,
    il2: OneCompartment,
    teri: OneCompartment,
    e2: OneCompartment,
    aln: Bisphosphonate,
    zol: Bisphosphonate,
}

impl Drugs {
    fn from_params(p: &ParamSet) -> Self {
        let one = |drug: &str, c50: &str, max: &str| OneCompartment::from_params(p, drug, c50, max);
        Drugs {
            den: Denosumab::from_params(p),
            ada: one("adalimumab", "IC50", "Imax"),
            ifx: one("infliximab", "IC50", "Imax"),
            sec: one("secukinumab", "IC50", "Imax"),
            tcz: one("tocilizumab", "IC50", "Imax"),
            romo: one("romosozumab", "IC50", "Imax"),
            tofa: one("tofacitinib", "IC50", "Imax"),
            bari: one("baricitinib", "IC50", "Imax"),
            aba: one("abatacept", "IC50", "Emax"),
            il2: one("aldesleukin", "EC50", "Emax"),
            teri: one("teriparatide", "", ""),
            e2: one("estradiol", "C_premenopausal", ""),
            aln: Bisphosphonate::from_params(p, "alendronate", true),
            zol: Bisphosphonate::from_params(p, "zoledronate", false),
        }
    }

    /// The one-compartment drugs with the index of their depot state, in column order.
    fn one_compartment(&self) -> [(&OneCompartment, usize); 11] {
        [
            (&self.ada, ADA),
            (&self.ifx, IFX),
            (&self.sec, SEC),
            (&self.tcz, TCZ),
            (&self.romo, ROMO),
            (&self.tofa, TOFA),
            (&self.bari, BARI),
            (&self.aba, ABA),
            (&self.il2, IL2),
            (&self.teri, TERI),
            (&self.e2, E2),
        ]
    }
}

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

const fn drug_state(
    name: &'static str,
    column: &'static str,
    description: &'static str,
) -> StateSpec {
    StateSpec {
        name,
        unit: "mg",
        column,
        kind: StateKind::Accumulator { reference: 0.0 },
        domain: Domain::NonNegative,
        description,
    }
}

/// Depot and central compartments of a drug: states `<Abbrev>_depot`, `<Abbrev>_central`,
/// columns `<drug>_depot_mg`, `<drug>_central_mg`.
macro_rules! drug_states {
    ($abbrev:literal, $drug:literal, $depot:literal) => {
        [
            drug_state(
                concat!($abbrev, "_depot"),
                concat!($drug, "_depot_mg"),
                concat!($drug, " in the ", $depot),
            ),
            drug_state(
                concat!($abbrev, "_central"),
                concat!($drug, "_central_mg"),
                concat!($drug, " in the central compartment"),
            ),
        ]
    };
}

/// A read-out that is a level (relative to healthy, or a concentration): never negative.
const fn rel(column: &'static str, description: &'static str) -> DerivedSpec {
    DerivedSpec {
        column,
        domain: Domain::NonNegative,
        description,
    }
}

/// Serum concentration columns of a drug, `<drug>_ng_per_mL` and `<drug>_pM`.
macro_rules! concentration_columns {
    ($drug:literal) => {
        [
            rel(
                concat!($drug, "_ng_per_mL"),
                concat!("serum ", $drug, " (ng/mL)"),
            ),
            rel(concat!($drug, "_pM"), concat!("serum ", $drug, " (pM)")),
        ]
    };
}

const STATES: [StateSpec; N] = super::flatten(&[
    &Bone::STATES,
    &[
        immune_state("Th1", "Th1_rel", "Th1 cells relative to healthy"),
        immune_state("Th2", "Th2_rel", "Th2 cells relative to healthy"),
        immune_state("Th17", "Th17_rel", "Th17 cells relative to healthy"),
        immune_state("Treg", "Treg_rel", "regulatory T cells relative to healthy"),
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
    ],
    &drug_states!("Den", "denosumab", "subcutaneous depot"),
    &drug_states!("Ada", "adalimumab", "subcutaneous depot"),
    &drug_states!("Ifx", "infliximab", "subcutaneous depot"),
    &drug_states!("Sec", "secukinumab", "subcutaneous depot"),
    &drug_states!("Tcz", "tocilizumab", "subcutaneous depot"),
    &drug_states!("Romo", "romosozumab", "subcutaneous depot"),
    &drug_states!("Tofa", "tofacitinib", "gut"),
    &drug_states!("Bari", "baricitinib", "gut"),
    &drug_states!("Aba", "abatacept", "subcutaneous depot"),
    &drug_states!("IL2", "aldesleukin", "subcutaneous depot"),
    &drug_states!("Teri", "teriparatide", "subcutaneous depot"),
    &drug_states!("E2", "estradiol", "gut"),
    &drug_states!("Aln", "alendronate", "gut"),
    &[
        drug_state(
            "Aln_bone",
            "alendronate_bone_mg",
            "alendronate bound to bone",
        ),
        drug_state(
            "Zol_central",
            "zoledronate_central_mg",
            "zoledronate in the central compartment",
        ),
        drug_state(
            "Zol_bone",
            "zoledronate_bone_mg",
            "zoledronate bound to bone",
        ),
    ],
]);

const N_MODULE_DERIVED: usize = 21;
const N_DERIVED: usize = Bone::DERIVED.len() + N_MODULE_DERIVED + 28;
const DERIVED: [DerivedSpec; N_DERIVED] = super::flatten(&[
    Bone::DERIVED,
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
    &concentration_columns!("denosumab"),
    &concentration_columns!("adalimumab"),
    &concentration_columns!("infliximab"),
    &concentration_columns!("secukinumab"),
    &concentration_columns!("tocilizumab"),
    &concentration_columns!("romosozumab"),
    &concentration_columns!("tofacitinib"),
    &concentration_columns!("baricitinib"),
    &concentration_columns!("abatacept"),
    &concentration_columns!("aldesleukin"),
    &concentration_columns!("teriparatide"),
    &concentration_columns!("estradiol"),
    &concentration_columns!("alendronate"),
    &concentration_columns!("zoledronate"),
]);

/// A dose route with its largest labelled single dose (mg; `docs/model.md` lists the labels).
const fn route(
    drug: &'static str,
    route: &'static str,
    state: usize,
    labelled_mg: f64,
) -> DoseRoute {
    DoseRoute {
        drug,
        route,
        state,
        labelled_mg,
    }
}

/// The core model with the immune module.
#[derive(Debug, Clone)]
pub struct Immunoporosis {
    bone: Bone,
    immune: ImmuneParams,
    drugs: Drugs,
    pth_survival: PthSurvival,
    beta_rankl: f64,
    /// PTH clearance (1/day): turns a drug concentration into an equivalent PTH source.
    d_pth: f64,
    /// Core TGF-beta at the steady state (pM), the reference for bone-derived TGF-beta.
    tgfb_ref: f64,
}

/// What the coupling computes at one instant.
struct Coupled {
    immune: Immune,
    /// Inputs of the core model.
    u_core: InputValues,
    /// PTH (pM), which drives the osteoblast survival programme.
    pth: f64,
    /// The core model's states.
    core: SVector<f64, CORE>,
}

impl Immunoporosis {
    fn cells(y: &SVector<f64, N>) -> Cells {
        Cells {
            th1: y[TH1],
            th2: y[TH2],
            th17: y[TH17],
            treg: y[TREG],
            b: y[BCELL],
            m: y[MACRO],
        }
    }

    fn drives(u: &InputValues) -> Drives {
        Drives {
            estrogen: u[ESTROGEN],
            disease_activity: u[DISEASE],
            glucocorticoid: u[GLUCOCORTICOID],
            aging_years: u[AGING],
            tnf: u[F_TNF],
            il1: u[F_IL1],
            il6: u[F_IL6],
            il17: u[F_IL17],
            ifng: u[F_IFNG],
            jak_stat: u[F_JAK],
            treg_drive: u[F_TREG],
            sclerostin: 1.0,
            ctla4: 0.0,
        }
    }

    fn core(y: &SVector<f64, N>) -> SVector<f64, CORE> {
        y.fixed_rows::<CORE>(0).into_owned()
    }

    /// The drugs' effects on the immune module's drives (where each drug acts).
    fn drug_drives(&self, y: &SVector<f64, N>, mut d: Drives) -> Drives {
        let g = &self.drugs;
        let central = |depot: usize| y[depot + 1];
        d.tnf *= (1.0 - g.ada.effect(central(ADA))) * (1.0 - g.ifx.effect(central(IFX)));
        d.il17 *= 1.0 - g.sec.effect(central(SEC));
        d.il6 *= 1.0 - g.tcz.effect(central(TCZ));
        d.sclerostin *= 1.0 - g.romo.effect(central(ROMO));
        d.jak_stat *= (1.0 - g.tofa.effect(central(TOFA))) * (1.0 - g.bari.effect(central(BARI)));
        d.ctla4 += g.aba.effect(central(ABA));
        d.treg_drive *= 1.0 + g.il2.effect(central(IL2));
        d.estrogen += g.e2.concentration(central(E2)) / g.e2.c50;
        d
    }

    /// The immune module, the drugs, and the core inputs they produce.
    fn couple(&self, y: &SVector<f64, N>, u: &InputValues) -> Coupled {
        let core = Self::core(y);
        // Before the reference is known (during the steady-state search) bone-derived TGF-beta is
        // at its reference level by definition of the reference.
        let tgfb_bone = if self.tgfb_ref.is_nan() {
            1.0
        } else {
            self.bone.tgfb(&core, u) / self.tgfb_ref
        };
        let drives = self.drug_drives(y, Self::drives(u));
        let im = immune::evaluate(&self.immune, &Self::cells(y), &drives, tgfb_bone);
        let mut u_core = *u;
        for (j, f) in im.factors.iter().enumerate() {
            u_core[FIRST_FACTOR + j] *= f;
        }
        u_core[P_RANKL] += self.beta_rankl * im.lymph_rankl;
        let g = &self.drugs;
        // Denosumab: an extra RANKL binding partner.
        let den_pm = g.den.concentration(y[DEN + 1]) * g.den.ng_per_ml_to_pm;
        u_core[RANKL_DECOY] += g.den.binding * den_pm;
        // Teriparatide adds to PTH: a concentration C is a source D_PTH C.
        let teri_pm = g.teri.concentration(y[TERI + 1]) * g.teri.ng_per_ml_to_pm;
        u_core[P_PTH] += self.d_pth * teri_pm;
        // PTH's anabolic signal: the osteoblast survival programme (`drugs::PthSurvival`).
        let pth = self.bone.pth(&u_core);
        u_core[OB_APOPTOSIS] *= self.pth_survival.ob_apoptosis_factor(y[PTHG]);
        // Bone-bound bisphosphonates raise osteoclast apoptosis.
        u_core[OC_APOPTOSIS] *=
            g.aln.apoptosis_factor(y[ALN + 2]) * g.zol.apoptosis_factor(y[ZOL + 1]);
        Coupled {
            immune: im,
            u_core,
            pth,
            core,
        }
    }
}

impl Model<N> for Immunoporosis {
    const NAME: &'static str = "immunoporosis";
    const STATES: [StateSpec; N] = STATES;
    const DOSE_ROUTES: &'static [DoseRoute] = &[
        route("denosumab", "SC", DEN, 120.0),
        route("denosumab", "IV", DEN + 1, 120.0),
        route("adalimumab", "SC", ADA, 160.0),
        route("infliximab", "IV", IFX + 1, 1000.0),
        route("infliximab", "SC", IFX, 120.0),
        route("secukinumab", "SC", SEC, 300.0),
        route("secukinumab", "IV", SEC + 1, 600.0),
        route("tocilizumab", "IV", TCZ + 1, 800.0),
        route("tocilizumab", "SC", TCZ, 162.0),
        route("romosozumab", "SC", ROMO, 210.0),
        route("tofacitinib", "oral", TOFA, 11.0),
        route("baricitinib", "oral", BARI, 4.0),
        route("abatacept", "IV", ABA + 1, 1000.0),
        route("abatacept", "SC", ABA, 125.0),
        route("aldesleukin", "SC", IL2, 3.0),
        route("teriparatide", "SC", TERI, 0.02),
        route("estradiol", "oral", E2, 2.0),
        route("alendronate", "oral", ALN, 70.0),
        route("zoledronate", "IV", ZOL, 5.0),
    ];
    const INPUTS: &'static [InputSpec] = &INPUTS;
    const PARAMS: &'static [ParamSpec] = &PARAMS;
    const DERIVED: &'static [DerivedSpec] = &DERIVED;
    const PLOTS: &'static [PlotSpec] = &[
        Bone::PLOTS[0],
        Bone::PLOTS[1],
        Bone::PLOTS[2],
        PlotSpec {
            file_stem: "immune",
            title: "Immune cells",
            y_label: "relative to healthy (1)",
            series: &[
                ("Th1_rel", "Th1", 0.0),
                ("Th2_rel", "Th2", 0.0),
                ("Th17_rel", "Th17", 0.0),
                ("Treg_rel", "Treg", 0.0),
                ("B_rel", "B cells", 0.0),
                ("macrophage_rel", "macrophages", 0.0),
            ],
        },
        PlotSpec {
            file_stem: "cytokines",
            title: "Cytokines",
            y_label: "relative to healthy (1)",
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
            y_label: "relative to healthy (1)",
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

    fn from_params(p: &ParamSet) -> Self {
        Immunoporosis {
            bone: Bone::from_params(p),
            immune: ImmuneParams::from_params(p),
            drugs: Drugs::from_params(p),
            pth_survival: PthSurvival::from_params(p),
            beta_rankl: p.value("rankl.beta_RANKL"),
            d_pth: p.value("pth.D_PTH"),
            tgfb_ref: f64::NAN,
        }
    }

    fn set_reference(&mut self, ss: &SVector<f64, N>) {
        let core = Self::core(ss);
        self.bone.set_reference(&core);
        let neutral = neutral_inputs(&INPUTS);
        self.tgfb_ref = self.bone.tgfb(&core, &neutral);
        self.pth_survival.g_ref = ss[PTHG];
    }

    fn rhs(&self, t: f64, y: &SVector<f64, N>, u: &InputValues, dy: &mut SVector<f64, N>) {
        let c = self.couple(y, u);
        let mut d_core = SVector::<f64, CORE>::zeros();
        self.bone.rhs(t, &c.core, &c.u_core, &mut d_core);
        dy.fixed_rows_mut::<CORE>(0).copy_from(&d_core);
        let d = &c.immune.d_cells;
        dy[TH1] = d.th1;
        dy[TH2] = d.th2;
        dy[TH17] = d.th17;
        dy[TREG] = d.treg;
        dy[BCELL] = d.b;
        dy[MACRO] = d.m;
        dy[PTHG] = self.pth_survival.rate(c.pth, y[PTHG]);
        let g = &self.drugs;
        (dy[DEN], dy[DEN + 1]) = g.den.rates(y[DEN], y[DEN + 1]);
        for (drug, i) in g.one_compartment() {
            (dy[i], dy[i + 1]) = drug.rates(y[i], y[i + 1]);
        }
        let release = self.bone.skeletal_resorption(&c.core);
        let [gut, central, bone] = g.aln.rates(y[ALN], y[ALN + 1], y[ALN + 2], release);
        (dy[ALN], dy[ALN + 1], dy[ALN + 2]) = (gut, central, bone);
        let [_, central, bone] = g.zol.rates(0.0, y[ZOL], y[ZOL + 1], release);
        (dy[ZOL], dy[ZOL + 1]) = (central, bone);
    }

    fn derived(&self, y: &SVector<f64, N>, u: &InputValues, out: &mut [f64]) {
        let c = self.couple(y, u);
        let im = &c.immune;
        let n_bone = Bone::DERIVED.len();
        self.bone.derived(&c.core, &c.u_core, &mut out[..n_bone]);
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
            y[TH17] / y[TREG],
            im.estrogen,
            im.dkk1,
            im.sclerostin,
            im.wnt10b,
            im.wnt,
            y[PTHG] / self.pth_survival.g_ref,
        ];
        out[n_bone..n_bone + N_MODULE_DERIVED].copy_from_slice(&module);
        let g = &self.drugs;
        let mut k = n_bone + N_MODULE_DERIVED;
        let mut push = |ng_per_ml: f64, to_pm: f64| {
            out[k] = ng_per_ml;
            out[k + 1] = ng_per_ml * to_pm;
            k += 2;
        };
        push(g.den.concentration(y[DEN + 1]), g.den.ng_per_ml_to_pm);
        for (drug, i) in g.one_compartment() {
            push(drug.concentration(y[i + 1]), drug.ng_per_ml_to_pm);
        }
        push(g.aln.concentration(y[ALN + 1]), g.aln.ng_per_ml_to_pm);
        push(g.zol.concentration(y[ZOL]), g.zol.ng_per_ml_to_pm);
    }

    fn steady_state_guess(&self) -> SVector<f64, N> {
        let mut y = SVector::<f64, N>::from_element(1.0);
        let core = self.bone.steady_state_guess();
        y.fixed_rows_mut::<CORE>(0).copy_from(&core);
        y[PTHG] = 1e-3;
        for (i, s) in Self::STATES.iter().enumerate() {
            if let StateKind::Accumulator { reference } = s.kind {
                y[i] = reference;
            }
        }
        y
    }
}

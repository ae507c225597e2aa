//! The immunoporosis model: the core model (`bone`) with the immune module attached.
//!
//! The immune module acts on the core only through its attachment points: it multiplies the
//! core's factor inputs and adds lymphocyte RANKL to the RANKL source. At the healthy baseline
//! every factor is exactly 1 and the source 0, so the core's steady state is unchanged.

use super::bone::{self, Bone};
use super::immune::{self, Cells, Drives, IMMUNE_PARAMS, Immune, ImmuneParams, N_IMMUNE_PARAMS};
use super::{
    DerivedSpec, DoseRoute, InputKind, InputSpec, InputValues, Model, ParamSpec, PlotSpec,
};
use super::{StateKind, StateSpec, neutral_inputs};
use crate::params::ParamSet;
use nalgebra::SVector;

/// Number of states: 7 core + 6 immune + 2 denosumab + 2 adalimumab compartments.
pub const N: usize = 17;
const CORE: usize = 7;

const TH1: usize = 7;
const TH2: usize = 8;
const TH17: usize = 9;
const TREG: usize = 10;
const BCELL: usize = 11;
const MACRO: usize = 12;
const DEN_DEPOT: usize = 13;
const DEN_CENTRAL: usize = 14;
const ADA_DEPOT: usize = 15;
const ADA_CENTRAL: usize = 16;

/// Core input indices used here.
const P_RANKL: usize = 3;
const RANKL_DECOY: usize = 14;
const FIRST_FACTOR: usize = 4;

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
    description: &'static str,
) -> InputSpec {
    InputSpec {
        name,
        unit,
        kind,
        description,
    }
}

const MODULE_INPUTS: [InputSpec; 11] = [
    input(
        "estrogen",
        "1",
        InputKind::Multiplier,
        "serum estrogen relative to premenopausal (1)",
    ),
    input(
        "disease_activity",
        "1",
        InputKind::Additive,
        "inflammatory disease activity (0 none, 1 active untreated rheumatoid arthritis)",
    ),
    input(
        "glucocorticoid",
        "mg/day",
        InputKind::Additive,
        "glucocorticoid dose, prednisolone-equivalent",
    ),
    input(
        "aging_years",
        "year",
        InputKind::Additive,
        "years of aging beyond the reference adult",
    ),
    input(
        "TNF_factor",
        "1",
        InputKind::Multiplier,
        "factor on TNF-alpha (anti-TNF acts here)",
    ),
    input("IL1_factor", "1", InputKind::Multiplier, "factor on IL-1"),
    input(
        "IL6_factor",
        "1",
        InputKind::Multiplier,
        "factor on IL-6 (anti-IL-6R acts here)",
    ),
    input(
        "IL17_factor",
        "1",
        InputKind::Multiplier,
        "factor on IL-17 (anti-IL-17A acts here)",
    ),
    input(
        "IFNg_factor",
        "1",
        InputKind::Multiplier,
        "factor on IFN-gamma",
    ),
    input(
        "jak_stat_factor",
        "1",
        InputKind::Multiplier,
        "factor on JAK/STAT signalling (JAK inhibitors act here)",
    ),
    input(
        "treg_drive",
        "1",
        InputKind::Multiplier,
        "factor on the Treg polarisation drive (low-dose IL-2, abatacept)",
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

/// Denosumab's parameters (`params/drugs/denosumab.toml`).
const DENOSUMAB_PARAMS: [ParamSpec; 10] = [
    super::param("denosumab.ka", "1/day"),
    super::param("denosumab.F", "1"),
    super::param("denosumab.Vc", "mL/kg"),
    super::param("denosumab.kel", "1/day"),
    super::param("denosumab.Vmax", "ng/(kg day)"),
    super::param("denosumab.Km", "ng/mL"),
    super::param("denosumab.body_weight", "kg"),
    super::param("denosumab.molar_mass", "g/mol"),
    super::param("denosumab.K_A", "1/pM"),
    super::param("denosumab.chi", "1"),
];

/// Adalimumab's parameters (`params/drugs/adalimumab.toml`).
const ADALIMUMAB_PARAMS: [ParamSpec; 7] = [
    super::param("adalimumab.ka", "1/day"),
    super::param("adalimumab.F", "1"),
    super::param("adalimumab.V", "L"),
    super::param("adalimumab.CL", "L/day"),
    super::param("adalimumab.IC50", "ug/mL"),
    super::param("adalimumab.Imax", "1"),
    super::param("adalimumab.molar_mass", "g/mol"),
];

const N_DRUG_PARAMS: usize = DENOSUMAB_PARAMS.len() + ADALIMUMAB_PARAMS.len();
const DRUG_PARAMS: [ParamSpec; N_DRUG_PARAMS] = super::concat::<
    ParamSpec,
    { DENOSUMAB_PARAMS.len() },
    { ADALIMUMAB_PARAMS.len() },
    N_DRUG_PARAMS,
>(DENOSUMAB_PARAMS, ADALIMUMAB_PARAMS);
const N_PARAMS: usize = N_CORE_IMMUNE + N_DRUG_PARAMS;
const PARAMS: [ParamSpec; N_PARAMS] =
    super::concat::<ParamSpec, N_CORE_IMMUNE, N_DRUG_PARAMS, N_PARAMS>(CORE_IMMUNE, DRUG_PARAMS);

/// A cytokine-neutralising antibody (adalimumab): one compartment with first-order absorption
/// and linear elimination; it neutralises a fraction Imax C/(C + IC50) of its cytokine.
#[derive(Debug, Clone, Copy)]
struct Neutraliser {
    ka: f64,
    f: f64,
    volume_l: f64,
    kel: f64,
    ic50: f64,
    imax: f64,
    ng_per_ml_to_pm: f64,
}

impl Neutraliser {
    fn from_params(p: &ParamSet, drug: &str) -> Self {
        let v = |k: &str| p.value(&format!("{drug}.{k}"));
        Neutraliser {
            ka: v("ka"),
            f: v("F"),
            volume_l: v("V"),
            kel: v("CL") / v("V"),
            ic50: v("IC50"),
            imax: v("Imax"),
            ng_per_ml_to_pm: 1e6 / v("molar_mass"),
        }
    }

    /// Serum concentration (ug/mL, that is mg/L) of a central amount (mg).
    #[inline]
    fn concentration(&self, central_mg: f64) -> f64 {
        central_mg / self.volume_l
    }

    /// The factor left on the cytokine, 1 - Imax C/(C + IC50).
    #[inline]
    fn factor(&self, central_mg: f64) -> f64 {
        let c = self.concentration(central_mg);
        1.0 - self.imax * c / (c + self.ic50)
    }

    /// (d depot/dt, d central/dt) in mg/day.
    #[inline]
    fn rates(&self, depot_mg: f64, central_mg: f64) -> (f64, f64) {
        let absorption = self.ka * depot_mg;
        (-absorption, self.f * absorption - self.kel * central_mg)
    }
}

/// Denosumab pharmacokinetics (one compartment, first-order absorption, linear and
/// Michaelis-Menten elimination; Martinez-Reina & Pivonka 2019) and its RANKL binding.
#[derive(Debug, Clone, Copy)]
struct Denosumab {
    /// Absorption rate (1/day).
    ka: f64,
    /// Bioavailability.
    f: f64,
    /// Apparent central volume (mL).
    volume_ml: f64,
    /// Linear elimination (1/day).
    kel: f64,
    /// Michaelis-Menten maximal elimination (mg/day).
    vmax_mg_per_day: f64,
    /// Michaelis-Menten constant (ng/mL).
    km: f64,
    /// ng/mL to pM.
    ng_per_ml_to_pm: f64,
    /// Binding strength reaching RANKL, chi K_A (1/pM).
    binding: f64,
}

/// Nanograms per milligram.
const NG_PER_MG: f64 = 1e6;

impl Denosumab {
    fn from_params(p: &ParamSet) -> Self {
        let bw = p.value("denosumab.body_weight");
        Denosumab {
            ka: p.value("denosumab.ka"),
            f: p.value("denosumab.F"),
            volume_ml: p.value("denosumab.Vc") * bw,
            kel: p.value("denosumab.kel"),
            vmax_mg_per_day: p.value("denosumab.Vmax") * bw / NG_PER_MG,
            km: p.value("denosumab.Km"),
            // 1 ng/mL = 1e-6 g/L; divided by g/mol gives mol/L; times 1e12 gives pM.
            ng_per_ml_to_pm: 1e6 / p.value("denosumab.molar_mass"),
            binding: p.value("denosumab.chi") * p.value("denosumab.K_A"),
        }
    }

    /// Serum concentration (ng/mL) of a central amount (mg).
    #[inline]
    fn concentration(&self, central_mg: f64) -> f64 {
        central_mg * NG_PER_MG / self.volume_ml
    }

    /// (d depot/dt, d central/dt) in mg/day.
    #[inline]
    fn rates(&self, depot_mg: f64, central_mg: f64) -> (f64, f64) {
        let c = self.concentration(central_mg);
        let absorption = self.ka * depot_mg;
        (
            -absorption,
            self.f * absorption - self.kel * central_mg - self.vmax_mg_per_day * c / (self.km + c),
        )
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
        description,
    }
}

const fn rel(column: &'static str, description: &'static str) -> DerivedSpec {
    DerivedSpec {
        column,
        description,
    }
}

const DERIVED: [DerivedSpec; 30] = [
    Bone::DERIVED[0],
    Bone::DERIVED[1],
    Bone::DERIVED[2],
    Bone::DERIVED[3],
    Bone::DERIVED[4],
    Bone::DERIVED[5],
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
    rel("estrogen_rel", "serum estrogen relative to premenopausal"),
    rel("DKK1_rel", "DKK1 relative to healthy"),
    rel("sclerostin_rel", "sclerostin relative to healthy"),
    rel("Wnt10b_rel", "Wnt10b relative to healthy"),
    rel(
        "wnt_signalling_rel",
        "osteoblastic Wnt/beta-catenin signalling relative to healthy",
    ),
    rel("denosumab_ng_per_mL", "serum denosumab (ng/mL)"),
    rel("denosumab_pM", "serum denosumab (pM)"),
    rel("adalimumab_ng_per_mL", "serum adalimumab (ng/mL)"),
    rel("adalimumab_pM", "serum adalimumab (pM)"),
];

/// The core model with the immune module.
#[derive(Debug, Clone)]
pub struct Immunoporosis {
    bone: Bone,
    immune: ImmuneParams,
    denosumab: Denosumab,
    adalimumab: Neutraliser,
    beta_rankl: f64,
    /// Core TGF-beta at the steady state (pM), the reference for bone-derived TGF-beta.
    tgfb_ref: f64,
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
        }
    }

    fn core(y: &SVector<f64, N>) -> SVector<f64, CORE> {
        y.fixed_rows::<CORE>(0).into_owned()
    }

    /// The immune module and the core inputs it produces.
    fn couple(&self, y: &SVector<f64, N>, u: &InputValues) -> (Immune, InputValues) {
        let core = Self::core(y);
        // Before the reference is known (during the steady-state search) bone-derived TGF-beta is
        // at its reference level by definition of the reference.
        let tgfb_bone = if self.tgfb_ref.is_nan() {
            1.0
        } else {
            self.bone.tgfb(&core, u) / self.tgfb_ref
        };
        let mut drives = Self::drives(u);
        drives.tnf *= self.adalimumab.factor(y[ADA_CENTRAL]);
        let im = immune::evaluate(&self.immune, &Self::cells(y), &drives, tgfb_bone);
        let mut u_core = *u;
        for (j, f) in im.factors.iter().enumerate() {
            u_core[FIRST_FACTOR + j] *= f;
        }
        u_core[P_RANKL] += self.beta_rankl * im.lymph_rankl;
        let den_pm = self.denosumab.concentration(y[DEN_CENTRAL]) * self.denosumab.ng_per_ml_to_pm;
        u_core[RANKL_DECOY] += self.denosumab.binding * den_pm;
        (im, u_core)
    }
}

impl Model<N> for Immunoporosis {
    const NAME: &'static str = "immunoporosis";
    const STATES: [StateSpec; N] = [
        Bone::STATES[0],
        Bone::STATES[1],
        Bone::STATES[2],
        Bone::STATES[3],
        Bone::STATES[4],
        Bone::STATES[5],
        Bone::STATES[6],
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
        drug_state(
            "Den_depot",
            "denosumab_depot_mg",
            "denosumab in the subcutaneous depot",
        ),
        drug_state(
            "Den_central",
            "denosumab_central_mg",
            "denosumab in the central compartment",
        ),
        drug_state(
            "Ada_depot",
            "adalimumab_depot_mg",
            "adalimumab in the subcutaneous depot",
        ),
        drug_state(
            "Ada_central",
            "adalimumab_central_mg",
            "adalimumab in the central compartment",
        ),
    ];
    const DOSE_ROUTES: &'static [DoseRoute] = &[
        DoseRoute {
            drug: "denosumab",
            route: "SC",
            state: DEN_DEPOT,
        },
        DoseRoute {
            drug: "denosumab",
            route: "IV",
            state: DEN_CENTRAL,
        },
        DoseRoute {
            drug: "adalimumab",
            route: "SC",
            state: ADA_DEPOT,
        },
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
            denosumab: Denosumab::from_params(p),
            adalimumab: Neutraliser::from_params(p, "adalimumab"),
            beta_rankl: p.value("rankl.beta_RANKL"),
            tgfb_ref: f64::NAN,
        }
    }

    fn set_reference(&mut self, ss: &SVector<f64, N>) {
        let core = Self::core(ss);
        self.bone.set_reference(&core);
        self.tgfb_ref = self.bone.tgfb(&core, &neutral_inputs(&INPUTS));
    }

    fn rhs(&self, t: f64, y: &SVector<f64, N>, u: &InputValues, dy: &mut SVector<f64, N>) {
        let (im, u_core) = self.couple(y, u);
        let mut d_core = SVector::<f64, CORE>::zeros();
        self.bone.rhs(t, &Self::core(y), &u_core, &mut d_core);
        dy.fixed_rows_mut::<CORE>(0).copy_from(&d_core);
        dy[TH1] = im.d_cells.th1;
        dy[TH2] = im.d_cells.th2;
        dy[TH17] = im.d_cells.th17;
        dy[TREG] = im.d_cells.treg;
        dy[BCELL] = im.d_cells.b;
        dy[MACRO] = im.d_cells.m;
        let (d_depot, d_central) = self.denosumab.rates(y[DEN_DEPOT], y[DEN_CENTRAL]);
        dy[DEN_DEPOT] = d_depot;
        dy[DEN_CENTRAL] = d_central;
        let (d_depot, d_central) = self.adalimumab.rates(y[ADA_DEPOT], y[ADA_CENTRAL]);
        dy[ADA_DEPOT] = d_depot;
        dy[ADA_CENTRAL] = d_central;
    }

    fn derived(&self, y: &SVector<f64, N>, u: &InputValues, out: &mut [f64]) {
        let (im, u_core) = self.couple(y, u);
        self.bone.derived(&Self::core(y), &u_core, &mut out[..6]);
        let values = [
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
            self.denosumab.concentration(y[DEN_CENTRAL]),
            self.denosumab.concentration(y[DEN_CENTRAL]) * self.denosumab.ng_per_ml_to_pm,
            1e3 * self.adalimumab.concentration(y[ADA_CENTRAL]),
            1e3 * self.adalimumab.concentration(y[ADA_CENTRAL]) * self.adalimumab.ng_per_ml_to_pm,
        ];
        out[6..].copy_from_slice(&values);
    }

    fn steady_state_guess(&self) -> SVector<f64, N> {
        let mut y = SVector::<f64, N>::from_element(1.0);
        let core = self.bone.steady_state_guess();
        y.fixed_rows_mut::<CORE>(0).copy_from(&core);
        for (i, s) in Self::STATES.iter().enumerate() {
            if let StateKind::Accumulator { reference } = s.kind {
                y[i] = reference;
            }
        }
        y
    }
}

//! The immune module: T helper subsets, B cells, innate cells, cytokines, JAK/STAT, Wnt and
//! estrogen, and their coupling to the core model's attachment points.
//!
//! Everything here is relative to the healthy baseline (1 = healthy). Cell populations with
//! turnover of weeks are ODE states; cytokines (half-lives of minutes to hours) are algebraic.
//! Every coupling is written so that it equals exactly 1 at baseline: Hill modifiers of the form
//! `1 + E (x^n/(x^n+K^n) - 1/(1+K^n))` (literature.md 4.2) for cytokines, power laws `E^g` for estrogen
//! (Peterson & Riggs 2010), and `1 + e g` for a drug or disease level `g` that is 0 at baseline.
//! Each coupling, its sign and its literature support: `docs/immune.md`.

use super::bone::Attachments;
use crate::params::ParamValues;

/// Smallest estrogen level used in power laws (an input of 0 means "none", not a singularity).
const ESTROGEN_FLOOR: f64 = 1e-3;

/// `x^g` with exact fast paths for the common exponents 1, 2 and 0.5.
#[inline]
fn pow(x: f64, g: f64) -> f64 {
    if g == 1.0 {
        x
    } else if g == 2.0 {
        x * x
    } else if g == 0.5 {
        x.sqrt()
    } else {
        x.powf(g)
    }
}

/// Number of estrogen power laws `E^g` in the module.
const N_ESTROGEN_POWERS: usize = 12;

/// Which power law each slot of [`EstrogenExponents`] is (the order of `ImmuneParams::
/// estrogen_exponents`).
mod slot {
    pub const TNF: usize = 0;
    pub const IL6: usize = 1;
    pub const IL7: usize = 2;
    pub const SOST: usize = 3;
    pub const ACTIVATION: usize = 4;
    pub const TREG: usize = 5;
    pub const B: usize = 6;
    pub const M: usize = 7;
    pub const LYMPH_RANKL: usize = 8;
    pub const OPG: usize = 9;
    pub const OC_APOPTOSIS: usize = 10;
    pub const OB_APOPTOSIS: usize = 11;
}

/// The signed exponents of the module's estrogen power laws, with equal ones merged when the
/// parameters are read: `E^g = exp(g ln E)` from one logarithm and one exponential per distinct
/// exponent (the bundled parameters have 6 distinct exponents among 12 laws). Exactly 1 at E = 1.
#[derive(Debug, Clone, Copy)]
struct EstrogenExponents {
    /// The distinct exponents (the first `n` entries).
    distinct: [f64; N_ESTROGEN_POWERS],
    n: usize,
    /// For each power law, the index of its exponent in `distinct`.
    slot: [usize; N_ESTROGEN_POWERS],
}

impl EstrogenExponents {
    fn new(exponents: [f64; N_ESTROGEN_POWERS]) -> Self {
        let mut table = EstrogenExponents {
            distinct: [0.0; N_ESTROGEN_POWERS],
            n: 0,
            slot: [0; N_ESTROGEN_POWERS],
        };
        for (i, &g) in exponents.iter().enumerate() {
            let found = table.distinct[..table.n].iter().position(|&d| d == g);
            table.slot[i] = found.unwrap_or_else(|| {
                table.distinct[table.n] = g;
                table.n += 1;
                table.n - 1
            });
        }
        table
    }

    /// `E^g` for every power law, in slot order.
    #[inline]
    fn powers(&self, e: f64) -> [f64; N_ESTROGEN_POWERS] {
        let ln = e.max(ESTROGEN_FLOOR).ln();
        if ln == 0.0 {
            return [1.0; N_ESTROGEN_POWERS];
        }
        let mut distinct = [1.0; N_ESTROGEN_POWERS];
        for (d, g) in distinct.iter_mut().zip(&self.distinct[..self.n]) {
            *d = (g * ln).exp();
        }
        let mut powers = [1.0; N_ESTROGEN_POWERS];
        for (p, &k) in powers.iter_mut().zip(&self.slot) {
            *p = distinct[k];
        }
        powers
    }
}

/// The baseline-preserving Hill deviation `h(x) = x^n/(x^n + K^n) - 1/(1 + K^n)` (literature.md
/// 4.2): 0 at the healthy level x = 1, between `-1/(1 + K^n)` (x = 0) and `K^n/(1 + K^n)` (x far
/// above K). Activation is `1 + E h(x)`, repression `1 - I h(x)`.
#[derive(Debug, Clone, Copy)]
struct Hill {
    /// `K^n`.
    k_n: f64,
    /// Order `n`.
    n: f64,
    /// `1/(1 + K^n)`: the curve's value at baseline.
    at_baseline: f64,
}

impl Hill {
    fn new(k: f64, n: f64) -> Self {
        let k_n = pow(k, n);
        Hill {
            k_n,
            n,
            at_baseline: 1.0 / (1.0 + k_n),
        }
    }

    /// `h(x)`; a negative level counts as 0.
    #[inline]
    fn h(&self, x: f64) -> f64 {
        let x_n = pow(x.max(0.0), self.n);
        x_n / (x_n + self.k_n) - self.at_baseline
    }
}

/// Saturating receptor signal normalised to 1 at x = 1 (JAK/STAT activation).
#[inline]
fn signal(x: f64, k: f64) -> f64 {
    x * (1.0 + k) / (x + k)
}

/// Declares the module's handles once: (variant, element name, kind, what the factor multiplies).
macro_rules! handles {
    ($($variant:ident: $name:literal, $kind:literal, $meaning:literal;)*) => {
        /// An element of the immune module that a scenario or a drug can change: a factor on its
        /// level (a cytokine, DKK1, sclerostin, a STAT), on its production (a cell population), or
        /// on the input of a pathway (JAK). 1 is untouched, 0 a knock-out, 2 twice the healthy
        /// level. Scenario input `<name>_factor`; drugs act through the same factors.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Handle {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        /// Number of handles.
        pub const N_HANDLES: usize = [$($name,)*].len();

        /// Every handle with its name, kind and meaning, in [`Handle`] order.
        pub const HANDLES: [HandleSpec; N_HANDLES] = [
            $(HandleSpec {
                handle: Handle::$variant,
                name: $name,
                input: concat!($name, "_factor"),
                kind: $kind,
                meaning: $meaning,
            },)*
        ];
    };
}

/// What a handle is, for `list`, scenario inputs and the knock-out analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandleSpec {
    /// Which handle.
    pub handle: Handle,
    /// The element's name (as in its output column, without `_rel`).
    pub name: &'static str,
    /// The scenario input that sets it: `<name>_factor`.
    pub input: &'static str,
    /// `cytokine`, `cell`, `Wnt inhibitor` or `signalling`.
    pub kind: &'static str,
    /// What the factor multiplies.
    pub meaning: &'static str,
}

handles! {
    Tnf: "TNF", "cytokine", "factor on TNF-alpha (anti-TNF acts here)";
    Il1: "IL1", "cytokine", "factor on IL-1 (IL-1 receptor antagonist acts here)";
    Il2: "IL2", "cytokine", "factor on IL-2 (T-cell derived; drives Treg)";
    Il3: "IL3", "cytokine", "factor on IL-3 (T-cell derived; STAT5)";
    Il4: "IL4", "cytokine", "factor on IL-4 (Th2 derived)";
    Il6: "IL6", "cytokine", "factor on IL-6 (anti-IL-6R acts here)";
    Sil6r: "sIL6R", "cytokine", "factor on soluble IL-6 receptor (IL-6 trans-signalling)";
    Il7: "IL7", "cytokine", "factor on IL-7";
    Il10: "IL10", "cytokine", "factor on IL-10";
    Il17: "IL17", "cytokine", "factor on IL-17 (anti-IL-17A acts here)";
    Ifng: "IFNg", "cytokine", "factor on IFN-gamma";
    Osm: "OSM", "cytokine", "factor on oncostatin M";
    Tgfb: "TGFb", "cytokine", "factor on marrow TGF-beta as the immune cells and osteoblast Wnt10b see it";
    Th1: "Th1", "cell", "factor on the production of Th1 cells";
    Th2: "Th2", "cell", "factor on the production of Th2 cells";
    Th17: "Th17", "cell", "factor on the production of Th17 cells";
    Treg: "Treg", "cell", "factor on the production of CD4+ FoxP3+ regulatory T cells (low-dose IL-2 acts here)";
    Cd8Treg: "CD8Treg", "cell", "factor on the production of CD8+ FoxP3+ regulatory T cells";
    Ctla4: "CTLA4", "signalling", "factor on the CTLA-4 signal of Treg (and of CTLA-4-Ig) on effector T cells and osteoclast precursors";
    B: "B", "cell", "factor on the production of marrow B cells (B-cell depletion acts here)";
    Macrophage: "macrophage", "cell", "factor on the activation of monocytes and macrophages";
    Dkk1: "DKK1", "Wnt inhibitor", "factor on DKK1";
    Sclerostin: "sclerostin", "Wnt inhibitor", "factor on sclerostin (anti-sclerostin acts here)";
    Stat3: "STAT3", "signalling", "factor on STAT3 activation";
    Stat5: "STAT5", "signalling", "factor on STAT5 activation";
    Jak: "JAK", "signalling", "factor on JAK1/JAK3 signalling: gp130 to STAT3 and IL-7 to STAT5, not IL-3 (JAK2) (JAK inhibitors act here)";
}

/// The handles' factors, indexed by [`Handle`]; all 1 is the untouched module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factors(pub [f64; N_HANDLES]);

impl Factors {
    /// Every factor 1.
    pub const NEUTRAL: Factors = Factors([1.0; N_HANDLES]);
}

impl std::ops::Index<Handle> for Factors {
    type Output = f64;
    #[inline]
    fn index(&self, h: Handle) -> &f64 {
        &self.0[h as usize]
    }
}

impl std::ops::IndexMut<Handle> for Factors {
    #[inline]
    fn index_mut(&mut self, h: Handle) -> &mut f64 {
        &mut self.0[h as usize]
    }
}

/// Parameters of the immune module (names and units in `params/models/immunoporosis.toml`).
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub struct ImmuneParams {
    // T cells
    pub mu_t: f64,
    pub e_th1_il12: f64,
    pub i_th1_il10: f64,
    pub e_th2_il4: f64,
    pub i_th2_ifng: f64,
    pub e_th17_stat3: f64,
    pub e_th17_tgfb: f64,
    pub e_treg_tgfb: f64,
    pub e_treg_il2: f64,
    pub i_treg_stat3: f64,
    pub g_treg_e: f64,
    pub i_supp: f64,
    pub e_act_il7: f64,
    pub e_act_ifng: f64,
    pub i_costim_ctla4: f64,
    pub e_cd8treg_oc: f64,
    pub g_act_e: f64,
    pub g_tnf_e: f64,
    // B cells
    pub mu_b: f64,
    pub g_b_e: f64,
    pub phi_opg_b: f64,
    // lymphocyte RANKL
    pub phi_lymph: f64,
    pub w_th17: f64,
    pub g_lymph_rankl_e: f64,
    // innate cells
    pub mu_m: f64,
    pub g_disease: f64,
    pub e_m_tnf: f64,
    pub e_m_il6: f64,
    pub g_m_e: f64,
    pub i_m_il10: f64,
    pub g_m_age: f64,
    // cytokines
    pub w_tnf_m: f64,
    pub w_il6_m: f64,
    pub g_il6_e: f64,
    pub g_sil6r: f64,
    pub w_il10_treg: f64,
    pub w_il10_th2: f64,
    pub g_il7_e: f64,
    pub w_il7_stat5: f64,
    pub phi_tgfb_bone: f64,
    pub e_il1_tnf: f64,
    pub k_stat: f64,
    // Wnt
    pub e_dkk1_tnf: f64,
    pub e_dkk1_gc: f64,
    pub g_sost_e: f64,
    pub e_sost_gc: f64,
    pub g_sost_age: f64,
    pub e_wnt10b: f64,
    pub g_wnt_dkk1: f64,
    pub g_wnt_sost: f64,
    pub i_sost_osm: f64,
    pub i_wnt_il17: f64,
    pub wnt_inhibitor_floor: f64,
    pub g_commitment: f64,
    // couplings to the core
    pub k: f64,
    pub n: f64,
    pub e_rankl_tnf: f64,
    pub e_rankl_il1: f64,
    pub e_rankl_stat3: f64,
    pub e_rankl_il17: f64,
    pub i_rankl_ifng: f64,
    pub i_rankl_il10: f64,
    pub i_opg_tnf: f64,
    pub e_opg_il10: f64,
    pub g_opg_e: f64,
    pub e_ocp_tnf: f64,
    pub e_ocdiff_tnf: f64,
    pub e_ocdiff_il1: f64,
    pub i_ocdiff_ifng: f64,
    pub i_ocdiff_il4: f64,
    pub i_ocdiff_il10: f64,
    pub i_ocdiff_treg: f64,
    pub i_ocdiff_cd8treg: f64,
    pub i_ocdiff_stat5: f64,
    pub g_ocapo_e: f64,
    pub i_ocapo_il1: f64,
    pub i_obdiff_tnf: f64,
    pub e_obdiff_stat5: f64,
    pub e_obdiff_osm: f64,
    pub i_obdiff_il6: f64,
    pub i_obdiff_il4: f64,
    pub i_obapo_stat3: f64,
    pub e_obapo_tnf: f64,
    pub g_obapo_e: f64,
    // glucocorticoids
    pub gc_ec50: f64,
    pub gc_ec50_ob: f64,
    pub gc_n_ob: f64,
    pub gc_e_obapo: f64,
    pub gc_i_obdiff: f64,
    pub gc_e_rankl: f64,
    pub gc_i_opg: f64,
    pub gc_i_ocapo: f64,
    pub gc_i_inflammation: f64,
    // aging
    pub g_obu_age: f64,
    /// The estrogen exponents above (`g_*_E`), merged when read: a `g_*_E` field changed after
    /// [`ImmuneParams::from_params`] needs [`ImmuneParams::refresh`].
    estrogen: EstrogenExponents,
}

/// Declares the parameter table once: (field, dotted name, unit).
macro_rules! immune_params {
    ($($field:ident: $name:literal, $unit:literal;)*) => {
        /// Number of immune-module parameters.
        pub const N_IMMUNE_PARAMS: usize = [$($name,)*].len();

        /// Every parameter of the immune module with its required unit.
        pub const IMMUNE_PARAMS: [crate::model::ParamSpec; N_IMMUNE_PARAMS] = [
            $(crate::model::ParamSpec { name: $name, unit: $unit },)*
        ];

        impl ImmuneParams {
            /// Reads the module's parameters by dotted name.
            pub fn from_params(p: &impl ParamValues) -> Self {
                let mut q = ImmuneParams {
                    $($field: p.value($name),)*
                    estrogen: EstrogenExponents::new([0.0; N_ESTROGEN_POWERS]),
                };
                q.refresh();
                q
            }
        }
    };
}

immune_params! {
    mu_t: "tcell.mu_T", "1/day";
    e_th1_il12: "tcell.e_Th1_IL12", "1";
    i_th1_il10: "tcell.i_Th1_IL10", "1";
    e_th2_il4: "tcell.e_Th2_IL4", "1";
    i_th2_ifng: "tcell.i_Th2_IFNg", "1";
    e_th17_stat3: "tcell.e_Th17_STAT3", "1";
    e_th17_tgfb: "tcell.e_Th17_TGFb", "1";
    e_treg_tgfb: "tcell.e_Treg_TGFb", "1";
    e_treg_il2: "tcell.e_Treg_IL2", "1";
    i_treg_stat3: "tcell.i_Treg_STAT3", "1";
    g_treg_e: "tcell.g_Treg_E", "1";
    i_supp: "tcell.i_suppression", "1";
    e_act_il7: "tcell.e_activation_IL7", "1";
    e_act_ifng: "tcell.e_activation_IFNg", "1";
    i_costim_ctla4: "tcell.i_costimulation_CTLA4", "1";
    e_cd8treg_oc: "tcell.e_CD8Treg_OC", "1";
    g_act_e: "tcell.g_activation_E", "1";
    g_tnf_e: "tcell.g_TNF_E", "1";
    mu_b: "bcell.mu_B", "1/day";
    g_b_e: "bcell.g_B_E", "1";
    phi_opg_b: "bcell.phi_OPG", "1";
    phi_lymph: "rankl.phi_lymph", "1";
    w_th17: "rankl.w_Th17", "1";
    g_lymph_rankl_e: "estrogen.g_lymph_RANKL", "1";
    mu_m: "innate.mu_M", "1/day";
    g_disease: "innate.g_disease", "1";
    e_m_tnf: "innate.e_M_TNF", "1";
    e_m_il6: "innate.e_M_IL6", "1";
    g_m_e: "innate.g_M_E", "1";
    i_m_il10: "innate.i_M_IL10", "1";
    g_m_age: "innate.g_age", "1/year";
    w_tnf_m: "cytokine.w_TNF_M", "1";
    w_il6_m: "cytokine.w_IL6_M", "1";
    g_il6_e: "cytokine.g_IL6_E", "1";
    g_sil6r: "cytokine.g_sIL6R", "1";
    w_il10_treg: "cytokine.w_IL10_Treg", "1";
    w_il10_th2: "cytokine.w_IL10_Th2", "1";
    g_il7_e: "cytokine.g_IL7_E", "1";
    w_il7_stat5: "cytokine.w_IL7_STAT5", "1";
    phi_tgfb_bone: "cytokine.phi_TGFb_bone", "1";
    e_il1_tnf: "cytokine.e_IL1_TNF", "1";
    k_stat: "jakstat.K_STAT", "1";
    e_dkk1_tnf: "wnt.e_DKK1_TNF", "1";
    e_dkk1_gc: "wnt.e_DKK1_GC", "1";
    g_sost_e: "wnt.g_SOST_E", "1";
    e_sost_gc: "wnt.e_SOST_GC", "1";
    g_sost_age: "wnt.g_SOST_age", "1/year";
    e_wnt10b: "wnt.e_Wnt10b", "1";
    g_wnt_dkk1: "wnt.g_DKK1", "1";
    g_wnt_sost: "wnt.g_SOST", "1";
    i_sost_osm: "wnt.i_SOST_OSM", "1";
    i_wnt_il17: "wnt.i_Wnt_IL17", "1";
    wnt_inhibitor_floor: "wnt.inhibitor_floor", "1";
    g_commitment: "wnt.g_commitment", "1";
    k: "coupling.K", "1";
    n: "coupling.n", "1";
    e_rankl_tnf: "coupling.e_RANKL_TNF", "1";
    e_rankl_il1: "coupling.e_RANKL_IL1", "1";
    e_rankl_stat3: "coupling.e_RANKL_STAT3", "1";
    e_rankl_il17: "coupling.e_RANKL_IL17", "1";
    i_rankl_ifng: "coupling.i_RANKL_IFNg", "1";
    i_rankl_il10: "coupling.i_RANKL_IL10", "1";
    i_opg_tnf: "coupling.i_OPG_TNF", "1";
    e_opg_il10: "coupling.e_OPG_IL10", "1";
    g_opg_e: "estrogen.g_OPG_E", "1";
    e_ocp_tnf: "coupling.e_OCpsupply_TNF", "1";
    e_ocdiff_tnf: "coupling.e_OCdiff_TNF", "1";
    e_ocdiff_il1: "coupling.e_OCdiff_IL1", "1";
    i_ocdiff_ifng: "coupling.i_OCdiff_IFNg", "1";
    i_ocdiff_il4: "coupling.i_OCdiff_IL4", "1";
    i_ocdiff_il10: "coupling.i_OCdiff_IL10", "1";
    i_ocdiff_treg: "coupling.i_OCdiff_Treg", "1";
    i_ocdiff_cd8treg: "coupling.i_OCdiff_CD8Treg", "1";
    i_ocdiff_stat5: "coupling.i_OCdiff_STAT5", "1";
    g_ocapo_e: "estrogen.g_OCapo_E", "1";
    i_ocapo_il1: "coupling.i_OCapo_IL1", "1";
    i_obdiff_tnf: "coupling.i_OBdiff_TNF", "1";
    e_obdiff_stat5: "coupling.e_OBdiff_STAT5", "1";
    e_obdiff_osm: "coupling.e_OBdiff_OSM", "1";
    i_obdiff_il6: "coupling.i_OBdiff_IL6", "1";
    i_obdiff_il4: "coupling.i_OBdiff_IL4", "1";
    i_obapo_stat3: "coupling.i_OBapo_STAT3", "1";
    e_obapo_tnf: "coupling.e_OBapo_TNF", "1";
    g_obapo_e: "estrogen.g_OBapo_E", "1";
    gc_ec50: "glucocorticoid.EC50", "mg/day";
    gc_ec50_ob: "glucocorticoid.EC50_OB", "mg/day";
    gc_n_ob: "glucocorticoid.n_OB", "1";
    gc_e_obapo: "glucocorticoid.e_OBapo", "1";
    gc_i_obdiff: "glucocorticoid.i_OBdiff", "1";
    gc_e_rankl: "glucocorticoid.e_RANKL", "1";
    gc_i_opg: "glucocorticoid.i_OPG", "1";
    gc_i_ocapo: "glucocorticoid.i_OCapo", "1";
    gc_i_inflammation: "glucocorticoid.i_inflammation", "1";
    g_obu_age: "aging.g_OBu", "1/year";
}

impl ImmuneParams {
    /// Re-reads the estrogen exponents (`g_*_E`) into the table the power laws use.
    pub fn refresh(&mut self) {
        self.estrogen = EstrogenExponents::new(self.estrogen_exponents());
    }

    /// The signed exponent of each estrogen power law, in [`slot`] order.
    fn estrogen_exponents(&self) -> [f64; N_ESTROGEN_POWERS] {
        let mut g = [0.0; N_ESTROGEN_POWERS];
        g[slot::TNF] = -self.g_tnf_e;
        g[slot::IL6] = -self.g_il6_e;
        g[slot::IL7] = -self.g_il7_e;
        g[slot::SOST] = -self.g_sost_e;
        g[slot::ACTIVATION] = -self.g_act_e;
        g[slot::TREG] = self.g_treg_e;
        g[slot::B] = -self.g_b_e;
        g[slot::M] = -self.g_m_e;
        g[slot::LYMPH_RANKL] = -self.g_lymph_rankl_e;
        g[slot::OPG] = self.g_opg_e;
        g[slot::OC_APOPTOSIS] = self.g_ocapo_e;
        g[slot::OB_APOPTOSIS] = -self.g_obapo_e;
        g
    }
}

/// Immune cell states, relative to baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)]
pub struct Cells {
    pub th1: f64,
    pub th2: f64,
    pub th17: f64,
    pub treg: f64,
    pub cd8treg: f64,
    pub b: f64,
    pub m: f64,
}

/// External drives of the module (scenario inputs), in their units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drives {
    /// Serum estrogen relative to premenopausal (1).
    pub estrogen: f64,
    /// Inflammatory disease activity (0 = none, 1 = active untreated rheumatoid arthritis).
    pub disease_activity: f64,
    /// Glucocorticoid dose, prednisolone-equivalent (mg/day).
    pub glucocorticoid: f64,
    /// Years of aging beyond the reference adult.
    pub aging_years: f64,
    /// The handles' factors (1 = untouched; scenario inputs `<name>_factor` and drugs act
    /// here).
    pub factors: Factors,
    /// Extra CTLA-4 signal in Treg equivalents (CTLA-4-Ig acts here; 0 = none): it suppresses
    /// effector T cells and osteoclast differentiation as Treg CTLA-4 does.
    pub ctla4: f64,
}

/// Everything the module computes at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)]
pub struct Immune {
    pub tnf: f64,
    pub il1: f64,
    pub il2: f64,
    pub il3: f64,
    pub il4: f64,
    pub il6: f64,
    pub il7: f64,
    pub il10: f64,
    pub il12: f64,
    pub il17: f64,
    pub ifng: f64,
    pub osm: f64,
    pub sil6r: f64,
    pub tgfb: f64,
    pub tgfb_treg: f64,
    pub stat3: f64,
    pub stat5: f64,
    pub dkk1: f64,
    pub sclerostin: f64,
    pub wnt10b: f64,
    pub wnt: f64,
    pub estrogen: f64,
    /// Time derivatives of the cell states (1/day).
    pub d_cells: Cells,
    /// The module's effect on the core's attachment points, by name: factors on the core's
    /// rates (sources stay at 0; lymphocyte RANKL is `lymph_rankl`). Applied with
    /// [`Attachments::combined`].
    pub core: Attachments,
    /// Additive RANKL source from lymphocytes (fraction of baseline RANKL production; may be
    /// negative down to -phi_lymph when lymphocyte RANKL falls below baseline).
    pub lymph_rankl: f64,
}

/// The immune module at one instant: cytokines from cells, polarisation, couplings.
/// `tgfb_bone` is the core's TGF-beta and `oc_rel` its active osteoclasts, each relative to the
/// steady state.
pub fn evaluate(p: &ImmuneParams, c: &Cells, d: &Drives, tgfb_bone: f64, oc_rel: f64) -> Immune {
    let f = &d.factors;
    let e = p.estrogen.powers(d.estrogen);
    // Glucocorticoid occupancy: the resorption side (RANKL, OPG, osteoclast life, inflammation)
    // with EC50; the osteoblast lineage (differentiation, apoptosis, DKK1, sclerostin) with its
    // own, higher EC50 and order, from the dose response of osteocalcin suppression.
    let gc = d.glucocorticoid / (d.glucocorticoid + p.gc_ec50);
    // Written as 1 / (1 + (EC50/G)^n) so that an EC50 of 0 gives full occupancy; no dose, none.
    let gc_ob = if d.glucocorticoid > 0.0 {
        1.0 / (1.0 + pow(p.gc_ec50_ob / d.glucocorticoid, p.gc_n_ob))
    } else {
        0.0
    };
    let anti_inflammatory = 1.0 / (1.0 + p.gc_i_inflammation * gc);
    // Hill deviation from baseline: act = 1 + E h(x), rep = 1 - I h(x), both exactly 1 at x = 1.
    let hill = Hill::new(p.k, p.n);
    let h = |x: f64| hill.h(x);

    // Cytokines from their producer cells (weights are shares of the baseline level). TNF-alpha
    // induces IL-1 in macrophages (Wei 2005).
    let t_tnf = 0.5 * (c.th1 + c.th17) * e[slot::TNF];
    let tnf = f[Handle::Tnf] * anti_inflammatory * (p.w_tnf_m * c.m + (1.0 - p.w_tnf_m) * t_tnf);
    let h_tnf = h(tnf);
    let il1 = f[Handle::Il1] * anti_inflammatory * c.m * (1.0 + p.e_il1_tnf * h_tnf);
    let il6 =
        f[Handle::Il6] * anti_inflammatory * (p.w_il6_m * c.m + (1.0 - p.w_il6_m) * e[slot::IL6]);
    let il17 = f[Handle::Il17] * c.th17;
    let ifng = f[Handle::Ifng] * c.th1;
    let il4 = f[Handle::Il4] * c.th2;
    let il10 = f[Handle::Il10]
        * (p.w_il10_treg * c.treg
            + p.w_il10_th2 * c.th2
            + (1.0 - p.w_il10_treg - p.w_il10_th2) * c.b);
    let effector = (c.th1 + c.th2 + c.th17) / 3.0;
    let il2 = f[Handle::Il2] * effector;
    let il3 = f[Handle::Il3] * effector;
    let il12 = anti_inflammatory * c.m;
    let osm = f[Handle::Osm] * anti_inflammatory * c.m;
    let il7 = f[Handle::Il7] * e[slot::IL7];
    let sil6r = f[Handle::Sil6r] * pow(c.m, p.g_sil6r);
    let tgfb_treg = f[Handle::Tgfb] * c.treg;
    let tgfb = f[Handle::Tgfb] * p.phi_tgfb_bone * tgfb_bone + (1.0 - p.phi_tgfb_bone) * tgfb_treg;

    // JAK/STAT: STAT3 downstream of gp130 (IL-6 classic and trans-signalling, OSM); STAT5
    // downstream of the common gamma chain and IL-3 receptor (IL-7, IL-3).
    let gp130 = (il6 + il6 * sil6r + osm) / 3.0;
    let jak = f[Handle::Jak];
    let stat3 = f[Handle::Stat3] * signal(jak * gp130, p.k_stat);
    // The JAK handle is JAK1/JAK3 (the targets of tofacitinib, and with JAK2 of baricitinib):
    // gp130 (JAK1) and the common gamma chain of IL-7 (JAK1/JAK3), not the IL-3 receptor (JAK2).
    let stat5 = f[Handle::Stat5]
        * signal(
            jak * p.w_il7_stat5 * il7 + (1.0 - p.w_il7_stat5) * il3,
            p.k_stat,
        );

    let (h_il1, h_il10, h_il12, h_il4, h_ifng) = (h(il1), h(il10), h(il12), h(il4), h(ifng));
    let (h_stat3, h_stat5, h_tgfb, h_il2, h_il17) = (h(stat3), h(stat5), h(tgfb), h(il2), h(il17));
    // CD8+ Treg suppress osteoclasts they recognise: their activity scales with the osteoclasts
    // presenting antigen to them (Kiesel 2009; Buchwald 2012).
    let (h_il7, h_osm, h_cd8treg) = (h(il7), h(osm), h(c.cd8treg * oc_rel));
    // IL-6 classic signalling on osteoblasts runs through gp130/JAK1 (SHP2; Kaneshiro 2014).
    let h_il6_classic = h(jak * il6);
    let h_tgfb_treg = h(tgfb_treg);
    // CTLA-4 signal: Treg CTLA-4 plus any CTLA-4-Ig.
    let h_ctla4 = h(f[Handle::Ctla4] * (c.treg + d.ctla4));

    // Wnt/beta-catenin on osteoblast commitment: DKK1 and sclerostin inhibit it, OSM suppresses
    // sclerostin (Walker 2010), IL-17 suppresses the osteoblast's Wnt response.
    let dkk1 = f[Handle::Dkk1] * (1.0 + p.e_dkk1_tnf * h_tnf) * (1.0 + p.e_dkk1_gc * gc_ob);
    let sclerostin = f[Handle::Sclerostin]
        * e[slot::SOST]
        * (1.0 + p.e_sost_gc * gc_ob)
        * (1.0 + p.g_sost_age * d.aging_years)
        * (1.0 - p.i_sost_osm * h_osm);
    let wnt10b = 1.0 + p.e_wnt10b * h_tgfb_treg;
    // Each inhibitor's power law is floored: a knock-out leaves the other Wnt antagonists.
    let floor = p.wnt_inhibitor_floor;
    let wnt = wnt10b * (1.0 - p.i_wnt_il17 * h_il17)
        / (pow(dkk1.max(floor), p.g_wnt_dkk1) * pow(sclerostin.max(floor), p.g_wnt_sost));

    // T helper polarisation (1 at baseline). Effector activation rises under estrogen deficiency
    // directly and through IL-7 and IFN-gamma (antigen presentation); Treg suppress effectors.
    // The activation needs CD80/86 costimulation, which CTLA-4 (Treg, CTLA-4-Ig) blocks: it is
    // raised to a power that CTLA-4 lowers (Grassi 2007).
    let activation =
        e[slot::ACTIVATION] * (1.0 + p.e_act_il7 * h_il7) * (1.0 + p.e_act_ifng * h_ifng);
    let costimulation = 1.0 - p.i_costim_ctla4 * h_ctla4;
    let suppression = 1.0 - p.i_supp * h_ctla4;
    // Only the activation above baseline needs costimulation: below 1 it is left as it is.
    let effector_drive =
        activation.min(1.0) * pow(activation.max(1.0), costimulation) * suppression;
    let drive_th1 = f[Handle::Th1]
        * (1.0 + p.e_th1_il12 * h_il12)
        * (1.0 - p.i_th1_il10 * h_il10)
        * effector_drive;
    let drive_th2 = f[Handle::Th2]
        * (1.0 + p.e_th2_il4 * h_il4)
        * (1.0 - p.i_th2_ifng * h_ifng)
        * effector_drive;
    let drive_th17 = f[Handle::Th17]
        * (1.0 + p.e_th17_stat3 * h_stat3)
        * (1.0 + p.e_th17_tgfb * h_tgfb)
        * effector_drive;
    let drive_treg = f[Handle::Treg]
        * (1.0 + p.e_treg_tgfb * h_tgfb)
        * (1.0 + p.e_treg_il2 * h_il2)
        * (1.0 - p.i_treg_stat3 * h_stat3)
        * e[slot::TREG];
    // CD8+ FoxP3+ Treg are induced by osteoclasts presenting antigen (Buchwald 2012).
    let drive_cd8treg = f[Handle::Cd8Treg] * (1.0 + p.e_cd8treg_oc * h(oc_rel));
    let drive_b = f[Handle::B] * e[slot::B];
    // The cytokine cascade: TNF-alpha activates macrophages (Brennan 1989, Charles 1999), and
    // IL-6 trans-signalling (IL-6 with sIL-6R, through gp130/JAK1) recruits monocytes (Hurst
    // 2001), so that blocking either mediator lowers the whole activation.
    let amplification = (1.0 + p.e_m_tnf * h_tnf) * (1.0 + p.e_m_il6 * h(jak * il6 * sil6r));
    let drive_m = f[Handle::Macrophage]
        * (1.0 + p.g_disease * d.disease_activity + p.g_m_age * d.aging_years)
        * e[slot::M]
        * (1.0 - p.i_m_il10 * h_il10)
        * amplification;
    let d_cells = Cells {
        th1: p.mu_t * (drive_th1 - c.th1),
        th2: p.mu_t * (drive_th2 - c.th2),
        th17: p.mu_t * (drive_th17 - c.th17),
        treg: p.mu_t * (drive_treg - c.treg),
        cd8treg: p.mu_t * (drive_cd8treg - c.cd8treg),
        b: p.mu_b * (drive_b - c.b),
        m: p.mu_m * (drive_m - c.m),
    };

    // Lymphocyte RANKL (Th17 and B cells; more per cell under estrogen deficiency).
    let lymph = (p.w_th17 * c.th17 + (1.0 - p.w_th17) * c.b) * e[slot::LYMPH_RANKL];
    let lymph_rankl = p.phi_lymph * (lymph - 1.0);

    let core = Attachments {
        // rankl_production (osteoblast lineage)
        rankl_production: (1.0 + p.e_rankl_tnf * h_tnf)
            * (1.0 + p.e_rankl_il1 * h_il1)
            * (1.0 + p.e_rankl_stat3 * h_stat3)
            * (1.0 + p.e_rankl_il17 * h_il17)
            * (1.0 - p.i_rankl_ifng * h_ifng)
            * (1.0 - p.i_rankl_il10 * h_il10)
            * (1.0 + p.gc_e_rankl * gc),
        // opg_production: B cells carry a share of OPG; estrogen raises, TNF lowers it
        opg_production: ((1.0 - p.phi_opg_b) + p.phi_opg_b * c.b)
            * e[slot::OPG]
            * (1.0 - p.i_opg_tnf * h_tnf)
            * (1.0 + p.e_opg_il10 * h_il10)
            / (1.0 + p.gc_i_opg * gc),
        // ocp_supply
        ocp_supply: 1.0 + p.e_ocp_tnf * h_tnf,
        // oc_differentiation: IL-3 (STAT5), Th2, IL-10, IFN-gamma and both Treg inhibit it
        oc_differentiation: (1.0 + p.e_ocdiff_tnf * h_tnf)
            * (1.0 + p.e_ocdiff_il1 * h_il1)
            * (1.0 - p.i_ocdiff_ifng * h_ifng)
            * (1.0 - p.i_ocdiff_il4 * h_il4)
            * (1.0 - p.i_ocdiff_il10 * h_il10)
            * (1.0 - p.i_ocdiff_treg * h_ctla4)
            * (1.0 - p.i_ocdiff_cd8treg * h_cd8treg)
            * (1.0 - p.i_ocdiff_stat5 * h_stat5),
        // oc_apoptosis: estrogen promotes it, IL-1 and glucocorticoids prolong osteoclast life
        oc_apoptosis: e[slot::OC_APOPTOSIS] * (1.0 - p.i_ocapo_il1 * h_il1)
            / (1.0 + p.gc_i_ocapo * gc),
        // ob_differentiation: STAT5 (IL-3) and OSM support it; TNF, IL-6 classic signalling,
        // IL-4 and glucocorticoids inhibit it
        ob_differentiation: (1.0 - p.i_obdiff_tnf * h_tnf)
            * (1.0 + p.e_obdiff_stat5 * h_stat5)
            * (1.0 + p.e_obdiff_osm * h_osm)
            * (1.0 - p.i_obdiff_il6 * h_il6_classic)
            * (1.0 - p.i_obdiff_il4 * h_il4)
            / (1.0 + p.gc_i_obdiff * gc_ob),
        // ob_apoptosis: STAT3 keeps osteoblasts alive (Bcl-xL, Bcl-2)
        ob_apoptosis: (1.0 + p.e_obapo_tnf * h_tnf)
            * (1.0 - p.i_obapo_stat3 * h_stat3)
            * e[slot::OB_APOPTOSIS]
            * (1.0 + p.gc_e_obapo * gc_ob),
        // obu_supply: Wnt/beta-catenin drives commitment; it declines with age by a constant
        // fraction per year
        obu_supply: pow(wnt, p.g_commitment) * (-p.g_obu_age * d.aging_years).exp(),
        // The hip's disuse in active disease follows the disease-activity state
        // (`model::disease`), not the cytokines.
        ..Attachments::NEUTRAL
    };

    Immune {
        tnf,
        il1,
        il2,
        il3,
        il4,
        il6,
        il7,
        il10,
        il12,
        il17,
        ifng,
        osm,
        sil6r,
        tgfb,
        tgfb_treg,
        stat3,
        stat5,
        dkk1,
        sclerostin,
        wnt10b,
        wnt,
        estrogen: d.estrogen,
        d_cells,
        core,
        lymph_rankl,
    }
}

//! Drug pharmacokinetics and concentration-effect relations: the equations every drug of the
//! registry uses (one PK form per [`super::Pk`] variant), and PTH's osteoblast survival
//! programme. Each drug's parameters live in `params/drugs/<drug>.toml`; where each drug acts is
//! declared in `registry.rs` and applied in [`super::Dosed`].
//!
//! Amounts are in mg; concentrations in ng/mL unless a name says otherwise.

use crate::model::{ParamSpec, param};
use crate::params::ParamValues;

/// Nanograms per milligram.
const NG_PER_MG: f64 = 1e6;

/// A first-order process of a drug's pharmacokinetics and its half-life `ln 2 / rate`: what the
/// output grid must resolve to show the drug's concentration curve (the aliasing warning of
/// `config::scenario`; `docs/drugs.md`, "Half-lives and the output grid").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalfLife {
    /// The compartment the process empties (index in the drug's compartments): it matters only
    /// in a run that doses this compartment or one before it.
    pub compartment: usize,
    /// What the process is: `absorption` or `elimination`.
    pub process: &'static str,
    /// The rate it is computed from, in the parameters' symbols, e.g. `ln 2 / ka`.
    pub formula: &'static str,
    /// The half-life (day).
    pub days: f64,
}

impl HalfLife {
    /// The half-life `ln 2 / rate` of a process with `rate` (1/day).
    fn of(compartment: usize, process: &'static str, formula: &'static str, rate: f64) -> Self {
        HalfLife {
            compartment,
            process,
            formula,
            days: std::f64::consts::LN_2 / rate,
        }
    }
}

/// Fraction of the maximal effect at concentration `c`: `max c / (c + c50)`.
#[inline]
pub fn emax(c: f64, c50: f64, max: f64) -> f64 {
    max * c / (c + c50)
}

/// One compartment with first-order absorption from a depot (SC or oral) and linear
/// elimination; intravenous doses go straight into the central compartment.
#[derive(Debug, Clone, Copy)]
pub struct OneCompartment {
    /// Absorption rate (1/day).
    pub ka: f64,
    /// Bioavailability of the depot route.
    pub f: f64,
    /// Volume of distribution (L).
    pub volume_l: f64,
    /// Elimination rate CL/V (1/day).
    pub kel: f64,
    /// ng/mL to pM.
    pub ng_per_ml_to_pm: f64,
    /// First effect parameter (IC50, EC50 or reference concentration; ng/mL), if any.
    pub c50: f64,
    /// Second effect parameter (Imax or Emax), if any.
    pub max: f64,
}

impl OneCompartment {
    /// Reads `<drug>.ka/F/V/CL/molar_mass` and the effect parameters named `c50` and `max`
    /// (absent names give NaN, for drugs without them).
    pub fn from_params(p: &impl ParamValues, drug: &str, c50: &str, max: &str) -> Self {
        let v = |k: &str| p.value(&format!("{drug}.{k}"));
        let opt = |k: &str| {
            if k.is_empty() { f64::NAN } else { v(k) }
        };
        OneCompartment {
            ka: v("ka"),
            f: v("F"),
            volume_l: v("V"),
            kel: v("CL") / v("V"),
            ng_per_ml_to_pm: 1e6 / v("molar_mass"),
            c50: opt(c50),
            max: opt(max),
        }
    }

    /// Serum concentration (ng/mL) of a central amount (mg): mg/L is ug/mL.
    #[inline]
    pub fn concentration(&self, central_mg: f64) -> f64 {
        1e3 * central_mg / self.volume_l
    }

    /// The effect `max C / (C + c50)` at a central amount.
    #[inline]
    pub fn effect(&self, central_mg: f64) -> f64 {
        if central_mg == 0.0 {
            return 0.0;
        }
        emax(self.concentration(central_mg), self.c50, self.max)
    }

    /// (d depot/dt, d central/dt) in mg/day.
    #[inline]
    pub fn rates(&self, depot_mg: f64, central_mg: f64) -> (f64, f64) {
        let absorption = self.ka * depot_mg;
        (-absorption, self.f * absorption - self.kel * central_mg)
    }

    /// Absorption from the depot (`ka`) and elimination from the central compartment (`CL/V`).
    pub fn half_lives(&self) -> [HalfLife; 2] {
        [
            HalfLife::of(0, "absorption", "ln 2 / ka", self.ka),
            HalfLife::of(1, "elimination", "ln 2 / (CL/V)", self.kel),
        ]
    }
}

/// A bisphosphonate: absorption from the gut (oral drugs), a central compartment cleared by the
/// kidneys and by uptake into bone, and a bone-bound pool released only when bone is resorbed.
/// Bone-bound drug is taken up by resorbing osteoclasts and raises their apoptosis.
#[derive(Debug, Clone, Copy)]
pub struct Bisphosphonate {
    /// Oral absorption rate (1/day); 0 for intravenous-only drugs.
    pub ka: f64,
    /// Oral bioavailability; 0 for intravenous-only drugs.
    pub f: f64,
    /// Central volume (L).
    pub volume_l: f64,
    /// Renal elimination rate (1/day).
    pub k_renal: f64,
    /// Uptake rate into bone (1/day).
    pub k_bone: f64,
    /// Bone-bound amount of half-maximal effect (mg).
    pub ec50_mg: f64,
    /// Largest relative rise of osteoclast apoptosis.
    pub emax: f64,
    /// ng/mL to pM.
    pub ng_per_ml_to_pm: f64,
}

impl Bisphosphonate {
    /// Reads `<drug>.*`; `oral` says whether the file has `ka` and `F`.
    pub fn from_params(p: &impl ParamValues, drug: &str, oral: bool) -> Self {
        let v = |k: &str| p.value(&format!("{drug}.{k}"));
        let volume_l = v("V");
        Bisphosphonate {
            ka: if oral { v("ka") } else { 0.0 },
            f: if oral { v("F") } else { 0.0 },
            volume_l,
            k_renal: v("CL_renal") / volume_l,
            k_bone: v("CL_bone") / volume_l,
            ec50_mg: v("EC50"),
            emax: v("Emax"),
            ng_per_ml_to_pm: 1e6 / v("molar_mass"),
        }
    }

    /// Plasma concentration (ng/mL) of a central amount (mg).
    #[inline]
    pub fn concentration(&self, central_mg: f64) -> f64 {
        1e3 * central_mg / self.volume_l
    }

    /// Factor on osteoclast apoptosis from the bone-bound amount (mg).
    #[inline]
    pub fn apoptosis_factor(&self, bone_mg: f64) -> f64 {
        if bone_mg == 0.0 {
            return 1.0;
        }
        1.0 + emax(bone_mg, self.ec50_mg, self.emax)
    }

    /// (d gut/dt, d central/dt, d bone/dt) in mg/day; `release` is the rate (1/day) at which
    /// bone, and the drug bound to it, is resorbed.
    #[inline]
    pub fn rates(&self, gut_mg: f64, central_mg: f64, bone_mg: f64, release: f64) -> [f64; 3] {
        let absorption = self.ka * gut_mg;
        let uptake = self.k_bone * central_mg;
        let released = release * bone_mg;
        [
            -absorption,
            self.f * absorption - self.k_renal * central_mg - uptake + released,
            uptake - released,
        ]
    }

    /// Absorption from the gut (`ka`, oral drugs only) and clearance of the central compartment
    /// by the kidneys and into bone (`(CL_renal + CL_bone)/V`). Release from the bone-bound pool
    /// follows bone resorption (years), a state of the model rather than a parameter: it has no
    /// half-life here.
    pub fn half_lives(&self, oral: bool) -> Vec<HalfLife> {
        let central = usize::from(oral);
        let clearance = HalfLife::of(
            central,
            "elimination",
            "ln 2 / ((CL_renal + CL_bone)/V)",
            self.k_renal + self.k_bone,
        );
        if oral {
            vec![
                HalfLife::of(0, "absorption", "ln 2 / ka", self.ka),
                clearance,
            ]
        } else {
            vec![clearance]
        }
    }
}

/// Denosumab pharmacokinetics (one compartment, first-order absorption, linear and
/// Michaelis-Menten elimination; Martinez-Reina & Pivonka 2019) and its RANKL binding.
#[derive(Debug, Clone, Copy)]
pub struct Denosumab {
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
    pub ng_per_ml_to_pm: f64,
    /// Binding strength reaching RANKL, chi K_A (1/pM).
    pub binding: f64,
}

impl Denosumab {
    /// Reads `denosumab.*`.
    pub fn from_params(p: &impl ParamValues) -> Self {
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
    pub fn concentration(&self, central_mg: f64) -> f64 {
        central_mg * NG_PER_MG / self.volume_ml
    }

    /// (d depot/dt, d central/dt) in mg/day.
    #[inline]
    pub fn rates(&self, depot_mg: f64, central_mg: f64) -> (f64, f64) {
        let c = self.concentration(central_mg);
        let absorption = self.ka * depot_mg;
        (
            -absorption,
            self.f * absorption - self.kel * central_mg - self.vmax_mg_per_day * c / (self.km + c),
        )
    }

    /// Absorption from the depot (`ka`) and elimination at low concentration, where it is
    /// fastest: the Michaelis-Menten term `Vmax C/(Km + C)` is then `Vmax/(Km Vc)` per day
    /// (per unit of central amount), added to the linear `kel`. At the concentrations after a
    /// 60 mg dose the Michaelis-Menten part is saturated and elimination is slower, so this is
    /// the shortest elimination half-life the drug can have.
    pub fn half_lives(&self) -> [HalfLife; 2] {
        let mm = self.vmax_mg_per_day * NG_PER_MG / (self.km * self.volume_ml);
        [
            HalfLife::of(0, "absorption", "ln 2 / ka", self.ka),
            HalfLife::of(
                1,
                "elimination at low concentration",
                "ln 2 / (kel + Vmax/(Km Vc))",
                self.kel + mm,
            ),
        ]
    }
}

/// Osteoblastic PTH signalling for survival: the mechanism that makes intermittent PTH anabolic
/// and continuous PTH catabolic from the same equations.
///
/// PTH's catabolic actions (more RANKL, less OPG; core model) follow the PTH level, and grow with
/// the average exposure. The survival signal is a steep (cooperative, high-threshold) function of
/// PTH, `s = PTH^n / (PTH^n + K^n)` with `K` well above the basal level, so that it is switched
/// on by the peaks of daily injections but hardly by the same daily dose spread out evenly; it
/// drives an osteoblast survival programme `G` (CREB/BCL2-like, Bellido 2003; OpenBoneMin's
/// PTH -> CREB -> BCL2 pathway) that outlasts each peak: `dG/dt = k_G (s - G)`.
/// The factor on osteoblast apoptosis is `1 / (1 + I (G - G_ref))`.
#[derive(Debug, Clone, Copy)]
pub struct PthSurvival {
    /// Half-saturation of the survival signal (pM).
    pub k_pth: f64,
    /// Hill coefficient.
    pub n: f64,
    /// Turnover of the survival programme (1/day).
    pub k_g: f64,
    /// Strength of the survival programme on apoptosis.
    pub i_apo: f64,
    /// Survival programme at the steady state.
    pub g_ref: f64,
}

/// The PTH survival signal's parameters (`params/models/immunoporosis.toml`).
pub const PTH_SURVIVAL: [ParamSpec; 4] = [
    param("pth_survival.K_PTH", "pM"),
    param("pth_survival.n", "1"),
    param("pth_survival.k_G", "1/day"),
    param("pth_survival.I_OBapo", "1"),
];

impl PthSurvival {
    /// Reads `pth_survival.*`.
    pub fn from_params(p: &impl ParamValues) -> Self {
        PthSurvival {
            k_pth: p.value("pth_survival.K_PTH"),
            n: p.value("pth_survival.n"),
            k_g: p.value("pth_survival.k_G"),
            i_apo: p.value("pth_survival.I_OBapo"),
            g_ref: f64::NAN,
        }
    }

    /// The survival signal at a PTH concentration (pM).
    #[inline]
    pub fn signal(&self, pth_pm: f64) -> f64 {
        let x = (pth_pm / self.k_pth).powf(self.n);
        x / (1.0 + x)
    }

    /// dG/dt (1/day).
    #[inline]
    pub fn rate(&self, pth_pm: f64, g: f64) -> f64 {
        self.k_g * (self.signal(pth_pm) - g)
    }

    /// Factor on osteoblast apoptosis (exactly 1 at the steady state).
    #[inline]
    pub fn ob_apoptosis_factor(&self, g: f64) -> f64 {
        if self.g_ref.is_nan() {
            return 1.0;
        }
        1.0 / (1.0 + self.i_apo * (g - self.g_ref))
    }
}

//! Drugs: one declaration per drug (`registry.rs`), the pharmacokinetic equations (`pk.rs`), and
//! a dosed drug at run time ([`Dosed`]: its compartments in the state vector, its rates and where
//! it acts).
//!
//! Everything else is derived from the registry: the compartments in a run's state layout and
//! their columns, the concentration columns `<drug>_ng_per_mL` and `<drug>_pM`, the dose routes,
//! the parameter list and the embedded parameter files (`model::Layout::new`,
//! `ModelId::bundled_drugs`). Adding a drug is one declaration in `registry.rs` and one file
//! `params/drugs/<drug>.toml` (ARCHITECTURE.md, "How to add a drug").

pub mod pk;
mod registry;

use super::bone::Attachments;
use super::immune::{Drives, Handle};
use super::{DerivedSpec, Domain, ParamSpec, StateKind, StateSpec};
use crate::params::ParamValues;
pub use pk::{
    Bisphosphonate, Denosumab, HalfLife, OneCompartment, PTH_SURVIVAL, PthSurvival, emax,
};
pub use registry::DRUGS;

/// One compartment of a drug: a state holding an amount in mg, empty at the steady state.
#[derive(Debug, Clone, Copy)]
pub struct Compartment {
    /// State symbol, for `[initial_state]`, `atol_states` and reports, e.g. `Den_central`.
    pub symbol: &'static str,
    /// Column in `timeseries.csv`, `<drug>_<compartment>_mg`.
    pub column: &'static str,
    /// One line for `immunoporosis list`.
    pub description: &'static str,
}

impl Compartment {
    /// The compartment as a state of the model.
    pub fn state(&self) -> StateSpec {
        StateSpec {
            name: self.symbol,
            unit: "mg",
            column: self.column,
            kind: StateKind::Accumulator { reference: 0.0 },
            domain: Domain::NonNegative,
            description: self.description,
        }
    }
}

/// A way a drug can be given: the compartment that receives each dose, and the largest
/// labelled single dose by this route (mg; `docs/model.md` lists the labels).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `SC`, `IV` or `oral`.
    pub route: &'static str,
    /// Index of the receiving compartment in [`Drug::compartments`].
    pub compartment: usize,
    /// Largest labelled single dose (mg).
    pub labelled_mg: f64,
}

/// The pharmacokinetic form of a drug; it fixes the compartments, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pk {
    /// Depot (SC or gut) and central compartment, linear elimination, an Emax effect of the
    /// central concentration ([`OneCompartment`]); `c50` and `max` name the effect parameters
    /// in the drug's file (empty when the drug has none).
    OneCompartment {
        /// Name of the half-maximal (or reference) concentration parameter.
        c50: &'static str,
        /// Name of the largest-effect parameter.
        max: &'static str,
    },
    /// Depot and central compartment with linear and Michaelis-Menten elimination
    /// ([`Denosumab`]).
    Denosumab,
    /// A bisphosphonate ([`Bisphosphonate`]): gut (when `oral`), central, bone-bound pool.
    Bisphosphonate {
        /// Whether the drug is taken by mouth (has a gut compartment and `ka`, `F`).
        oral: bool,
    },
}

impl Pk {
    /// Number of compartments of this form.
    pub const fn compartments(self) -> usize {
        match self {
            Pk::OneCompartment { .. } | Pk::Denosumab => 2,
            Pk::Bisphosphonate { oral: true } => 3,
            Pk::Bisphosphonate { oral: false } => 2,
        }
    }
}

/// Where and how a drug acts on the model (each is explained in `docs/drugs.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Multiplies the TNF-alpha drive by `1 - effect` (anti-TNF antibodies).
    InhibitsTnf,
    /// Multiplies the IL-17 drive by `1 - effect` (anti-IL-17A).
    InhibitsIl17,
    /// Multiplies the IL-6 drive by `1 - effect` (anti-IL-6 receptor).
    InhibitsIl6,
    /// Multiplies sclerostin by `1 - effect` (anti-sclerostin).
    InhibitsSclerostin,
    /// Multiplies JAK/STAT signalling by `1 - effect` (JAK inhibitors).
    InhibitsJakStat,
    /// Adds `effect` to the CTLA-4 signal, in Treg equivalents (CTLA-4-Ig).
    AddsCtla4,
    /// Multiplies the Treg polarisation drive by `1 + effect` (low-dose IL-2).
    MultipliesTregDrive,
    /// Adds `C / c50` to estrogen relative to premenopausal (hormone therapy).
    AddsEstrogen,
    /// Adds `D_PTH C` (pM/day) to the core's PTH source: a concentration C of PTH 1-34 is a
    /// source that keeps it there (teriparatide).
    AddsPthSource,
    /// An extra RANKL binding partner: adds `chi K_A C` to the core's RANKL decoy (anti-RANKL).
    RanklDecoy,
    /// Multiplies osteoclast apoptosis by the bone-bound pool's factor (bisphosphonates).
    OsteoclastApoptosisFromBone,
}

/// One drug: everything the program knows about it, declared once in `registry.rs`.
#[derive(Debug)]
pub struct Drug {
    /// Name, as in `[[treatment]] drug` and the parameter names `<name>.<symbol>`.
    pub name: &'static str,
    /// Compartments, in the order of [`Pk::compartments`] for its PK form.
    pub compartments: &'static [Compartment],
    /// The routes it can be given by.
    pub routes: &'static [Route],
    /// Pharmacokinetic form.
    pub pk: Pk,
    /// Where and how it acts.
    pub action: Action,
    /// Its parameter file (path, text embedded with `include_str!`).
    pub params_file: (&'static str, &'static str),
    /// Every parameter it reads, with its required unit.
    pub params: &'static [ParamSpec],
    /// Serum concentration columns: `<name>_ng_per_mL`, `<name>_pM`.
    pub concentration_columns: [DerivedSpec; 2],
}

/// A drug of the registry, by its position in [`DRUGS`] (which is also its order in a layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DrugId(usize);

impl DrugId {
    /// Every drug, in registry order.
    pub fn all() -> impl Iterator<Item = DrugId> {
        (0..DRUGS.len()).map(DrugId)
    }

    /// Looks a drug up by name.
    pub fn from_name(name: &str) -> Option<DrugId> {
        DRUGS.iter().position(|d| d.name == name).map(DrugId)
    }

    /// The declaration.
    pub fn drug(self) -> &'static Drug {
        &DRUGS[self.0]
    }

    /// The name.
    pub fn name(self) -> &'static str {
        self.drug().name
    }
}

/// The numbers of one PK form, read from the parameters.
#[derive(Debug, Clone, Copy)]
enum PkModel {
    One(OneCompartment),
    Denosumab(Denosumab),
    Bisphosphonate { pk: Bisphosphonate, oral: bool },
}

impl PkModel {
    /// Reads the parameters of drug `id`'s PK form.
    fn from_params(id: DrugId, p: &impl ParamValues) -> PkModel {
        let drug = id.drug();
        match drug.pk {
            Pk::OneCompartment { c50, max } => {
                PkModel::One(OneCompartment::from_params(p, drug.name, c50, max))
            }
            Pk::Denosumab => PkModel::Denosumab(Denosumab::from_params(p)),
            Pk::Bisphosphonate { oral } => PkModel::Bisphosphonate {
                pk: Bisphosphonate::from_params(p, drug.name, oral),
                oral,
            },
        }
    }
}

/// The half-lives of drug `id`'s first-order PK processes (absorption, elimination), from its
/// parameters in `p` (overrides included), one function per PK form (`pk.rs`).
pub fn half_lives(id: DrugId, p: &impl ParamValues) -> Vec<HalfLife> {
    match PkModel::from_params(id, p) {
        PkModel::One(d) => d.half_lives().to_vec(),
        PkModel::Denosumab(d) => d.half_lives().to_vec(),
        PkModel::Bisphosphonate { pk, oral } => pk.half_lives(oral),
    }
}

/// A dosed drug in a built model: its pharmacokinetics, its action, and where its compartments
/// start in the state vector.
#[derive(Debug, Clone, Copy)]
pub struct Dosed {
    pk: PkModel,
    action: Action,
    /// Index of its first compartment in the state vector.
    pub first: usize,
    /// Number of compartments.
    pub len: usize,
}

impl Dosed {
    /// Reads the drug's parameters; its compartments start at state `first`.
    pub fn new(id: DrugId, first: usize, p: &impl ParamValues) -> Dosed {
        let drug = id.drug();
        Dosed {
            pk: PkModel::from_params(id, p),
            action: drug.action,
            first,
            len: drug.pk.compartments(),
        }
    }

    /// This drug's compartments within the whole state `y`.
    #[inline]
    pub fn amounts<'a>(&self, y: &'a [f64]) -> &'a [f64] {
        &y[self.first..self.first + self.len]
    }

    /// Serum concentration (ng/mL) and the factor from ng/mL to pM, from the compartments `a`.
    #[inline]
    pub fn concentration(&self, a: &[f64]) -> (f64, f64) {
        match &self.pk {
            PkModel::One(d) => (d.concentration(a[1]), d.ng_per_ml_to_pm),
            PkModel::Denosumab(d) => (d.concentration(a[1]), d.ng_per_ml_to_pm),
            PkModel::Bisphosphonate { pk, oral } => {
                (pk.concentration(a[usize::from(*oral)]), pk.ng_per_ml_to_pm)
            }
        }
    }

    /// Writes d/dt of the compartments `a` into `da` (mg/day); `release` is the rate (1/day) at
    /// which bone, and drug bound to it, is resorbed.
    #[inline]
    pub fn rates(&self, a: &[f64], release: f64, da: &mut [f64]) {
        match &self.pk {
            PkModel::One(d) => (da[0], da[1]) = d.rates(a[0], a[1]),
            PkModel::Denosumab(d) => (da[0], da[1]) = d.rates(a[0], a[1]),
            PkModel::Bisphosphonate { pk, oral: true } => {
                let [gut, central, bone] = pk.rates(a[0], a[1], a[2], release);
                (da[0], da[1], da[2]) = (gut, central, bone);
            }
            PkModel::Bisphosphonate { pk, oral: false } => {
                let [_, central, bone] = pk.rates(0.0, a[0], a[1], release);
                (da[0], da[1]) = (central, bone);
            }
        }
    }

    /// The Emax effect of a one-compartment drug (0 for other forms).
    #[inline]
    fn effect(&self, a: &[f64]) -> f64 {
        match &self.pk {
            PkModel::One(d) => d.effect(a[1]),
            _ => 0.0,
        }
    }

    /// Applies the drug's action on the immune module's drives, from the compartments `a`.
    #[inline]
    pub fn act_on_drives(&self, a: &[f64], d: &mut Drives) {
        match self.action {
            Action::InhibitsTnf => d.factors[Handle::Tnf] *= 1.0 - self.effect(a),
            Action::InhibitsIl17 => d.factors[Handle::Il17] *= 1.0 - self.effect(a),
            Action::InhibitsIl6 => d.factors[Handle::Il6] *= 1.0 - self.effect(a),
            Action::InhibitsSclerostin => d.factors[Handle::Sclerostin] *= 1.0 - self.effect(a),
            Action::InhibitsJakStat => d.factors[Handle::Jak] *= 1.0 - self.effect(a),
            Action::AddsCtla4 => d.ctla4 += self.effect(a),
            Action::MultipliesTregDrive => d.factors[Handle::Treg] *= 1.0 + self.effect(a),
            Action::AddsEstrogen => {
                if let PkModel::One(e2) = &self.pk {
                    d.estrogen += e2.concentration(a[1]) / e2.c50;
                }
            }
            Action::AddsPthSource | Action::RanklDecoy | Action::OsteoclastApoptosisFromBone => {}
        }
    }

    /// Applies the drug's action on the core's attachment points, from the compartments `a`;
    /// `d_pth` is PTH clearance (1/day), which turns a PTH concentration into a source.
    #[inline]
    pub fn act_on_core(&self, a: &[f64], core: &mut Attachments, d_pth: f64) {
        match (self.action, &self.pk) {
            (Action::RanklDecoy, PkModel::Denosumab(den)) => {
                let pm = den.concentration(a[1]) * den.ng_per_ml_to_pm;
                core.rankl_decoy += den.binding * pm;
            }
            (Action::AddsPthSource, PkModel::One(d)) => {
                let pm = d.concentration(a[1]) * d.ng_per_ml_to_pm;
                core.p_pth_d += d_pth * pm;
            }
            (Action::OsteoclastApoptosisFromBone, PkModel::Bisphosphonate { pk, oral }) => {
                core.oc_apoptosis *= pk.apoptosis_factor(a[1 + usize::from(*oral)]);
            }
            _ => {}
        }
    }
}

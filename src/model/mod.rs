//! The bone-cell population models: their states, inputs, parameters and right-hand sides.
//!
//! Every model implements [`Model`]. The equations of each model live in one function,
//! `rhs`, in the model's own file, built from the named signalling terms of [`signaling`].
//! Nothing in this module does I/O, knows TOML, or calls a solver.

pub mod bone;
pub mod drugs;
pub mod immune;
pub mod immunoporosis;
pub mod lemaire2004;
pub mod pivonka2008;
pub mod signaling;

use crate::params::ParamSet;
use nalgebra::SVector;

/// Days in a Julian year, used to convert per-year rates (turnover) into per-day rates.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Upper bound on the number of external inputs of any model (inputs live in a fixed-size array).
pub const MAX_INPUTS: usize = 32;

/// Values of a model's external inputs, indexed as in [`Model::INPUTS`].
pub type InputValues = [f64; MAX_INPUTS];

/// Whether a state takes part in the steady-state problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StateKind {
    /// A cell population: it has an isolated steady state.
    Dynamic,
    /// A pure accumulator (bone volume, BMD), which integrates the cells' imbalance, or a drug
    /// compartment, which is empty without dosing: it starts at its reference value and is held
    /// there in the steady-state search.
    Accumulator {
        /// Value at the start of a run from steady state.
        reference: f64,
    },
}

/// The physical domain of a state or read-out: the values it can take in reality. The engine
/// checks every state after each segment and every state and read-out at each output row; a value
/// outside its domain (beyond the solver's tolerance, see [`Domain::tolerance`]) ends the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Domain {
    /// Populations, concentrations, amounts and relative levels of such quantities: `x >= 0`.
    NonNegative,
    /// `lo <= x <= hi` (either bound may be infinite): bone volume, mineral content, changes in %.
    Range(f64, f64),
    /// Any finite value.
    Any,
}

impl Domain {
    /// Multiple of the solver's error scale within which a value still counts as inside its
    /// domain: the error scale is `atol + rtol * m`, with `m` the largest magnitude the column
    /// has reached before (a solution that decays to zero may undershoot by this much).
    pub const TOLERANCE_MULTIPLE: f64 = 10.0;

    /// The tolerance (in the column's unit) for absolute tolerance `atol`, relative tolerance
    /// `rtol` and largest magnitude so far `largest`.
    pub fn tolerance(atol: f64, rtol: f64, largest: f64) -> f64 {
        Self::TOLERANCE_MULTIPLE * (atol + rtol * largest)
    }

    /// Whether `x` lies in the domain, allowing `tol` beyond either bound.
    pub fn contains(self, x: f64, tol: f64) -> bool {
        match self {
            Domain::NonNegative => x >= -tol,
            Domain::Range(lo, hi) => x >= lo - tol && x <= hi + tol,
            Domain::Any => true,
        }
    }

    /// The domain in words, e.g. `>= 0` or `between 0 and 400`.
    pub fn describe(self) -> String {
        match self {
            Domain::NonNegative => ">= 0".to_string(),
            Domain::Range(lo, hi) if hi == f64::INFINITY => format!(">= {lo}"),
            Domain::Range(lo, hi) if lo == f64::NEG_INFINITY => format!("<= {hi}"),
            Domain::Range(lo, hi) => format!("between {lo} and {hi}"),
            Domain::Any => "any finite value".to_string(),
        }
    }
}

/// One state variable.
#[derive(Debug, Clone, Copy)]
pub struct StateSpec {
    /// Symbol used in scenarios (`initial_state`) and reports, e.g. `OBp`.
    pub name: &'static str,
    /// Unit of the state.
    pub unit: &'static str,
    /// Column in `timeseries.csv`, `<symbol>_<unit>`.
    pub column: &'static str,
    /// Role in the steady-state problem.
    pub kind: StateKind,
    /// Physical domain (checked during a run).
    pub domain: Domain,
    /// One line for `immunoporosis list`.
    pub description: &'static str,
}

/// How windows of the same input combine, and the input's value outside every window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A rate added to a production term; 0 outside windows; overlapping windows add.
    Additive,
    /// A factor on a rate (an attachment point); 1 outside windows; overlapping windows multiply.
    Multiplier,
}

impl InputKind {
    /// The value of an input that no window sets.
    pub fn neutral(self) -> f64 {
        match self {
            InputKind::Additive => 0.0,
            InputKind::Multiplier => 1.0,
        }
    }
}

/// One external input (dosing, disease drive, attachment point).
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    /// Name used in scenarios.
    pub name: &'static str,
    /// Unit the scenario must state.
    pub unit: &'static str,
    /// Combination rule and neutral value.
    pub kind: InputKind,
    /// Plausible values (lowest, highest), in `unit`: a scenario value outside gives a warning
    /// (not an error). Each range is justified in `docs/model.md`.
    pub range: (f64, f64),
    /// One line for `immunoporosis list`.
    pub description: &'static str,
}

/// A parameter the model reads, with the unit the parameter file must give.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Dotted name, `<group>.<symbol>`.
    pub name: &'static str,
    /// Required unit string.
    pub unit: &'static str,
}

/// A way a drug can be given: the state (an amount in mg) that receives each dose.
#[derive(Debug, Clone, Copy)]
pub struct DoseRoute {
    /// Drug name, as in `[[treatment]]`.
    pub drug: &'static str,
    /// Route: `SC`, `IV` or `oral`.
    pub route: &'static str,
    /// Index of the receiving state (unit mg).
    pub state: usize,
    /// Largest labelled single dose by this route (mg); a scenario dose above
    /// [`DoseRoute::PLAUSIBLE_MULTIPLE`] times it gives a warning (`docs/model.md`).
    pub labelled_mg: f64,
}

impl DoseRoute {
    /// Multiple of the labelled dose above which a dose is implausible.
    pub const PLAUSIBLE_MULTIPLE: f64 = 100.0;
}

/// An output column that is computed from the state (and inputs), not integrated.
#[derive(Debug, Clone, Copy)]
pub struct DerivedSpec {
    /// Column name in `timeseries.csv`.
    pub column: &'static str,
    /// Physical domain (checked at every output row).
    pub domain: Domain,
    /// One line for the README and `list`.
    pub description: &'static str,
}

/// One figure: which columns to draw, and how.
#[derive(Debug, Clone, Copy)]
pub struct PlotSpec {
    /// File stem (`<stem>.png`, `<stem>.svg`).
    pub file_stem: &'static str,
    /// Figure title.
    pub title: &'static str,
    /// Y axis label with unit.
    pub y_label: &'static str,
    /// (column, legend label, offset subtracted before drawing).
    pub series: &'static [(&'static str, &'static str, f64)],
}

/// A bone-cell population model with `N` states.
///
/// Within an integration segment the inputs are constant or smooth functions of time, handed to
/// every call; the right-hand side has no time switches.
pub trait Model<const N: usize>: Clone + Send + Sync {
    /// Name used in scenarios.
    const NAME: &'static str;
    /// The states, in vector order.
    const STATES: [StateSpec; N];
    /// The external inputs, in [`InputValues`] order.
    const INPUTS: &'static [InputSpec];
    /// Every parameter the model reads, with its required unit.
    const PARAMS: &'static [ParamSpec];
    /// Output columns computed from the state.
    const DERIVED: &'static [DerivedSpec];
    /// Figures drawn for a run.
    const PLOTS: &'static [PlotSpec];
    /// Drugs the model can be given, and where each dose goes.
    const DOSE_ROUTES: &'static [DoseRoute] = &[];

    /// Builds the model from a validated parameter set (every name in [`Model::PARAMS`] present,
    /// with the right unit).
    fn from_params(p: &ParamSet) -> Self;

    /// Records the steady state that normalised read-outs (bone, markers) refer to.
    fn set_reference(&mut self, _steady_state: &SVector<f64, N>) {}

    /// The right-hand side dy/dt at time `t` (days) with input values `u`
    /// (in [`Model::INPUTS`] order; constant or smooth in `t` within a segment).
    fn rhs(&self, t: f64, y: &SVector<f64, N>, u: &InputValues, dy: &mut SVector<f64, N>);

    /// Writes the derived outputs at state `y` and inputs `u`, in [`Model::DERIVED`] order.
    fn derived(&self, _y: &SVector<f64, N>, _u: &InputValues, _out: &mut [f64]) {}

    /// A starting guess for the steady-state search: a scale hint, not a published value.
    fn steady_state_guess(&self) -> SVector<f64, N> {
        let mut y = SVector::<f64, N>::from_element(1e-3);
        for (i, s) in Self::STATES.iter().enumerate() {
            if let StateKind::Accumulator { reference } = s.kind {
                y[i] = reference;
            }
        }
        y
    }
}

/// Input values with every input at its neutral value.
pub fn neutral_inputs(specs: &[InputSpec]) -> InputValues {
    let mut u = [0.0; MAX_INPUTS];
    for (i, s) in specs.iter().enumerate() {
        u[i] = s.kind.neutral();
    }
    u
}

/// The models this build knows, by scenario name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelId {
    /// Lemaire et al. 2004, as BioModels BIOMD0000000278.
    Lemaire2004,
    /// Pivonka et al. 2008.
    Pivonka2008,
    /// The project's core model: Pivonka 2008 with an osteoclast-precursor pool, bone and markers.
    Bone,
    /// The core model with the immune module (T and B cells, innate cells, cytokines, estrogen).
    Immunoporosis,
}

impl ModelId {
    /// Every model, in listing order.
    pub const ALL: [ModelId; 4] = [
        ModelId::Immunoporosis,
        ModelId::Bone,
        ModelId::Pivonka2008,
        ModelId::Lemaire2004,
    ];

    /// Scenario name of the model.
    pub fn name(self) -> &'static str {
        match self {
            ModelId::Lemaire2004 => lemaire2004::Lemaire2004::NAME,
            ModelId::Pivonka2008 => pivonka2008::Pivonka2008::NAME,
            ModelId::Bone => bone::Bone::NAME,
            ModelId::Immunoporosis => immunoporosis::Immunoporosis::NAME,
        }
    }

    /// Looks a model up by its scenario name.
    pub fn from_name(name: &str) -> Option<ModelId> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// One-line description.
    pub fn title(self) -> &'static str {
        match self {
            ModelId::Lemaire2004 => {
                "Lemaire et al. 2004 (J Theor Biol 229:293), R/B/C, exactly as BioModels BIOMD0000000278"
            }
            ModelId::Pivonka2008 => {
                "Pivonka et al. 2008 (Bone 43:249), OBp/OBa/OCa with quasi-steady TGF-b, PTH, RANKL/RANK/OPG"
            }
            ModelId::Bone => {
                "core model: Pivonka 2008 + osteoclast-precursor pool, bone volume, site BMD, CTX/P1NP, attachment points"
            }
            ModelId::Immunoporosis => {
                "core model + immune module: Th1/Th2/Th17/Treg, B cells, macrophages, cytokines, JAK/STAT, Wnt, estrogen"
            }
        }
    }

    /// The bundled parameter file, embedded at compile time from `params/models/`.
    pub fn bundled_params(self) -> (&'static str, &'static str) {
        match self {
            ModelId::Lemaire2004 => (
                "params/models/lemaire2004.toml",
                include_str!("../../params/models/lemaire2004.toml"),
            ),
            ModelId::Pivonka2008 => (
                "params/models/pivonka2008.toml",
                include_str!("../../params/models/pivonka2008.toml"),
            ),
            ModelId::Bone => (
                "params/models/bone.toml",
                include_str!("../../params/models/bone.toml"),
            ),
            ModelId::Immunoporosis => (
                "params/models/immunoporosis.toml",
                include_str!("../../params/models/immunoporosis.toml"),
            ),
        }
    }

    /// The bundled parameter files of the drugs this model can be given: (drug, path, text).
    pub fn bundled_drugs(self) -> Vec<(&'static str, &'static str, &'static str)> {
        match self {
            ModelId::Immunoporosis => {
                macro_rules! drug {
                    ($name:literal) => {
                        (
                            $name,
                            concat!("params/drugs/", $name, ".toml"),
                            include_str!(concat!("../../params/drugs/", $name, ".toml")),
                        )
                    };
                }
                vec![
                    drug!("denosumab"),
                    drug!("adalimumab"),
                    drug!("infliximab"),
                    drug!("secukinumab"),
                    drug!("tocilizumab"),
                    drug!("romosozumab"),
                    drug!("tofacitinib"),
                    drug!("baricitinib"),
                    drug!("abatacept"),
                    drug!("aldesleukin"),
                    drug!("teriparatide"),
                    drug!("estradiol"),
                    drug!("alendronate"),
                    drug!("zoledronate"),
                ]
            }
            _ => Vec::new(),
        }
    }

    /// Static description of the model's interface.
    pub fn spec(self) -> ModelSpec {
        fn of<const N: usize, M: Model<N>>() -> ModelSpec {
            ModelSpec {
                name: M::NAME,
                states: M::STATES.to_vec(),
                inputs: M::INPUTS,
                params: M::PARAMS,
                derived: M::DERIVED,
                plots: M::PLOTS,
                dose_routes: M::DOSE_ROUTES,
            }
        }
        match self {
            ModelId::Lemaire2004 => of::<3, lemaire2004::Lemaire2004>(),
            ModelId::Pivonka2008 => of::<3, pivonka2008::Pivonka2008>(),
            ModelId::Bone => of::<{ bone::N }, bone::Bone>(),
            ModelId::Immunoporosis => of::<{ immunoporosis::N }, immunoporosis::Immunoporosis>(),
        }
    }
}

/// The interface of a model without its dimension in the type, for configuration and output.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Scenario name.
    pub name: &'static str,
    /// States in vector order.
    pub states: Vec<StateSpec>,
    /// External inputs.
    pub inputs: &'static [InputSpec],
    /// Parameters with required units.
    pub params: &'static [ParamSpec],
    /// Derived output columns.
    pub derived: &'static [DerivedSpec],
    /// Figures.
    pub plots: &'static [PlotSpec],
    /// Drugs the model can be given.
    pub dose_routes: &'static [DoseRoute],
}

/// A parameter declaration: dotted name and required unit.
pub(crate) const fn param(name: &'static str, unit: &'static str) -> ParamSpec {
    ParamSpec { name, unit }
}

/// Joins several declaration lists at compile time (`C` must be the sum of their lengths, and the
/// first list not empty).
pub(crate) const fn flatten<T: Copy, const C: usize>(parts: &[&[T]]) -> [T; C] {
    let mut out = [parts[0][0]; C];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == C, "flatten: C must equal the total length");
    out
}

/// Joins two declaration lists at compile time (`C` must be `A + B`, and `A` at least 1).
pub(crate) const fn concat<T: Copy, const A: usize, const B: usize, const C: usize>(
    a: [T; A],
    b: [T; B],
) -> [T; C] {
    assert!(A + B == C, "concat: C must equal A + B");
    let mut out = [a[0]; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    out
}

//! The bone-cell population models: their states, inputs, parameters and right-hand sides.
//!
//! Every model implements [`Model`]. The equations of each model live in one function,
//! `rhs`, in the model's own file, built from the named signalling terms of [`signaling`].
//! Nothing in this module does I/O, knows TOML, or calls a solver.

pub mod bone;
pub mod disease;
pub mod drugs;
pub mod immune;
pub mod immunoporosis;
pub mod lemaire2004;
pub mod pivonka2008;
pub mod signaling;

use crate::params::ParamValues;
pub use drugs::DrugId;
use std::sync::{Arc, Mutex};

/// Days in a Julian year, used to convert per-year rates (turnover) into per-day rates.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Upper bound on the number of external inputs of any model (inputs live in a fixed-size array).
pub const MAX_INPUTS: usize = 48;

/// Values of a model's external inputs, indexed as in [`Layout::inputs`].
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
    pub const fn neutral(self) -> f64 {
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

/// The static description of a model: everything about it that does not depend on a scenario.
/// The state layout of a run adds the compartments of the drugs it doses ([`Layout::new`]).
#[derive(Debug)]
pub struct ModelInfo {
    /// Name used in scenarios.
    pub name: &'static str,
    /// One-line description.
    pub title: &'static str,
    /// The bundled parameter file (path, text embedded with `include_str!`).
    pub params_file: (&'static str, &'static str),
    /// The model's own states (without drug compartments), in vector order.
    pub states: &'static [StateSpec],
    /// The external inputs, in [`InputValues`] order.
    pub inputs: &'static [InputSpec],
    /// Every parameter the model itself reads, with its required unit (drug parameters come
    /// from the drug registry).
    pub params: &'static [ParamSpec],
    /// Output columns computed from the state (without drug concentration columns).
    pub derived: &'static [DerivedSpec],
    /// Figures drawn for a run.
    pub plots: &'static [PlotSpec],
    /// Whether the model can be given the drugs of the registry ([`drugs::DRUGS`]).
    pub takes_drugs: bool,
}

/// The interface of a model as built for one run: its own states and read-outs followed by the
/// compartments and concentration columns of the drugs the run doses (in registry order), the
/// dose routes of those drugs, and the parameter list. Built once per run, when the scenario is
/// loaded and again when the model is built; no right-hand side reads it.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Scenario name of the model.
    pub name: &'static str,
    /// States in vector order: the model's own, then each dosed drug's compartments.
    pub states: Vec<StateSpec>,
    /// External inputs.
    pub inputs: &'static [InputSpec],
    /// Parameters with required units: the model's own and those of every drug it can be given
    /// (every parameter file is validated and recorded, dosed or not).
    pub params: Vec<ParamSpec>,
    /// Derived output columns: the model's own, then each dosed drug's concentrations.
    pub derived: Vec<DerivedSpec>,
    /// Figures (one whose column is absent from the run is skipped with a reason).
    pub plots: &'static [PlotSpec],
    /// Dose routes of the dosed drugs, each with the index of its receiving state.
    pub dose_routes: Vec<DoseRoute>,
    /// The dosed drugs, in registry (and state) order, each with the index of its first state.
    pub drugs: Vec<(DrugId, usize)>,
    /// Whether the model can be given drugs at all.
    pub takes_drugs: bool,
}

impl Layout {
    /// The layout of `info` with the compartments of `drugs` (registry order, duplicates
    /// ignored). A model that takes no drugs ignores `drugs`.
    pub fn new(info: &'static ModelInfo, drugs: &[DrugId]) -> Layout {
        let mut layout = Layout {
            name: info.name,
            states: info.states.to_vec(),
            inputs: info.inputs,
            params: info.params.to_vec(),
            derived: info.derived.to_vec(),
            plots: info.plots,
            dose_routes: Vec::new(),
            drugs: Vec::new(),
            takes_drugs: info.takes_drugs,
        };
        if !info.takes_drugs {
            return layout;
        }
        layout
            .params
            .extend(drugs::DRUGS.iter().flat_map(|d| d.params.iter().copied()));
        for id in DrugId::all().filter(|id| drugs.contains(id)) {
            let drug = id.drug();
            let first = layout.states.len();
            layout.drugs.push((id, first));
            layout
                .states
                .extend(drug.compartments.iter().map(|c| c.state()));
            layout.derived.extend(drug.concentration_columns);
            layout
                .dose_routes
                .extend(drug.routes.iter().map(|r| DoseRoute {
                    drug: drug.name,
                    route: r.route,
                    state: first + r.compartment,
                    labelled_mg: r.labelled_mg,
                }));
        }
        layout
    }

    /// Index of the state named `name`.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// Why `name` is not a state of this layout when it is the compartment of a drug the run
    /// does not dose (a drug's states exist only in runs that dose it).
    pub fn undosed_compartment(&self, name: &str) -> Option<String> {
        let drug = drugs::DRUGS
            .iter()
            .find(|d| d.compartments.iter().any(|c| c.symbol == name))?;
        self.takes_drugs.then(|| {
            format!(
                "`{name}` is a compartment of {}, which this scenario does not dose: a drug's states exist only in runs that give it",
                drug.name
            )
        })
    }

    /// Every output column after `t_day`: the states' columns, then the read-outs.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.states
            .iter()
            .map(|s| s.column)
            .chain(self.derived.iter().map(|d| d.column))
    }

    /// The initial guess for a steady-state search: accumulators at their reference, every other
    /// state at `fill`.
    pub fn guess(&self, fill: f64) -> Vec<f64> {
        self.states
            .iter()
            .map(|s| match s.kind {
                StateKind::Accumulator { reference } => reference,
                StateKind::Dynamic => fill,
            })
            .collect()
    }
}

/// A bone-cell population model, built for one run ([`ModelId::build`]).
///
/// States, derivatives and read-outs are slices in [`Layout`] order. Within an integration
/// segment the inputs are constant or smooth functions of time, handed to every call; the
/// right-hand side has no time switches and does not allocate.
pub trait Model: Clone + Send + Sync {
    /// The states, inputs, read-outs and dose routes of this model as built.
    fn layout(&self) -> &Layout;

    /// Records the steady state that normalised read-outs (bone, markers) refer to.
    fn set_reference(&mut self, steady_state: &[f64]);

    /// The right-hand side dy/dt at time `t` (days) with input values `u` (in
    /// [`Layout::inputs`] order; constant or smooth in `t` within a segment).
    fn rhs(&self, t: f64, y: &[f64], u: &InputValues, dy: &mut [f64]);

    /// Writes the derived outputs at state `y` and inputs `u`, in [`Layout::derived`] order.
    fn derived(&self, y: &[f64], u: &InputValues, out: &mut [f64]);

    /// A starting guess for the steady-state search: a scale hint, not a published value.
    fn steady_state_guess(&self) -> Vec<f64>;
}

/// Input values with every input at its neutral value.
pub fn neutral_inputs(specs: &[InputSpec]) -> InputValues {
    let mut u = [0.0; MAX_INPUTS];
    for (i, s) in specs.iter().enumerate() {
        u[i] = s.kind.neutral();
    }
    u
}

/// A layout kept by [`ModelId::shared_layout`], with its model and set of dosed drugs.
type LayoutEntry = (ModelId, Vec<DrugId>, Arc<Layout>);

/// Most layouts [`ModelId::shared_layout`] keeps (one per model and set of dosed drugs in use).
pub const LAYOUT_CACHE: usize = 64;

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

    /// The model's static description.
    pub fn info(self) -> &'static ModelInfo {
        match self {
            ModelId::Lemaire2004 => &lemaire2004::INFO,
            ModelId::Pivonka2008 => &pivonka2008::INFO,
            ModelId::Bone => &bone::INFO,
            ModelId::Immunoporosis => &immunoporosis::INFO,
        }
    }

    /// Builds the model from a validated parameter set (every name in [`Layout::params`]
    /// present, with the right unit), with the compartments of `drugs`: the one place where a
    /// model is constructed.
    pub fn build(self, params: &impl ParamValues, drugs: &[DrugId]) -> AnyModel {
        let layout = self.shared_layout(drugs);
        match self {
            ModelId::Lemaire2004 => {
                AnyModel::Lemaire2004(lemaire2004::Lemaire2004::from_params(params, layout))
            }
            ModelId::Pivonka2008 => {
                AnyModel::Pivonka2008(pivonka2008::Pivonka2008::from_params(params, layout))
            }
            ModelId::Bone => AnyModel::Bone(bone::Bone::from_params(params, layout)),
            ModelId::Immunoporosis => AnyModel::Immunoporosis(Box::new(
                immunoporosis::Immunoporosis::from_params(params, layout),
            )),
        }
    }

    /// The layout of the model with the compartments of `drugs`.
    pub fn layout(self, drugs: &[DrugId]) -> Layout {
        Layout::new(self.info(), drugs)
    }

    /// The layout of the model with `drugs`, built once per model and set of dosed drugs and
    /// shared by every model built with them (an analysis builds one model per run). At most
    /// [`LAYOUT_CACHE`] layouts are kept; beyond, each call builds its own.
    pub fn shared_layout(self, drugs: &[DrugId]) -> Arc<Layout> {
        static CACHE: Mutex<Vec<LayoutEntry>> = Mutex::new(Vec::new());
        // The key is the set of drugs as the layout sees it: registry order, each once, none
        // for a model that takes no drugs.
        let key: Vec<DrugId> = DrugId::all()
            .filter(|id| self.info().takes_drugs && drugs.contains(id))
            .collect();
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, _, layout)) = cache.iter().find(|(m, d, _)| *m == self && *d == key) {
            return Arc::clone(layout);
        }
        let layout = Arc::new(self.layout(&key));
        if cache.len() < LAYOUT_CACHE {
            cache.push((self, key, Arc::clone(&layout)));
        }
        layout
    }

    /// Scenario name of the model.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Looks a model up by its scenario name.
    pub fn from_name(name: &str) -> Option<ModelId> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// One-line description.
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// The bundled parameter file, embedded at compile time from `params/models/`.
    pub fn bundled_params(self) -> (&'static str, &'static str) {
        self.info().params_file
    }

    /// The drugs this model can be given (the registry, or none).
    pub fn drugs(self) -> &'static [drugs::Drug] {
        if self.info().takes_drugs {
            drugs::DRUGS
        } else {
            &[]
        }
    }

    /// The drugs among `names` that this model can be given, in registry order, each once
    /// (names it cannot be given are left out).
    pub fn drugs_named<'a>(self, names: impl IntoIterator<Item = &'a str>) -> Vec<DrugId> {
        let names: Vec<&str> = names.into_iter().collect();
        DrugId::all()
            .filter(|id| self.info().takes_drugs && names.contains(&id.name()))
            .collect()
    }

    /// The bundled parameter files of the drugs this model can be given: (drug, path, text).
    pub fn bundled_drugs(self) -> Vec<(&'static str, &'static str, &'static str)> {
        self.drugs()
            .iter()
            .map(|d| (d.name, d.params_file.0, d.params_file.1))
            .collect()
    }
}

/// Any of the models, built: the one dispatch from a [`ModelId`] to a model's equations. It
/// implements [`Model`] by delegation, so the engine is written once.
#[derive(Debug, Clone)]
pub enum AnyModel {
    /// See [`lemaire2004::Lemaire2004`].
    Lemaire2004(lemaire2004::Lemaire2004),
    /// See [`pivonka2008::Pivonka2008`].
    Pivonka2008(pivonka2008::Pivonka2008),
    /// See [`bone::Bone`].
    Bone(bone::Bone),
    /// See [`immunoporosis::Immunoporosis`].
    Immunoporosis(Box<immunoporosis::Immunoporosis>),
}

/// Calls `$body` with `$m` bound to the model inside `$any`.
macro_rules! delegate {
    ($any:expr, $m:ident => $body:expr) => {
        match $any {
            AnyModel::Lemaire2004($m) => $body,
            AnyModel::Pivonka2008($m) => $body,
            AnyModel::Bone($m) => $body,
            AnyModel::Immunoporosis($m) => $body,
        }
    };
}

impl Model for AnyModel {
    fn layout(&self) -> &Layout {
        delegate!(self, m => m.layout())
    }

    fn set_reference(&mut self, steady_state: &[f64]) {
        delegate!(self, m => m.set_reference(steady_state))
    }

    #[inline]
    fn rhs(&self, t: f64, y: &[f64], u: &InputValues, dy: &mut [f64]) {
        delegate!(self, m => m.rhs(t, y, u, dy))
    }

    fn derived(&self, y: &[f64], u: &InputValues, out: &mut [f64]) {
        delegate!(self, m => m.derived(y, u, out))
    }

    fn steady_state_guess(&self) -> Vec<f64> {
        delegate!(self, m => m.steady_state_guess())
    }
}

/// Views a slice as an array of length `N` (the models' fixed-size parts of the state).
///
/// # Panics
/// When `s` is shorter than `N`: a layout that does not match its model.
#[inline]
pub(crate) fn fixed<const N: usize>(s: &[f64]) -> &[f64; N] {
    s[..N]
        .try_into()
        .expect("state slice shorter than the model's layout")
}

/// [`fixed`] for a mutable slice.
#[inline]
pub(crate) fn fixed_mut<const N: usize>(s: &mut [f64]) -> &mut [f64; N] {
    (&mut s[..N])
        .try_into()
        .expect("state slice shorter than the model's layout")
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

//! Error types. Configuration errors carry file, key and line; simulation errors carry the
//! simulated time reached. The binary maps them to exit codes (2 and 1).

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

/// Text safe to print on a terminal: control characters (NUL, escape sequences, carriage
/// returns, C1 controls) and bidirectional-override characters are shown escaped (`\u{1b}`), so
/// that a file name, key or value taken from the input cannot reset, recolour or rewrite the
/// user's terminal. Line breaks are kept when `keep_newlines` (multi-line messages).
pub fn escape_control(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && (c == '\n' || c == '\t')))
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bad input: a file that cannot be read, parsed or validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// File the error is in.
    pub file: PathBuf,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// Dotted key the error is about, where known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, where we can tell.
    pub help: Option<String>,
}

impl ConfigError {
    /// An error about a whole file.
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            key: None,
            message: message.into(),
            help: None,
        }
    }

    /// An error about one key.
    pub fn key(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: file.into(),
            line,
            key: Some(key.into()),
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Everything here may echo the input (a file name, a key, a value, a line of the file):
        // control characters are escaped so that nothing reaches the terminal raw.
        let file = self.file.display().to_string();
        write!(f, "{}", escape_control(&file, false))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{}`", escape_control(key, false))?;
        }
        write!(f, ": {}", escape_control(&self.message, true))?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", escape_control(help, true))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A simulation that could not be completed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// Dopri5 detected stiffness; a stiff solver is needed.
    #[error(
        "the solver (Dopri5) detected stiffness at t = {t_day} day (after 10 resumed reports in this segment); {}",
        stiff_advice(*.method)
    )]
    Stiff {
        /// Simulated time reached.
        t_day: f64,
        /// The method in force when it happened (the advice depends on it).
        method: crate::engine::Method,
    },
    /// The stiff solver failed.
    #[error("the stiff solver (BDF) failed in the segment starting at t = {t_day} day: {reason}")]
    StiffSolver {
        /// Start of the segment.
        t_day: f64,
        /// The solver's message.
        reason: String,
    },
    /// Too many steps in one integration segment.
    #[error(
        "the solver reached its step limit (max_steps = {limit} per segment) at t = {t_day} day; raise solver.max_steps or loosen rtol/atol"
    )]
    MaxSteps {
        /// Simulated time reached.
        t_day: f64,
        /// The limit in force (`[solver] max_steps`).
        limit: u32,
    },
    /// The step size fell below machine precision.
    #[error("the solver's step size underflowed at t = {t_day} day")]
    StepSizeUnderflow {
        /// Simulated time reached.
        t_day: f64,
    },
    /// A state became NaN or infinite.
    #[error("state `{state}` became {value} at t = {t_day} day")]
    NonFinite {
        /// Simulated time reached.
        t_day: f64,
        /// State name.
        state: String,
        /// The offending value.
        value: f64,
    },
    /// A state or read-out left its physical domain (`Domain` in the model's declarations).
    #[error(
        "{what} = {value:e} at t = {t_day} day is outside its physical domain ({domain}); the run was stopped because the model no longer describes anything real: check the inputs, doses and parameters (docs/model.md, \"Physical domains\")"
    )]
    OutOfDomain {
        /// Simulated time reached.
        t_day: f64,
        /// The state or read-out, e.g. ``state `BV` (column bone_volume_pct)``.
        what: String,
        /// The offending value.
        value: f64,
        /// The domain in words, with unit.
        domain: String,
    },
    /// A calibration could not be completed.
    #[error("calibration failed: {reason}")]
    Calibration {
        /// Why.
        reason: String,
    },
    /// An analysis (sensitivity, population) could not be completed.
    #[error("analysis failed: {reason}")]
    Analysis {
        /// Why.
        reason: String,
    },
    /// No steady state could be found.
    #[error("no steady state found for model `{model}`: {reason}")]
    SteadyState {
        /// Model name.
        model: String,
        /// Why Newton and the integration fallback failed.
        reason: String,
    },
}

/// What to do about a stiffness report, given the method in force.
fn stiff_advice(method: crate::engine::Method) -> &'static str {
    match method {
        crate::engine::Method::Dopri5 | crate::engine::Method::OdeSolvers => {
            "use `[solver] method = \"auto\"` or `\"bdf\"` to integrate it with the stiff solver"
        }
        // With auto (or bdf) the engine hands stiff stretches to BDF; a report that still
        // surfaces means the problem is stiff beyond what the stiff solver was given to handle.
        crate::engine::Method::Auto | crate::engine::Method::Bdf => {
            "the stiff solver (BDF) takes over such stretches under the method in force, so the model itself is the problem: check the parameters and inputs for rates many orders of magnitude apart"
        }
    }
}

impl SimError {
    /// Simulated time reached when the error happened, if it happened during integration.
    pub fn time_reached(&self) -> Option<f64> {
        match self {
            SimError::Stiff { t_day, .. }
            | SimError::MaxSteps { t_day, .. }
            | SimError::StepSizeUnderflow { t_day }
            | SimError::NonFinite { t_day, .. }
            | SimError::OutOfDomain { t_day, .. }
            | SimError::StiffSolver { t_day, .. } => Some(*t_day),
            SimError::SteadyState { .. }
            | SimError::Calibration { .. }
            | SimError::Analysis { .. } => None,
        }
    }
}

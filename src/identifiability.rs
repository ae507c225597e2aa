//! Which fitted parameters the data pin down: the Fisher information of a least-squares problem
//! at a parameter vector. No I/O.
//!
//! The residuals are scaled, r_k = (got_k - wanted_k) / tolerance_k (`calibration::scaled_residuals`),
//! so each target's tolerance is read as one standard deviation of its wanted value. The Jacobian
//! J (rows targets, columns parameters) is taken by finite differences, with respect to ln θ for a
//! positive parameter whose lower bound is positive (standard errors are then relative) and to θ
//! otherwise. The Fisher information is F = JᵀJ; the covariance of the estimate is F⁻¹ (the
//! pseudo-inverse over the directions the data inform when F is singular). A parameter is
//! "not identifiable" when no target depends on it, when it lies in a direction of (nearly) zero
//! information, or when it is strongly correlated with another and not pinned despite it.
//!
//! Local, linearised analysis: it says what the data determine near this point, to first order;
//! a profile likelihood would be needed for strongly non-linear directions.

use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;

/// Finite-difference step: 1e-3 in ln θ (a 0.1 % change) or 1e-3 × |θ| in θ. The simulations are
/// integrated with a relative tolerance of 1e-8, so their noise in a derivative is about
/// 1e-8 / 1e-3 = 1e-5 relative, while the truncation error of a central difference is of order
/// step² = 1e-6: both far below what the verdicts distinguish.
pub const STEP: f64 = 1e-3;

/// A target informs a parameter when |dr/dθ| (or |dr/d ln θ|) exceeds this, in units of the
/// target's tolerance per unit (or per e-fold) of the parameter: below it, a 100 % change of the
/// parameter moves the target by less than a millionth of its tolerance, which is the derivative's
/// own numerical noise (see [`STEP`]).
pub const INFORMS: f64 = 1e-6;

/// An eigen-direction of the Fisher information is unidentifiable when its eigenvalue is below
/// this fraction of the largest: its standard error is then over 10⁴ times that of the best
/// determined direction, beyond what finite differences of ODE solutions resolve (the square
/// root of the ratio, 1e-4, is the derivative noise of [`STEP`]).
pub const NULL_EIGENVALUE_RATIO: f64 = 1e-8;

/// A parameter lies in the unidentifiable directions when its squared loadings on them sum to
/// more than this squared: at least 10 % of the length of a unit move along them is this
/// parameter. Smaller loadings are numerical noise of the eigenvectors.
pub const NULL_LOADING: f64 = 0.1;

/// Largest relative standard error of a "pinned" parameter: SE(ln θ) < 0.3 means the 95 %
/// interval, θ·exp(±1.96 × 0.3), lies within a factor 1.8 either side.
pub const PINNED_RELATIVE_SE: f64 = 0.3;

/// Above this |correlation| with another parameter, a parameter that is not pinned is "not
/// identifiable": the data determine a combination of the two, and the variance inflation
/// 1/(1 - ρ²) exceeds 10. A pinned parameter stays pinned (its standard error already includes
/// the correlation); its partner and correlation are reported.
pub const MAX_CORRELATION: f64 = 0.95;

/// The 97.5 % quantile of the standard normal distribution (two-sided 95 % intervals).
pub const Z95: f64 = 1.959_963_984_540_054;

/// In which coordinate a parameter is differentiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// ln θ: a positive parameter with a positive lower bound; the standard error is relative.
    Log,
    /// θ: the value is 0 or the lower bound is <= 0; the standard error is absolute.
    Linear,
}

impl Space {
    /// `log` or `linear`.
    pub fn name(self) -> &'static str {
        match self {
            Space::Log => "log",
            Space::Linear => "linear",
        }
    }
}

/// The finite-difference formula used for one parameter, each with two evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stencil {
    /// (r(u + h) - r(u - h)) / 2h.
    Central,
    /// At an upper bound: (3 r(u) - 4 r(u - h) + r(u - 2h)) / 2h, second order.
    Backward,
    /// At a lower bound: (-3 r(u) + 4 r(u + h) - r(u + 2h)) / 2h, second order.
    Forward,
}

impl Stencil {
    /// `central`, `backward` or `forward`.
    pub fn name(self) -> &'static str {
        match self {
            Stencil::Central => "central",
            Stencil::Backward => "backward",
            Stencil::Forward => "forward",
        }
    }
}

/// Why a parameter is not identifiable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No target depends on it (every |dr/dθ| <= [`INFORMS`]).
    NoInformingTarget,
    /// It lies in a direction of (nearly) zero information ([`NULL_EIGENVALUE_RATIO`]).
    NullDirection,
    /// |correlation| > [`MAX_CORRELATION`] with its partner, and not pinned.
    Correlated,
}

/// The verdict on one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Relative standard error below [`PINNED_RELATIVE_SE`].
    Pinned,
    /// Informed, but with a relative standard error of [`PINNED_RELATIVE_SE`] or more (or a
    /// value of 0, which has no relative error).
    WeaklyDetermined,
    /// The data do not determine it.
    NotIdentifiable(Reason),
}

impl Verdict {
    /// Short text for reports.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Pinned => "pinned",
            Verdict::WeaklyDetermined => "weakly determined",
            Verdict::NotIdentifiable(Reason::NoInformingTarget) => {
                "not identifiable (no target depends on it)"
            }
            Verdict::NotIdentifiable(Reason::NullDirection) => {
                "not identifiable (direction of zero information)"
            }
            Verdict::NotIdentifiable(Reason::Correlated) => {
                "not identifiable (correlated with its partner)"
            }
        }
    }
}

/// One parameter's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Value analysed.
    pub value: f64,
    /// Coordinate of differentiation.
    pub space: Space,
    /// Finite-difference formula.
    pub stencil: Stencil,
    /// Step in that coordinate.
    pub step: f64,
    /// Standard error in that coordinate (of ln θ, or of θ); `None` when unbounded (the parameter
    /// lies in a direction of zero information).
    pub se: Option<f64>,
    /// Relative standard error: SE(ln θ), or SE(θ) / |θ|; `None` when unbounded or θ = 0.
    pub relative_se: Option<f64>,
    /// 95 % interval of θ: θ·exp(±1.96 SE) in log space, θ ± 1.96 SE in linear space.
    pub interval: Option<(f64, f64)>,
    /// The other parameter with the largest |correlation| (index) and that correlation; `None`
    /// with a single parameter or when it is uncorrelated with every other (no target depends
    /// on it).
    pub partner: Option<(usize, f64)>,
    /// Targets with |dr/dθ| > [`INFORMS`].
    pub informing_targets: usize,
    /// The verdict.
    pub verdict: Verdict,
}

/// A direction of (nearly) zero information.
#[derive(Debug, Clone, PartialEq)]
pub struct NullDirection {
    /// Its eigenvalue of the Fisher information.
    pub eigenvalue: f64,
    /// The unit eigenvector, one loading per parameter (in each parameter's coordinate).
    pub loadings: Vec<f64>,
}

/// The identifiability of a parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Identifiability {
    /// One per parameter, in input order.
    pub parameters: Vec<Parameter>,
    /// Scaled residuals at the values.
    pub residuals: Vec<f64>,
    /// dr/du, rows targets, columns parameters (u = ln θ or θ, see [`Parameter::space`]).
    pub jacobian: DMatrix<f64>,
    /// Eigenvalues of F = JᵀJ, largest first (negative rounding clipped to 0).
    pub eigenvalues: Vec<f64>,
    /// The eigen-directions below [`NULL_EIGENVALUE_RATIO`] × the largest.
    pub null_directions: Vec<NullDirection>,
    /// Pseudo-inverse of F (over the informed directions), in the parameters' coordinates.
    pub covariance: DMatrix<f64>,
    /// Correlations: from `covariance` between parameters outside the null directions; between
    /// two parameters in them, the limit of the regularised inverse (F + εI)⁻¹ as ε → 0
    /// (±1 for a single null direction); 0 between one inside and one outside.
    pub correlation: DMatrix<f64>,
    /// Residual evaluations made (1 + 2 per parameter).
    pub evaluations: usize,
}

/// Why the analysis could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyseError<E> {
    /// The residual function failed at one of the points.
    #[error(transparent)]
    Residuals(E),
    /// A residual vector has a different length from the one at the values.
    #[error(
        "the residual function returned {got} residuals at a perturbed point, {expected} at the values"
    )]
    Length {
        /// At the values.
        expected: usize,
        /// At the perturbed point.
        got: usize,
    },
    /// A derivative is not finite.
    #[error("the derivative of the residuals with respect to parameter {parameter} is not finite")]
    NotFinite {
        /// Parameter index.
        parameter: usize,
    },
}

/// Where and how one parameter is differentiated.
struct Probe {
    space: Space,
    stencil: Stencil,
    step: f64,
    /// The two perturbed values of the parameter.
    points: [f64; 2],
}

fn probe(value: f64, lower: f64, upper: f64) -> Probe {
    // A value outside its bounds (a parameter file edited by hand) widens them to itself.
    let (lo, hi) = (lower.min(value), upper.max(value));
    let space = if value > 0.0 && lower > 0.0 {
        Space::Log
    } else {
        Space::Linear
    };
    let (u, lo_u, hi_u, to_value): (f64, f64, f64, fn(f64) -> f64) = match space {
        Space::Log => (value.ln(), lo.ln(), hi.ln(), f64::exp),
        Space::Linear => (value, lo, hi, |u| u),
    };
    let scale = match space {
        Space::Log => 1.0,
        Space::Linear if value != 0.0 => value.abs(),
        Space::Linear if (hi - lo).is_finite() && hi > lo => hi - lo,
        Space::Linear => 1.0,
    };
    let mut h = STEP * scale;
    let (room_up, room_down) = (hi_u - u, u - lo_u);
    let stencil = if room_up >= h && room_down >= h {
        Stencil::Central
    } else if room_up >= 2.0 * h {
        Stencil::Forward
    } else if room_down >= 2.0 * h {
        Stencil::Backward
    } else if room_up.max(room_down) > 0.0 {
        // Bounds narrower than the step: the largest one-sided step that fits.
        h = room_up.max(room_down) / 2.0;
        if room_up >= room_down {
            Stencil::Forward
        } else {
            Stencil::Backward
        }
    } else {
        Stencil::Central
    };
    let offsets = match stencil {
        Stencil::Central => [h, -h],
        Stencil::Forward => [h, 2.0 * h],
        Stencil::Backward => [-h, -2.0 * h],
    };
    Probe {
        space,
        stencil,
        step: h,
        points: offsets.map(|d| to_value(u + d)),
    }
}

fn derivative(p: &Probe, r0: f64, r1: f64, r2: f64) -> f64 {
    match p.stencil {
        Stencil::Central => (r1 - r2) / (2.0 * p.step),
        Stencil::Forward => (-3.0 * r0 + 4.0 * r1 - r2) / (2.0 * p.step),
        Stencil::Backward => (3.0 * r0 - 4.0 * r1 + r2) / (2.0 * p.step),
    }
}

/// The Jacobian of the residuals at `values` (1 + 2p evaluations, in parallel), with the
/// residuals at the values.
fn jacobian<E: Send>(
    residuals: &(impl Fn(&[f64]) -> Result<Vec<f64>, E> + Sync),
    values: &[f64],
    probes: &[Probe],
) -> Result<(Vec<f64>, DMatrix<f64>), AnalyseError<E>> {
    let mut points = vec![values.to_vec()];
    for (i, p) in probes.iter().enumerate() {
        for x in p.points {
            let mut v = values.to_vec();
            v[i] = x;
            points.push(v);
        }
    }
    let evaluated: Vec<Vec<f64>> = points
        .par_iter()
        .map(|v| residuals(v))
        .collect::<Result<_, E>>()
        .map_err(AnalyseError::Residuals)?;
    let n = evaluated[0].len();
    if let Some(bad) = evaluated.iter().find(|r| r.len() != n) {
        return Err(AnalyseError::Length {
            expected: n,
            got: bad.len(),
        });
    }
    let r0 = &evaluated[0];
    let mut j = DMatrix::zeros(n, values.len());
    for (i, p) in probes.iter().enumerate() {
        let (r1, r2) = (&evaluated[1 + 2 * i], &evaluated[2 + 2 * i]);
        for k in 0..n {
            let d = derivative(p, r0[k], r1[k], r2[k]);
            if !d.is_finite() {
                return Err(AnalyseError::NotFinite { parameter: i });
            }
            j[(k, i)] = d;
        }
    }
    Ok((r0.clone(), j))
}

/// The eigen-decomposition of F, split: eigenvalues largest first, the pseudo-inverse over the
/// informed directions, and the null directions.
fn decompose(f: &DMatrix<f64>) -> (Vec<f64>, DMatrix<f64>, Vec<NullDirection>) {
    let p = f.nrows();
    let eigen = SymmetricEigen::new(f.clone());
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let eigenvalues: Vec<f64> = order
        .iter()
        .map(|&k| eigen.eigenvalues[k].max(0.0))
        .collect();
    let cutoff = NULL_EIGENVALUE_RATIO * eigenvalues.first().copied().unwrap_or(0.0);
    let mut covariance = DMatrix::zeros(p, p);
    let mut null = Vec::new();
    for (&k, &lambda) in order.iter().zip(&eigenvalues) {
        let v = eigen.eigenvectors.column(k);
        if lambda > cutoff {
            covariance += v * v.transpose() / lambda;
        } else {
            null.push(NullDirection {
                eigenvalue: lambda,
                loadings: v.iter().copied().collect(),
            });
        }
    }
    (eigenvalues, covariance, null)
}

/// Correlations (see [`Identifiability::correlation`]); `in_null[i]` marks the parameters in
/// the null directions, whose projector onto them is `null`.
fn correlation(covariance: &DMatrix<f64>, null: &DMatrix<f64>, in_null: &[bool]) -> DMatrix<f64> {
    let p = covariance.nrows();
    DMatrix::from_fn(p, p, |i, j| {
        let (m, scale) = match (in_null[i], in_null[j]) {
            _ if i == j => return 1.0,
            (true, true) => (null, (null[(i, i)] * null[(j, j)]).sqrt()),
            (false, false) => (covariance, (covariance[(i, i)] * covariance[(j, j)]).sqrt()),
            _ => return 0.0,
        };
        if scale > 0.0 { m[(i, j)] / scale } else { 0.0 }
    })
}

fn partner(correlation: &DMatrix<f64>, i: usize) -> Option<(usize, f64)> {
    (0..correlation.ncols())
        .filter(|&j| j != i)
        .map(|j| (j, correlation[(i, j)]))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .filter(|(_, c)| *c != 0.0)
}

fn verdict(
    informing: usize,
    in_null: bool,
    relative_se: Option<f64>,
    partner: Option<(usize, f64)>,
) -> Verdict {
    if informing == 0 {
        Verdict::NotIdentifiable(Reason::NoInformingTarget)
    } else if in_null {
        Verdict::NotIdentifiable(Reason::NullDirection)
    } else if relative_se.is_some_and(|s| s < PINNED_RELATIVE_SE) {
        Verdict::Pinned
    } else if partner.is_some_and(|(_, c)| c.abs() > MAX_CORRELATION) {
        Verdict::NotIdentifiable(Reason::Correlated)
    } else {
        Verdict::WeaklyDetermined
    }
}

/// Analyses the identifiability of `values` (within `lower`..`upper`) for the scaled residual
/// function `residuals`: 1 + 2p evaluations, in parallel (rayon). See the module documentation.
pub fn analyse<E: Send>(
    residuals: impl Fn(&[f64]) -> Result<Vec<f64>, E> + Sync,
    values: &[f64],
    lower: &[f64],
    upper: &[f64],
) -> Result<Identifiability, AnalyseError<E>> {
    assert!(
        values.len() == lower.len() && values.len() == upper.len(),
        "one bound of each kind per parameter"
    );
    let probes: Vec<Probe> = values
        .iter()
        .zip(lower.iter().zip(upper))
        .map(|(&v, (&lo, &hi))| probe(v, lo, hi))
        .collect();
    let (r0, j) = jacobian(&residuals, values, &probes)?;
    let (eigenvalues, covariance, null_directions) = decompose(&(j.transpose() * &j));
    let p = values.len();
    let null = null_directions.iter().fold(DMatrix::zeros(p, p), |acc, d| {
        let v = nalgebra::DVector::from_column_slice(&d.loadings);
        acc + &v * v.transpose()
    });
    let in_null: Vec<bool> = (0..p)
        .map(|i| null[(i, i)] > NULL_LOADING * NULL_LOADING)
        .collect();
    let correlation = correlation(&covariance, &null, &in_null);
    let parameters = probes
        .iter()
        .enumerate()
        .map(|(i, pr)| {
            let value = values[i];
            let informing = j.column(i).iter().filter(|d| d.abs() > INFORMS).count();
            let se = (!in_null[i]).then(|| covariance[(i, i)].sqrt());
            let (relative_se, interval) = match (pr.space, se) {
                (_, None) => (None, None),
                (Space::Log, Some(s)) => (
                    Some(s),
                    Some((value * (-Z95 * s).exp(), value * (Z95 * s).exp())),
                ),
                (Space::Linear, Some(s)) => (
                    (value != 0.0).then(|| s / value.abs()),
                    Some((value - Z95 * s, value + Z95 * s)),
                ),
            };
            let partner = partner(&correlation, i);
            Parameter {
                value,
                space: pr.space,
                stencil: pr.stencil,
                step: pr.step,
                se,
                relative_se,
                interval,
                partner,
                informing_targets: informing,
                verdict: verdict(informing, in_null[i], relative_se, partner),
            }
        })
        .collect();
    Ok(Identifiability {
        parameters,
        residuals: r0,
        jacobian: j,
        eigenvalues,
        null_directions,
        covariance,
        correlation,
        evaluations: 1 + 2 * p,
    })
}

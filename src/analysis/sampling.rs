//! Sampling designs on the unit hypercube and their mapping onto parameter ranges.
//! Every design is deterministic for a given seed (ChaCha8 for random numbers; Owen-scrambled
//! Sobol points from `sobol_burley`).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How a range is spanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly in the value.
    Linear,
    /// Evenly in the logarithm of the value (the range must be positive).
    Log,
}

/// A sampled dimension's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// Spacing.
    pub scale: Scale,
}

impl Range {
    /// Maps `u` in [0, 1] onto the range.
    pub fn map(&self, u: f64) -> f64 {
        match self.scale {
            Scale::Linear => self.min + u * (self.max - self.min),
            Scale::Log => (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp(),
        }
    }
}

/// A design: which points of the unit hypercube to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Design {
    /// Full factorial grid with the given number of points per dimension (ends included).
    Grid,
    /// Independent uniform samples.
    Random,
    /// Latin hypercube: one sample in each of n equal strata per dimension.
    LatinHypercube,
    /// Owen-scrambled Sobol sequence.
    Sobol,
}

/// Most points a Sobol design can have (`sobol_burley` sequences are 2^16 long).
pub const MAX_SOBOL_POINTS: usize = 1 << 16;
/// Most dimensions of a Sobol design.
pub const MAX_SOBOL_DIMENSIONS: usize = 256;

/// Points of a grid with `points[d]` levels in dimension d, first dimension slowest.
pub fn grid(points: &[usize]) -> Vec<Vec<f64>> {
    let total: usize = points.iter().product();
    (0..total).map(|k| grid_point(points, k)).collect()
}

/// Point `k` of [`grid`], computed from its index alone.
pub fn grid_point(points: &[usize], mut k: usize) -> Vec<f64> {
    let mut u = vec![0.0; points.len()];
    for d in (0..points.len()).rev() {
        let n = points[d];
        let i = k % n;
        k /= n;
        u[d] = if n == 1 {
            0.5
        } else {
            i as f64 / (n - 1) as f64
        };
    }
    u
}

/// `n` uniform random points in `dims` dimensions.
pub fn random(n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    random_points(dims, seed).take(n).collect()
}

/// The points of [`random`] one at a time, without an end (the same numbers in the same order).
pub fn random_points(dims: usize, seed: u64) -> impl Iterator<Item = Vec<f64>> + Send {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    std::iter::repeat_with(move || (0..dims).map(|_| rng.random::<f64>()).collect())
}

/// A Latin hypercube of `n` points in `dims` dimensions.
pub fn latin_hypercube(n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    latin_hypercube_points(n, dims, seed).collect()
}

/// The points of [`latin_hypercube`] one at a time. The strata are drawn up front (a Latin
/// hypercube is a joint property of all points), as one flat array of `n * dims` numbers.
pub fn latin_hypercube_points(
    n: usize,
    dims: usize,
    seed: u64,
) -> impl Iterator<Item = Vec<f64>> + Send {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut columns = Vec::with_capacity(n.saturating_mul(dims));
    let mut strata: Vec<usize> = Vec::with_capacity(n);
    for _ in 0..dims {
        strata.clear();
        strata.extend(0..n);
        strata.shuffle(&mut rng);
        for &s in &strata {
            columns.push((s as f64 + rng.random::<f64>()) / n as f64);
        }
    }
    (0..n).map(move |i| (0..dims).map(|d| columns[d * n + i]).collect())
}

/// The first `n` points of an Owen-scrambled Sobol sequence in `dims` dimensions, starting at
/// dimension `first_dim`. Panics beyond the documented limits (callers validate them).
pub fn sobol(n: usize, dims: usize, first_dim: usize, seed: u64) -> Vec<Vec<f64>> {
    assert!(n <= MAX_SOBOL_POINTS && first_dim + dims <= MAX_SOBOL_DIMENSIONS);
    (0..n)
        .map(|i| sobol_point(i, dims, first_dim, seed))
        .collect()
}

/// Point `i` of [`sobol`], computed from its index alone.
pub fn sobol_point(i: usize, dims: usize, first_dim: usize, seed: u64) -> Vec<f64> {
    let seed = (seed ^ (seed >> 32)) as u32;
    (0..dims)
        .map(|d| f64::from(sobol_burley::sample(i as u32, (first_dim + d) as u32, seed)))
        .collect()
}

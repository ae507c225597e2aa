//! Sensitivity analysis: local normalised coefficients, Morris elementary effects, and Sobol
//! first-order and total indices (Saltelli sampling, Saltelli 2010 and Jansen estimators,
//! bootstrap confidence intervals). Generic over a batch evaluator, so that the same code is
//! tested on the Ishigami function and run on the models.
//!
//! Points are given in physical units; `Range` maps the unit hypercube onto them.

use super::sampling::{self, Range};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Evaluates a batch of points; each result is the vector of endpoints or a failure reason.
pub type Batch<'a> = &'a (dyn Fn(&[Vec<f64>]) -> Vec<Result<Vec<f64>, String>> + Sync);

/// Local sensitivity of every endpoint to every variable at the nominal point.
#[derive(Debug, Clone, PartialEq)]
pub struct Local {
    /// Endpoint values at the nominal point.
    pub nominal_endpoints: Vec<f64>,
    /// `dy_dlnp[i][j]` = dy_j / dln p_i (endpoint units), central differences.
    pub dy_dlnp: Vec<Vec<f64>>,
    /// `normalised[i][j]` = (p_i / y_j) dy_j/dp_i; NaN where y_j = 0.
    pub normalised: Vec<Vec<f64>>,
}

/// Central-difference local sensitivities with relative step `h` around `nominal`.
pub fn local(eval: Batch, nominal: &[f64], h: f64) -> Result<Local, String> {
    local_from(eval(&local_points(nominal, h)), nominal.len(), h)
}

/// The points [`local`] runs: the nominal point, then each variable up and down by `h`.
pub fn local_points(nominal: &[f64], h: f64) -> Vec<Vec<f64>> {
    let mut points = vec![nominal.to_vec()];
    for i in 0..nominal.len() {
        for sign in [1.0, -1.0] {
            let mut x = nominal.to_vec();
            x[i] *= 1.0 + sign * h;
            points.push(x);
        }
    }
    points
}

/// [`local`] from the results of [`local_points`] (`k` variables).
pub fn local_from(
    results: Vec<Result<Vec<f64>, String>>,
    k: usize,
    h: f64,
) -> Result<Local, String> {
    let ys: Vec<Vec<f64>> = results
        .into_iter()
        .enumerate()
        .map(|(n, r)| r.map_err(|e| format!("local sensitivity run {n}: {e}")))
        .collect::<Result<_, _>>()?;
    let y0 = ys[0].clone();
    let mut dy_dlnp = Vec::with_capacity(k);
    let mut normalised = Vec::with_capacity(k);
    for i in 0..k {
        let (plus, minus) = (&ys[1 + 2 * i], &ys[2 + 2 * i]);
        let d: Vec<f64> = plus
            .iter()
            .zip(minus)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect();
        normalised.push(
            d.iter()
                .zip(&y0)
                .map(|(d, y)| if *y == 0.0 { f64::NAN } else { d / y })
                .collect(),
        );
        dy_dlnp.push(d);
    }
    Ok(Local {
        nominal_endpoints: y0,
        dy_dlnp,
        normalised,
    })
}

/// Morris screening statistics of one variable for one endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisStat {
    /// Mean of the elementary effects.
    pub mu: f64,
    /// Mean of their absolute values (the ranking measure).
    pub mu_star: f64,
    /// Their standard deviation (non-linearity and interactions).
    pub sigma: f64,
}

/// Morris elementary effects: `trajectories` one-at-a-time paths on a `levels`-level grid.
/// Effects are per unit of the scaled range (the change of the endpoint over the whole range).
/// Returns `stats[i][j]` for variable i and endpoint j.
pub fn morris(
    eval: Batch,
    ranges: &[Range],
    trajectories: usize,
    levels: usize,
    seed: u64,
) -> Result<Vec<Vec<MorrisStat>>, String> {
    let design = morris_design(ranges, trajectories, levels, seed);
    design.analyse(eval(&design.points))
}

/// The points of a Morris analysis with the paths they make (drawn from the seed).
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    /// Points in physical units: `trajectories x (variables + 1)`, path by path.
    pub points: Vec<Vec<f64>>,
    /// The order in which each path moves the variables.
    orders: Vec<Vec<usize>>,
    /// The step, in units of the scaled range.
    delta: f64,
}

/// The design [`morris`] runs.
pub fn morris_design(
    ranges: &[Range],
    trajectories: usize,
    levels: usize,
    seed: u64,
) -> MorrisDesign {
    let k = ranges.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let delta = levels as f64 / (2.0 * (levels as f64 - 1.0));
    let base_levels = levels / 2; // base values for which x + delta <= 1
    let mut points = Vec::with_capacity(trajectories * (k + 1));
    let mut orders = Vec::with_capacity(trajectories);
    for _ in 0..trajectories {
        let mut u: Vec<f64> = (0..k)
            .map(|_| rng.random_range(0..base_levels) as f64 / (levels as f64 - 1.0))
            .collect();
        let mut order: Vec<usize> = (0..k).collect();
        rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        points.push(
            u.iter()
                .zip(ranges)
                .map(|(u, r)| r.map(*u))
                .collect::<Vec<f64>>(),
        );
        for &i in &order {
            u[i] += delta;
            points.push(u.iter().zip(ranges).map(|(u, r)| r.map(*u)).collect());
        }
        orders.push(order);
    }
    MorrisDesign {
        points,
        orders,
        delta,
    }
}

impl MorrisDesign {
    /// The statistics from the results of the design's points.
    pub fn analyse(
        &self,
        results: Vec<Result<Vec<f64>, String>>,
    ) -> Result<Vec<Vec<MorrisStat>>, String> {
        let (orders, delta) = (&self.orders, self.delta);
        let trajectories = orders.len();
        let k = orders.first().map_or(0, Vec::len);
        let ys: Vec<Vec<f64>> = results
            .into_iter()
            .enumerate()
            .map(|(n, r)| r.map_err(|e| format!("Morris run {n}: {e}")))
            .collect::<Result<_, _>>()?;
        morris_stats(&ys, orders, delta, k, trajectories)
    }
}

fn morris_stats(
    ys: &[Vec<f64>],
    orders: &[Vec<usize>],
    delta: f64,
    k: usize,
    trajectories: usize,
) -> Result<Vec<Vec<MorrisStat>>, String> {
    let m = ys[0].len();
    let mut effects = vec![vec![Vec::with_capacity(trajectories); m]; k];
    for (t, order) in orders.iter().enumerate() {
        let offset = t * (k + 1);
        for (step, &i) in order.iter().enumerate() {
            for j in 0..m {
                effects[i][j].push((ys[offset + step + 1][j] - ys[offset + step][j]) / delta);
            }
        }
    }
    Ok(effects
        .into_iter()
        .map(|per_endpoint| {
            per_endpoint
                .into_iter()
                .map(|e| {
                    let n = e.len() as f64;
                    let mu = e.iter().sum::<f64>() / n;
                    let mu_star = e.iter().map(|v| v.abs()).sum::<f64>() / n;
                    let sigma = (e.iter().map(|v| (v - mu).powi(2)).sum::<f64>()
                        / (n - 1.0).max(1.0))
                    .sqrt();
                    MorrisStat { mu, mu_star, sigma }
                })
                .collect()
        })
        .collect())
}

/// A Sobol index with its bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Index {
    /// Point estimate.
    pub value: f64,
    /// 2.5th percentile of the bootstrap.
    pub low: f64,
    /// 97.5th percentile of the bootstrap.
    pub high: f64,
}

/// Sobol indices of one variable for one endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolStat {
    /// First-order index S_i.
    pub first: Index,
    /// Total index S_Ti.
    pub total: Index,
}

/// Number of model runs a Sobol analysis needs.
pub fn sobol_runs(base_samples: usize, variables: usize) -> usize {
    base_samples * (variables + 2)
}

fn estimates(fa: &[f64], fb: &[f64], fab: &[f64], idx: &[usize]) -> (f64, f64) {
    let n = idx.len() as f64;
    let mean = idx.iter().map(|&r| fa[r] + fb[r]).sum::<f64>() / (2.0 * n);
    let var = idx
        .iter()
        .map(|&r| (fa[r] - mean).powi(2) + (fb[r] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n - 1.0);
    if var <= 0.0 {
        return (0.0, 0.0);
    }
    // Saltelli et al. 2010 (first order) and Jansen 1999 (total).
    let first = idx.iter().map(|&r| fb[r] * (fab[r] - fa[r])).sum::<f64>() / n / var;
    let total = idx.iter().map(|&r| (fa[r] - fab[r]).powi(2)).sum::<f64>() / (2.0 * n) / var;
    (first, total)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Sobol first-order and total indices with `base_samples` Saltelli base samples and
/// `bootstrap` resamples for 95 % intervals. Returns `stats[i][j]` for variable i, endpoint j.
pub fn sobol(
    eval: Batch,
    ranges: &[Range],
    base_samples: usize,
    bootstrap: usize,
    seed: u64,
) -> Result<Vec<Vec<SobolStat>>, String> {
    let points = sobol_points(ranges, base_samples, seed);
    sobol_from(eval(&points), ranges.len(), base_samples, bootstrap, seed)
}

/// The points [`sobol`] runs (Saltelli): the matrices A and B, then for each variable A with
/// that variable's column from B.
pub fn sobol_points(ranges: &[Range], base_samples: usize, seed: u64) -> Vec<Vec<f64>> {
    let k = ranges.len();
    let n = base_samples;
    let unit = sampling::sobol(n, 2 * k, 0, seed);
    let map = |u: &[f64]| {
        u.iter()
            .zip(ranges)
            .map(|(u, r)| r.map(*u))
            .collect::<Vec<f64>>()
    };
    let a: Vec<Vec<f64>> = unit.iter().map(|u| map(&u[..k])).collect();
    let b: Vec<Vec<f64>> = unit.iter().map(|u| map(&u[k..])).collect();
    let mut points = Vec::with_capacity(sobol_runs(n, k));
    points.extend(a.iter().cloned());
    points.extend(b.iter().cloned());
    for i in 0..k {
        for r in 0..n {
            let mut x = a[r].clone();
            x[i] = b[r][i];
            points.push(x);
        }
    }
    points
}

/// [`sobol`] from the results of [`sobol_points`] (`k` variables); the bootstrap resamples are
/// drawn from the seed.
pub fn sobol_from(
    results: Vec<Result<Vec<f64>, String>>,
    k: usize,
    base_samples: usize,
    bootstrap: usize,
    seed: u64,
) -> Result<Vec<Vec<SobolStat>>, String> {
    let n = base_samples;
    let ys: Vec<Vec<f64>> = results
        .into_iter()
        .enumerate()
        .map(|(q, r)| r.map_err(|e| format!("Sobol run {q}: {e}")))
        .collect::<Result<_, _>>()?;
    let m = ys[0].len();
    let column =
        |from: usize, j: usize| -> Vec<f64> { ys[from..from + n].iter().map(|y| y[j]).collect() };
    let all: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_b007);
    let resamples: Vec<Vec<usize>> = (0..bootstrap)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    let mut stats = vec![Vec::with_capacity(m); k];
    for j in 0..m {
        let (fa, fb) = (column(0, j), column(n, j));
        for (i, stat) in stats.iter_mut().enumerate() {
            let fab = column((2 + i) * n, j);
            let (s1, st) = estimates(&fa, &fb, &fab, &all);
            let (mut b1, mut bt): (Vec<f64>, Vec<f64>) = resamples
                .iter()
                .map(|idx| estimates(&fa, &fb, &fab, idx))
                .unzip();
            b1.sort_by(f64::total_cmp);
            bt.sort_by(f64::total_cmp);
            let ci = |v: &[f64], x: f64| {
                if v.is_empty() {
                    Index {
                        value: x,
                        low: x,
                        high: x,
                    }
                } else {
                    Index {
                        value: x,
                        low: percentile(v, 0.025),
                        high: percentile(v, 0.975),
                    }
                }
            };
            stat.push(SobolStat {
                first: ci(&b1, s1),
                total: ci(&bt, st),
            });
        }
    }
    Ok(stats)
}

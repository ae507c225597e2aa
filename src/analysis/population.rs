//! Virtual populations: patients with log-normal parameter variability, an optional acceptance
//! window on their baseline, one run each, percentile bands of the curves and endpoint
//! distributions.

use super::{Endpoint, Variable, apply, run_batch};
use crate::engine::{RunSpec, Trajectory};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Accept a candidate only if a column lies in [min, max] at a time (e.g. its baseline).
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    /// Endpoint-style reading of the candidate's run.
    pub reading: Endpoint,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// A validated population study.
#[derive(Debug, Clone)]
pub struct Population {
    /// The scenario every patient runs.
    pub base: RunSpec,
    /// Varied variables and their coefficients of variation.
    pub variables: Vec<(Variable, f64)>,
    /// Nominal (median) values of the variables.
    pub nominal: Vec<f64>,
    /// Patients wanted.
    pub patients: usize,
    /// Most candidates drawn before giving up.
    pub max_candidates: usize,
    /// Seed.
    pub seed: u64,
    /// Optional acceptance window.
    pub acceptance: Option<Acceptance>,
    /// Endpoints per patient.
    pub endpoints: Vec<Endpoint>,
    /// Columns whose 5/50/95 % bands are reported.
    pub band_columns: Vec<String>,
}

/// Percentile bands of one column on the scenario's output grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Column.
    pub column: String,
    /// Output times.
    pub t: Vec<f64>,
    /// 5th, 50th and 95th percentiles per time.
    pub p05: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 95th percentile.
    pub p95: Vec<f64>,
}

/// The population's result.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationResult {
    /// Accepted patients: candidate index, variable values, endpoints.
    pub patients: Vec<(usize, Vec<f64>, Vec<f64>)>,
    /// Candidates rejected by the acceptance window.
    pub rejected: usize,
    /// Candidates whose run failed: (candidate index, reason).
    pub failed: Vec<(usize, String)>,
    /// Percentile bands.
    pub bands: Vec<Band>,
}

/// The log-normal sample of candidate `c`: median = nominal, coefficient of variation `cv`.
/// Each candidate has its own random stream, so the result does not depend on threads.
pub fn candidate(pop: &Population, c: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(pop.seed);
    rng.set_stream(c as u64);
    pop.variables
        .iter()
        .zip(&pop.nominal)
        .map(|((_, cv), x0)| {
            let z: f64 = StandardNormal.sample(&mut rng);
            let sigma = (1.0 + cv * cv).ln().sqrt();
            x0 * (sigma * z).exp()
        })
        .collect()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Draws and runs candidates in batches until `patients` are accepted or `max_candidates` drawn.
pub fn run(
    pop: &Population,
    progress: &(impl Fn(usize, usize) + Sync),
) -> Result<PopulationResult, String> {
    let vars: Vec<Variable> = pop.variables.iter().map(|(v, _)| v.clone()).collect();
    let mut accepted: Vec<(usize, Vec<f64>, Vec<f64>, Trajectory)> = Vec::new();
    let mut rejected = 0;
    let mut failed = Vec::new();
    let mut next = 0;
    let mut reading = pop.endpoints.clone();
    if let Some(a) = &pop.acceptance {
        reading.push(a.reading.clone());
    }
    while accepted.len() < pop.patients && next < pop.max_candidates {
        let batch = (pop.patients - accepted.len())
            .max(1)
            .min(pop.max_candidates - next);
        let candidates: Vec<usize> = (next..next + batch).collect();
        next += batch;
        let values: Vec<Vec<f64>> = candidates.iter().map(|&c| candidate(pop, c)).collect();
        let specs: Vec<RunSpec> = values.iter().map(|x| apply(&pop.base, &vars, x)).collect();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let outcomes = run_batch(&specs, &reading, true, &|| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(accepted.len() + n, pop.patients);
        });
        for ((c, x), o) in candidates.into_iter().zip(values).zip(outcomes) {
            if accepted.len() == pop.patients {
                break;
            }
            match o.endpoints {
                Err(e) => failed.push((c, e)),
                Ok(mut e) => {
                    if let Some(a) = &pop.acceptance {
                        let v = e.pop().unwrap_or(f64::NAN);
                        if !(v >= a.min && v <= a.max) {
                            rejected += 1;
                            continue;
                        }
                    }
                    accepted.push((c, x, e, o.trajectory.expect("kept")));
                }
            }
        }
    }
    if accepted.is_empty() {
        return Err(format!(
            "no patient accepted out of {next} candidates ({rejected} rejected, {} failed)",
            failed.len()
        ));
    }
    let mut bands = Vec::new();
    for column in &pop.band_columns {
        let t = accepted[0].3.column("t_day").ok_or("no t_day")?.to_vec();
        let series: Vec<&[f64]> = accepted
            .iter()
            .map(|p| {
                p.3.column(column)
                    .ok_or_else(|| format!("no column `{column}`"))
            })
            .collect::<Result<_, _>>()?;
        let (mut p05, mut p50, mut p95) = (Vec::new(), Vec::new(), Vec::new());
        let mut at = Vec::with_capacity(series.len());
        for k in 0..t.len() {
            at.clear();
            at.extend(series.iter().map(|s| s[k]));
            at.sort_by(f64::total_cmp);
            p05.push(percentile(&at, 0.05));
            p50.push(percentile(&at, 0.5));
            p95.push(percentile(&at, 0.95));
        }
        bands.push(Band {
            column: column.clone(),
            t,
            p05,
            p50,
            p95,
        });
    }
    Ok(PopulationResult {
        patients: accepted.into_iter().map(|(c, x, e, _)| (c, x, e)).collect(),
        rejected,
        failed,
        bands,
    })
}

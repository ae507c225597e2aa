//! Virtual populations: patients with log-normal parameter variability, an optional acceptance
//! window on their baseline, one run each, percentile bands of the curves and endpoint
//! distributions.

use super::{CHUNK, Endpoint, Variable, simulate_point};
use crate::engine::RunSpec;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

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
    /// `None` when the percentiles are exact; otherwise the relative accuracy of the quantile
    /// sketch that computed them (the largest over the output times; see [`QuantileSketch`]).
    pub relative_accuracy: Option<f64>,
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

/// One accepted patient, as handed to the sink of [`stream`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patient<'a> {
    /// Patient number (0, 1, ... in acceptance order).
    pub index: usize,
    /// Candidate index (its random stream).
    pub candidate: usize,
    /// Variable values.
    pub values: &'a [f64],
    /// Endpoint values.
    pub endpoints: &'a [f64],
}

/// Everything of a population but the patients' rows (which [`stream`] hands to its sink).
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationSummary {
    /// Patients accepted.
    pub accepted: usize,
    /// Candidates drawn.
    pub candidates: usize,
    /// Candidates rejected by the acceptance window.
    pub rejected: usize,
    /// Candidates whose run failed.
    pub failed_count: usize,
    /// The first [`MAX_FAILURES_KEPT`] failed candidates: (candidate index, reason).
    pub failed: Vec<(usize, String)>,
    /// Percentile bands.
    pub bands: Vec<Band>,
    /// `endpoint_values[j][k]`: endpoint j of patient k (a few numbers per patient, for the
    /// distributions of the summary).
    pub endpoint_values: Vec<Vec<f64>>,
}

/// Failure reasons kept by [`stream`] (the count is always exact).
pub const MAX_FAILURES_KEPT: usize = 1000;

/// Memory allowed for exact percentile bands: patients x output times x band columns x 8 bytes.
/// Above it the bands come from a [`QuantileSketch`] per column and output time.
pub const BAND_EXACT_BYTES: usize = 256 << 20;

/// Most bytes of band values a chunk of candidates keeps before they go into the bands: the
/// chunk shrinks below [`CHUNK`] candidates for long output grids.
pub const CHUNK_BAND_BYTES: usize = 256 << 20;

/// Why a population stream stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum PopulationError<E> {
    /// No patient accepted, or a band column missing.
    Analysis(String),
    /// The sink failed.
    Sink(E),
}

/// A deterministic streaming quantile sketch with relative accuracy (logarithmic bins, as in
/// DDSketch, Masson et al. 2019): a value `x != 0` falls into bin `ceil(ln|x| / ln g)` of its
/// sign, with `g = (1 + a) / (1 - a)`, and a bin stands for `2 g^k / (g + 1)`, which is within
/// relative `a` of every value in it. Zero has its own count. Counts do not depend on the order of
/// insertion, so neither do the quantiles. When more than [`SKETCH_MAX_BINS`] bins are in use,
/// neighbouring bins are merged pairwise (`g` squared, accuracy `2a / (1 + a^2)`), so memory is
/// bounded; the accuracy reached is [`QuantileSketch::relative_accuracy`].
///
/// Guarantee: the value returned for rank `r` (0-based, in sorted order) is within relative
/// accuracy of the exact `r`-th smallest value (±infinity and NaN are returned exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileSketch {
    level: u32,
    positive: std::collections::BTreeMap<i64, u64>,
    negative: std::collections::BTreeMap<i64, u64>,
    zero: u64,
    /// Counts of -infinity, +infinity, NaN.
    special: [u64; 3],
    n: u64,
}

/// Relative accuracy of a [`QuantileSketch`] before any merging of bins.
pub const SKETCH_ACCURACY: f64 = 1e-3;

/// Most bins a [`QuantileSketch`] keeps (both signs together): with 0.1 % accuracy, values over
/// about 3.5 decades per sign.
pub const SKETCH_MAX_BINS: usize = 4096;

fn ln_gamma() -> f64 {
    ((1.0 + SKETCH_ACCURACY) / (1.0 - SKETCH_ACCURACY)).ln()
}

impl Default for QuantileSketch {
    fn default() -> Self {
        Self::new()
    }
}

impl QuantileSketch {
    /// An empty sketch.
    pub fn new() -> Self {
        QuantileSketch {
            level: 0,
            positive: Default::default(),
            negative: Default::default(),
            zero: 0,
            special: [0; 3],
            n: 0,
        }
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Bins in use.
    pub fn bins(&self) -> usize {
        self.positive.len() + self.negative.len()
    }

    /// Relative accuracy of the returned values: [`SKETCH_ACCURACY`] until bins had to be merged.
    pub fn relative_accuracy(&self) -> f64 {
        let g = (ln_gamma() * f64::from(1u32 << self.level.min(30))).exp();
        (g - 1.0) / (g + 1.0)
    }

    /// Adds a value.
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        if x.is_nan() {
            self.special[2] += 1;
        } else if x == f64::NEG_INFINITY {
            self.special[0] += 1;
        } else if x == f64::INFINITY {
            self.special[1] += 1;
        } else if x == 0.0 {
            self.zero += 1;
        } else {
            let key0 = (x.abs().ln() / ln_gamma()).ceil() as i64;
            // ceil(key0 / 2^level): the bin at the current resolution.
            let key = -((-key0) >> self.level);
            let map = if x > 0.0 {
                &mut self.positive
            } else {
                &mut self.negative
            };
            *map.entry(key).or_insert(0) += 1;
            while self.bins() > SKETCH_MAX_BINS {
                self.coarsen();
            }
        }
    }

    fn coarsen(&mut self) {
        self.level += 1;
        for map in [&mut self.positive, &mut self.negative] {
            let old = std::mem::take(map);
            for (k, c) in old {
                *map.entry(-((-k) >> 1)).or_insert(0) += c;
            }
        }
    }

    fn representative(&self, key: i64) -> f64 {
        let lg = ln_gamma() * f64::from(1u32 << self.level.min(30));
        let g = lg.exp();
        (key as f64 * lg).exp() * 2.0 / (g + 1.0)
    }

    /// The value of rank `r` (0-based; clamped to the last), NaN if the sketch is empty.
    pub fn value_at_rank(&self, r: u64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let r = r.min(self.n - 1);
        let mut seen = self.special[0];
        if r < seen {
            return f64::NEG_INFINITY;
        }
        for (k, c) in self.negative.iter().rev() {
            seen += c;
            if r < seen {
                return -self.representative(*k);
            }
        }
        seen += self.zero;
        if r < seen {
            return 0.0;
        }
        for (k, c) in &self.positive {
            seen += c;
            if r < seen {
                return self.representative(*k);
            }
        }
        seen += self.special[1];
        if r < seen {
            return f64::INFINITY;
        }
        f64::NAN
    }

    /// The `q`-th quantile with the interpolation of the exact bands: the values of ranks
    /// `floor(q (n - 1))` and `ceil(q (n - 1))`, interpolated linearly.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let pos = q * (self.n - 1) as f64;
        let (lo, hi) = (pos.floor(), pos.ceil());
        let (a, b) = (self.value_at_rank(lo as u64), self.value_at_rank(hi as u64));
        if lo == hi {
            a
        } else {
            a + (pos - lo) * (b - a)
        }
    }
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

/// Percentile accumulators of the band columns, per (column, output time).
enum Bands {
    /// Not started: no patient accepted yet.
    Waiting,
    /// Every value, while patients x times x columns stays within the budget.
    Exact(Vec<Vec<f64>>),
    /// One sketch per (column, time).
    Sketch(Vec<QuantileSketch>),
}

/// One candidate's run: endpoints (with the acceptance reading last) or the failure, and the
/// band columns at the output times (`[column][time]`, flattened, `t_day` first).
type CandidateRun = (Result<Vec<f64>, String>, Result<Vec<f64>, String>);

/// Draws and runs candidates in chunks (in candidate order, at most [`CHUNK`] at once) until
/// `patients` are accepted or `max_candidates` drawn, and hands every accepted patient to `sink`
/// in order. Only the band columns at the output times are kept per patient, and only while
/// patients x times x columns x 8 bytes stays within `band_budget_bytes`
/// ([`BAND_EXACT_BYTES`] for the command); beyond it every (column, time) gets a
/// [`QuantileSketch`]. The accepted patients, and so every number, do not depend on the number
/// of threads.
pub fn stream<E>(
    pop: &Population,
    band_budget_bytes: usize,
    progress: &(impl Fn(usize, usize) + Sync),
    mut sink: impl FnMut(Patient) -> Result<(), E>,
) -> Result<PopulationSummary, PopulationError<E>> {
    let vars: Vec<Variable> = pop.variables.iter().map(|(v, _)| v.clone()).collect();
    let mut reading = pop.endpoints.clone();
    if let Some(a) = &pop.acceptance {
        reading.push(a.reading.clone());
    }
    let mut columns = vec!["t_day".to_string()];
    columns.extend(pop.band_columns.iter().cloned());
    let mut summary = PopulationSummary {
        accepted: 0,
        candidates: 0,
        rejected: 0,
        failed_count: 0,
        failed: Vec::new(),
        bands: Vec::new(),
        endpoint_values: vec![Vec::new(); pop.endpoints.len()],
    };
    let mut bands = Bands::Waiting;
    let mut times = 0;
    let mut t: Vec<f64> = Vec::new();
    let run = |c: &usize| -> CandidateRun {
        let x = candidate(pop, *c);
        let o = simulate_point(&pop.base, &vars, &x, &reading, true);
        let kept = match &o.trajectory {
            None => Err("no trajectory".to_string()),
            Some(traj) => columns
                .iter()
                .map(|c| traj.column(c).ok_or_else(|| format!("no column `{c}`")))
                .collect::<Result<Vec<&[f64]>, String>>()
                .map(|cols| cols.concat()),
        };
        (o.endpoints, kept)
    };
    // A chunk keeps every candidate's band values until they go into the bands: at most
    // CHUNK_BAND_BYTES of them, however long the output grid.
    let per_candidate = 8 * columns.len() * pop.base.protocol.output_times().len();
    let chunk = (CHUNK_BAND_BYTES / per_candidate.max(1)).clamp(1, CHUNK);
    let mut chunk_bands: Vec<Vec<f64>> = Vec::new();
    while summary.accepted < pop.patients && summary.candidates < pop.max_candidates {
        // As many candidates as patients are still missing (no run is wasted), at most a chunk.
        let batch = (pop.patients - summary.accepted)
            .min(pop.max_candidates - summary.candidates)
            .min(chunk);
        let first = summary.candidates;
        let candidates: Vec<usize> = (first..first + batch).collect();
        summary.candidates += batch;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let before = summary.accepted;
        let outcomes: Vec<CandidateRun> = candidates
            .par_iter()
            .map(|c| {
                let r = run(c);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(before + n, pop.patients);
                r
            })
            .collect();
        chunk_bands.clear();
        for (c, (endpoints, kept)) in candidates.into_iter().zip(outcomes) {
            let mut e = match endpoints {
                Err(e) => {
                    summary.failed_count += 1;
                    if summary.failed.len() < MAX_FAILURES_KEPT {
                        summary.failed.push((c, e));
                    }
                    continue;
                }
                Ok(e) => e,
            };
            if let Some(a) = &pop.acceptance {
                let v = e.pop().unwrap_or(f64::NAN);
                if !(v >= a.min && v <= a.max) {
                    summary.rejected += 1;
                    continue;
                }
            }
            let kept = kept.map_err(PopulationError::Analysis)?;
            if let Bands::Waiting = bands {
                times = kept.len() / columns.len();
                t = kept[..times].to_vec();
                let values = pop.band_columns.len() * times;
                bands = if pop
                    .patients
                    .saturating_mul(values)
                    .saturating_mul(std::mem::size_of::<f64>())
                    <= band_budget_bytes
                {
                    Bands::Exact(
                        (0..values)
                            .map(|_| Vec::with_capacity(pop.patients))
                            .collect(),
                    )
                } else {
                    Bands::Sketch(vec![QuantileSketch::new(); values])
                };
            }
            let x = candidate(pop, c);
            sink(Patient {
                index: summary.accepted,
                candidate: c,
                values: &x,
                endpoints: &e,
            })
            .map_err(PopulationError::Sink)?;
            for (j, v) in e.iter().enumerate() {
                summary.endpoint_values[j].push(*v);
            }
            summary.accepted += 1;
            chunk_bands.push(kept);
        }
        match &mut bands {
            Bands::Waiting => {}
            Bands::Exact(values) => {
                for p in &chunk_bands {
                    for (s, v) in values.iter_mut().enumerate() {
                        v.push(p[times + s]);
                    }
                }
            }
            Bands::Sketch(sketches) => {
                let chunk_bands = &chunk_bands;
                sketches.par_iter_mut().enumerate().for_each(|(s, sk)| {
                    for p in chunk_bands {
                        sk.add(p[times + s]);
                    }
                });
            }
        }
    }
    if summary.accepted == 0 {
        return Err(PopulationError::Analysis(format!(
            "no patient accepted out of {} candidates ({} rejected, {} failed)",
            summary.candidates, summary.rejected, summary.failed_count
        )));
    }
    for (ci, column) in pop.band_columns.iter().enumerate() {
        let (mut p05, mut p50, mut p95) = (Vec::new(), Vec::new(), Vec::new());
        let mut relative_accuracy = None;
        for k in 0..times {
            let s = ci * times + k;
            match &mut bands {
                Bands::Waiting => {}
                Bands::Exact(values) => {
                    let at = &mut values[s];
                    at.sort_by(f64::total_cmp);
                    p05.push(percentile(at, 0.05));
                    p50.push(percentile(at, 0.5));
                    p95.push(percentile(at, 0.95));
                    // Done with this column and time: give the memory back.
                    *at = Vec::new();
                }
                Bands::Sketch(sketches) => {
                    let sk = &sketches[s];
                    p05.push(sk.quantile(0.05));
                    p50.push(sk.quantile(0.5));
                    p95.push(sk.quantile(0.95));
                    let a = sk.relative_accuracy();
                    relative_accuracy = Some(relative_accuracy.map_or(a, |b: f64| b.max(a)));
                }
            }
        }
        summary.bands.push(Band {
            column: column.clone(),
            t: t.clone(),
            p05,
            p50,
            p95,
            relative_accuracy,
        });
    }
    Ok(summary)
}

/// Draws and runs candidates until `patients` are accepted or `max_candidates` drawn, and keeps
/// every patient (see [`stream`] for the same without keeping them).
pub fn run(
    pop: &Population,
    progress: &(impl Fn(usize, usize) + Sync),
) -> Result<PopulationResult, String> {
    run_with_budget(pop, BAND_EXACT_BYTES, progress)
}

/// [`run`] with another memory budget for exact bands (0: always the sketch).
pub fn run_with_budget(
    pop: &Population,
    band_budget_bytes: usize,
    progress: &(impl Fn(usize, usize) + Sync),
) -> Result<PopulationResult, String> {
    let mut patients = Vec::new();
    let summary = stream(pop, band_budget_bytes, progress, |p| {
        patients.push((p.candidate, p.values.to_vec(), p.endpoints.to_vec()));
        Ok::<(), std::convert::Infallible>(())
    })
    .map_err(|e| match e {
        PopulationError::Analysis(e) => e,
        PopulationError::Sink(never) => match never {},
    })?;
    Ok(PopulationResult {
        patients,
        rejected: summary.rejected,
        failed: summary.failed,
        bands: summary.bands,
    })
}

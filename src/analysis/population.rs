//! Virtual populations: patients with log-normal parameter variability, an optional acceptance
//! window on their baseline, one run each, percentile bands of the curves and endpoint
//! distributions.

use super::shard::Shard;
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
    /// 5th percentile per time.
    pub p05: Vec<f64>,
    /// 25th percentile (lower quartile).
    pub p25: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 75th percentile (upper quartile).
    pub p75: Vec<f64>,
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

/// The percentiles of a band, as fractions: 5th, 25th, 50th, 75th and 95th (the fields of
/// [`Band`] in this order).
pub const BAND_LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

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

/// The percentile bands of a population, built patient by patient: exact while the wanted
/// patients x output times x band columns x 8 bytes stay within the budget, a
/// [`QuantileSketch`] per column and output time beyond it. Neither depends on the order in
/// which patients are added, so a merge of shards gives the bands of the whole population.
pub struct BandSet {
    columns: usize,
    patients: usize,
    budget: usize,
    times: usize,
    t: Vec<f64>,
    bands: Bands,
    /// Band values of patients not yet added (flushed every `chunk` patients).
    pending: Vec<Vec<f64>>,
    chunk: usize,
}

impl BandSet {
    /// Bands of `columns` columns for a population of `patients` wanted patients, exact within
    /// `budget` bytes; values are added `chunk` patients at a time.
    pub fn new(columns: usize, patients: usize, budget: usize, chunk: usize) -> Self {
        BandSet {
            columns,
            patients,
            budget,
            times: 0,
            t: Vec::new(),
            bands: Bands::Waiting,
            pending: Vec::new(),
            chunk: chunk.max(1),
        }
    }

    /// Whether the bands are exact (decided by the first patient's output times).
    pub fn exact_for(columns: usize, times: usize, patients: usize, budget: usize) -> bool {
        patients
            .saturating_mul(columns * times)
            .saturating_mul(std::mem::size_of::<f64>())
            <= budget
    }

    /// The output times (empty before the first patient).
    pub fn times(&self) -> &[f64] {
        &self.t
    }

    /// Adds one patient's band values, `[column][time]` flattened; the first patient sets the
    /// output times `t`.
    pub fn add(&mut self, t: &[f64], values: Vec<f64>) {
        if let Bands::Waiting = self.bands {
            self.times = t.len();
            self.t = t.to_vec();
            let n = self.columns * self.times;
            self.bands = if Self::exact_for(self.columns, self.times, self.patients, self.budget) {
                Bands::Exact((0..n).map(|_| Vec::with_capacity(self.patients)).collect())
            } else {
                Bands::Sketch(vec![QuantileSketch::new(); n])
            };
        }
        self.pending.push(values);
        if self.pending.len() >= self.chunk {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let pending = &self.pending;
        match &mut self.bands {
            Bands::Waiting => {}
            Bands::Exact(values) => {
                for p in pending {
                    for (s, v) in values.iter_mut().enumerate() {
                        v.push(p[s]);
                    }
                }
            }
            Bands::Sketch(sketches) => {
                sketches.par_iter_mut().enumerate().for_each(|(s, sk)| {
                    for p in pending {
                        sk.add(p[s]);
                    }
                });
            }
        }
        self.pending.clear();
    }

    /// The percentiles of each column (named by `names`) at every output time: [`BAND_LEVELS`].
    pub fn finish(mut self, names: &[String]) -> Vec<Band> {
        self.flush();
        let times = self.times;
        let mut out = Vec::with_capacity(names.len());
        for (ci, column) in names.iter().enumerate() {
            let mut p: [Vec<f64>; 5] = Default::default();
            let mut relative_accuracy = None;
            for k in 0..times {
                let s = ci * times + k;
                match &mut self.bands {
                    Bands::Waiting => {}
                    Bands::Exact(values) => {
                        let at = &mut values[s];
                        at.sort_by(f64::total_cmp);
                        for (v, q) in p.iter_mut().zip(BAND_LEVELS) {
                            v.push(percentile(at, q));
                        }
                        // Done with this column and time: give the memory back.
                        *at = Vec::new();
                    }
                    Bands::Sketch(sketches) => {
                        let sk = &sketches[s];
                        for (v, q) in p.iter_mut().zip(BAND_LEVELS) {
                            v.push(sk.quantile(q));
                        }
                        let a = sk.relative_accuracy();
                        relative_accuracy = Some(relative_accuracy.map_or(a, |b: f64| b.max(a)));
                    }
                }
            }
            let [p05, p25, p50, p75, p95] = p;
            out.push(Band {
                column: column.clone(),
                t: self.t.clone(),
                p05,
                p25,
                p50,
                p75,
                p95,
                relative_accuracy,
            });
        }
        out
    }
}

/// One candidate's run: endpoints (with the acceptance reading last) or the failure, and the
/// band columns at the output times (`[column][time]`, flattened, `t_day` first).
type CandidateRun = (Result<Vec<f64>, String>, Result<Vec<f64>, String>);

/// What became of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Accepted: its endpoints and its band values (`[column][time]`, flattened).
    Accepted {
        /// Endpoint values.
        endpoints: Vec<f64>,
        /// Band values.
        bands: Vec<f64>,
    },
    /// Outside the acceptance window.
    Rejected,
    /// Its run failed, with the reason.
    Failed(String),
}

/// Candidates a chunk of a population runs at once: at most [`CHUNK`], and at most
/// [`CHUNK_BAND_BYTES`] of band values, however long the output grid.
pub fn chunk_size(pop: &Population) -> usize {
    let per_candidate = 8 * (1 + pop.band_columns.len()) * pop.base.protocol.output_times().len();
    (CHUNK_BAND_BYTES / per_candidate.max(1)).clamp(1, CHUNK)
}

/// Patients a shard of `count` accepts before it stops, out of `patients` wanted: its share
/// `q = ceil(patients / count)` and a margin of `6 sqrt(q) + 16` (none on one machine), so that
/// the first `patients` accepted candidates of the whole population (round robin over the
/// shards) are among the shards' candidates even where acceptance varies between shards by six
/// standard deviations of a binomial count. A merge checks that they are, and says so if not.
pub fn shard_quota(patients: usize, count: usize) -> usize {
    if count <= 1 {
        return patients;
    }
    let q = patients.div_ceil(count);
    q.saturating_add((6.0 * (q as f64).sqrt()).ceil() as usize + 16)
        .min(patients)
}

/// Where a shard of a population stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardStop {
    /// Its own candidates run: candidates `shard.candidate(0..processed)`.
    pub processed: usize,
    /// Patients it accepted.
    pub accepted: usize,
    /// Output times of its patients (empty when none was accepted).
    pub t: Vec<f64>,
}

/// Runs the candidates `shard` owns (round robin: `c mod N == I`), in order and in chunks, until
/// it has accepted `quota` patients or run its candidates below `max_candidates`, and hands each
/// candidate's [`Verdict`] to `sink` in candidate order. The whole population on one machine is
/// shard 0 of 1 with a quota of `patients`.
pub fn stream_candidates<E>(
    pop: &Population,
    shard: Shard,
    quota: usize,
    progress: &(impl Fn(usize, usize) + Sync),
    mut sink: impl FnMut(usize, Verdict, &[f64]) -> Result<(), PopulationError<E>>,
) -> Result<ShardStop, PopulationError<E>> {
    let vars: Vec<Variable> = pop.variables.iter().map(|(v, _)| v.clone()).collect();
    let mut reading = pop.endpoints.clone();
    if let Some(a) = &pop.acceptance {
        reading.push(a.reading.clone());
    }
    let mut columns = vec!["t_day".to_string()];
    columns.extend(pop.band_columns.iter().cloned());
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
    let own = pop
        .max_candidates
        .saturating_sub(shard.index)
        .div_ceil(shard.count);
    let chunk = chunk_size(pop);
    let mut stop = ShardStop {
        processed: 0,
        accepted: 0,
        t: Vec::new(),
    };
    while stop.accepted < quota && stop.processed < own {
        // As many candidates as patients are still missing (no run is wasted), at most a chunk.
        let batch = (quota - stop.accepted).min(own - stop.processed).min(chunk);
        let candidates: Vec<usize> = (stop.processed..stop.processed + batch)
            .map(|j| shard.candidate(j))
            .collect();
        stop.processed += batch;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let before = stop.accepted;
        let outcomes: Vec<CandidateRun> = candidates
            .par_iter()
            .map(|c| {
                let r = run(c);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(before + n, quota);
                r
            })
            .collect();
        for (c, outcome) in candidates.into_iter().zip(outcomes) {
            let mut verdict = judge(pop, outcome).map_err(PopulationError::Analysis)?;
            if let Verdict::Accepted { bands, .. } = &mut verdict {
                // The kept columns start with t_day: the output times, then the band values.
                let times = bands.len() / columns.len();
                if stop.accepted == 0 {
                    stop.t = bands[..times].to_vec();
                }
                bands.drain(..times);
                stop.accepted += 1;
            }
            sink(c, verdict, &stop.t)?;
        }
    }
    Ok(stop)
}

/// A candidate's verdict from its run; an accepted candidate's band values still start with
/// its output times (the caller splits them off). Err when the run lacks a band column.
fn judge(pop: &Population, (endpoints, kept): CandidateRun) -> Result<Verdict, String> {
    let mut e = match endpoints {
        Err(e) => return Ok(Verdict::Failed(e)),
        Ok(e) => e,
    };
    if let Some(a) = &pop.acceptance {
        let v = e.pop().unwrap_or(f64::NAN);
        if !(v >= a.min && v <= a.max) {
            return Ok(Verdict::Rejected);
        }
    }
    Ok(Verdict::Accepted {
        endpoints: e,
        bands: kept?,
    })
}

/// The counts of a population as its candidates come in candidate order: what the one-machine
/// run and a merge of shards both build, so that they write the same summary.
pub struct Tally {
    summary: PopulationSummary,
    bands: BandSet,
}

impl Tally {
    /// An empty tally of `pop` with exact bands within `band_budget_bytes`.
    pub fn new(pop: &Population, band_budget_bytes: usize) -> Self {
        Tally {
            summary: PopulationSummary {
                accepted: 0,
                candidates: 0,
                rejected: 0,
                failed_count: 0,
                failed: Vec::new(),
                bands: Vec::new(),
                endpoint_values: vec![Vec::new(); pop.endpoints.len()],
            },
            bands: BandSet::new(
                pop.band_columns.len(),
                pop.patients,
                band_budget_bytes,
                chunk_size(pop),
            ),
        }
    }

    /// Patients accepted so far.
    pub fn accepted(&self) -> usize {
        self.summary.accepted
    }

    /// Counts candidate `c` (the next in candidate order) with its verdict; an accepted
    /// candidate's band values are `[column][time]` at the output times `t`. Returns the patient
    /// number of an accepted candidate.
    pub fn add(&mut self, c: usize, verdict: Verdict, t: &[f64]) -> Option<(usize, Vec<f64>)> {
        let s = &mut self.summary;
        s.candidates = c + 1;
        match verdict {
            Verdict::Failed(e) => {
                s.failed_count += 1;
                if s.failed.len() < MAX_FAILURES_KEPT {
                    s.failed.push((c, e));
                }
                None
            }
            Verdict::Rejected => {
                s.rejected += 1;
                None
            }
            Verdict::Accepted { endpoints, bands } => {
                for (j, v) in endpoints.iter().enumerate() {
                    s.endpoint_values[j].push(*v);
                }
                s.accepted += 1;
                self.bands.add(t, bands);
                Some((s.accepted - 1, endpoints))
            }
        }
    }

    /// The summary with the bands of the columns `names`; Err when no patient was accepted.
    pub fn finish(self, names: &[String]) -> Result<PopulationSummary, String> {
        let mut summary = self.summary;
        if summary.accepted == 0 {
            return Err(format!(
                "no patient accepted out of {} candidates ({} rejected, {} failed)",
                summary.candidates, summary.rejected, summary.failed_count
            ));
        }
        summary.bands = self.bands.finish(names);
        Ok(summary)
    }
}

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
    let mut tally = Tally::new(pop, band_budget_bytes);
    stream_candidates(
        pop,
        Shard::WHOLE,
        pop.patients,
        progress,
        |c, verdict, t| {
            if let Some((index, endpoints)) = tally.add(c, verdict, t) {
                let x = candidate(pop, c);
                sink(Patient {
                    index,
                    candidate: c,
                    values: &x,
                    endpoints: &endpoints,
                })
                .map_err(PopulationError::Sink)?;
            }
            Ok(())
        },
    )?;
    tally
        .finish(&pop.band_columns)
        .map_err(PopulationError::Analysis)
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

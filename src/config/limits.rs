//! Limits on every size an input file (or the command line) can set, in one place.
//!
//! Each limit is derived from memory or time, so that no file, however careless or hostile, can
//! make the program abort on a failed allocation, exhaust memory, or run for days while it is
//! still only being checked. Files are checked against these limits when they are loaded
//! (`ConfigError`, exit 2), before anything is allocated or simulated, and the message says the
//! estimated size and how to reduce it.
//!
//! The reasoning, limit by limit:
//!
//! - **Input files** ([`MAX_FILE_BYTES`]): the largest bundled file is a few tens of kilobytes; a
//!   hand-written or generated scenario, parameter or analysis file of 16 MiB is already absurd.
//!   Only regular files are read (not folders, FIFOs or devices such as `/dev/zero`).
//! - **Output rows of one run** ([`TRAJECTORY_BYTES`], [`max_output_rows`]): a run keeps its whole
//!   trajectory in memory, `rows x columns x 8 bytes` (`columns` = `t_day`, the states and the
//!   derived read-outs: 4 for `lemaire2004`, 104 for `immunoporosis`), and an analysis keeps one
//!   per worker thread while it runs. 256 MiB per run allows 8.4 million rows of `lemaire2004`
//!   and 320,000 rows of `immunoporosis` (880 years at one row a day), and its CSV file (about
//!   20 bytes per number) stays below a gigabyte.
//! - **Simulated span** ([`MIN_DURATION_DAYS`], [`MAX_SIMULATED_DAYS`]): a run (and a run-in)
//!   shorter than a microday is within the rounding that merges segment edges and would simulate
//!   nothing (`duration_days = 5e-324` ran no segment at all). Bone remodeling is studied over
//!   years to decades (the longest bundled run is 50 years), and the solver's time grows with the
//!   span whatever the output grid, so run-in plus duration is capped at 1000 years.
//! - **Doses** ([`MAX_DOSES`]): every dose is a segment boundary where the solver restarts, and
//!   costs about 600 bytes (the dose, its segment with the input values, the segment's report).
//!   A million doses (a dose every hour for 114 years) take about 0.6 GB and a million solver
//!   restarts; the limit is on the doses within the run, over all treatments. Doses scheduled
//!   after the end of the run are counted, never enumerated.
//! - **Input windows** ([`MAX_WINDOWS`]): each `[[input]]` is written by hand; segments with many
//!   overlapping windows cost time proportional to the overlap, so 10,000 windows is the cap.
//!   Windows with a time profile ([`MAX_PROFILED_WINDOWS`]) are carried by every segment they
//!   cover, as one shared list per change of the set: P nested profiled windows make up to 2P
//!   lists of up to P windows (48 bytes each), so P = 1000 bounds them at about 100 MB (10,000
//!   nested ones took 5 GB and aborted `check`, found in review).
//! - **Runs of an analysis** ([`MAX_RUNS`]): analyses stream their results, so memory does not
//!   grow with the number of runs; the limit is one of time. A `lemaire2004` run takes about a
//!   millisecond and an `immunoporosis` run tens of milliseconds, so 10^8 runs are days to years
//!   of computing: the cap on sweep samples and grid points, patients and candidates, Morris and
//!   Sobol runs. A million-patient population with the default ten candidates per patient
//!   (10^7 runs) is within it.
//! - **Kept trajectories** ([`MAX_TRAJECTORY_VALUES`]): a sweep with `trajectories = true`
//!   writes `runs x rows x columns` numbers to `trajectories.csv`, about 20 bytes each: at most
//!   2^27 numbers (about 2.5 GiB of text). It holds one chunk of runs' trajectories
//!   (`analysis::TRAJECTORY_CHUNK`) in memory at a time, at 8 bytes a number: so at most 1 GiB.
//! - **Sensitivity results** ([`SENSITIVITY_BYTES`]): Morris and Sobol need every run's point and
//!   endpoints at once, about `8 (parameters + endpoints) + 48` bytes a run, and Sobol's bootstrap
//!   keeps `bootstrap x base_samples` resample indices of 8 bytes: each at most 1 GiB.
//! - **Population bands** ([`SKETCH_BYTES`], `analysis::population::CHUNK_BAND_BYTES`): beyond the exact budget each
//!   band column and output time has a quantile sketch of up to 4,096 bins of about 40 bytes,
//!   so columns x output times is bounded to keep them within 4 GiB; and a chunk of candidates
//!   keeps at most 256 MiB of band values before they go into the bands (found in review: 1,600
//!   patients with 100,000 output times took 4.6 GB).
//! - **Morris levels** ([`MAX_MORRIS_LEVELS`]): the method uses 4 to 10 levels; 1000 is a
//!   sanity bound.
//! - **Threads** ([`MAX_THREADS`], [`IN_FLIGHT_BYTES`]): a thread per core is the useful maximum;
//!   more only add memory (a trajectory each) and switching. 1024 covers the largest machines,
//!   and the trajectories of the runs in flight, one per thread, may take at most 4 GiB together
//!   (checked against the analysis's scenario before any run starts).
//! - **Shards** ([`MAX_SHARDS`]): `--shard I/N` splits an analysis over N processes; `merge`
//!   reads every part, a population's parts all at once (two open files and two read buffers
//!   per shard, round robin in candidate order). 10,000 shards is ten times Slurm's default
//!   `MaxArraySize` (1001) and keeps the merge within 20,000 open files and 160 MiB of buffers;
//!   a shard of a 10^8-patient population is then still 10,000 patients.
//! - **Calibration iterations** ([`MAX_CALIBRATION_ITERATIONS`]): each Nelder–Mead iteration runs
//!   every target scenario; a million iterations is a sanity bound (the bundled file uses 1000).

/// Largest input file read (bytes): 16 MiB.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Memory one run's trajectory may take (bytes): 256 MiB.
pub const TRAJECTORY_BYTES: u64 = 256 << 20;

/// Shortest run and shortest run-in (days): about a tenth of a second. Shorter spans are within
/// the rounding that merges segment edges (1e-12 day), so they would simulate nothing.
pub const MIN_DURATION_DAYS: f64 = 1e-6;

/// Longest simulated span, run-in plus duration (days): 1000 years.
pub const MAX_SIMULATED_DAYS: f64 = 365_250.0;

/// Most doses within a run, over all treatments.
pub const MAX_DOSES: usize = 1_000_000;

/// Most input windows (`[[input]]` tables) in a scenario.
pub const MAX_WINDOWS: usize = 10_000;

/// Most input windows with a time profile (`profile` other than constant) in a scenario.
pub const MAX_PROFILED_WINDOWS: usize = 1000;

/// Most simulations in one analysis (sweep points, patient candidates, sensitivity runs).
pub const MAX_RUNS: u64 = 100_000_000;

/// Most numbers in a sweep's `trajectories.csv` (runs x rows x columns): 2^27.
pub const MAX_TRAJECTORY_VALUES: u64 = 1 << 27;

/// Memory a sensitivity analysis may take for its points and results, and separately for its
/// bootstrap resamples (bytes): 1 GiB each.
pub const SENSITIVITY_BYTES: u64 = 1 << 30;

/// Most Morris levels.
pub const MAX_MORRIS_LEVELS: usize = 1000;

/// Most worker threads (`--threads`).
pub const MAX_THREADS: usize = 1024;

/// Most shards an analysis may be split into (`--shard I/N`, `slurm --shards N`).
pub const MAX_SHARDS: usize = 10_000;

/// Most Nelder–Mead iterations of a calibration.
pub const MAX_CALIBRATION_ITERATIONS: u64 = 1_000_000;

/// Bytes per output row of a run with `columns` columns (`t_day` included).
pub fn row_bytes(columns: usize) -> u64 {
    8 * columns as u64
}

/// Most output rows of one run with `columns` columns.
pub fn max_output_rows(columns: usize) -> u64 {
    TRAJECTORY_BYTES / row_bytes(columns.max(1))
}

/// Output rows of a run of `duration` days written every `interval` days, computed in `f64` so
/// that no size overflows: the multiples of the interval, plus the end if it is off the grid.
pub fn output_rows(duration: f64, interval: f64) -> f64 {
    // As `Protocol::output_times`, without building them.
    let n = (duration / interval * (1.0 + 1e-12)).floor();
    let last = (n * interval).min(duration);
    n + 1.0
        + if duration - last > 1e-9 * interval {
            1.0
        } else {
            0.0
        }
}

/// Most bytes the trajectories of the runs in flight may take together: one per worker thread.
pub const IN_FLIGHT_BYTES: u64 = 4 << 30;

/// Why `threads` workers, each holding one trajectory of `rows` x `columns`, are too many for
/// [`IN_FLIGHT_BYTES`], if they are.
pub fn threads_problem(threads: usize, rows: f64, columns: usize) -> Option<String> {
    let each = rows * row_bytes(columns) as f64;
    let total = threads as f64 * each;
    (total > IN_FLIGHT_BYTES as f64).then(|| {
        format!(
            "{threads} threads each holding a run of {} rows x {columns} columns ({}) need {} at once; at most {}",
            count(rows),
            bytes(each),
            bytes(total),
            bytes(IN_FLIGHT_BYTES as f64)
        )
    })
}

/// Most bytes of a population's quantile sketches (one per band column and output time) at
/// their largest (`analysis::population::SKETCH_MAX_BINS` bins each).
pub const SKETCH_BYTES: u64 = 4 << 30;

/// Bytes one bin of a quantile sketch takes at most (key, count and its share of the map).
pub const SKETCH_BIN_BYTES: u64 = 40;

/// Bytes per run a Morris or Sobol analysis keeps: the point, the endpoints, two vector headers.
pub fn sensitivity_run_bytes(parameters: usize, endpoints: usize) -> u64 {
    8 * (parameters + endpoints) as u64 + 48
}

/// A byte count for messages: "512 MiB", "3.2 GiB", "12 KiB".
pub fn bytes(n: f64) -> String {
    const KIB: f64 = 1024.0;
    let short = |x: f64| {
        if x < 1e6 {
            let s = format!("{x:.1}");
            s.strip_suffix(".0").map_or(s.clone(), str::to_string)
        } else {
            super::num(x.round())
        }
    };
    if !n.is_finite() {
        format!("more than {} bytes", super::num(f64::MAX))
    } else if n >= KIB * KIB * KIB * KIB {
        format!("{} TiB", short(n / (KIB * KIB * KIB * KIB)))
    } else if n >= KIB * KIB * KIB {
        format!("{} GiB", short(n / (KIB * KIB * KIB)))
    } else if n >= KIB * KIB {
        format!("{} MiB", short(n / (KIB * KIB)))
    } else if n >= KIB {
        format!("{} KiB", short(n / KIB))
    } else {
        format!("{} bytes", short(n))
    }
}

/// A count for messages, exact up to 10^15 and in exponent form beyond ("1e300").
pub fn count(n: f64) -> String {
    if n.is_finite() {
        super::num(n.round())
    } else {
        format!("more than {}", super::num(f64::MAX))
    }
}

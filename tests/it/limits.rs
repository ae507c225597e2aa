//! Issue 9 (items 3, 4 and 8): sizes a file can set are checked at load against limits derived
//! from memory and time; only regular files of bounded size are read; segments and dose
//! schedules are built in (near) linear time; numbers and control characters in messages are
//! printed safely.

use crate::util::parse;
use clap::Parser;
use immunoporosis::cli::Cli;
use immunoporosis::config::{self, limits};
use immunoporosis::engine::protocol::same_time;
use immunoporosis::engine::{Dose, Profile, Protocol, Segment, Window};
use immunoporosis::error::ConfigError;
use immunoporosis::model::{InputKind, InputSpec, ModelId, neutral_inputs};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Segments: the sweep over sorted edges against the per-segment filter it replaced.

/// A segment as plain data: start, end, inputs, profiled windows, doses.
type Flat = (f64, f64, Vec<f64>, Vec<Window>, Vec<Dose>);

/// The segment builder before issue 9, kept as the reference: for every segment, a filter over
/// all windows and all doses (quadratic).
fn naive_segments(p: &Protocol, specs: &[InputSpec]) -> Vec<Flat> {
    let mut edges = vec![p.start, p.duration];
    if p.start < 0.0 {
        edges.push(0.0);
    }
    for w in &p.windows {
        for edge in [w.start, w.end] {
            if edge > p.start && edge < p.duration {
                edges.push(edge);
            }
        }
    }
    edges.extend(
        p.doses
            .iter()
            .map(|d| d.time)
            .filter(|t| *t > p.start && *t < p.duration),
    );
    edges.sort_by(f64::total_cmp);
    edges.dedup_by(|later, earlier| same_time(*later, *earlier));
    edges
        .windows(2)
        .map(|pair| {
            let (start, end) = (pair[0], pair[1]);
            let mid = 0.5 * (start + end);
            let mut inputs = neutral_inputs(specs);
            let mut profiled = Vec::new();
            for w in p.windows.iter().filter(|w| w.start <= mid && mid < w.end) {
                if w.profile != Profile::Constant {
                    profiled.push(w.clone());
                    continue;
                }
                match specs[w.input].kind {
                    InputKind::Additive => inputs[w.input] += w.value,
                    InputKind::Multiplier => inputs[w.input] *= w.value,
                }
            }
            let doses = p
                .doses
                .iter()
                .filter(|d| same_time(d.time, start) || (start == p.start && d.time <= p.start))
                .cloned()
                .collect();
            (start, end, inputs.to_vec(), profiled, doses)
        })
        .collect()
}

fn flat(segments: &[Segment]) -> Vec<Flat> {
    segments
        .iter()
        .map(|s| {
            (
                s.start,
                s.end,
                s.inputs.to_vec(),
                s.profiled.to_vec(),
                s.doses.clone(),
            )
        })
        .collect()
}

/// A random protocol whose times come from a coarse grid (so edges, doses and window ends
/// coincide), sometimes off by rounding (1e-13), with overlapping windows on the same inputs,
/// all three profiles, open-ended windows, a run-in and doses at or before its start.
fn random_protocol(rng: &mut ChaCha8Rng, inputs: usize) -> Protocol {
    let time = |rng: &mut ChaCha8Rng, lo: f64| {
        let t = lo.max(-5.0) + 0.5 * rng.random_range(0..30) as f64;
        match rng.random_range(0..6) {
            0 => t + 1e-13,
            1 => t - 1e-13,
            _ => t,
        }
    };
    let start = if rng.random_bool(0.5) {
        0.0
    } else {
        -0.5 * rng.random_range(1..10) as f64
    };
    let duration = 0.5 * rng.random_range(1..25) as f64;
    let windows = (0..rng.random_range(0..12))
        .map(|_| {
            let s = time(rng, start);
            let end = if rng.random_bool(0.2) {
                f64::INFINITY
            } else {
                s + 0.5 * rng.random_range(1..12) as f64
            };
            let profile = match rng.random_range(0..4) {
                0 => Profile::Hyperbolic { tau_days: 3.0 },
                1 => Profile::Linear { rate_per_day: 0.1 },
                _ => Profile::Constant,
            };
            Window {
                input: rng.random_range(0..inputs),
                value: rng.random_range(0.1..3.0),
                start: s,
                end,
                profile,
            }
        })
        .collect();
    let doses = (0..rng.random_range(0..15))
        .map(|k| Dose {
            time: time(rng, start - 1.0),
            state: rng.random_range(0..4),
            amount: rng.random_range(0.0..10.0),
            label: format!("dose {k}"),
        })
        .collect();
    Protocol {
        start,
        duration,
        output_interval: 0.5,
        windows,
        doses,
    }
}

#[test]
fn segments_equal_the_per_segment_filter_on_random_protocols() {
    let specs = ModelId::Immunoporosis.info().inputs;
    // The first inputs of the immunoporosis model include both kinds (sources and factors).
    let used = 6.min(specs.len());
    let kinds: Vec<InputKind> = specs[..used].iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&InputKind::Additive) || kinds.contains(&InputKind::Multiplier));
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut with_doses = 0;
    let mut with_windows = 0;
    for case in 0..3000 {
        let p = random_protocol(&mut rng, used);
        let got = flat(&p.segments(specs));
        let want = naive_segments(&p, specs);
        assert_eq!(got, want, "case {case}: {p:?}");
        with_doses += usize::from(got.iter().any(|s| !s.4.is_empty()));
        with_windows +=
            usize::from(got.iter().any(|s| {
                s.3.len() > 1 || s.2.iter().zip(neutral_inputs(specs)).any(|(a, b)| *a != b)
            }));
    }
    // The random protocols exercise what they are meant to.
    assert!(
        with_doses > 1000 && with_windows > 1000,
        "{with_doses} {with_windows}"
    );
}

#[test]
fn a_million_doses_build_their_segments_in_linear_time() {
    // Quadratic before (10k doses 0.12 s, 100k 17.8 s): a million would take hours. A daily dose
    // at noon for a million days, a constant window over the first half and a profiled window
    // over days 10..20.
    let specs = ModelId::Immunoporosis.info().inputs;
    let n = 1_000_000usize;
    let p = Protocol {
        start: 0.0,
        duration: n as f64 + 1.0,
        output_interval: 1000.0,
        windows: vec![
            Window {
                input: 0,
                value: 2.0,
                start: 0.0,
                end: n as f64 / 2.0,
                profile: Profile::Constant,
            },
            Window {
                input: 1,
                value: 2.0,
                start: 10.0,
                end: 20.0,
                profile: Profile::Linear { rate_per_day: 0.1 },
            },
        ],
        doses: (0..n)
            .map(|i| Dose {
                time: i as f64 + 0.5,
                state: 0,
                amount: 1.0,
                label: String::new(),
            })
            .collect(),
    };
    let segments = p.segments(specs);
    // Edges: 0, the end, a million doses, and the window edges 10, 20 and n/2.
    assert_eq!(segments.len(), n + 4);
    let neutral = neutral_inputs(specs);
    let mut doses_seen = 0;
    for s in &segments {
        assert!(s.end > s.start);
        for d in &s.doses {
            assert_eq!(d.time, s.start);
        }
        doses_seen += s.doses.len();
        let mid = 0.5 * (s.start + s.end);
        let on = mid < n as f64 / 2.0;
        let mut want = neutral[0];
        if on {
            match specs[0].kind {
                InputKind::Additive => want += 2.0,
                InputKind::Multiplier => want *= 2.0,
            }
        }
        assert_eq!(s.inputs[0], want, "{} {}", s.start, s.end);
        assert_eq!(s.profiled.len(), usize::from((10.0..20.0).contains(&mid)));
    }
    assert_eq!(doses_seen, n);
}

// ---------------------------------------------------------------------------------------------
// Dose schedules: counted by bisection, never enumerated beyond the run.

const DOSED: &str = r#"
name = "t"
model = "immunoporosis"
duration_days = DURATION
output_interval_days = INTERVAL
[[treatment]]
drug = "denosumab"
dose = 1.0
unit = "mg"
route = "SC"
SCHEDULE
"#;

fn dosed(duration: f64, schedule: &str) -> Result<config::Scenario, ConfigError> {
    parse(
        &DOSED
            .replace("DURATION", &format!("{duration:?}"))
            .replace("INTERVAL", &format!("{:?}", duration / 4.0))
            .replace("SCHEDULE", schedule),
    )
}

/// The schedule as it was enumerated before: dose by dose until the count, `last_day` or the end
/// of the run.
fn enumerated(
    first: f64,
    step: f64,
    count: Option<u64>,
    last: Option<f64>,
    duration: f64,
) -> Vec<f64> {
    let mut times = Vec::new();
    for i in 0u64.. {
        let x = first + step * i as f64;
        let past_last = last.is_some_and(|l| x > l + 1e-9 * step);
        if count.is_some_and(|n| i >= n) || past_last {
            break;
        }
        if x >= duration {
            if count.is_none() {
                break;
            }
            continue;
        }
        times.push(x);
    }
    times
}

#[test]
fn dose_schedules_are_counted_not_enumerated() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for case in 0..300 {
        let duration = 0.25 * rng.random_range(4..400) as f64;
        let first = 0.25 * rng.random_range(0..100) as f64;
        let step = [0.1, 0.25, 1.0 / 3.0, 1.1, 7.0, 30.4375][rng.random_range(0..6)];
        let (count, last) = if rng.random_bool(0.5) {
            (Some(rng.random_range(1..500u64)), None)
        } else {
            (None, Some(first + 0.25 * rng.random_range(0..800) as f64))
        };
        let schedule = format!(
            "first_day = {first:?}\ninterval_days = {step:?}\n{}",
            match (count, last) {
                (Some(n), _) => format!("doses = {n}"),
                (_, Some(l)) => format!("last_day = {l:?}"),
                _ => unreachable!(),
            }
        );
        let want = enumerated(first, step, count, last, duration);
        match dosed(duration, &schedule) {
            Ok(s) => {
                let got: Vec<f64> = s.spec.protocol.doses.iter().map(|d| d.time).collect();
                assert_eq!(got, want, "case {case}: {schedule}");
            }
            Err(e) => {
                assert!(want.is_empty(), "case {case}: {schedule}: {e}");
                assert!(
                    e.to_string()
                        .contains("no dose of this treatment falls within the run")
                );
            }
        }
    }
    // Four billion doses a day apart, ten within the run: no four billion iterations.
    let s = dosed(10.0, "interval_days = 1.0\ndoses = 4000000000").unwrap();
    assert_eq!(s.spec.protocol.doses.len(), 10);
    assert!(
        s.treatments[0].contains("4000000000 dose(s)"),
        "{}",
        s.treatments[0]
    );
    // A last day far beyond the run, with a tiny interval: bisection, not a loop to 1e300.
    let s = dosed(10.0, "interval_days = 5.0\nlast_day = 1e300").unwrap();
    assert_eq!(s.spec.protocol.doses.len(), 2);
}

#[test]
fn a_schedule_of_999999_doses_loads_and_segments_quickly() {
    // 999,999 doses every quarter day: `check` took about half an hour before (quadratic).
    let s = dosed(250_000.0, "interval_days = 0.25\ndoses = 999999").unwrap();
    assert_eq!(s.spec.protocol.doses.len(), 999_999);
    let segments = s.spec.protocol.segments(s.spec.model.info().inputs);
    assert_eq!(segments.len(), 999_999);
    assert!(segments.iter().all(|seg| seg.doses.len() == 1));
}

#[test]
fn more_doses_than_the_limit_are_refused_naming_the_treatment() {
    let e = dosed(365_000.0, "interval_days = 0.25\ndoses = 1000001")
        .unwrap_err()
        .to_string();
    assert!(e.contains("key `treatment[0]`"), "{e}");
    assert!(
        e.contains("1000001 doses of this treatment fall within the run"),
        "{e}"
    );
    assert!(e.contains("at most 1000000 doses"), "{e}");
    // Over all treatments: two of 600,000 each.
    let two = DOSED.replace("SCHEDULE", "interval_days = 0.25\ndoses = 600000")
        + "[[treatment]]\ndrug = \"denosumab\"\ndose = 1.0\nunit = \"mg\"\nroute = \"SC\"\nfirst_day = 0.1\ninterval_days = 0.25\ndoses = 600000\n";
    let e = parse(
        &two.replace("DURATION", "365000.0")
            .replace("INTERVAL", "100.0"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("key `treatment[1]`"), "{e}");
    assert!(e.contains("with 600000 from the treatments above"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Output rows and simulated span.

fn lemaire(extra: &str) -> Result<config::Scenario, ConfigError> {
    parse(&format!("name = \"t\"\nmodel = \"lemaire2004\"\n{extra}\n"))
}

#[test]
fn output_grids_too_large_for_memory_are_refused_at_load() {
    // A billion billion rows would abort on a failed allocation.
    let e = lemaire("duration_days = 10.0\noutput_interval_days = 1e-9")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":4: key `output_interval_days`"), "{e}");
    assert!(
        e.contains("about 10000000001 output rows of 4 columns"),
        "{e}"
    );
    assert!(
        e.contains("help: raise output_interval_days to at least"),
        "{e}"
    );
    // The limit depends on the run's columns: 51 for immunoporosis without drugs.
    let layout = ModelId::Immunoporosis.layout(&[]);
    let columns = 1 + layout.states.len() + layout.derived.len();
    assert_eq!(columns, 51);
    let max = limits::max_output_rows(columns);
    // A quarter-day grid keeps the span within the simulated-days limit.
    let ok = parse(&format!(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = {}\noutput_interval_days = 0.25\n",
        (max - 2) as f64 * 0.25
    ));
    assert!(ok.is_ok(), "{:?}", ok.err());
    let e = parse(&format!(
        "name = \"t\"\nmodel = \"immunoporosis\"\nduration_days = {}\noutput_interval_days = 0.25\n",
        max as f64 * 0.25
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("output rows"), "{e}");
    // One run's trajectory at the limit stays within its memory budget.
    assert!(max * limits::row_bytes(columns) <= limits::TRAJECTORY_BYTES);
}

#[test]
fn simulated_spans_beyond_the_limit_are_refused_at_load() {
    let e = lemaire("duration_days = 1e9\noutput_interval_days = 1e8")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":3: key `duration_days`"), "{e}");
    assert!(e.contains("simulate 1000000000 days"), "{e}");
    // The run-in counts.
    let e = lemaire("duration_days = 1000.0\nrun_in_days = 365000.0")
        .unwrap_err()
        .to_string();
    assert!(e.contains("key `run_in_days`"), "{e}");
    assert!(lemaire("duration_days = 1000.0\nrun_in_days = 364000.0").is_ok());
    // A run within rounding of its start simulated no segment and printed 5e-324 in 330 digits.
    let e = lemaire("duration_days = 5e-324").unwrap_err().to_string();
    assert!(
        e.contains(":3: key `duration_days`: a run of 5e-324 day is too short"),
        "{e}"
    );
    let e = lemaire("duration_days = 10.0\nrun_in_days = 1e-300")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":4: key `run_in_days`: a run-in of 1e-300 day is too short"),
        "{e}"
    );
    assert!(
        lemaire("duration_days = 1e-6").is_ok_and(|s| !s.spec.protocol.segments(&[]).is_empty())
    );
}

#[test]
fn too_many_input_windows_are_refused() {
    let window = "[[input]]\nname = \"I_P\"\nvalue = 1.0\nunit = \"pM/day\"\n";
    let text = format!(
        "duration_days = 10.0\n{}",
        window.repeat(limits::MAX_WINDOWS + 1)
    );
    let e = lemaire(&text).unwrap_err().to_string();
    assert!(
        e.contains(&format!("key `input[{}]`", limits::MAX_WINDOWS)),
        "{e}"
    );
}

#[test]
fn too_many_windows_with_a_time_profile_are_refused_and_nested_ones_within_the_limit_build() {
    // Found in review: 10,000 nested linear windows made `check` allocate about 5 GB (each
    // change of the profiled set is a list of every active profiled window) and abort.
    let nested = |n: usize| {
        let mut text = format!("duration_days = {}.0\n", 2 * n + 2);
        for k in 0..n {
            text.push_str(&format!(
                "[[input]]\nname = \"I_P\"\nvalue = 1.0\nunit = \"pM/day\"\nstart_day = {k}.0\nend_day = {}.0\nprofile = \"linear\"\nrate_per_day = 0.0\n",
                2 * n + 1 - k
            ));
        }
        text
    };
    let e = lemaire(&nested(limits::MAX_PROFILED_WINDOWS + 1))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("windows with a time profile") && e.contains("at most 1000"),
        "{e}"
    );
    // At the limit: every segment carries the profiled windows active on it, and no more.
    let s = lemaire(&nested(limits::MAX_PROFILED_WINDOWS)).unwrap_or_else(|e| panic!("{e}"));
    let segments = s.spec.protocol.segments(ModelId::Lemaire2004.info().inputs);
    let n = limits::MAX_PROFILED_WINDOWS;
    // Edges: the window starts 0..n-1, their ends n+2..2n+1, and the end of the run.
    assert_eq!(segments.len(), 2 * n);
    for seg in &segments {
        let mid = 0.5 * (seg.start + seg.end);
        let active = (0..n)
            .filter(|&k| k as f64 <= mid && mid < (2 * n + 1 - k) as f64)
            .count();
        assert_eq!(
            seg.profiled.len(),
            active,
            "segment {}..{}",
            seg.start,
            seg.end
        );
    }
    assert_eq!(segments.iter().map(|s| s.profiled.len()).max(), Some(n));
}

// ---------------------------------------------------------------------------------------------
// Analyses: runs, grid products, kept trajectories, bootstrap, Morris.

/// A temporary folder with a short lemaire2004 scenario and its endpoints.
struct Analysis {
    dir: tempfile::TempDir,
}

impl Analysis {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("s.toml"),
            "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("e.toml"),
            "[[endpoint]]\nname = \"B_end\"\ncolumn = \"B_pM\"\nat_day = 10.0\n",
        )
        .unwrap();
        Analysis { dir }
    }

    /// Writes an analysis file (the header lines are added) and returns its path.
    fn file(&self, body: &str) -> PathBuf {
        let path = self.dir.path().join("a.toml");
        std::fs::write(
            &path,
            format!("name = \"a\"\nscenario = \"s.toml\"\nendpoints = \"e.toml\"\n{body}"),
        )
        .unwrap();
        path
    }
}

const PARAM: &str = "[[parameter]]\nname = \"input.I_L\"\nmin = 0.0\nmax = 1.0\n";
const PARAM_CV: &str = "[[parameter]]\nname = \"osteoblast.k_B\"\ncv = 0.1\n";

fn sweep_error(a: &Analysis, body: &str) -> String {
    config::load_sweep(&a.file(body)).unwrap_err().to_string()
}

#[test]
fn sweeps_beyond_the_run_limit_are_refused() {
    let a = Analysis::new();
    // Two dimensions of 2^32 points: the product wrapped around to zero.
    let grid = format!(
        "{PARAM}points = 4294967296\n[[parameter]]\nname = \"input.I_O\"\nmin = 0.0\nmax = 1.0\npoints = 4294967296\n"
    );
    let e = sweep_error(&a, &grid);
    assert!(e.contains("key `parameter[0].points`"), "{e}");
    assert!(e.contains("4294967296 x 4294967296"), "{e}");
    assert!(e.contains("1.8446744073709552e19 points"), "{e}");
    assert!(e.contains("at most 100000000 runs"), "{e}");
    let e = sweep_error(
        &a,
        &format!("design = \"random\"\nsamples = 1000000000\n{PARAM}"),
    );
    assert!(e.contains(":5: key `samples`"), "{e}");
    assert!(e.contains("at most 100000000 runs"), "{e}");
    // Within the limit: loads (the runs are not made here).
    let (_, s) = config::load_sweep(&a.file(&format!(
        "design = \"random\"\nsamples = 100000000\n{PARAM}"
    )))
    .unwrap();
    assert_eq!(s.samples, 100_000_000);
    // Kept trajectories: runs x rows x columns numbers in trajectories.csv.
    let e = sweep_error(
        &a,
        &format!("design = \"random\"\nsamples = 10000000\ntrajectories = true\n{PARAM}"),
    );
    assert!(e.contains(":6: key `trajectories`"), "{e}");
    assert!(e.contains("10000000 runs x 11 rows x 4 columns"), "{e}");
    assert!(
        config::load_sweep(&a.file(&format!(
            "design = \"random\"\nsamples = 1000\ntrajectories = true\n{PARAM}"
        )))
        .is_ok()
    );
}

#[test]
fn sensitivity_sizes_are_refused_beyond_their_limits() {
    let a = Analysis::new();
    let load = |body: &str| config::load_sensitivity(&a.file(body));
    let e = load(&format!(
        "methods = [\"morris\"]\n{PARAM}[morris]\ntrajectories = 1000000000\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("key `morris.trajectories`"), "{e}");
    assert!(
        e.contains("1000000000 trajectories x (1 parameters + 1) = 2000000000 runs"),
        "{e}"
    );
    let e = load(&format!(
        "methods = [\"morris\"]\n{PARAM}[morris]\nlevels = 1000000\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("key `morris.levels`"), "{e}");
    let e = load(&format!(
        "methods = [\"sobol\"]\n{PARAM}[sobol]\nbase_samples = 1024\nbootstrap = 1000000000000\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains(":11: key `sobol.bootstrap`"), "{e}");
    assert!(e.contains("help: use at most 131072 resamples"), "{e}");
    assert!(
        load(&format!(
            "methods = [\"sobol\"]\n{PARAM}[sobol]\nbase_samples = 1024\nbootstrap = 131072\n"
        ))
        .is_ok()
    );
}

#[test]
fn an_empty_list_of_methods_is_refused() {
    let a = Analysis::new();
    let e = config::load_sensitivity(&a.file(&format!("methods = []\n{PARAM}")))
        .unwrap_err()
        .to_string();
    assert!(e.contains(":4: key `methods`: no method listed"), "{e}");
}

#[test]
fn populations_beyond_the_run_limit_are_refused_and_a_million_patients_allowed() {
    let a = Analysis::new();
    let load = |body: &str| config::load_population(&a.file(body));
    for patients in ["1000000000", "3689348814741910324"] {
        let e = load(&format!("patients = {patients}\n{PARAM_CV}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(":4: key `patients`"), "{e}");
        assert!(e.contains("at most 100000000 runs"), "{e}");
    }
    let e = load(&format!(
        "patients = 10\nmax_candidates = 1000000000\n{PARAM_CV}"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains(":5: key `max_candidates`"), "{e}");
    let p = load(&format!("patients = 1000000\n{PARAM_CV}")).unwrap();
    assert_eq!(p.population.patients, 1_000_000);
    assert_eq!(p.population.max_candidates, 10_000_000);
    // The default of ten candidates per patient stays within the limit.
    let p = load(&format!("patients = 100000000\n{PARAM_CV}")).unwrap();
    assert_eq!(p.population.max_candidates as u64, limits::MAX_RUNS);
}

#[test]
fn threads_are_bounded_on_the_command_line() {
    let parse = |n: &str| Cli::try_parse_from(["immunoporosis", "sweep", "x.toml", "--threads", n]);
    for bad in ["1000000", "0", "-1", "many"] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{bad}");
    }
    assert!(
        parse("1000000")
            .unwrap_err()
            .to_string()
            .contains("between 1 and 1024")
    );
    assert!(parse("1").is_ok() && parse("1024").is_ok());
}

// ---------------------------------------------------------------------------------------------
// Files: only regular files of bounded size.

#[cfg(unix)]
#[test]
fn devices_fifos_and_folders_are_refused_without_reading() {
    let e = config::load_scenario(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "/dev/zero: cannot read the file: it is not a regular file (a character device)"
        ),
        "{e}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Opening a FIFO with no writer blocks forever: this returns at once.
    let e = config::load_scenario(&fifo).unwrap_err().to_string();
    assert!(
        e.contains("is not a regular file (a FIFO, or named pipe)"),
        "{e}"
    );
    let e = config::load_sweep(tmp.path()).unwrap_err().to_string();
    assert!(
        e.contains("cannot read the file: it is a folder, not a file"),
        "{e}"
    );
    // A symbolic link to a regular file is followed.
    let target = tmp.path().join("real.toml");
    std::fs::write(
        &target,
        "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\n",
    )
    .unwrap();
    let link = tmp.path().join("link.toml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(config::load_scenario(&link).is_ok());
}

#[test]
fn files_larger_than_the_cap_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(limits::MAX_FILE_BYTES + 1).unwrap();
    let e = config::load_scenario(&big).unwrap_err().to_string();
    assert!(
        e.contains(
            "is 16777217 bytes, more than the 16777216 bytes (16 MiB) an input file may have"
        ),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn a_parameter_set_that_is_a_folder_or_a_device_is_named_as_such() {
    let e = parse(
        "name = \"t\"\nmodel = \"lemaire2004\"\nparameter_set = \".\"\nduration_days = 10.0\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(":3: key `parameter_set`"), "{e}");
    assert!(e.contains("is a folder, not a file"), "{e}");
    assert!(!e.contains("does not exist"), "{e}");
    let e = parse("name = \"t\"\nmodel = \"lemaire2004\"\nparameter_set = \"/dev/null\"\nduration_days = 10.0\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("parameter file `/dev/null` is not a regular file (a character device)"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Messages: short numbers, escaped control characters.

#[test]
fn huge_and_tiny_numbers_print_short_in_messages() {
    assert_eq!(config::num(1e300), "1e300");
    assert_eq!(config::num(-2.5e-300), "-2.5e-300");
    assert_eq!(config::num(3652.5), "3652.5");
    assert_eq!(config::num(0.1), "0.1");
    assert_eq!(config::num(0.0), "0");
    // A window starting on day 1e300 printed 301 digits.
    let e = parse(
        "name = \"t\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\n[[input]]\nname = \"I_P\"\nvalue = 1.0\nunit = \"pM/day\"\nstart_day = 1e300\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("starts on day 1e300, at or after the end of the run (day 10)"),
        "{e}"
    );
    assert!(!e.contains("0000000000"), "{e}");
    let e = lemaire("duration_days = 10.0\noutput_interval_days = 1e-320")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("more than 1.7976931348623157e308 output rows"),
        "{e}"
    );
    let e = lemaire("duration_days = 1e300").unwrap_err().to_string();
    assert!(e.contains("simulate 1e300 days"), "{e}");
    let e = lemaire("duration_days = -1e-300").unwrap_err().to_string();
    assert!(e.contains("got -1e-300"), "{e}");
}

#[test]
fn control_characters_are_escaped_in_config_errors() {
    // A key with NUL and a terminal escape sequence (ESC [2J clears the screen).
    let e = parse("name = \"t\"\nmodel = \"lemaire2004\"\nduration_days = 10.0\n\"a\\u0000b\\u001b[2J\" = 1\n")
        .unwrap_err()
        .to_string();
    assert!(!e.contains('\0') && !e.contains('\u{1b}'), "{e:?}");
    assert!(e.contains("a\\u{0}b\\u{1b}[2J"), "{e}");
    // Every field of the error.
    let err = ConfigError::key(
        "dir\u{1b}]0;title\u{7}/f.toml",
        Some(3),
        "k\u{9b}ey\n",
        "bad value `\u{202e}txt.exe`\nsecond line\r",
    )
    .with_help("try \u{0}");
    let shown = err.to_string();
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\n'),
        "{shown:?}"
    );
    assert!(!shown.contains('\u{202e}'), "{shown:?}");
    assert_eq!(
        shown,
        "dir\\u{1b}]0;title\\u{7}/f.toml:3: key `k\\u{9b}ey\\u{a}`: bad value `\\u{202e}txt.exe`\nsecond line\\u{d}\n  help: try \\u{0}"
    );
    // The bundled files are unaffected: nothing to escape in an ordinary message.
    let plain = ConfigError::key("a.toml", Some(1), "k", "m").with_help("h");
    assert_eq!(plain.to_string(), "a.toml:1: key `k`: m\n  help: h");
}

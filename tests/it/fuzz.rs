//! Fuzz harness (issue 9, item 10): hostile inputs for the scenario, parameter, endpoint,
//! analysis (sweep, sensitivity, population), calibration and validation loaders, and for the protocol
//! builder (`Protocol::segments`, `Protocol::output_times`) of every scenario that loads.
//!
//! Each case is one file: a bundled file (`params/`) with one to six mutations (a line deleted,
//! duplicated or borrowed from another file, a key renamed, a value swapped for an extreme or a
//! wrong type, a table header changed, random text inserted, the file truncated at a random
//! byte), or raw random bytes. Cases are deterministic for a seed and an index (ChaCha8, one
//! stream per index), so any failure replays with `FUZZ_SEED=<seed> FUZZ_REPLAY=<index>`.
//!
//! A case fails if it panics (caught with `catch_unwind`), takes longer than the bound
//! (`FUZZ_CASE_LIMIT_MS`, default 2000 ms), or never returns (a watchdog thread reports it).
//! A loader may return `Ok` or a `ConfigError`; nothing else is checked. Loaded scenarios are not
//! simulated: loading, segments and output times only.
//!
//! - `fuzz_loaders_ci`: a few seconds' worth (`FUZZ_CASES`, default 5,000) in the normal suite.
//! - `fuzz_loaders_long` (`#[ignore]`): runs the cases in a child process (this test binary
//!   re-invoked on `fuzz_child`), so an abort (allocation failure, stack overflow) kills only the
//!   child and is reported with the index of the case that was running. See `docs/fuzzing.md`.

use immunoporosis::config::{self, Scenario};
use immunoporosis::model::ModelId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::os::unix::fs::FileExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Default seed (any u64 works; `FUZZ_SEED` overrides it).
const DEFAULT_SEED: u64 = 0x1eaf_b0e5;

/// Most bytes one mutation that repeats text adds (a loader's time grows with the file; a file
/// of hundreds of megabytes is slow but not a bug).
const MAX_GROWTH: usize = 1 << 20;

/// What a file is, and so which loader reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Scenario,
    Params(ModelId),
    Endpoints,
    Sweep,
    Sensitivity,
    Population,
    Knockout,
    Calibration,
    Validation,
}

/// A validation file the mutations start from, besides the bundled ones (`params/validation/`):
/// every kind of outcome (value, difference of two arms, change between two times; SE, SD and
/// n, CI).
const VALIDATION_BASE: &str = r#"name = "fuzz"
description = "every kind of outcome"

[[study]]
id = "a"
citation = "Author A, et al. 2010 J Test 1:1-10"
population = "women after menopause"
category = "menopause"

[[study]]
id = "b"
citation = "Author B, et al. 2012 J Test 2:1-10"
population = "women at 72"
category = "denosumab"

[[outcome]]
study = "a"
name = "hip 1 year"
scenario = "../scenarios/menopause_surgical.toml"
column = "bmd_total_hip_change_pct"
time_days = 365.25
value = -3.0
se = 0.5
where = "Table 1"

[[outcome]]
study = "a"
name = "hip year 1 to 2"
scenario = "../scenarios/menopause_surgical.toml"
from_days = 365.25
column = "bmd_total_hip_change_pct"
time_days = 730.5
value = -2.0
sd = 3.0
n = 40
where = "Table 2"

[[outcome]]
study = "b"
name = "ctx over placebo"
scenario = "../scenarios/denosumab_freedom.toml"
minus_scenario = "../scenarios/placebo_pmo.toml"
column = "ctx_change_pct"
time_days = 365.25
value = -60.0
ci = [-70.0, -50.0]
where = "Figure 3"
note = "read from the figure"
"#;

/// A bundled file the mutations start from.
struct Base {
    kind: Kind,
    name: String,
    text: String,
}

/// One generated input.
struct Case {
    kind: Kind,
    /// The bundled file it came from and the mutations applied (for the failure message).
    origin: String,
    bytes: Vec<u8>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every bundled file the loaders read, with its kind.
fn corpus() -> &'static [Base] {
    static CORPUS: OnceLock<Vec<Base>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut out = Vec::new();
        let mut add = |dir: &str, kind: &dyn Fn(&str) -> Option<Kind>| {
            // params/validation/ may not exist yet: its built-in base is added below.
            let Ok(entries) = std::fs::read_dir(root().join("params").join(dir)) else {
                return;
            };
            let mut files: Vec<PathBuf> = entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for p in files {
                let stem = p.file_stem().unwrap().to_string_lossy().to_string();
                if let Some(kind) = kind(&stem) {
                    out.push(Base {
                        kind,
                        name: format!("{dir}/{stem}.toml"),
                        text: std::fs::read_to_string(&p).unwrap(),
                    });
                }
            }
        };
        add("scenarios", &|_| Some(Kind::Scenario));
        add("models", &|s| ModelId::from_name(s).map(Kind::Params));
        add("endpoints", &|_| Some(Kind::Endpoints));
        add("analyses", &|s| {
            Some(if s.starts_with("sweep") {
                Kind::Sweep
            } else if s.starts_with("sensitivity") {
                Kind::Sensitivity
            } else if s.starts_with("knockout") {
                Kind::Knockout
            } else {
                Kind::Population
            })
        });
        add("calibration", &|_| Some(Kind::Calibration));
        add("validation", &|_| Some(Kind::Validation));
        out.push(Base {
            kind: Kind::Validation,
            name: "validation (built-in base)".into(),
            text: VALIDATION_BASE.into(),
        });
        assert!(out.len() > 30, "bundled files not found");
        out
    })
}

/// Values that loaders must survive in place of any value.
fn hostile_value(rng: &mut ChaCha8Rng, original: &str) -> String {
    const FIXED: &[&str] = &[
        "0",
        "0.0",
        "-0.0",
        "-1",
        "-1.0",
        "1",
        "1e-300",
        "-1e-300",
        "5e-324",
        "1e300",
        "-1e300",
        "1.7976931348623157e308",
        "1e6",
        "1e9",
        "1e15",
        "1000000",
        "1000001",
        "2147483647",
        "2147483648",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999",
        "nan",
        "-nan",
        "+nan",
        "inf",
        "-inf",
        "+inf",
        "true",
        "false",
        "1979-05-27T07:32:00Z",
        "07:32:00",
        "\"\"",
        "\" \"",
        "\"\\u0000\\u0001\\u001f\\u007f\"",
        "\"\\t\\r\\n\"",
        "\"ßé漢字🦴\u{202e}\u{feff}\"",
        "\"nan\"",
        "\"1.0\"",
        "[]",
        "[[]]",
        "[1, 2, 3]",
        "[\"a\", \"b\"]",
        "[\"local\", \"local\"]",
        "[1.0, \"x\"]",
        "{}",
        "{ a = 1 }",
        "\"healthy\"",
        "\"bone\"",
        "\"lemaire2004\"",
        "\"immunoporosis\"",
        "\"bdf\"",
        "\"dopri5\"",
        "\"auto\"",
        "\"log\"",
        "\"sobol\"",
        "\"grid\"",
        "\"mean\"",
        "\"min\"",
        "\"at\"",
        "\"ramp\"",
        "\"exponential\"",
        "\"subcutaneous\"",
        "\"oral\"",
        "\"intravenous\"",
        "\"mg\"",
        "\"ug\"",
        "\"input.estrogen\"",
        "\"input.I_O\"",
        "\"../scenarios/healthy.toml\"",
        "\"../scenarios/lemaire2004_baseline.toml\"",
        "\"../scenarios/denosumab_freedom.toml\"",
        "\"../endpoints/bone_mass.toml\"",
        "\"../endpoints/lemaire2004.toml\"",
        "\"../models/bone.toml\"",
        "\"../models/lemaire2004.toml\"",
        "\"../analyses/fuzz.toml\"",
        "\"../calibration/fuzz.toml\"",
        "\"fuzz.toml\"",
        "\"/dev/null\"",
        "\".\"",
        "\"..\"",
        "\"/\"",
        "\"does/not/exist.toml\"",
    ];
    match rng.random_range(0..10) {
        0 => {
            // A very long string, sometimes of control characters or unicode.
            let n = rng.random_range(1_000..100_000);
            let c = ["a", "\\u0001", "é", "🦴", "\\\\", "."][rng.random_range(0..6)];
            format!("\"{}\"", c.repeat(n))
        }
        1 => {
            // A number near the original, scaled, negated or made tiny.
            match original.trim().parse::<f64>() {
                Ok(x) => {
                    let f = [
                        -1.0,
                        0.0,
                        1e-300,
                        1e300,
                        1.0 + 1e-15,
                        0.5,
                        2.0,
                        1e6,
                        rng.random_range(-10.0..10.0),
                    ][rng.random_range(0..9)];
                    format!("{:?}", x * f)
                }
                Err(_) => format!("{:?}", rng.random::<f64>() * 1e6),
            }
        }
        2 => rng.random::<u64>().to_string(),
        3 => format!("{:e}", f64::from_bits(rng.random::<u64>())).replace("NaN", "nan"),
        4 => {
            // An array of random length.
            let n = rng.random_range(0..50);
            let items: Vec<String> = (0..n)
                .map(|_| FIXED[rng.random_range(0..FIXED.len())].to_string())
                .collect();
            format!("[{}]", items.join(", "))
        }
        _ => FIXED[rng.random_range(0..FIXED.len())].to_string(),
    }
}

/// Random text: ASCII that TOML cares about, control characters and unicode.
fn random_text(rng: &mut ChaCha8Rng, n: usize) -> String {
    const PIECES: &[&str] = &[
        "=",
        "[",
        "]",
        "[[",
        "]]",
        "\"",
        "'",
        "'''",
        "\"\"\"",
        "\n",
        "\r\n",
        "#",
        ".",
        ",",
        "{",
        "}",
        " ",
        "\t",
        "\\",
        "\\u",
        "0",
        "1",
        "e",
        "-",
        "+",
        "_",
        "a",
        "name",
        "model",
        "x",
        "é",
        "\u{0}",
        "\u{7f}",
        "\u{202e}",
        "🦴",
        "\u{10ffff}",
    ];
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(PIECES[rng.random_range(0..PIECES.len())]);
    }
    s
}

/// Index of a random line that looks like `key = value`, if any.
fn pick_assignment(rng: &mut ChaCha8Rng, lines: &[String]) -> Option<usize> {
    let candidates: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with('#') && !t.starts_with('[') && t.contains('=')
        })
        .map(|(i, _)| i)
        .collect();
    (!candidates.is_empty()).then(|| candidates[rng.random_range(0..candidates.len())])
}

/// Applies one mutation to the lines of a file; returns its name.
fn mutate(rng: &mut ChaCha8Rng, lines: &mut Vec<String>, bases: &[Base]) -> &'static str {
    if lines.is_empty() {
        lines.push(random_text(rng, 20));
        return "random text";
    }
    let n = lines.len();
    match rng.random_range(0..100) {
        0..=34 => {
            // Swap a value for an extreme or a wrong type.
            let Some(i) = pick_assignment(rng, lines) else {
                return "none";
            };
            let (key, value) = lines[i].split_once('=').unwrap();
            let v = hostile_value(rng, value);
            lines[i] = format!("{key}= {v}");
            "value"
        }
        35..=44 => {
            lines.remove(rng.random_range(0..n));
            "delete line"
        }
        45..=49 => {
            // Delete a table: from a header to the next one.
            let headers: Vec<usize> = (0..n)
                .filter(|i| lines[*i].trim_start().starts_with('['))
                .collect();
            if headers.is_empty() {
                return "none";
            }
            let h = headers[rng.random_range(0..headers.len())];
            let end = (h + 1..n)
                .find(|i| lines[*i].trim_start().starts_with('['))
                .unwrap_or(n);
            lines.drain(h..end);
            "delete table"
        }
        50..=57 => {
            // Duplicate a line or a table (the table at the end of the file).
            let i = rng.random_range(0..n);
            if lines[i].trim_start().starts_with('[') {
                let end = (i + 1..n)
                    .find(|j| lines[*j].trim_start().starts_with('['))
                    .unwrap_or(n);
                let table: Vec<String> = lines[i..end].to_vec();
                let size: usize = table.iter().map(|l| l.len() + 1).sum();
                let copies = if rng.random_bool(0.1) {
                    rng.random_range(2..200).min(MAX_GROWTH / size).max(1)
                } else {
                    1
                };
                for _ in 0..copies {
                    lines.extend(table.iter().cloned());
                }
                "duplicate table"
            } else {
                let l = lines[i].clone();
                lines.insert(i, l);
                "duplicate line"
            }
        }
        58..=65 => {
            // Rename a key: a typo, a case change, a key from elsewhere, or random text.
            let Some(i) = pick_assignment(rng, lines) else {
                return "none";
            };
            let (key, value) = lines[i].split_once('=').unwrap();
            let (key, value) = (key.trim().to_string(), value.to_string());
            let new = match rng.random_range(0..4) {
                0 => key.to_uppercase(),
                1 => format!("{key}x"),
                2 => {
                    let b = &bases[rng.random_range(0..bases.len())];
                    let other: Vec<&str> = b
                        .text
                        .lines()
                        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
                        .filter(|k| !k.is_empty() && !k.starts_with('#'))
                        .collect();
                    if other.is_empty() {
                        key
                    } else {
                        other[rng.random_range(0..other.len())].to_string()
                    }
                }
                _ => {
                    let k = rng.random_range(1..6);
                    random_text(rng, k)
                }
            };
            lines[i] = format!("{new} ={value}");
            "rename key"
        }
        66..=73 => {
            // Borrow a line from another bundled file (keys valid elsewhere).
            let b = &bases[rng.random_range(0..bases.len())];
            let other: Vec<&str> = b.text.lines().collect();
            if !other.is_empty() {
                let l = other[rng.random_range(0..other.len())].to_string();
                lines.insert(rng.random_range(0..=n), l);
            }
            "borrow line"
        }
        74..=79 => {
            // Change a table header.
            const HEADERS: &[&str] = &[
                "[parameters]",
                "[[input]]",
                "[[treatment]]",
                "[initial_state]",
                "[solver]",
                "[solver.atol_states]",
                "[[parameter]]",
                "[[target]]",
                "[[endpoint]]",
                "[input]",
                "[[solver]]",
                "[parameters.x]",
                "[a.b.c]",
                "[]",
                "[[]]",
            ];
            let h = HEADERS[rng.random_range(0..HEADERS.len())];
            let headers: Vec<usize> = (0..n)
                .filter(|i| lines[*i].trim_start().starts_with('['))
                .collect();
            if headers.is_empty() || rng.random_bool(0.3) {
                lines.insert(rng.random_range(0..=n), h.to_string());
            } else {
                lines[headers[rng.random_range(0..headers.len())]] = h.to_string();
            }
            "header"
        }
        80..=87 => {
            // Insert random text inside a line.
            let i = rng.random_range(0..n);
            let l = &lines[i];
            let cut = rng.random_range(0..=l.len());
            let cut = (0..=cut).rev().find(|c| l.is_char_boundary(*c)).unwrap();
            let k = rng.random_range(1..8);
            let t = random_text(rng, k);
            lines[i] = format!("{}{t}{}", &l[..cut], &l[cut..]);
            "insert text"
        }
        88..=93 => {
            // Many copies of one line at the end of the file (inside the last table).
            let i = rng.random_range(0..n);
            let l = lines[i].clone();
            let k = rng.random_range(2..2_000).min(MAX_GROWTH / (l.len() + 1));
            for _ in 0..k {
                lines.push(l.clone());
            }
            "repeat line"
        }
        _ => {
            // Shuffle two lines.
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            lines.swap(a, b);
            "swap lines"
        }
    }
}

/// The case for a seed and an index.
fn generate(seed: u64, index: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let bases = corpus();
    let base = &bases[rng.random_range(0..bases.len())];
    // Scenarios are where the protocol builder is; weigh them more.
    let base = if rng.random_bool(0.3) {
        let s: Vec<&Base> = bases.iter().filter(|b| b.kind == Kind::Scenario).collect();
        s[rng.random_range(0..s.len())]
    } else {
        base
    };
    if rng.random_bool(0.05) {
        // Raw bytes, not necessarily UTF-8.
        let n = rng.random_range(0..2_000);
        let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        return Case {
            kind: base.kind,
            origin: format!("{} loader, random bytes", base.name),
            bytes,
        };
    }
    let mut lines: Vec<String> = base.text.lines().map(str::to_string).collect();
    let mut applied = Vec::new();
    let mutations = match rng.random_range(0..4) {
        0 | 1 => 1,
        2 => 2,
        _ => rng.random_range(3..=6),
    };
    for _ in 0..mutations {
        applied.push(mutate(&mut rng, &mut lines, bases));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    if rng.random_bool(0.08) {
        let cut = rng.random_range(0..=text.len());
        let cut = (0..=cut).rev().find(|c| text.is_char_boundary(*c)).unwrap();
        text.truncate(cut);
        applied.push("truncate");
    }
    let mut bytes = text.into_bytes();
    if rng.random_bool(0.01) {
        // An invalid UTF-8 byte somewhere.
        let at = rng.random_range(0..=bytes.len());
        bytes.insert(at, 0xff);
        applied.push("invalid utf-8");
    }
    Case {
        kind: base.kind,
        origin: format!("{} with {}", base.name, applied.join(", ")),
        bytes,
    }
}

/// A temporary copy of the folder layout, so that relative paths in analysis and calibration
/// files (`../scenarios/…`, `../endpoints/…`, `../models/…`) resolve to the bundled files.
struct Workspace {
    _dir: tempfile::TempDir,
    params: PathBuf,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let params = dir.path().join("params");
        for d in ["analyses", "calibration", "endpoints", "validation"] {
            std::fs::create_dir_all(params.join(d)).unwrap();
        }
        for d in ["scenarios", "models", "drugs"] {
            std::os::unix::fs::symlink(root().join("params").join(d), params.join(d)).unwrap();
        }
        for e in std::fs::read_dir(root().join("params/endpoints")).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, params.join("endpoints").join(p.file_name().unwrap())).unwrap();
        }
        Workspace { _dir: dir, params }
    }

    fn write(&self, dir: &str, bytes: &[u8]) -> PathBuf {
        let p = self.params.join(dir).join("fuzz.toml");
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// What one case did (beyond not panicking).
#[derive(Default)]
struct Tally {
    cases: u64,
    loaded: u64,
    scenarios_built: u64,
    slowest: Duration,
    slowest_index: u64,
}

/// Output times and segments of a loaded scenario (the protocol builder), whatever the sizes the
/// loader let through.
fn build(s: &Scenario, tally: &mut Tally) {
    let p = &s.spec.protocol;
    let times = p.output_times();
    let segments = p.segments(s.spec.model.info().inputs);
    std::hint::black_box((times, segments));
    tally.scenarios_built += 1;
}

/// Runs one case's loader (and the protocol builder on what it loads).
fn run_case(ws: &Workspace, case: &Case, tally: &mut Tally) {
    let loaded = match case.kind {
        Kind::Scenario => {
            let text = String::from_utf8_lossy(&case.bytes);
            let file = root().join("params/scenarios/fuzz.toml");
            config::parse_scenario(&file, &text)
                .map(|s| build(&s, tally))
                .is_ok()
        }
        Kind::Params(model) => {
            let text = String::from_utf8_lossy(&case.bytes);
            let file = root().join(format!("params/models/{}.toml", model.name()));
            config::parse_params(model, &file, &text).is_ok()
        }
        Kind::Endpoints => config::load_endpoints(&ws.write("endpoints", &case.bytes)).is_ok(),
        Kind::Sweep => config::load_sweep(&ws.write("analyses", &case.bytes))
            .map(|(h, _)| build(&h.scenario, tally))
            .is_ok(),
        Kind::Sensitivity => config::load_sensitivity(&ws.write("analyses", &case.bytes))
            .map(|s| build(&s.header.scenario, tally))
            .is_ok(),
        Kind::Population => config::load_population(&ws.write("analyses", &case.bytes))
            .map(|p| build(&p.header.scenario, tally))
            .is_ok(),
        Kind::Knockout => config::load_knockout(&ws.write("analyses", &case.bytes)).is_ok(),
        Kind::Calibration => config::load_calibration(&ws.write("calibration", &case.bytes))
            .map(|c| c.scenarios.iter().for_each(|s| build(s, tally)))
            .is_ok(),
        Kind::Validation => {
            let calibration = root().join("params/calibration/immunoporosis.toml");
            config::load_validation(&[ws.write("validation", &case.bytes)], &[calibration])
                .map(|v| v.scenarios.iter().for_each(|s| build(s, tally)))
                .is_ok()
        }
    };
    tally.loaded += u64::from(loaded);
}

/// The input of a case, for a failure message (long inputs shortened).
fn describe(seed: u64, index: u64) -> String {
    let case = generate(seed, index);
    let text = String::from_utf8_lossy(&case.bytes);
    let shown: String = if text.len() > 20_000 {
        let mut cut = 20_000;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}\n… ({} bytes in all)", &text[..cut], case.bytes.len())
    } else {
        text.to_string()
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "seed {seed}, index {index} ({:?}: {})\nreplay: FUZZ_SEED={seed} FUZZ_REPLAY={index} \
         cargo test --release --test it fuzz_replay -- --ignored --nocapture\n\
         ----- input -----\n{shown}\n----- end -----",
        case.kind, case.origin
    );
    s
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().parse().unwrap_or_else(|_| panic!("{name}={v}")))
        .unwrap_or(default)
}

/// Runs cases `start..start + count`: a panic, a case over the bound or a case that never
/// returns fails, naming seed, index and input. `progress` (if given) receives the index of the
/// case about to run, so that a parent process can name the case that aborted this process.
fn run_cases(seed: u64, start: u64, count: u64, progress: Option<&Path>) -> Tally {
    let limit = Duration::from_millis(env_u64("FUZZ_CASE_LIMIT_MS", 2_000));
    // Watchdog: a case that never returns is reported after ten times the bound (minimum 30 s).
    let hang = (limit * 10).max(Duration::from_secs(30));
    let current = Arc::new(AtomicU64::new(u64::MAX));
    let started = Arc::new(Mutex::new(Instant::now()));
    let done = Arc::new(AtomicBool::new(false));
    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let progress = progress.map(|p| std::fs::File::create(p).unwrap());
    let worker = {
        let (current, started, done, failure) = (
            current.clone(),
            started.clone(),
            done.clone(),
            failure.clone(),
        );
        std::thread::Builder::new()
            .name("fuzz".into())
            .stack_size(64 << 20)
            .spawn(move || {
                let ws = Workspace::new();
                let mut tally = Tally::default();
                let report_every = (count / 20).max(1);
                let t0 = Instant::now();
                for index in start..start + count {
                    if let Some(f) = &progress {
                        f.write_at(format!("{index:>20}\n").as_bytes(), 0).unwrap();
                    }
                    let case = generate(seed, index);
                    *started.lock().unwrap() = Instant::now();
                    current.store(index, Ordering::SeqCst);
                    let t = Instant::now();
                    let outcome =
                        catch_unwind(AssertUnwindSafe(|| run_case(&ws, &case, &mut tally)));
                    let took = t.elapsed();
                    current.store(u64::MAX, Ordering::SeqCst);
                    let msg = match outcome {
                        Err(p) => {
                            let m = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            Some(format!("PANIC ({m}) on {}", describe(seed, index)))
                        }
                        Ok(()) if took > limit => Some(format!(
                            "SLOW: {took:?} (bound {limit:?}) on {}",
                            describe(seed, index)
                        )),
                        Ok(()) => None,
                    };
                    if let Some(m) = msg {
                        *failure.lock().unwrap() = Some(m);
                        break;
                    }
                    tally.cases += 1;
                    if took > tally.slowest {
                        tally.slowest = took;
                        tally.slowest_index = index;
                    }
                    if (index - start + 1).is_multiple_of(report_every) {
                        eprintln!(
                            "fuzz: {} of {count} cases, {:.0} s",
                            index - start + 1,
                            t0.elapsed().as_secs_f64()
                        );
                    }
                }
                done.store(true, Ordering::SeqCst);
                tally
            })
            .unwrap()
    };
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        let index = current.load(Ordering::SeqCst);
        if index != u64::MAX && started.lock().unwrap().elapsed() > hang {
            // Leave the worker stuck; the message names the case.
            panic!(
                "HANG: no return after {hang:?} on {}",
                describe(seed, index)
            );
        }
    }
    let tally = worker.join().unwrap();
    if let Some(m) = failure.lock().unwrap().take() {
        panic!("{m}");
    }
    tally
}

fn summary(seed: u64, start: u64, t: &Tally, elapsed: Duration) -> String {
    format!(
        "fuzz: seed {seed}, cases {start}..{}: {} run, {} loaded, {} scenarios built \
         (segments and output times), slowest case {:?} (index {}), {:.1} s",
        start + t.cases,
        t.cases,
        t.loaded,
        t.scenarios_built,
        t.slowest,
        t.slowest_index,
        elapsed.as_secs_f64(),
    )
}

/// A few seconds' worth in the normal suite.
#[test]
fn fuzz_loaders_ci() {
    let seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
    let cases = env_u64("FUZZ_CASES", 5_000);
    let t = Instant::now();
    let tally = run_cases(seed, 0, cases, None);
    eprintln!("{}", summary(seed, 0, &tally, t.elapsed()));
    assert_eq!(tally.cases, cases);
    // The generator must reach the validation and the protocol builder, not only the TOML parser.
    assert!(
        tally.loaded > cases / 50,
        "too few inputs load: {}",
        tally.loaded
    );
    assert!(
        tally.scenarios_built > cases / 100,
        "too few scenarios built"
    );
}

/// Replays one case: `FUZZ_SEED=<seed> FUZZ_REPLAY=<index>`.
#[test]
#[ignore = "replays one case named by FUZZ_SEED and FUZZ_REPLAY"]
fn fuzz_replay() {
    let seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
    let index = env_u64("FUZZ_REPLAY", 0);
    eprintln!("{}", describe(seed, index));
    let tally = run_cases(seed, index, 1, None);
    eprintln!("{}", summary(seed, index, &tally, Duration::ZERO));
}

/// The child of `fuzz_loaders_long`: runs `FUZZ_START..FUZZ_START + FUZZ_CASES`, writing the index
/// of the case it is on to `FUZZ_PROGRESS`.
#[test]
#[ignore = "run by fuzz_loaders_long in a child process"]
fn fuzz_child() {
    let seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
    let start = env_u64("FUZZ_START", 0);
    let cases = env_u64("FUZZ_CASES", 1_000);
    let progress = std::env::var_os("FUZZ_PROGRESS").map(PathBuf::from);
    let t = Instant::now();
    let tally = run_cases(seed, start, cases, progress.as_deref());
    println!("{}", summary(seed, start, &tally, t.elapsed()));
}

/// The long run (default 1,000,000 cases, `FUZZ_CASES` to change): this test binary re-invoked
/// on `fuzz_child`, so that an abort is reported with the case that caused it.
#[test]
#[ignore = "long run (about an hour): see docs/fuzzing.md"]
fn fuzz_loaders_long() {
    let seed = env_u64("FUZZ_SEED", DEFAULT_SEED);
    let start = env_u64("FUZZ_START", 0);
    let cases = env_u64("FUZZ_CASES", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let progress = dir.path().join("progress");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["fuzz::fuzz_child", "--exact", "--ignored", "--nocapture"])
        .env("FUZZ_SEED", seed.to_string())
        .env("FUZZ_START", start.to_string())
        .env("FUZZ_CASES", cases.to_string())
        .env("FUZZ_PROGRESS", &progress)
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let at = std::fs::read_to_string(&progress)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        let case = at.map_or_else(|| "no case started".to_string(), |i| describe(seed, i));
        panic!(
            "the child process failed ({}): the case running was {case}\nchild output:\n{stdout}",
            out.status
        );
    }
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fuzz: seed"))
        .unwrap_or_else(|| panic!("no summary from the child:\n{stdout}"));
    eprintln!("{line}");
    assert!(line.contains(&format!("{cases} run")), "{line}");
}

/// Found by the harness (seed 514830565, index 19831): `doses = 2147483648` on a daily schedule in
/// a two-year run made the loader step through every dose past the end of the run to count them
/// (seconds for 2^31, about twice that for the largest count, 2^32 - 1).
#[test]
fn fuzz_found_dose_count_past_the_run_is_not_stepped_through() {
    let text = r#"
name = "many_doses"
model = "immunoporosis"
duration_days = 10.0

[[treatment]]
drug = "baricitinib"
dose = 4.0
unit = "mg"
route = "oral"
interval_days = 1.0
doses = 4294967295
"#;
    let t = Instant::now();
    let s = config::parse_scenario(&root().join("params/scenarios/test.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let took = t.elapsed();
    assert_eq!(s.spec.protocol.doses.len(), 10);
    assert!(
        s.treatments[0].contains("4294967295 dose(s)"),
        "{}",
        s.treatments[0]
    );
    assert!(took < Duration::from_millis(1_500), "loading took {took:?}");
}

/// Found by the harness (seed 514830565, index 1714; seed 7, index 7323): a parameter name of
/// 80,000 to 100,000 characters took half a second to two seconds, because the "did you mean"
/// help computed its edit distance to every parameter name (quadratic in the lengths); a longer
/// name took proportionally longer.
#[test]
fn fuzz_found_long_unknown_name_gets_help_quickly() {
    let name = "g".repeat(1_000_000);
    let text = format!(
        "name = \"long\"\nmodel = \"immunoporosis\"\nduration_days = 10.0\n\n[parameters]\n{name} = 1.0\n"
    );
    let t = Instant::now();
    let e = config::parse_scenario(&root().join("params/scenarios/test.toml"), &text)
        .expect_err("an unknown parameter");
    let took = t.elapsed();
    assert!(e.to_string().contains("has no parameter"), "{e}");
    assert!(
        took < Duration::from_millis(1_500),
        "the error took {took:?}"
    );
}

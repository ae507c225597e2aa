//! Benchmarks (divan): one simulation of each bundled model, the steady-state solve, and the
//! whole `run` command with its CSV, manifest and plots. Run with `cargo bench`.
//! Compare numbers only within one session on one machine (ratios, not absolute times).

use immunoporosis::config::{self, Scenario};
use immunoporosis::engine;
use immunoporosis::model::ModelId;
use std::path::PathBuf;

fn main() {
    divan::main();
}

fn scenario(stem: &str) -> Scenario {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("params/scenarios/{stem}.toml"));
    config::load_scenario(&path).expect("bundled scenario loads")
}

/// One simulation (steady state + integration + sampling), no I/O.
#[divan::bench(args = ["healthy", "menopause_natural", "rheumatoid_arthritis", "rankl_excess", "pivonka2008_pth", "lemaire2004_pth"])]
fn simulate(bencher: divan::Bencher, stem: &str) {
    let s = scenario(stem);
    bencher.bench(|| engine::simulate(divan::black_box(&s.spec)).expect("runs"));
}

/// The steady-state solve alone (Newton + eigenvalues).
#[divan::bench(args = ["immunoporosis", "bone", "pivonka2008", "lemaire2004"])]
fn steady_state(bencher: divan::Bencher, model: &str) {
    let id = ModelId::from_name(model).expect("model");
    let params = config::bundled_params(id).expect("params");
    bencher.bench(|| engine::steady_state(id, divan::black_box(&params)).expect("steady"));
}

/// The whole `run` command on the 50-year healthy scenario: load, simulate, write CSV, manifest and six plots.
#[divan::bench(sample_count = 10)]
fn run_command_healthy(bencher: divan::Bencher) {
    let tmp = std::env::temp_dir().join(format!("immunoporosis-bench-{}", std::process::id()));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("params/scenarios/healthy.toml");
    bencher.bench(|| immunoporosis::app::run(&path, Some(&tmp)).expect("run"));
    let _ = std::fs::remove_dir_all(&tmp);
}

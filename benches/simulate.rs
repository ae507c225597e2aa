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
    bencher.bench(|| immunoporosis::app::run(&path, Some(&tmp), false).expect("run"));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// One right-hand-side evaluation of each model at its steady state (neutral inputs, no drugs).
#[divan::bench(args = ["immunoporosis", "bone", "pivonka2008", "lemaire2004"])]
fn rhs(bencher: divan::Bencher, model: &str) {
    use immunoporosis::model::{Model, neutral_inputs};
    let id = ModelId::from_name(model).expect("model");
    let params = config::bundled_params(id).expect("params");
    let mut m = id.build(&params, &[]);
    let report = engine::steady_state(id, &params).expect("steady");
    let y = report.state;
    m.set_reference(&y);
    let u = neutral_inputs(m.layout().inputs);
    let mut dy = vec![0.0; y.len()];
    bencher.bench_local(|| {
        m.rhs(0.0, divan::black_box(&y), divan::black_box(&u), &mut dy);
        divan::black_box(&dy);
    });
}

/// One right-hand side of the immunoporosis model at its steady state with estrogen at 0.1 (as
/// after menopause): the estrogen power laws are evaluated (at estrogen 1 they are skipped).
#[divan::bench]
fn rhs_immunoporosis_low_estrogen(bencher: divan::Bencher) {
    use immunoporosis::model::{Model, neutral_inputs};
    let id = ModelId::Immunoporosis;
    let params = config::bundled_params(id).expect("params");
    let mut m = id.build(&params, &[]);
    let report = engine::steady_state(id, &params).expect("steady");
    let y = report.state;
    m.set_reference(&y);
    let inputs = m.layout().inputs;
    let mut u = neutral_inputs(inputs);
    let estrogen = inputs
        .iter()
        .position(|s| s.name == "estrogen")
        .expect("estrogen input");
    u[estrogen] = 0.1;
    let mut dy = vec![0.0; y.len()];
    bencher.bench_local(|| {
        m.rhs(0.0, divan::black_box(&y), divan::black_box(&u), &mut dy);
        divan::black_box(&dy);
    });
}

/// Ten years of the immunoporosis model (natural menopause) with weekly or yearly output:
/// the cost of sampling and derived columns.
#[divan::bench(args = [7.609375, 365.25])]
fn menopause_output_interval(bencher: divan::Bencher, interval: f64) {
    let mut s = scenario("menopause_natural");
    s.spec.protocol.output_interval = interval;
    bencher.bench(|| engine::simulate(divan::black_box(&s.spec)).expect("runs"));
}

/// The peer-comparison workload: Lemaire 2004 for 1000 days, daily or only final output.
#[divan::bench(args = [1.0, 1000.0])]
fn lemaire_1000_days(bencher: divan::Bencher, interval: f64) {
    let mut s = scenario("lemaire2004_baseline");
    s.spec.protocol.output_interval = interval;
    bencher.bench(|| engine::simulate(divan::black_box(&s.spec)).expect("runs"));
}

/// Sweep throughput: the 1000-run Lemaire grid of the peer comparison, in the global rayon pool.
#[divan::bench(sample_count = 10)]
fn sweep_lemaire_1000_runs(bencher: divan::Bencher) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("params/analyses/sweep_lemaire_opg_rankl.toml");
    let (_, sweep) = config::load_sweep(&path).expect("sweep");
    bencher.bench(|| immunoporosis::analysis::sweep::run(divan::black_box(&sweep), &|| {}));
}

/// Sweep throughput of the full model: 100 ten-year natural-menopause runs (Latin hypercube).
#[divan::bench(sample_count = 10)]
fn sweep_menopause_100_runs(bencher: divan::Bencher) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("params/analyses/sweep_menopause_turnover.toml");
    let (_, mut sweep) = config::load_sweep(&path).expect("sweep");
    sweep.design = immunoporosis::analysis::sampling::Design::LatinHypercube;
    sweep.samples = 100;
    bencher.bench(|| immunoporosis::analysis::sweep::run(divan::black_box(&sweep), &|| {}));
}

//! Sharded analyses (issue 15): `--shard I/N` parts merged with `merge` are byte for byte the
//! one-machine outputs (sweep, population, sensitivity with Sobol); bad merges are refused with
//! exit code 2, the shards named, nothing written; the Slurm job folder's scripts run a shard
//! resubmitted alone and the merge.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A short core-model scenario, endpoints and the three analyses in a temporary folder.
fn files() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    write(
        "s.toml",
        "name = \"s\"\nmodel = \"bone\"\nduration_days = 730.5\noutput_interval_days = 30.0\n\n[[input]]\nname = \"P_RANKL_d\"\nvalue = 200.0\nunit = \"pM/day\"\nstart_day = 30.0\nend_day = 400.0\n",
    );
    write(
        "ep.toml",
        "[[endpoint]]\nname = \"ls_2y\"\ncolumn = \"bmd_lumbar_spine_change_pct\"\nat_day = 730.5\n\n[[endpoint]]\nname = \"ctx_max\"\ncolumn = \"ctx_change_pct\"\nstat = \"max\"\nfrom_day = 0.0\nto_day = 730.5\n",
    );
    // Random design (one random stream that every shard draws from its start), trajectories kept.
    write(
        "sweep.toml",
        "name = \"w\"\nscenario = \"s.toml\"\nendpoints = \"ep.toml\"\ndesign = \"random\"\nsamples = 23\nseed = 4\ntrajectories = true\n\n[[parameter]]\nname = \"mechanics.g_mech\"\nmin = 5.0\nmax = 20.0\n",
    );
    // The acceptance window rejects some candidates, so the shards accept at different rates.
    write(
        "pop.toml",
        "name = \"p\"\nscenario = \"s.toml\"\nendpoints = \"ep.toml\"\npatients = 200\nseed = 3\nbands = [\"bmd_lumbar_spine_change_pct\", \"ctx_change_pct\"]\n\n[[parameter]]\nname = \"mechanics.g_mech\"\ncv = 0.3\n\n[[parameter]]\nname = \"bone.T_lumbar_spine\"\ncv = 0.3\n\n[acceptance]\ncolumn = \"bmd_lumbar_spine_change_pct\"\nat_day = 730.5\nmin = -0.35\nmax = 0.0\n\n[responder]\nendpoint = \"ls_2y\"\nbelow = -0.21\n",
    );
    write(
        "sens.toml",
        "name = \"se\"\nscenario = \"s.toml\"\nendpoints = \"ep.toml\"\nmethods = [\"local\", \"morris\", \"sobol\"]\nseed = 11\n\n[local]\nrelative_step = 1e-3\n\n[morris]\ntrajectories = 4\nlevels = 4\n\n[sobol]\nbase_samples = 16\nbootstrap = 50\n\n[[parameter]]\nname = \"mechanics.g_mech\"\nmin = 5.0\nmax = 20.0\nscale = \"log\"\n\n[[parameter]]\nname = \"bone.T_lumbar_spine\"\nmin = 0.075\nmax = 0.3\nscale = \"log\"\n",
    );
    tmp
}

/// The binary in `dir` with `args`, without any job-array variables of the environment.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_immunoporosis"));
    cmd.args(args).current_dir(dir);
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
    ] {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file of `a` (the marker included) is in `b` with the same bytes, and nothing else.
fn same_folders(a: &Path, b: &Path) -> usize {
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b), "{} vs {}", a.display(), b.display());
    for n in names(a) {
        let (x, y) = (
            std::fs::read(a.join(&n)).unwrap(),
            std::fs::read(b.join(&n)).unwrap(),
        );
        assert!(
            x == y,
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    names(a).len()
}

/// Runs `kind FILE` on one machine and in `n` shards (threads 1 or 2 by shard), merges the parts
/// given in reverse order, and checks the two folders are identical; returns the folder.
fn sharded_equals_one_machine(kind: &str, file: &str, n: usize) -> tempfile::TempDir {
    let tmp = files();
    let d = tmp.path();
    ok(&run(d, &[kind, file, "--out", "one"], &[]));
    let mut parts: Vec<String> = Vec::new();
    for i in (0..n).rev() {
        let part = format!("parts/{i}");
        let shard = format!("{i}/{n}");
        let threads = if i % 2 == 0 { "1" } else { "2" };
        ok(&run(
            d,
            &[
                kind,
                file,
                "--shard",
                &shard,
                "--threads",
                threads,
                "--out",
                &part,
            ],
            &[],
        ));
        assert!(d.join(&part).join("shard.json").is_file());
        parts.push(part);
    }
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--out", "merged"]);
    ok(&run(d, &args, &[]));
    let files = same_folders(&d.join("one"), &d.join("merged"));
    assert!(files >= 4, "{kind}: {files} files");
    tmp
}

#[test]
fn a_sharded_sweep_merged_is_the_one_machine_sweep_byte_for_byte() {
    let tmp = sharded_equals_one_machine("sweep", "sweep.toml", 4);
    let table = std::fs::read_to_string(tmp.path().join("merged/sweep.csv")).unwrap();
    assert_eq!(table.lines().count(), 24);
    assert!(tmp.path().join("merged/trajectories.csv").is_file());
}

#[test]
fn a_sharded_population_merged_is_the_one_machine_population_byte_for_byte() {
    let tmp = sharded_equals_one_machine("population", "pop.toml", 4);
    // Each shard stopped at its quota, well below the 200 patients: the merge took the first
    // 200 accepted candidates of the whole population from parts that hold more.
    for i in 0..4 {
        let h = std::fs::read_to_string(tmp.path().join(format!("parts/{i}/shard.json"))).unwrap();
        let h: serde_json::Value = serde_json::from_str(&h).unwrap();
        assert_eq!(h["population"]["quota"], 50 + 43 + 16, "{h}");
        assert!(h["population"]["accepted"].as_u64().unwrap() > 50, "{h}");
    }
    let summary = std::fs::read_to_string(tmp.path().join("merged/summary.json")).unwrap();
    let s: serde_json::Value = serde_json::from_str(&summary).unwrap();
    // The case the round robin is for: the acceptance window rejected candidates.
    assert!(s["candidates_rejected"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(s["patients"], 200);
    assert!(s["responders"]["count"].as_u64().unwrap() > 0);
}

#[test]
fn a_sharded_sensitivity_analysis_merged_is_the_one_machine_analysis_byte_for_byte() {
    let tmp = sharded_equals_one_machine("sensitivity", "sens.toml", 5);
    for f in ["local.csv", "morris.csv", "sobol.csv"] {
        assert!(tmp.path().join("merged").join(f).is_file(), "{f}");
    }
}

/// Writes sweep parts 0..4 into `parts/` of a fresh folder.
fn sweep_parts() -> tempfile::TempDir {
    let tmp = files();
    for i in 0..4 {
        let (shard, part) = (format!("{i}/4"), format!("parts/{i}"));
        ok(&run(
            tmp.path(),
            &["sweep", "sweep.toml", "--shard", &shard, "--out", &part],
            &[],
        ));
    }
    tmp
}

#[track_caller]
fn refused(dir: &Path, args: &[&str], fragments: &[&str]) {
    let out = run(dir, args, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for f in fragments {
        assert!(err.contains(f), "{args:?}: `{f}` not in {err}");
    }
    assert!(!dir.join("merged").exists(), "{args:?} wrote its output");
    let hidden: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".merged")
        })
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn missing_duplicated_and_foreign_shards_are_refused_with_their_indices_and_nothing_written() {
    let tmp = sweep_parts();
    let d = tmp.path();
    refused(
        d,
        &["merge", "parts/0", "parts/2", "--out", "merged"],
        &["missing shards: 1, 3 (of 4)"],
    );
    refused(
        d,
        &[
            "merge", "parts/0", "parts/1", "parts/1", "parts/2", "parts/3", "--out", "merged",
        ],
        &["shards given more than once: 1 (parts/1, parts/1)"],
    );
    // A part of another computation: another seed.
    ok(&run(
        d,
        &["sweep", "sweep.toml", "--shard", "2/4", "--out", "other"],
        &[],
    ));
    let header = d.join("other/shard.json");
    let text = std::fs::read_to_string(&header).unwrap();
    std::fs::write(&header, text.replace("\"seed\": 4", "\"seed\": 5")).unwrap();
    refused(
        d,
        &[
            "merge", "parts/0", "parts/1", "other", "parts/3", "--out", "merged",
        ],
        &["shard 2 (other) is foreign: its `seed` differs"],
    );
    // Another number of shards.
    ok(&run(
        d,
        &["sweep", "sweep.toml", "--shard", "1/3", "--out", "three"],
        &[],
    ));
    refused(
        d,
        &[
            "merge", "parts/0", "three", "parts/2", "parts/3", "--out", "merged",
        ],
        &["shard 1 (three) is foreign: its `shards` differs"],
    );
    // An input file changed since the shards ran.
    let ep = std::fs::read_to_string(d.join("ep.toml")).unwrap();
    std::fs::write(d.join("ep.toml"), ep.replace("730.5\n\n", "730.0\n\n")).unwrap();
    refused(
        d,
        &[
            "merge", "parts/0", "parts/1", "parts/2", "parts/3", "--out", "merged",
        ],
        &["the input files changed since the shards ran"],
    );
    std::fs::write(d.join("ep.toml"), ep).unwrap();
    ok(&run(
        d,
        &[
            "merge", "parts/0", "parts/1", "parts/2", "parts/3", "--out", "merged",
        ],
        &[],
    ));
}

#[test]
fn shard_numbers_are_checked_before_any_work_and_job_arrays_name_their_shard() {
    let tmp = files();
    let d = tmp.path();
    for (shard, why) in [
        ("4/4", "not below the number of shards 4"),
        ("0/0", "at least 1"),
        ("0/10001", "more than the 10000"),
        ("one/4", "not a whole number"),
    ] {
        let out = run(d, &["sweep", "sweep.toml", "--shard", shard], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{shard}: {err}");
        assert!(err.contains(why), "{shard}: {err}");
    }
    let out = run(
        d,
        &["sweep", "sweep.toml"],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shards N"));
    assert!(
        !d.join("output").exists(),
        "nothing written on refused shards"
    );
    // Slurm's array variables and Kubernetes' index with its count give the same part.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "12"),
        ("SLURM_ARRAY_TASK_MIN", "10"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    let out = run(d, &["sweep", "sweep.toml", "--out", "a"], &slurm);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard 2/3 (from SLURM_ARRAY_TASK_ID)"));
    let k8s = [("JOB_COMPLETION_INDEX", "2")];
    ok(&run(
        d,
        &["sweep", "sweep.toml", "--shards", "3", "--out", "b"],
        &k8s,
    ));
    let table = |p: &str| std::fs::read(d.join(p).join("sweep.csv")).unwrap();
    assert_eq!(table("a"), table("b"));
    let rows = String::from_utf8(table("a")).unwrap();
    // Shard 2 of 3 of 23 runs: runs 15 to 22.
    assert_eq!(rows.lines().nth(1).unwrap().split(',').next(), Some("15"));
    assert_eq!(rows.lines().count(), 1 + 8);
}

#[test]
fn the_slurm_job_folder_runs_a_shard_resubmitted_alone_and_merges_to_the_one_machine_result() {
    let tmp = files();
    let d = tmp.path();
    ok(&run(d, &["population", "pop.toml", "--out", "one"], &[]));
    ok(&run(
        d,
        &[
            "slurm",
            "pop.toml",
            "--shards",
            "3",
            "--partition",
            "short",
            "--time",
            "0:30:00",
            "--cpus-per-task",
            "2",
            "--out",
            "job",
        ],
        &[],
    ));
    let script = std::fs::read_to_string(d.join("job/shards.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-2",
        "#SBATCH --partition=short",
        "#SBATCH --time=0:30:00",
        "#SBATCH --cpus-per-task=2",
        "--shard \"$SLURM_ARRAY_TASK_ID/3\"",
    ] {
        assert!(script.contains(line), "{line} not in\n{script}");
    }
    let submit = std::fs::read_to_string(d.join("job/submit.sh")).unwrap();
    assert!(
        submit.contains("--dependency=afterok:\"$array\""),
        "{submit}"
    );
    // What Slurm does, without Slurm: each array task runs the script with its index. Task 1
    // fails (here: never runs), the merge refuses; resubmitted alone (`--array=1`: MIN 1, COUNT
    // 1), it is still shard 1 of 3, and the merge succeeds.
    let task = |k: &str, min: &str, count: &str| {
        let out = Command::new("bash")
            .arg(d.join("job/shards.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", k)
            .env("SLURM_ARRAY_TASK_MIN", min)
            .env("SLURM_ARRAY_TASK_COUNT", count)
            .env("IMMUNOPOROSIS", env!("CARGO_BIN_EXE_immunoporosis"))
            .output()
            .unwrap();
        ok(&out);
    };
    task("0", "0", "3");
    task("2", "0", "3");
    let merge = || {
        Command::new("bash")
            .arg(d.join("job/merge.sbatch"))
            .env("IMMUNOPOROSIS", env!("CARGO_BIN_EXE_immunoporosis"))
            .output()
            .unwrap()
    };
    let out = merge();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing shards: 1 (of 3)"));
    assert!(!d.join("job/merged").exists());
    task("1", "1", "1");
    ok(&merge());
    same_folders(&d.join("one"), &d.join("job/merged"));
}

//! Output folders under races, signals and leftovers (issue 9, items 1 and 2): concurrent writers
//! to one folder, SIGINT/SIGTERM while computing or writing, stale working folders of dead
//! processes, symbolic links, and the `OutputDir` guard itself. The single-process hostile cases
//! (foreign folders, files, names that become paths) are in `tests/catalogue/output.toml`.

use immunoporosis::output::{self, MARKER, OutputDir, OutputDirError};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin(args: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_immunoporosis"));
    c.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(args: &[&str], cwd: &Path) -> Output {
    bin(args, cwd).output().expect("binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn lemaire(name: &str, days: f64, interval: f64) -> String {
    format!(
        "name = \"{name}\"\nmodel = \"lemaire2004\"\nduration_days = {days:?}\noutput_interval_days = {interval:?}\n"
    )
}

/// Asserts that `dir` is one whole result of `run`: the marker lists exactly what is there, and
/// the table has the rows that the manifest's duration and interval give. Returns the duration.
fn assert_whole_run(dir: &Path) -> f64 {
    let marker: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(MARKER)).unwrap()).unwrap();
    assert_eq!(marker["program"], "immunoporosis");
    let listed: BTreeSet<String> = marker["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .chain([MARKER.to_string()])
        .collect();
    assert_eq!(listed, names(dir), "marker and folder disagree");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let days = manifest["scenario"]["duration_days"].as_f64().unwrap();
    let interval = manifest["scenario"]["output_interval_days"]
        .as_f64()
        .unwrap();
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let rows = csv.lines().count() - 1;
    assert_eq!(
        rows as f64,
        (days / interval).round() + 1.0,
        "the table does not belong to the manifest"
    );
    for f in ["cells.png", "cells.svg"] {
        assert!(
            std::fs::metadata(dir.join(f)).unwrap().len() > 1000,
            "{f} is not whole"
        );
    }
    days
}

#[test]
fn concurrent_writers_to_one_folder_one_wins_whole_the_others_fail_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let writers = 4;
    for k in 0..writers {
        // Different durations, so that a folder mixed from two writers is detected.
        std::fs::write(
            tmp.path().join(format!("s{k}.toml")),
            lemaire("s", 100.0 + 10.0 * k as f64, 0.05),
        )
        .unwrap();
    }
    let (mut won, mut busy) = (0, 0);
    for round in 0..25 {
        let children: Vec<Child> = (0..writers)
            .map(|k| {
                bin(
                    &["run", &format!("s{k}.toml"), "--out", "res/out"],
                    tmp.path(),
                )
                .spawn()
                .unwrap()
            })
            .collect();
        let mut ok = 0;
        for c in children {
            let o = c.wait_with_output().unwrap();
            let err = text(&o.stderr);
            match o.status.code() {
                Some(0) => ok += 1,
                Some(1) if err.contains("is being written by another immunoporosis process") => {
                    assert!(err.contains("nothing was written"), "{err}");
                    busy += 1;
                }
                c => panic!("round {round}: exit {c:?}: {err}"),
            }
        }
        assert!(ok >= 1, "round {round}: no writer succeeded");
        won += ok;
        assert_eq!(
            names(&tmp.path().join("res")),
            BTreeSet::from(["out".to_string()]),
            "round {round}: leftovers beside the folder"
        );
        let days = assert_whole_run(&tmp.path().join("res/out"));
        assert!((100.0..=130.0).contains(&days));
    }
    // Both outcomes must have happened, or the test did not test the race.
    assert!(won >= 25 && busy >= 1, "won {won}, busy {busy}");
}

/// Sends `sig` to a child.
fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on a child process we have not yet waited for.
    let r = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(r, 0, "kill failed");
}

/// Waits until a child catches `sig` (its handler is installed; `/proc/PID/status`, SigCgt).
fn wait_for_handler(child: &Child, sig: i32) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (sig - 1)) != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the child never installed a handler for signal {sig}");
}

/// Waits until `dir` holds an entry whose name starts with `prefix` (at most 60 s).
fn wait_for_entry(dir: &Path, prefix: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
            })
            .unwrap_or(false)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("no {prefix}* appeared in {}", dir.display());
}

#[test]
fn sigint_and_sigterm_while_computing_or_writing_leave_no_temporary_folder() {
    // 1,000,000 rows: on an idle machine the simulation takes about 0.4 s, writing the table
    // and the plots about 1.3 s (longer under load, never shorter).
    let long = lemaire("long", 10000.0, 0.01);
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        // None: while computing (before the temporary folder exists); Some(ms): that long after
        // the temporary folder appeared, while writing.
        for moment in [None, Some(0), Some(150), Some(500)] {
            for previous in [false, true] {
                if previous && moment.is_none() {
                    continue;
                }
                let tmp = tempfile::tempdir().unwrap();
                let dir = tmp.path();
                std::fs::write(dir.join("long.toml"), &long).unwrap();
                std::fs::create_dir(dir.join("res")).unwrap();
                let old_rows = if previous {
                    // A previous result, which the interrupted run must leave as it was.
                    std::fs::write(dir.join("short.toml"), lemaire("short", 7.0, 1.0)).unwrap();
                    let o = run(&["run", "short.toml", "--out", "res/out"], dir);
                    assert!(o.status.success(), "{}", text(&o.stderr));
                    Some(std::fs::read_to_string(dir.join("res/out/timeseries.csv")).unwrap())
                } else {
                    None
                };
                let child = bin(&["run", "long.toml", "--out", "res/out"], dir)
                    .spawn()
                    .unwrap();
                match moment {
                    None => {
                        wait_for_handler(&child, sig);
                        std::thread::sleep(Duration::from_millis(30));
                    }
                    Some(ms) => {
                        wait_for_entry(&dir.join("res"), ".out.tmp-");
                        std::thread::sleep(Duration::from_millis(ms));
                    }
                }
                signal(&child, sig);
                let o = child.wait_with_output().unwrap();
                let what = format!("signal {sig} at {moment:?} ms, previous result {previous}");
                if moment == Some(500) && o.status.code() == Some(0) {
                    // On a machine fast enough to write a million rows and the plots within
                    // half a second, the signal came after the run: it must then be whole.
                    assert_eq!(names(&dir.join("res")), BTreeSet::from(["out".to_string()]));
                    assert_whole_run(&dir.join("res/out"));
                    continue;
                }
                assert_eq!(
                    o.status.code(),
                    Some(code),
                    "{what}: {:?} {}",
                    o.status,
                    text(&o.stderr)
                );
                match &old_rows {
                    None => assert!(
                        names(&dir.join("res")).is_empty(),
                        "{what}: left {:?}",
                        names(&dir.join("res"))
                    ),
                    Some(rows) => {
                        assert_eq!(
                            names(&dir.join("res")),
                            BTreeSet::from(["out".to_string()]),
                            "{what}"
                        );
                        assert_whole_run(&dir.join("res/out"));
                        assert_eq!(
                            &std::fs::read_to_string(dir.join("res/out/timeseries.csv")).unwrap(),
                            rows,
                            "{what}: the previous result changed"
                        );
                    }
                }
            }
        }
    }
}

/// The id of a process that has ended (and been reaped).
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    pid
}

#[test]
fn the_next_run_removes_working_folders_of_dead_processes_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("s.toml"), lemaire("s", 10.0, 1.0)).unwrap();
    let out = dir.join("output");
    std::fs::create_dir(&out).unwrap();
    let dead = dead_pid();
    let live = std::process::id();
    let marker = r#"{"program": "immunoporosis", "version": "0.1.0", "entries": []}"#;
    let make = |name: &str, files: &[(&str, &str)]| {
        std::fs::create_dir(out.join(name)).unwrap();
        for (f, t) in files {
            std::fs::write(out.join(name).join(f), t).unwrap();
        }
    };
    // Removed: this target's working folders of a dead process, holding the marker or empty.
    make(
        &format!(".s.tmp-{dead}"),
        &[(MARKER, marker), ("timeseries.csv", "partial")],
    );
    make(&format!(".s.old-{dead}"), &[]);
    // Removed too: a process killed while writing the marker of its new working folder left
    // nothing but a marker cut short.
    let cut = dead_pid();
    make(
        &format!(".s.tmp-{cut}"),
        &[(MARKER, r#"{"program": "immuno"#)],
    );
    // Kept: a cut-short marker beside anything else, a live process's, one without the marker,
    // another target's, another pattern.
    make(
        &format!(".s.tmp-{}", dead_pid()),
        &[(MARKER, r#"{"prog"#), ("notes.md", "mine")],
    );
    make(&format!(".s.tmp-{live}"), &[(MARKER, marker)]);
    make(&format!(".s.old-{}", dead_pid()), &[("thesis.tex", "mine")]);
    make(&format!(".t.tmp-{dead}"), &[(MARKER, marker)]);
    make(&format!(".s.tmp-{dead}x"), &[(MARKER, marker)]);
    std::fs::write(out.join(format!(".s.tmp-{}", dead_pid())), "a file").unwrap();
    let before = names(&out);

    let o = run(&["run", "s.toml"], dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after = names(&out);
    let removed: BTreeSet<String> = before.difference(&after).cloned().collect();
    assert_eq!(
        removed,
        BTreeSet::from([
            format!(".s.tmp-{dead}"),
            format!(".s.old-{dead}"),
            format!(".s.tmp-{cut}")
        ])
    );
    assert_eq!(
        after.difference(&before).cloned().collect::<Vec<_>>(),
        ["s"]
    );
    assert_whole_run(&out.join("s"));
}

#[test]
fn a_killed_run_leaves_leftovers_that_the_next_run_removes() {
    // SIGKILL cannot be handled: the hidden folder and the lock file stay, and the next run to
    // the same folder takes the lock and removes them.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("long.toml"), lemaire("x", 5000.0, 0.01)).unwrap();
    std::fs::write(dir.join("short.toml"), lemaire("x", 7.0, 1.0)).unwrap();
    std::fs::create_dir(dir.join("res")).unwrap();
    let mut child = bin(&["run", "long.toml", "--out", "res/x"], dir)
        .spawn()
        .unwrap();
    wait_for_entry(&dir.join("res"), ".x.tmp-");
    child.kill().unwrap();
    child.wait().unwrap();
    let left = names(&dir.join("res"));
    assert!(
        left.contains(".x.lock") && left.iter().any(|n| n.starts_with(".x.tmp-")),
        "{left:?}"
    );
    let o = run(&["run", "short.toml", "--out", "res/x"], dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(names(&dir.join("res")), BTreeSet::from(["x".to_string()]));
    assert_whole_run(&dir.join("res/x"));
}

#[test]
fn a_hard_link_at_the_lock_files_name_is_refused_and_left_whole() {
    // Found in review: the lock file was opened, truncated and removed whatever it was; a hard
    // link to a user's file at `.o.lock` lost the file's content.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("s.toml"), lemaire("s", 10.0, 1.0)).unwrap();
    std::fs::write(dir.join("thesis.tex"), "precious thesis").unwrap();
    std::fs::hard_link(dir.join("thesis.tex"), dir.join(".o.lock")).unwrap();
    let o = run(&["run", "s.toml", "--out", "o"], dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("hard link"), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("thesis.tex")).unwrap(),
        "precious thesis"
    );
    assert!(dir.join(".o.lock").exists() && !dir.join("o").exists());
}

#[test]
fn a_device_at_the_output_folder_is_refused_without_writing() {
    // Checked in-process, with and without --force: a device is never opened or replaced.
    for force in [false, true] {
        let e = immunoporosis::output::check_target(Path::new("/dev/null"), force)
            .expect_err("a device is no output folder");
        assert_eq!(e.exit_code(), 2);
        let shown = e.to_string();
        assert!(
            shown.contains("`/dev/null`") && shown.contains("device, pipe or socket"),
            "{shown}"
        );
    }
    let meta = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &meta.file_type()
    ));
}

#[test]
fn symbolic_links_at_the_output_folder_or_its_lock_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("s.toml"), lemaire("s", 10.0, 1.0)).unwrap();
    std::fs::create_dir(dir.join("thesis")).unwrap();
    std::fs::write(dir.join("thesis/thesis.tex"), "mine").unwrap();
    let o = run(&["run", "s.toml", "--out", "own"], dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::os::unix::fs::symlink("thesis", dir.join("to_thesis")).unwrap();
    std::os::unix::fs::symlink("own", dir.join("to_own")).unwrap();
    std::os::unix::fs::symlink("nowhere", dir.join("dangling")).unwrap();
    for link in ["to_thesis", "to_own", "dangling"] {
        for force in [false, true] {
            let mut args = vec!["run", "s.toml", "--out", link];
            if force {
                args.push("--force");
            }
            let o = run(&args, dir);
            assert_eq!(o.status.code(), Some(2), "{link}: {}", text(&o.stdout));
            let err = text(&o.stderr);
            assert!(
                err.contains(&format!("`{link}`")) && err.contains("symbolic link"),
                "{err}"
            );
        }
    }
    // A lock file planted as a link to someone's file: refused, the file untouched.
    std::fs::write(dir.join("precious.txt"), "precious").unwrap();
    std::os::unix::fs::symlink("precious.txt", dir.join(".new.lock")).unwrap();
    let o = run(&["run", "s.toml", "--out", "new"], dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("symbolic link"));
    assert_eq!(
        std::fs::read_to_string(dir.join("precious.txt")).unwrap(),
        "precious"
    );
    assert!(!dir.join("new").exists());
    // Nothing else changed.
    assert_eq!(
        names(dir),
        [
            ".new.lock",
            "dangling",
            "own",
            "precious.txt",
            "s.toml",
            "thesis",
            "to_own",
            "to_thesis"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    assert_eq!(
        names(&dir.join("thesis")),
        BTreeSet::from(["thesis.tex".to_string()])
    );
    assert_whole_run(&dir.join("own"));
}

#[test]
fn the_output_dir_guard_locks_commits_whole_and_cleans_up_when_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("a/b");
    // Dropped without commit: nothing left, not even the parent's hidden files.
    {
        let dir = OutputDir::create(&target, false).unwrap();
        assert!(dir.path().is_dir());
        assert_eq!(dir.target(), target.as_path());
        std::fs::write(dir.path().join("x.csv"), "1").unwrap();
        // A second writer of the same folder, even in this process, is refused at once.
        match OutputDir::create(&target, false) {
            Err(e @ OutputDirError::Busy { .. }) => {
                assert_eq!(e.exit_code(), 1);
                assert!(
                    e.to_string()
                        .contains(&format!("pid {}", std::process::id()))
                );
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        // Another folder beside it is independent.
        let c = OutputDir::create(&tmp.path().join("a/c"), false).unwrap();
        drop(c);
    }
    assert!(names(&tmp.path().join("a")).is_empty());

    let dir = OutputDir::create(&target, false).unwrap();
    std::fs::write(dir.path().join("x.csv"), "1").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    dir.commit().unwrap();
    assert_eq!(
        names(&target),
        BTreeSet::from([MARKER.into(), "sub".into(), "x.csv".into()])
    );
    assert_eq!(names(&tmp.path().join("a")), BTreeSet::from(["b".into()]));

    // The thin wrapper replaces its own previous result whole; an error leaves it as it was.
    output::write_dir_atomically(&target, |d| {
        std::fs::write(d.join("y.csv"), "2").map_err(|e| output::OutputError::at(d, e))
    })
    .unwrap();
    assert_eq!(
        names(&target),
        BTreeSet::from([MARKER.into(), "y.csv".into()])
    );
    let err = output::write_dir_atomically(&target, |d| {
        std::fs::write(d.join("z.csv"), "3").unwrap();
        Err(output::OutputError::at(
            d,
            std::io::Error::other("disk full"),
        ))
    })
    .unwrap_err();
    assert!(err.to_string().contains("disk full"));
    assert_eq!(
        names(&target),
        BTreeSet::from([MARKER.into(), "y.csv".into()])
    );
    assert_eq!(names(&tmp.path().join("a")), BTreeSet::from(["b".into()]));

    // Added files need --force; a folder without the marker is refused even with it.
    std::fs::write(target.join("notes.md"), "mine").unwrap();
    let e = OutputDir::create(&target, false).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    assert!(e.to_string().contains("notes.md"), "{e}");
    OutputDir::create(&target, true).unwrap().commit().unwrap();
    assert_eq!(names(&target), BTreeSet::from([MARKER.into()]));
    std::fs::remove_file(target.join(MARKER)).unwrap();
    std::fs::write(target.join("data.csv"), "mine").unwrap();
    let e = OutputDir::create(&target, true).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(names(&target), BTreeSet::from(["data.csv".into()]));
}

#[test]
fn a_folder_changed_while_computing_is_checked_again_before_it_is_replaced() {
    // The check before computing passes (nothing there); someone puts a folder there meanwhile;
    // the commit refuses it and removes its own temporary folder.
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    let dir = OutputDir::create(&target, true).unwrap();
    std::fs::write(dir.path().join("x.csv"), "1").unwrap();
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("thesis.tex"), "mine").unwrap();
    let e = dir.commit().unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    assert_eq!(names(&target), BTreeSet::from(["thesis.tex".into()]));
    assert_eq!(names(tmp.path()), BTreeSet::from(["out".into()]));
}

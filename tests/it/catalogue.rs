//! The catalogue of bad and hostile input (issue 9): every case in `tests/catalogue/*.toml` runs
//! the binary in a fresh temporary folder and checks its exit code, the fragments its message
//! must contain, and that nothing outside the paths it may write changed: no file written,
//! removed or altered, no hidden leftover. The format is described in `tests/catalogue/README.md`.

use crate::util::root;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    why: String,
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stdout: Vec<String>,
    timeout_s: Option<f64>,
    #[serde(default)]
    writes: Vec<String>,
    #[serde(default)]
    removes: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    fifos: Vec<String>,
    #[serde(default)]
    files: BTreeMap<String, String>,
}

/// What a path in the case's folder is, for the "nothing written" comparison.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
    Other,
}

fn snapshot(dir: &Path) -> BTreeMap<String, Entry> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let rel = path
                .strip_prefix(base)
                .expect("below base")
                .to_string_lossy()
                .into_owned();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                out.insert(
                    rel,
                    Entry::Link(std::fs::read_link(&path).unwrap_or_default()),
                );
            } else if ft.is_dir() {
                out.insert(rel, Entry::Dir);
                walk(base, &path, out);
            } else if ft.is_file() {
                out.insert(rel, Entry::File(std::fs::read(&path).unwrap_or_default()));
            } else {
                // FIFOs and devices are never opened: reading a FIFO would block.
                out.insert(rel, Entry::Other);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn load_cases() -> Vec<(PathBuf, Case)> {
    let dir = root().join("tests/catalogue");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let parsed: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        cases.extend(parsed.case.into_iter().map(|c| (f.clone(), c)));
    }
    cases
}

/// Replaces `{tmp}` and `{repo}`.
fn fill(text: &str, tmp: &Path) -> String {
    text.replace("{tmp}", &tmp.to_string_lossy())
        .replace("{repo}", &root().to_string_lossy())
}

/// True when `path` equals or lies below one of `prefixes`, or is a folder on the way to one.
fn may_write(path: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| {
        let p = p.trim_end_matches('/');
        path == p || path.starts_with(&format!("{p}/")) || p.starts_with(&format!("{path}/"))
    })
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = tmp.path();
    for (rel, text) in &case.files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, fill(text, dir)).map_err(|e| e.to_string())?;
    }
    for rel in &case.fifos {
        let ok = Command::new("mkfifo")
            .arg(dir.join(rel))
            .status()
            .map_err(|e| format!("mkfifo: {e}"))?;
        if !ok.success() {
            return Err(format!("mkfifo {rel} failed"));
        }
    }
    let before = snapshot(dir);
    let args: Vec<String> = case.args.iter().map(|a| fill(a, dir)).collect();
    // CATALOGUE_BIN runs the catalogue against another build (for example the program before a
    // fix, to see which cases it fails).
    let program = std::env::var_os("CATALOGUE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_immunoporosis")),
        PathBuf::from,
    );
    let mut child = Command::new(program)
        .args(&args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .envs(&case.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the binary: {e}"))?;
    let pipe = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_reader = pipe(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err_reader = pipe(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let limit = Duration::from_secs_f64(case.timeout_s.unwrap_or(60.0));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "still running after {} s (killed)",
                limit.as_secs_f64()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    let mut problems = Vec::new();
    if code != case.exit {
        problems.push(format!("exit code {code}, expected {}", case.exit));
    }
    for f in &case.stderr {
        if !stderr.contains(&fill(f, dir)) {
            problems.push(format!("stderr lacks `{f}`"));
        }
    }
    for f in &case.stdout {
        if !stdout.contains(&fill(f, dir)) {
            problems.push(format!("stdout lacks `{f}`"));
        }
    }
    if stderr.contains("internal error") || stderr.contains("panicked") {
        problems.push("the program panicked".into());
    }
    let after = snapshot(dir);
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for p in paths {
        if may_write(p, &case.writes) {
            continue;
        }
        if case.removes.contains(p) {
            if after.contains_key(p) {
                problems.push(format!("`{p}` was not removed"));
            }
            continue;
        }
        match (before.get(p), after.get(p)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => problems.push(format!("`{p}` was changed")),
            (Some(_), None) => problems.push(format!("`{p}` was removed")),
            (None, _) => problems.push(format!("`{p}` was written")),
        }
    }
    for w in &case.writes {
        if code == 0 && !after.contains_key(w.trim_end_matches('/')) {
            problems.push(format!("`{w}` was not written"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n      args: {args:?}\n      stdout: {}\n      stderr: {}",
            problems.join("; "),
            stdout.trim_end(),
            stderr.trim_end()
        ))
    }
}

#[test]
fn every_catalogued_bad_input_is_handled() {
    let cases = load_cases();
    let mut seen = BTreeSet::new();
    for (file, c) in &cases {
        assert!(
            seen.insert(c.name.clone()),
            "{}: case name `{}` is used twice",
            file.display(),
            c.name
        );
        assert!(
            ["9.", "10.", "11.", "12."]
                .iter()
                .any(|i| c.why.starts_with(i)),
            "{}: case `{}` names no issue-9, issue-10, issue-11 or issue-12 item in `why`",
            file.display(),
            c.name
        );
    }
    // Run the cases on two threads: each is a separate process in its own folder.
    let failures: Vec<String> = std::thread::scope(|s| {
        let (a, b): (Vec<_>, Vec<_>) = cases.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let run = |part: Vec<(usize, &(PathBuf, Case))>| {
            part.into_iter()
                .filter_map(|(_, (file, c))| {
                    run_case(c)
                        .err()
                        .map(|e| format!("{} [{}] ({}): {e}", c.name, c.why, file.display()))
                })
                .collect::<Vec<_>>()
        };
        let ha = s.spawn(move || run(a));
        let hb = s.spawn(move || run(b));
        let mut f = ha.join().expect("thread");
        f.extend(hb.join().expect("thread"));
        f
    });
    assert!(
        failures.is_empty(),
        "{} of {} catalogue cases failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

#[test]
fn the_catalogue_checks_itself() {
    // The runner must notice a case whose expectation is wrong: an exit code, a missing
    // fragment, and a file written where nothing may be written.
    let wrong_exit = Case {
        name: "x".into(),
        why: "9.0".into(),
        args: vec!["check".into(), "missing.toml".into()],
        exit: 0,
        stderr: vec!["missing.toml".into()],
        stdout: vec![],
        timeout_s: None,
        writes: vec![],
        removes: vec![],
        env: BTreeMap::new(),
        fifos: vec![],
        files: BTreeMap::new(),
    };
    let e = run_case(&wrong_exit).expect_err("exit 2 is not 0");
    assert!(e.contains("exit code 2"), "{e}");
    let scenario = "name = \"s\"\nmodel = \"lemaire2004\"\nduration_days = 2.0\n";
    let writes_output = Case {
        exit: 0,
        args: vec!["run".into(), "s.toml".into()],
        stderr: vec!["no such text".into()],
        files: BTreeMap::from([("s.toml".to_string(), scenario.to_string())]),
        ..wrong_exit
    };
    let e = run_case(&writes_output).expect_err("output/ is written but not allowed");
    assert!(
        e.contains("`output` was written") && e.contains("stderr lacks `no such text`"),
        "{e}"
    );
}

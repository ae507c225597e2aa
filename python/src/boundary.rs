//! The boundary with the interpreter: library errors become the package's Python exceptions, no
//! panic crosses into Python, and long work runs off the interpreter's thread with the GIL
//! released while the calling thread watches for Ctrl-C.

use crate::source::Text;
use immunoporosis::error::{ConfigError, SimError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the calling thread looks for a pending signal (Ctrl-C) while work runs.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// An exception class of `immunoporosis._errors`, called with a message and keyword arguments.
fn raise(
    py: Python<'_>,
    class: &str,
    message: String,
    fill: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        fill(&kwargs)?;
        let cls = py.import("immunoporosis._errors")?.getattr(class)?;
        Ok(PyErr::from_value(cls.call((message,), Some(&kwargs))?))
    };
    build().unwrap_or_else(|e| e)
}

/// A `ConfigError` as `ScenarioError`: file, key, line, and for generated text (a dict, or a
/// file with overrides) the dict path of the line in place of the line.
pub fn scenario_error(py: Python<'_>, e: ConfigError, text: Option<&Text>) -> PyErr {
    let ours = text.filter(|t| t.map.is_some() && t.file == e.file);
    let path = ours.and_then(|t| t.path_at(e.line));
    let line = if ours.is_some() { None } else { e.line };
    let mut shown = e.clone();
    shown.line = line;
    let mut message = shown.to_string();
    if let Some(p) = &path {
        // "<dict>: key `x`: ..." -> "<dict>["input"][0]["value"]: key `x`: ..."
        let file = e.file.display().to_string();
        if let Some(rest) = message.strip_prefix(&file) {
            message = format!("{file}{p}{rest}");
        }
    }
    raise(py, "ScenarioError", message, |k| {
        k.set_item("file", e.file.display().to_string())?;
        k.set_item("key", e.key.clone())?;
        k.set_item("line", line)?;
        k.set_item("path", path)?;
        k.set_item("help", e.help.clone())
    })
}

/// A `SimError` as `SimulationError`, with the simulated time reached where there is one.
pub fn simulation_error(py: Python<'_>, e: &SimError, index: Option<usize>) -> PyErr {
    let message = match index {
        Some(i) => format!("run {i}: {e}"),
        None => e.to_string(),
    };
    raise(py, "SimulationError", message, |k| {
        k.set_item("time_reached", e.time_reached())?;
        k.set_item("index", index)
    })
}

/// A failure with a reason only (an analysis that could not be completed).
pub fn analysis_error(py: Python<'_>, reason: String) -> PyErr {
    simulation_error(py, &SimError::Analysis { reason }, None)
}

/// A panic caught at the boundary: a bug, reported as an exception, never an abort.
pub fn internal_error(panic: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    PyRuntimeError::new_err(format!(
        "internal error (a bug in immunoporosis, please report it): {what}"
    ))
}

/// Work stopped because the user interrupted it.
pub struct Cancelled;

/// Runs `work` on a worker thread (in a pool of `threads`, or rayon's global pool), with the
/// GIL released; the calling thread checks for signals every [`SIGNAL_POLL`]. On Ctrl-C (or any
/// signal handler raising) it sets the flag `work` watches, waits for it to stop and raises
/// KeyboardInterrupt. A panic in `work` becomes a RuntimeError.
pub fn interruptible<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce(&AtomicBool) -> T + Send,
) -> PyResult<T> {
    let pool = match threads {
        None => None,
        Some(0) => {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "threads must be at least 1",
            ));
        }
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyRuntimeError::new_err(format!("cannot start {n} threads: {e}")))?,
        ),
    };
    let cancel = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = std::sync::Mutex::new(rx);
        let cancel = &cancel;
        let pool = &pool;
        let worker = s.spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| match pool {
                Some(p) => p.install(|| work(cancel)),
                None => work(cancel),
            }));
            let _ = tx.send(());
            r
        });
        loop {
            let done = py.detach(|| {
                rx.lock()
                    .map(|r| r.recv_timeout(SIGNAL_POLL).is_ok())
                    .unwrap_or(true)
            });
            if done || worker.is_finished() {
                break;
            }
            if let Err(e) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                let _ = py.detach(|| worker.join());
                return Err(e);
            }
        }
        match worker.join() {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(panic)) | Err(panic) => Err(internal_error(panic)),
        }
    })
}

/// Runs `f` catching any panic (a bug) as a RuntimeError.
pub fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(internal_error(p)))
}

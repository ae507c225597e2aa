//! A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
//! JSON messages separated by NUL bytes, commands on the child's fd 3, replies and events on its
//! fd 4). No driver library, no network, no browser download: Debian's `chromium` package.
//!
//! `.ci/run` installs Chromium when it is missing, so in CI [`chromium`] always finds it; without
//! it the tests fail with a message saying how to install it. `IMMUNOPOROSIS_SKIP_BROWSER=1`
//! skips them on a machine without Chromium, loudly (never set in CI).

use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// Longest wait for one reply or event: a hung browser fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(120);

/// Width of the page, CSS pixels (a laptop screen).
pub const WIDTH: u32 = 1280;

/// The Chromium binary: `$CHROMIUM`, else `chromium` or `chromium-browser` on the `PATH`.
/// `None` only when `IMMUNOPOROSIS_SKIP_BROWSER=1`; otherwise a missing browser fails the test.
pub fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() && std::env::var("IMMUNOPOROSIS_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!(
            "SKIPPED: no chromium, and IMMUNOPOROSIS_SKIP_BROWSER=1: report.html was not checked in a browser"
        );
        return None;
    }
    Some(found.expect(
        "headless Chromium is needed to check report.html: install it (Debian: apt-get install chromium; .ci/run does this) or set CHROMIUM=/path/to/chromium",
    ))
}

/// A running headless Chromium.
pub struct Browser {
    child: Child,
    commands: File,
    replies: Receiver<Value>,
    next_id: u64,
    /// Events received and not yet looked at.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

/// What a page did: its images, problems (console messages, errors, requests that are not
/// `file:` or `data:`), and its screenshot.
#[derive(Debug)]
pub struct PageCheck {
    /// (alt text, natural width in pixels, decoded) per image.
    pub images: Vec<(String, u64, bool)>,
    /// Console messages, exceptions, log entries of level warning or error, network requests.
    pub problems: Vec<String>,
    /// `<h2>` headings of the page.
    pub headings: Vec<String>,
    /// The full page as PNG.
    pub screenshot: Vec<u8>,
}

fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: a two-element array for pipe2 to fill.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

/// In the child: `fd` becomes `target`, open across exec.
fn move_fd(fd: RawFd, target: RawFd) -> std::io::Result<()> {
    // SAFETY: plain descriptor calls between fork and exec.
    let r = unsafe {
        if fd == target {
            libc::fcntl(fd, libc::F_SETFD, 0)
        } else {
            libc::dup2(fd, target)
        }
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl Browser {
    /// Starts Chromium with a new empty profile, no network features, and the pipe.
    pub fn launch(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (cmd_read, cmd_write) = pipe();
        let (out_read, out_write) = pipe();
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe descriptor calls run in the child before exec.
        unsafe {
            command.pre_exec(move || {
                move_fd(cmd_read, 3)?;
                move_fd(out_write, 4)
            });
        }
        let child = command.spawn().expect("chromium starts");
        // SAFETY: the parent owns these descriptors from here on (the child has its copies).
        let (commands, replies_file) = unsafe {
            libc::close(cmd_read);
            libc::close(out_write);
            (File::from_raw_fd(cmd_write), File::from_raw_fd(out_read))
        };
        let (tx, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(replies_file);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                    && tx.send(v).is_err()
                {
                    return;
                }
                buf.clear();
            }
        });
        Browser {
            child,
            commands,
            replies,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    fn receive(&mut self) -> Value {
        self.replies
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("no message from chromium within {WAIT:?}: {e}"))
    }

    /// Sends a command (to a page's session, or to the browser) and returns its result.
    pub fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).expect("write to chromium");
        loop {
            let v = self.receive();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method} failed: {}", v["error"]);
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    /// Waits for an event of `session`.
    fn wait_event(&mut self, method: &str, session: &str) {
        let is = |v: &Value| v["method"] == json!(method) && v["sessionId"] == json!(session);
        if self.events.iter().any(is) {
            return;
        }
        loop {
            let v = self.receive();
            let done = is(&v);
            self.events.push(v);
            if done {
                return;
            }
        }
    }

    /// Opens `file` in a new tab, waits for it to load, and checks it (see [`PageCheck`]).
    pub fn check_page(&mut self, file: &Path) -> PageCheck {
        let target = self.send("Target.createTarget", json!({"url": "about:blank"}), None);
        let attached = self.send(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
            None,
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let s = Some(session.as_str());
        for domain in ["Page", "Runtime", "Log", "Network"] {
            self.send(&format!("{domain}.enable"), json!({}), s);
        }
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
            s,
        );
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        self.send("Page.navigate", json!({"url": url}), s);
        self.wait_event("Page.loadEventFired", &session);
        let images = self.images(s);
        let headings = self.evaluate(
            "Array.from(document.querySelectorAll('h2')).map(h => h.textContent)",
            s,
        );
        let screenshot = self.screenshot(s);
        let problems = self.problems(&session);
        self.send(
            "Target.closeTarget",
            json!({"targetId": target["targetId"]}),
            None,
        );
        PageCheck {
            images,
            problems,
            headings: headings
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap_or_default().to_string())
                .collect(),
            screenshot,
        }
    }

    fn evaluate(&mut self, expression: &str, s: Option<&str>) -> Value {
        let r = self.send(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            s,
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Every image after decoding: (alt, naturalWidth, decoded without error).
    fn images(&mut self, s: Option<&str>) -> Vec<(String, u64, bool)> {
        let v = self.evaluate(
            "Promise.all(Array.from(document.images).map(i => i.decode().then(() => true, () => false).then(ok => [i.alt, i.naturalWidth, ok])))",
            s,
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i[0].as_str().unwrap_or_default().to_string(),
                    i[1].as_u64().unwrap_or(0),
                    i[2].as_bool().unwrap_or(false),
                )
            })
            .collect()
    }

    /// The whole page as PNG (at most 16000 px high).
    fn screenshot(&mut self, s: Option<&str>) -> Vec<u8> {
        use base64::Engine as _;
        let m = self.send("Page.getLayoutMetrics", json!({}), s);
        let height = m["cssContentSize"]["height"].as_f64().unwrap().min(16000.0);
        let shot = self.send(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}}),
            s,
        );
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap()
    }

    /// Console messages, exceptions, warnings and errors logged, and requests to anything but
    /// `file:` and `data:` URLs, of `session`.
    fn problems(&mut self, session: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self
            .events
            .iter()
            .filter(|e| e["sessionId"] == json!(session))
        {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or_default() {
                "Runtime.consoleAPICalled" => {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Runtime.exceptionThrown" => {
                    out.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded"
                    if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) =>
                {
                    out.push(format!(
                        "log {}: {}",
                        p["entry"]["level"], p["entry"]["text"]
                    ))
                }
                "Network.requestWillBeSent" => {
                    let url = p["request"]["url"].as_str().unwrap_or_default();
                    if !url.starts_with("file:") && !url.starts_with("data:") {
                        out.push(format!("network request: {url}"));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (width, height) of a PNG from its header, if it is one.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let signature = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != signature || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

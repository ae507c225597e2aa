//! Part folders: what one shard of an analysis writes (`--shard I/N`), and their reading by
//! `merge`. Every part folder holds `shard.json` ([`PartHeader`]: program version, the input
//! files' hash, seed, shard index and count) and its rows:
//!
//! - sweep: `sweep.csv` (and `trajectories.csv`) with the rows of its block of runs, exactly
//!   as the whole sweep writes them;
//! - sensitivity: `results.csv`, one row per run of its block of the analysis's points
//!   (local, then Morris, then Sobol): `run,<endpoints>,status,error`;
//! - population: `candidates.csv`, one row per candidate it ran, in candidate order
//!   (`candidate,<variables>,<endpoints>,status,error`, status `accepted`, `rejected` or
//!   `failed`), `bands.f64` (each accepted patient's band values, `[column][time]`, as
//!   little-endian 64-bit floats) and `t_day.f64` (the output times).
//!
//! Numbers are written in Rust's shortest round-trip form, so a merge reads back exactly the
//! values the shard computed.

use super::OutputError;
use super::analysis::csv_field;
use crate::analysis::RunOutcome;
use crate::analysis::population::Verdict;
use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The header of a part folder.
pub const HEADER: &str = "shard.json";

/// What a shard was: the same computation (program, analysis, inputs, seed, shard count) for
/// every part of one job, and which part it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartHeader {
    /// Always `immunoporosis`.
    pub program: String,
    /// Program version.
    pub version: String,
    /// `sweep`, `sensitivity` or `population`.
    pub kind: String,
    /// The analysis's name.
    pub name: String,
    /// The analysis file as given on the command line.
    pub file: String,
    /// The working folder it was given in.
    pub working_directory: String,
    /// Every input file read, in order.
    pub inputs: Vec<String>,
    /// SHA-256 over the input files' contents (`config::Inputs`).
    pub inputs_sha256: String,
    /// Seed of the analysis's random streams.
    pub seed: u64,
    /// Where the random streams come from (nothing else is needed to continue them).
    pub random_streams: String,
    /// This shard, 0 to `shards - 1`.
    pub shard: usize,
    /// Number of shards.
    pub shards: usize,
    /// Runs of the whole analysis (sweep, sensitivity) or patients wanted (population).
    pub total: usize,
    /// The block of run indices this shard ran (sweep, sensitivity): `[first, end)`.
    pub first: usize,
    /// End of the block (exclusive).
    pub end: usize,
    /// Population shards: where the shard stopped.
    pub population: Option<PopulationPart>,
}

/// Where a population shard stopped (`analysis::population::ShardStop`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationPart {
    /// Patients it would accept before stopping.
    pub quota: usize,
    /// Its own candidates it ran (`I, I + N, ...`, that many).
    pub processed: usize,
    /// Patients it accepted.
    pub accepted: usize,
}

impl PartHeader {
    /// The fields every part of one job shares, as one string.
    pub fn signature(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.program,
            self.version,
            self.kind,
            self.name,
            self.file,
            self.inputs_sha256,
            self.seed,
            self.shards,
            self.total
        )
    }

    /// The fields every part of one job shares, with the name of the first that differs.
    pub fn differs_from(&self, other: &PartHeader) -> Option<&'static str> {
        [
            ("program", self.program == other.program),
            ("version", self.version == other.version),
            ("kind", self.kind == other.kind),
            ("name", self.name == other.name),
            ("file", self.file == other.file),
            ("inputs_sha256", self.inputs_sha256 == other.inputs_sha256),
            ("seed", self.seed == other.seed),
            ("shards", self.shards == other.shards),
            ("total", self.total == other.total),
        ]
        .into_iter()
        .find(|(_, same)| !same)
        .map(|(k, _)| k)
    }
}

/// Writes `shard.json` into a part folder.
pub fn write_header(dir: &Path, header: &PartHeader) -> Result<(), OutputError> {
    let path = dir.join(HEADER);
    let text =
        serde_json::to_string_pretty(header).map_err(|e| OutputError::at(&path, e.into()))?;
    std::fs::write(&path, text + "\n").map_err(|e| OutputError::at(&path, e))
}

/// Reads the `shard.json` of a part folder (exit 2 when it is missing or not a header).
pub fn read_header(dir: &Path) -> Result<PartHeader, ConfigError> {
    let path = dir.join(HEADER);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ConfigError::file(&path, format!("cannot read the part's header: {e}"))
            .with_help("merge reads the folders that `--shard I/N` wrote (each holds shard.json)")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        let mut err = ConfigError::file(&path, format!("not a part header: {e}"));
        err.line = Some(e.line());
        err
    })
}

fn create(path: &Path) -> Result<BufWriter<File>, OutputError> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| OutputError::at(path, e))
}

fn close(path: &Path, w: BufWriter<File>) -> Result<(), OutputError> {
    w.into_inner()
        .map_err(|e| OutputError::at(path, e.into_error()))?
        .sync_all()
        .map_err(|e| OutputError::at(path, e))
}

/// Writes a sensitivity shard's `results.csv`.
pub struct ResultsWriter {
    path: PathBuf,
    w: BufWriter<File>,
    line: String,
}

impl ResultsWriter {
    /// Opens `results.csv` with its header (the endpoint names).
    pub fn create(dir: &Path, endpoints: &[String]) -> Result<Self, OutputError> {
        let path = dir.join("results.csv");
        let mut w = create(&path)?;
        let header = format!("run,{},status,error\n", endpoints.join(","));
        w.write_all(header.as_bytes())
            .map_err(|e| OutputError::at(&path, e))?;
        Ok(ResultsWriter {
            path,
            w,
            line: String::new(),
        })
    }

    /// Writes run `k`'s endpoints or failure (`m` endpoints).
    pub fn row(
        &mut self,
        k: usize,
        r: &Result<Vec<f64>, String>,
        m: usize,
    ) -> Result<(), OutputError> {
        let t = &mut self.line;
        t.clear();
        let _ = write!(t, "{k}");
        outcome_fields(t, r, m, "ok");
        self.w
            .write_all(t.as_bytes())
            .map_err(|e| OutputError::at(&self.path, e))
    }

    /// Closes the file.
    pub fn finish(self) -> Result<(), OutputError> {
        close(&self.path, self.w)
    }
}

/// `,v1,...,vm,<ok>,\n` or `,,...,failed,<reason>\n`.
fn outcome_fields(t: &mut String, r: &Result<Vec<f64>, String>, m: usize, ok: &str) {
    match r {
        Ok(e) => {
            for v in e {
                let _ = write!(t, ",{v:e}");
            }
            let _ = writeln!(t, ",{ok},");
        }
        Err(reason) => {
            t.push_str(&",".repeat(m));
            let _ = writeln!(t, ",failed,{}", csv_field(reason));
        }
    }
}

/// Writes a population shard's `candidates.csv`, `bands.f64` and `t_day.f64`.
pub struct CandidatesWriter {
    dir: PathBuf,
    table: BufWriter<File>,
    bands: BufWriter<File>,
    variables: usize,
    endpoints: usize,
    line: String,
}

impl CandidatesWriter {
    /// Opens the files; `header` names the variables and endpoints.
    pub fn create(
        dir: &Path,
        variables: &[String],
        endpoints: &[String],
    ) -> Result<Self, OutputError> {
        let mut table = create(&dir.join("candidates.csv"))?;
        let mut names = vec!["candidate".to_string()];
        names.extend(variables.iter().cloned());
        names.extend(endpoints.iter().cloned());
        let header = format!("{},status,error\n", names.join(","));
        table
            .write_all(header.as_bytes())
            .map_err(|e| OutputError::at(&dir.join("candidates.csv"), e))?;
        Ok(CandidatesWriter {
            dir: dir.to_path_buf(),
            table,
            bands: create(&dir.join("bands.f64"))?,
            variables: variables.len(),
            endpoints: endpoints.len(),
            line: String::new(),
        })
    }

    /// Writes candidate `c` with its variable values `x` and its verdict.
    pub fn candidate(&mut self, c: usize, x: &[f64], verdict: &Verdict) -> Result<(), OutputError> {
        let t = &mut self.line;
        t.clear();
        let _ = write!(t, "{c}");
        match verdict {
            Verdict::Accepted { endpoints, bands } => {
                for v in x {
                    let _ = write!(t, ",{v:e}");
                }
                outcome_fields(t, &Ok(endpoints.clone()), 0, "accepted");
                let mut bytes = Vec::with_capacity(8 * bands.len());
                for v in bands {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
                self.bands
                    .write_all(&bytes)
                    .map_err(|e| OutputError::at(&self.dir.join("bands.f64"), e))?;
            }
            Verdict::Rejected => {
                t.push_str(&",".repeat(self.variables + self.endpoints));
                t.push_str(",rejected,\n");
            }
            Verdict::Failed(reason) => {
                t.push_str(&",".repeat(self.variables));
                outcome_fields(t, &Err(reason.clone()), self.endpoints, "");
            }
        }
        self.table
            .write_all(t.as_bytes())
            .map_err(|e| OutputError::at(&self.dir.join("candidates.csv"), e))
    }

    /// Closes the files and writes the output times.
    pub fn finish(self, t: &[f64]) -> Result<(), OutputError> {
        close(&self.dir.join("candidates.csv"), self.table)?;
        close(&self.dir.join("bands.f64"), self.bands)?;
        let path = self.dir.join("t_day.f64");
        let bytes: Vec<u8> = t.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes).map_err(|e| OutputError::at(&path, e))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading parts.

/// A CSV table of a part, read record by record: every field is plain but the last, which may be
/// quoted (a failure reason, written by `csv_field`).
pub struct PartTable {
    path: PathBuf,
    reader: BufReader<File>,
    fields: usize,
    line: usize,
    text: String,
}

fn bad(path: &Path, line: usize, message: impl Into<String>) -> ConfigError {
    let mut e = ConfigError::file(path, message);
    e.line = Some(line);
    e
}

impl PartTable {
    /// Opens `path` and checks that its header is `header`; `buffer` bytes of read buffer.
    pub fn open(path: &Path, header: &str, buffer: usize) -> Result<Self, ConfigError> {
        let file = File::open(path)
            .map_err(|e| ConfigError::file(path, format!("cannot read the part's table: {e}")))?;
        let mut t = PartTable {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(buffer, file),
            fields: header.split(',').count(),
            line: 0,
            text: String::new(),
        };
        match t.read_line()? {
            Some(h) if h == header => Ok(t),
            Some(h) => Err(bad(path, 1, format!("the header `{h}` is not `{header}`"))
                .with_help("the part was written for another analysis file")),
            None => Err(bad(path, 1, "the table is empty")),
        }
    }

    fn read_line(&mut self) -> Result<Option<String>, ConfigError> {
        self.text.clear();
        let n = self
            .reader
            .read_line(&mut self.text)
            .map_err(|e| bad(&self.path, self.line + 1, format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some(self.text.trim_end_matches('\n').to_string()))
    }

    /// The next record's fields (the last unquoted) and its line, or `None` at the end.
    pub fn record(&mut self) -> Result<Option<(Vec<String>, usize)>, ConfigError> {
        let Some(first) = self.read_line()? else {
            return Ok(None);
        };
        let line = self.line;
        let mut fields: Vec<String> = first.splitn(self.fields, ',').map(str::to_string).collect();
        if fields.len() != self.fields {
            return Err(bad(
                &self.path,
                line,
                format!("{} fields, not {}", fields.len(), self.fields),
            ));
        }
        let last = fields.pop().unwrap_or_default();
        let last = if let Some(mut quoted) = last.strip_prefix('"').map(str::to_string) {
            // A quoted field ends at a quote that is not doubled; it may span lines.
            while !closes(&quoted) {
                let more = self
                    .read_line()?
                    .ok_or_else(|| bad(&self.path, line, "a quoted field is not closed"))?;
                quoted.push('\n');
                quoted.push_str(&more);
            }
            quoted[..quoted.len() - 1].replace("\"\"", "\"")
        } else {
            last
        };
        fields.push(last);
        Ok(Some((fields, line)))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether the text after an opening quote ends with the closing quote (an odd run of quotes at
/// the end).
fn closes(s: &str) -> bool {
    let quotes = s.bytes().rev().take_while(|b| *b == b'"').count();
    quotes % 2 == 1
}

/// Parses a number written by a shard.
pub fn number(table: &PartTable, line: usize, text: &str) -> Result<f64, ConfigError> {
    text.parse::<f64>()
        .map_err(|_| bad(table.path(), line, format!("`{text}` is not a number")))
}

/// A run's outcome from the fields `endpoints..., status, error` of a part row.
pub fn outcome(
    table: &PartTable,
    line: usize,
    fields: &[String],
    ok: &str,
) -> Result<Result<Vec<f64>, String>, ConfigError> {
    let (status, error) = (&fields[fields.len() - 2], &fields[fields.len() - 1]);
    let values = &fields[..fields.len() - 2];
    if status == ok {
        values
            .iter()
            .map(|v| number(table, line, v))
            .collect::<Result<Vec<f64>, _>>()
            .map(Ok)
    } else if status == "failed" {
        Ok(Err(error.clone()))
    } else {
        Err(bad(
            table.path(),
            line,
            format!("unknown status `{status}`"),
        ))
    }
}

/// A sweep part's row as the sweep gave it: run index, variable values, outcome (no trajectory).
pub fn sweep_row(
    table: &PartTable,
    line: usize,
    fields: &[String],
    variables: usize,
) -> Result<(usize, Vec<f64>, RunOutcome), ConfigError> {
    let k = fields[0].parse::<usize>().map_err(|_| {
        bad(
            table.path(),
            line,
            format!("`{}` is not a run index", fields[0]),
        )
    })?;
    let x = fields[1..=variables]
        .iter()
        .map(|v| number(table, line, v))
        .collect::<Result<Vec<f64>, _>>()?;
    let endpoints = outcome(table, line, &fields[1 + variables..], "ok")?;
    Ok((
        k,
        x,
        RunOutcome {
            endpoints,
            trajectory: None,
        },
    ))
}

/// Reads `n` little-endian floats from `r` (Err naming `path` when the file ends early).
pub fn read_floats(r: &mut impl Read, n: usize, path: &Path) -> Result<Vec<f64>, ConfigError> {
    let mut bytes = vec![0u8; 8 * n];
    r.read_exact(&mut bytes).map_err(|e| {
        ConfigError::file(path, format!("cannot read {n} values: {e}"))
            .with_help("the part is incomplete: run its shard again")
    })?;
    Ok(bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect())
}

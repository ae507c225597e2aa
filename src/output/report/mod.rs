//! `report.html`: one self-contained page per command, for a person who wants to look at a
//! result without opening a dozen files.
//!
//! A report is plain data ([`Report`]: sections of blocks — text, facts, tables, figures, bars,
//! code) built by one function per command (`run.rs`, `analysis.rs`, `fit.rs`) and rendered by
//! one template (`report.html`, with `report.css`), embedded at compile time and rendered with
//! minijinja, autoescaping on: no text from a scenario or a file reaches the page unescaped.
//! The page loads nothing: figures are read from the output folder being written and inlined as
//! data URIs (PNG, or SVG where no PNG was written), there is no script, and the style sheet is
//! inline. Tables of the folder's CSV files are read back with their first rows only
//! ([`csv_preview`]), so a report of a million-row analysis costs no more memory than of a small one.
//! The report is written last into the output folder's temporary folder, so the marker lists it
//! like every other output.

mod analysis;
mod fit;
mod run;

pub use analysis::{knockout, population, sensitivity, sweep};
pub use fit::{calibrate, validate};
pub use run::{RunReport, compare, run};

use super::OutputError;
use base64::Engine as _;
use serde::Serialize;
use sha2::Digest as _;
use std::fs;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// The report's file name in every output folder.
pub const FILE: &str = "report.html";

/// Rows of a CSV file shown in a report; the rest are counted and linked.
pub const PREVIEW_ROWS: usize = 25;

/// One report: a title, a lead of key facts, sections, and where it came from.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The page's title (the scenario or analysis name).
    pub title: String,
    /// The command that wrote it (`run`, `sweep`, ...).
    pub command: String,
    /// What it shows, from the input file's `description`.
    pub description: String,
    /// Key facts shown under the title (model, duration, ...).
    pub lead: Vec<Fact>,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// Program version, input files with their hashes, the other files of the folder.
    pub provenance: Provenance,
}

/// A labelled value.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value, as text.
    pub value: String,
}

/// A [`Fact`] from anything printable.
pub fn fact(label: &str, value: impl std::fmt::Display) -> Fact {
    Fact {
        label: label.into(),
        value: value.to_string(),
    }
}

/// A section of the page (a heading and its blocks; listed in the page's contents).
#[derive(Debug, Serialize)]
pub struct Section {
    /// Anchor.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Content.
    pub blocks: Vec<Block>,
}

impl Section {
    /// A section with blocks.
    pub fn new(id: &str, title: &str, blocks: Vec<Block>) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            blocks,
        }
    }
}

/// How a note or a cell is coloured.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// No colour.
    #[default]
    Plain,
    /// Good news (a target met, an outcome within its band, a stable steady state).
    Good,
    /// Worth a look (an outcome outside its band).
    Warn,
    /// Bad news (a wrong direction, an unstable steady state, a failed run).
    Bad,
}

/// One piece of a section.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A paragraph.
    Text {
        /// Its text.
        text: String,
    },
    /// A highlighted remark.
    Note {
        /// Its text.
        text: String,
        /// Its colour.
        tone: Tone,
    },
    /// Label-value pairs.
    Facts {
        /// The pairs.
        facts: Vec<Fact>,
    },
    /// A table.
    Table(Table),
    /// Figures, inlined.
    Figures {
        /// The figures.
        figures: Vec<Figure>,
    },
    /// Horizontal bars drawn with HTML (scaled residuals).
    Bars(Bars),
    /// Text shown verbatim in a collapsible box (a scenario file).
    Code {
        /// The box's summary line.
        title: String,
        /// The text.
        text: String,
    },
}

/// A table cell: its text and colour.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Text.
    pub text: String,
    /// Colour.
    pub tone: Tone,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            tone: Tone::Plain,
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

/// A table: a caption, column headings, rows, and where the rest is when it is cut.
#[derive(Debug, Serialize, Default)]
pub struct Table {
    /// Caption above the table.
    pub caption: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Whether each column holds numbers (aligned right).
    pub numeric: Vec<bool>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Below the table: how many rows there are and where all of them are.
    pub footer: String,
    /// The file holding all rows, linked from the footer.
    pub link: String,
}

impl Table {
    /// A table with headings; `numeric` is taken from the rows when they are added.
    pub fn new(caption: &str, columns: &[&str]) -> Table {
        Table {
            caption: caption.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            numeric: vec![true; columns.len()],
            ..Table::default()
        }
    }

    /// Adds a row; a column holding a cell that is not a number is aligned left.
    pub fn push(&mut self, row: Vec<Cell>) {
        for (j, c) in row.iter().enumerate() {
            if let Some(n) = self.numeric.get_mut(j) {
                *n &= looks_numeric(&c.text);
            }
        }
        self.rows.push(row);
    }
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim().trim_end_matches('%').trim();
    t.is_empty() || t == "–" || t.replace(['+', ','], "").parse::<f64>().is_ok()
}

/// A figure inlined as a data URI.
#[derive(Debug, Serialize)]
pub struct Figure {
    /// Caption below the figure.
    pub caption: String,
    /// The file it was read from (linked).
    pub file: String,
    /// The vector version, if written (linked).
    pub svg: String,
    /// `data:image/png;base64,...` or `data:image/svg+xml;base64,...`.
    pub src: String,
}

/// Horizontal bars, each a label, a value and a width in [0, 1].
#[derive(Debug, Serialize)]
pub struct Bars {
    /// Caption above the bars.
    pub caption: String,
    /// What the scale means (shown under the bars).
    pub scale: String,
    /// The bars.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Serialize)]
pub struct Bar {
    /// Label.
    pub label: String,
    /// Value as text.
    pub value: String,
    /// Width as a fraction of the half-width (0 to 1), towards `negative` or positive.
    pub width: f64,
    /// Drawn to the left of the centre.
    pub negative: bool,
    /// Colour.
    pub tone: Tone,
}

/// Where a report came from.
#[derive(Debug, Serialize, Default)]
pub struct Provenance {
    /// Program version.
    pub version: String,
    /// Input files, each with its SHA-256.
    pub inputs: Vec<Input>,
    /// The other files of the output folder (filled in by [`write`]).
    pub files: Vec<String>,
}

impl Provenance {
    /// The provenance of this program's version with these inputs.
    pub fn new(inputs: Vec<Input>) -> Provenance {
        Provenance {
            version: env!("CARGO_PKG_VERSION").into(),
            inputs,
            files: Vec::new(),
        }
    }
}

/// An input file: what it is, its path, size and SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    /// What the file is (scenario, parameter set, ...).
    pub role: String,
    /// Its path as given.
    pub path: String,
    /// Size in bytes.
    pub bytes: usize,
    /// SHA-256 of its text, hex.
    pub sha256: String,
}

impl Input {
    /// The record of a file with the text the program read from it.
    pub fn new(role: &str, path: &Path, text: &str) -> Input {
        let digest = sha2::Sha256::digest(text.as_bytes());
        Input {
            role: role.into(),
            path: path.display().to_string(),
            bytes: text.len(),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// Renders a report to HTML (the embedded template, autoescaping on).
pub fn render(report: &Report) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("report.html", include_str!("report.html"))?;
    env.add_template("report.css", include_str!("report.css"))?;
    env.get_template("report.html")?
        .render(minijinja::context! { r => minijinja::value::Serde(report) })
}

/// Writes `report` as `dir/report.html`, listing the folder's other files in its provenance.
/// Call it last, when every other output is in `dir`.
pub fn write(dir: &Path, mut report: Report) -> Result<(), OutputError> {
    report.provenance.files = folder_files(dir)?;
    let path = dir.join(FILE);
    let html = render(&report).map_err(|e| OutputError::at(&path, io::Error::other(e)))?;
    fs::write(&path, html).map_err(|e| OutputError::at(&path, e))
}

/// The visible files of `dir` other than the report, sorted.
fn folder_files(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut names = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| OutputError::at(dir, e))? {
        let e = e.map_err(|e| OutputError::at(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && name != FILE {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The figures in `dir`, each once (its PNG, or its SVG when no PNG was written), inlined:
/// first the stems in `preferred` order (a stem is a file name without extension; a preferred
/// entry ending in `*` matches a prefix), then the others by name. `caption` names each stem.
pub fn figures(
    dir: &Path,
    preferred: &[&str],
    caption: &dyn Fn(&str) -> String,
) -> Result<Vec<Figure>, OutputError> {
    let names = folder_files(dir)?;
    let mut stems: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".png").or_else(|| n.strip_suffix(".svg")))
        .collect();
    stems.dedup();
    let rank = |s: &str| {
        preferred
            .iter()
            .position(|p| match p.strip_suffix('*') {
                Some(prefix) => s.starts_with(prefix),
                None => *p == s,
            })
            .unwrap_or(preferred.len())
    };
    stems.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    stems
        .into_iter()
        .map(|stem| figure(dir, &names, stem, caption(stem)))
        .collect()
}

fn figure(
    dir: &Path,
    names: &[String],
    stem: &str,
    caption: String,
) -> Result<Figure, OutputError> {
    let png = format!("{stem}.png");
    let svg = format!("{stem}.svg");
    let has_svg = names.contains(&svg);
    let (file, mime) = if names.contains(&png) {
        (png, "image/png")
    } else {
        (svg.clone(), "image/svg+xml")
    };
    let path = dir.join(&file);
    let bytes = fs::read(&path).map_err(|e| OutputError::at(&path, e))?;
    Ok(Figure {
        caption,
        src: format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
        file,
        svg: if has_svg { svg } else { String::new() },
    })
}

/// A figure's caption from its file stem when nothing better is known: `sobol_total_ls_bmd_2y`
/// becomes "Sobol total ls bmd 2y".
pub fn stem_caption(stem: &str) -> String {
    let words = stem.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first `max_rows` rows of `dir/file` (a CSV file this program wrote) as a table, numbers
/// shortened to four significant digits; the footer counts all rows and links the file. Reads
/// the file line by line: memory does not depend on its length.
pub fn csv_preview(
    dir: &Path,
    file: &str,
    caption: &str,
    max_rows: usize,
) -> Result<Table, OutputError> {
    let path = dir.join(file);
    let f = fs::File::open(&path).map_err(|e| OutputError::at(&path, e))?;
    let mut lines = BufReader::new(f).lines();
    let header = match lines.next() {
        Some(h) => h.map_err(|e| OutputError::at(&path, e))?,
        None => String::new(),
    };
    let columns = split_csv(&header);
    let mut table = Table::new(
        caption,
        &columns.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut total = 0usize;
    for line in lines {
        let line = line.map_err(|e| OutputError::at(&path, e))?;
        total += 1;
        if total <= max_rows {
            table.push(
                split_csv(&line)
                    .into_iter()
                    .map(|c| Cell::from(short(&c)))
                    .collect(),
            );
        }
    }
    table.footer = if total > max_rows {
        format!("First {max_rows} of {total} rows; all of them are in")
    } else {
        format!("{total} rows; also in")
    };
    table.link = file.into();
    Ok(table)
}

/// The fields of one CSV line (RFC 4180 quoting, no line breaks inside fields).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let field = fields.last_mut().expect("never empty");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            _ => field.push(c),
        }
    }
    fields
}

/// A number written in full precision, shortened to four significant digits; other text as is.
fn short(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(x) if !text.is_empty() => num(x),
        _ => text.to_string(),
    }
}

/// A number with four significant digits, in plain notation where that is short.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "–".into()
        } else {
            x.to_string()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if (-3..6).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

/// A percent change with a sign and one decimal (`+6.4`, `-73.0`).
pub fn change(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.1}")
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_keep_quoted_commas_and_quotes() {
        assert_eq!(
            split_csv(r#"a,"b, c","say ""hi""",,"#),
            vec!["a", "b, c", r#"say "hi""#, "", ""]
        );
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(num(6.435333460521564), "6.435");
        assert_eq!(num(-73.02372787249742), "-73.02");
        assert_eq!(num(1234.6), "1235");
        assert_eq!(num(2.220446049250313e-14), "2.220e-14");
        assert_eq!(num(0.0), "0");
        assert_eq!(short("1e0"), "1.000");
        assert_eq!(short("within"), "within");
        assert_eq!(change(-73.02), "-73.0");
        assert_eq!(change(6.44), "+6.4");
    }

    #[test]
    fn text_from_a_file_is_escaped() {
        let report = Report {
            title: "<script>alert(1)</script>".into(),
            command: "run".into(),
            description: "a & b".into(),
            lead: vec![fact("model", "<b>")],
            sections: vec![Section::new(
                "s",
                "S",
                vec![Block::Code {
                    title: "t".into(),
                    text: "</pre><img src=x onerror=alert(1)>".into(),
                }],
            )],
            provenance: Provenance::new(vec![Input::new("scenario", Path::new("x"), "abc")]),
        };
        let html = render(&report).expect("renders");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("a &amp; b"));
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert!(html.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }
}

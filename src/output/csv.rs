//! `timeseries.csv`: first column `t_day`, then `<quantity>_<unit>` columns, full precision.

use super::OutputError;
use crate::engine::Trajectory;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes the trajectory as CSV. Numbers use Rust's shortest round-trip formatting, so every
/// value reads back to the same f64.
pub fn write(path: &Path, traj: &Trajectory) -> Result<(), OutputError> {
    let wrap = |e| OutputError::at(path, e);
    let mut w = BufWriter::new(File::create(path).map_err(wrap)?);
    writeln!(w, "{}", traj.columns.join(",")).map_err(wrap)?;
    let mut line = String::new();
    for row in 0..traj.len() {
        line.clear();
        for (c, col) in traj.data.iter().enumerate() {
            if c > 0 {
                line.push(',');
            }
            if c == 0 {
                line.push_str(&format!("{}", col[row]));
            } else {
                line.push_str(&format!("{:e}", col[row]));
            }
        }
        writeln!(w, "{line}").map_err(wrap)?;
    }
    w.flush().map_err(wrap)
}

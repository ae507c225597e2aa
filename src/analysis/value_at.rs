//! The value of an output column at a time: the one place a trajectory is read between its
//! output times (endpoints, calibration targets, the run summary).

use crate::engine::Trajectory;

/// Why a value cannot be read from a trajectory.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueAtError {
    /// The trajectory has no such column (`t_day` included).
    #[error("no column `{0}`")]
    NoColumn(String),
    /// The time is before the first or after the last output time (beyond rounding).
    #[error("day {day} is outside the run (days {first} to {last})")]
    OutsideRun {
        /// The time asked for.
        day: f64,
        /// First output time.
        first: f64,
        /// Last output time.
        last: f64,
    },
}

/// Times within this relative distance (at least this many days) are the same output time.
const SAME_TIME: f64 = 1e-9;

/// The value of `column` at `day`: the output row's own value at an output time (up to a
/// relative 1e-9), linear interpolation between the two output times around it otherwise.
pub fn value_at(traj: &Trajectory, column: &str, day: f64) -> Result<f64, ValueAtError> {
    let (t, y) = series(traj, column)?;
    interpolate(t, y, day)
}

/// The time column and the column `column` of a trajectory.
pub fn series<'a>(
    traj: &'a Trajectory,
    column: &str,
) -> Result<(&'a [f64], &'a [f64]), ValueAtError> {
    let t = traj
        .column("t_day")
        .ok_or_else(|| ValueAtError::NoColumn("t_day".to_string()))?;
    let y = traj
        .column(column)
        .ok_or_else(|| ValueAtError::NoColumn(column.to_string()))?;
    Ok((t, y))
}

/// [`value_at`] on a time series `t` (increasing) and its values `y`.
pub fn interpolate(t: &[f64], y: &[f64], day: f64) -> Result<f64, ValueAtError> {
    let tol = SAME_TIME * day.abs().max(1.0);
    let (Some(&first), Some(&last)) = (t.first(), t.last()) else {
        return Err(ValueAtError::OutsideRun {
            day,
            first: f64::NAN,
            last: f64::NAN,
        });
    };
    if !(day >= first - tol && day <= last + tol) {
        return Err(ValueAtError::OutsideRun { day, first, last });
    }
    let k = t.partition_point(|x| *x < day);
    // An output time within rounding of `day` (the one at or after it, or the one before).
    for j in [k, k.wrapping_sub(1)] {
        if let Some(tj) = t.get(j)
            && (tj - day).abs() <= tol
        {
            return Ok(y[j]);
        }
    }
    if k == 0 {
        return Ok(y[0]);
    }
    if k >= t.len() {
        return Ok(y[t.len() - 1]);
    }
    let (t0, t1) = (t[k - 1], t[k]);
    let w = (day - t0) / (t1 - t0);
    Ok(y[k - 1] + w * (y[k] - y[k - 1]))
}

#[cfg(test)]
mod tests {
    use super::{ValueAtError, value_at};
    use crate::engine::Trajectory;

    fn traj() -> Trajectory {
        Trajectory {
            columns: vec!["t_day".into(), "x".into()],
            data: vec![
                vec![0.0, 0.1, 0.2, 0.30000000000000004],
                vec![1.0, 3.0, 7.0, 1e-17],
            ],
        }
    }

    #[test]
    fn a_value_at_an_output_time_is_that_row_exactly() {
        let t = traj();
        assert_eq!(value_at(&t, "x", 0.1), Ok(3.0));
        // 0.3 is the last output time up to rounding: its own value, not an extrapolation.
        assert_eq!(value_at(&t, "x", 0.3), Ok(1e-17));
        assert_eq!(value_at(&t, "x", 0.0), Ok(1.0));
    }

    #[test]
    fn a_value_between_output_times_is_interpolated_linearly() {
        let t = traj();
        let v = value_at(&t, "x", 0.15).unwrap();
        assert!((v - 5.0).abs() < 1e-12, "{v}");
        let v = value_at(&t, "x", 0.025).unwrap();
        assert!((v - 1.5).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_missing_column_or_a_time_outside_the_run_is_an_error() {
        let t = traj();
        assert_eq!(
            value_at(&t, "y", 0.1),
            Err(ValueAtError::NoColumn("y".into()))
        );
        assert!(matches!(
            value_at(&t, "x", 0.5),
            Err(ValueAtError::OutsideRun { .. })
        ));
        assert!(matches!(
            value_at(&t, "x", -0.01),
            Err(ValueAtError::OutsideRun { .. })
        ));
        assert!(matches!(
            value_at(&t, "x", f64::NAN),
            Err(ValueAtError::OutsideRun { .. })
        ));
    }
}

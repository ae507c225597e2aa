//! Shards: one analysis split over N processes (a Slurm job array, a Kubernetes Indexed Job),
//! each running the samples its index owns, merged afterwards into the one-machine result.
//!
//! Which samples a shard runs depends only on the sample's index, the shard's index and the
//! number of shards, never on threads or nodes: sweeps and sensitivity analyses give each shard
//! a contiguous block of run indices ([`Shard::block`]); populations deal candidates round robin
//! ([`Shard::owns`]), so that every shard sees the same mix of candidates whatever the acceptance
//! window rejects. No I/O: the command line and the environment are read by the caller.

use crate::config::limits::MAX_SHARDS;
use std::ops::Range;

/// Shard `index` of `count` (0-based): `--shard index/count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0 to `count - 1`.
    pub index: usize,
    /// Number of shards, 1 to [`MAX_SHARDS`].
    pub count: usize,
}

/// Why a shard specification was refused.
fn check(index: usize, count: usize) -> Result<Shard, String> {
    if count == 0 {
        return Err("the number of shards N must be at least 1".into());
    }
    if count > MAX_SHARDS {
        return Err(format!(
            "{count} shards are more than the {MAX_SHARDS} a merge reads (params/README.md section 5)"
        ));
    }
    if index >= count {
        return Err(format!(
            "shard index {index} is not below the number of shards {count} (shards are numbered 0 to {})",
            count - 1
        ));
    }
    Ok(Shard { index, count })
}

impl Shard {
    /// The whole analysis on one machine: shard 0 of 1.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (shard I of N, 0 <= I < N <= [`MAX_SHARDS`]).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not I/N (shard I of N, for example 0/4)"))?;
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{text}`: {what} `{s}` is not a whole number"))
        };
        check(number(i, "shard index")?, number(n, "number of shards")?)
    }

    /// The contiguous block of `0..total` this shard runs: `[I total / N, (I + 1) total / N)`.
    /// The blocks of shards `0..N` cover `0..total` once, in order, and differ in size by at most
    /// one.
    pub fn block(&self, total: usize) -> Range<usize> {
        let at = |i: usize| (i as u128 * total as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }

    /// Whether candidate `c` of a population is this shard's: `c mod N == I`.
    pub fn owns(&self, c: usize) -> bool {
        c % self.count == self.index
    }

    /// The `j`-th candidate this shard owns.
    pub fn candidate(&self, j: usize) -> usize {
        self.index + j * self.count
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard a process of a job array runs when `--shard` is not given, from its environment
/// (`get` reads a variable): Slurm's `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` of
/// `SLURM_ARRAY_TASK_COUNT` tasks (or `SLURM_ARRAY_TASK_ID` itself of `count` when it is given
/// with `--shards`), or Kubernetes' `JOB_COMPLETION_INDEX` of `count`. `None` outside a job array. Returns the shard and the variable it came from.
pub fn from_env(
    get: impl Fn(&str) -> Option<String>,
    count: Option<usize>,
) -> Result<Option<(Shard, &'static str)>, String> {
    let number = |name: &str| -> Result<Option<usize>, String> {
        get(name)
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("{name}=`{v}` is not a whole number"))
            })
            .transpose()
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        // With the count given, array indices are shard indices (`--array=0-{N-1}`), so a task
        // resubmitted alone (`--array=K`) is still shard K; without it, the array is the shards.
        let (index, n) = match count {
            Some(n) => (id, n),
            None => {
                let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                let n = number("SLURM_ARRAY_TASK_COUNT")?
                    .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
                let index = id.checked_sub(min).ok_or_else(|| {
                    format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}")
                })?;
                (index, n)
            }
        };
        return check(index, n)
            .map(|s| Some((s, "SLURM_ARRAY_TASK_ID")))
            .map_err(|e| format!("from SLURM_ARRAY_TASK_ID: {e}"));
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let n = count.ok_or(
            "JOB_COMPLETION_INDEX is set: give the number of shards with --shards N (the Indexed Job's completions)",
        )?;
        return check(index, n)
            .map(|s| Some((s, "JOB_COMPLETION_INDEX")))
            .map_err(|e| format!("from JOB_COMPLETION_INDEX: {e}"));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_index_once_in_order() {
        for total in [0, 1, 7, 100, 1001] {
            for n in [1, 2, 3, 7, 13] {
                let mut next = 0;
                for i in 0..n {
                    let b = Shard { index: i, count: n }.block(total);
                    assert_eq!(b.start, next);
                    assert!(b.len() <= total / n + 1);
                    next = b.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn bad_shards_are_refused_with_the_reason() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for (text, why) in [
            ("4/4", "not below"),
            ("0/0", "at least 1"),
            ("1", "not I/N"),
            ("a/3", "not a whole number"),
            ("-1/3", "not a whole number"),
            ("0/10001", "more than the 10000"),
        ] {
            let e = Shard::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn the_environment_of_a_job_array_names_the_shard() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            from_env(slurm, None).unwrap(),
            Some((Shard { index: 2, count: 4 }, "SLURM_ARRAY_TASK_ID"))
        );
        // A task resubmitted alone (`--array=7`) with the count given is still shard 7.
        let alone = env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
        ]);
        assert_eq!(from_env(alone, Some(8)).unwrap().unwrap().0.index, 7);
        let k8s = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert!(from_env(k8s, None).unwrap_err().contains("--shards N"));
        assert_eq!(
            from_env(k8s, Some(8)).unwrap(),
            Some((Shard { index: 3, count: 8 }, "JOB_COMPLETION_INDEX"))
        );
        assert!(from_env(k8s, Some(3)).unwrap_err().contains("not below"));
        assert_eq!(from_env(env(&[]), Some(3)).unwrap(), None);
    }
}

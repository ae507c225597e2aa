//! `immunoporosis slurm FILE --shards N`: a job folder with a ready Slurm job array of N shards
//! and a merge job that depends on it (`--dependency=afterok`).

use super::AppError;
use crate::config;
use crate::error::ConfigError;
use crate::output;
use std::path::{Path, PathBuf};

/// What the job folder's scripts ask of Slurm.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions<'a> {
    /// Number of shards (array tasks).
    pub shards: usize,
    /// `--partition`.
    pub partition: Option<&'a str>,
    /// `--time` (Slurm's formats: `MM`, `HH:MM:SS`, `D-HH:MM`, ...).
    pub time: Option<&'a str>,
    /// `--cpus-per-task` (and the threads of each shard).
    pub cpus_per_task: usize,
    /// Job folder [default: `output/slurm/<name>`].
    pub out: Option<&'a Path>,
    /// Replace a previous job folder to which files were added (its parts and results).
    pub force: bool,
}

/// A value written into a script: only characters that need no quoting in a `#SBATCH` line.
fn plain(key: &str, value: &str, allowed: impl Fn(char) -> bool) -> Result<(), ConfigError> {
    if !value.is_empty() && value.chars().all(allowed) {
        return Ok(());
    }
    Err(ConfigError::key(
        "<command line>",
        None,
        key,
        format!("`{value}` is not a value Slurm takes here"),
    )
    .with_help("a partition is letters, digits, `_`, `-` and `.`; a time is digits, `:` and `-` (for example 2:00:00 or 1-00:00:00)"))
}

/// A path inside single quotes in a shell script.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// The `#SBATCH` lines both jobs share.
fn common_lines(o: &SlurmOptions, workdir: &Path) -> String {
    let mut t = format!(
        "#SBATCH --chdir={}\n#SBATCH --cpus-per-task={}\n",
        workdir.display(),
        o.cpus_per_task
    );
    if let Some(p) = o.partition {
        t.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(time) = o.time {
        t.push_str(&format!("#SBATCH --time={time}\n"));
    }
    t
}

/// `immunoporosis slurm`.
pub fn slurm(file: &Path, o: &SlurmOptions) -> Result<String, AppError> {
    if let Some(p) = o.partition {
        plain("--partition", p, |c| {
            c.is_ascii_alphanumeric() || "_-.".contains(c)
        })?;
    }
    if let Some(t) = o.time {
        plain("--time", t, |c| c.is_ascii_digit() || ":-".contains(c))?;
    }
    let kind = config::analysis_kind(file)?;
    let name = match kind {
        "population" => config::load_population(file)?.header.name,
        "sensitivity" => config::load_sensitivity(file)?.header.name,
        _ => config::load_sweep(file)?.0.name,
    };
    let out_dir = o
        .out
        .map_or_else(|| Path::new("output/slurm").join(&name), Path::to_path_buf);
    output::check_target(&out_dir, o.force)?;
    let cwd = std::env::current_dir().map_err(|e| output::OutputError::at(Path::new("."), e))?;
    let job = cwd.join(&out_dir);
    let bin = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("immunoporosis"));
    let scripts = Scripts {
        kind,
        name: &name,
        file,
        workdir: &cwd,
        job: &job,
        bin: &bin,
    };
    let files = [
        ("shards.sbatch", scripts.shards(o), true),
        ("merge.sbatch", scripts.merge(o), true),
        ("submit.sh", scripts.submit(), true),
        ("README.md", scripts.readme(o), false),
    ];
    output::write_dir(&out_dir, o.force, |dir| {
        output::write_texts(dir, &files, &["logs", "parts"])
    })?;
    Ok(format!(
        "{kind} {name}: {} shards\nwrote {}/ (shards.sbatch, merge.sbatch, submit.sh, README.md, logs/, parts/)\nsubmit with: bash {}/submit.sh",
        o.shards,
        out_dir.display(),
        out_dir.display()
    ))
}

/// The texts of a job folder.
struct Scripts<'a> {
    kind: &'a str,
    name: &'a str,
    file: &'a Path,
    workdir: &'a Path,
    job: &'a Path,
    bin: &'a Path,
}

impl Scripts<'_> {
    fn bin_line(&self) -> String {
        format!(
            "# The program that wrote this script; set IMMUNOPOROSIS to use another build of the same version.\nBIN=\"${{IMMUNOPOROSIS:-{}}}\"\n",
            self.bin.display()
        )
    }

    fn shards(&self, o: &SlurmOptions) -> String {
        let n = o.shards;
        format!(
            "#!/bin/bash
# Written by `immunoporosis slurm` ({version}): the {kind} analysis {file} in {n} shards, one array task each.
# Task K runs shard K of {n} and writes its part folder parts/K (README.md).
# Submit with submit.sh (which also submits the merge), or alone: sbatch shards.sbatch
# Run a failed shard K again alone: sbatch --array=K shards.sbatch  (then: sbatch merge.sbatch)
#SBATCH --job-name=ip-{name}
#SBATCH --array=0-{last}
#SBATCH --output={job}/logs/shard-%a.out
{common}set -euo pipefail
: \"${{SLURM_ARRAY_TASK_ID:?run this script with sbatch (an array task sets SLURM_ARRAY_TASK_ID)}}\"
cd {workdir}
{bin}exec \"$BIN\" {kind} {file_q} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --out {parts}/\"$SLURM_ARRAY_TASK_ID\"
",
            version = env!("CARGO_PKG_VERSION"),
            kind = self.kind,
            file = self.file.display(),
            name = self.name,
            last = n - 1,
            job = self.job.display(),
            common = common_lines(o, self.workdir),
            workdir = quoted(self.workdir),
            bin = self.bin_line(),
            file_q = quoted(self.file),
            cpus = o.cpus_per_task,
            parts = quoted(&self.job.join("parts")),
        )
    }

    fn merge(&self, o: &SlurmOptions) -> String {
        format!(
            "#!/bin/bash
# Written by `immunoporosis slurm`: merges the parts in parts/ into merged/, the files a one-machine run writes.
# submit.sh submits it with --dependency=afterok on the array; after a shard was run again alone: sbatch merge.sbatch
#SBATCH --job-name=ip-{name}-merge
#SBATCH --output={job}/logs/merge.out
{common}set -euo pipefail
cd {workdir}
{bin}shopt -s nullglob
exec \"$BIN\" merge {parts}/* --out {merged} --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"
",
            name = self.name,
            job = self.job.display(),
            common = common_lines(o, self.workdir),
            workdir = quoted(self.workdir),
            bin = self.bin_line(),
            parts = quoted(&self.job.join("parts")),
            merged = quoted(&self.job.join("merged")),
            cpus = o.cpus_per_task,
        )
    }

    fn submit(&self) -> String {
        format!(
            "#!/bin/bash
# Written by `immunoporosis slurm`: submits the array of shards, then the merge, which starts
# when every shard has succeeded (afterok) and is cancelled if one fails (kill-on-invalid-dep).
# Prints the two job ids on its last line: shards <id> merge <id>.
set -euo pipefail
cd {job}
array=$(sbatch --parsable shards.sbatch)
array=${{array%%;*}}
merge=$(sbatch --parsable --dependency=afterok:\"$array\" --kill-on-invalid-dep=yes merge.sbatch)
merge=${{merge%%;*}}
echo \"shards $array merge $merge\"
",
            job = quoted(self.job),
        )
    }

    fn readme(&self, o: &SlurmOptions) -> String {
        let n = o.shards;
        format!(
            "# Slurm job: {kind} `{name}` in {n} shards

Written by `immunoporosis slurm {file} --shards {n}` ({version}) in `{workdir}`.

```
{job}/
  submit.sh        bash submit.sh: submits shards.sbatch, then merge.sbatch with --dependency=afterok
  shards.sbatch    the array job: task K runs `immunoporosis {kind} {file} --shard K/{n} --out parts/K`
  merge.sbatch     `immunoporosis merge parts/* --out merged`
  logs/            shard-K.out for each task, merge.out
  parts/K/         shard K's part folder: shard.json (program version, input files' hash, seed, shard
                   index and count) and its rows; written whole or not at all
  merged/          the merged result: the same files, byte for byte, as `immunoporosis {kind} {file}`
                   on one machine
```

A task that failed leaves no part folder. Run it again alone with `sbatch --array=K shards.sbatch`,
then `sbatch merge.sbatch` (the first merge job was cancelled when the task failed).
`merge` refuses (exit code 2, nothing written) a missing, duplicated or foreign shard, naming the shards,
and parts whose input files have changed since.
See docs/cluster.md of immunoporosis.
",
            kind = self.kind,
            name = self.name,
            file = self.file.display(),
            version = env!("CARGO_PKG_VERSION"),
            workdir = self.workdir.display(),
            job = self.job.display(),
        )
    }
}

#!/usr/bin/env bash
# CI: a sharded population through a real single-node Slurm (issue 15). Installs Debian's
# slurm-wlm and munge if missing, writes a one-node slurm.conf in a temporary folder, starts
# munged (unless one already answers), slurmctld and slurmd on this host, and submits the job
# folder `immunoporosis slurm` writes for a small population in 4 shards, with shard 2 made to
# fail: the merge job must then be cancelled (afterok), shard 2 is resubmitted alone
# (`sbatch --array=2`), the merge submitted again, and its result must equal the one-machine run
# byte for byte (cmp). Stops the daemons it started, by process id, on any exit.
# Needs root (apt-get, munged, slurmd). Takes about a minute once the packages are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
started=$(date +%s)
say() { echo "slurm-ci: $*"; }
die() { echo "slurm-ci: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (to install slurm-wlm and munge and to start munged, slurmctld, slurmd)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
  || ! command -v sbatch >/dev/null; then
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq slurm-wlm munge >/dev/null || die "apt-get install slurm-wlm munge failed"
fi

cargo build --release --locked --quiet
bin="$repo/target/release/immunoporosis"
[ -x "$bin" ] || die "no binary at $bin"

tmp=$(mktemp -d /tmp/immunoporosis-slurm-ci.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  # Stop what this script started (last started first), by process id.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$rc" != 0 ] && [ -d "$tmp" ]; then
    for f in "$tmp"/slurmctld.log "$tmp"/slurmd.log "$tmp"/munged.log "$tmp"/work/job/logs/*; do
      [ -f "$f" ] && { echo "--- $f (last lines)"; tail -n 15 "$f"; }
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- munge -------------------------------------------------------------------------------------
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munged already runs here; using it"
else
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  # -F: foreground (so this script holds its process id); -f: accept running as root.
  munged -F -f >"$tmp/munged.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
  munge -n | unmunge >/dev/null 2>&1 || die "munged did not start (munge -n | unmunge fails)"
fi

# --- slurm.conf, slurmctld, slurmd -------------------------------------------------------------
host=$(hostname -s)
mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=immunoporosis-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
# -D: foreground (this script holds the process ids); -i: ignore state of a previous run.
slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/slurmctld.log" 2>&1 &
pids+=($!)
sleep 1
slurmd -D -f "$SLURM_CONF" >>"$tmp/slurmd.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "${state:-}" = idle ] || die "Slurm did not start: node $host is '${state:-unreachable}' after 30 s (sinfo)"
say "Slurm runs: node $host idle ($(sinfo --version))"

# --- a small population, on one machine and in 4 shards ---------------------------------------
work="$tmp/work"
mkdir -p "$work"
cd "$work"
cat >scenario.toml <<'EOF'
name = "ci"
model = "bone"
duration_days = 730.5
output_interval_days = 30.0

[[input]]
name = "P_RANKL_d"
value = 200.0
unit = "pM/day"
start_day = 30.0
end_day = 400.0
EOF
cat >endpoints.toml <<'EOF'
[[endpoint]]
name = "ls_2y"
column = "bmd_lumbar_spine_change_pct"
at_day = 730.5

[[endpoint]]
name = "ctx_max"
column = "ctx_change_pct"
stat = "max"
from_day = 0.0
to_day = 730.5
EOF
cat >population.toml <<'EOF'
name = "ci"
scenario = "scenario.toml"
endpoints = "endpoints.toml"
patients = 40
seed = 3
bands = ["bmd_lumbar_spine_change_pct", "ctx_change_pct"]

[[parameter]]
name = "mechanics.g_mech"
cv = 0.3

[[parameter]]
name = "bone.T_lumbar_spine"
cv = 0.3

# Rejects some candidates, so shards accept at different rates.
[acceptance]
column = "bmd_lumbar_spine_change_pct"
at_day = 730.5
min = -0.35
max = 0.0

[responder]
endpoint = "ls_2y"
below = -0.21
EOF
"$bin" population population.toml --out one >/dev/null
"$bin" slurm population.toml --shards 4 --out job >/dev/null
# Shard 2 fails on its first attempt (a wrapper around the program, which sbatch passes on).
cat >flaky <<EOF
#!/bin/sh
if [ "\${SLURM_ARRAY_TASK_ID:-}" = 2 ] && [ -e "$work/fail-2" ]; then echo "shard 2: simulated failure" >&2; exit 1; fi
exec "$bin" "\$@"
EOF
chmod +x flaky
touch fail-2
export IMMUNOPOROSIS="$work/flaky"

wait_for() { # job ids...: wait until none is queued or running
  for _ in $(seq 240); do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  die "jobs $* still queued or running after 120 s: $(squeue -h -j "$(IFS=,; echo "$*")")"
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }

ids=$(bash job/submit.sh | tail -n 1)
read -r _ array _ merge <<<"$ids"
say "submitted array $array and merge $merge (shard 2 set to fail)"
wait_for "$array" "$merge"
[ -d job/parts/2 ] && die "shard 2 was to fail but wrote its part"
[ -d job/merged ] && die "the merge ran although shard 2 failed"
say "shard 2 failed, merge job $merge: $(job_state "$merge")"

rm fail-2
again=$(sbatch --parsable --array=2 job/shards.sbatch)
again=${again%%;*}
merge2=$(sbatch --parsable --dependency=afterok:"$again" job/merge.sbatch)
merge2=${merge2%%;*}
say "resubmitted shard 2 alone (job $again) and the merge (job $merge2)"
wait_for "$again" "$merge2"
[ "$(job_state "$merge2")" = COMPLETED ] || die "merge job $merge2 ended $(job_state "$merge2"): $(cat job/logs/merge.out 2>/dev/null)"

# --- the merged result is the one-machine result, byte for byte --------------------------------
files=$(cd one && ls -A)
[ -n "$files" ] || die "the one-machine run wrote nothing"
for f in $files; do
  cmp "one/$f" "job/merged/$f" || die "job/merged/$f differs from the one-machine run"
done
[ "$(cd job/merged && ls -A)" = "$files" ] || die "the merged folder holds other files than the one-machine run"
say "merged result equals the one-machine run byte for byte ($(echo $files | wc -w) files) in $(($(date +%s) - started)) s"

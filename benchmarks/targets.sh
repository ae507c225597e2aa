#!/usr/bin/env bash
# The throughput targets of issue 10, each measured as the wall time of the whole process.
# From the repository root:   bash benchmarks/targets.sh [options]
#
#   (a) ten-year immunoporosis runs without drugs:   sweep of 5,000 runs, runs/s >= 5,000
#   (b) the same with denosumab every six months:    sweep of 5,000 runs, runs/s >= 3,000
#   (c) Sobol analysis, 20 parameters, N = 4096:     90,112 runs in < 30 s
#   (d) a virtual population of 1,000,000 patients:  ten years each, in < 10 min
#   (e) Lemaire 2004 peers (only with --peers):      sweep --threads 1 >= 100 x libroadrunner
#
# (a), (b) and (d) use the files in benchmarks/targets/, (c) params/analyses/sensitivity_sobol20.toml,
# (e) benchmarks/peers/run.sh. Every command runs with --threads (default 2, "on 2 cores") and is
# timed by /usr/bin/time -f '%e %M' (wall seconds, peak resident KiB). Outputs go to a temporary
# folder removed at the end. The binary is built (cargo build --release) and copied there first,
# so a concurrent rebuild cannot replace it during the measurements.
#
# Options:
#   --runs N                 runs of (a) and (b) (default 5000; the file is copied with points = N)
#   --sobol-base-samples N   base samples of (c) (default 4096; fewer: the time is projected)
#   --patients N             patients of (d) (default 1000000; fewer: the time is projected)
#   --skip-sobol             leave (c) out (it takes minutes today)
#   --skip-population        leave (d) out (it takes many minutes today)
#   --peers                  also run (e), benchmarks/peers/run.sh (sets up its Python venv)
#   --threads N              worker threads (default 2)
#   -h, --help               this text
#
# A reduced size (--runs, --sobol-base-samples, --patients below the target's) is marked in the
# table; for (c) and (d) the time is then projected linearly to the full size and "met?" judges
# the projection. The other load on the machine is printed (uptime) before and after: on a shared
# machine every number here is a lower bound of the machine's own throughput.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

runs=5000
sobol_base=4096
patients=1000000
threads=2
do_sobol=1
do_population=1
do_peers=0

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "error: $1 needs a positive integer, got '$2'" >&2; exit 2; }; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) positive "$1" "${2-}"; runs="$2"; shift 2 ;;
        --sobol-base-samples) positive "$1" "${2-}"; sobol_base="$2"; shift 2 ;;
        --patients) positive "$1" "${2-}"; patients="$2"; shift 2 ;;
        --threads) positive "$1" "${2-}"; threads="$2"; shift 2 ;;
        --skip-sobol) do_sobol=0; shift ;;
        --skip-population) do_population=0; shift ;;
        --peers) do_peers=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

targets="$root/benchmarks/targets"
sobol_file="$root/params/analyses/sensitivity_sobol20.toml"

echo "== cargo build --release"
cargo build --release

tmp="$(mktemp -d "${TMPDIR:-/tmp}/immunoporosis_targets.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
bin="$tmp/immunoporosis"
cp target/release/immunoporosis "$bin"

# A copy of an analysis file with `key = value` set and its scenario and endpoint paths made
# absolute (they are relative to the file's own folder).
scaled_copy() {
    local src="$1" key="$2" value="$3" dst="$4" dir
    dir="$(cd "$(dirname "$src")" && pwd)"
    grep -q "^$key = " "$src" || { echo "error: no '$key = ' line in $src" >&2; exit 1; }
    sed -e "s/^$key = .*/$key = $value/" \
        -e "s#^scenario = \"\\([^/]\\)#scenario = \"$dir/\\1#" \
        -e "s#^endpoints = \"\\([^/]\\)#endpoints = \"$dir/\\1#" "$src" > "$dst"
}

# measure NAME COMMAND...: runs COMMAND under /usr/bin/time; sets wall (s), rss_mb and log.
measure() {
    local name="$1"; shift
    log="$tmp/$name.log"
    echo "== $name: $*" | sed "s#$tmp/#<tmp>/#g"
    if ! /usr/bin/time -f '%e %M' -o "$tmp/$name.time" "$@" > "$log" 2>&1; then
        cat "$log" >&2
        echo "error: $name failed (log above)" >&2
        exit 1
    fi
    sed "s#$tmp/#<tmp>/#g" "$log" | grep -v '^wrote ' | sed 's/^/   /'
    read -r wall rss_kb < <(tail -n 1 "$tmp/$name.time")
    rss_mb="$(awk -v k="$rss_kb" 'BEGIN { printf "%.0f", k / 1024 }')"
    echo "   wall $wall s, peak RSS $rss_mb MB"
}

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
yes_no() { awk "BEGIN { print ($1) ? \"yes\" : \"no\" }"; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

load_start="$(uptime)"
echo "== machine: $(nproc) CPU(s); $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "== binary: $("$bin" --version), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== load at start: $load_start"

# ---- (a) and (b): sweeps of ten-year runs
sweep_target() {
    local tag="$1" file="$2" goal="$3" label="$4"
    local copy="$tmp/$tag.toml" failed reduced=""
    scaled_copy "$file" points "$runs" "$copy"
    measure "$tag" "$bin" sweep "$copy" --out "$tmp/out_$tag" --threads "$threads"
    [[ "$(($(wc -l < "$tmp/out_$tag/sweep.csv") - 1))" -eq "$runs" ]] \
        || { echo "error: $tag: sweep.csv does not have $runs rows" >&2; exit 1; }
    failed="$(sed -n 's/.*(\([0-9][0-9]*\) failed).*/\1/p' "$log" | head -n 1)"
    [[ -n "$failed" ]] || { echo "error: $tag: no '(N failed)' in the sweep's output" >&2; exit 1; }
    if [[ "$runs" -lt 5000 ]]; then reduced=", reduced size"; fi
    local rate; rate="$(calc '%.0f' "$runs / $wall")"
    row "$label" "$rate runs/s ($runs runs in $wall s, $failed failed, peak RSS $rss_mb MB$reduced)" \
        ">= $goal runs/s" "$(yes_no "$rate >= $goal && $failed == 0")"
    rm -rf "$tmp/out_$tag"
}
sweep_target nodrug "$targets/sweep_nodrug_5000.toml" 5000 \
    "(a) ten-year runs without drugs, $threads threads (\`sweep\`, natural menopause)"
sweep_target denosumab "$targets/sweep_denosumab_5000.toml" 3000 \
    "(b) ten-year runs with denosumab 60 mg SC every 6 months, $threads threads (\`sweep\`)"

# ---- (c) Sobol analysis of 20 parameters
if [[ "$do_sobol" -eq 1 ]]; then
    nparam="$(grep -c '^\[\[parameter\]\]' "$sobol_file")"
    full_runs=$((4096 * (nparam + 2)))
    sobol_runs=$((sobol_base * (nparam + 2)))
    file="$sobol_file"
    if [[ "$sobol_base" -ne 4096 ]]; then
        file="$tmp/sobol.toml"
        scaled_copy "$sobol_file" base_samples "$sobol_base" "$file"
    fi
    measure sobol "$bin" sensitivity "$file" --out "$tmp/out_sobol" --threads "$threads"
    if [[ "$sobol_base" -eq 4096 ]]; then
        row "(c) Sobol, $nparam parameters, N = 4096, $threads threads (\`sensitivity\`)" \
            "$wall s ($sobol_runs runs, peak RSS $rss_mb MB)" "< 30 s" "$(yes_no "$wall < 30")"
    else
        projected="$(calc '%.1f' "$wall * $full_runs / $sobol_runs")"
        row "(c) Sobol, $nparam parameters, N = $sobol_base instead of 4096, $threads threads" \
            "$wall s ($sobol_runs runs, peak RSS $rss_mb MB); projected $projected s for $full_runs runs" \
            "< 30 s" "$(yes_no "$projected < 30") (projected)"
    fi
    rm -rf "$tmp/out_sobol"
else
    row "(c) Sobol, 20 parameters, N = 4096" "skipped (--skip-sobol)" "< 30 s" "-"
fi

# ---- (d) a population of ten-year patients
if [[ "$do_population" -eq 1 ]]; then
    scaled_copy "$targets/population_1m.toml" patients "$patients" "$tmp/population.toml"
    measure population "$bin" population "$tmp/population.toml" --out "$tmp/out_population" \
        --threads "$threads"
    if [[ "$patients" -eq 1000000 ]]; then
        row "(d) population of 1,000,000 ten-year patients, $threads threads (\`population\`)" \
            "$wall s (peak RSS $rss_mb MB)" "< 600 s" "$(yes_no "$wall < 600")"
    else
        projected="$(calc '%.0f' "$wall * 1000000 / $patients")"
        row "(d) population of $patients ten-year patients instead of 1,000,000, $threads threads" \
            "$wall s (peak RSS $rss_mb MB); projected $projected s for 1,000,000" \
            "< 600 s" "$(yes_no "$projected < 600") (projected)"
    fi
    rm -rf "$tmp/out_population"
else
    row "(d) population of 1,000,000 ten-year patients" "skipped (--skip-population)" "< 600 s" "-"
fi

# ---- (e) Lemaire 2004 against libroadrunner and diffrax
if [[ "$do_peers" -eq 1 ]]; then
    echo "== peers: bash benchmarks/peers/run.sh"
    bash benchmarks/peers/run.sh --json "$tmp/peers.json"
    read -r rr dfx < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
d = r.get("ratio_program_one_thread_wall_to_diffrax")
print("%.1f" % r["ratio_program_one_thread_wall_to_roadrunner"], "-" if d is None else "%.2f" % d)
' "$tmp/peers.json")
    row "(e) Lemaire 2004 sweep, 1000 runs, \`sweep --threads 1\` (whole process) against libroadrunner's loop" \
        "${rr} x libroadrunner, ${dfx} x diffrax (vmapped, compile excluded)" ">= 100 x libroadrunner" \
        "$(yes_no "$rr >= 100")"
else
    row "(e) Lemaire 2004 sweep against libroadrunner" "not run (--peers)" ">= 100 x" "-"
fi

echo
echo "== load at end: $(uptime)"
echo
echo "| target | measured (whole process) | goal | met? |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"

#!/usr/bin/env bash
# Whole-process scale benchmark (issue 20): writes the scale data with examples/scale.rs
# (two-way SDM panel, T = 10, one-way 6-NN W, row-standardised) for each N, times
# `spillover run DIR/sdm.rhai` (reading the CSV and the GAL, the fit and 1,000-draw effects)
# and, when installed, R splm (examples/bench_splm.R: spml within/twoways, lag = TRUE,
# method = "LU", the Durbin terms as regressors) and PySAL spreg (examples/bench_spreg.py:
# Panel_FE_Lag) on the same files: wall time and peak resident memory (GNU time -v). A peer
# that is not installed is skipped with the reason. Prints a table N × (ours, splm LU, spreg).
#
# Usage (from anywhere; the repository is found from this file):
#   examples/scale_peers.sh                     # N = 2000 100000 1000000
#   examples/scale_peers.sh 2000 100000         # chosen N
#
# Environment:
#   DATA_DIR    where the data are written, one folder nN per N (default /tmp/spillover_scale);
#               a folder that already holds panel.csv, w.gal and sdm.rhai is reused
#   SPILLOVER   the spillover binary (default target/release/spillover, built if missing)
#   SCALE       the scale example binary (default target/release/examples/scale, built if
#               missing)
#   RSCRIPT     R's Rscript (default: Rscript on PATH)
#   PYTHON      a Python with spreg and libpysal (default: python3 on PATH)
#   PEER_MAX_N  largest N given to the peers (default 100000: splm's LU at N = 10^6 takes
#               days); larger N are skipped for them with that reason
#   T           periods (default 10)
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
data_dir="${DATA_DIR:-/tmp/spillover_scale}"
spillover="${SPILLOVER:-$root/target/release/spillover}"
scale="${SCALE:-$root/target/release/examples/scale}"
rscript="${RSCRIPT:-Rscript}"
python="${PYTHON:-python3}"
peer_max_n="${PEER_MAX_N:-100000}"
periods="${T:-10}"
if [ "$#" -gt 0 ]; then ns=("$@"); else ns=(2000 100000 1000000); fi

have_gnu_time=0
if /usr/bin/time -v true >/dev/null 2>&1; then have_gnu_time=1; fi

# Runs "$@" with stdout+stderr to $log; sets $wall (s) and $rss (MiB, or "?").
timed() {
    local log="$1"
    shift
    if [ "$have_gnu_time" = 1 ]; then
        /usr/bin/time -v -o "$log.time" "$@" >"$log" 2>&1
        local status=$?
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$log.time")
        rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$log.time")
        return $status
    fi
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$log" 2>&1
    local status=$?
    t1=$(date +%s.%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    rss="?"
    return $status
}

if [ ! -x "$spillover" ] || [ ! -x "$scale" ]; then
    echo "building spillover and examples/scale (cargo build --release)" >&2
    (cd "$root" && cargo build --release --bin spillover --example scale) || exit 1
fi

# Why a peer cannot run, or nothing when it can.
splm_missing() {
    if ! command -v "$rscript" >/dev/null 2>&1; then
        echo "skipped: R is not installed ($rscript not found)"
    elif ! "$rscript" -e 'quit(status = if (requireNamespace("splm", quietly = TRUE) && requireNamespace("spdep", quietly = TRUE)) 0 else 1)' >/dev/null 2>&1; then
        echo "skipped: R packages splm and spdep are not installed"
    fi
}
spreg_missing() {
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "skipped: Python is not installed ($python not found)"
    elif ! "$python" -c 'import numpy, spreg, libpysal' >/dev/null 2>&1; then
        echo "skipped: Python packages spreg and libpysal are not installed"
    fi
}
splm_why="$(splm_missing)"
spreg_why="$(spreg_missing)"
[ -n "$splm_why" ] && echo "splm LU: $splm_why"
[ -n "$spreg_why" ] && echo "spreg: $spreg_why"

mkdir -p "$data_dir" || exit 1
rows=()
for n in "${ns[@]}"; do
    dir="$data_dir/n$n"
    if [ ! -f "$dir/panel.csv" ] || [ ! -f "$dir/w.gal" ] || [ ! -f "$dir/sdm.rhai" ]; then
        echo "N = $n: writing the data to $dir" >&2
        "$scale" --n "$n" --t "$periods" --write "$dir" --no-fit >"$dir.gen.log" 2>&1 || {
            echo "N = $n: examples/scale failed, see $dir.gen.log" >&2
            exit 1
        }
    fi
    echo "N = $n: spillover run $dir/sdm.rhai" >&2
    if timed "$dir/ours.log" "$spillover" run "$dir/sdm.rhai"; then
        ours="$wall s, $rss MiB"
    else
        ours="failed (see $dir/ours.log)"
    fi
    if [ -n "$splm_why" ]; then
        splm="skipped"
    elif [ "$n" -gt "$peer_max_n" ]; then
        splm="skipped: N > PEER_MAX_N"
    else
        echo "N = $n: Rscript examples/bench_splm.R $dir" >&2
        if timed "$dir/splm.log" "$rscript" "$here/bench_splm.R" "$dir"; then
            splm="$wall s, $rss MiB"
        else
            splm="failed (see $dir/splm.log)"
        fi
    fi
    if [ -n "$spreg_why" ]; then
        spreg="skipped"
    elif [ "$n" -gt "$peer_max_n" ]; then
        spreg="skipped: N > PEER_MAX_N"
    else
        echo "N = $n: python examples/bench_spreg.py $dir" >&2
        if timed "$dir/spreg.log" "$python" "$here/bench_spreg.py" "$dir"; then
            spreg="$wall s, $rss MiB"
        else
            spreg="failed (see $dir/spreg.log)"
        fi
    fi
    rows+=("$n|$ours|$splm|$spreg")
done

echo
echo "Whole process, T = $periods, one-way 6-NN W (wall time, peak RSS); logs in $data_dir/nN/*.log"
printf '%-10s | %-26s | %-26s | %-26s\n' "N" "spillover (SDM + effects)" "splm LU (SDM as SAR + WX)" "spreg Panel_FE_Lag"
printf '%-10s-+-%-26s-+-%-26s-+-%-26s\n' "----------" "--------------------------" "--------------------------" "--------------------------"
for r in "${rows[@]}"; do
    IFS='|' read -r n a b c <<<"$r"
    printf '%-10s | %-26s | %-26s | %-26s\n' "$n" "$a" "$b" "$c"
done

#!/usr/bin/env bash
# Calls per second inside the fuzz targets, under libFuzzer without a sanitizer, with
# AddressSanitizer, and without a sanitizer or comparison tracing (--no-trace-compares),
# against the campaign's over the same target's programs (one thread, in process, the same
# time), measured in the same run. Each target
# runs from its seeds for SECONDS; the target counts its inputs, calls (every module version,
# as the campaign counts) and time in programs (TDX_FUZZ_STATS=1, tdx_oracle::fuzzing).
# Prints figures; asserts nothing.
#
#   scripts/fuzz-rate.sh [SECONDS] [TARGET...]     default: 10 s, six targets; `all` for every one
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
shift || true
if [ "${1:-}" = all ]; then
    targets=($(ls fuzz/fuzz_targets | sed 's/\.rs$//'))
elif [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=(leaf_vp_info leaf_vm_rd leaf_accept leaf_servtd_rd vmcall_cpuid vmcall_hostile)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Calls and TDCALLs per second of the campaign (one thread, in process) over one target's phase.
campaign_rate() {
    cargo run --release -q --bin tdx-campaign -- --jobs 1 --target "$1" "$secs" \
        >"$work/campaign.txt" 2>"$work/campaign.err" || { cat "$work/campaign.err" >&2; return; }
    sed -nE 's/^[0-9]+ programs, ([0-9]+) calls \(([0-9]+) TDCALLs\) in ([0-9.]+) s;.*/\1 \2 \3/p' \
        "$work/campaign.txt" | awk '{ printf "%.0f %.0f", $1 / $3, $2 / $3 }'
}
declare -A campaign campaign_tdcalls
printf 'campaign, one thread, %s s per target:\n' "$secs"
for t in "${targets[@]}"; do
    read -r c d < <(TDX_CAMPAIGN_IN_PROCESS=1 campaign_rate "$t") || true
    [ -n "${c:-}" ] || { cat "$work/campaign.txt"; echo "no campaign figure for $t"; exit 1; }
    campaign[$t]=$c
    campaign_tdcalls[$t]=$d
    printf '  %-36s %11s calls/s %11s TDCALLs/s\n' "$t" "$c" "$d"
    c=""
done
echo

printf '%-36s %-10s %8s %10s %10s %6s %10s %6s %6s\n' target build execs/s calls/exec calls/s \
    "ratio" TDCALLs/s "ratio" "% prog"
# cargo-fuzz's instrumentation as `cargo fuzz run` builds it (comparisons traced), without a
# sanitizer and with AddressSanitizer, and without comparison tracing.
for mode in none address none-nocmp; do
    case "$mode" in
        none-nocmp) flags=(-s none --no-trace-compares) ;;
        *) flags=(-s "$mode") ;;
    esac
    dir="$PWD/fuzz/target/rate-$mode"
    for t in "${targets[@]}"; do
        (cd fuzz && cargo fuzz build -O "${flags[@]}" --target-dir "$dir" "$t") >"$work/build.txt" 2>&1 \
            || { cat "$work/build.txt"; exit 1; }
        bin="$dir/x86_64-unknown-linux-gnu/release/$t"
        mkdir -p "$work/$mode-$t"
        start=$(date +%s.%N)
        TDX_FUZZ_STATS=1 "$bin" "$work/$mode-$t" "corpora/$t" -max_total_time="$secs" \
            -print_final_stats=1 >"$work/$t.log" 2>&1 || { tail -n 40 "$work/$t.log"; exit 1; }
        wall=$(python3 -c "import time; print(time.time() - $start)")
        inputs=""
        read -r inputs calls tdcalls in_programs < <(sed -nE \
            's/^tdx-fuzz-stats: inputs ([0-9]+) calls ([0-9]+) tdcalls ([0-9]+) seconds-in-programs ([0-9.]+)/\1 \2 \3 \4/p' \
            "$work/$t.log") || true
        if [ -z "${inputs:-}" ] || [ "$inputs" = 0 ]; then
            tail -n 20 "$work/$t.log"
            echo "$t ($mode): no tdx-fuzz-stats line, or no input ran"
            exit 1
        fi
        awk -v t="$t" -v s="$mode" -v i="$inputs" -v c="$calls" -v d="$tdcalls" -v p="$in_programs" \
            -v w="$wall" -v k="${campaign[$t]}" -v kd="${campaign_tdcalls[$t]}" 'BEGIN {
                printf "%-36s %-10s %8.0f %10.1f %10.0f %5.0f%% %10.0f %5.0f%% %5.0f%%\n",
                t, s, i / w, c / i, c / w, 100 * c / w / k, d / w, 100 * d / w / kd, 100 * p / w }'
    done
done

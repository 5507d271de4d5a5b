#!/usr/bin/env bash
# Mutation testing of tdcall/src with cargo-mutants (configuration: .cargo/mutants.toml;
# documentation: mutants/README.md).
#
#   scripts/mutants.sh diff <base>   mutants in what changed in tdcall/ since <base> (CI);
#                                    at most MUTANTS_DIFF_MAX of them (default 60), else a
#                                    deterministic round-robin sample; fails if one is missed
#   scripts/mutants.sh shard K N     shard K of N of the full run, recorded in
#                                    mutants/shards/K-of-N.md
#
# Environment (all optional):
#   MUTANTS_DIFF_MAX        diff mode: most mutants to test (default 60, ~10-15 min here)
#   MUTANTS_TEST_TIMEOUT    seconds before a mutant's test run counts as a timeout (default 60)
#   MUTANTS_SHARD_LIMIT     shard mode: wall-clock seconds before the run is interrupted and
#                           recorded as partial (default 2400; 0 = no limit)
#   PROPTEST_CASES          cases per property test (default 256, proptest's own default)
#   PROPTEST_RNG_SEED       proptest seed (default 1: every mutant sees the same cases and a
#                           recorded shard can be re-run exactly)
#   CARGO_TARGET_DIR        default: target/ of this checkout (dependencies are reused across
#                           runs; mutated builds use the separate `mutants` profile)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
}

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export PROPTEST_CASES="${PROPTEST_CASES:-256}"
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-1}"
# A caught mutant fails fast: no shrinking (tdx-proptests' config() also turns it off under CI).
export PROPTEST_MAX_SHRINK_ITERS=0
test_timeout="${MUTANTS_TEST_TIMEOUT:-60}"

# The packages and targets of .cargo/mutants.toml, so the baseline runs exactly those.
toml_list() {
    awk -v key="$1" '$1 == key && $2 == "=" { on = 1 } on { sub(/#.*/, ""); print } on && /\]/ { exit }' \
        .cargo/mutants.toml | grep -o '"[^"]*"' | tr -d '"'
}
mapfile -t test_packages < <(toml_list test_package)
mapfile -t target_args < <(toml_list additional_cargo_args)
if [ "${#test_packages[@]}" = 0 ] || [ "${#target_args[@]}" = 0 ]; then
    echo "mutants.sh: cannot read test_package / additional_cargo_args from .cargo/mutants.toml" >&2
    exit 1
fi
package_args=()
for p in "${test_packages[@]}"; do package_args+=(-p "$p"); done

# cargo-mutants' own baseline would test only tdcall, where the `--test` names of the
# configuration do not exist; this is the same run, unmutated, with the test profile (whose
# artifacts never come from a mutated tree).
baseline() {
    echo "mutants.sh: baseline: cargo test ${package_args[*]} ${target_args[*]}"
    local t0=$SECONDS
    if ! cargo test "${package_args[@]}" "${target_args[@]}" >"$root/mutants.out.baseline.log" 2>&1; then
        tail -n 60 "$root/mutants.out.baseline.log"
        echo "mutants.sh: the tests fail on the unmutated tree (log: mutants.out.baseline.log)" >&2
        exit 4
    fi
    echo "mutants.sh: baseline passed in $((SECONDS - t0))s"
}

# Start from no mutants.out, so that counts can never come from an earlier run.
fresh_output() {
    rm -rf "$root/mutants.out.old"
    if [ -d "$root/mutants.out" ]; then mv "$root/mutants.out" "$root/mutants.out.old"; fi
}

mutants_args=(--baseline=skip "--timeout=$test_timeout" --build-timeout=900 --jobs=1)

count_lines() {
    if [ -f "$1" ]; then grep -c . "$1" || true; else echo 0; fi
}

case "${1:-}" in
diff)
    [ $# = 2 ] || usage
    base="$(git rev-parse --verify "$2^{commit}")"
    if git diff --quiet "$base" -- tdcall/src; then
        echo "mutants.sh: nothing changed in tdcall/src since $base: no mutants to test"
        exit 0
    fi
    diff_file="$(mktemp)"
    trap 'rm -f "$diff_file"' EXIT
    git diff "$base" -- tdcall/ >"$diff_file"
    total="$(cargo mutants --list --in-diff "$diff_file" | grep -c '^tdcall/src/' || true)"
    if [ "$total" = 0 ]; then
        echo "mutants.sh: the change in tdcall/src since $base yields no mutants"
        exit 0
    fi
    max="${MUTANTS_DIFF_MAX:-60}"
    sample=()
    if [ "$total" -gt "$max" ]; then
        n=$(((total + max - 1) / max))
        head="$(git rev-parse HEAD)"
        k=$((0x${head:0:8} % n))
        sample=(--shard "$k/$n" --sharding round-robin)
        echo "mutants.sh: $total mutants in the change since $base, more than MUTANTS_DIFF_MAX=$max:"
        echo "mutants.sh: testing a deterministic sample, round-robin shard $k/$n (k = HEAD $head mod $n)"
    else
        echo "mutants.sh: $total mutants in the change since $base: testing all"
    fi
    baseline
    fresh_output
    rc=0
    cargo mutants --in-diff "$diff_file" "${sample[@]}" "${mutants_args[@]}" || rc=$?
    # 0: all caught; 2: missed, 3: timeouts (both reported below); anything else: a failed run.
    case "$rc" in 0 | 2 | 3) ;; *) echo "mutants.sh: cargo mutants failed ($rc)" >&2; exit "$rc" ;; esac
    out="$root/mutants.out"
    missed="$(count_lines "$out/missed.txt")"
    timeouts="$(count_lines "$out/timeout.txt")"
    echo "mutants.sh: caught $(count_lines "$out/caught.txt"), missed $missed," \
        "unviable $(count_lines "$out/unviable.txt"), timeouts $timeouts"
    if [ "$timeouts" != 0 ]; then
        echo "mutants.sh: timeouts (each made the tests hang, which a test run would report too):"
        sed 's/^/  /' "$out/timeout.txt"
    fi
    if [ "$missed" != 0 ]; then
        echo "mutants.sh: MISSED: no test fails for these mutants of the changed code."
        echo "mutants.sh: add the test, or (only if equivalent) an exclusion: mutants/README.md"
        sed 's/^/  /' "$out/missed.txt"
        exit 2
    fi
    ;;
shard)
    [ $# = 3 ] || usage
    k="$2"
    n="$3"
    [[ "$k" =~ ^[0-9]+$ && "$n" =~ ^[0-9]+$ && "$k" -lt "$n" ]] || usage
    planned="$(cargo mutants --list --shard "$k/$n" | grep -c '^tdcall/src/' || true)"
    all="$(cargo mutants --list | grep -c '^tdcall/src/' || true)"
    first="$(cargo mutants --list --shard "$k/$n" | head -n 1)"
    last="$(cargo mutants --list --shard "$k/$n" | tail -n 1)"
    commit="$(git rev-parse HEAD)"
    dirty=""
    git diff --quiet HEAD -- . || dirty=" (with uncommitted changes)"
    started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mutants.sh: shard $k/$n: $planned of $all mutants, at $commit$dirty"
    baseline
    fresh_output
    t0=$SECONDS
    limit="${MUTANTS_SHARD_LIMIT:-2400}"
    rc=0
    if [ "$limit" != 0 ]; then
        timeout --signal=INT --kill-after=60 "$limit" \
            cargo mutants --shard "$k/$n" "${mutants_args[@]}" || rc=$?
    else
        cargo mutants --shard "$k/$n" "${mutants_args[@]}" || rc=$?
    fi
    elapsed=$((SECONDS - t0))
    out="$root/mutants.out"
    caught="$(count_lines "$out/caught.txt")"
    missed="$(count_lines "$out/missed.txt")"
    unviable="$(count_lines "$out/unviable.txt")"
    timeouts="$(count_lines "$out/timeout.txt")"
    tested=$((caught + missed + unviable + timeouts))
    case "$rc" in
    0 | 2 | 3) status="complete" ;;
    124) status="PARTIAL: interrupted after MUTANTS_SHARD_LIMIT=${limit}s; $tested of $planned tested" ;;
    *) status="PARTIAL: cargo mutants exited with $rc; $tested of $planned tested" ;;
    esac
    [ "$status" != complete ] || [ "$tested" = "$planned" ] ||
        status="PARTIAL: $tested of $planned tested (cargo mutants exited with $rc)"
    mkdir -p mutants/shards
    record="mutants/shards/$k-of-$n.md"
    {
        echo "# Shard $k of $n"
        echo
        echo "- status: $status"
        echo "- date: $started (UTC start), $((elapsed / 60)) min $((elapsed % 60)) s"
        echo "- commit: $commit$dirty"
        echo "- tool: $(cargo mutants --version), $(rustc --version)"
        echo "- tests: PROPTEST_CASES=$PROPTEST_CASES PROPTEST_RNG_SEED=$PROPTEST_RNG_SEED," \
            "test timeout ${test_timeout}s"
        echo "- command: scripts/mutants.sh shard $k $n"
        echo "- mutants: $planned of $all (slice sharding), from"
        echo "  \`$first\`"
        echo "  to \`$last\`"
        echo
        echo "| caught | missed | unviable | timeout | tested |"
        echo "|---:|---:|---:|---:|---:|"
        echo "| $caught | $missed | $unviable | $timeouts | $tested |"
        echo
        echo "## Missed"
        echo
        if [ "$missed" = 0 ]; then
            echo "None."
        else
            echo "Verbatim from mutants.out/missed.txt. Each is a test gap unless shown equivalent"
            echo "(then: an entry in mutants/exclusions.md and .cargo/mutants.toml)."
            echo
            echo '```text'
            cat "$out/missed.txt"
            echo '```'
        fi
        echo
        echo "## Timeouts"
        echo
        if [ "$timeouts" = 0 ]; then
            echo "None."
        else
            echo '```text'
            cat "$out/timeout.txt"
            echo '```'
        fi
        echo
        echo "## Judgement of the missed mutants"
        echo
        echo "To be written by whoever ran the shard: for each missed mutant, the behaviour no test"
        echo "checks, or why it is equivalent."
    } >"$record"
    echo "mutants.sh: $status; caught $caught, missed $missed, unviable $unviable," \
        "timeouts $timeouts in $((elapsed / 60)) min; recorded in $record"
    case "$rc" in 0 | 2 | 3 | 124) exit 0 ;; *) exit "$rc" ;; esac
    ;;
*)
    usage
    ;;
esac

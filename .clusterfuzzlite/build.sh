#!/bin/bash -eu
# Builds every cargo-fuzz target into $OUT with its seed corpus, for ClusterFuzzLite and
# OSS-Fuzz (whose Rust convention this follows: `cargo fuzz build -O`, binaries and
# `<target>_seed_corpus.zip` in $OUT). Inputs: $SRC (the repository is $SRC/tdcall, or
# $TDCALL_SRC), $OUT; $WORK is left to the builder. Tested without Docker by .ci/run.
root="${TDCALL_SRC:-$SRC/tdcall}"
cd "$root/fuzz"

# -O: optimized, as the release profile of fuzz/Cargo.toml (debug assertions and overflow
# checks on). The sanitizer flags come from cargo-fuzz (address by default).
cargo fuzz build -O

# The suite's targets are fuzz_targets/*.rs (`planted`, the time-to-detect benchmark's, is not).
targets=$(ls fuzz_targets | sed 's/\.rs$//')
[ -n "$targets" ] || { echo "build.sh: no fuzz targets" >&2; exit 1; }
bin="target/x86_64-unknown-linux-gnu/release"
for t in $targets; do
    cp "$bin/$t" "$OUT/$t"
    seeds="$root/corpora/$t"
    if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
        echo "build.sh: no seed corpus for $t in corpora/" >&2
        exit 1
    fi
    # ClusterFuzz runs targets with AddressSanitizer keeping SIGSEGV and SIGILL to itself
    # (allow_user_segv_handler=0); the trap needs them: every TDCALL faults.
    printf '[asan]\nallow_user_segv_handler=1\nhandle_segv=1\nhandle_sigill=1\n' >"$OUT/$t.options"
    rm -f "$OUT/${t}_seed_corpus.zip"
    # Flat: libFuzzer reads the zip's files as inputs.
    (cd "$seeds" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
done
echo "build.sh: $(echo "$targets" | wc -w) fuzz targets and their seed corpora in $OUT"

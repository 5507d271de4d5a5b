#!/usr/bin/env bash
# Coverage of a fuzz target's corpus: `cargo fuzz coverage` (source-based, llvm-tools),
# summarized per source file of tdcall/, model/, expect/, oracle/ and trap/, then what the corpus
# reaches per leaf and sub-function by the model's status lists and the range helpers' branches
# (tdx-reach).
#
#   scripts/fuzz-coverage.sh TARGET [CORPUS...]     default corpus: corpora/TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/fuzz-coverage.sh TARGET [CORPUS...]" >&2; exit 2; }
t="$1"
shift
corpus=()
for c in "${@:-corpora/$t}"; do corpus+=("$(realpath "$c")"); done
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup component add llvm-tools-preview >/dev/null 2>&1 || true
llvm_cov="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/llvm-cov"
[ -x "$llvm_cov" ] || { echo "no llvm-cov at $llvm_cov (rustup component add llvm-tools-preview)" >&2; exit 2; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
(cd fuzz && cargo fuzz coverage "$t" "${corpus[@]}") >"$log" 2>&1 || { tail -n 40 "$log"; exit 1; }
bin="fuzz/target/x86_64-unknown-linux-gnu/coverage/x86_64-unknown-linux-gnu/release/$t"
prof="fuzz/coverage/$t/coverage.profdata"

# Only the sources of the seam and of the suite: llvm-cov's TOTAL row is over these.
sources=()
for f in $(git ls-files 'tdcall/src/*.rs' 'model/src/*.rs' 'expect/src/*.rs' 'oracle/src/*.rs' \
    'trap/src/*.rs'); do sources+=("$PWD/$f"); done
echo "source coverage of $t over ${corpus[*]} (llvm-cov report):"
"$llvm_cov" report "$bin" -instr-profile="$prof" "${sources[@]}" | sed "s|$PWD/||"
echo
cargo run --release -q -p tdx-oracle --bin tdx-reach -- "$t" "${corpus[@]}"

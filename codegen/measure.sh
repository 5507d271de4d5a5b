#!/usr/bin/env bash
# Regenerates the numbers in docs/codegen.md: builds the codegen crate (release) and counts, per
# function, the instructions and memory accesses objdump shows. Nothing built here is executed.
#
#   bash codegen/measure.sh              # tables for the host target and x86_64-unknown-none
#   bash codegen/measure.sh --listings   # ... and the full disassembly of every function
#
# Counts are static (every instruction in the function body, all paths), not a trace.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTINGS=0
[[ "${1:-}" == "--listings" ]] && LISTINGS=1

THIN=(thin_map_gpa thin_cpuid thin_rdmsr)
MARSHALLED=(marshalled_map_gpa marshalled_cpuid marshalled_rdmsr)
ROUTINE=tdx_tdcall_saved_ret
STRUCT_SIZE=$((13 * 8)) # struct TdxModuleArgs: 13 u64

command -v objdump >/dev/null || { echo "objdump not found (apt-get install -y binutils)" >&2; exit 1; }

echo "== toolchain"
rustc -vV | sed -n '1p;/^host/p;/^LLVM/p'
cargo --version
objdump --version | head -1
echo "machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "(no -C target-cpu: the code does not depend on the build machine's CPU)"
echo "sources measured:"
sha256sum tdcall/src/vmcall.rs tdcall/src/lib.rs codegen/src/lib.rs | sed 's/^/  /'

# disasm ARTIFACT SYMBOL: the symbol's body, one "mnemonic operands" line per instruction.
disasm() {
    objdump -dr --no-show-raw-insn -M intel --disassemble="$2" "$1" |
        awk -v sym="$2" '
            $0 ~ "^[0-9a-f]+ <" sym ">:$" { on = 1; next }
            on && /^$/ { on = 0 }  # not exit: objdump must not die of SIGPIPE under pipefail
            on && /^ *[0-9a-f]+:\t/ { sub(/^ *[0-9a-f]+:\t/, ""); sub(/ *#.*$/, ""); print }
            on && /R_X86_64_/ { sub(/^[ \t]*[0-9a-f]+: /, ""); print "\t\t\t\t; reloc " $0 }'
}

# count: reads a listing on stdin, prints "insns loads stores push pop call ret sld sst".
# A memory operand is any "[...]" operand except in lea/nop. Destination memory operands of
# mov* are stores, of cmp/test loads, of anything else load+store; source operands are loads.
# Args-struct accesses: in the generic routine every memory operand not based on rsp; in a
# wrapper, rsp-based accesses within [base, base+size) where base comes from the
# "lea rsi,[rsp+base]" / "mov rsi,rsp" that passes the struct's address.
count() {
    awk -v routine="$1" -v size="$STRUCT_SIZE" '
        function hex(s,   v, i) {  # "0x.." to a number (POSIX awk has no strtonum)
            v = 0; s = tolower(s); sub(/^0x/, "", s)
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        /; reloc/ { next }
        {
            n++; line[n] = $0
            if ($0 ~ /^lea +rsi,\[rsp\+0x[0-9a-f]+\]/) { match($0, /0x[0-9a-f]+/); base = hex(substr($0, RSTART, RLENGTH)); have = 1 }
            if ($0 ~ /^mov +rsi,rsp$/) { base = 0; have = 1 }
        }
        END {
            for (i = 1; i <= n; i++) {
                s = line[i]; mn = s; sub(/ .*/, "", mn); ops = s; sub(/^[^ ]+ */, "", ops)
                insns++
                if (mn == "push") push++
                if (mn == "pop") pop++
                if (mn == "call") call++
                if (mn == "ret") ret++
                if (mn == "lea" || mn ~ /^nop/ || ops !~ /\[/) continue
                split(ops, op, ",")
                dst = (op[1] ~ /\[/); src = 0
                for (k = 2; k in op; k++) if (op[k] ~ /\[/) src = 1
                if (dst) {
                    if (mn ~ /^mov/) { st = 1; ld = 0 } else if (mn == "cmp" || mn == "test") { st = 0; ld = 1 } else { st = 1; ld = 1 }
                } else { st = 0; ld = src }
                if (mn == "call" || mn == "push" || mn == "pop") { st = 0; ld = 1 }
                loads += ld; stores += st
                m = ops; sub(/^[^[]*\[/, "", m); sub(/\].*$/, "", m)
                isstruct = 0
                if (routine) isstruct = (m !~ /^rsp/)
                else if (have && m ~ /^rsp(\+0x[0-9a-f]+)?$/) {
                    off = (m == "rsp") ? 0 : hex(substr(m, 5))
                    isstruct = (off >= base && off < base + size)
                }
                if (isstruct) { sld += ld; sst += st }
            }
            printf "%d %d %d %d %d %d %d %d %d\n", insns, loads, stores, push, pop, call, ret, sld, sst
        }'
}

row() { # name insns loads stores push pop call ret sld sst
    printf "| %-44s | %5s | %4s | %5s | %17s | %4s | %4s |\n" "$1" "$2" \
        "$(($3 + $4))" "$3/$4" "$5/$6/$7/$8" "$9" "${10}"
}

measure() { # ARTIFACT LABEL
    local a=$1
    echo
    echo "== $2"
    echo "artifact: $a"
    echo "columns: insns = instructions; mem = instructions with an explicit [..] memory operand"
    echo "(ld/st split); implicit stack = push/pop/call/ret; struct ld/st = args-struct accesses"
    echo
    printf "| %-44s | %5s | %4s | %5s | %17s | %4s | %4s |\n" function insns mem ld/st "push/pop/call/ret" \
        "s.ld" "s.st"
    printf "|%s|%s|%s|%s|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..46})" "-------" "------" "-------" \
        "-------------------" "------" "------"
    local r; r=$(disasm "$a" "$ROUTINE" | count 1)
    for f in "${THIN[@]}"; do
        # shellcheck disable=SC2046
        row "$f" $(disasm "$a" "$f" | count 0)
    done
    for f in "${MARSHALLED[@]}"; do
        local w; w=$(disasm "$a" "$f" | count 0)
        # shellcheck disable=SC2046
        row "$f (call site only)" $w
        # shellcheck disable=SC2046
        row "$f + $ROUTINE" $(paste -d' ' <(tr ' ' '\n' <<<"$w") <(tr ' ' '\n' <<<"$r") | awk '{print $1 + $2}' | tr '\n' ' ')
    done
    # shellcheck disable=SC2046
    row "$ROUTINE (alone)" $r
    if ((LISTINGS)); then
        for f in "${THIN[@]}" "${MARSHALLED[@]}" "$ROUTINE"; do
            echo
            echo "--- $f"
            disasm "$a" "$f"
        done
    fi
}

echo
echo "== build (host, cdylib)"
cargo build --release --manifest-path codegen/Cargo.toml 2>&1 | tail -1
measure codegen/target/release/libtdx_codegen.so \
    "host target $(rustc -vV | sed -n 's/^host: //p'), PIC cdylib (SSE available)"

if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-none; then
    echo
    echo "== build (x86_64-unknown-none, staticlib)"
    # cdylib is unsupported there; rustc drops it with a warning (filtered).
    cargo build --release --manifest-path codegen/Cargo.toml --target x86_64-unknown-none 2>&1 | tail -1
    measure codegen/target/x86_64-unknown-none/release/libtdx_codegen.a \
        "x86_64-unknown-none (kernel code model, no SSE/soft-float: like a kernel or firmware), unlinked objects"
else
    echo
    echo "(x86_64-unknown-none not installed: rustup target add x86_64-unknown-none for the second table)"
fi

#!/usr/bin/env bash
# Ring-0 self-test of the TDCALL wrappers and the model (selftest/, a UEFI application).
#
#   scripts/selftest.sh [rehearsal|td] [--plant-bug]
#
# rehearsal (default): QEMU TCG + OVMF, no TD. TDCALL raises #UD; the application's own
#   handler answers from a simulated TD (tdx-model). Runs anywhere (installs qemu-system-x86
#   and ovmf with apt if missing).
# td: a TD on a TDX host (KVM with TDX, QEMU >= 10.1, TDVF). See docs/selftest.md.
# --plant-bug: build with the feature plant-contract-bug (the prediction path takes
#   TDG.VP.INFO to preserve R9); the run must then fail.
#
# Exit status: 0 = QEMU left through isa-debug-exit with the pass code (QEMU status 1) AND the
# serial log ends with "N passed, 0 failed"; 1 = the self-test ran to its verdict and some check
# failed (QEMU status 3); 2 = anything else (build error, fault or panic in the application
# (QEMU status 5), time limit, no verdict line).
#
# Environment: OVMF (firmware for rehearsal), TDVF (firmware for td), QEMU (binary),
# SELFTEST_MODULE (rehearsal: the module version the simulated TD runs, 1.5.05, 1.5.34 or
# 2.0.18, default the newest; the self-test reads it back and selects its model from it),
# SELFTEST_TIMEOUT (seconds, hard limit on QEMU), SELFTEST_LOG (where the serial log goes),
# SELFTEST_BOOT=disk|kernel|fat (how the application is handed to the firmware: disk, the
# default, boots the GPT image scripts/selftest-image.sh builds, as a virtio disk; kernel is
# -kernel; fat a vvfat folder holding \EFI\BOOT\BOOTX64.EFI).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=rehearsal
features=()
plant=()
for a in "$@"; do
    case "$a" in
        rehearsal | td) mode="$a" ;;
        --plant-bug) features=(--features plant-contract-bug); plant=(--plant-bug) ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "usage: $0 [rehearsal|td] [--plant-bug]" >&2; exit 2 ;;
    esac
done

die() { echo "selftest: $*" >&2; exit 2; }

case "${SELFTEST_MODULE:-}" in
    "") unset TDX_SELFTEST_MODULE ;;
    1.5.05 | 1.5.34 | 2.0.18) export TDX_SELFTEST_MODULE="$SELFTEST_MODULE" ;;
    *) die "SELFTEST_MODULE must be 1.5.05, 1.5.34 or 2.0.18" ;;
esac

# ---- build
if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-uefi; then
    rustup target add x86_64-unknown-uefi || die "cannot add the x86_64-unknown-uefi target"
fi
cargo build --release --target x86_64-unknown-uefi --manifest-path selftest/Cargo.toml \
    "${features[@]}" || die "build failed"
# The build goes where cargo puts it: CARGO_TARGET_DIR if set, else selftest/target.
efi="${CARGO_TARGET_DIR:-selftest/target}/x86_64-unknown-uefi/release/tdx-selftest.efi"
[ -f "$efi" ] || die "no $efi"

# ---- QEMU and firmware
qemu="${QEMU:-qemu-system-x86_64}"
if [ "$mode" = rehearsal ]; then
    if ! command -v "$qemu" >/dev/null || ! ls /usr/share/ovmf/OVMF.fd /usr/share/qemu/OVMF.fd \
        >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                qemu-system-x86 ovmf >/dev/null || die "apt-get install qemu-system-x86 ovmf failed"
        else
            die "need qemu-system-x86_64 and OVMF (apt-get install qemu-system-x86 ovmf)"
        fi
    fi
    fw="${OVMF:-}"
    if [ -z "$fw" ]; then
        for f in /usr/share/ovmf/OVMF.fd /usr/share/qemu/OVMF.fd /usr/share/OVMF/OVMF.fd; do
            [ -f "$f" ] && { fw="$f"; break; }
        done
    fi
    [ -f "$fw" ] || die "no OVMF image (set OVMF=/path/to/OVMF.fd)"
    limit="${SELFTEST_TIMEOUT:-60}"
    machine=(-accel tcg -machine q35 -cpu max -smp 1 -m 256M -bios "$fw")
else
    command -v "$qemu" >/dev/null || die "no $qemu (TD mode needs QEMU >= 10.1 with TDX)"
    ver="$("$qemu" --version | sed -n 's/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
    read -r major minor <<<"${ver:-0 0}"
    if [ "$major" -lt 10 ] || { [ "$major" -eq 10 ] && [ "$minor" -lt 1 ]; }; then
        die "QEMU $major.$minor is too old for TDX (need >= 10.1)"
    fi
    [ -e /dev/kvm ] || die "no /dev/kvm"
    if [ -r /sys/module/kvm_intel/parameters/tdx ] &&
        [ "$(cat /sys/module/kvm_intel/parameters/tdx)" != Y ]; then
        die "KVM has TDX disabled (kvm_intel.tdx=Y needed)"
    fi
    fw="${TDVF:-}"
    if [ -z "$fw" ]; then
        for f in /usr/share/ovmf/OVMF.inteltdx.fd /usr/share/qemu/OVMF.inteltdx.fd \
            /usr/share/edk2/ovmf/OVMF.inteltdx.fd /usr/share/ovmf/OVMF.tdx.fd; do
            [ -f "$f" ] && { fw="$f"; break; }
        done
    fi
    [ -f "$fw" ] || die "no TDVF image (set TDVF=/path/to/OVMF.inteltdx.fd)"
    limit="${SELFTEST_TIMEOUT:-300}"
    machine=(-accel kvm -cpu host -smp 1 -m 2G
        -object tdx-guest,id=tdx0
        -machine q35,kernel-irqchip=split,confidential-guest-support=tdx0,hpet=off
        -bios "$fw")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
case "${SELFTEST_BOOT:-disk}" in
    disk)
        img="$(scripts/selftest-image.sh "${plant[@]}" "$work/tdx-selftest.img" | tail -n 1)" ||
            die "cannot build the disk image"
        # snapshot: the firmware's writes (if any) never reach the image.
        boot=(-drive "if=virtio,format=raw,file=$img,snapshot=on")
        ;;
    kernel) boot=(-kernel "$efi") ;;
    fat)
        mkdir -p "$work/esp/EFI/BOOT"
        cp "$efi" "$work/esp/EFI/BOOT/BOOTX64.EFI"
        boot=(-drive "format=raw,file=fat:rw:$work/esp")
        ;;
    *) die "SELFTEST_BOOT must be disk, kernel or fat" ;;
esac

log="${SELFTEST_LOG:-selftest/target/selftest-$mode.log}"
mkdir -p "$(dirname "$log")"
cmd=("$qemu" "${machine[@]}" -nographic -nodefaults -serial stdio -no-reboot -net none
    "${boot[@]}" -device isa-debug-exit,iobase=0xf4,iosize=0x04)
echo "selftest: ${cmd[*]}"
start=$(date +%s.%N)
set +e
timeout -k 5 "$limit" "${cmd[@]}" </dev/null >"$work/raw.log" 2>&1
status=$?
set -e
end=$(date +%s.%N)
# The firmware's console is a terminal: drop its escape sequences and carriage returns.
sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g; s/\r//g' "$work/raw.log" >"$log"
cat "$log"
secs=$(echo "$end - $start" | bc 2>/dev/null || awk "BEGIN{print $end - $start}")
echo "selftest: QEMU exit status $status after ${secs}s (limit ${limit}s); log in $log"

final="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "selftest: time limit of ${limit}s reached" >&2
    exit 2
fi
case "$status" in
    1)
        if [[ "$final" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
            echo "selftest: PASS ($mode${features:+, planted bug}): $final"
            exit 0
        fi
        echo "selftest: pass code but no '0 failed' verdict line" >&2
        exit 2
        ;;
    3)
        echo "selftest: FAIL ($mode${features:+, planted bug}): ${final:-no verdict line}" >&2
        [ -n "$final" ] && exit 1
        exit 2
        ;;
    5) echo "selftest: the application faulted or panicked" >&2; exit 2 ;;
    *) echo "selftest: no verdict (QEMU exit status $status)" >&2; exit 2 ;;
esac

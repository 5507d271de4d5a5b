#!/usr/bin/env bash
# A bootable GPT disk image of the ring-0 self-test: one EFI system partition (FAT32) holding
# the application as \EFI\BOOT\BOOTX64.EFI, the path UEFI firmware boots from removable and
# otherwise unconfigured disks. Boots under QEMU (-drive) and on cloud TDs that take a raw disk.
#
#   scripts/selftest-image.sh [--plant-bug] [IMAGE]
#
# IMAGE defaults to selftest/target/tdx-selftest.img. Built with Debian's gdisk (sgdisk),
# dosfstools (mkfs.vfat) and mtools (mcopy, mmd), installed with apt if missing; no loop device,
# no root needed otherwise. Prints the image's path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

features=()
img=""
for a in "$@"; do
    case "$a" in
        --plant-bug) features=(--features plant-contract-bug) ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
        -*) echo "usage: $0 [--plant-bug] [IMAGE]" >&2; exit 2 ;;
        *) img="$a" ;;
    esac
done
die() { echo "selftest-image: $*" >&2; exit 2; }

if ! command -v sgdisk >/dev/null || ! command -v mkfs.vfat >/dev/null ||
    ! command -v mcopy >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            gdisk dosfstools mtools >/dev/null || die "apt-get install gdisk dosfstools mtools failed"
    else
        die "need sgdisk, mkfs.vfat and mcopy (apt-get install gdisk dosfstools mtools)"
    fi
fi
# mkfs.vfat lives in /usr/sbin, which a user's PATH may lack.
mkfs_vfat="$(command -v mkfs.vfat || echo /usr/sbin/mkfs.vfat)"

if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-uefi; then
    rustup target add x86_64-unknown-uefi || die "cannot add the x86_64-unknown-uefi target"
fi
cargo build --release --target x86_64-unknown-uefi --manifest-path selftest/Cargo.toml \
    "${features[@]}" || die "build failed"
efi="${CARGO_TARGET_DIR:-selftest/target}/x86_64-unknown-uefi/release/tdx-selftest.efi"
[ -f "$efi" ] || die "no $efi"
img="${img:-${CARGO_TARGET_DIR:-selftest/target}/tdx-selftest.img}"
mkdir -p "$(dirname "$img")"

# Layout: 1 MiB for the protective MBR and the primary GPT, a 64 MiB ESP (FAT32 needs at least
# 65525 clusters, about 33 MiB with 512-byte clusters), 1 MiB for the backup GPT.
sector=512
esp_start=2048
esp_sectors=$((64 * 1024 * 1024 / sector))
total_sectors=$((esp_start + esp_sectors + 2048))

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
esp="$work/esp.img"
truncate -s $((esp_sectors * sector)) "$esp"
"$mkfs_vfat" -F 32 -n TDXSELFTEST -i 7d5e1f00 "$esp" >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT
mcopy -i "$esp" "$efi" ::/EFI/BOOT/BOOTX64.EFI

rm -f "$img"
truncate -s $((total_sectors * sector)) "$img"
sgdisk --clear \
    --new=1:${esp_start}:+${esp_sectors} --typecode=1:ef00 --change-name=1:"EFI system partition" \
    "$img" >/dev/null
dd if="$esp" of="$img" bs=$sector seek=$esp_start conv=notrunc status=none
sgdisk --verify "$img" | grep -q "No problems found" || die "sgdisk --verify: $(sgdisk --verify "$img")"
# The application on the image is the one built (read back through the partition's offset).
mcopy -n -i "$img@@$((esp_start * sector))" ::/EFI/BOOT/BOOTX64.EFI "$work/check.efi"
cmp -s "$efi" "$work/check.efi" || die "BOOTX64.EFI on the image differs from $efi"
echo "$img"

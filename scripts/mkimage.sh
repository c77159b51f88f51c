#!/bin/sh
# mkimage.sh — build a bootable disk image for a USB stick or a VM disk.
#
#   scripts/mkimage.sh <out.img> <BOOTX64.EFI> [CMDLINE.TXT]
#
# Layout: a GPT disk (with protective MBR) holding one EFI System Partition,
# FAT32, containing \EFI\BOOT\BOOTX64.EFI (+ \EFI\BOOT\CMDLINE.TXT).
#
# Why GPT and not a bare "superfloppy" FAT: the UEFI spec only promises that
# firmware finds the removable-media boot path on a partition of type ESP.
# OVMF and many PCs also accept a partitionless FAT, but some real firmware
# ignores such sticks, while every UEFI PC boots a GPT ESP.  QEMU (usb-storage,
# ide-hd) and `dd` do not care either way.
#
# No root, no loop devices: the GPT is written by a few lines of Python (no
# sfdisk dependency), the file system by mkfs.fat --offset, files by mtools
# addressing the partition as img@@offset.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 <out.img> <BOOTX64.EFI> [CMDLINE.TXT]" >&2
	exit 2
fi
out=$1
efi=$2
cmdline=${3:-}
[ -f "$efi" ] || { echo "mkimage.sh: $efi: no such file" >&2; exit 1; }

# 64 MiB: FAT32 needs >= 65525 clusters; with 512-byte clusters the partition
# (63 MiB less the backup GPT) holds ~128k of them.
SIZE_MIB=64
PART_START=2048                              # 1 MiB, the usual alignment
TOTAL=$((SIZE_MIB * 2048))                   # 512-byte sectors
PART_END=$((TOTAL - 34))                     # backup GPT: 33 sectors + header
PART_SECTORS=$((PART_END - PART_START))

tmp="$out.tmp"
rm -f "$tmp"
mkdir -p "$(dirname "$out")"
truncate -s "${SIZE_MIB}M" "$tmp"

python3 - "$tmp" "$PART_START" "$PART_END" <<'PY'
# Protective MBR + primary and backup GPT with one EFI System Partition.
import struct, sys, uuid, zlib
path, first, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SECT = 512
with open(path, "r+b") as f:
    f.seek(0, 2)
    total = f.tell() // SECT
    last_lba = total - 1
    # Fixed GUIDs keep images reproducible.
    disk_guid = uuid.uuid5(uuid.NAMESPACE_URL, "coop/disk").bytes_le
    part_guid = uuid.uuid5(uuid.NAMESPACE_URL, "coop/esp").bytes_le
    esp_type = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B").bytes_le
    name = "EFI System".encode("utf-16-le").ljust(72, b"\0")
    entry = esp_type + part_guid + struct.pack("<QQQ", first, end - 1, 0) + name
    entries = entry.ljust(128 * 128, b"\0")
    entries_crc = zlib.crc32(entries)

    def header(my_lba, alt_lba, entries_lba):
        h = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0,
                        my_lba, alt_lba, 34, last_lba - 33, disk_guid,
                        entries_lba, 128, 128, entries_crc)
        h = h[:16] + struct.pack("<I", zlib.crc32(h)) + h[20:]
        return h.ljust(SECT, b"\0")

    # Protective MBR: one partition of type 0xEE covering the disk.
    mbr = bytearray(SECT)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE,
                               b"\xff\xff\xff", 1, min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    f.seek(0); f.write(mbr)
    f.seek(1 * SECT); f.write(header(1, last_lba, 2))
    f.seek(2 * SECT); f.write(entries)
    f.seek((last_lba - 32) * SECT); f.write(entries)
    f.seek(last_lba * SECT); f.write(header(last_lba, 1, last_lba - 32))
PY

# mkfs.fat warns that the file is bigger than the file system: that is the
# point (the GPT lives around it), so its chatter is shown only on failure.
if ! log=$(mkfs.fat -F 32 -s 1 -n COOP -h "$PART_START" --offset="$PART_START" \
	--invariant "$tmp" $((PART_SECTORS / 2)) 2>&1); then
	echo "$log" >&2
	exit 1
fi
part="$tmp@@$((PART_START * 512))"
MTOOLS_SKIP_CHECK=1 mmd -i "$part" ::/EFI ::/EFI/BOOT
MTOOLS_SKIP_CHECK=1 mcopy -i "$part" "$efi" ::/EFI/BOOT/BOOTX64.EFI
if [ -n "$cmdline" ]; then
	MTOOLS_SKIP_CHECK=1 mcopy -i "$part" "$cmdline" ::/EFI/BOOT/CMDLINE.TXT
fi
mv "$tmp" "$out"

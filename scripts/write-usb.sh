#!/bin/sh
# write-usb.sh — write a disk image to a removable drive, carefully.
#
#   scripts/write-usb.sh <image> /dev/sdX      (make usb DEV=/dev/sdX)
#
# Refuses anything that is not clearly a spare USB stick: not a whole block
# device, not removable, mounted, or holding / or /boot.  Then it asks for a
# typed "yes" before dd overwrites the device.
set -eu

die() { echo "write-usb.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 <image> <device>   (e.g. make usb DEV=/dev/sdX)"
img=$1
dev=$2
[ -n "$dev" ] || die "no device given: make usb DEV=/dev/sdX (see lsblk)"
[ -f "$img" ] || die "$img: no such image"
[ -b "$dev" ] || die "$dev is not a block device"

# Resolve symlinks such as /dev/disk/by-id/usb-... to the kernel name.
real=$(readlink -f "$dev")
name=$(basename "$real")
sys=/sys/block/$name
[ -d "$sys" ] || die "$dev is a partition or not a whole disk; give the disk (e.g. /dev/sdb)"
[ "$(cat "$sys/removable" 2>/dev/null || echo 0)" = 1 ] ||
	die "$dev is not a removable device (/sys/block/$name/removable != 1)"

# Any partition of the disk mounted (or used as swap) means someone uses it.
parts="$real $(for p in "$sys"/"$name"*; do [ -e "$p" ] && echo "/dev/$(basename "$p")"; done)"
for p in $parts; do
	if awk -v d="$p" '$1 == d { found = 1 } END { exit !found }' /proc/mounts; then
		die "$p is mounted; unmount it first"
	fi
	if awk -v d="$p" 'NR > 1 && $1 == d { found = 1 } END { exit !found }' /proc/swaps; then
		die "$p is in use as swap"
	fi
done
for mnt in / /boot /boot/efi; do
	src=$(awk -v m="$mnt" '$2 == m { print $1 }' /proc/mounts | tail -n 1)
	[ -n "$src" ] || continue
	src=$(readlink -f "$src" 2>/dev/null || echo "$src")
	case "$src" in
	"$real"|"$real"[0-9]*|"$real"p[0-9]*) die "$dev holds $mnt" ;;
	esac
done

model=$(sed 's/ *$//' || true)
vendor=$(sed 's/ *$//' || true)
sectors=$(cat "$sys/size")
size_mb=$((sectors / 2048))
echo "About to OVERWRITE $dev ($real): ${vendor:+$vendor }${model:-unknown model}, $size_mb MiB"
echo "with $img ($(($(stat -c %s "$img") / 1048576)) MiB). Everything on the device is lost."
printf 'Type yes to continue: '
read -r answer || answer=
[ "$answer" = yes ] || die "not confirmed; nothing written"

dd if="$img" of="$real" bs=4M conv=fsync status=progress
sync
echo "write-usb.sh: done; $dev can be removed"

#!/bin/sh
# write-usb.sh — write a disk image to a removable drive, carefully.
#
#   scripts/write-usb.sh <image> /dev/sdX      (make usb DEV=/dev/sdX)
#
# Refuses anything that is not clearly a spare USB stick: not a whole block
# device, neither removable nor on a USB bus, mounted, used as swap, holding
# / or /boot, or smaller than the image.  Then it shows the device's vendor,
# model and size and asks for a typed "yes" before dd overwrites it.  Every
# refusal says why; nothing is written unless the answer is "yes".
#
# Tested against a loop device whose sysfs entry is replaced (in a private
# mount namespace) by one saying removable: test/tools/test_write_usb.py.
set -eu

die() { echo "write-usb.sh: $*" >&2; exit 1; }

# A sysfs attribute without trailing blanks, or nothing if it is absent.
attr() { if [ -r "$1" ]; then sed 's/[[:space:]]*$//' "$1"; fi; }

[ $# -eq 2 ] || die "usage: $0 <image> <device>   (e.g. make usb DEV=/dev/sdX)"
img=$1
dev=$2
[ -n "$dev" ] || die "no device given: make usb DEV=/dev/sdX (lsblk lists the disks)"
[ -f "$img" ] || die "$img: no such image"
[ -e "$dev" ] || die "$dev: no such device (lsblk lists the disks)"
[ -b "$dev" ] || die "$dev is not a block device"

# Resolve symlinks such as /dev/disk/by-id/usb-... to the kernel name.
real=$(readlink -f "$dev")
name=$(basename "$real")
sys=/sys/block/$name
[ -d "$sys" ] || die "$dev is a partition or not a whole disk; give the disk (e.g. /dev/sdb)"

# USB hard-disk enclosures often say removable=0; their sysfs path still
# runs through a USB controller.
removable=$(attr "$sys/removable")
case "$(readlink -f "$sys")" in
*/usb[0-9]*) on_usb=1 ;;
*) on_usb=0 ;;
esac
[ "$removable" = 1 ] || [ "$on_usb" = 1 ] ||
	die "$dev is neither removable nor on USB ($sys/removable is ${removable:-missing}); not touching it"

# Any partition of the disk mounted (or used as swap) means someone uses it.
parts=$real
for p in "$sys/$name"*; do
	if [ -d "$p" ]; then
		parts="$parts /dev/$(basename "$p")"
	fi
done
for p in $parts; do
	if awk -v d="$p" '$1 == d { found = 1 } END { exit !found }' /proc/mounts; then
		die "$p is mounted; unmount it first (umount $p)"
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

sectors=$(attr "$sys/size")
dev_bytes=$((${sectors:-0} * 512))
img_bytes=$(stat -c %s "$img")
[ "$dev_bytes" -ge "$img_bytes" ] ||
	die "$dev holds $((dev_bytes / 1048576)) MiB, the image needs $((img_bytes / 1048576)) MiB"

vendor=$(attr "$sys/device/vendor")
model=$(attr "$sys/device/model")
echo "About to OVERWRITE $dev ($real): ${vendor:+$vendor }${model:-unknown model}, $((dev_bytes / 1048576)) MiB"
echo "with $img ($((img_bytes / 1048576)) MiB). Everything on the device is lost."
printf 'Type yes to continue: '
read -r answer || answer=
[ "$answer" = yes ] || die "not confirmed; nothing written"

dd if="$img" of="$real" bs=4M conv=fsync status=progress
sync
echo "write-usb.sh: done; $dev can be removed"

#!/bin/sh
# qemu-run.sh — boot coop in QEMU + OVMF for a human (make run / make debug).
#
#   scripts/qemu-run.sh [--cmdline "k=v ..."] [--mem 512M] [--debug] [-- qemu args...]
#
# The ESP is a private copy of esp/ under build/run/ (so CMDLINE.TXT never
# lands in the repo), exposed to the guest as a virtual FAT drive.  OVMF gets
# a private copy of its variable store.  With a display ($DISPLAY or
# $WAYLAND_DISPLAY) QEMU opens a window; the serial console is always on this
# terminal (Ctrl-A X quits, Ctrl-A C switches to the QEMU monitor).
#
# --debug boots with gdb=wait, so the loader waits for gdb before it does
# anything else, and starts gdb with the kernel's symbols loaded at the
# address OVMF relocated the image to (which the loader prints on serial).
set -eu

cd "$(dirname "$0")/.."
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
ESP=esp
ELF=esp/EFI/BOOT/coop.elf
RUN=${COOP_RUN_DIR:-build/run}

cmdline=
mem=512M
debug=0
while [ $# -gt 0 ]; do
	case "$1" in
	--cmdline) cmdline=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--debug) debug=1; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [--cmdline STR] [--mem SIZE] [--debug] [-- qemu args]" >&2; exit 2 ;;
	esac
done

[ -f "$ESP/EFI/BOOT/BOOTX64.EFI" ] || { echo "qemu-run.sh: no image; run make" >&2; exit 1; }
rm -rf "$RUN"
mkdir -p "$RUN/esp"
cp -r "$ESP/." "$RUN/esp/"
rm -f "$RUN/esp/EFI/BOOT/coop.elf"          # the ELF is for gdb, not the firmware
[ "$debug" = 1 ] && cmdline="gdb=wait${cmdline:+ $cmdline}"
[ -n "$cmdline" ] && printf '%s\n' "$cmdline" > "$RUN/esp/EFI/BOOT/CMDLINE.TXT"
cp "$OVMF_VARS" "$RUN/OVMF_VARS.fd"
serial_log=$RUN/serial.log

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	display="-display gtk"
else
	display="-display none"
fi

# shellcheck disable=SC2086  # $display is two words on purpose
# smm=off: this OVMF build needs no SMM, and emulating it slows TCG boots.
set -- qemu-system-x86_64 -machine q35,smm=off -m "$mem" \
	-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
	-drive if=pflash,format=raw,file="$RUN/OVMF_VARS.fd" \
	-drive format=raw,file=fat:rw:"$RUN/esp" \
	-nic none -vga std $display \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	"$@"

if [ "$debug" = 0 ]; then
	echo "qemu-run.sh: serial console below (Ctrl-A X quits); log in $serial_log"
	set +e
	"$@" -chardev stdio,id=con,mux=on,signal=off,logfile="$serial_log" \
		-serial chardev:con -mon chardev=con,mode=readline
	status=$?
	# isa-debug-exit statuses are (code << 1) | 1.
	case $status in
	33) echo "qemu-run.sh: guest exited: tests passed" ;;
	35) echo "qemu-run.sh: guest exited: tests FAILED" ;;
	esac
	exit $status
fi

# --debug.  The terminal belongs to gdb, so serial goes to the log only.
# gdb=wait on the command line makes the loader print its image base and
# wait (efi/debug.c) before it sets up the screen or exits boot services.
# gdb attaches there over a unix socket (no TCP port to collide with another
# QEMU), which stops the guest, loads the symbols at that base, lets the loop
# end on the next continue, and breaks at kernel_main.
command -v gdb >/dev/null || { echo "qemu-run.sh: gdb not installed (apt-get install gdb)" >&2; exit 1; }
gdb_sock=$RUN/gdb.sock
: > "$serial_log"
"$@" -gdb unix:"$gdb_sock",server=on,wait=off -serial file:"$serial_log" \
	</dev/null >"$RUN/qemu.out" 2>&1 &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

base=
for _ in $(seq 1 600); do
	base=$(sed -n 's/.*efi: waiting for gdb at image base \(0x[0-9a-fA-F]*\).*/\1/p' \
		"$serial_log" | head -n 1)
	[ -n "$base" ] && break
	kill -0 $qemu_pid 2>/dev/null || break
	sleep 0.1
done
if [ -z "$base" ]; then
	echo "qemu-run.sh: the loader never said it was waiting for gdb (60 s); serial log:" >&2
	tail -n 20 "$serial_log" >&2
	exit 1
fi
echo "qemu-run.sh: QEMU pid $qemu_pid, gdb stub on $gdb_sock, serial log $serial_log"
echo "qemu-run.sh: image base $base.  The guest is stopped in the loader, in"
echo "qemu-run.sh: efi_wait_for_debugger (efi/debug.c), before it picks a screen mode or"
echo "qemu-run.sh: exits boot services; a breakpoint is set on kernel_main: type continue."
# COOP_GDB_SCRIPT: run these gdb commands and exit (for the tests).
batch=
[ -n "${COOP_GDB_SCRIPT:-}" ] && batch="-batch -x $COOP_GDB_SCRIPT"
# shellcheck disable=SC2086  # $batch is zero or three words on purpose
gdb -q -nx -iex 'set confirm off' -iex 'set pagination off' \
	-ex "add-symbol-file $ELF -o $base" -ex "target remote $gdb_sock" \
	-ex 'set var efi_gdb_waiting = 0' -ex 'break kernel_main' $batch

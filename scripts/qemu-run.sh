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
# --debug starts QEMU with its gdb stub, halted, then gdb with the kernel's
# symbols loaded at the address OVMF relocated the image to.  The loader
# prints `efi: image base 0x...` on serial; we read it from the serial log.
set -eu

cd "$(dirname "$0")/.."
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
ESP=esp
ELF=esp/EFI/BOOT/coop.elf
RUN=build/run

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
# QEMU starts halted (-S) with its gdb stub (-s) and a QMP socket; we resume
# it over QMP until the loader has printed the image base, pause it again,
# and hand it to gdb with the symbols at that base.
command -v gdb >/dev/null || { echo "qemu-run.sh: gdb not installed" >&2; exit 1; }
qmp_sock=$RUN/qmp.sock
: > "$serial_log"
"$@" -s -S -serial file:"$serial_log" -qmp unix:"$qmp_sock",server=on,wait=off \
	</dev/null >"$RUN/qemu.out" 2>&1 &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

qmp() {   # qmp <command>: one QMP command, e.g. qmp cont
	python3 - "$qmp_sock" "$1" <<'PY'
import json, socket, sys, time
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while "return" not in (r := json.loads(f.readline())):
        if "error" in r: sys.exit(r["error"]["desc"])
PY
}

qmp cont
base=
for _ in $(seq 1 300); do
	base=$(sed -n 's/.*efi: .*image base \(0x[0-9a-fA-F]*\).*/\1/p' "$serial_log" | head -n 1)
	[ -n "$base" ] && break
	kill -0 $qemu_pid 2>/dev/null || break
	sleep 0.1
done
qmp stop || true
echo "qemu-run.sh: QEMU pid $qemu_pid, gdb stub on localhost:1234, serial log $serial_log"
if [ -z "$base" ]; then
	echo "qemu-run.sh: no 'efi: image base' on serial within 30 s; symbols not loaded" >&2
	gdb -q -ex 'target remote :1234'
	exit
fi
echo "qemu-run.sh: image base $base; the guest is paused just after the loader ran."
echo "qemu-run.sh: to stop earlier: set a breakpoint, then 'monitor system_reset' and 'continue'"
echo "qemu-run.sh: (OVMF loads the image at the same base on every boot of this VM)."
gdb -q -ex "add-symbol-file $ELF -o $base" -ex 'target remote :1234'

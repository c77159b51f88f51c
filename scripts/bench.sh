#!/bin/sh
# bench.sh — host benchmarks, the Rust peers, then the in-kernel ones
# (make bench).
#
#   scripts/bench.sh [--peer build/peer-rust/release/peer-rust] build/bench/<name>...
#
# Each host benchmark prints `BENCH <name> <value> <unit>` lines.  The peer
# program (test/bench/peer-rust: tokio, futures' LocalPool, a blog_os-style
# executor) runs in the same invocation, alternating with coop's executor
# bench (bench_sched) for PEER_ROUNDS rounds (3), so that a busy spell on the
# machine hits both; each figure is the median over the rounds (and each
# round's figure a median of 7 runs).  `BENCH ratio/...` lines give coop /
# best single-threaded peer for each of Tokio's runtime-benchmark workloads,
# from the medians and for each round, and `BENCH ratio/mt_...` coop's
# 2-worker executor (host/sched_mt_*) / Tokio's multi-thread runtime with 2
# workers.  The kernel benchmarks run in QEMU
# boots with cmdline `bench=all` (and, as the 8259 peer, `bench=all irq=pic`)
# under -icount shift=0
# (one guest instruction = one virtual ns), so their numbers count guest
# instructions, not the speed of the emulator: stable and comparable across
# machines, but not real hardware timings.  All BENCH lines are collected in
# build/bench/results.txt and printed at the end.
set -eu

cd "$(dirname "$0")/.."
OUT=build/bench
mkdir -p "$OUT"
results=$OUT/results.txt
: > "$results"
status=0
peer=""
if [ "${1:-}" = "--peer" ]; then
	peer=$2
	shift 2
fi

sched_bin=""
for bin in "$@"; do
	if [ -n "$peer" ] && [ "$(basename "$bin")" = bench_sched ]; then
		sched_bin=$bin	# run in rounds with the peers, below
		continue
	fi
	echo "bench.sh: $(basename "$bin")"
	if ! "$bin" > "$OUT/$(basename "$bin").log" 2>&1; then
		echo "bench.sh: $(basename "$bin") FAILED; see $OUT/$(basename "$bin").log" >&2
		status=1
	fi
	grep '^BENCH ' "$OUT/$(basename "$bin").log" | sed 's/^BENCH /BENCH host\//' >> "$results" || true
done

if [ -n "$peer" ] && [ -n "$sched_bin" ]; then
	rounds=$OUT/rounds.txt
	: > "$rounds"
	for r in $(seq 1 "${PEER_ROUNDS:-3}"); do
		echo "bench.sh: round $r of ${PEER_ROUNDS:-3}: bench_sched, then the Rust peers"
		if ! "$sched_bin" > "$OUT/bench_sched.$r.log" 2>&1; then
			echo "bench.sh: bench_sched FAILED; see $OUT/bench_sched.$r.log" >&2
			status=1
		fi
		grep '^BENCH ' "$OUT/bench_sched.$r.log" | sed "s/^BENCH /$r BENCH host\//" >> "$rounds" || true
		if ! "$peer" > "$OUT/peer-rust.$r.log" 2>&1; then
			echo "bench.sh: the peer program FAILED; see $OUT/peer-rust.$r.log" >&2
			status=1
		fi
		grep '^BENCH peer/' "$OUT/peer-rust.$r.log" | sed "s/^/$r /" >> "$rounds" || true
	done
	# Medians over the rounds, then coop / best peer per workload.
	python3 - "$rounds" <<'PY' >> "$results" || status=1
import re, statistics, sys
runs = {}	# name -> {round: value}
units = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\d+) BENCH (\S+) ([0-9.]+) (\S+)", line)
    if m:
        runs.setdefault(m.group(2), {})[int(m.group(1))] = float(m.group(3))
        units[m.group(2)] = m.group(4)
med = {k: statistics.median(v.values()) for k, v in runs.items()}
for k in runs:
    print(f"BENCH {k} {med[k]:.2f} {units[k]}")
rounds = sorted({r for v in runs.values() for r in v})
for w in ("yield_many", "spawn_many", "ping_pong", "chained_spawn"):
    peers = [k for k in runs if k.startswith("peer/") and k.endswith("_" + w)]
    single = [k for k in peers if "multi_thread" not in k]
    if f"host/sched_{w}" not in runs or not single:
        continue
    coop = f"host/sched_{w}"
    best = min(single, key=lambda k: med[k])
    name = best.split("/")[1][:-len(w) - 1]
    print(f"BENCH ratio/{w}_vs_best_peer {med[coop] / med[best]:.2f} x_{name}")
    for k in sorted(peers):
        print(f"BENCH ratio/{w}_vs_{k.split('/')[1][:-len(w) - 1]} {med[coop] / med[k]:.2f} x")
    for r in rounds:
        vals = {k: runs[k][r] for k in single if r in runs[k]}
        if r in runs[coop] and vals:
            b = min(vals, key=vals.get)
            print(f"BENCH ratio/{w}_vs_best_peer_round{r} {runs[coop][r] / vals[b]:.2f} "
                  f"x_{b.split('/')[1][:-len(w) - 1]}")
# Two CPUs: coop's 2-worker executor against Tokio's multi-thread runtime
# with 2 workers, the workload inside a task as coop's (and, for
# reference, as block_on's own future).
for w in ("yield_many", "spawn_many", "ping_pong", "chained_spawn"):
    coop = f"host/sched_mt_{w}"
    for peer in ("tokio_multi_thread2_in_task", "tokio_multi_thread2"):
        k = f"peer/{peer}_{w}"
        if coop not in runs or k not in runs:
            continue
        print(f"BENCH ratio/mt_{w}_vs_{peer} {med[coop] / med[k]:.2f} x")
        for r in rounds:
            if r in runs[coop] and r in runs[k]:
                print(f"BENCH ratio/mt_{w}_vs_{peer}_round{r} "
                      f"{runs[coop][r] / runs[k][r]:.2f} x")
PY
fi

EFI=esp/EFI/BOOT/BOOTX64.EFI
if [ ! -f "$EFI" ]; then
	echo "bench.sh: no $EFI; in-kernel benchmarks not run (make first)" >&2
	status=1
else
	# Three times: the normal boot (IOAPIC + local APIC), and as peers in
	# the same run the 8259 path (irq=pic) and USB with its event ring
	# polled instead of interrupting (usb=poll), prefixed kernel/,
	# kernel-pic/ and kernel-usbpoll/.  Then the heap and frame allocator
	# with 1, 2 and 4 CPUs contending, and a TLB shootdown (bench=smp):
	# -smp 4 on multi-threaded TCG, so the CPUs really race, and so without
	# icount: those figures are TSC cycles of wall time.  Last, `bench
	# parallel` on -smp 1 and -smp 2 (multi-threaded TCG, wall-clock TSC
	# time): the speedup of the one executor on two CPUs.  Then a million
	# live tasks on -smp 4 (bench=live, 1 GiB, -icount shift=0: guest
	# instructions of all four CPUs together), and the same boot in 128 MiB,
	# where it must run out of memory, say so and fail cleanly.
	for run in "kernel:bench=all" "kernel-pic:bench=all irq=pic" \
		   "kernel-usbpoll:bench=all usb=poll" "kernel-smp4:bench=smp" \
		   "kernel-par-smp1:bench=parallel" "kernel-par-smp2:bench=parallel" \
		   "kernel-live:bench=live" "kernel-live-oom:bench=live"; do
		prefix=${run%%:*}
		cmdline=${run#*:}
		echo "bench.sh: in-kernel benchmarks (QEMU, $cmdline)"
		python3 - "$EFI" "$OUT/$prefix" "$results" "$prefix" "$cmdline" <<'PY' || status=1
import re, sys, time
sys.path.insert(0, "test")
from boot import qmp as qmplib
from boot.qemu import Machine
efi, workdir, results, prefix, cmdline = sys.argv[1:]
# A USB keyboard on xHCI beside the PS/2 one, bound to the VGA so that
# input-send-event to vga0 reaches it and nothing else: the key-latency
# benchmark asks for keys on it ("bench: usb: type N keys").
usb = ["-device", "qemu-xhci", "-device", "VGA,id=vga0",
       "-device", "usb-kbd,display=vga0"]
if "bench=smp" in cmdline:
    how = dict(smp=4, extra_args=["-accel", "tcg,thread=multi"])
elif "bench=parallel" in cmdline:
    how = dict(smp=int(prefix[-1]), extra_args=["-accel", "tcg,thread=multi"])
elif "bench=live" in cmdline:
    how = dict(smp=4, icount=0, display="none")
else:
    how = dict(icount=0, display="none", extra_args=usb)
oom = prefix.endswith("-oom")
memory = "128M" if oom else "1G" if "bench=live" in cmdline else "512M"
with Machine(efi, workdir, cmdline=cmdline, memory=memory, timeout=600, **how) as m:
    # bench=all ends the boot through isa-debug-exit when it is done; a
    # kernel that never gets there is stopped by the timeout.
    try:
        ask = m.wait_for_serial(r"bench: usb: type (\d+) keys|bench: done", timeout=590)
        for _ in range(int(ask.group(1) or 0)):
            m.send_keys_to("vga0", "a")
            time.sleep(0.1)
    except (TimeoutError, OSError, qmplib.QMPError):
        pass        # the boot ended (the last release can race its exit)
    r = m.wait()
lines = re.findall(r"^BENCH .*$", r.serial, re.MULTILINE)
print(f"bench.sh: kernel boot {r.status} (exit {r.exit_code}) in {r.seconds:.0f} s; "
      f"serial log {workdir}/serial.log")
if oom:
    # Expected: one line saying so, the tasks released, a failed exit.
    said = re.search(r"^bench: live: out of memory after \d+ of \d+ tasks.*$", r.serial,
                     re.MULTILINE)
    print(f"bench.sh: 128 MiB: {said.group(0) if said else 'NO out-of-memory line'}")
    if not said or r.status != "failed" or "bench: done" not in r.serial:
        print(f"bench.sh: expected an out-of-memory failure, got '{r.status}'; last lines:")
        print("\n".join("    " + l for l in r.tail(10)))
        sys.exit(1)
    sys.exit(0)
if not lines:
    print("bench.sh: the kernel printed no BENCH lines: it does not support "
          "bench= yet (or crashed); last serial lines:")
    print("\n".join("    " + l for l in r.tail(10)))
    sys.exit(1)
with open(results, "a") as f:
    f.writelines(l.replace("BENCH ", f"BENCH {prefix}/", 1) + "\n" for l in lines)
if r.status != "passed":
    print(f"bench.sh: the kernel boot ended '{r.status}', not with isa-debug-exit 0x10")
    sys.exit(1)
PY
	done
fi

# The in-kernel speedup: bench parallel on -smp 2 against -smp 1.
python3 - "$results" <<'PY' >> "$results" || true
import re, sys
ms = {}
for line in open(sys.argv[1]):
    m = re.match(r"BENCH kernel-par-smp(\d)/parallel_ms ([0-9.]+) ms", line)
    if m:
        ms[m.group(1)] = float(m.group(2))
if "1" in ms and "2" in ms:
    print(f"BENCH ratio/parallel_smp2_speedup {ms['1'] / ms['2']:.2f} x")
PY

echo
cat "$results"
exit $status

#!/bin/sh
# bench.sh — host benchmarks, the Rust peers, then the in-kernel ones
# (make bench).
#
#   scripts/bench.sh [--peer build/peer-rust/release/peer-rust] build/bench/<name>...
#
# Each host benchmark prints `BENCH <name> <value> <unit>` lines.  The peer
# program (test/bench/peer-rust: tokio, futures' LocalPool, a blog_os-style
# executor) runs in the same invocation, right after coop's executor bench,
# and its figures are compared with coop's: `BENCH ratio/...` lines give
# coop / best peer for each of Tokio's runtime-benchmark workloads.  The kernel
# benchmarks run in a QEMU boot with cmdline `bench=all` under -icount shift=0
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

for bin in "$@"; do
	echo "bench.sh: $(basename "$bin")"
	if ! "$bin" > "$OUT/$(basename "$bin").log" 2>&1; then
		echo "bench.sh: $(basename "$bin") FAILED; see $OUT/$(basename "$bin").log" >&2
		status=1
	fi
	grep '^BENCH ' "$OUT/$(basename "$bin").log" | sed 's/^BENCH /BENCH host\//' >> "$results" || true
done

if [ -n "$peer" ]; then
	echo "bench.sh: Rust peers ($(basename "$peer"))"
	if ! "$peer" > "$OUT/peer-rust.log" 2>&1; then
		echo "bench.sh: the peer program FAILED; see $OUT/peer-rust.log" >&2
		status=1
	fi
	grep '^BENCH peer/' "$OUT/peer-rust.log" >> "$results" || true
	# coop / best peer, per workload (host/sched_<w> against peer/*_<w>).
	python3 - "$results" <<'PY' >> "$results.ratios" || status=1
import re, sys
vals = {}
for line in open(sys.argv[1]):
    m = re.match(r"BENCH (\S+) ([0-9.]+) (\S+)", line)
    if m:
        vals[m.group(1)] = (float(m.group(2)), m.group(3))
for w in ("yield_many", "spawn_many", "ping_pong", "chained_spawn"):
    coop = vals.get(f"host/sched_{w}")
    peers = {k.split("/")[1][:-len(w) - 1]: v[0] for k, v in vals.items()
             if k.startswith("peer/") and k.endswith("_" + w)}
    single = {k: v for k, v in peers.items() if "multi_thread" not in k}
    if not coop or not single:
        continue
    best = min(single, key=single.get)
    print(f"BENCH ratio/{w}_vs_best_peer {coop[0] / single[best]:.2f} x_{best}")
    for k, v in sorted(peers.items()):
        print(f"BENCH ratio/{w}_vs_{k} {coop[0] / v:.2f} x")
PY
	cat "$results.ratios" >> "$results"
	rm -f "$results.ratios"
fi

EFI=esp/EFI/BOOT/BOOTX64.EFI
if [ ! -f "$EFI" ]; then
	echo "bench.sh: no $EFI; in-kernel benchmarks not run (make first)" >&2
	status=1
else
	echo "bench.sh: in-kernel benchmarks (QEMU, -icount shift=0, bench=all)"
	python3 - "$EFI" "$OUT/kernel" "$results" <<'PY' || status=1
import re, sys
sys.path.insert(0, "test")
from boot.qemu import Machine
efi, workdir, results = sys.argv[1:]
with Machine(efi, workdir, cmdline="bench=all", memory="512M", timeout=600,
             icount=0) as m:
    # bench=all ends the boot through isa-debug-exit when it is done; a
    # kernel that never gets there is stopped by the timeout.
    r = m.wait()
lines = re.findall(r"^BENCH .*$", r.serial, re.MULTILINE)
print(f"bench.sh: kernel boot {r.status} (exit {r.exit_code}) in {r.seconds:.0f} s; "
      f"serial log {workdir}/serial.log")
if not lines:
    print("bench.sh: the kernel printed no BENCH lines: it does not support "
          "bench= yet (or crashed); last serial lines:")
    print("\n".join("    " + l for l in r.tail(10)))
    sys.exit(1)
with open(results, "a") as f:
    f.writelines(l.replace("BENCH ", "BENCH kernel/", 1) + "\n" for l in lines)
if r.status != "passed":
    print(f"bench.sh: the kernel boot ended '{r.status}', not with isa-debug-exit 0x10")
    sys.exit(1)
PY
fi

echo
cat "$results"
exit $status

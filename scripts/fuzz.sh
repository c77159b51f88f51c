#!/bin/sh
# fuzz.sh — run each libFuzzer target for a while on its corpus (make fuzz).
#
#   scripts/fuzz.sh <seconds> build/fuzz/fuzz_<name>...
#
# The seed corpus test/fuzz/corpus/<name>/ is copied to build/fuzz/work/<name>/
# and the fuzzer grows the copy, so the repository's corpus only changes when
# someone copies an interesting input back on purpose.  Crash inputs land in
# build/fuzz/work/<name>/crash-*.  Prints `FUZZ <name> <execs> execs` per target
# and fails if any target found a crash.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 <seconds> <fuzz binaries...>" >&2; exit 2; }
secs=$1
shift
[ $# -gt 0 ] || { echo "fuzz.sh: no fuzz targets (test/fuzz/fuzz_*.c)"; exit 0; }

cd "$(dirname "$0")/.."
failed=""
summary=""
for bin in "$@"; do
	base=$(basename "$bin")
	name=${base#fuzz_}
	work=build/fuzz/work/$name
	rm -rf "$work/corpus"
	mkdir -p "$work/corpus"
	if [ -d "test/fuzz/corpus/$name" ]; then
		cp -R "test/fuzz/corpus/$name/." "$work/corpus/"
	fi
	echo "fuzz.sh: $name for $secs s (corpus $(find "$work/corpus" -type f | wc -l) files, log $work/fuzz.log)"
	set +e
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus" >"$work/fuzz.log" 2>&1
	status=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
	line="FUZZ $name ${execs:-?} execs"
	if [ $status -ne 0 ]; then
		line="$line CRASH (exit $status; see $work/fuzz.log and $work/crash-*)"
		failed="$failed $name"
		tail -n 30 "$work/fuzz.log"
	fi
	echo "$line"
	summary="$summary$line
"
done
printf '\n%s' "$summary"
if [ -n "$failed" ]; then
	echo "fuzz.sh: crashes in:$failed"
	exit 1
fi

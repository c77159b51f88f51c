#!/bin/sh
# fuzz.sh — run each libFuzzer target on its corpus (make fuzz, make fuzz-campaign).
#
#   scripts/fuzz.sh [--runs N] [--keep] <seconds> build/fuzz/fuzz_<name>...
#
# One target at a time.  Each runs for <seconds>, or until N inputs were
# executed (--runs), whichever comes first.  The seed corpus
# test/fuzz/corpus/<name>/ is copied to build/fuzz/work/<name>/corpus and the
# fuzzer grows the copy.  Crash inputs land in build/fuzz/work/<name>/crash-*.
#
# --keep (the campaign) then minimises what was found back into the
# repository: the hand-written seeds (files not named by a SHA-1) stay, and
# libFuzzer's -merge=1 adds only the inputs that reach coverage they do not.
#
# Prints `FUZZ <name> <execs> execs <seconds> s cov <n> ft <n> corpus <a> -> <b>`
# per target, a summary of those lines at the end, and fails if any target
# found a crash.
set -eu

usage() { echo "usage: $0 [--runs N] [--keep] <seconds> <fuzz binaries...>" >&2; exit 2; }
runs=0
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
secs=$1
shift
[ $# -gt 0 ] || { echo "fuzz.sh: no fuzz targets (test/fuzz/fuzz_*.c)"; exit 0; }

cd "$(dirname "$0")/.."
failed=""
summary=""

count() { find "$1" -type f 2>/dev/null | wc -l; }

# Replaces the repository corpus of $1 by its seeds plus what -merge=1 keeps
# of the work corpus $2 (run by binary $3).
keep_corpus() {
	repo=test/fuzz/corpus/$1
	merged=build/fuzz/work/$1/merged
	rm -rf "$merged"
	mkdir -p "$merged" "$repo"
	find "$repo" -maxdepth 1 -type f | grep -Ev '/[0-9a-f]{40}$' |
		while read -r seed; do cp "$seed" "$merged/"; done
	"$3" -merge=1 "$merged" "$2" >"build/fuzz/work/$1/merge.log" 2>&1 ||
		{ tail -n 20 "build/fuzz/work/$1/merge.log"; return 1; }
	find "$repo" -maxdepth 1 -type f -delete
	cp "$merged"/* "$repo/"
}

for bin in "$@"; do
	base=$(basename "$bin")
	name=${base#fuzz_}
	work=build/fuzz/work/$name
	rm -rf "$work/corpus"
	mkdir -p "$work/corpus"
	if [ -d "test/fuzz/corpus/$name" ]; then
		cp -R "test/fuzz/corpus/$name/." "$work/corpus/"
	fi
	before=$(count "$work/corpus")
	limit="-max_total_time=$secs"
	what="$secs s"
	if [ "$runs" -gt 0 ]; then
		limit="$limit -runs=$runs"
		what="$what or $runs runs"
	fi
	echo "fuzz.sh: $name for $what (corpus $before files, log $work/fuzz.log)"
	start=$(date +%s)
	set +e
	# shellcheck disable=SC2086  # $limit is one or two options
	"$bin" $limit -print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus" >"$work/fuzz.log" 2>&1
	status=$?
	set -e
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 ft \2/p' "$work/fuzz.log" | tail -n 1)
	after=$before
	if [ $status -eq 0 ] && [ "$keep" = 1 ]; then
		keep_corpus "$name" "$work/corpus" "$bin"
		after=$(count "test/fuzz/corpus/$name")
	fi
	line="FUZZ $name ${execs:-?} execs $took s cov ${cov:-?} corpus $before -> $after"
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

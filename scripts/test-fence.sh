#!/bin/sh
# test-fence.sh — make test-fence: shows that the lost-wake-up test
# (sched_mt.sleep_ipi_handshake_loses_no_wakeup) catches a missing fence.
#
#   scripts/test-fence.sh build/host-nofence/unit-tests
#
# The binary is built with COOP_SCHED_NO_SLEEP_FENCE (sched/idle.h: the idle
# side's fence is only a compiler barrier).  The test must fail there.  The
# race is a matter of timing, so up to 3 runs; it passes (exit 0) as soon as
# one run's handshake test fails, and fails if all three passed.
set -u
bin=$1
for run in 1 2 3; do
	out=$("$bin" sched_mt 2>&1)
	echo "$out" | grep -E 'rounds:|sleep_ipi_handshake' | sed "s/^ */test-fence: run $run: /"
	if echo "$out" | grep -q '^ *not ok [0-9]* sleep_ipi_handshake_loses_no_wakeup'; then
		echo "test-fence: PASS: without the fence the handshake test fails (run $run)"
		exit 0
	fi
done
echo "test-fence: FAIL: the handshake test passed 3 times without its fence"
exit 1

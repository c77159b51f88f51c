#!/usr/bin/env python3
"""coop's test runner: `make test`, `make test-matrix` and `make test-stress`.

    test/run.py --host build/host/unit-tests --efi esp/EFI/BOOT/BOOTX64.EFI
    test/run.py --matrix --efi esp/EFI/BOOT/BOOTX64.EFI
    test/run.py --stress --efi esp/EFI/BOOT/BOOTX64.EFI
    test/run.py --efi ... --only 'smoke'        boots whose name matches

Runs, in parallel (-j, default cores + 1): the host unit-test suites (one
process per suite, KTAP on stdout), the multi-threaded ones again from the
ThreadSanitizer binary (--tsan), the Python self-tests of test/boot/, and the
QEMU boot tests of test/boot/boots.py.  Prints one line per test
(PASS/FAIL/SKIP/XFAIL name), diagnostics under each failure, one line per boot
saying how it ended, the serial tail of a boot that ended in a way it should
not have, and last of all exactly one summary line:
`N passed, N failed[, N skipped]`.  Serial logs of every boot stay in
build/test/<boot>/serial.log.

--matrix and --stress print a summary per boot (how it ended and its counts)
and the failures, not every passing test.  --stress boots `test=all` in
--parallel boots at once (4), --rounds times (3), without -icount, so the
in-kernel timing tests run on a host as busy as it gets.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from boot import boots, ktap, matrix  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "build", "test")
PY_TESTS = ["boot.test_ktap", "boot.test_screen", "boot.test_matrix", "boot.test_qemu",
            "test_layers", "tools.test_write_usb", "tools.test_debug"]

# Rough seconds of the jobs that take long besides the boots (Boot.seconds),
# by job label: threads handing work to each other on two busy cores, and a
# boot under gdb.  Measured on the busy 2-core machine; the rest take about a
# second.
SLOW = {"host sched_mt": 40, "host-tsan sched_mt": 40, "host sched_threads": 40,
        "host spinlock_threads": 25, "tools.test_debug": 20}

_print_lock = threading.Lock()
_boot_times = []        # (name, wall seconds, QEMU CPU seconds) of each boot run


# ---- reporting --------------------------------------------------------------------

def report(outs):
    with _print_lock:
        for o in outs:
            tag = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "xfail": "XFAIL"}[o.status]
            line = f"{tag} {o.name}"
            if o.reason:
                line += ("  " if o.status == "fail" else " ") + o.reason
            print(line)
            if o.status == "fail":
                for d in o.details:
                    print("    " + d)
        sys.stdout.flush()


# ---- host unit tests ---------------------------------------------------------------

def host_suites(binary):
    out = subprocess.run([binary, "list"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{binary} list: exit {out.returncode}\n{out.stderr}")
    return re.findall(r"^ktest:\s+(\S+)", out.stdout.split("available suites:")[-1],
                      re.MULTILINE)


def run_host_suite(binary, suite, prefix="host"):
    name = f"{prefix}/{suite}/"
    try:
        p = subprocess.run([binary, suite], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as e:
        return [ktap.Outcome(name + "(timeout)", "fail", "no exit within 300 s",
                             (e.stdout or "").split("\n")[-30:] if isinstance(e.stdout, str)
                             else [])]
    outs = ktap.parse_outcomes(p.stdout, prefix + "/")   # KTAP names the suite itself
    failed = any(o.status == "fail" for o in outs)
    if p.returncode != 0 and not (p.returncode == 1 and failed):
        # ASan/UBSan reports, leaks and crashes end up here.
        tail = (p.stderr or p.stdout).rstrip().split("\n")[-30:]
        outs.append(ktap.Outcome(name + "(exit)", "fail",
                                 f"exit status {p.returncode}", tail))
    elif p.returncode == 0 and failed:
        outs.append(ktap.Outcome(name + "(exit)", "fail",
                                 "exit status 0 although a test failed"))
    return outs


# ---- python self-tests ---------------------------------------------------------------

class _Collect(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.outs = []

    def _name(self, test):
        mod, _cls, meth = test.id().rsplit(".", 2)
        return f"python/{mod.split('test_')[-1]}/{meth}"

    def addSuccess(self, test):
        self.outs.append(ktap.Outcome(self._name(test), "pass"))

    def addFailure(self, test, err):
        self._fail(test, err)

    def addError(self, test, err):
        self._fail(test, err)

    def _fail(self, test, err):
        text = self._exc_info_to_string(err, test).rstrip().split("\n")
        self.outs.append(ktap.Outcome(self._name(test), "fail", text[-1], text[:-1]))

    def addSkip(self, test, reason):
        self.outs.append(ktap.Outcome(self._name(test), "skip", reason))


def run_python_tests(module):
    result = _Collect()
    unittest.defaultTestLoader.loadTestsFromName(module).run(result)
    return result.outs


# ---- layering ------------------------------------------------------------------------

def run_layer_check():
    """scripts/layers.py --check, one outcome per rule; a failure lists every
    file and include that breaks it.  A process of its own: the layer
    self-tests point the module at throwaway trees while this runs."""
    script = os.path.join(REPO, "scripts", "layers.py")
    p = subprocess.run([sys.executable, script, "--check", "--by-rule"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        return [ktap.Outcome("layers/(check)", "fail", f"exit status {p.returncode}",
                             (p.stderr or p.stdout).strip().split("\n")[-20:])]
    found = {}
    rules = []
    for line in p.stdout.splitlines():
        rule, _, msg = line.partition(" ")
        if rule == "rule":
            rules.append(msg)
        else:
            found.setdefault(rule, []).append(msg)
    return [ktap.Outcome(f"layers/{r}", "fail" if found.get(r) else "pass",
                         f"{len(found[r])} problem(s)" if found.get(r) else "",
                         found.get(r, [])) for r in rules]


# ---- boots ----------------------------------------------------------------------------

def run_one_boot(b, efi, out_dir=OUT_DIR, counts=False):
    workdir = os.path.join(out_dir, b.name)
    try:
        outs, result = boots.run_boot(b, efi, workdir)
    except Exception as e:      # the runner must report, not die
        return [ktap.Outcome(f"boot/{b.name}/(runner)", "fail", f"{type(e).__name__}: {e}")]
    tally = ""
    if counts:
        c = ktap.summary(outs)
        tally = (f": {c.get('pass', 0) + c.get('xfail', 0)} passed, {c.get('fail', 0)} failed"
                 + (f", {c['skip']} skipped" if c.get("skip") else ""))
    cpu = "" if result.cpu_seconds is None else f", {result.cpu_seconds:.1f} s of CPU"
    with _print_lock:
        _boot_times.append((b.name, result.seconds, result.cpu_seconds))
        print(f"# boot {b.name}: {boots.describe(b, result)} in {result.seconds:.1f} s"
              f"{cpu}{tally} "
              f"(serial log: {os.path.relpath(os.path.join(workdir, 'serial.log'), REPO)})")
    return outs


# ---- main -------------------------------------------------------------------------------

def run_jobs(jobs, workers, show):
    """Runs (label, fn, args) jobs on `workers` threads; reports each
    outcome whose status is in `show` as it comes; returns all outcomes."""
    outcomes = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(fn, *a): label for label, fn, a in jobs}
        for fut in concurrent.futures.as_completed(futures):
            try:
                outs = fut.result()
            except Exception as e:
                outs = [ktap.Outcome(f"{futures[fut]} (runner)", "fail",
                                     f"{type(e).__name__}: {e}")]
            report([o for o in outs if o.status in show])
            outcomes += outs
    return outcomes


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", help="host unit-test binary (build/host/unit-tests)")
    ap.add_argument("--tsan", help="ThreadSanitizer host binary (build/host-tsan/unit-tests)")
    ap.add_argument("--tsan-suites", nargs="*", default=[],
                    help="suites to run from the --tsan binary")
    ap.add_argument("--efi", help="BOOTX64.EFI to boot")
    ap.add_argument("--matrix", action="store_true", help="the machine matrix boots")
    ap.add_argument("--stress", action="store_true",
                    help="test=all in --parallel boots at once, --rounds times")
    ap.add_argument("--rounds", type=int, default=3, help="stress rounds (3)")
    ap.add_argument("--parallel", type=int, default=4, help="stress boots at once (4)")
    # Two more jobs than cores: a boot spends most of its time waiting (for
    # the keys it types, for its CPUs to take turns), about a third of a core
    # on average (the QEMU CPU time the runner prints), so the cores are not
    # full with one job each.
    default_jobs = (os.cpu_count() or 2) + 2
    ap.add_argument("-j", "--jobs", type=int, default=default_jobs,
                    help=f"parallel jobs ({default_jobs}: cores + 2)")
    ap.add_argument("--only", help="run only boots whose name matches this regex")
    ap.add_argument("--no-python", action="store_true", help="skip the Python self-tests")
    ap.add_argument("--qemu-args", default="", help="extra QEMU arguments for every boot")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not list passing tests")
    return ap.parse_args()


def boot_rounds(args):
    """The boots to run, as rounds that run one after the other."""
    if args.stress:
        rounds = boots.stress_boots(args.rounds, args.parallel)
    else:
        rounds = [matrix.matrix_boots() if args.matrix else boots.BOOTS]
    if args.only:
        rounds = [[b for b in r if re.search(args.only, b.name)] for r in rounds]
    for r in rounds:
        for b in r:
            # --qemu-args come after a boot's own devices, not instead of them.
            b.machine = dict(b.machine, extra_args=list(b.machine.get("extra_args", ()))
                             + args.qemu_args.split())
    return rounds


def main():
    args = parse_args()
    t0 = time.monotonic()
    summary_only = args.matrix or args.stress     # a line per boot, and the failures
    show = {"fail"} if summary_only else {"fail", "skip", "xfail"}
    if not (args.quiet or summary_only):
        show.add("pass")

    rounds = boot_rounds(args)
    outcomes = []
    if args.efi and not os.path.exists(args.efi):
        outcomes.append(ktap.Outcome("boot/(image)", "fail", f"{args.efi}: no such file"))
        rounds = [[]]
    jobs = []       # (seconds, label, callable, args): the longest start first
    if args.efi:
        jobs += [(b.seconds, f"boot {b.name}", run_one_boot,
                  (b, args.efi, OUT_DIR, summary_only)) for b in rounds[0]]
    if not summary_only and not args.no_python:
        jobs += [(SLOW.get(m, 1), m, run_python_tests, (m,)) for m in PY_TESTS]
        jobs.append((1, "layers", run_layer_check, ()))
    if args.host:
        try:
            jobs += [(SLOW.get(f"host {s}", 1), f"host {s}", run_host_suite, (args.host, s))
                     for s in host_suites(args.host)]
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
            outcomes.append(ktap.Outcome("host/(list)", "fail", str(e).split("\n")[0]))
    if args.tsan:
        jobs += [(SLOW.get(f"host-tsan {s}", 1), f"host-tsan {s}", run_host_suite,
                  (args.tsan, s, "host-tsan"))
                 for s in args.tsan_suites]
    # A slow host suite queued behind every boot would run alone at the end.
    jobs = [j[1:] for j in sorted(jobs, key=lambda j: -j[0])]
    report(outcomes)

    workers = args.parallel if args.stress else args.jobs
    if args.stress:
        print(f"# round 1 of {len(rounds)}: {len(rounds[0])} boots at once", flush=True)
    outcomes += run_jobs(jobs, workers, show)
    for n, later in enumerate(rounds[1:] if args.efi else [], start=2):
        with _print_lock:
            print(f"# round {n} of {len(rounds)}: {len(later)} boots at once", flush=True)
        outcomes += run_jobs([(f"boot {b.name}", run_one_boot, (b, args.efi, OUT_DIR, True))
                              for b in later], workers, show)
    return finish(outcomes, t0)


def finish(outcomes, t0):
    counts = ktap.summary(outcomes)
    passed = counts.get("pass", 0) + counts.get("xfail", 0)
    failed, skipped = counts.get("fail", 0), counts.get("skip", 0)
    if failed:
        print("failed: " + " ".join(o.name for o in outcomes if o.status == "fail"))
    if _boot_times:
        # QEMU's CPU time is what the boots cost whatever else the machine
        # runs; their wall times, summed, are what a one-at-a-time run takes.
        cpu = sum(c for _n, _w, c in _boot_times if c is not None)
        wall = sum(w for _n, w, _c in _boot_times)
        print(f"boots: {len(_boot_times)}, {wall:.1f} s of wall time and "
              f"{cpu:.1f} s of QEMU CPU time in all")
    print(f"wall time {time.monotonic() - t0:.1f} s")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)
    return 1 if failed or not outcomes else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""serial-times.py: where a boot test spent its time.

    scripts/serial-times.py build/test/smoke/serial.log            every line, timed
    scripts/serial-times.py --suites build/test/smoke/serial.log   seconds per suite
    scripts/serial-times.py --cases build/test/smoke/serial.log    seconds per case

The runner writes serial.log.times beside each serial log: one line per read
from the guest's COM1, "<seconds since QEMU started> <bytes so far>".  A
line of the log is timed by the read that brought its last byte.  Suites and
cases (KTAP) are timed from the line before their first to their result line,
so the firmware's start-up is the time to the first line the kernel prints.
"""
import argparse
import bisect
import re
import sys


def timed_lines(log_path):
    """[(seconds, text)] for each whole line of the log."""
    with open(log_path + ".times") as f:
        marks = [(float(t), int(n)) for t, n in (line.split() for line in f if line.strip())]
    with open(log_path, "rb") as f:
        raw = f.read()
    ends = [n for _t, n in marks]
    out, start = [], 0
    while True:
        nl = raw.find(b"\n", start)
        if nl < 0:
            return out
        i = bisect.bisect_left(ends, nl + 1)
        t = marks[i][0] if i < len(marks) else marks[-1][0]
        text = raw[start:nl].decode("utf-8", "replace").replace("\r", "")
        out.append((t, re.sub(r"\x1b\[[0-9;=?]*[A-Za-z]", "", text)))
        start = nl + 1


def spans(lines, level):
    """(name, seconds) per suite (level 0) or per case (level 1): a suite
    from its "KTAP version" line to its result line, a case from the line
    before it (the plan, or the previous case's result) to its own."""
    out, start, suite = [], None, "?"
    for t, text in lines:
        sub = re.match(r"^    # Subtest: (\S+)", text)
        if sub:
            suite = sub.group(1)
        if level == 0:
            if text.startswith("    KTAP version"):
                start = t
            m = re.match(r"^(?:not )?ok \d+ (\S+)", text)
        else:
            if re.match(r"^    1\.\.\d+", text):
                start = t
            m = re.match(r"^    (?:not )?ok \d+ (\S+)", text)
        if m and start is not None:
            out.append((m.group(1) if level == 0 else f"{suite}/{m.group(1)}", t - start))
            start = t if level == 1 else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", help="a boot's serial.log (with serial.log.times beside it)")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--suites", action="store_true", help="seconds per suite, longest first")
    group.add_argument("--cases", action="store_true", help="seconds per case, longest first")
    ap.add_argument("-n", type=int, default=15, help="how many to list (15)")
    a = ap.parse_args()
    lines = timed_lines(a.log)
    if not (a.suites or a.cases):
        for t, text in lines:
            print(f"{t:8.2f} {text}")
        return 0
    rows = sorted(spans(lines, 0 if a.suites else 1), key=lambda r: -r[1])
    first = next((t for t, text in lines if re.match(r"^coop \S", text)), None)
    if first is not None:
        print(f"{first:8.2f} s  QEMU start to the kernel's first line (firmware, loader)")
    for name, secs in rows[:a.n]:
        print(f"{secs:8.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

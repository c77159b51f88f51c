"""Tests of the boot runner itself, with a fake QEMU (a small script), so
they take about a second: exit status mapping, hang detection and cleanup of
the whole process group, run_boot's outcomes and how it words them, and that
nothing is left in the temporary directory."""
import os
import shutil
import stat
import tempfile
import time
import unittest

from boot import boots
from boot.qemu import Machine

FAKE = """#!/usr/bin/env python3
# Fake qemu-system-x86_64: serves the -chardev socket as QEMU does, waits
# for the runner to connect (wait=on), sends SERIAL, then sleeps SLEEP
# seconds in a child process, then exits with EXIT.  With SHUTDOWN set it
# also serves the last -qmp socket (the runner's event watcher) and sends a
# SHUTDOWN event with that reason before it exits, as QEMU does.
import json, socket, subprocess, sys
SERIAL, SLEEP, EXIT, SHUTDOWN = {serial!r}, {sleep!r}, {exit!r}, {shutdown!r}
args = " ".join(sys.argv)
def serve(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    return server
serial = serve(args.split("socket,id=ser0,path=")[1].split(",")[0])
if SHUTDOWN:
    events = serve(args.split("-qmp unix:")[-1].split(",")[0])
conn, _ = serial.accept()
conn.sendall(SERIAL.encode())
if SHUTDOWN:
    qmp, _ = events.accept()
    f = qmp.makefile("rw")
    f.write(json.dumps({{"QMP": {{"version": {{}}}}}}) + "\\n"); f.flush()
    f.readline()
    f.write(json.dumps({{"return": {{}}}}) + "\\n"); f.flush()
with open({pidfile!r}, "w") as f:
    child = subprocess.Popen(["sleep", str(SLEEP)])
    f.write(str(child.pid))
child.wait()
if SHUTDOWN:
    f = qmp.makefile("w")
    f.write(json.dumps({{"event": "SHUTDOWN",
                        "data": {{"guest": True, "reason": SHUTDOWN}}}}) + "\\n")
    f.flush()
sys.exit(EXIT)
"""

KTAP_OK = "coop 0.1.0 test\nKTAP version 1\n1..1\nok 1 s\n"


def alive(pid):
    """A zombie (killed, not yet reaped by init) counts as dead."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class FakeQemuTest(unittest.TestCase):
    tmp_base = None      # where temporary folders go (None: the system's)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="coop-fakeqemu-", dir=self.tmp_base)
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.efi = os.path.join(self.dir, "BOOTX64.EFI")
        open(self.efi, "wb").close()
        self.pidfile = os.path.join(self.dir, "child.pid")

    def fake(self, serial="", sleep=0, exit=33, shutdown=None):
        path = os.path.join(self.dir, "qemu")
        with open(path, "w") as f:
            f.write(FAKE.format(serial=serial, sleep=sleep, exit=exit, shutdown=shutdown,
                                pidfile=self.pidfile))
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
        return path

    def boot(self, timeout=10, **fake):
        with Machine(self.efi, os.path.join(self.dir, "w"), qemu=self.fake(**fake),
                     tmp_dir=self.tmp_base,
                     timeout=timeout) as m:
            return m.wait()

    def test_exit_statuses(self):
        self.assertEqual(self.boot(exit=33).status, "passed")
        self.assertEqual(self.boot(exit=35).status, "failed")
        r = self.boot(exit=0)
        self.assertEqual((r.status, r.exit_code), ("crashed", 0))   # cause unknown
        self.assertEqual(self.boot(exit=0, shutdown="guest-shutdown").status, "off")
        self.assertEqual(self.boot(exit=0, shutdown="guest-reset").status, "reset")

    def test_cpu_time_is_measured(self):
        # The fake is a Python process: starting it takes some CPU time, and
        # the runner must see it, also for a boot it had to kill.
        r = self.boot(exit=33)
        self.assertIsNotNone(r.cpu_seconds)
        self.assertGreater(r.cpu_seconds, 0)
        r = self.boot(timeout=1, sleep=60)
        self.assertEqual(r.status, "hung")
        self.assertGreater(r.cpu_seconds, 0)

    def test_hang_is_detected_and_the_process_group_killed(self):
        t0 = time.monotonic()
        r = self.boot(timeout=1, sleep=60, serial="coop x\nKTAP version 1\n1..2\n")
        self.assertEqual(r.status, "hung")
        self.assertLess(time.monotonic() - t0, 5)
        with open(self.pidfile) as f:
            child = int(f.read())
        time.sleep(0.2)
        self.assertFalse(alive(child), "the fake's child survived the kill")

    def test_serial_log_is_kept_and_cleaned(self):
        r = self.boot(serial="\x1b[2Jcoop 0.1\r\nline two\r\n")
        self.assertEqual(r.serial, "coop 0.1\nline two\n")
        self.assertTrue(os.path.exists(os.path.join(self.dir, "w", "serial.log")))

    def run_boot(self, b, **fake):
        b.machine = dict(qemu=self.fake(**fake), tmp_dir=self.tmp_base)
        outs, self.last = boots.run_boot(b, self.efi, os.path.join(self.dir, "w"))
        return {o.name: o for o in outs}

    def test_run_boot_outcomes(self):
        outs = self.run_boot(boots.Boot("x", cmdline="test=all"), serial=KTAP_OK)
        self.assertEqual({n: o.status for n, o in outs.items()},
                         {"boot/x/exit": "pass", "boot/x/banner": "pass",
                          "boot/x/s": "pass"})

    def test_endings_are_worded_as_intended(self):
        off = boots.Boot("o", expect="off", timeout=20)
        outs = self.run_boot(off, exit=0, shutdown="guest-shutdown")
        self.assertEqual(outs["boot/o/exit"].status, "pass")
        self.assertEqual(boots.describe(off, self.last), "powered off as expected")

        outs = self.run_boot(off, exit=0, shutdown="guest-reset")
        self.assertEqual(outs["boot/o/exit"].status, "fail")
        self.assertEqual(outs["boot/o/exit"].reason,
                         "reset itself (a triple fault or a reboot); expected a power-off")

        live = boots.Boot("l", timeout=20)
        outs = self.run_boot(live, serial="coop 1\n", sleep=60)
        self.assertEqual(outs["boot/l/exit"].status, "pass")
        self.assertEqual(boots.describe(live, self.last), "stopped after the last check")

        tests = boots.Boot("t", cmdline="test=all")
        self.run_boot(tests, serial=KTAP_OK)
        self.assertEqual(boots.describe(tests, self.last), "every test passed")

    def test_run_boot_reports_a_hang_with_the_serial_tail(self):
        b = boots.Boot("h", cmdline="test=all", timeout=1)
        outs = self.run_boot(b, serial="coop 1\nKTAP version 1\n1..1\nlast words\n",
                             sleep=60)
        self.assertEqual(outs["boot/h/exit"].status, "fail")
        self.assertIn("hung", outs["boot/h/exit"].reason)
        self.assertIn("| last words", outs["boot/h/exit"].details)
        self.assertEqual(outs["boot/h/(incomplete)"].status, "fail")

    def test_interactive_step_failures_and_skips(self):
        def steps(m, t):
            with t.step("ok"):
                m.wait_for_serial(r"^coop ", timeout=2)
            with t.step("skipped"):
                t.skip("not yet")
            with t.step("timeout"):
                m.wait_for_serial(r"never", timeout=0.3)
        outs = self.run_boot(boots.Boot("i", steps=steps, timeout=20),
                             serial="coop 1\n", sleep=60)
        self.assertEqual(outs["boot/i/exit"].status, "pass")      # still running
        self.assertEqual(outs["boot/i/ok"].status, "pass")
        self.assertEqual(outs["boot/i/skipped"].status, "skip")
        self.assertEqual(outs["boot/i/timeout"].status, "fail")


class CleanupTest(unittest.TestCase):
    def test_nothing_left_in_the_temp_dir_passing_or_failing(self):
        """Runs a passing and a failing fake boot test with their temporary
        folders (the test's and QEMU's sockets') in an empty folder; it must
        be empty afterwards.  (Not by pointing tempfile at it: the runner
        runs other test modules in other threads of this process.)"""
        scratch = tempfile.mkdtemp(prefix="coop-cleanup-")
        self.addCleanup(shutil.rmtree, scratch, ignore_errors=True)

        class Passing(FakeQemuTest):
            tmp_base = scratch

        class Failing(FakeQemuTest):
            tmp_base = scratch

            def test_fails(self):
                self.boot(exit=33)
                self.fail("deliberately")

        suite = unittest.TestSuite([Passing("test_exit_statuses"), Failing("test_fails")])
        result = unittest.TestResult()
        suite.run(result)
        self.assertEqual((result.testsRun, len(result.failures), len(result.errors)),
                         (2, 1, 0))
        self.assertEqual(os.listdir(scratch), [])


if __name__ == "__main__":
    unittest.main()

"""`make debug` (scripts/qemu-run.sh --debug) end to end, with gdb in batch
mode: it must attach without asking anything, find the guest stopped where
the script says (the loader's wait loop, before kernel_main), and stop at
kernel_main on the first continue.  One QEMU boot; skipped without gdb."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "qemu-run.sh")
EFI = os.path.join(REPO, "esp", "EFI", "BOOT", "BOOTX64.EFI")


class DebugTest(unittest.TestCase):
    def test_attaches_without_questions_and_stops_where_it_says(self):
        if not shutil.which("gdb"):
            self.skipTest("gdb not installed")
        if not os.path.exists(EFI):
            self.skipTest("no BOOTX64.EFI: run make first")
        run = tempfile.mkdtemp(prefix="coop-debug-")
        self.addCleanup(shutil.rmtree, run, ignore_errors=True)
        commands = os.path.join(run, "gdb-commands")
        with open(commands, "w") as f:
            f.write("info symbol $pc\ncontinue\ninfo symbol $pc\n")
        env = dict(os.environ, COOP_RUN_DIR=os.path.join(run, "run"),
                   COOP_GDB_SCRIPT=commands)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        p = subprocess.run([SCRIPT, "--debug", "--mem", "128M"], env=env, cwd=REPO,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=240)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, out[-3000:])
        self.assertNotIn("(y or n)", out)
        self.assertIn("The guest is stopped in the loader", out)
        # info symbol $pc: in the loader's wait loop, or in a firmware
        # interrupt handler that had interrupted the loop (no coop symbol
        # there), since gdb attaches at whatever instruction the CPU is on.
        m = re.search(r"efi_wait_for_debugger \+ |No symbol matches \$pc", out)
        self.assertIsNotNone(m, "no answer to info symbol $pc:\n" + out[-3000:])
        where = m.start()
        stop = out.index("Breakpoint 1, kernel_main")          # continue
        self.assertLess(where, stop, "not stopped in the wait loop before kernel_main")
        self.assertIn("kernel_main in section .text", out[stop:])


if __name__ == "__main__":
    unittest.main()

"""Self-tests of scripts/layers.py: each rule catches what it is there for,
in a throwaway tree, and names the file and the include."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
import layers  # noqa: E402


class LayerRules(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coop-layers-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.saved = layers.REPO
        layers.REPO = self.tmp
        self.addCleanup(setattr, layers, "REPO", self.saved)
        for h in ["hal/hal.h", "hal/cpu/gdt.h", "hal/io.h", "kernel/lib/fmt.h",
                  "kernel/boot_info.h", "kernel/panic.h", "kernel/kernel.h",
                  "kernel/console/console.h", "kernel/input/input.h",
                  "kernel/shell/shell.h", "mm/heap.h", "sched/task.h"]:
            self.write(h, "")

    def write(self, path, text):
        full = os.path.join(self.tmp, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def problems(self, path, text):
        self.write(path, text)
        return layers.check_file(path)

    def assertFlags(self, path, text, rule, needle):
        probs = self.problems(path, text)
        self.assertTrue(any(r == rule and needle in m and path in m for r, m in probs),
                        f"expected a {rule} problem naming {needle!r}, got {probs}")

    def assertClean(self, path, text):
        self.assertEqual(self.problems(path, text), [])

    def test_hal_may_not_include_the_kernel(self):
        self.assertFlags("hal/x.c", '#include "kernel/panic.h"\n', "includes_point_down",
                         '"kernel/panic.h"')
        self.assertClean("hal/y.c", '#include "kernel/lib/fmt.h"\n#include "kernel/boot_info.h"\n'
                         '#include "hal/cpu/gdt.h"\n')

    def test_mm_and_sched_reach_only_lib_and_reporting(self):
        self.assertFlags("mm/x.c", '#include "kernel/console/console.h"\n',
                         "includes_point_down", "console.h")
        self.assertFlags("mm/y.c", '#include "sched/task.h"\n', "includes_point_down",
                         "sched/task.h")
        self.assertClean("sched/z.c", '#include "mm/heap.h"\n#include "kernel/panic.h"\n'
                         '#include "hal/hal.h"\n')

    def test_sched_is_portable(self):
        self.assertFlags("sched/w.c", '#include "hal/cpu/gdt.h"\n', "includes_point_down",
                         "hal/hal.h")

    def test_wings_point_down_and_never_at_the_boot(self):
        self.assertFlags("kernel/console/c.c", '#include "kernel/shell/shell.h"\n',
                         "includes_point_down", "kernel/shell/shell.h")
        self.assertFlags("kernel/shell/s.c", '#include "kernel/kernel.h"\n',
                         "includes_point_down", "kernel/kernel.h")
        self.assertClean("kernel/shell/t.c", '#include "kernel/console/console.h"\n'
                         '#include "kernel/input/input.h"\n#include "kernel/panic.h"\n')
        self.assertFlags("kernel/lib/l.c", '#include "kernel/panic.h"\n',
                         "includes_point_down", "kernel/panic.h")

    def test_asm_and_port_io_only_in_hal(self):
        self.assertFlags("kernel/k.c", 'void f(void) { __asm__ volatile("hlt"); }\n',
                         "asm_and_port_io_only_in_hal", "kernel/k.c:1")
        self.assertFlags("sched/p.c", 'void g(void) { outb(0x80, 0); }\n',
                         "asm_and_port_io_only_in_hal", "outb")
        self.assertFlags("mm/s.S", "hlt\n", "asm_and_port_io_only_in_hal", "mm/s.S")
        self.assertClean("hal/h.c", 'void f(void) { __asm__ volatile("hlt"); outb(1, 2); }\n')
        # Words in comments and strings are not code.
        self.assertClean("kernel/c.c", '/* asm("x"); outb(1,2) */\nconst char *s = "asm(";\n')

    def test_boot_services_only_in_efi(self):
        self.assertFlags("kernel/e.c", "#include <efi.h>\n", "boot_services_only_in_efi",
                         "efi.h")
        self.assertFlags("mm/b.c", "void f(void) { BootServices->Stall(1); }\n",
                         "boot_services_only_in_efi", "BootServices")
        self.assertClean("efi/l.c", "#include <efi.h>\nvoid f(void) { BootServices = 0; }\n")

    def test_portable_sources_are_chosen_by_their_includes(self):
        self.write("kernel/input/decode.c", '#include "hal/hal.h"\n')
        self.write("kernel/input/task.c", '#include "hal/dev/ps2.h"\n')
        self.write("hal/dev/ps2.h", "")
        portable = layers.portable_sources()
        self.assertIn("kernel/input/decode.c", portable)
        self.assertNotIn("kernel/input/task.c", portable)

    def test_hal_sources_without_cpu_primitives_build_for_the_host(self):
        self.write("hal/irq/regs.h", "unsigned regs_read(unsigned off);\n")
        self.write("hal/irq/regs.c", '#include "hal/irq/regs.h"\n#include "hal/hal.h"\n')
        self.write("hal/irq/hw.c", '#include "hal/irq/regs.h"\n'
                   'void f(void) { __asm__ volatile("wrmsr"); }\n')
        self.write("hal/irq/uses_io.c", '#include "hal/io.h"\n')
        self.write("hal/io.h", "static inline void outb(int p, int v) { (void)p; (void)v; }\n")
        self.write("hal/irq/deep.h", '#include "hal/io.h"\n')
        self.write("hal/irq/via_header.c", '#include "hal/irq/deep.h"\n')
        # A comment that mentions asm( does not make a file touch the CPU.
        self.write("hal/irq/comment.c", "/* no asm(...) here */\n")
        portable = layers.portable_sources()
        self.assertIn("hal/irq/regs.c", portable)
        self.assertIn("hal/irq/comment.c", portable)
        self.assertNotIn("hal/irq/hw.c", portable)
        self.assertNotIn("hal/irq/uses_io.c", portable)
        self.assertNotIn("hal/irq/via_header.c", portable)


if __name__ == "__main__":
    unittest.main()


class ContractBuildsWithClang(unittest.TestCase):
    """hal/hal.h is the one header every portable file includes, and the fuzz
    targets compile it with clang, not gcc: a construct only gcc accepts (an
    __atomic builtin on an _Atomic object) once broke `make fuzz` while
    `make test` stayed green.  A syntax-only compile, well under a second."""

    def test_hal_contract_compiles_with_clang_for_the_host(self):
        clang = shutil.which("clang")
        if not clang:
            self.skipTest("clang not installed (scripts/deps.sh --fuzz)")
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        p = subprocess.run([clang, "-fsyntax-only", "-std=gnu11", "-Wall", "-Wextra",
                            "-Werror", "-Wno-unused-function", "-DCOOP_HOST", "-I", repo, "-x", "c",
                            os.path.join(repo, "hal", "hal.h")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

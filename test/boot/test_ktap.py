"""Unit tests of the KTAP parser (run by test/run.py as python/ktap/...)."""
import unittest

from boot import ktap

GOOD = """\
BdsDxe: loading Boot0002 "UEFI QEMU HARDDISK"
ok 99 noise before the version line is ignored
KTAP version 1
1..3
    KTAP version 1
    # Subtest: fmt
    1..2
    ok 1 hex_width
    # fmt.c:10: expected a == b
    #     a = 1 (0x1)
    not ok 2 padding
not ok 1 fmt
    KTAP version 1
    # Subtest: heap
    1..3
    ok 1 alloc # SKIP no heap yet
    not ok 2 known_bug # TODO issue 12
[  0.123] log: a kernel log line in the middle
    ok 3 free
ok 2 heap
ok 3 leaf_suite_without_cases
# ktest: FAILURES
"""


def by_name(outs):
    return {o.name: o for o in outs}


class KtapTest(unittest.TestCase):
    def test_statuses_and_names(self):
        outs = by_name(ktap.parse_outcomes(GOOD, "boot/x/"))
        self.assertEqual(outs["boot/x/fmt/hex_width"].status, "pass")
        self.assertEqual(outs["boot/x/fmt/padding"].status, "fail")
        self.assertEqual(outs["boot/x/heap/alloc"].status, "skip")
        self.assertEqual(outs["boot/x/heap/alloc"].reason, "no heap yet")
        self.assertEqual(outs["boot/x/heap/known_bug"].status, "xfail")
        self.assertEqual(outs["boot/x/heap/free"].status, "pass")
        self.assertEqual(outs["boot/x/leaf_suite_without_cases"].status, "pass")
        self.assertEqual(len(outs), 6, sorted(outs))

    def test_diagnostics_attach_to_the_next_result(self):
        outs = by_name(ktap.parse_outcomes(GOOD))
        self.assertEqual(outs["fmt/padding"].details,
                         ["fmt.c:10: expected a == b", "    a = 1 (0x1)"])
        self.assertEqual(outs["fmt/hex_width"].details, [])

    def test_tree(self):
        root = ktap.parse(GOOD)
        self.assertEqual(root.plan, 3)
        self.assertEqual([r.name for r in root.results],
                         ["fmt", "heap", "leaf_suite_without_cases"])
        self.assertEqual(root.results[1].subtests.name, "heap")
        self.assertEqual(root.results[1].subtests.plan, 3)
        self.assertFalse(root.results[0].ok)

    def test_no_ktap_is_a_failure(self):
        outs = ktap.parse_outcomes("coop 0.1\npanic: oops\n")
        self.assertEqual([o.status for o in outs], ["fail"])

    def test_crash_in_the_middle_of_a_suite(self):
        text = GOOD.split("    ok 3 free")[0] + "PANIC: page fault at 0x0\n"
        outs = ktap.parse_outcomes(text)
        names = {o.name: o.status for o in outs}
        self.assertEqual(names["fmt/padding"], "fail")
        self.assertEqual(names["heap/alloc"], "skip")   # cases before the crash
        self.assertEqual(names["heap"], "fail")          # the unfinished suite
        self.assertIn("2 of 3", by_name(outs)["heap"].reason)
        self.assertEqual(names["(incomplete)"], "fail")  # top plan 1..3, 1 result

    def test_short_plan_at_top_level(self):
        text = "KTAP version 1\n1..3\nok 1 a\nok 2 b\n"
        outs = by_name(ktap.parse_outcomes(text))
        self.assertEqual(outs["a"].status, "pass")
        self.assertEqual(outs["(incomplete)"].status, "fail")
        self.assertIn("after 'b'", outs["(incomplete)"].reason)

    def test_crlf_and_ansi_from_serial(self):
        text = "\x1b[2J\x1b[01;01HKTAP version 1\r\n1..1\r\nok 1 a # SKIP why\r\n"
        outs = ktap.parse_outcomes(text)
        self.assertEqual([(o.name, o.status, o.reason) for o in outs],
                         [("a", "skip", "why")])

    def test_suite_ok_but_case_failed_is_caught(self):
        text = ("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n"
                "    1..1\n    not ok 1 c\nok 1 s\n")
        outs = by_name(ktap.parse_outcomes(text))
        self.assertEqual(outs["s/c"].status, "fail")
        self.assertEqual(outs["s"].status, "fail")

    def test_empty_plan(self):
        outs = ktap.parse_outcomes("KTAP version 1\n1..0\n")
        self.assertEqual(outs, [])

    def test_no_plan_no_results_is_a_crash(self):
        outs = ktap.parse_outcomes("KTAP version 1\n")
        self.assertEqual([o.status for o in outs], ["fail"])


if __name__ == "__main__":
    unittest.main()

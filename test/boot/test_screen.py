"""Self-tests of the screen checks, on synthetic screens drawn by our renderer
with the real console fonts (run by test/run.py as python/screen/...)."""
import unittest

from boot.screen import Font, Screen, PALETTE

LINE = "console: 640x480 xrgb8888 font 8x16 grid 80x30"


class FontTest(unittest.TestCase):
    def test_both_kernel_fonts_parse(self):
        for size in ((8, 16), (16, 32)):
            f = Font.for_size(*size)
            self.assertEqual((f.width, f.height), size)
            self.assertGreaterEqual(len(f.glyphs), 256)
            # Every printable ASCII character has a glyph, and they differ.
            bits = {f.bits(f.glyph_for(chr(c))) for c in range(0x21, 0x7F)}
            self.assertEqual(len(bits), 0x7F - 0x21)

    def test_space_is_blank_and_a_is_not(self):
        f = Font.for_size(8, 16)
        self.assertEqual(f.bits(f.glyph_for(" ")), 0)
        self.assertNotEqual(f.bits(f.glyph_for("A")), 0)


class ScreenTest(unittest.TestCase):
    def setUp(self):
        self.s = Screen.blank(640, 480).use_console_line("noise\n" + LINE + "\n")
        self.s.draw_text(0, 0, "coop 0.1.0", fg=15, bg=1)
        self.s.draw_text(3, 5, "coop> help", fg=7, bg=0)

    def test_ppm_round_trip(self):
        again = Screen.from_ppm(self.s.to_ppm(), self.s.font)
        self.assertEqual(again.pixels, self.s.pixels)
        self.assertEqual((again.width, again.height), (640, 480))

    def test_ppm_with_comment(self):
        data = b"P6\n# made by hand\n2 1\n255\n" + bytes(PALETTE[4] + PALETTE[2])
        s = Screen.from_ppm(data)
        self.assertEqual(s.rgb(1, 0), PALETTE[2])

    def test_expect_text_passes_on_exact_pixels(self):
        self.s.expect_text(0, 0, "coop 0.1.0", fg=15, bg=1)
        self.s.expect_text(3, 5, "coop> help")

    def test_expect_text_names_the_wrong_cell(self):
        with self.assertRaises(AssertionError) as cm:
            self.s.expect_text(3, 5, "coop> halp")
        msg = str(cm.exception)
        self.assertIn("cell (10,5)", msg)
        self.assertIn("expected 'a', found 'e'", msg)
        self.assertIn("'coop> help'", msg)

    def test_expect_text_checks_colours(self):
        with self.assertRaises(AssertionError) as cm:
            self.s.expect_text(0, 0, "coop", fg=7, bg=0)
        self.assertIn("found 'c' (fg 15, bg 1)", str(cm.exception))

    def test_one_pixel_off_is_caught(self):
        x, y = 3 * 8 + 4, 5 * 16 + 8      # inside the 'c' of cell (3,5)
        was = self.s.rgb(x, y)
        self.s._set(x, y, PALETTE[15] if was == PALETTE[0] else PALETTE[0])
        with self.assertRaises(AssertionError):
            self.s.expect_text(3, 5, "c")

    def test_ocr_of_all_printable_ascii(self):
        text = "".join(chr(c) for c in range(0x20, 0x7F))
        for row, part in ((10, text[:60]), (11, text[60:])):
            self.s.draw_text(0, row, part, fg=14, bg=4)
            self.assertEqual(self.s.row_text(row, 0, len(part)), part)
        self.assertEqual(self.s.cell(1, 10), ("!", 14, 4))

    def test_find_text(self):
        self.assertEqual(self.s.find_text("coop>"), (3, 5))
        self.assertEqual(self.s.find_text("0.1.0"), (5, 0))
        self.assertIsNone(self.s.find_text("panic"))

    def test_big_font(self):
        s = Screen.blank(640, 480, Font.for_size(16, 32))
        s.draw_text(2, 1, "Hello, coop!", fg=10)
        s.expect_text(2, 1, "Hello, coop!", fg=10)
        self.assertEqual(s.find_text("coop!"), (9, 1))

    def test_console_line_must_match_the_dump(self):
        with self.assertRaises(AssertionError):
            Screen.blank(800, 600).use_console_line(LINE)


if __name__ == "__main__":
    unittest.main()

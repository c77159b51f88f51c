"""Screen checks: PPM screendumps, PSF fonts, and text matching by pixels.

The kernel draws text cell by cell with a PSF font from Debian's
console-setup-linux, in the VGA palette.  Given the same font, a test renders
what a cell must look like and compares exact pixels.  When a check fails,
each cell is recognised (a tiny OCR: its two colours and the glyph whose
bitmap it matches) so the message says what the screen shows instead.

The grid geometry comes from the kernel's serial line
`console: <W>x<H> <fmt> [<bits>-bit] font <fw>x<fh> grid <cols>x<rows>`; Screen.from_console_line
does the parsing.  Cells start at the top-left pixel, cell (c, r) at
(c * fw + ox, r * fh + oy) with origin (ox, oy) = (0, 0) unless given.
"""
import gzip
import re

FONT_DIR = "/usr/share/consolefonts"
FONTS = {  # (width, height) -> file, the fonts the kernel embeds
    (8, 16): f"{FONT_DIR}/Lat15-Terminus16.psf.gz",
    (16, 32): f"{FONT_DIR}/Lat15-Terminus32x16.psf.gz",
}

PALETTE = [  # VGA palette, index -> (r, g, b); shared with the kernel (BRIEF.md)
    (0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
    (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
    (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
    (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF),
]
_COLOUR_INDEX = {rgb: i for i, rgb in enumerate(PALETTE)}

CONSOLE_LINE = re.compile(
    r"console: (\d+)x(\d+) (\S+)(?: \d+-bit)? font (\d+)x(\d+) grid (\d+)x(\d+)")


class Font:
    """A PSF1 or PSF2 font: glyph bitmaps (rows of ints, MSB = leftmost pixel)
    and the Unicode table mapping characters to glyphs."""

    def __init__(self, width, height, glyphs, unicode_map):
        self.width, self.height = width, height
        self.glyphs = glyphs            # list of lists of row ints
        self.unicode_map = unicode_map  # char -> glyph index
        self._by_bits = None

    @classmethod
    def load(cls, path):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            return cls.parse(f.read())

    @classmethod
    def for_size(cls, width, height):
        return cls.load(FONTS[(width, height)])

    @classmethod
    def parse(cls, data):
        if data[:2] == b"\x36\x04":
            return cls._parse_psf1(data)
        if data[:4] == b"\x72\xb5\x4a\x86":
            return cls._parse_psf2(data)
        raise ValueError("not a PSF1/PSF2 font")

    @classmethod
    def _parse_psf1(cls, data):
        mode, height = data[2], data[3]
        count = 512 if mode & 0x01 else 256
        glyphs = [list(data[4 + i * height: 4 + (i + 1) * height]) for i in range(count)]
        umap = {}
        if mode & 0x06:     # PSF1_MODEHASTAB / MODEHASSEQ: UCS-2 table
            pos = 4 + count * height
            for index in range(count):
                in_sequence = False
                while pos + 1 < len(data):
                    u = data[pos] | data[pos + 1] << 8
                    pos += 2
                    if u == 0xFFFF:
                        break
                    if u == 0xFFFE:
                        in_sequence = True
                    elif not in_sequence:
                        umap.setdefault(chr(u), index)
        return cls(8, height, glyphs, umap or {chr(i): i for i in range(count)})

    @classmethod
    def _parse_psf2(cls, data):
        words = [int.from_bytes(data[i:i + 4], "little") for i in range(4, 32, 4)]
        _version, header, flags, count, charsize, height, width = words
        row_bytes = (width + 7) // 8
        glyphs = []
        for i in range(count):
            g = data[header + i * charsize: header + (i + 1) * charsize]
            glyphs.append([int.from_bytes(g[r * row_bytes:(r + 1) * row_bytes], "big")
                           for r in range(height)])
        umap = {}
        if flags & 1:       # UTF-8 table: per glyph, chars, 0xFE sequences, 0xFF end
            pos = header + count * charsize
            for index in range(count):
                end = data.index(b"\xff", pos)
                entry = data[pos:end].split(b"\xfe")[0]
                for ch in entry.decode("utf-8", "replace"):
                    umap.setdefault(ch, index)
                pos = end + 1
        return cls(width, height, glyphs, umap or {chr(i): i for i in range(count)})

    def glyph_for(self, ch):
        """Glyph index for `ch`; unknown characters fall back to '?'."""
        return self.unicode_map.get(ch, self.unicode_map.get("?", 0))

    def pixel(self, glyph, x, y):
        """True if pixel (x, y) of `glyph` is foreground."""
        row_bits = ((self.width + 7) // 8) * 8
        return bool(self.glyphs[glyph][y] >> (row_bits - 1 - x) & 1)

    def bits(self, glyph):
        """The whole glyph as one int (rows concatenated), for fast matching."""
        v = 0
        for y in range(self.height):
            for x in range(self.width):
                v = v << 1 | self.pixel(glyph, x, y)
        return v

    def char_by_bits(self):
        """Glyph bitmap int -> character, preferring printable ASCII."""
        if self._by_bits is None:
            table = {}
            for ch, g in sorted(self.unicode_map.items(),
                                key=lambda kv: (not (" " <= kv[0] <= "~"), kv[0])):
                table.setdefault(self.bits(g), ch)
            self._by_bits = table
        return self._by_bits


class Screen:
    """An RGB image (from a PPM) plus the console grid laid over it."""

    def __init__(self, width, height, pixels, font=None, origin=(0, 0)):
        self.width, self.height = width, height
        self.pixels = pixels          # bytearray, 3 bytes per pixel, row-major
        self.font = font
        self.origin = origin

    # ---- construction ----------------------------------------------------
    @classmethod
    def from_ppm(cls, data, font=None):
        """Parses a binary PPM (P6, maxval 255), as QMP screendump writes."""
        tokens, pos = [], 0
        while len(tokens) < 4:
            while data[pos:pos + 1].isspace():
                pos += 1
            if data[pos:pos + 1] == b"#":
                pos = data.index(b"\n", pos) + 1
                continue
            start = pos
            while not data[pos:pos + 1].isspace():
                pos += 1
            tokens.append(data[start:pos])
        if tokens[0] != b"P6" or int(tokens[3]) != 255:
            raise ValueError(f"unsupported PPM: {tokens[0]!r} maxval {tokens[3]!r}")
        w, h = int(tokens[1]), int(tokens[2])
        pixels = bytearray(data[pos + 1: pos + 1 + w * h * 3])
        if len(pixels) != w * h * 3:
            raise ValueError("truncated PPM")
        return cls(w, h, pixels, font)

    @classmethod
    def blank(cls, width, height, font=None, bg=0):
        return cls(width, height, bytearray(bytes(PALETTE[bg]) * (width * height)), font)

    def to_ppm(self):
        return b"P6\n%d %d\n255\n" % (self.width, self.height) + bytes(self.pixels)

    def use_console_line(self, serial_text):
        """Picks the font from the kernel's `console:` line in the serial log."""
        m = CONSOLE_LINE.search(serial_text)
        if not m:
            raise AssertionError("no 'console: WxH ... font FWxFH grid CxR' line on serial")
        w, h, _fmt, fw, fh, cols, rows = m.groups()
        if (int(w), int(h)) != (self.width, self.height):
            raise AssertionError(f"kernel says {w}x{h}, screendump is "
                                 f"{self.width}x{self.height}")
        self.font = Font.for_size(int(fw), int(fh))
        return self

    # ---- geometry --------------------------------------------------------
    @property
    def cols(self):
        return (self.width - self.origin[0]) // self.font.width

    @property
    def rows(self):
        return (self.height - self.origin[1]) // self.font.height

    def rgb(self, x, y):
        i = (y * self.width + x) * 3
        return tuple(self.pixels[i:i + 3])

    def _set(self, x, y, rgb):
        i = (y * self.width + x) * 3
        self.pixels[i:i + 3] = bytes(rgb)

    def _cell_xy(self, col, row):
        return (self.origin[0] + col * self.font.width,
                self.origin[1] + row * self.font.height)

    # ---- rendering (what the kernel should have drawn) --------------------
    def draw_text(self, col, row, text, fg=7, bg=0):
        """Renders `text` like the kernel does: glyph pixels in fg, the rest bg."""
        for i, ch in enumerate(text):
            x0, y0 = self._cell_xy(col + i, row)
            if col + i >= self.cols or row >= self.rows:
                raise ValueError(f"cell ({col + i},{row}) is off the grid")
            g = self.font.glyph_for(ch)
            for y in range(self.font.height):
                for x in range(self.font.width):
                    colour = fg if self.font.pixel(g, x, y) else bg
                    self._set(x0 + x, y0 + y, PALETTE[colour])

    # ---- recognition -----------------------------------------------------
    def cell(self, col, row):
        """(char, fg, bg) recognised in a cell.  char is None when the pixels
        match no glyph in two palette colours; fg/bg are palette indexes, or
        an "#rrggbb" string for colours outside the palette."""
        x0, y0 = self._cell_xy(col, row)
        fw, fh = self.font.width, self.font.height
        w3 = self.width * 3
        rows = [bytes(self.pixels[(y0 + y) * w3 + x0 * 3:(y0 + y) * w3 + (x0 + fw) * 3])
                for y in range(fh)]
        first = rows[0][:3]
        if rows.count(first * fw) == fh:        # fast path: a blank cell
            c = _colour_name(first)
            return (" ", c, c)
        cells = [r[k:k + 3] for r in rows for k in range(0, fw * 3, 3)]
        counts = {}
        for px in cells:
            counts[px] = counts.get(px, 0) + 1
        colours = sorted(counts, key=counts.get, reverse=True)
        if len(colours) == 1:
            c = _colour_name(colours[0])
            return (" ", c, c)
        if len(colours) > 2:
            return (None, _colour_name(colours[1]), _colour_name(colours[0]))
        table = self.font.char_by_bits()
        for bg, fg in (colours, colours[::-1]):
            bits = 0
            for px in cells:
                bits = bits << 1 | (px == fg)
            if bits in table:
                return (table[bits], _colour_name(fg), _colour_name(bg))
        return (None, _colour_name(colours[1]), _colour_name(colours[0]))

    def row_text(self, row, col=0, length=None):
        """OCR of a row: unknown cells read as '\u00bf'."""
        end = self.cols if length is None else min(self.cols, col + length)
        return "".join(self.cell(c, row)[0] or "\u00bf" for c in range(col, end))

    def text(self):
        return "\n".join(self.row_text(r).rstrip() for r in range(self.rows))

    # ---- assertions ------------------------------------------------------
    def expect_text(self, col, row, text, fg=7, bg=0):
        """Asserts that `text` is drawn at (col, row) in exactly the pixels
        the font and colours give.  Raises AssertionError naming the first
        wrong cell and what the screen shows there."""
        fw, fh = self.font.width, self.font.height
        for i, ch in enumerate(text):
            x0, y0 = self._cell_xy(col + i, row)
            if x0 + fw > self.width or y0 + fh > self.height:
                raise AssertionError(f"cell ({col + i},{row}) is off the "
                                     f"{self.cols}x{self.rows} grid")
            g = self.font.glyph_for(ch)
            for y in range(fh):
                for x in range(fw):
                    want = PALETTE[fg if self.font.pixel(g, x, y) else bg]
                    if self.rgb(x0 + x, y0 + y) != want:
                        self._fail(col, row, text, i, fg, bg)

    def _fail(self, col, row, text, i, fg, bg):
        got, gfg, gbg = self.cell(col + i, row)
        shown = self.row_text(row, col, max(len(text), 1))
        raise AssertionError(
            f"screen text at ({col},{row}): expected {text!r} (fg {fg}, bg {bg}); "
            f"first mismatch at cell ({col + i},{row}): expected {text[i]!r}, "
            f"found {got!r} (fg {gfg}, bg {gbg}); the screen reads {shown!r} there; "
            f"row {row} reads {self.row_text(row).rstrip()!r}")

    def find_text(self, needle):
        """(col, row) of the first occurrence of `needle` by OCR, or None."""
        for r in range(self.rows):
            c = self.row_text(r).find(needle)
            if c >= 0:
                return (c, r)
        return None


def _colour_name(px):
    rgb = tuple(px)
    return _COLOUR_INDEX.get(rgb, "#%02x%02x%02x" % rgb)

#!/usr/bin/env python3
"""acpi-malformed.py — derive broken ACPI test images from real ones.

    scripts/acpi-malformed.py [test/data/acpi]

Reads q35.acpimem (captured by scripts/acpi-capture.py) and writes one copy
per kind of damage that firmware is known to ship or that a corrupt pointer
produces.  Each copy changes one thing; where the damage is not the checksum
itself, the checksum is fixed up afterwards so that the parser has to catch
the damage on its own merits.  test/data/acpi/README.md lists what the parser
must make of each.
"""
import os
import struct
import sys


def load(path):
    d = open(path, "rb").read()
    assert d[:8] == b"COOPACPI"
    rsdp = struct.unpack_from("<Q", d, 8)[0]
    recs, off = {}, 16
    while off < len(d):
        pa, n, _ = struct.unpack_from("<QII", d, off)
        recs[pa] = bytearray(d[off + 16:off + 16 + n])
        off += 16 + n
    return rsdp, recs


def save(path, rsdp, recs):
    with open(path, "wb") as f:
        f.write(b"COOPACPI" + struct.pack("<Q", rsdp))
        for pa in sorted(recs):
            f.write(struct.pack("<QII", pa, len(recs[pa]), 0) + bytes(recs[pa]))


def find(recs, sig):
    for pa, t in recs.items():
        if bytes(t[:4]) == sig:
            return pa, t
    raise KeyError(sig)


def fix_checksum(t):
    t[9] = 0
    t[9] = (-sum(t)) & 0xff


def madt_entries(t):
    off = 44
    while off + 2 <= len(t) and t[off + 1] >= 2:
        yield off, t[off], t[off + 1]
        off += t[off + 1]


def entry_of_type(t, kind, nth=0):
    return [off for off, ty, _ in madt_entries(t) if ty == kind][nth]


def madt_badsum(rsdp, recs):
    """The MADT's checksum is off by one: the MADT is rejected."""
    _, t = find(recs, b"APIC")
    t[9] = (t[9] + 1) & 0xff


def madt_truncated(rsdp, recs):
    """The MADT's header says 144 bytes, but only 100 are readable."""
    pa, t = find(recs, b"APIC")
    recs[pa] = t[:100]


def madt_zero_length(rsdp, recs):
    """The IOAPIC entry's length byte is 0 (a naive parser loops forever);
    the CPUs before it are kept, everything from it on is dropped."""
    _, t = find(recs, b"APIC")
    t[entry_of_type(t, 1) + 1] = 0
    fix_checksum(t)


def madt_entry_overruns(rsdp, recs):
    """The last entry claims 40 bytes, running past the table's end."""
    _, t = find(recs, b"APIC")
    last = list(madt_entries(t))[-1][0]
    t[last + 1] = 40
    fix_checksum(t)


def madt_entry_overlaps(rsdp, recs):
    """The IOAPIC entry claims 22 bytes, swallowing the IRQ 0 override
    that follows it: the override is lost, with a warning."""
    _, t = find(recs, b"APIC")
    t[entry_of_type(t, 1) + 1] = 22
    fix_checksum(t)


def madt_short_entry(rsdp, recs):
    """The first override entry is 9 bytes instead of 10; the entries are
    repacked so that the table stays consistent: that entry is skipped."""
    _, t = find(recs, b"APIC")
    off = entry_of_type(t, 2)
    del t[off + 9]
    t[off + 1] = 9
    struct.pack_into("<I", t, 4, len(t))
    fix_checksum(t)


def xsdt_badsum(rsdp, recs):
    """The XSDT's checksum is wrong: the parser must fall back to the RSDT."""
    _, t = find(recs, b"XSDT")
    t[9] = (t[9] + 1) & 0xff


def xsdt_duplicate(rsdp, recs):
    """The XSDT lists the MADT twice (its last entry, the WAET, points at
    the MADT): the second copy overlaps the first and is ignored."""
    _, x = find(recs, b"XSDT")
    madt, _ = find(recs, b"APIC")
    struct.pack_into("<Q", x, len(x) - 8, madt)
    fix_checksum(x)


def xsdt_partial(rsdp, recs):
    """The XSDT's length cuts its last entry in half."""
    _, x = find(recs, b"XSDT")
    struct.pack_into("<I", x, 4, len(x) - 4)
    del x[len(x) - 4:]
    fix_checksum(x)


def hpet_zero_length(rsdp, recs):
    """The HPET table's length field is 0."""
    _, t = find(recs, b"HPET")
    struct.pack_into("<I", t, 4, 0)
    fix_checksum(t)


def rsdp_badsum(rsdp, recs):
    """The RSDP's first checksum is wrong: no ACPI at all."""
    r = recs[rsdp]
    r[8] = (r[8] + 1) & 0xff


DAMAGE = [madt_badsum, madt_truncated, madt_zero_length, madt_entry_overruns,
          madt_entry_overlaps, madt_short_entry, xsdt_badsum, xsdt_duplicate,
          xsdt_partial, hpet_zero_length, rsdp_badsum]


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "test/data/acpi"
    for fn in DAMAGE:
        rsdp, recs = load(os.path.join(folder, "q35.acpimem"))
        fn(rsdp, recs)
        name = "q35-" + fn.__name__.replace("_", "-") + ".acpimem"
        save(os.path.join(folder, name), rsdp, recs)
        print(f"{name}: {fn.__doc__.split(chr(10))[0]}")


if __name__ == "__main__":
    main()

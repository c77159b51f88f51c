#!/usr/bin/env python3
"""acpi-capture.py — dump a QEMU machine's ACPI tables as a coop test image.

    scripts/acpi-capture.py OUT.acpimem [--machine q35] [--smp 4] [-- QEMU ARGS...]

Boots BOOTX64.EFI under QEMU + OVMF, reads the RSDP address from the kernel's
`acpi: RSDP at 0x...` boot line, and copies guest physical memory out with
QMP `pmemsave`: the RSDP, the RSDT and XSDT, and every table they list (not
the DSDT or FACS, which coop does not parse).  Nothing inside the guest is
trusted: lengths are capped and the walk stops at anything odd.

The output (test/data/acpi/README.md describes it) is the format the host
tests and the ACPI fuzzer read: "COOPACPI", the RSDP's physical address, then
records of (u64 physical address, u32 length, u32 zero, bytes).
"""
import argparse
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test"))
from boot.qemu import Machine  # noqa: E402

MAX_TABLE = 1 << 20


def read_phys(m, pa, n):
    fd, path = tempfile.mkstemp(prefix="coop-pmem-")
    os.close(fd)
    try:
        os.unlink(path)      # QEMU creates it; a stale file would hide an error
        m.qmp.execute("pmemsave", val=pa, size=n, filename=path)
        with open(path, "rb") as f:
            data = f.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)
    if len(data) != n:
        raise RuntimeError(f"pmemsave 0x{pa:x}+{n}: got {len(data)} bytes")
    return data


def read_table(m, pa):
    head = read_phys(m, pa, 36)
    length = struct.unpack_from("<I", head, 4)[0]
    if not 36 <= length <= MAX_TABLE:
        raise RuntimeError(f"table at 0x{pa:x}: implausible length {length}")
    return read_phys(m, pa, length)


def capture(m, rsdp_pa):
    records = {}
    rsdp = read_phys(m, rsdp_pa, 36)
    if rsdp[:8] != b"RSD PTR ":
        raise RuntimeError(f"no RSDP signature at 0x{rsdp_pa:x}")
    rev = rsdp[15]
    records[rsdp_pa] = rsdp[:36] if rev >= 2 else rsdp[:20]
    roots = [(struct.unpack_from("<I", rsdp, 16)[0], 4)]
    if rev >= 2:
        roots.append((struct.unpack_from("<Q", rsdp, 24)[0], 8))
    for root_pa, width in roots:
        if not root_pa:
            continue
        root = read_table(m, root_pa)
        records[root_pa] = root
        for off in range(36, len(root) - width + 1, width):
            pa = int.from_bytes(root[off:off + width], "little")
            if pa and pa not in records:
                records[pa] = read_table(m, pa)
    return records


def write_image(path, rsdp_pa, records):
    with open(path, "wb") as f:
        f.write(b"COOPACPI" + struct.pack("<Q", rsdp_pa))
        for pa in sorted(records):
            data = records[pa]
            f.write(struct.pack("<QII", pa, len(data), 0) + data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--efi", default="esp/EFI/BOOT/BOOTX64.EFI")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--memory", default="128M")
    ap.add_argument("qemu_args", nargs="*")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="coop-acpi-") as work:
        with Machine(a.efi, work, machine=a.machine, smp=a.smp, memory=a.memory,
                     extra_args=a.qemu_args, display="none", timeout=120) as m:
            match = m.wait_for_serial(r"^acpi: RSDP at 0x([0-9a-f]+)", timeout=90)
            rsdp_pa = int(match.group(1), 16)
            records = capture(m, rsdp_pa)
            m.stop()
    write_image(a.out, rsdp_pa, records)
    sigs = ", ".join(f"{records[pa][:4].decode('ascii', 'replace')}@0x{pa:x}"
                     for pa in sorted(records))
    print(f"{a.out}: RSDP at 0x{rsdp_pa:x}; {sigs}")


if __name__ == "__main__":
    main()

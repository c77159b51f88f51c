#!/usr/bin/env python3
"""Build check: BOOTX64.EFI may carry only R_X86_64_RELATIVE relocations, and
none of them may patch .text.

gnu-efi's _relocate applies the ELF dynamic relocations at start-up.  It
understands only RELATIVE ones (base + addend); anything else would leave a
pointer unrelocated and crash at run time far from its cause.  A relocation
inside .text would also mean code that must be written at load time, which
the kernel's W^X mapping later forbids.  Usage: check-relocs.py coop.so
"""
import re
import subprocess
import sys


def sections(path):
    out = subprocess.run(["readelf", "-SW", path], check=True,
                         capture_output=True, text=True).stdout
    result = {}
    for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", out):
        result[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return result


def relocations(path):
    out = subprocess.run(["readelf", "-rW", path], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]{8,})\s+[0-9a-f]+\s+(R_X86_64_\w+)", line)
        if m:
            yield int(m.group(1), 16), m.group(2)


def main():
    path = sys.argv[1]
    secs = sections(path)
    text_start, text_size = secs[".text"]
    errors = []
    count = 0
    for offset, kind in relocations(path):
        count += 1
        if kind != "R_X86_64_RELATIVE":
            errors.append(f"{kind} at 0x{offset:x}: only R_X86_64_RELATIVE is applied by _relocate")
        elif text_start <= offset < text_start + text_size:
            errors.append(f"relocation at 0x{offset:x} patches .text (build with -fpic)")
    dyn = subprocess.run(["readelf", "-dW", path], check=True,
                         capture_output=True, text=True).stdout
    if "TEXTREL" in dyn:
        errors.append("the image has text relocations (DT_TEXTREL)")
    if errors:
        for e in errors[:20]:
            print(f"check-relocs: {path}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates the kernel's embedded symbol table, for symbolic backtraces.

    gen-ksyms.py --empty            placeholder for the first link pass
    gen-ksyms.py coop.pass1.so      table of the text symbols of pass 1
    gen-ksyms.py --check a.so b.so  fails unless both have the same text symbols

The table holds offsets from the image base and offsets into one string
blob, so it needs no relocations.  It is placed last in .rodata (section
"ksyms"), after all code, so its size cannot move any function between the
two link passes; --check proves that.
"""
import subprocess
import sys


def text_symbols(path):
    out = subprocess.run(["nm", "-n", "--defined-only", path], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tT" and not parts[2].startswith("."):
            syms.append((int(parts[0], 16), parts[2]))
    # Where a function shares its address with a section marker such as
    # probe_start, name the function.
    by_addr = {}
    for addr, name in syms:
        marker = name.endswith("_start") or name.endswith("_end")
        if addr not in by_addr or not marker:
            by_addr[addr] = name
    return sorted(by_addr.items())


HEADER = '#include "kernel/ksyms.h"\n\n#define KSYMS __attribute__((section("ksyms"), used))\n'


def emit(syms):
    names = bytearray()
    rows = []
    for addr, name in syms:
        rows.append(f"\t{{ 0x{addr:x}, {len(names)} }}, /* {name} */")
        names += name.encode() + b"\0"
    print(HEADER)
    print(f"const uint32_t ksym_count KSYMS = {len(syms)};")
    print("const struct ksym ksym_table[] KSYMS = {")
    print("\n".join(rows) if rows else "\t{ 0, 0 },")
    print("};")
    blob = "".join(f"\\x{b:02x}" for b in names) or "\\0"
    chunks = [blob[i:i + 96] for i in range(0, len(blob), 96)]
    print("const char ksym_names[] KSYMS =")
    print("\n".join(f'\t"{c}"' for c in chunks) + ";")


def main():
    if sys.argv[1] == "--empty":
        emit([])
    elif sys.argv[1] == "--check":
        a, b = text_symbols(sys.argv[2]), text_symbols(sys.argv[3])
        if a != b:
            moved = [f"{n}: 0x{x:x} -> 0x{y:x}" for (x, n), (y, m) in zip(a, b) if x != y or n != m]
            print("gen-ksyms: text symbols moved between link passes:", *moved[:5],
                  sep="\n  ", file=sys.stderr)
            sys.exit(1)
    else:
        emit(text_symbols(sys.argv[1]))


if __name__ == "__main__":
    main()

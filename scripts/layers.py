#!/usr/bin/env python3
"""layers.py — coop's layers, written down once and checked.

    scripts/layers.py --check      fail (exit 1) on any include that points up,
                                   inline asm or port I/O outside hal/, or
                                   boot services outside efi/; one line each
                                   (--by-rule: each line starts with its rule)
    scripts/layers.py --portable   print the sources that build for the host

The layers, bottom up.  A file may include its own folder, anything in a
lower layer, and the few contract headers named below; nothing else.

    kernel/lib/     portable code with no kernel state (string, printf,
                    command line, memory-map summary), used by every layer
    hal/            the x86 hardware; may reach kernel/lib/ and
                    kernel/boot_info.h (the loader's contract) only
    mm/             frames, page tables, heap
    sched/          futures, wakers, executor; through mm/heap.h for memory
    kernel/...      the wings, in order: acpi < input < usb < console < shell
                    (the console's status line shows the keyboards); the
                    kernel/ root (boot sequence, panic, log, locks) sits on
                    top, and its headers other than kernel/kernel.h are the
                    entry points the wings may call
    efi/            the loader: kernel/boot_info.h and kernel/lib/ only; the
                    firmware's own headers come through efi/loader.h, and
                    what does without it (the exit logic, the GOP mode
                    choice, written over plain C) builds for the host
    test/           may include anything

mm/ and sched/ may call the kernel's panic and log entry points
(kernel/panic.h, kernel/log.h): they report, they do not format screens.

Portable code reaches the CPU only through hal/hal.h, so it builds for the
host too, where test/host/fake_hal.c stands in.  sched/, kernel/lib/ and
kernel/acpi/ must be portable.  In mm/ and the kernel/ wings, a source that
includes any other hal/ header is kernel-only; every other source there is
portable and is built for the host.  A hal/ source with no inline asm or
port I/O, in itself or in the hal/ headers it includes, is built for the
host too, so that tests can run it over fakes (test/host/fake_lapic.c).  No
list to keep: add a file and the host build, fuzzers and benchmarks pick it
up.
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Headers any layer may include: the contracts between layers.
BOOT_INFO = "kernel/boot_info.h"
REPORTING = ("kernel/panic.h", "kernel/log.h")
HAL_CONTRACT = "hal/hal.h"

# Where each kernel/ wing sits: a wing may include the ones before it.
WINGS = ["kernel/lib", "kernel/acpi", "kernel/input", "kernel/usb",
         "kernel/console", "kernel/shell"]
# The boot sequence's own header: only the kernel/ root includes it, so
# nothing the boot starts can call back into the boot.
BOOT_STEPS = "kernel/kernel.h"

# Folders whose sources are portable unless they include hardware headers.
# In efi/, the firmware's headers come through efi/loader.h: the sources
# that do without it (the exit logic over plain C) are host-tested too.
HOST_FOLDERS = ["mm", "sched", "kernel/lib", "kernel/acpi", "kernel/console",
                "kernel/input", "kernel/usb", "kernel/shell", "efi"]
FIRMWARE_HEADER = "efi/loader.h"
# Folders that must be portable through and through.
MUST_BE_PORTABLE = ["sched", "kernel/lib", "kernel/acpi"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
ASM = re.compile(r'\b(__asm__|asm)\s*(volatile|__volatile__|goto)?\s*\(')
PORT_IO = re.compile(r'\b(inb|inw|inl|outb|outw|outl|insw|outsw)\s*\(')
BOOT_SERVICES = re.compile(r'#\s*include\s*<efi(lib)?\.h>|\bBootServices\b|'
                           r'\buefi_call_wrapper\b|\bgBS\b|\bEFI_BOOT_SERVICES\b')


def folder_of(path):
    """The layer folder a path belongs to: 'kernel/shell', 'hal', 'mm', ..."""
    parts = path.split("/")
    if parts[0] == "kernel" and len(parts) > 2:
        return "kernel/" + parts[1]
    return parts[0]


def under(path, folder):
    return path == folder or path.startswith(folder + "/")


def allowed(src, inc):
    """None if src may include inc, else the reason it may not."""
    sf, inf = folder_of(src), folder_of(inc)
    if sf == "test" or sf == inf:
        return None
    if sf == "hal":
        if under(inc, "kernel/lib") or inc == BOOT_INFO:
            return None
        return "hal/ includes only hal/, kernel/lib/ and kernel/boot_info.h"
    if sf == "efi":
        if under(inc, "kernel/lib") or inc == BOOT_INFO:
            return None
        return "efi/ includes only efi/, kernel/lib/ and kernel/boot_info.h"
    if sf == "kernel/lib":
        if inc == BOOT_INFO:
            return None
        return "kernel/lib/ is the bottom layer: it includes only kernel/lib/ and " + BOOT_INFO
    if sf in ("mm", "sched"):
        if under(inc, "kernel/lib") or inc in (BOOT_INFO,) + REPORTING:
            return None
        if inf == "hal":
            return None
        if sf == "sched" and inf == "mm":
            return None
        return (f"{sf}/ may include from kernel/ only kernel/lib/, {BOOT_INFO} and "
                f"{', '.join(REPORTING)}; mm/ never includes sched/")
    if sf in WINGS:
        if inc == BOOT_STEPS:
            return f"only the kernel/ root includes {BOOT_STEPS} (the boot steps)"
        if inf in ("hal", "mm", "sched") or inf == "kernel":
            return None
        if inf in WINGS and WINGS.index(inf) < WINGS.index(sf):
            return None
        return f"{sf}/ may not include {inf}/ (order: {' < '.join(WINGS)})"
    if sf == "kernel":
        return None     # the boot sequence: the top
    return f"{inf}/ is not a layer {sf}/ may use"


def sources(top):
    """Every C/asm source and header under top, as repo-relative paths."""
    out = []
    for root, dirs, files in os.walk(os.path.join(REPO, top)):
        dirs[:] = sorted(d for d in dirs if d not in ("corpus", "__pycache__"))
        for f in sorted(files):
            if f.endswith((".c", ".h", ".S")):
                out.append(os.path.relpath(os.path.join(root, f), REPO))
    return out


def includes(path):
    with open(os.path.join(REPO, path), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1)


def hardware_includes(path):
    return [inc for _, inc in includes(path)
            if (inc.startswith("hal/") and inc != HAL_CONTRACT) or inc == FIRMWARE_HEADER]


def touches_cpu(path, seen=None):
    """True if path, or a hal/ header it includes (transitively), has inline
    asm or port I/O.  hal/hal.h is the contract and does not count: the
    host build gets its fake."""
    seen = set() if seen is None else seen
    if path in seen or not os.path.exists(os.path.join(REPO, path)):
        return False
    seen.add(path)
    with open(os.path.join(REPO, path), encoding="utf-8", errors="replace") as f:
        code = strip_comments(f.read())
    if path.endswith(".S") or ASM.search(code) or PORT_IO.search(code):
        return True
    return any(touches_cpu(inc, seen) for _, inc in includes(path)
               if inc.startswith("hal/") and inc != HAL_CONTRACT)


def portable_sources():
    out = []
    for folder in HOST_FOLDERS:
        for s in sources(folder):
            if s.endswith(".c") and not hardware_includes(s):
                out.append(s)
    # hal/ sources that touch no CPU primitive themselves build for the host
    # too, where tests drive them over fakes of the primitives they declare
    # (the local APIC's registers over a fake MSR/MMIO backend).
    out += [s for s in sources("hal") if s.endswith(".c") and not touches_cpu(s)]
    return out


def strip_comments(text):
    """C text with comments and string literals blanked (lines kept)."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(\\.|[^"\\\n])*"', blank, text, flags=re.S)


# The rules, as make test names them.
RULES = ("includes_point_down", "asm_and_port_io_only_in_hal", "boot_services_only_in_efi")


def check_file(path):
    """(rule, message) for every problem in one file."""
    problems = []
    for n, inc in includes(path):
        if not os.path.exists(os.path.join(REPO, inc)):
            continue    # generated (build/gen) or a system-style quoted header
        why = allowed(path, inc)
        if why:
            problems.append((RULES[0], f"{path}:{n}: includes \"{inc}\": {why}"))
        elif (any(under(path, f) for f in MUST_BE_PORTABLE)
              and inc.startswith("hal/") and inc != HAL_CONTRACT):
            problems.append((RULES[0], f"{path}:{n}: includes \"{inc}\": {folder_of(path)}/ is "
                                       f"portable and reaches the CPU only through {HAL_CONTRACT}"))
    with open(os.path.join(REPO, path), encoding="utf-8", errors="replace") as f:
        raw = f.read()
    code = raw if path.endswith(".S") else strip_comments(raw)
    top = folder_of(path)
    for n, line in enumerate(code.split("\n"), 1):
        if top != "hal" and (ASM.search(line) or path.endswith(".S")):
            problems.append((RULES[1], f"{path}:{n}: inline asm outside hal/"))
            if path.endswith(".S"):
                break
        if top != "hal" and PORT_IO.search(line):
            problems.append((RULES[1], f"{path}:{n}: port I/O outside hal/: {line.strip()}"))
        if top != "efi" and BOOT_SERVICES.search(line):
            problems.append((RULES[2], f"{path}:{n}: boot services or efi.h outside efi/: "
                                       f"{line.strip()}"))
    return problems


def check(tops=("efi", "hal", "kernel", "mm", "sched", "test")):
    problems = []
    for top in tops:
        for s in sources(top):
            problems += check_file(s)
    return problems


def main(argv):
    if argv[1:] == ["--portable"]:
        print("\n".join(portable_sources()))
        return 0
    if argv[1:] == ["--check"]:
        problems = check()
        for _, msg in problems:
            print(msg)
        return 1 if problems else 0
    if argv[1:] == ["--check", "--by-rule"]:   # for test/run.py
        for rule in RULES:
            print("rule", rule)
        problems = check()
        for rule, msg in problems:
            print(rule, msg)
        return 1 if problems else 0
    print(__doc__.split("\n\n")[0] + "\nusage: layers.py --check | --portable",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

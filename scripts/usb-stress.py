#!/usr/bin/env python3
"""usb-stress.py — hot-plug stress for the USB stack (make test-usb-stress).

    scripts/usb-stress.py [--rounds N] [--seed S] [--cmdline usb=poll] [esp/EFI/BOOT/BOOTX64.EFI]

Boots coop with an empty xHCI controller and, N times, plugs in a hub with
a keyboard behind it and a keyboard on a root port, then pulls them again
after random delays (0-1.5 s), so plugs and pulls land in every phase of
enumeration: debounce, reset, descriptors, configuration, the hub's power-up.
Then checks what must hold after any such sequence:
  - no USB warning was printed (a device that leaves is not an error);
  - lsusb shows no device, and the frame allocator is back where it started
    (every context, ring and bounce frame was freed);
  - the heap's live allocations did not grow with the rounds (checked at
    every 20th round: a leak grows, a grown table does not);
  - a keyboard plugged in afterwards types into the shell.
Prints one line per check and exits non-zero on any failure.
"""
import argparse
import os
import random
import re
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "test"))

from boot.qemu import Machine  # noqa: E402


def mem(m):
    start = len(m.serial_text())
    m.write_serial("mem\r")
    m.wait_for_serial(r"^heap:.*live allocations", timeout=20, start=start)
    text = m.serial_text()[start:]
    allocs, frees = map(int, re.search(r"\((\d+) allocs, (\d+) frees\)", text).groups())
    live = int(re.search(r"(\d+) live allocations", text).group(1))
    return allocs - frees, live


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("efi", nargs="?", default=os.path.join(REPO, "esp/EFI/BOOT/BOOTX64.EFI"))
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cmdline", default="",
                    help="the kernel's command line: usb=poll stresses the polled path")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    failures = []

    def check(name, ok, detail=""):
        print(f"{'PASS' if ok else 'FAIL'} usb-stress/{name}" + (f"  {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(name)

    workdir = os.path.join(REPO, "build", "test", "usb_stress")
    with Machine(args.efi, workdir, cmdline=args.cmdline, memory="256M", machine="q35,i8042=off",
                 timeout=60 + 4 * args.rounds,
                 extra_args=["-device", "qemu-xhci,id=xhci"]) as m:
        m.wait_for_serial(r"coop> ", timeout=90)
        m.wait_for_serial(r"xHCI .*, events (polled|by MSI)", timeout=30)
        frames0, live0 = mem(m)
        lives = []
        for i in range(args.rounds):
            m.qmp.execute("device_add", driver="usb-hub", id="hub", bus="xhci.0", port="2")
            m.qmp.execute("device_add", driver="usb-kbd", id="kbd", bus="xhci.0", port="2.3")
            m.qmp.execute("device_add", driver="usb-kbd", id="kbd2", bus="xhci.0", port="1")
            time.sleep(rng.uniform(0, 1.5))
            m.qmp.execute("device_del", id="kbd2")
            time.sleep(rng.uniform(0, 0.3))
            m.qmp.execute("device_del", id="hub")
            time.sleep(rng.uniform(0, 0.5))
            if i % 20 == 19:
                time.sleep(2)
                lives.append(mem(m)[1])
        time.sleep(3)
        start = len(m.serial_text())
        m.write_serial("lsusb\r")
        m.wait_for_serial(r"USB devices?$", timeout=20, start=start)
        text = m.serial_text()
        warnings = re.findall(r"warning: usb.*", text)
        check("no_usb_warnings", not warnings, "; ".join(warnings)[:500])
        check("no_devices_left", re.search(r"^0 USB devices", text[start:], re.M) is not None)
        frames, live = mem(m)
        check("frames_balance", frames == frames0, f"{frames0} frames in use before, {frames} after")
        check("heap_flat", max(lives + [live]) <= live0 + 8,
              f"live allocations {live0} at the start, then {lives}")
        enumerated = len(re.findall(r"keyboard 0627", text))
        print(f"# {args.rounds} rounds: {enumerated} keyboards and "
              f"{len(re.findall('hub ready', text))} hubs came up before being pulled")
        start = len(m.serial_text())
        m.qmp.execute("device_add", driver="usb-kbd", id="last", bus="xhci.0", port="1")
        m.wait_for_serial(r"keyboard 0627", timeout=30, start=start)
        start = len(m.serial_text())
        m.send_keys("echo still typing\n")
        try:
            m.wait_for_serial(r"^still typing", timeout=20, start=start)
            check("typing_afterwards", True)
        except TimeoutError as e:
            check("typing_afterwards", False, str(e).split("\n")[0])
    print(f"{'all passed' if not failures else 'failed: ' + ' '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

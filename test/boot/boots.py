"""The boot tests that `make test` runs, and the code that runs one boot.

Adding a boot is one line:

    add("heap_list", cmdline="test=heap heap=list")

or, for a boot with interactive steps, a decorated function:

    @boot("shell_help")
    def shell_help(m, t):
        with t.step("prompt"):
            m.wait_for_serial(r"coop> ", timeout=40)
        with t.step("help_lists_commands"):
            m.send_keys("help\\n")
            m.wait_for_serial(r"^ *echo ", timeout=10)

`m` is a qemu.Machine (the hands: send_keys, send_key, write_serial,
wait_for_serial, screendump); `t` records one outcome per step.  Inside a step,
an AssertionError or TimeoutError is a failure and t.skip(reason) a skip.

Boots with a `test=` cmdline must end with the expected exit (33 by default);
their KTAP is parsed into one outcome per case.  Boots without one are
interactive: they must still be running when their steps are done.
"""
import contextlib
import re
import time
import traceback
from dataclasses import dataclass, field

from boot import ktap
from boot.qemu import Machine

BANNER = r"^coop \S"
PROMPT = r"coop> "
IDLE = r"^idle: "


@dataclass
class Boot:
    name: str
    cmdline: str = ""
    memory: str = "128M"
    expect: str = ""              # passed | failed | running; default from cmdline
    timeout: float = 60
    machine: dict = field(default_factory=dict)   # Machine(...) keyword arguments
    steps: "callable | None" = None

    @property
    def expected(self):
        if self.expect:
            return self.expect
        return "passed" if "test=" in self.cmdline else "running"


BOOTS = []


def add(name, **kw):
    BOOTS.append(Boot(name, **kw))


def boot(name, **kw):
    def register(fn):
        BOOTS.append(Boot(name, steps=fn, **kw))
        return fn
    return register


class SkipStep(Exception):
    pass


class Steps:
    """Collects the outcomes of a boot's interactive steps."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.outcomes = []

    @contextlib.contextmanager
    def step(self, name):
        full = self.prefix + name
        try:
            yield
        except SkipStep as e:
            self.outcomes.append(ktap.Outcome(full, "skip", str(e)))
        except (AssertionError, TimeoutError) as e:
            self.outcomes.append(ktap.Outcome(full, "fail", str(e).split("\n")[0],
                                              str(e).split("\n")[1:]))
        except Exception:       # a bug in the step itself: still a failure
            lines = traceback.format_exc().rstrip().split("\n")
            self.outcomes.append(ktap.Outcome(full, "fail", lines[-1], lines[:-1]))
        else:
            self.outcomes.append(ktap.Outcome(full, "pass"))

    def skip(self, reason):
        raise SkipStep(reason)

    def failed(self):
        return any(o.status == "fail" for o in self.outcomes)


# ---- the boots ----------------------------------------------------------------

add("smoke", cmdline="test=all", memory="128M")
add("smoke_4g", cmdline="test=all", memory="4G")


@boot("interactive", memory="512M", timeout=90)
def interactive(m, t):
    """No test= on the command line: the kernel must reach its idle loop or
    shell, draw its banner on the screen, and (once there is a shell) echo
    what is typed."""
    with t.step("idle_or_prompt"):
        m.wait_for_serial(f"{IDLE}|{PROMPT}", timeout=60)
    serial = m.serial_text()
    banner = re.search(BANNER + ".*$", serial, re.MULTILINE)
    with t.step("banner_on_screen"):
        if "console: serial-only" in serial:
            t.skip("kernel reports a serial-only console")
        assert banner, "no banner line on serial"
        # The banner is the first console line, at column 0 of one of the
        # top rows (row 0 may be the status bar).  Its colour is the one of
        # its first cell; every pixel of the line must then match the font
        # in that colour on black.  A dump can catch the kernel mid-drawing,
        # so a mismatch is retried twice before it counts.
        text = banner.group(0).rstrip()
        for attempt in range(3):
            try:
                screen = m.screendump()
                text = text[:screen.cols].rstrip()
                where = screen.find_text(text[:16])
                assert where and where[0] == 0 and where[1] <= 2, (
                    f"banner {text[:16]!r} not at column 0 of rows 0-2; the "
                    f"screen reads:\n{screen.text()[:800]}")
                _ch, fg, _bg = screen.cell(*where)
                screen.expect_text(0, where[1], text, fg=fg, bg=0)
                break
            except AssertionError:
                if attempt == 2:
                    raise
                time.sleep(0.3)
    with t.step("status_bar"):
        screen = m.screendump("status.ppm")
        if "| up " not in screen.row_text(0):
            t.skip("no status bar on row 0")
        # White on blue, the whole row (status.h).
        screen.expect_text(0, 0, " coop | up ", fg=15, bg=1)
        screen.expect_text(screen.cols - 1, 0, " ", fg=15, bg=1)
    with t.step("typed_keys_echo"):
        if re.search(r"^kbd: none", serial, re.MULTILINE):
            t.skip("kernel reports kbd: none")
        try:    # the shell starts after the idle marker
            m.wait_for_serial(PROMPT, timeout=10)
        except TimeoutError:
            t.skip("no 'coop> ' prompt within 10 s of idle (no shell in this kernel?)")
        start = len(m.serial_text())
        m.send_keys("Help")
        m.wait_for_serial(r"coop> .*Help", timeout=10, start=max(0, start - 16))
        screen = m.screendump("typed.ppm")
        where = screen.find_text("coop> Help")
        assert where, (f"typed text not on screen; screen reads:\n"
                       f"{screen.text()}")
        m.send_keys("\b\b\b\b\n")


# ---- running one boot -------------------------------------------------------------

def run_boot(b, efi, workdir, prefix="boot/"):
    """Boots `b`; returns (outcomes, BootResult)."""
    name = prefix + b.name + "/"
    steps = Steps(name)
    machine = dict(b.machine)
    if "test=" in b.cmdline:
        # Without icount, TCG's virtual clocks follow the host: when boots
        # share the cores, PIT interrupts arrive late against the TSC and
        # timing tests fail for reasons outside the guest.  With icount both
        # clocks advance with the guest's instructions, so the PIT-vs-TSC
        # checks still catch a wrong divisor or a lost tick path.
        machine.setdefault("icount", "auto,sleep=on")
    with Machine(efi, workdir, cmdline=b.cmdline, memory=b.memory,
                 timeout=b.timeout, **machine) as m:
        if b.steps:
            b.steps(m, steps)
        if b.expected == "running":
            alive = m.running()
            result = m.stop() if alive else m.wait()
            if alive:
                result.status = "running"
        else:
            result = m.wait()
    outs = [_exit_outcome(name, b, result), _banner_outcome(name, result)]
    if "test=" in b.cmdline:
        outs += ktap.parse_outcomes(result.serial, name)
    return outs + steps.outcomes, result


def _exit_outcome(name, b, result):
    if result.status == b.expected:
        return ktap.Outcome(name + "exit", "pass")
    how = {"hung": f"hung: no exit within {b.timeout:g} s",
           "crashed": f"crashed or reset (QEMU exit status {result.exit_code})",
           "passed": "exited: tests passed (status 33)",
           "failed": "exited: tests failed (status 35)",
           "running": "still running"}[result.status]
    details = []
    if result.status in ("crashed", "hung", "running", "stopped"):
        details = ["serial log tail:"] + ["| " + line for line in result.tail()]
    return ktap.Outcome(name + "exit", "fail", f"expected {b.expected}, but {how}", details)


def _banner_outcome(name, result):
    if re.search(BANNER, result.serial, re.MULTILINE):
        return ktap.Outcome(name + "banner", "pass")
    return ktap.Outcome(name + "banner", "fail", "no line starting with 'coop ' on serial")

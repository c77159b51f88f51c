"""Machine: one QEMU + OVMF boot of coop, with hands (keys, serial, screen).

Every boot gets a fresh ESP (BOOTX64.EFI + CMDLINE.TXT), a private copy of the
OVMF variable store and its own sockets, so boots can run in parallel.  The
serial port is a unix-socket chardev that QEMU holds the guest for until the
runner connects; a reader thread appends everything the guest prints to
serial.log, the source of truth for wait_for_serial().  QMP (also a unix
socket) is opened on first use; a second QMP socket only carries events.

How a boot ends (Machine.wait):
    passed   QEMU exit status 33: isa-debug-exit 0x10, all tests passed
    failed   exit status 35: isa-debug-exit 0x11, some test failed
    off      the guest switched the machine off (ACPI, UEFI ResetSystem)
    reset    the guest reset the machine: a triple fault, or a reboot
             (-no-reboot turns either into an exit)
    crashed  any other exit: a QEMU error, a signal, or an exit whose cause
             QEMU did not report
    hung     no exit before the timeout: the process group is killed
    stopped  Machine.stop() ended a boot that was still running

`off` and `reset` both end QEMU with status 0; the SHUTDOWN event on a QMP
socket of its own (read from the first moment) tells them apart.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from boot import qmp as qmplib
from boot.screen import Screen

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MKIMAGE = os.path.join(REPO, "scripts", "mkimage.sh")

EXIT_PASSED = 33    # (0x10 << 1) | 1
EXIT_FAILED = 35    # (0x11 << 1) | 1
_ANSI = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")


def clean_serial(raw):
    """Serial text without ANSI escapes (OVMF's) and carriage returns."""
    return _ANSI.sub("", raw).replace("\r", "")


@dataclass
class BootResult:
    status: str          # passed, failed, off, reset, crashed, hung, stopped
    exit_code: "int | None"
    seconds: float
    serial: str          # cleaned serial log
    cpu_seconds: "float | None" = None   # QEMU's user + system CPU time


    def tail(self, n=30):
        return self.serial.rstrip("\n").split("\n")[-n:]


class Machine:
    """A QEMU VM booting one EFI image.  Use as a context manager:

        with Machine(efi, workdir, cmdline="test=all") as m:
            result = m.wait()
    """

    def __init__(self, efi, workdir, cmdline="", memory="128M", machine="q35",
                 cpu=None, smp=1, medium="fat", display="std", timeout=60,
                 extra_args=(), icount=None, qemu="qemu-system-x86_64",
                 lazy_memory=False, load_options=None, tmp_dir=None):
        self.efi = os.path.abspath(efi)
        self.workdir = os.path.abspath(workdir)
        self.cmdline, self.memory, self.machine = cmdline, memory, machine
        self.cpu, self.smp, self.medium, self.display = cpu, smp, medium, display
        self.timeout, self.extra_args, self.icount = timeout, list(extra_args), icount
        self.qemu = qemu
        # Guest RAM the host only provides as the guest touches it, so a
        # 64 GiB guest boots on a smaller host (reserve=off: no swap is set
        # aside for it either).
        self.lazy_memory = lazy_memory
        # With load_options, the image is not on the removable-media path:
        # OVMF falls back to its UEFI shell, whose startup.nsh runs it with
        # these options, which the loader then gets as its LoadOptions.
        self.load_options = load_options
        self.tmp_dir = tmp_dir          # where the sockets' folder goes (None: /tmp)
        self.serial_log = os.path.join(self.workdir, "serial.log")
        self.proc = None
        self._qmp = None
        self._serial_sock = None
        self._tmp = None
        self._started = None
        self._drain = None
        self._events = None
        self.shutdown_reason = None     # from QEMU's SHUTDOWN event, if any
        self.result = None
        self.cpu_seconds = None         # QEMU's user + system time, once it exited
        self._exited = threading.Event()

    # ---- lifecycle -------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        # Socket paths must be short (108 bytes): keep them in /tmp.
        self._tmp = tempfile.mkdtemp(prefix="coop-qemu-", dir=self.tmp_dir)
        self.qmp_path = os.path.join(self._tmp, "qmp.sock")
        self.events_path = os.path.join(self._tmp, "events.sock")
        self.serial_path = os.path.join(self._tmp, "serial.sock")
        open(self.serial_log, "wb").close()
        cmd = self.command()
        with open(os.path.join(self.workdir, "qemu-cmd.txt"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        out = open(os.path.join(self.workdir, "qemu.out"), "wb")
        self._started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        threading.Thread(target=self._reap, daemon=True).start()
        self._drain = threading.Thread(target=self._drain_serial, daemon=True)
        self._drain.start()
        self._events = threading.Thread(target=self._watch_events, daemon=True)
        self._events.start()

    def command(self):
        """The QEMU command line (also written to <workdir>/qemu-cmd.txt)."""
        vars_copy = os.path.join(self.workdir, "OVMF_VARS.fd")
        shutil.copyfile(OVMF_VARS, vars_copy)
        # OVMF_CODE_4M.fd does not need SMM, and emulating it costs TCG about
        # 1.5 s per boot.
        machine = self.machine if "smm=" in self.machine else self.machine + ",smm=off"
        backend = []
        if self.lazy_memory:
            machine += ",memory-backend=ram0"
            backend = ["-object", f"memory-backend-ram,id=ram0,size={self.memory},reserve=off"]
        cmd = [self.qemu, "-machine", machine, "-m", str(self.memory), *backend,
               "-smp", str(self.smp),
               "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
               "-drive", f"if=pflash,format=raw,file={vars_copy}",
               "-nic", "none", "-no-reboot", "-display", "none",
               "-vga", self.display,
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               # wait=on: the guest does not start until the runner is
               # connected, so no output is dropped for want of a reader.
               "-chardev", f"socket,id=ser0,path={self.serial_path},server=on,wait=on",
               "-serial", "chardev:ser0",
               "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
               "-qmp", f"unix:{self.events_path},server=on,wait=off"]
        if self.cpu:
            cmd += ["-cpu", self.cpu]
        if self.icount is not None:
            cmd += ["-icount", f"shift={self.icount}"]
        cmd += self._medium_args()
        return cmd + self.extra_args

    def _medium_args(self):
        if self.load_options is not None:
            esp = os.path.join(self.workdir, "esp")
            os.makedirs(esp)
            shutil.copyfile(self.efi, os.path.join(esp, "coop.efi"))
            with open(os.path.join(esp, "startup.nsh"), "wb") as f:
                f.write(f"\ufefffs0:\\coop.efi {self.load_options}\r\n".encode("utf-16-le"))
            return ["-drive", f"format=raw,file=fat:rw:{esp}"]
        if self.medium == "fat":
            esp = os.path.join(self.workdir, "esp")
            boot = os.path.join(esp, "EFI", "BOOT")
            os.makedirs(boot)
            shutil.copyfile(self.efi, os.path.join(boot, "BOOTX64.EFI"))
            self._write_cmdline(os.path.join(boot, "CMDLINE.TXT"))
            return ["-drive", f"format=raw,file=fat:rw:{esp}"]
        img = os.path.join(self.workdir, "disk.img")
        cmdline_file = os.path.join(self.workdir, "CMDLINE.TXT")
        self._write_cmdline(cmdline_file)
        subprocess.run([MKIMAGE, img, self.efi, cmdline_file], check=True)
        if self.medium == "ide":
            return ["-drive", f"if=ide,format=raw,file={img}"]
        if self.medium == "usb":
            return ["-device", "qemu-xhci,id=xhci",
                    "-drive", f"if=none,id=stick,format=raw,file={img}",
                    "-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"]
        raise ValueError(f"unknown boot medium {self.medium!r}")

    def _write_cmdline(self, path):
        """CMDLINE.TXT: text gets a newline, as editors write it; bytes
        (another encoding, say) are written as they are."""
        with open(path, "wb") as f:
            f.write(self.cmdline if isinstance(self.cmdline, bytes)
                    else (self.cmdline + "\n").encode())

    def _reap(self):
        """The only waiter for QEMU: wait4() also gives its CPU time (user +
        system, all of its threads), the figure that says what a boot costs
        on a shared machine, where wall time says how busy the others were.
        Nothing else may wait for or poll the process, or it would reap it
        first and the figure would be lost."""
        _pid, status, usage = os.wait4(self.proc.pid, 0)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self._exited.set()

    def _drain_serial(self):
        """Reads the guest's COM1 from the socket into the serial log, all of
        it, exactly once, until QEMU closes it.  (QEMU's own chardev logfile
        duplicated and dropped bytes when the host was busy.)"""
        deadline = time.monotonic() + 30
        while not self._exited.is_set() and time.monotonic() < deadline:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.serial_path)
            except OSError:
                s.close()
                time.sleep(0.02)
                continue
            self._serial_sock = s
            with open(self.serial_log, "ab") as log, \
                    open(self.serial_log + ".times", "w") as times:
                total = 0
                try:
                    while True:
                        data = s.recv(65536)
                        if not data:
                            break
                        log.write(data)
                        log.flush()
                        total += len(data)
                        # When each byte arrived: where a boot spends its
                        # time (scripts/serial-times.py reads it).
                        times.write(f"{time.monotonic() - self._started:.3f} {total}\n")
                except OSError:
                    pass
            return

    def _watch_events(self):
        """Listens on the second QMP socket until QEMU exits, keeping the
        reason of its SHUTDOWN event ("guest-shutdown", "guest-reset"...)."""
        deadline = time.monotonic() + 30
        conn = None
        while conn is None and not self._exited.is_set() and time.monotonic() < deadline:
            try:
                conn = qmplib.QMP(self.events_path, connect_timeout=0.2)
            except (OSError, qmplib.QMPError, ValueError):
                time.sleep(0.05)
        if conn is None:
            return
        try:
            for event in conn.listen():
                if event.get("event") == "SHUTDOWN":
                    self.shutdown_reason = event.get("data", {}).get("reason")
        except (OSError, qmplib.QMPError, ValueError):
            pass
        finally:
            conn.close()

    def _exit_status(self, code):
        if code == EXIT_PASSED:
            return "passed"
        if code == EXIT_FAILED:
            return "failed"
        if code == 0 and self.shutdown_reason == "guest-shutdown":
            return "off"
        if code == 0 and self.shutdown_reason in ("guest-reset", "guest-panic"):
            return "reset"
        return "crashed"

    def wait(self, timeout=None):
        """Waits for QEMU to exit; returns the BootResult (see module doc)."""
        timeout = self.timeout if timeout is None else timeout
        remaining = max(0.0, self._started + timeout - time.monotonic())
        if self._exited.wait(remaining):
            code = self.proc.returncode
            if self._events is not None:
                self._events.join(timeout=5)
            status = self._exit_status(code)
        else:
            self.kill()
            code, status = None, "hung"
        return self._finish(status, code)

    def stop(self):
        """Ends a boot that is not expected to exit by itself (interactive)."""
        if not self._exited.is_set():
            try:
                if self._qmp is None:
                    self._qmp = qmplib.QMP(self.qmp_path, connect_timeout=1)
                self._qmp.execute("quit")
                if not self._exited.wait(5):
                    self.kill()
            except (OSError, qmplib.QMPError):
                self.kill()
            return self._finish("stopped", None)
        return self.wait()

    def _finish(self, status, code):
        # QEMU has exited: let the reader take what was still in the socket.
        if self._drain is not None:
            self._drain.join(timeout=5)
        self.result = BootResult(status, code, time.monotonic() - self._started,
                                 self.serial_text(), self.cpu_seconds)
        return self.result

    def kill(self):
        if self.proc and not self._exited.is_set():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._exited.wait()

    def close(self):
        self.kill()
        if self._qmp:
            self._qmp.close()
        if self._serial_sock:
            self._serial_sock.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        # The ESP copy and disk image are not worth keeping; logs are.
        shutil.rmtree(os.path.join(self.workdir, "esp"), ignore_errors=True)
        for name in ("disk.img", "OVMF_VARS.fd"):
            try:
                os.unlink(os.path.join(self.workdir, name))
            except FileNotFoundError:
                pass

    # ---- serial ----------------------------------------------------------
    def serial_text(self):
        with open(self.serial_log, "rb") as f:
            return clean_serial(f.read().decode("utf-8", "replace"))

    def running(self):
        return not self._exited.is_set()

    def wait_for_serial(self, pattern, timeout=30, start=0):
        """Waits until `pattern` (a regex, MULTILINE) matches the serial log
        from character `start` on; returns the match.  Raises TimeoutError
        (with the log's tail) on timeout or if QEMU exits first."""
        rx = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            text = self.serial_text()
            m = rx.search(text, start)
            if m:
                return m
            if not self.running() or time.monotonic() > deadline:
                why = "QEMU exited" if not self.running() else f"{timeout} s passed"
                tail = "\n".join(text.rstrip("\n").split("\n")[-15:])
                raise TimeoutError(f"serial never matched {pattern!r} ({why}); "
                                   f"last lines:\n{tail}")
            time.sleep(0.05)

    def write_serial(self, data):
        """Sends bytes to the guest's COM1."""
        deadline = time.monotonic() + 10
        while self._serial_sock is None:
            if time.monotonic() > deadline:
                raise TimeoutError("serial socket never connected")
            time.sleep(0.05)
        self._serial_sock.sendall(data if isinstance(data, bytes) else data.encode())

    # ---- QMP: keyboard and screen ----------------------------------------
    @property
    def qmp(self):
        if self._qmp is None:
            self._qmp = qmplib.QMP(self.qmp_path)
        return self._qmp

    def send_keys(self, text, delay=0.01):
        qmplib.send_keys(self.qmp, text, delay=delay)

    def send_keys_to(self, device, text):
        """Types on the keyboard bound to display `device` (usb-kbd,display=)."""
        qmplib.send_keys_to(self.qmp, device, text)

    def send_key_to(self, device, *qcodes):
        qmplib.send_key_to(self.qmp, device, *qcodes)

    def flood_keys(self, text, batch=40, pause=0.01):
        qmplib.flood_keys(self.qmp, text, batch=batch, pause=pause)

    def send_key(self, *qcodes, hold_ms=20):
        """e.g. send_key("caps_lock") or send_key("ctrl", "alt", "delete")."""
        qmplib.send_key(self.qmp, *qcodes, hold_ms=hold_ms)

    def screendump(self, name="screen.ppm"):
        """The current display as a Screen, its font chosen from the kernel's
        `console:` line.  The dump is kept in the workdir."""
        path = os.path.join(self.workdir, name)
        self.qmp.execute("screendump", filename=path)
        with open(path, "rb") as f:
            screen = Screen.from_ppm(f.read())
        return screen.use_console_line(self.serial_text())

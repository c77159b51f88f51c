"""A small QMP client (QEMU Machine Protocol, JSON over a unix socket) and
the keyboard half of the "hands" library: text -> QMP send-key qcodes."""
import json
import socket
import time


class QMPError(Exception):
    pass


class QMP:
    """One QMP connection.  execute() returns the command's "return" value;
    asynchronous events that arrive meanwhile are kept in self.events."""

    def __init__(self, path, connect_timeout=10.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(30)
        self.file = self.sock.makefile("rwb")
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"unexpected QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise QMPError("QMP connection closed")
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise QMPError(f"{command}: {reply['error'].get('desc', reply)}")
            self.events.append(reply)

    def listen(self):
        """Yields the asynchronous events, as they come, until QEMU closes
        the connection (it does so when it exits)."""
        self.sock.settimeout(None)
        yield from self.events
        while True:
            line = self.file.readline()
            if not line:
                return
            msg = json.loads(line)
            if "event" in msg:
                yield msg

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


# ---- keyboard -------------------------------------------------------------
# US layout: character -> (qcode, shifted).  Letters and digits are added below.
_KEYS = {
    " ": ("spc", False), "\n": ("ret", False), "\t": ("tab", False),
    "\b": ("backspace", False), "\x1b": ("esc", False),
    "-": ("minus", False), "_": ("minus", True),
    "=": ("equal", False), "+": ("equal", True),
    "[": ("bracket_left", False), "{": ("bracket_left", True),
    "]": ("bracket_right", False), "}": ("bracket_right", True),
    ";": ("semicolon", False), ":": ("semicolon", True),
    "'": ("apostrophe", False), '"': ("apostrophe", True),
    "`": ("grave_accent", False), "~": ("grave_accent", True),
    "\\": ("backslash", False), "|": ("backslash", True),
    ",": ("comma", False), "<": ("comma", True),
    ".": ("dot", False), ">": ("dot", True),
    "/": ("slash", False), "?": ("slash", True),
}
for _c in "abcdefghijklmnopqrstuvwxyz":
    _KEYS[_c] = (_c, False)
    _KEYS[_c.upper()] = (_c, True)
for _d, _s in zip("1234567890", "!@#$%^&*()"):
    _KEYS[_d] = (_d, False)
    _KEYS[_s] = (_d, True)


def keys_for(ch):
    """The qcodes to press together to type `ch` on a US keyboard."""
    if ch not in _KEYS:
        raise ValueError(f"no US-keyboard key for {ch!r}")
    code, shifted = _KEYS[ch]
    return ["shift", code] if shifted else [code]


def send_key(qmp, *qcodes, hold_ms=20):
    """Presses the qcodes together (e.g. "ctrl", "c"), then releases them."""
    keys = [{"type": "qcode", "data": k} for k in qcodes]
    qmp.execute("send-key", keys=keys, **{"hold-time": hold_ms})


def flood_keys(qmp, text, batch=40, pause=0.01):
    """Presses and releases the keys for `text` as fast as QMP takes them:
    `batch` characters per input-send-event, with no hold time.  For
    overload tests; send_keys() is the way to type reliably."""
    events = []
    for ch in text:
        codes = keys_for(ch)
        for down in (True, False):
            for code in (codes if down else reversed(codes)):
                events.append({"type": "key", "data": {
                    "down": down, "key": {"type": "qcode", "data": code}}})
    per_batch = max(1, batch) * 4
    for i in range(0, len(events), per_batch):
        qmp.execute("input-send-event", events=events[i:i + per_batch])
        time.sleep(pause)


def send_key_to(qmp, device, *qcodes, delay=0.03):
    """Presses and releases the qcodes together on the keyboard bound to
    display `device` (a usb-kbd with display=<device>): QMP's send-key only
    reaches keyboards bound to no display."""
    for down in (True, False):
        keys = qcodes if down else tuple(reversed(qcodes))
        qmp.execute("input-send-event", device=device, head=0, events=[
            {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": c}}}
            for c in keys])
        time.sleep(delay)


def send_keys_to(qmp, device, text):
    """Types `text` on the keyboard bound to display `device`."""
    for ch in text:
        send_key_to(qmp, device, *keys_for(ch))


def send_keys(qmp, text, delay=0.01, hold_ms=20):
    """Types `text` key by key (\\n is Enter), shifting where needed."""
    for ch in text:
        send_key(qmp, *keys_for(ch), hold_ms=hold_ms)
        # send-key returns before the release is injected; pacing keeps the
        # guest's key-repeat logic and our releases in order.
        time.sleep(hold_ms / 1000 + delay)

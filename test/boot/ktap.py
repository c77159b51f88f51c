"""KTAP version 1 parser, for the output of ktest on the host and in the kernel.

The input is a whole log (a serial log holds firmware noise, kernel log lines
and KTAP mixed).  Everything before the first `KTAP version` line is skipped;
after it, lines that are not KTAP are ignored, so a stray log line between two
results does no harm.  Nesting follows indentation: a subtest's lines are
indented deeper than the result line that closes it.

parse() gives a tree of Result; outcomes() flattens it into one Outcome per
test as the runner reports them ("heap/alloc_free"), including synthetic
failures for what a crash left out: a plan `1..N` with fewer results, or a
subtest whose closing result line never came.
"""
import re
from dataclasses import dataclass, field

_VERSION = re.compile(r"^(\s*)KTAP version (\d+)\s*$")
_PLAN = re.compile(r"^(\s*)1\.\.(\d+)\s*$")
_RESULT = re.compile(r"^(\s*)(not ok|ok)\s+(\d+)(?:\s+-)?(?:\s+([^#]*?))?\s*(?:#\s*(.*))?$")
_SUBTEST = re.compile(r"^(\s*)#\s*Subtest:\s*(.*?)\s*$")
_DIAG = re.compile(r"^(\s*)#\s?(.*)$")
_DIRECTIVE = re.compile(r"^(SKIP|TODO|XFAIL)\b\s*(.*)$", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")


@dataclass
class Result:
    """One `ok`/`not ok` line, with the subtest list it closes, if any."""
    number: int
    name: str
    ok: bool
    directive: str = ""        # "SKIP", "TODO" or ""
    reason: str = ""
    diagnostics: list = field(default_factory=list)
    subtests: "TestList | None" = None


@dataclass
class TestList:
    """A `KTAP version` block: a plan and the results at one indentation."""
    indent: int
    name: str = ""
    plan: "int | None" = None
    results: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)   # not yet claimed by a result
    closed: bool = False      # a result line at the parent level closed it
    open_lists: list = field(default_factory=list)  # top only: unclosed at EOF


@dataclass
class Outcome:
    """What the runner prints: `PASS name`, `FAIL name` (with details)..."""
    name: str
    status: str               # "pass", "fail", "skip", "xfail"
    reason: str = ""
    details: list = field(default_factory=list)


def _clean(line):
    return _ANSI.sub("", line).rstrip("\r\n").replace("\r", "").expandtabs(8)


def parse(text):
    """Parses KTAP from `text`; returns the top TestList, or None if there is
    no `KTAP version` line at all."""
    root = None
    stack = []
    for raw in text.splitlines():
        line = _clean(raw)
        m = _VERSION.match(line)
        if root is None:
            if m:
                root = TestList(indent=len(m.group(1)))
                stack = [root]
            continue
        _feed(stack, line)
    if root is not None:
        # Lists still open at the end: a crash inside a subtest.
        root.open_lists = stack[1:]
    return root


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _open_list(stack, indent):
    """The TestList at `indent`, opening a nested one when deeper than the top."""
    if indent > stack[-1].indent:
        stack.append(TestList(indent=indent))
    return stack[-1]


def _feed(stack, line):
    if not line.strip():
        return
    indent = _indent(line)
    if indent < stack[0].indent:
        return          # less indented than the top level: not ours
    if _VERSION.match(line):
        if indent > stack[-1].indent:
            stack.append(TestList(indent=indent))
        return
    m = _SUBTEST.match(line)
    if m:
        _open_list(stack, indent).name = m.group(2)
        return
    m = _PLAN.match(line)
    if m:
        _open_list(stack, indent).plan = int(m.group(2))
        return
    m = _RESULT.match(line)
    if m:
        _add_result(stack, indent, m)
        return
    m = _DIAG.match(line)
    if m and indent >= stack[-1].indent:
        stack[-1].diagnostics.append(m.group(2))
    elif m:
        # A diagnostic at a shallower level: it belongs to an enclosing list.
        for tl in reversed(stack):
            if tl.indent <= indent:
                tl.diagnostics.append(m.group(2))
                break


def _add_result(stack, indent, m):
    closed = None
    while len(stack) > 1 and stack[-1].indent > indent:
        closed = stack.pop()
        closed.closed = True
    target = stack[-1]
    if indent > target.indent:          # a result deeper than any list: new list
        target = _open_list(stack, indent)
    directive, reason = "", ""
    if m.group(5):
        d = _DIRECTIVE.match(m.group(5).strip())
        if d:
            directive = d.group(1).upper().replace("XFAIL", "TODO")
            reason = d.group(2).strip()
    res = Result(number=int(m.group(3)), name=(m.group(4) or "").strip(),
                 ok=m.group(2) == "ok", directive=directive, reason=reason,
                 diagnostics=target.diagnostics, subtests=closed)
    target.diagnostics = []
    target.results.append(res)


def _list_outcomes(tl, prefix, out):
    for res in tl.results:
        _result_outcomes(res, prefix, out)
    _missing(tl, prefix, out)


def _missing(tl, prefix, out):
    """Synthetic failures for results a crash (or a bad plan) left out."""
    got = len(tl.results)
    where = prefix.rstrip("/") or "(top level)"
    if tl.plan is None and got == 0:
        out.append(Outcome(prefix + "(no results)", "fail",
                           "KTAP list with no plan and no results: crashed before "
                           "the first test?", list(tl.diagnostics)))
    elif tl.plan is not None and got < tl.plan:
        last = tl.results[-1].name if tl.results else "(none)"
        out.append(Outcome(prefix + "(incomplete)", "fail",
                           f"{where}: plan 1..{tl.plan} but only {got} results; "
                           f"crashed or hung after '{last}'", list(tl.diagnostics)))
    elif tl.plan is not None and got > tl.plan:
        out.append(Outcome(prefix + "(plan)", "fail",
                           f"{where}: plan 1..{tl.plan} but {got} results"))


def _result_outcomes(res, prefix, out):
    name = prefix + (res.name or f"#{res.number}")
    if res.directive == "SKIP":
        out.append(Outcome(name, "skip", res.reason, res.diagnostics))
        return
    if res.directive == "TODO" and not res.ok:
        out.append(Outcome(name, "xfail", res.reason, res.diagnostics))
        return
    sub = res.subtests
    if sub is not None and (sub.results or sub.plan):
        before = len(out)
        _list_outcomes(sub, name + "/", out)
        children_failed = any(o.status == "fail" for o in out[before:])
        if not res.ok and not children_failed:
            out.append(Outcome(name, "fail", "suite reported not ok", res.diagnostics))
        elif res.ok and children_failed:
            out.append(Outcome(name, "fail",
                               "suite reported ok although a case failed"))
        return
    out.append(Outcome(name, "pass" if res.ok else "fail", "", res.diagnostics))


def outcomes(root, prefix=""):
    """Flattens a parsed tree into Outcomes; `root` None (no KTAP) is a failure."""
    out = []
    if root is None:
        return [Outcome(prefix + "(ktap)", "fail", "no 'KTAP version' line in the output")]
    _list_outcomes(root, prefix, out)
    _unclosed(root, prefix, out)
    return out


def _unclosed(root, prefix, out):
    """A subtest list still open at the end of the log: its cases ran (they are
    reported through the dangling list) but its suite line never came."""
    path = prefix
    for tl in _dangling(root):
        path += (tl.name or "(unnamed subtest)") + "/"
        _list_outcomes(tl, path, out)
        planned = tl.plan if tl.plan is not None else "?"
        out.append(Outcome(path.rstrip("/"), "fail",
                           f"subtest '{tl.name}' never finished: crashed or hung "
                           f"after {len(tl.results)} of {planned} cases",
                           list(tl.diagnostics)))


def _dangling(root):
    return root.open_lists


def parse_outcomes(text, prefix=""):
    """parse() + outcomes()."""
    return outcomes(parse(text), prefix)


def summary(outs):
    """Counts per status, e.g. {"pass": 3, "fail": 1}."""
    counts = {}
    for o in outs:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts

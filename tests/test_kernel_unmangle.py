"""Manglings as mail, loggers and trackers apply them leave the parse unchanged (hypothesis)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockdep.kernel.splat import parse_text, split_lines
from lockdep.kernel.unmangle import unmangle

FIX = Path(__file__).resolve().parent / "fixtures"
SOURCES = [FIX / "kernel-splats" / "001-slabinfo-cpuhotplug-kn-count-5.5.txt",
           FIX / "kernel-splats" / "026-recursive-subclass-dev-addr-list-hashed-5.3.txt",
           FIX / "splats" / "irq-inversion-4.4.txt", FIX / "splats" / "misc-kinds-6.x.txt",
           next((FIX / "kernel-corpus").glob("009-*")), next((FIX / "kernel-corpus").glob("039-*"))]
# the clean text of each report: what the reader sees once the mangling of its source is undone
CLEAN = [unmangle(p.read_text().splitlines()).texts for p in SOURCES]

ALIEN = ["irq event stamp: 150", " dump_backtrace+0x0/0x1f0", "CPU: 5 PID: 731 Comm: l_3-1",
         "Hardware name: ARM Juno development board (r2) (DT)", " show_stack+0x2c/0x38", "0x0"]
QUOTES = ["", ">", "> ", ">> ", "> > ", ">>  > ", "> >> "]
PREFIXES = ["", "<4>", "kernel: ", "Nov 30 05:08:09 vm kernel: ", "kern  :warn  : ", "2016-03-26T20:52:22.526357+00:00 h kernel: "]


def summary(lines: list[str]) -> list[tuple]:
    splats, errors = parse_text(lines, "x")
    assert errors == []
    return [(s.kind, s.task, s.raw_classes, s.raw_held, [(e.raw_frm, e.raw_to) for e in s.edges]) for s in splats]


def wrap(line: str, width: int, keep: int) -> list[str]:
    """A mailer's re-wrap: break at the last blank before ``width``, after the first word past ``keep``
    (the quote, prefixes and indentation)."""
    out = []
    while len(line) > width:
        i = line.rfind(" ", keep, width)
        if i <= keep:
            break
        out.append(line[:i])
        line, keep = line[i + 1:], 0
    return out + [line]


@st.composite
def mangled(draw):
    k = draw(st.integers(0, len(CLEAN) - 1))
    lines = list(CLEAN[k])
    stamp = draw(st.sampled_from(["", "[{t:12.6f}] ", "[{t:12.6f}][ T4711] ", "[{t:.6f}][T75672] ", "[ ] ", "[{t:12.6f} ] "]))
    level = draw(st.sampled_from(PREFIXES))
    foreign = draw(st.booleans()) and "T" in stamp
    # without caller ids: lines of another report (047's might_sleep dump) inside a circular report
    alien = "T" not in stamp and draw(st.booleans())
    inside = False
    out = []
    for n, x in enumerate(lines):
        line = level + stamp.format(t=12.0 + n / 1000) + x
        out.append(line)
        if foreign and n % 7 == 3:  # another task's line in the middle of the report
            out.append(level + f"[{12.0 + n / 1000:12.6f}][ T6508] -> #9 (other_lock){{+.+.}}:")
        inside = (inside or "circular locking dependency detected" in x) and "stack backtrace:" not in x
        if alien and inside and n % 5 == 2 and not x.endswith("at:"):
            out.append(level + stamp.format(t=12.0 + n / 1000) + ALIEN[n % len(ALIEN)])
    out = ["[    0.000000] Booting Linux", "random noise"] + out + ["[   99.000000] more noise"]
    quote = draw(st.sampled_from(QUOTES))
    if quote:
        out = ["On Mon, someone wrote:"] + [quote + x for x in out]
        # a re-wrapped mail of an interleaved log is left out: a wrapped tail has lost its caller id
        width = None if foreign or alien else draw(st.one_of(st.none(), st.integers(72, 80)))
        if width:
            head = len(quote) + len(level) + len(stamp.format(t=12.0))
            out = [y for x in out for y in wrap(x, width, head + len(x[head:]) - len(x[head:].lstrip()))]
    text = "\n".join(out)
    if draw(st.booleans()):
        text = "```text\n" + text + "\n```"
    # line ends: LF, CRLF (Windows, mail), CR CR LF (a serial console logged through a second tty)
    return k, text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r\r\n"])))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_manglings_leave_the_parse_unchanged(case):
    k, text = case
    assert summary(split_lines(text)) == summary(CLEAN[k])


def test_quoted_printable_mail_body_decodes_to_the_same_report():
    import quopri

    clean = "\n".join(CLEAN[0]) + "\n"
    body = quopri.encodestring(clean.encode()).decode()
    assert "=3D" in body
    mail = "Subject: splat\nContent-Transfer-Encoding: quoted-printable\n\n" + body
    assert summary(mail.splitlines()) == summary(CLEAN[0])


def test_tab_indented_commit_message_and_glued_prompt():
    indented = ["commit 0123", "", "    lockdep reports:", ""] + ["\t" + x if x else "" for x in CLEAN[0]]
    assert summary(indented) == summary(CLEAN[0])
    glued = ["root@vm:~# [   12.345678] " + CLEAN[0][0]] + [f"[   12.345678] {x}" for x in CLEAN[0][1:]]
    assert summary(glued) == summary(CLEAN[0])


def test_hashed_pointer_before_the_class_name():
    lines = [x.replace(" (&", " (____ptrval____) (&", 1) if "is trying" not in x else x for x in CLEAN[1]]
    assert summary(lines) == summary(CLEAN[1])

"""``lockdep convert FILE [-o OUT]``: kernel lock events (ftrace / perf script) to the trace format."""

from __future__ import annotations

import argparse
import json
import sys

from ..files import check_writable, write_text
from .ftrace import read, to_trace_events

HELP = "convert ftrace / perf script lock events to the lockdep trace format (JSON Lines)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help=HELP, description=HELP)
    p.add_argument("file", help="ftrace 'trace' / 'trace_pipe' text or 'perf script' output (- for stdin, .gz)")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.set_defaults(func=cmd_convert)


def cmd_convert(args: argparse.Namespace) -> int:
    check_writable(args.output)
    events = read(args.file)
    lines = [json.dumps(ev, separators=(",", ":")) + "\n" for _, ev in to_trace_events(iter(events))]
    if args.output:
        write_text(args.output, "".join(lines))
    else:
        sys.stdout.writelines(lines)
    return 0

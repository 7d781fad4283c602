"""The few lines ``lockdep replay`` needs for many files and ``--dask``."""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

from ..errors import InputError

HELP_DASK = ("extract per file on a Dask cluster and merge (same findings as without): the scheduler at "
             "ADDRESS, or a new LocalCluster")
HELP_SHARED = ("the files are consecutive parts of one stream: task and lock names are global (by default "
               "each file is its own machine or process and its tasks are shown as file:task)")


def add_replay_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shared-tasks", action="store_true", help=HELP_SHARED)
    p.add_argument("--dask", nargs="?", const="", default=None, metavar="ADDRESS", help=HELP_DASK)
    p.add_argument("--dask-workers", type=int, default=None, metavar="N",
                   help="workers of the LocalCluster (default: one per core)")


_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss|inproc)://.+|[\w.-]+:\d+)$")


def is_scheduler_address(s: str) -> bool:
    return bool(_ADDRESS.match(s)) and not os.path.exists(s)


def split_address(dask: str | None, files: list[str]) -> tuple[str | None, list[str]]:
    """``--dask [ADDRESS] FILE...``: the scheduler address (None: a LocalCluster) and the files
    (fsspec wildcards expanded); ``--dask FILE`` takes no address."""
    from ..trace.multi import expand

    if dask and not is_scheduler_address(dask):
        return None, expand([dask, *files])
    return dask or None, expand(files)


def replay(args: Any, v: Any) -> Any:
    """Replay ``args.files`` into ``v`` (sequentially, or on Dask); returns the validator with the findings."""
    address, files = split_address(args.dask, args.files)
    if not files:
        raise InputError("replay", None, "no trace file given")
    if args.dask is not None:
        if args.shared_tasks:
            raise InputError("--dask", None, "files that share tasks (--shared-tasks) form one stream: "
                             "replay them without --dask")
        from .cluster import replay_dask

        out = replay_dask(files, v, address=address, workers=args.dask_workers)
        if args.first:
            del out.findings[1:]
        return out
    from ..trace.multi import replay_files

    return replay_files(files, v, first=args.first, shared_tasks=args.shared_tasks)


def single_file(args: Any) -> str:
    """The one file of ``--format ftrace`` (kernel traces are one stream)."""
    if len(args.files) != 1 or args.dask is not None:
        raise InputError("replay", None, "--format ftrace takes exactly one file (and no --dask)")
    return args.files[0]

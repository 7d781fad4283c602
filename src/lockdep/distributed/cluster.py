"""``lockdep replay --dask [ADDRESS] FILE...``: extraction per file on Dask workers,
the merge and the graph checks on the client.

Without an address a ``LocalCluster`` of processes is started (one
single-threaded worker per core: the work is pure Python); with one, that
scheduler's cluster is used.  Files may be local paths or any fsspec URL the
workers can read.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

from ..engine.validator import Validator
from ..errors import InputError
from ..trace.multi import file_prefixes
from .extract import FilePart, extract_file
from .merge import merge_parts


@contextlib.contextmanager
def client(address: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``address``, or of a new LocalCluster."""
    from dask.distributed import Client, LocalCluster

    if address:
        try:
            c = Client(address, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise InputError(address, None, f"cannot reach the Dask scheduler: {e}") from None
        with c:
            yield c
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


def _extract(path: str, index: int, prefix: str | None) -> FilePart | tuple[str, str, int | None, str]:
    """On a worker: bad input comes back as data (exceptions with custom arguments do not unpickle)."""
    try:
        return extract_file(path, index, prefix)
    except InputError as e:
        return ("error", e.source, e.line, e.message)


def map_files(c: Any, fn: Callable, paths: Sequence[str], *args: Sequence) -> list:
    futures = c.map(fn, list(paths), *[list(a) for a in args], pure=False)
    return c.gather(futures)


def replay_dask(paths: Sequence[str], v: Validator | None = None, address: str | None = None,
                workers: int | None = None, c: Any = None) -> Validator:
    """Findings and graph of ``paths`` as one sequential replay would give them."""
    prefixes = file_prefixes(list(paths)) if len(paths) > 1 else [None]
    with contextlib.nullcontext(c) if c is not None else client(address, workers) as cl:
        parts = map_files(cl, _extract, paths, range(len(paths)), prefixes)
    for p in parts:
        if isinstance(p, tuple):
            raise InputError(p[1], p[2], p[3])
    return merge_parts(parts, v)

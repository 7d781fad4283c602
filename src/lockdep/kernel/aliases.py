"""Classes renamed between kernel versions, merged under their current name.

Each entry: the old normalised name, the current one, and where the rename
happened. ``lockdep loops`` names every alias it applied. Keep this table
small and sourced; a guess here would merge two different locks.
"""

from __future__ import annotations

#: old name -> (current name, the change that renamed it). Each commit was checked against the kernel's
#: history (full ids: da1c55f1b272f4bd54671d459b39ea7b54944ef9, v5.7-13158, first in v5.8-rc1;
#: fc8dffd379ca5620664336eb895a426b42847558, merged for v4.13).
ALIASES: dict[str, tuple[str, str]] = {
    "&mm->mmap_sem": ("&mm->mmap_lock",
                      "5.8: da1c55f1b272 \"mmap locking API: rename mmap_sem to mmap_lock\""),
    "cpu_hotplug.lock": ("cpu_hotplug_lock",
                         "4.13: fc8dffd379ca \"cpu/hotplug: Convert hotplug locking to percpu rwsem\""),
    "cpu_hotplug.dep_map": ("cpu_hotplug_lock",
                            "4.13: fc8dffd379ca \"cpu/hotplug: Convert hotplug locking to percpu rwsem\""),
}

#: Proposed but not applied: no commit found that makes the old class the new one. ``(cpu_chain).rwsem``
#: (2.6 era) is the rwsem of the blocking notifier chain the CPU callbacks ran on, held around the
#: callbacks: closer to today's ``cpuhp_state-up``/``-down`` maps than to ``cpu_hotplug_lock``, and
#: merging it with either could invent a cycle.
UNVERIFIED: dict[str, str] = {
    "(cpu_chain).rwsem": "cpu_hotplug_lock",
}


def apply_aliases(name: str) -> str:
    """The current name of a (normalised) class; a subclass ``/N`` or key ``#N`` suffix is kept."""
    hit = ALIASES.get(name)
    if hit:
        return hit[0]
    for sep in ("/", "#"):
        base, _, suffix = name.rpartition(sep)
        if base and suffix.isdigit() and base in ALIASES:
            return f"{ALIASES[base][0]}{sep}{suffix}"
    return name


def why(old: str) -> str:
    base = old
    for sep in ("/", "#"):
        b, _, suffix = old.rpartition(sep)
        if b and suffix.isdigit():
            base = b
    return ALIASES[base][1] if base in ALIASES else ""

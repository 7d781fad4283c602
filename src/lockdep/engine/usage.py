"""Irq-context usage bits, as the kernel's ``mark_lock`` keeps them.

A *state* is an interrupting context: HARDIRQ, SOFTIRQ and (ours, for POSIX
signal handlers and finalizers) HANDLER.  For every state a class carries four
bits, numbered like the kernel's ``enum lock_usage_bit``::

    bit = 4 * state + 2 * dir + read      dir 0 = USED_IN, 1 = ENABLED

A lock *used in* a state and also *used with that state enabled* can be
interrupted by itself: the single-class "inconsistent lock state".  A lock
used in a state that (through the dependency graph) depends on a lock used with
the state enabled is the two-class "irq lock inversion".
"""

from __future__ import annotations

# Execution contexts of an acquisition (the trace's ``context`` field).
PROCESS, SOFTIRQ_CTX, HARDIRQ_CTX, HANDLER_CTX = 0, 1, 2, 3
CONTEXTS = {"process": PROCESS, "softirq": SOFTIRQ_CTX, "hardirq": HARDIRQ_CTX, "handler": HANDLER_CTX}

# Usage states, in the kernel's print order.
HARDIRQ, SOFTIRQ, HANDLER = 0, 1, 2
STATE_NAMES = ("HARDIRQ", "SOFTIRQ", "HANDLER")
STATE_OF_CONTEXT = {HARDIRQ_CTX: HARDIRQ, SOFTIRQ_CTX: SOFTIRQ, HANDLER_CTX: HANDLER}
NSTATES = 3

USED_IN, ENABLED = 0, 1


def bit(state: int, direction: int, read: int) -> int:
    return 4 * state + 2 * direction + read


def flag(b: int) -> int:
    return 1 << b


def bit_state(b: int) -> int:
    return b >> 2


def bit_dir(b: int) -> int:
    return (b >> 1) & 1


def bit_read(b: int) -> int:
    return b & 1


USED_IN_ALL = 0
ENABLED_ALL = 0
WRITE_BITS = 0  # the kernel's LOCKF_IRQ: every non-read bit
for _s in range(NSTATES):
    USED_IN_ALL |= flag(bit(_s, USED_IN, 0)) | flag(bit(_s, USED_IN, 1))
    ENABLED_ALL |= flag(bit(_s, ENABLED, 0)) | flag(bit(_s, ENABLED, 1))
    WRITE_BITS |= flag(bit(_s, USED_IN, 0)) | flag(bit(_s, ENABLED, 0))


def usage_name(b: int) -> str:
    """Kernel spelling: IN-HARDIRQ-W, SOFTIRQ-ON-R, ..."""
    state = STATE_NAMES[bit_state(b)]
    rw = "R" if bit_read(b) else "W"
    if bit_dir(b) == USED_IN:
        return f"IN-{state}-{rw}"
    return f"{state}-ON-{rw}"


def enabled_states(context: int, irqs_disabled: bool) -> tuple[int, ...]:
    """States left unmasked for an acquisition (trace-format.md, "As in the kernel")."""
    if irqs_disabled or context in (HARDIRQ_CTX, HANDLER_CTX):
        return ()
    if context == SOFTIRQ_CTX:
        return (HARDIRQ, HANDLER)
    return (HARDIRQ, SOFTIRQ, HANDLER)


def acquisition_mask(context: int, irqs_disabled: bool, trylock: bool, read: int) -> int:
    """The usage bits one acquisition sets (the kernel's ``mark_usage``)."""
    r = 1 if read else 0
    mask = 0
    if not trylock and context != PROCESS:
        mask |= flag(bit(STATE_OF_CONTEXT[context], USED_IN, r))
    for s in enabled_states(context, irqs_disabled):
        mask |= flag(bit(s, ENABLED, r))
    return mask


def mask_index(context: int, irqs_disabled: bool, trylock: bool, read: int) -> int:
    return context * 8 + irqs_disabled * 4 + trylock * 2 + (read != 0)


#: mask_index(...) -> usage mask; the hot path indexes this list.
MASK_TABLE: list[int] = [0] * 32
for _c in range(4):
    for _d in (False, True):
        for _t in (False, True):
            for _r in (0, 1):
                MASK_TABLE[mask_index(_c, _d, _t, _r)] = acquisition_mask(_c, _d, _t, _r)


def conflicting_bits(new_bit: int) -> int:
    """Bits of the *same* class that make ``new_bit`` an inconsistent state (``valid_state``).

    A read use in a state conflicts only with a write use with the state
    enabled (and vice versa); a write use conflicts with both.
    """
    s, d, r = bit_state(new_bit), bit_dir(new_bit), bit_read(new_bit)
    other = ENABLED if d == USED_IN else USED_IN
    mask = flag(bit(s, other, 0))
    if not r:
        mask |= flag(bit(s, other, 1))
    return mask


def exclusive_mask(used_in_mask: int) -> int:
    """ENABLED bits (read and write) exclusive to the USED_IN bits given (kernel ``exclusive_mask``)."""
    out = 0
    for s in range(NSTATES):
        if used_in_mask & (flag(bit(s, USED_IN, 0)) | flag(bit(s, USED_IN, 1))):
            out |= flag(bit(s, ENABLED, 0)) | flag(bit(s, ENABLED, 1))
    return out


def usage_string(usage: int) -> str:
    """The ``{+.+.}`` string of a class: per state, write char then read char.

    ``.`` unused, ``-`` used in the state only, ``+`` used with it enabled
    only, ``?`` both.  HANDLER is printed only when used.
    """
    chars = []
    used_in_handler = flag(bit(HANDLER, USED_IN, 0)) | flag(bit(HANDLER, USED_IN, 1))
    states = (HARDIRQ, SOFTIRQ, HANDLER) if usage & used_in_handler else (HARDIRQ, SOFTIRQ)
    for s in states:
        for r in (0, 1):
            used = usage & flag(bit(s, USED_IN, r))
            enabled = usage & flag(bit(s, ENABLED, r))
            chars.append("?" if used and enabled else "-" if used else "+" if enabled else ".")
    return "{" + "".join(chars) + "}"

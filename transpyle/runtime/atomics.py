"""The threads proposal's atomic instructions.

transpyle runs one wasm thread per Python thread and every memory access happens under
the GIL, so a plain load or store is already atomic; what the atomic instructions add
is their checks (the access must be naturally aligned: "unaligned atomic") and, for
read-modify-write, returning the old value. `memory.atomic.wait*` block on a condition
per memory, so host threads sharing the memory can `notify` them.

Helpers take the memory's bytearray and the effective address, as generated code
passes them; `wait` and `notify` take the Memory object (its `shared` flag and waiters).
"""

from __future__ import annotations

import struct
import threading
import time

from ..errors import Trap

# access width in bytes -> (struct, mask)
_WIDTH = {
    1: (struct.Struct("<B"), 0xFF),
    2: (struct.Struct("<H"), 0xFFFF),
    4: (struct.Struct("<I"), 0xFFFFFFFF),
    8: (struct.Struct("<Q"), 0xFFFFFFFFFFFFFFFF),
}


def _check(mem, addr: int, size: int) -> None:
    if addr % size:
        raise Trap("unaligned atomic")
    if addr + size > len(mem):
        raise Trap("out of bounds memory access")


def _load(size: int):
    unpack = _WIDTH[size][0].unpack_from

    def load(mem, addr):
        _check(mem, addr, size)
        return unpack(mem, addr)[0]
    return load


def _store(size: int):
    st, mask = _WIDTH[size]
    pack = st.pack_into

    def store(mem, addr, value):
        _check(mem, addr, size)
        pack(mem, addr, value & mask)
    return store


_RMW_OPS = {
    "add": lambda old, v: old + v, "sub": lambda old, v: old - v,
    "and": lambda old, v: old & v, "or": lambda old, v: old | v,
    "xor": lambda old, v: old ^ v, "xchg": lambda old, v: v,
}


def _rmw(size: int, fn):
    st, mask = _WIDTH[size]
    unpack, pack = st.unpack_from, st.pack_into

    def rmw(mem, addr, value):
        _check(mem, addr, size)
        old = unpack(mem, addr)[0]
        pack(mem, addr, fn(old, value & mask) & mask)
        return old
    return rmw


def _cmpxchg(size: int):
    st, mask = _WIDTH[size]
    unpack, pack = st.unpack_from, st.pack_into

    def cmpxchg(mem, addr, expected, replacement):
        _check(mem, addr, size)
        old = unpack(mem, addr)[0]
        if old == expected & mask:
            pack(mem, addr, replacement & mask)
        return old
    return cmpxchg


class _Waiters:
    """Threads blocked in memory.atomic.wait on one memory, by address."""

    def __init__(self):
        self.cond = threading.Condition()
        self.waiting: dict[int, int] = {}  # address -> number of waiting threads
        self.woken: dict[int, int] = {}  # address -> wake-ups not yet consumed


def _waiters(M) -> _Waiters:
    w = M.waiters
    if w is None:
        w = M.waiters = _Waiters()
    return w


def _wait(size: int):
    unpack = _WIDTH[size][0].unpack_from

    def wait(M, addr, expected, timeout_ns):
        mem = M.data
        _check(mem, addr, size)
        if not M.shared:
            raise Trap("expected shared memory")
        w = _waiters(M)
        with w.cond:
            if unpack(mem, addr)[0] != expected:
                return 1  # "not-equal"
            timeout = timeout_ns if timeout_ns < 1 << 63 else -1  # i64: negative = forever
            deadline = None if timeout < 0 else time.monotonic() + timeout / 1e9
            w.waiting[addr] = w.waiting.get(addr, 0) + 1
            try:
                while not w.woken.get(addr):
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return 2  # "timed-out"
                    w.cond.wait(remaining)
                w.woken[addr] -= 1
                return 0  # "ok"
            finally:
                w.waiting[addr] -= 1
    return wait


def memory_atomic_notify(M, addr, count):
    """Wake up to `count` threads waiting at `addr`; how many were woken."""
    _check(M.data, addr, 4)
    w = M.waiters
    if w is None:
        return 0
    with w.cond:
        n = min(count, w.waiting.get(addr, 0) - w.woken.get(addr, 0))
        if n <= 0:
            return 0
        w.woken[addr] = w.woken.get(addr, 0) + n
        w.cond.notify_all()
        return n


def _build() -> dict:
    helpers = {
        "memory_atomic_notify": memory_atomic_notify,
        "memory_atomic_wait32": _wait(4),
        "memory_atomic_wait64": _wait(8),
    }
    # (type, width suffix, size in bytes), as in opcodes._ATOMIC_WIDTHS
    widths = [("i32", "", 4), ("i64", "", 8), ("i32", "8", 1), ("i32", "16", 2),
              ("i64", "8", 1), ("i64", "16", 2), ("i64", "32", 4)]
    for t, w, size in widths:
        u = "_u" if w else ""
        helpers[f"{t}_atomic_load{w}{u}"] = _load(size)
        helpers[f"{t}_atomic_store{w}"] = _store(size)
        for name, fn in _RMW_OPS.items():
            helpers[f"{t}_atomic_rmw{w}_{name}{u}"] = _rmw(size, fn)
        helpers[f"{t}_atomic_rmw{w}_cmpxchg{u}"] = _cmpxchg(size)
    return helpers


ATOMICS: dict[str, object] = _build()

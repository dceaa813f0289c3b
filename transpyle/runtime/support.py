"""The helpers generated code calls, by name, from its instance namespace.

`HELPERS` maps each name to its object; instantiation copies it into every instance
namespace. All integer operands are raw (unsigned, normalised) wasm values; helpers
raise `Trap` with the specification's message, and check bounds before they write
anything.

Memory helpers take the memory's `bytearray` (`mem0`), except `memory_grow`, which
takes the `Memory` object (`M0`); table helpers take the element list (`T0`), except
`table_grow` (the `Table` object, `TT0`). Data and element segments are one-element
cells (`D0 = [bytes]`, `E0 = [list]`) so that `data.drop`/`elem.drop` can empty them
for every function of the instance at once.
"""

from __future__ import annotations

import math
import struct

from transpyle.errors import Trap
from transpyle.runtime.atomics import ATOMICS
from transpyle.runtime.externs import TABLE_MAX_ELEMENTS
from transpyle.runtime.numeric import NUMERIC, f32_from_bits, f32_round, f32_to_bits
from transpyle.runtime.simd import SIMD
from transpyle.wasm.types import PAGE_SIZE

_OOB_MEMORY = "out of bounds memory access"
_OOB_TABLE = "out of bounds table access"
_U32 = 0xFFFFFFFF

# -- loads and stores -----------------------------------------------------------------
# Integer and f64 accesses at addresses not known to be aligned are emitted inline with
# these bound methods; an access past the end raises struct.error, which the boundary
# turns into the trap. Aligned ones index the memory's typed views (`mem0_u32[a // 4]`,
# externs.VIEW_FORMATS), where an index past the end raises IndexError.

unpack_i32 = struct.Struct("<I").unpack_from
unpack_i64 = struct.Struct("<Q").unpack_from
unpack_f64 = struct.Struct("<d").unpack_from
_F32_NATIVE = struct.Struct("f")  # a C (float) cast: round to nearest even, inf on overflow
unpack_i8s = struct.Struct("<b").unpack_from
unpack_i8u = struct.Struct("<B").unpack_from
unpack_i16s = struct.Struct("<h").unpack_from
unpack_i16u = struct.Struct("<H").unpack_from
unpack_i32s = struct.Struct("<i").unpack_from
pack_i32 = struct.Struct("<I").pack_into
pack_i64 = struct.Struct("<Q").pack_into
pack_f64 = struct.Struct("<d").pack_into
pack_i8 = struct.Struct("<B").pack_into
pack_i16 = struct.Struct("<H").pack_into

_unpack_f32 = struct.Struct("<f").unpack_from
_pack_f32 = struct.Struct("<f").pack_into


def load_f32(mem, addr):
    """The f32 at `addr`. A non-NaN converts exactly through C float -> double; a NaN
    is rebuilt from its bits (the conversion would quiet a signalling NaN)."""
    v = _unpack_f32(mem, addr)[0]
    if v != v:
        return f32_from_bits(unpack_i32(mem, addr)[0])
    return v


def store_f32(mem, addr, value):
    if value != value:
        pack_i32(mem, addr, f32_to_bits(value))
    else:
        _pack_f32(mem, addr, value)


# -- memory instructions --------------------------------------------------------------


def memory_grow(M, delta):
    """`memory.grow`: the old size in pages, or 0xFFFFFFFF (-1) past the memory's
    maximum, the runtime's limit, or when the allocation fails."""
    old = len(M.data) // PAGE_SIZE
    if old + delta > M.limit_pages:
        return _U32
    if delta:
        try:
            M._extend(delta)  # releases the memory's views and publishes new ones
        except (MemoryError, BufferError):
            # BufferError: a memoryview of the memory is alive, so it cannot resize
            return _U32
    return old


def memory_fill(mem, d, val, n):
    if d + n > len(mem):
        raise Trap(_OOB_MEMORY)
    if n:
        mem[d:d + n] = bytes((val & 0xFF,)) * n


def memory_copy(mem, d, s, n):
    if s + n > len(mem) or d + n > len(mem):
        raise Trap(_OOB_MEMORY)
    if n:
        mem[d:d + n] = mem[s:s + n]


def memory_init(mem, Dcell, d, s, n):
    data = Dcell[0]
    if s + n > len(data) or d + n > len(mem):
        raise Trap(_OOB_MEMORY)
    if n:
        mem[d:d + n] = data[s:s + n]


def data_drop(Dcell):
    Dcell[0] = b""


# -- tables ---------------------------------------------------------------------------


def table_get(T, i):
    if i >= len(T):
        raise Trap(_OOB_TABLE)
    return T[i]


def table_set(T, i, ref):
    if i >= len(T):
        raise Trap(_OOB_TABLE)
    T[i] = ref


def table_size(T):
    return len(T)


def table_grow(TT, init, delta):
    """`table.grow`: the old size, or 0xFFFFFFFF (-1) past the table's maximum or
    `TABLE_MAX_ELEMENTS`."""
    T = TT.elements
    old = len(T)
    new = old + delta
    mx = TT.max
    if new > (_U32 if mx is None else mx) or new > TABLE_MAX_ELEMENTS:
        return _U32
    if delta:
        try:
            T.extend([init] * delta)
        except MemoryError:
            return _U32
    return old


def table_fill(T, i, ref, n):
    if i + n > len(T):
        raise Trap(_OOB_TABLE)
    if n:
        T[i:i + n] = [ref] * n


def table_copy(Td, Ts, d, s, n):
    if s + n > len(Ts) or d + n > len(Td):
        raise Trap(_OOB_TABLE)
    if n:
        Td[d:d + n] = Ts[s:s + n]


def table_init(T, Ecell, d, s, n):
    elems = Ecell[0]
    if s + n > len(elems) or d + n > len(T):
        raise Trap(_OOB_TABLE)
    if n:
        T[d:d + n] = elems[s:s + n]


def elem_drop(Ecell):
    Ecell[0] = []


def table_entry(T, i, ty):
    """The table entry `call_indirect` would call: `i` in bounds ("undefined element"),
    not null ("uninitialized element"), of the interned type `ty`."""
    if i >= len(T):
        raise Trap("undefined element")
    entry = T[i]
    if entry is None:
        raise Trap("uninitialized element")
    if entry.type is not ty:
        raise Trap("indirect call type mismatch")
    return entry


def call_indirect(T, i, ty):
    """The raw callable of table entry `i`, checked against the expected interned
    `FuncType` `ty`. The checks of `table_entry`, inlined: this runs on every indirect
    call, and a nested call would add one Python call to each."""
    if i >= len(T):
        raise Trap("undefined element")
    entry = T[i]
    if entry is None:
        raise Trap("uninitialized element")
    if entry.type is not ty:
        raise Trap("indirect call type mismatch")
    return entry.fn


def call_indirect_tail(T, i, ty):
    """`return_call_indirect`'s target: like `call_indirect`, but a function that makes
    tail calls itself is returned as its body, so the caller's driver loop runs it
    without a nested frame (tail recursion through a table stays flat)."""
    entry = table_entry(T, i, ty)
    return entry.body or entry.fn


class TailCall:
    """What the body of a function with tail calls returns for `return_call`: the
    callable to run next and its raw arguments. The function's driver (codegen's
    `tail_driver`) loops until it gets a real result, so a chain of tail calls of any
    length uses one Python frame."""

    __slots__ = ("fn", "args")

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args


def unreachable():
    raise Trap("unreachable")


# -- the namespace ---------------------------------------------------------------------

HELPERS: dict[str, object] = {
    name.replace(".", "_"): fn for name, fn in NUMERIC.items()
}
HELPERS.update({
    "Trap": Trap,
    "unpack_i32": unpack_i32, "unpack_i64": unpack_i64, "unpack_f64": unpack_f64,
    "unpack_i8s": unpack_i8s, "unpack_i8u": unpack_i8u, "unpack_i16s": unpack_i16s,
    "unpack_i16u": unpack_i16u, "unpack_i32s": unpack_i32s,
    "pack_i32": pack_i32, "pack_i64": pack_i64, "pack_f64": pack_f64,
    "pack_i8": pack_i8, "pack_i16": pack_i16,
    "load_f32": load_f32, "store_f32": store_f32,
    # f32 rounding inline (codegen/lowering.py F32ARITH): native struct "f", a C cast
    "f32_pack": _F32_NATIVE.pack, "f32_unpack": _F32_NATIVE.unpack, "f32_round": f32_round,
    "sqrt": math.sqrt,  # f64.sqrt of a >= 0 inline (codegen/lowering.py FSQRT)
    "memory_grow": memory_grow, "memory_fill": memory_fill, "memory_copy": memory_copy,
    "memory_init": memory_init, "data_drop": data_drop,
    "table_get": table_get, "table_set": table_set, "table_size": table_size,
    "table_grow": table_grow, "table_fill": table_fill, "table_copy": table_copy,
    "table_init": table_init, "elem_drop": elem_drop,
    "call_indirect": call_indirect, "unreachable": unreachable,
    "call_indirect_tail": call_indirect_tail, "TailCall": TailCall,
})
HELPERS.update(ATOMICS)
HELPERS.update(SIMD)
"""Every name generated code may read besides the per-instance ones (f0, mem0, g0, T0,
ty0, D0, E0, ...)."""

"""The binary decoder: wasm bytes -> `Module`.

`decode(data)` reads the Wasm 2.0 binary format plus the SIMD (0xFD), threads (0xFE)
and tail-call (0x12/0x13) opcodes. Anything malformed raises `DecodeError(message,
offset)`, and nothing else escapes: every length and count is checked against the
bytes that remain before anything is allocated, and the decoder never recurses.

The messages contain the phrases of the spec interpreter (`interpreter/binary/
decode.ml`), which the official test suite expects, and the decoder follows the spec
interpreter in *where* it notices a problem: like it, a section or function body is
read from the module as a whole and its declared size is compared afterwards ("section
size mismatch"), and lengths are checked against what remains of the module ("length
out of bounds").

Which instructions may appear where (constant expressions), index ranges, alignment
and types are the validator's business: the decoder decodes any opcode anywhere.
"""

from __future__ import annotations

import gc

from . import opcodes as _ops
from ..errors import DecodeError
from .leb128 import (
    TOO_LARGE,
    TOO_LONG,
    UNEXPECTED_END,
    read_s32,
    read_s33,
    read_s64,
    read_u32,
)
from .module import (
    Code,
    CustomSection,
    DataSegment,
    ElemSegment,
    Export,
    Global,
    Import,
    Module,
    Names,
)
from .types import (
    EXTERNREF,
    FUNCREF,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    ValueType,
)

__all__ = ["decode", "MAX_LOCALS", "V1_PHRASES"]

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

# The most locals (not counting parameters) one function may declare. The binary format
# allows up to 2**32-1; engines cap it (V8 and wasmtime at 50,000) so that a few bytes
# cannot ask for gigabytes.
MAX_LOCALS = 50_000

# The 1.0 suite's phrases for errors that the 2.0 suite (and this decoder) name
# differently: a 1.0 expectation is met when the message contains the 2.0 phrase.
V1_PHRASES = {
    "invalid UTF-8 encoding": "malformed UTF-8 encoding",
    "invalid mutability": "malformed mutability",
    "invalid section id": "malformed section id",
    "zero flag expected": "zero byte expected",
}

_VALTYPES: dict[int, ValueType] = {int(t): t for t in ValueType}
_REFTYPES: dict[int, ValueType] = {0x70: FUNCREF, 0x6F: EXTERNREF}

# Section ids in their required order (the data count section, 12, sits between the
# element and code sections).
_SECTION_RANK = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}
_EXTERN_KINDS = ("func", "table", "memory", "global")

# -- immediate kinds: opcode -> small int, for the instruction loop -------------------

(K_NONE, K_IDX, K_I32, K_END, K_MEMARG, K_BLOCK, K_BR_TABLE, K_ELSE, K_I64, K_F32, K_F64,
 K_CALL_INDIRECT, K_ZERO, K_SELECT_T, K_REFTYPE, K_PREFIX, K_ILLEGAL, K_DATA, K_MEMORY_INIT,
 K_MEMORY_COPY, K_PAIR, K_V128, K_SHUFFLE, K_LANE, K_MEMARG_LANE) = range(25)

_IMM_KIND = {
    _ops.IMM_NONE: K_NONE,
    _ops.IMM_BLOCK: K_BLOCK,
    _ops.IMM_LABEL: K_IDX,
    _ops.IMM_BR_TABLE: K_BR_TABLE,
    _ops.IMM_FUNC: K_IDX,
    _ops.IMM_CALL_INDIRECT: K_CALL_INDIRECT,
    _ops.IMM_LOCAL: K_IDX,
    _ops.IMM_GLOBAL: K_IDX,
    _ops.IMM_TABLE: K_IDX,
    _ops.IMM_MEMARG: K_MEMARG,
    _ops.IMM_MEMORY: K_ZERO,
    _ops.IMM_I32: K_I32,
    _ops.IMM_I64: K_I64,
    _ops.IMM_F32: K_F32,
    _ops.IMM_F64: K_F64,
    _ops.IMM_V128: K_V128,
    _ops.IMM_SELECT_T: K_SELECT_T,
    _ops.IMM_REFTYPE: K_REFTYPE,
    _ops.IMM_MEMORY_INIT: K_MEMORY_INIT,
    _ops.IMM_DATA: K_DATA,
    _ops.IMM_MEMORY_COPY: K_MEMORY_COPY,
    _ops.IMM_TABLE_INIT: K_PAIR,
    _ops.IMM_ELEM: K_IDX,
    _ops.IMM_TABLE_COPY: K_PAIR,
    _ops.IMM_LANE: K_LANE,
    _ops.IMM_MEMARG_LANE: K_MEMARG_LANE,
    _ops.IMM_SHUFFLE: K_SHUFFLE,
    _ops.IMM_FENCE: K_ZERO,
}

_PREFIXES = (0xFC, 0xFD, 0xFE)


def _build_kind_tables() -> tuple[list[int], dict[int, int]]:
    single = [K_ILLEGAL] * 256
    prefixed: dict[int, int] = {}
    for code, info in _ops.OPS.items():
        kind = _IMM_KIND[info.imm]
        if code > 0xFF:
            prefixed[code] = kind
        else:
            single[code] = kind
    single[_ops.ELSE] = K_ELSE
    single[_ops.END] = K_END
    for p in _PREFIXES:
        single[p] = K_PREFIX
    return single, prefixed


_KINDS, _PREFIXED_KINDS = _build_kind_tables()
_IF = _ops.IF
_REF_FUNC = _ops.REF_FUNC
_END = _ops.END


def _valtype_error(b: int, pos: int) -> DecodeError:
    # The spec interpreter's phrase for each kind of bad value-type byte.
    if b >= 0x80:
        return DecodeError(TOO_LONG, pos + 1)
    if 0x71 <= b <= 0x7A:
        return DecodeError(f"malformed vector type {b:#04x}", pos)
    return DecodeError(f"malformed reference type {b:#04x}", pos)


def _eof(n: int) -> DecodeError:
    return DecodeError(UNEXPECTED_END, n)


# -- instructions -------------------------------------------------------------------


def _read_instrs(data: bytes, pos: int) -> tuple[list, int, bool]:
    """Decode one expression: instructions from `pos` up to and including the `end` that
    closes it. Returns the instruction list, the position after it, and whether it uses
    a data index (memory.init, data.drop: the data count section is then required).

    Running off the end of `data` raises IndexError, which `decode` reports as an
    unexpected end."""
    instrs: list = []
    append = instrs.append
    kinds = _KINDS
    frames: list[int] = []  # per open block: 0 block/loop, 1 if, 2 if after its else
    push = frames.append
    pop = frames.pop
    uses_data = False
    while True:
        off = pos
        op = data[pos]
        pos += 1
        k = kinds[op]
        if k == 0:  # K_NONE
            append((op, None, off))
        elif k == 1:  # K_IDX
            b = data[pos]
            if b < 0x80:
                pos += 1
                append((op, b, off))
            else:
                b, pos = read_u32(data, pos)
                append((op, b, off))
        elif k == 2:  # K_I32
            b = data[pos]
            if b < 0x40:
                pos += 1
                append((op, b, off))
            elif b < 0x80:
                pos += 1
                append((op, b + 0xFFFFFF80, off))
            else:
                a = data[pos + 1]
                if a < 0x40:  # two bytes, non-negative
                    pos += 2
                    append((op, (b & 0x7F) | a << 7, off))
                else:
                    b, pos = read_s32(data, pos)
                    append((op, b & 0xFFFFFFFF, off))
        elif k == 3:  # K_END
            append((op, None, off))
            if not frames:
                return instrs, pos, uses_data
            pop()
        elif k == 4:  # K_MEMARG
            a = data[pos]
            if a < 0x80:
                pos += 1
            else:
                a, pos = read_u32(data, pos)
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = read_u32(data, pos)
            append((op, (a, b), off))
        elif k == 5:  # K_BLOCK
            b = data[pos]
            if b == 0x40:
                bt = -64
                pos += 1
            elif b < 0x40:
                bt = b  # a small type index
                pos += 1
            elif b < 0x80:
                if b not in _VALTYPES:
                    raise _valtype_error(b, pos)
                bt = b - 0x80
                pos += 1
            else:
                bt, pos = read_s33(data, pos)
                # A multi-byte negative s33 is no value type; like the spec interpreter,
                # read it as a (far out of range) type index for the validator to reject.
                bt &= 0xFFFFFFFF
            push(1 if op == _IF else 0)
            append((op, bt, off))
        elif k == 6:  # K_BR_TABLE
            count, p = read_u32(data, pos)
            if count > len(data) - pos:
                raise DecodeError("length out of bounds", pos)
            pos = p
            labels = []
            for _ in range(count):
                b = data[pos]
                if b < 0x80:
                    pos += 1
                else:
                    b, pos = read_u32(data, pos)
                labels.append(b)
            b, pos = read_u32(data, pos)
            append((op, (tuple(labels), b), off))
        elif k == 7:  # K_ELSE
            if not frames or frames[-1] != 1:
                raise DecodeError("END opcode expected", off)
            frames[-1] = 2
            append((op, None, off))
        elif k == 8:  # K_I64
            b = data[pos]
            if b < 0x40:
                pos += 1
                append((op, b, off))
            elif b < 0x80:
                pos += 1
                append((op, b + 0xFFFFFFFFFFFFFF80, off))
            else:
                b, pos = read_s64(data, pos)
                append((op, b & 0xFFFFFFFFFFFFFFFF, off))
        elif k == 9:  # K_F32
            if pos + 4 > len(data):
                raise _eof(len(data))
            append((op, int.from_bytes(data[pos:pos + 4], "little"), off))
            pos += 4
        elif k == 10:  # K_F64
            if pos + 8 > len(data):
                raise _eof(len(data))
            append((op, int.from_bytes(data[pos:pos + 8], "little"), off))
            pos += 8
        elif k == 11:  # K_CALL_INDIRECT: type index, then table index
            a, pos = read_u32(data, pos)
            b, pos = read_u32(data, pos)
            append((op, (a, b), off))
        elif k == 12:  # K_ZERO: memory.size, memory.grow (reserved memory index byte)
            if data[pos] != 0:
                raise DecodeError("zero byte expected", pos)
            pos += 1
            append((op, 0, off))
        elif k == 13:  # K_SELECT_T
            count, p = read_u32(data, pos)
            if count > len(data) - pos:
                raise DecodeError("length out of bounds", pos)
            pos = p
            types = []
            for _ in range(count):
                b = data[pos]
                t = _VALTYPES.get(b)
                if t is None:
                    raise _valtype_error(b, pos)
                types.append(t)
                pos += 1
            append((op, tuple(types), off))
        elif k == 14:  # K_REFTYPE
            b = data[pos]
            t = _REFTYPES.get(b)
            if t is None:
                raise DecodeError(f"malformed reference type {b:#04x}", pos)
            pos += 1
            append((op, t, off))
        elif k == 15:  # K_PREFIX
            b = data[pos]
            if b < 0x80:
                pos += 1
            else:
                b, pos = read_u32(data, pos)
            code = op << 16 | b
            k = _PREFIXED_KINDS.get(code)
            if k is None:
                raise DecodeError(f"illegal opcode {op:02x} {b:02x}", off)
            op = code
            if k == 0:  # K_NONE
                append((op, None, off))
            elif k == 4:  # K_MEMARG
                a, pos = read_u32(data, pos)
                b, pos = read_u32(data, pos)
                append((op, (a, b), off))
            elif k == 1:  # K_IDX
                b, pos = read_u32(data, pos)
                append((op, b, off))
            elif k == 21:  # K_V128
                if pos + 16 > len(data):
                    raise _eof(len(data))
                append((op, int.from_bytes(data[pos:pos + 16], "little"), off))
                pos += 16
            elif k == 23:  # K_LANE
                append((op, data[pos], off))
                pos += 1
            elif k == 24:  # K_MEMARG_LANE
                a, pos = read_u32(data, pos)
                b, pos = read_u32(data, pos)
                append((op, (a, b, data[pos]), off))
                pos += 1
            elif k == 22:  # K_SHUFFLE
                if pos + 16 > len(data):
                    raise _eof(len(data))
                append((op, tuple(data[pos:pos + 16]), off))
                pos += 16
            elif k == 12:  # K_ZERO: memory.fill, atomic.fence
                if data[pos] != 0:
                    raise DecodeError("zero byte expected", pos)
                pos += 1
                append((op, 0, off))
            elif k == 17:  # K_DATA: data.drop
                b, pos = read_u32(data, pos)
                uses_data = True
                append((op, b, off))
            elif k == 18:  # K_MEMORY_INIT: data index, reserved memory byte
                b, pos = read_u32(data, pos)
                if data[pos] != 0:
                    raise DecodeError("zero byte expected", pos)
                pos += 1
                uses_data = True
                append((op, (b, 0), off))
            elif k == 19:  # K_MEMORY_COPY: two reserved memory bytes
                if data[pos] != 0:
                    raise DecodeError("zero byte expected", pos)
                if data[pos + 1] != 0:
                    raise DecodeError("zero byte expected", pos + 1)
                pos += 2
                append((op, (0, 0), off))
            elif k == 20:  # K_PAIR: table.init (elem, table), table.copy (dst, src)
                a, pos = read_u32(data, pos)
                b, pos = read_u32(data, pos)
                append((op, (a, b), off))
            else:  # pragma: no cover - every prefixed kind is handled above
                raise DecodeError(f"illegal opcode {op >> 16:02x} {op & 0xFFFF:02x}", off)
        else:  # K_ILLEGAL
            raise DecodeError(f"illegal opcode {op:02x}", off)


# -- sections -----------------------------------------------------------------------


class _Reader:
    """Section-level reading: a position in the whole module's bytes."""

    __slots__ = ("data", "n", "pos")

    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.n = len(data)
        self.pos = pos

    def u8(self) -> int:
        pos = self.pos
        if pos >= self.n:
            raise _eof(self.n)
        self.pos = pos + 1
        return self.data[pos]

    def u32(self) -> int:
        pos = self.pos
        data = self.data
        if pos < self.n and data[pos] < 0x80:
            self.pos = pos + 1
            return data[pos]
        value, self.pos = read_u32(data, pos)
        return value

    def len32(self) -> int:
        """A length or count: a u32 no larger than the bytes that remain (counted, as
        the spec interpreter does, from the length's own first byte)."""
        pos = self.pos
        n = self.u32()
        if n > self.n - pos:
            raise DecodeError("length out of bounds", pos)
        return n

    def bytes_(self, length: int) -> bytes:
        pos = self.pos
        end = pos + length
        if end > self.n:
            raise _eof(self.n)
        self.pos = end
        return self.data[pos:end]

    def name(self) -> str:
        pos = self.pos
        raw = self.bytes_(self.len32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("malformed UTF-8 encoding", pos) from None

    def valtype(self) -> ValueType:
        pos = self.pos
        b = self.u8()
        t = _VALTYPES.get(b)
        if t is None:
            raise _valtype_error(b, pos)
        return t

    def reftype(self) -> ValueType:
        pos = self.pos
        b = self.u8()
        t = _REFTYPES.get(b)
        if t is None:
            raise DecodeError(f"malformed reference type {b:#04x}", pos)
        return t

    def limits(self, memory: bool) -> Limits:
        # flags: 0x00 min, 0x01 min max; for memories also 0x03 shared min max (threads).
        # The flags are read like the spec's `vu1`: a continuation bit means "integer
        # representation too long", any other value "integer too large". A shared
        # memory without a maximum (0x02) is rejected here rather than by the validator.
        pos = self.pos
        flags = self.u8()
        if flags & 0x80:
            raise DecodeError(TOO_LONG, pos + 1)
        if flags > 1 and not (memory and flags == 3):
            if memory and flags == 2:
                raise DecodeError(f"{TOO_LARGE}: limits flags 0x02 (a shared memory needs a maximum)", pos)
            raise DecodeError(f"{TOO_LARGE}: malformed limits flags {flags:#04x}", pos)
        lo = self.u32()
        hi = self.u32() if flags & 1 else None
        return Limits(lo, hi, flags == 3)

    def global_type(self) -> GlobalType:
        t = self.valtype()
        pos = self.pos
        m = self.u8()
        if m > 1:
            raise DecodeError("malformed mutability", pos)
        return GlobalType(t, m == 1)

    def expr(self) -> tuple[list, bool]:
        instrs, self.pos, uses_data = _read_instrs(self.data, self.pos)
        return instrs, uses_data

    def const_expr(self) -> list:
        instrs, self.pos, _ = _read_instrs(self.data, self.pos)
        return instrs


def _read_functype(r: _Reader) -> FuncType:
    pos = r.pos
    form = r.u8()
    if form != 0x60:
        if form & 0x80:
            raise DecodeError(TOO_LONG, pos + 1)
        raise DecodeError(f"malformed function type {form:#04x}", pos)
    params = [r.valtype() for _ in range(r.len32())]
    results = [r.valtype() for _ in range(r.len32())]
    return FuncType(params, results)


def _read_import(r: _Reader, m: Module) -> Import:
    offset = r.pos
    module = r.name()
    name = r.name()
    pos = r.pos
    kind = r.u8()
    if kind == 0:
        idx = r.u32()
        ftype = m.types[idx] if idx < len(m.types) else None
        return Import(module, name, "func", ftype, idx, offset)
    if kind == 1:
        elem = r.reftype()
        return Import(module, name, "table", TableType(elem, r.limits(False)), None, offset)
    if kind == 2:
        return Import(module, name, "memory", MemoryType(r.limits(True)), None, offset)
    if kind == 3:
        return Import(module, name, "global", r.global_type(), None, offset)
    raise DecodeError(f"malformed import kind {kind:#04x}", pos)


def _read_export(r: _Reader) -> Export:
    offset = r.pos
    name = r.name()
    pos = r.pos
    kind = r.u8()
    if kind > 3:
        raise DecodeError(f"malformed export kind {kind:#04x}", pos)
    return Export(name, _EXTERN_KINDS[kind], r.u32(), None, offset)


def _funcidx_exprs(r: _Reader) -> list:
    init = []
    for _ in range(r.len32()):
        off = r.pos
        idx = r.u32()
        init.append([(_REF_FUNC, idx, off), (_END, None, off)])
    return init


def _read_elem(r: _Reader) -> ElemSegment:
    offset = r.pos
    flags = r.u32()
    if flags > 7:
        raise DecodeError(f"malformed elements segment kind {flags}", offset)
    table = 0
    offset_expr = None
    if flags & 1:
        mode = "declarative" if flags & 2 else "passive"
    else:
        mode = "active"
        if flags & 2:
            table = r.u32()
        offset_expr = r.const_expr()
    if flags & 4:  # element expressions
        etype = r.reftype() if flags & 3 else FUNCREF
        init = [r.const_expr() for _ in range(r.len32())]
    else:  # function indices
        if flags & 3:
            pos = r.pos
            if r.u8() != 0x00:
                raise DecodeError("malformed element kind", pos)
        etype = FUNCREF
        init = _funcidx_exprs(r)
    return ElemSegment(mode, etype, init, table, offset_expr, offset)


def _read_data(r: _Reader) -> DataSegment:
    offset = r.pos
    flags = r.u32()
    if flags == 1:
        return DataSegment("passive", r.bytes_(r.len32()), 0, None, offset)
    if flags == 0:
        memory = 0
    elif flags == 2:
        memory = r.u32()
    else:
        raise DecodeError(f"malformed data segment kind {flags}", offset)
    offset_expr = r.const_expr()
    return DataSegment("active", r.bytes_(r.len32()), memory, offset_expr, offset)


def _read_code(r: _Reader) -> tuple[Code, bool]:
    size = r.len32()
    start = r.pos
    # locals: a vector of (count, type); the total must stay below 2**32 (spec) and
    # MAX_LOCALS (this implementation's limit).
    groups = []
    total = 0
    for _ in range(r.len32()):
        count = r.u32()
        groups.append((count, r.valtype()))
        total += count
    if total > MAX_LOCALS:
        raise DecodeError(f"too many locals ({total}, the limit is {MAX_LOCALS})", start)
    local_types: list[ValueType] = []
    for count, t in groups:
        local_types += [t] * count
    body, uses_data = r.expr()
    if r.pos != start + size:
        raise DecodeError("section size mismatch (function body)", start)
    return Code(local_types, body, start, size), uses_data


def _read_names(payload: bytes, names: Names) -> None:
    """Decode the "name" custom section's subsections (module 0, functions 1, locals 2)
    into `names`. A subsection that does not parse is ignored: custom sections never
    make a module malformed."""
    r = _Reader(payload)
    last_id = -1
    while r.pos < r.n:
        try:
            sub_id = r.u8()
            size = r.len32()
        except (DecodeError, IndexError):
            return
        start = r.pos
        end = start + size
        if sub_id <= last_id:
            return  # out of order or duplicated: stop trusting the section
        last_id = sub_id
        sub = _Reader(payload[start:end])
        try:
            if sub_id == 0:
                module_name = sub.name()
                if sub.pos == sub.n:
                    names.module = module_name
            elif sub_id == 1:
                funcs = {}
                for _ in range(sub.len32()):
                    idx = sub.u32()
                    funcs[idx] = sub.name()
                if sub.pos == sub.n:
                    names.functions.update(funcs)
            elif sub_id == 2:
                all_locals = {}
                for _ in range(sub.len32()):
                    fidx = sub.u32()
                    local_names = {}
                    for _ in range(sub.len32()):
                        lidx = sub.u32()
                        local_names[lidx] = sub.name()
                    all_locals[fidx] = local_names
                if sub.pos == sub.n:
                    names.locals.update(all_locals)
        except (DecodeError, IndexError):
            pass
        r.pos = end


def decode(data: bytes | bytearray | memoryview) -> Module:
    """Decode a binary module. Raises `DecodeError` if it is malformed."""
    if not isinstance(data, bytes):
        data = bytes(data)
    # Decoding allocates a tuple per instruction and creates no reference cycles: the
    # cyclic GC's many young-generation passes would only cost time (about a quarter).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode(data)
    except IndexError:
        raise DecodeError(UNEXPECTED_END, len(data)) from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _decode(data: bytes) -> Module:
    n = len(data)
    # Like the spec interpreter, read the magic and the version as whole 4-byte words.
    if n < 4:
        raise DecodeError("unexpected end", n)
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if n < 8:
        raise DecodeError("unexpected end", n)
    if data[4:8] != VERSION:
        raise DecodeError("unknown binary version", 4)

    m = Module()
    r = _Reader(data, 8)
    last_rank = 0
    func_count = None
    code_count = None
    uses_data = False
    while r.pos < n:
        sec_off = r.pos
        sec_id = data[sec_off]
        r.pos += 1
        if sec_id != 0:
            rank = _SECTION_RANK.get(sec_id)
            if rank is None:
                raise DecodeError(f"malformed section id {sec_id}", sec_off)
            if rank <= last_rank:
                raise DecodeError(
                    f"unexpected content after last section (section {sec_id} out of order or repeated)",
                    sec_off)
            last_rank = rank
        size = r.len32()
        start = r.pos

        if sec_id == 0:
            name = r.name()
            end = start + size
            if r.pos > end or end > n:
                raise _eof(n)
            payload = data[r.pos:end]
            r.pos = end
            m.customs.append(CustomSection(name, payload, sec_off))
            if name == "name":
                _read_names(payload, m.names)
        elif sec_id == 1:
            m.types = [_read_functype(r) for _ in range(r.len32())]
        elif sec_id == 2:
            m.imports = [_read_import(r, m) for _ in range(r.len32())]
        elif sec_id == 3:
            func_count = r.len32()
            m.funcs = [r.u32() for _ in range(func_count)]
        elif sec_id == 4:
            tables = []
            for _ in range(r.len32()):
                elem = r.reftype()
                tables.append(TableType(elem, r.limits(False)))
            m.tables = tables
        elif sec_id == 5:
            m.memories = [MemoryType(r.limits(True)) for _ in range(r.len32())]
        elif sec_id == 6:
            globals_ = []
            for _ in range(r.len32()):
                off = r.pos
                gt = r.global_type()
                globals_.append(Global(gt, r.const_expr(), off))
            m.globals = globals_
        elif sec_id == 7:
            m.exports = [_read_export(r) for _ in range(r.len32())]
        elif sec_id == 8:
            m.start_offset = r.pos
            m.start = r.u32()
        elif sec_id == 9:
            m.elems = [_read_elem(r) for _ in range(r.len32())]
        elif sec_id == 12:
            m.data_count = r.u32()
        elif sec_id == 10:
            m.code_section_offset = start  # DWARF addresses count from here
            code_count = r.len32()
            codes = []
            for _ in range(code_count):
                code, used = _read_code(r)
                codes.append(code)
                uses_data = uses_data or used
            m.codes = codes
        elif sec_id == 11:
            m.datas = [_read_data(r) for _ in range(r.len32())]

        if r.pos != start + size:
            raise DecodeError(f"section size mismatch (section {sec_id})", sec_off)

    if (func_count or 0) != (code_count or 0):
        raise DecodeError("function and code section have inconsistent lengths", n)
    if m.data_count is not None and m.data_count != len(m.datas):
        raise DecodeError("data count and data section have inconsistent lengths", n)
    # The spec requires a data count section whenever a function body names a data
    # segment (memory.init, data.drop). Without a data section too, every such index is
    # out of range anyway: leave that module to the validator ("unknown data segment"),
    # as the suite's binary `assert_invalid` modules (made without one) expect.
    if m.data_count is None and uses_data and m.datas:
        raise DecodeError("data count section required", n)
    return m

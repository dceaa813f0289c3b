"""A direct assembler: light instructions -> a CPython code object, without `bytecode`.

`bytecode` is the reference assembler (and what `assemble_reference` uses); this one
does only what transpyle's code needs, in one pass plus jump resolution, and is about
5x faster on big modules (RATIONALE.md). tests/test_assemble.py assembles every
function of the golden modules and the spec suite both ways and compares the
disassembly, instruction by instruction, with lines.

Encoding (CPython 3.11-3.13): each instruction is two bytes (opcode, low 8 bits of the
argument), preceded by EXTENDED_ARG for the higher bits and followed by the opcode's
inline cache entries (zeroed). The line table is the 3.11 location table using only
"no column" entries (code 13). Per-version facts (argument encodings, jump directions)
come from emit.py.
"""

from __future__ import annotations

import opcode as _opcode
import struct
import types

from bytecode import Label

from . import emit
from .emit import NOARG

_OPMAP = _opcode.opmap
_ICE = _opcode._inline_cache_entries
EXTENDED_ARG = _OPMAP["EXTENDED_ARG"]


def _caches(name: str) -> int:
    if isinstance(_ICE, dict):  # 3.13: by name, only opcodes that have caches
        return _ICE.get(name, 0)
    op = _OPMAP[name]  # 3.11/3.12: a list by opcode; pseudo-instructions lie beyond it
    return _ICE[op] if op < len(_ICE) else 0


_CACHES = {name: _caches(name) for name in _OPMAP}
_JUMP_SIGN = emit.JUMP_SIGN
_NAME_ARG = frozenset({"STORE_GLOBAL"})
_LOCAL_ARG = frozenset({"LOAD_FAST", "STORE_FAST"})
_F64 = struct.Struct("<d")


def _template() -> types.CodeType:
    def f():
        pass
    return f.__code__


_TEMPLATE = _template()


def _const_key(value):
    """Constants are shared by value, with -0.0, NaN payloads and types kept apart."""
    t = type(value)
    if t is float:
        return (t, _F64.pack(value))
    if t is tuple:
        return (t, tuple(_const_key(v) for v in value))
    if t is types.CodeType:
        return (t, id(value))
    return (t, value)


def _ext_count(arg: int) -> int:
    return 0 if arg < 0x100 else 1 if arg < 0x10000 else 2 if arg < 0x1000000 else 3


def _write_varint(out: bytearray, val: int) -> None:
    while val >= 64:
        out.append(64 | (val & 63))
        val >>= 6
    out.append(val)


def _linetable(units: list[tuple[int, int | None]], first_line: int) -> bytes:
    """units: (code units, line) per instruction -> the location table."""
    out = bytearray()
    prev = first_line
    for n, line in units:
        while n > 0:
            k = min(n, 8)
            n -= k
            if line is None:
                out.append(0x80 | (15 << 3) | (k - 1))
                continue
            out.append(0x80 | (13 << 3) | (k - 1))
            delta = line - prev
            _write_varint(out, (-delta << 1) | 1 if delta < 0 else delta << 1)
            prev = line
    return bytes(out)


def assemble(light: list, *, name: str, filename: str, argnames: list[str],
             stacksize: int, first_line: int = 1) -> types.CodeType:
    consts: dict = {}
    const_list: list = []
    names: dict[str, int] = {}
    varnames: dict[str, int] = {n: i for i, n in enumerate(argnames)}
    compare_shift = emit.COMPARE_SHIFT
    compare_mask = emit.COMPARE_MASK

    # 1. numeric arguments (jumps resolved below); labels -> instruction index
    ops: list[list] = []  # [opcode, arg, caches, line, jump target label or None]
    label_at: dict = {}
    line = first_line
    for ins in light:
        if ins.__class__ is Label:
            label_at[ins] = len(ops)
            continue
        nm, arg, ln = ins
        if ln is not None:
            line = ln
        target = None
        if nm in _JUMP_SIGN:
            target, arg = arg, 0
        elif arg is NOARG:
            arg = 0
        elif nm == "LOAD_CONST":
            key = _const_key(arg)
            idx = consts.get(key)
            if idx is None:
                idx = consts[key] = len(const_list)
                const_list.append(arg)
            arg = idx
        elif nm in _LOCAL_ARG:
            idx = varnames.get(arg)
            if idx is None:
                idx = varnames[arg] = len(varnames)
            arg = idx
        elif nm == "LOAD_GLOBAL":
            push_null, gname = arg
            idx = names.get(gname)
            if idx is None:
                idx = names[gname] = len(names)
            arg = (idx << 1) | bool(push_null)
        elif nm in _NAME_ARG:
            idx = names.get(arg)
            if idx is None:
                idx = names[arg] = len(names)
            arg = idx
        elif nm == "COMPARE_OP":
            arg = (int(arg) << compare_shift) | compare_mask.get(arg, 0)
        else:
            arg = int(arg)
        ops.append([_OPMAP[nm], arg, _CACHES[nm], line, target, nm])

    # 2. jump distances, growing EXTENDED_ARG prefixes until the layout is stable
    while True:
        offsets = []
        pos = 0
        for o in ops:
            offsets.append(pos)
            pos += 1 + _ext_count(o[1]) + o[2]
        offsets.append(pos)
        changed = False
        for i, o in enumerate(ops):
            target = o[4]
            if target is None:
                continue
            after = offsets[i + 1]
            dest = offsets[label_at[target]]
            dist = (dest - after) * _JUMP_SIGN[o[5]]
            if dist < 0:
                raise AssertionError(f"{o[5]} cannot jump {'back' if dest < after else 'forward'}")
            if dist != o[1]:
                if _ext_count(dist) != _ext_count(o[1]):
                    changed = True
                o[1] = dist
        if not changed:
            break

    # 3. bytes and line table
    code = bytearray()
    units = []  # (code units, line), consecutive instructions of one line merged
    for opnum, arg, caches, ln, _, _ in ops:
        n = _ext_count(arg)
        for shift in range(8 * n, 0, -8):
            code += bytes((EXTENDED_ARG, (arg >> shift) & 0xFF))
        code += bytes((opnum, arg & 0xFF))
        code += bytes(2 * caches)
        size = 1 + n + caches
        if units and units[-1][1] == ln:
            units[-1] = (units[-1][0] + size, ln)
        else:
            units.append((size, ln))
    return _TEMPLATE.replace(
        co_argcount=len(argnames), co_posonlyargcount=0, co_kwonlyargcount=0,
        co_nlocals=len(varnames), co_stacksize=stacksize, co_flags=_TEMPLATE.co_flags,
        co_firstlineno=first_line, co_code=bytes(code), co_consts=tuple(const_list),
        co_names=tuple(names), co_varnames=tuple(varnames), co_freevars=(), co_cellvars=(),
        co_filename=filename, co_name=name, co_qualname=name,
        co_linetable=_linetable(units, first_line), co_exceptiontable=b"")


def assemble_reference(light: list, *, name: str, filename: str, argnames: list[str],
                       stacksize: int, first_line: int = 1) -> types.CodeType:
    """The same, assembled by the `bytecode` package: the reference the direct
    assembler is tested against, and a fallback (TRANSPYLE_ASSEMBLER=bytecode)."""
    from bytecode import Bytecode

    bc = Bytecode(emit.to_instrs(light, first_line))
    bc.name = bc.qualname = name
    bc.filename = filename
    bc.first_lineno = first_line
    bc.argcount = len(argnames)
    bc.argnames = list(argnames)
    return bc.to_code(stacksize=stacksize, check_pre_and_post=False,
                      compute_exception_stack_depths=False)


def assembler():
    """The assembler in use: the direct one, unless TRANSPYLE_ASSEMBLER=bytecode."""
    import os

    return assemble_reference if os.environ.get("TRANSPYLE_ASSEMBLER") == "bytecode" else assemble

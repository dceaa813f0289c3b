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
from itertools import accumulate

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


# how step 1 of `assemble` turns each opcode's argument into its number
_PLAIN, _JUMP, _CONST, _LOCAL, _GLOBAL, _NAME, _COMPARE = range(7)


def _kind(name: str) -> int:
    if name in _JUMP_SIGN:
        return _JUMP
    if name == "LOAD_CONST":
        return _CONST
    if name in _LOCAL_ARG:
        return _LOCAL
    if name == "LOAD_GLOBAL":
        return _GLOBAL
    if name in _NAME_ARG:
        return _NAME
    if name == "COMPARE_OP":
        return _COMPARE
    return _PLAIN


_INFO = {name: (_OPMAP[name], _CACHES[name], _kind(name)) for name in _OPMAP}
_CACHE_BYTES = [bytes(2 * n) for n in range(max(_CACHES.values()) + 1)]


def assemble(light: list, *, name: str, filename: str, argnames: list[str],
             stacksize: int, first_line: int = 1) -> types.CodeType:
    """Assemble `light` (emit.py's instructions and `Label`s). The loops are written
    for speed: this runs once per instruction of every module compiled (RATIONALE.md)."""
    consts: dict = {}
    const_list: list = []
    names: dict[str, int] = {}
    varnames: dict[str, int] = {n: i for i, n in enumerate(argnames)}
    compare_shift = emit.COMPARE_SHIFT
    compare_mask = emit.COMPARE_MASK
    info = _INFO
    noarg = NOARG

    # 1. numeric arguments (jumps resolved below); labels -> instruction index
    opnums: list[int] = []
    args: list[int] = []
    caches: list[int] = []
    lines: list = []
    jumps: list = []  # (instruction index, target label, sign)
    label_at: dict = {}
    line = first_line
    for ins in light:
        if ins.__class__ is Label:
            label_at[ins] = len(opnums)
            continue
        nm, arg, ln = ins
        if ln is not None:
            line = ln
        opnum, ncache, kind = info[nm]
        if arg is noarg:
            arg = 0
        elif kind == _PLAIN:
            if arg.__class__ is not int:
                arg = int(arg)
        elif kind == _LOCAL:
            idx = varnames.get(arg)
            if idx is None:
                idx = varnames[arg] = len(varnames)
            arg = idx
        elif kind == _CONST:
            key = _const_key(arg)
            idx = consts.get(key)
            if idx is None:
                idx = consts[key] = len(const_list)
                const_list.append(arg)
            arg = idx
        elif kind == _GLOBAL:
            push_null, gname = arg
            idx = names.get(gname)
            if idx is None:
                idx = names[gname] = len(names)
            arg = (idx << 1) | bool(push_null)
        elif kind == _JUMP:
            jumps.append((len(opnums), arg, _JUMP_SIGN[nm], nm))
            arg = 0
        elif kind == _NAME:
            idx = names.get(arg)
            if idx is None:
                idx = names[arg] = len(names)
            arg = idx
        else:  # _COMPARE
            arg = (int(arg) << compare_shift) | compare_mask.get(arg, 0)
        opnums.append(opnum)
        args.append(arg)
        caches.append(ncache)
        lines.append(line)

    # 2. jump distances, growing EXTENDED_ARG prefixes until the layout is stable
    sizes = [1 + c + (0 if a < 0x100 else _ext_count(a)) for a, c in zip(args, caches)]
    while jumps:
        offsets = [0]
        offsets += accumulate(sizes)
        changed = False
        for i, target, sign, nm in jumps:
            dest, after = offsets[label_at[target]], offsets[i + 1]
            dist = (dest - after) * sign
            if dist < 0:
                raise AssertionError(f"{nm} cannot jump {'back' if dest < after else 'forward'}")
            if dist != args[i]:
                args[i] = dist
                size = 1 + caches[i] + _ext_count(dist)
                if size != sizes[i]:
                    sizes[i] = size
                    changed = True
        if not changed:
            break

    # 3. bytes and line table
    code = bytearray()
    units = []  # (code units, line), consecutive instructions of one line merged
    cache_bytes = _CACHE_BYTES
    last_line = None
    run = 0
    for opnum, arg, ncache, ln, size in zip(opnums, args, caches, lines, sizes):
        if arg < 0x100:
            code.append(opnum)
            code.append(arg)
        else:
            for shift in range(8 * _ext_count(arg), 0, -8):
                code.append(EXTENDED_ARG)
                code.append((arg >> shift) & 0xFF)
            code.append(opnum)
            code.append(arg & 0xFF)
        if ncache:
            code += cache_bytes[ncache]
        if ln == last_line:
            run += size
        else:
            if run:
                units.append((run, last_line))
            last_line = ln
            run = size
    if run:
        units.append((run, last_line))
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

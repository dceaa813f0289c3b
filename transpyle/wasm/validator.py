"""The validator: checks a decoded `Module` against the WebAssembly 2.0 validation rules
(plus the tail-call and threads proposals) and computes what code generation needs.

`validate(module)` returns a `ModuleInfo` or raises `ValidationError(msg, func_index,
offset)` whose message contains the phrase the official test suite expects ("type
mismatch", "unknown local 3", ...). A module that uses `memory.init`/`data.drop` without
a data count section is malformed, not invalid: that raises `DecodeError("data count
section required")`.

Function bodies are checked with the algorithm of the specification's appendix: an
operand stack whose entries are value types or Unknown (`None`, the bottom type left
by stack-polymorphic instructions), and a stack of control frames. The operand stack
also holds a marker object at the base of every control frame, so that the fast paths
(an op whose operands are exactly on top of the stack) never need to compare against
the frame height: a marker never matches a value type, which sends the op to the slow
path, which then knows it reached the frame's base.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DecodeError, ValidationError
from . import opcodes as O
from .module import Module
from .types import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    MAX_PAGES,
    V128,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    ValueType,
)

__all__ = ["FuncInfo", "ModuleInfo", "validate"]


@dataclass
class FuncInfo:
    index: int  # function index (imports first)
    type: FuncType
    local_types: list[ValueType]  # parameters then declared locals
    max_height: int  # max operand stack height in the body
    block_types: dict[int, FuncType]  # instr index of each block/loop/if -> its resolved type
    ends: dict[int, int]  # instr index of each block/loop/if -> index of its matching `end`
    elses: dict[int, int]  # instr index of each `if` that has an `else` -> index of the `else`
    # index of each untyped `select` -> operand type (None: both operands bottom)
    select_types: dict[int, ValueType | None]
    # operand stack height before each instruction (in unreachable code: as tracked)
    heights: list[int]
    # instr index of each block/loop/if some br, br_if or br_table names (reachable or
    # not; the function's own label, -1, is left out)
    targets: set[int] = field(default_factory=set)


@dataclass
class ModuleInfo:
    funcs: list[FuncInfo]  # one per DEFINED function, in order
    func_types: list[FuncType]  # type of every function in the index space
    declared_refs: set[int] = field(default_factory=set)  # functions ref.func may name


# ---------------------------------------------------------------------------------
# Opcode classification for the function-body loop


class _Fail(Exception):
    """An error inside a function body; converted to ValidationError with the offset."""

    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg


class _Marker:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<frame>"


_MARK = _Marker()  # the base of a control frame on the operand stack

# kinds, roughly in order of frequency in compiled code (the loop tests them in order)
(K_BIN, K_CONST, K_LGET, K_LTEE, K_LSET, K_END, K_LOAD, K_STORE, K_BLOCK, K_BRIF, K_UN,
 K_CALL, K_GGET, K_BR, K_IF, K_ELSE, K_DROP, K_SELECT, K_GSET, K_RETURN, K_BRTABLE,
 K_NOP, K_UNREACHABLE, K_FIXED, K_SPECIAL) = range(25)

_SPECIAL_KINDS = {
    O.LOCAL_GET: K_LGET, O.LOCAL_SET: K_LSET, O.LOCAL_TEE: K_LTEE,
    O.GLOBAL_GET: K_GGET, O.GLOBAL_SET: K_GSET,
    O.BR_IF: K_BRIF, O.END: K_END, O.BLOCK: K_BLOCK, O.LOOP: K_BLOCK, O.IF: K_IF,
    O.ELSE: K_ELSE, O.CALL: K_CALL, O.BR: K_BR, O.DROP: K_DROP, O.SELECT: K_SELECT,
    O.RETURN: K_RETURN, O.BR_TABLE: K_BRTABLE, O.NOP: K_NOP, O.UNREACHABLE: K_UNREACHABLE,
}

# op -> (kind, a, b, c); see the loop for what a, b, c mean per kind
_TAB: dict[int, tuple] = {}
# op -> (params, results) for every op with a fixed signature (used by the slow path)
_SIG: dict[int, tuple] = {}

for _code, _info in O.OPS.items():
    if _code in _SPECIAL_KINDS:
        _TAB[_code] = (_SPECIAL_KINDS[_code], None, None, None)
        continue
    if _info.params is None or _code in O.ATOMIC_OPS or _info.imm in (O.IMM_LANE, O.IMM_MEMARG_LANE, O.IMM_SHUFFLE):
        if _info.params is not None:
            _SIG[_code] = (_info.params, _info.results)
        _TAB[_code] = (K_SPECIAL, None, None, None)
        continue
    _p, _r = _info.params, _info.results
    _SIG[_code] = (_p, _r)
    if _info.imm == O.IMM_MEMARG:
        if _p == (I32,) and len(_r) == 1:
            _TAB[_code] = (K_LOAD, _info.natural_align, None, _r[0])
        elif len(_p) == 2 and _p[0] is I32 and _r == ():
            _TAB[_code] = (K_STORE, _info.natural_align, _p[1], None)
        else:  # pragma: no cover - no such op today
            _TAB[_code] = (K_SPECIAL, None, None, None)
    elif _p == () and len(_r) == 1:
        _TAB[_code] = (K_CONST, None, None, _r[0])
    elif len(_p) == 2 and len(_r) == 1:
        _TAB[_code] = (K_BIN, _p[0], _p[1], _r[0])
    elif len(_p) == 1 and len(_r) == 1:
        _TAB[_code] = (K_UN, _p[0], None, _r[0])
    else:
        _TAB[_code] = (K_FIXED, _p, None, _r)

_NUMVEC = frozenset({I32, I64, F32, F64, V128, None})
_REFS = frozenset({FUNCREF, EXTERNREF, None})

# lanes of the extract/replace_lane ops
_LANE_LIMIT: dict[int, int] = {}
for _code, _info in O.OPS.items():
    if _info.imm == O.IMM_LANE:
        _LANE_LIMIT[_code] = O.LANES[_info.name.split(".")[0]]
    elif _info.imm == O.IMM_MEMARG_LANE:
        _LANE_LIMIT[_code] = 16 >> _info.natural_align

_FC_MEMORY_INIT, _FC_DATA_DROP, _FC_MEMORY_COPY, _FC_MEMORY_FILL = (O.FC | 8, O.FC | 9, O.FC | 10, O.FC | 11)
_FC_TABLE_INIT, _FC_ELEM_DROP, _FC_TABLE_COPY = O.FC | 12, O.FC | 13, O.FC | 14
_FC_TABLE_GROW, _FC_TABLE_SIZE, _FC_TABLE_FILL = O.FC | 15, O.FC | 16, O.FC | 17
_SHUFFLE = O.FD | 0x0D
_ATOMIC_FENCE = O.FE | 0x03
_VT_BY_BLOCKTYPE = {vt.value - 0x80: vt for vt in ValueType}


def _names(ts) -> str:
    return "[" + " ".join(str(t) for t in ts) + "]"


# ---------------------------------------------------------------------------------
# Slow-path stack helpers (the fast paths are inlined in the loop)


def _pop(vals: list, ctrls: list, expect):
    """Pop one operand, checking it against `expect` (None: any); returns the actual
    type, None for Unknown."""
    t = vals[-1]
    if t is _MARK:
        if ctrls[-1][4]:
            return None
        raise _Fail(f"type mismatch: expected {'a value' if expect is None else expect} but the stack is empty")
    vals.pop()
    if t is not expect and expect is not None and t is not None:
        raise _Fail(f"type mismatch: expected {expect}, got {t}")
    return t


def _pops(vals: list, ctrls: list, ts) -> list:
    out = [_pop(vals, ctrls, t) for t in reversed(ts)]
    out.reverse()
    return out


def _fixed(vals: list, ctrls: list, op: int) -> None:
    params, results = _SIG[op]
    for t in reversed(params):
        _pop(vals, ctrls, t)
    vals.extend(results)


def _unreachable(vals: list, ctrls: list) -> None:
    fr = ctrls[-1]
    del vals[fr[6]:]
    fr[4] = True


# ---------------------------------------------------------------------------------


class _Context:
    """Module-level facts the function-body check consults."""

    __slots__ = ("types", "func_types", "call_sigs", "tables", "nmems", "globals",
                 "elem_types", "data_count", "refs", "btcache")


def _limits(lim: Limits, bound: int, msg: str, where) -> None:
    if lim.min > bound:
        raise ValidationError(msg, None, where)
    if lim.max is not None:
        if lim.max > bound:
            raise ValidationError(msg, None, where)
        if lim.min > lim.max:
            raise ValidationError("size minimum must not be greater than maximum", None, where)


def _check_memory_type(mt: MemoryType, where) -> None:
    _limits(mt.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)", where)
    if mt.limits.shared and mt.limits.max is None:
        raise ValidationError("shared memory must have maximum", None, where)


def _check_table_type(tt: TableType, where) -> None:
    _limits(tt.limits, 0xFFFF_FFFF, "table size must be at most 2^32-1", where)
    if tt.elem not in (FUNCREF, EXTERNREF):
        raise ValidationError(f"type mismatch: table element type {tt.elem} is not a reference type", None, where)


_CONST_PUSH = {O.I32_CONST: I32, O.I64_CONST: I64, O.F32_CONST: F32, O.F64_CONST: F64, O.V128_CONST: V128}


def _const_expr(expr, expected: ValueType, imported_globals: list[GlobalType], nfuncs: int, where) -> None:
    """Check a constant expression (globals, segment offsets and element inits)."""
    ops = expr[:-1] if expr and expr[-1][0] == O.END else expr
    for op, imm, off in ops:
        if op not in O.CONST_EXPR_OPS or op == O.END:
            raise ValidationError(f"constant expression required ({O.name_of(op)})", None, off)
        if op == O.GLOBAL_GET:
            if imm >= len(imported_globals):
                raise ValidationError(f"unknown global {imm}", None, off)
            if imported_globals[imm].mutable:
                raise ValidationError("constant expression required (global.get of a mutable global)", None, off)
    stack = []
    for op, imm, off in ops:
        if op == O.GLOBAL_GET:
            stack.append(imported_globals[imm].type)
        elif op == O.REF_NULL:
            stack.append(ValueType(imm))
        elif op == O.REF_FUNC:
            if imm >= nfuncs:
                raise ValidationError(f"unknown function {imm}", None, off)
            stack.append(FUNCREF)
        else:
            stack.append(_CONST_PUSH[op])
    if len(stack) != 1 or stack[0] is not expected:
        raise ValidationError(
            f"type mismatch: constant expression has type {_names(stack)}, expected [{expected}]", None, where)


def _ref_funcs(expr, out: set) -> None:
    if expr:
        for op, imm, _off in expr:
            if op == O.REF_FUNC:
                out.add(imm)


def validate(module: Module) -> ModuleInfo:
    """Validate `module`; return the facts code generation needs."""
    try:
        return _validate(module)
    except ValidationError:
        # A body using memory.init/data.drop without a data count section (in a module
        # with data segments) is malformed, which the reference decoder reports before
        # any validation error.
        if module.data_count is None and module.datas and _uses_data_count(module):
            raise DecodeError("data count section required") from None
        raise


def _uses_data_count(module: Module) -> bool:
    for code in module.codes:
        for ins in code.body:
            if ins[0] == _FC_MEMORY_INIT or ins[0] == _FC_DATA_DROP:
                return True
    return False


def _validate(module: Module) -> ModuleInfo:
    types = module.types
    ntypes = len(types)

    # -- imports ------------------------------------------------------------------
    func_types: list[FuncType] = []
    tables: list[TableType] = []
    mems: list[MemoryType] = []
    gtypes: list[GlobalType] = []
    for imp in module.imports:
        kind = imp.kind
        if kind == "func":
            ti = imp.type_index
            if ti is None:
                if not isinstance(imp.type, FuncType):
                    raise ValidationError("unknown type", None, imp.offset)
                func_types.append(imp.type)
            else:
                if not 0 <= ti < ntypes:
                    raise ValidationError(f"unknown type {ti}", None, imp.offset)
                func_types.append(types[ti])
        elif kind == "table":
            _check_table_type(imp.type, imp.offset)
            tables.append(imp.type)
        elif kind == "memory":
            _check_memory_type(imp.type, imp.offset)
            mems.append(imp.type)
        elif kind == "global":
            gtypes.append(imp.type)
        else:
            raise ValidationError(f"unknown import kind {kind!r}", None, imp.offset)
    nimported_funcs = len(func_types)
    imported_globals = list(gtypes)

    for ti in module.funcs:
        if not 0 <= ti < ntypes:
            raise ValidationError(f"unknown type {ti}", None, None)
        func_types.append(types[ti])
    nfuncs = len(func_types)
    if len(module.codes) != len(module.funcs):
        raise DecodeError("function and code section have inconsistent lengths")

    # -- declared function references (C.refs) -------------------------------------
    refs: set[int] = set()
    for g in module.globals:
        _ref_funcs(g.init, refs)
    for seg in module.elems:
        for e in seg.init:
            _ref_funcs(e, refs)
        _ref_funcs(seg.offset_expr, refs)
    for d in module.datas:
        _ref_funcs(d.offset_expr, refs)
    for ex in module.exports:
        if ex.kind == "func":
            refs.add(ex.index)

    # -- globals, tables, memories ------------------------------------------------------
    for g in module.globals:
        _const_expr(g.init, g.type.type, imported_globals, nfuncs, g.offset)
        gtypes.append(g.type)
    for tt in module.tables:
        _check_table_type(tt, None)
        tables.append(tt)
    for mt in module.memories:
        _check_memory_type(mt, None)
        mems.append(mt)

    # -- element and data segments --------------------------------------------------
    for seg in module.elems:
        et = seg.type
        if et not in (FUNCREF, EXTERNREF):
            raise ValidationError(f"type mismatch: element type {et} is not a reference type", None, seg.offset)
        for e in seg.init:
            _const_expr(e, et, imported_globals, nfuncs, seg.offset)
        if seg.mode == "active":
            if not 0 <= seg.table < len(tables):
                raise ValidationError(f"unknown table {seg.table}", None, seg.offset)
            if tables[seg.table].elem is not et:
                raise ValidationError(
                    f"type mismatch: element segment of type {et} for a table of {tables[seg.table].elem}",
                    None, seg.offset)
            _const_expr(seg.offset_expr or [], I32, imported_globals, nfuncs, seg.offset)
    for d in module.datas:
        if d.mode == "active":
            if not 0 <= d.memory < len(mems):
                raise ValidationError(f"unknown memory {d.memory}", None, d.offset)
            _const_expr(d.offset_expr or [], I32, imported_globals, nfuncs, d.offset)

    # -- function bodies -------------------------------------------------------------
    ctx = _Context()
    ctx.types = types
    ctx.func_types = func_types
    sigs: dict[FuncType, tuple] = {}
    for ft in func_types:
        if ft not in sigs:
            sigs[ft] = (len(ft.params), list(ft.params), ft.results)
    ctx.call_sigs = [sigs[ft] for ft in func_types]
    ctx.tables = tables
    ctx.nmems = len(mems)
    ctx.globals = gtypes
    ctx.elem_types = [seg.type for seg in module.elems]
    # Without a data count section, a module with data segments that uses memory.init or
    # data.drop is malformed (DecodeError); one without any data segments is merely
    # invalid there ("unknown data segment"), which is what the 2.0 suite expects of it.
    ctx.data_count = module.data_count if module.data_count is not None else (None if module.datas else 0)
    ctx.refs = refs
    btcache: dict[int, tuple] = {}
    for bt, vt in _VT_BY_BLOCKTYPE.items():
        ft = FuncType((), (vt,))
        btcache[bt] = (ft, (), ft.results, [], list(ft.results))
    ft = FuncType((), ())
    btcache[-64] = (ft, (), (), [], [])
    for ti, ft in enumerate(types):
        btcache[ti] = (ft, ft.params, ft.results, list(ft.params), list(ft.results))
    ctx.btcache = btcache

    funcs = []
    for n, code in enumerate(module.codes):
        fidx = nimported_funcs + n
        funcs.append(_check_function(ctx, fidx, func_types[fidx], code))

    # -- start, exports ----------------------------------------------------------------
    if module.start is not None:
        if not 0 <= module.start < nfuncs:
            raise ValidationError(f"unknown function {module.start}", None, module.start_offset)
        st = func_types[module.start]
        if st.params or st.results:
            raise ValidationError(f"start function must have type [] -> [], not {st}", None, module.start_offset)

    names = set()
    for ex in module.exports:
        kind, idx = ex.kind, ex.index
        if kind == "func":
            space = func_types
        elif kind == "table":
            space = tables
        elif kind == "memory":
            space = mems
        elif kind == "global":
            space = gtypes
        else:
            raise ValidationError(f"unknown export kind {kind!r}", None, ex.offset)
        if not 0 <= idx < len(space):
            raise ValidationError(f"unknown {'function' if kind == 'func' else kind} {idx}", None, ex.offset)
        if ex.name in names:
            raise ValidationError(f"duplicate export name {ex.name!r}", None, ex.offset)
        names.add(ex.name)
        ex.type = space[idx]

    if len(mems) > 1:
        raise ValidationError("multiple memories", None, None)

    return ModuleInfo(funcs=funcs, func_types=func_types, declared_refs=refs)


# ---------------------------------------------------------------------------------
# Function bodies


def _check_function(ctx: _Context, fidx: int, ftype: FuncType, code) -> FuncInfo:
    local_types = list(ftype.params)
    local_types.extend(code.locals)
    fresults = ftype.results
    body = code.body

    heights: list[int] = []
    block_types: dict[int, FuncType] = {}
    ends: dict[int, int] = {}
    elses: dict[int, int] = {}
    select_types: dict[int, ValueType | None] = {}
    targets: set[int] = set()

    # frame: [opcode, start types, end types, label types, unreachable, instr index,
    #         index of the frame's first operand in vals, end types list, label types list]
    rl = list(fresults)
    ctrls: list[list] = [[O.BLOCK, (), fresults, fresults, False, -1, 1, rl, rl]]
    vals: list = [_MARK]
    depth = 1  # number of markers in vals

    tab = _TAB
    lt = local_types
    gtypes = ctx.globals
    call_sigs = ctx.call_sigs
    btcache = ctx.btcache
    has_mem = ctx.nmems > 0
    mark = _MARK
    pop = _pop
    i32 = I32
    last = len(body) - 1
    op = O.END
    # The index of the current instruction is len(heights) - 1 (cheaper than enumerate).
    try:
        for op, imm, _off in body:
            heights.append(len(vals) - depth)
            k, a, b, c = tab[op]
            if k == K_BIN:
                if vals[-1] is b and vals[-2] is a:
                    vals.pop()
                    vals[-1] = c
                else:
                    _fixed(vals, ctrls, op)
            elif k == K_CONST:
                vals.append(c)
            elif k == K_LGET:
                try:
                    vals.append(lt[imm])
                except IndexError:
                    raise _Fail(f"unknown local {imm}") from None
            elif k == K_LTEE:
                try:
                    t = lt[imm]
                except IndexError:
                    raise _Fail(f"unknown local {imm}") from None
                if vals[-1] is not t:
                    pop(vals, ctrls, t)
                    vals.append(t)
            elif k == K_LSET:
                try:
                    t = lt[imm]
                except IndexError:
                    raise _Fail(f"unknown local {imm}") from None
                if vals[-1] is t:
                    vals.pop()
                else:
                    pop(vals, ctrls, t)
            elif k == K_END:
                fr = ctrls[-1]
                fh = fr[6]
                if vals[fh:] != fr[7]:
                    for t in reversed(fr[2]):
                        pop(vals, ctrls, t)
                    if len(vals) != fh:
                        raise _Fail(f"type mismatch: {len(vals) - fh} value(s) left on the stack at the end of the block")
                if fr[0] == O.IF and fr[1] != fr[2]:
                    raise _Fail(f"type mismatch: if without else must have matching parameters and results, "
                                f"not {_names(fr[1])} -> {_names(fr[2])}")
                del vals[fh - 1:]
                vals.extend(fr[2])
                ctrls.pop()
                depth -= 1
                if ctrls:
                    ends[fr[5]] = len(heights) - 1
                else:
                    if len(heights) - 1 != last:
                        raise DecodeError("operators remaining after the end of the function", _off)
                    break
            elif k == K_LOAD:
                if not has_mem:
                    raise _Fail("unknown memory 0")
                if imm[0] > a:
                    raise _Fail("alignment must not be larger than natural")
                if vals[-1] is i32:
                    vals[-1] = c
                else:
                    pop(vals, ctrls, i32)
                    vals.append(c)
            elif k == K_STORE:
                if not has_mem:
                    raise _Fail("unknown memory 0")
                if imm[0] > a:
                    raise _Fail("alignment must not be larger than natural")
                if vals[-1] is b and vals[-2] is i32:
                    del vals[-2:]
                else:
                    pop(vals, ctrls, b)
                    pop(vals, ctrls, i32)
            elif k == K_BLOCK or k == K_IF:
                if k == K_IF:
                    if vals[-1] is i32:
                        vals.pop()
                    else:
                        pop(vals, ctrls, i32)
                bi = btcache.get(imm)
                if bi is None:
                    raise _Fail(f"unknown type {imm}")
                ft, ps, rs, pl, rl = bi
                if ps:
                    if vals[-len(ps):] != pl:
                        for t in reversed(ps):
                            pop(vals, ctrls, t)
                    else:
                        del vals[-len(ps):]
                    vals.append(mark)
                    fh = len(vals)
                    vals.extend(ps)
                else:
                    vals.append(mark)
                    fh = len(vals)
                depth += 1
                if op == O.LOOP:
                    ctrls.append([op, ps, rs, ps, False, len(heights) - 1, fh, rl, pl])
                else:
                    ctrls.append([op, ps, rs, rs, False, len(heights) - 1, fh, rl, rl])
                block_types[len(heights) - 1] = ft
            elif k == K_BRIF:
                if imm >= len(ctrls):
                    raise _Fail(f"unknown label {imm}")
                if vals[-1] is i32:
                    vals.pop()
                else:
                    pop(vals, ctrls, i32)
                fr = ctrls[-1 - imm]
                targets.add(fr[5])
                lab = fr[3]
                if lab:
                    n = len(lab)
                    if vals[-n:] != fr[8]:
                        for t in reversed(lab):
                            pop(vals, ctrls, t)
                        vals.extend(lab)
            elif k == K_UN:
                if vals[-1] is a:
                    vals[-1] = c
                else:
                    pop(vals, ctrls, a)
                    vals.append(c)
            elif k == K_CALL:
                try:
                    n, pl, rs = call_sigs[imm]
                except IndexError:
                    raise _Fail(f"unknown function {imm}") from None
                if n:
                    if vals[-n:] == pl:
                        del vals[-n:]
                    else:
                        for t in reversed(pl):
                            pop(vals, ctrls, t)
                if rs:
                    vals.extend(rs)
            elif k == K_GGET:
                try:
                    vals.append(gtypes[imm].type)
                except IndexError:
                    raise _Fail(f"unknown global {imm}") from None
            elif k == K_BR:
                if imm >= len(ctrls):
                    raise _Fail(f"unknown label {imm}")
                fr = ctrls[-1 - imm]
                targets.add(fr[5])
                lab = fr[3]
                if lab and vals[-len(lab):] != fr[8]:
                    for t in reversed(lab):
                        pop(vals, ctrls, t)
                fr = ctrls[-1]
                del vals[fr[6]:]
                fr[4] = True
            elif k == K_ELSE:
                fr = ctrls[-1]
                if fr[0] != O.IF:
                    raise DecodeError("else without a matching if", _off)
                fh = fr[6]
                if vals[fh:] != fr[7]:
                    for t in reversed(fr[2]):
                        pop(vals, ctrls, t)
                    if len(vals) != fh:
                        raise _Fail(f"type mismatch: {len(vals) - fh} value(s) left on the stack at else")
                del vals[fh:]
                vals.extend(fr[1])
                fr[0] = O.ELSE
                fr[4] = False
                elses[fr[5]] = len(heights) - 1
            elif k == K_DROP:
                if vals[-1] is not mark:
                    vals.pop()
                else:
                    pop(vals, ctrls, None)
            elif k == K_SELECT:
                if vals[-1] is i32:
                    vals.pop()
                else:
                    pop(vals, ctrls, i32)
                t1 = pop(vals, ctrls, None)
                t2 = pop(vals, ctrls, None)
                if t1 not in _NUMVEC or t2 not in _NUMVEC:
                    raise _Fail(f"type mismatch: select without a type needs numeric or vector operands, not {t2}, {t1}")
                if t1 is not t2 and t1 is not None and t2 is not None:
                    raise _Fail(f"type mismatch: select operands {t2} and {t1} differ")
                t = t2 if t1 is None else t1
                vals.append(t)
                select_types[len(heights) - 1] = t
            elif k == K_GSET:
                try:
                    g = gtypes[imm]
                except IndexError:
                    raise _Fail(f"unknown global {imm}") from None
                if not g.mutable:
                    raise _Fail(f"global is immutable: global {imm}")
                if vals[-1] is g.type:
                    vals.pop()
                else:
                    pop(vals, ctrls, g.type)
            elif k == K_RETURN:
                for t in reversed(fresults):
                    pop(vals, ctrls, t)
                fr = ctrls[-1]
                del vals[fr[6]:]
                fr[4] = True
            elif k == K_BRTABLE:
                labels, default = imm
                pop(vals, ctrls, i32)
                nctrls = len(ctrls)
                if default >= nctrls:
                    raise _Fail(f"unknown label {default}")
                dlab = ctrls[-1 - default][3]
                targets.add(ctrls[-1 - default][5])
                arity = len(dlab)
                for l in labels:
                    if l >= nctrls:
                        raise _Fail(f"unknown label {l}")
                    targets.add(ctrls[-1 - l][5])
                    lab = ctrls[-1 - l][3]
                    if len(lab) != arity:
                        raise _Fail(f"type mismatch: br_table targets have different arities ({len(lab)} and {arity})")
                    if arity and lab is not dlab:  # re-pushing what was popped keeps Unknowns
                        vals.extend(_pops(vals, ctrls, lab))
                for t in reversed(dlab):
                    pop(vals, ctrls, t)
                fr = ctrls[-1]
                del vals[fr[6]:]
                fr[4] = True
            elif k == K_NOP:
                pass
            elif k == K_UNREACHABLE:
                fr = ctrls[-1]
                del vals[fr[6]:]
                fr[4] = True
            elif k == K_FIXED:
                _fixed(vals, ctrls, op)
            else:
                _special(ctx, op, imm, vals, ctrls, fresults, _off)
        else:
            raise DecodeError("END opcode expected: the function body is not closed", code.offset + code.size)
    except _Fail as e:
        i = len(heights) - 1
        raise ValidationError(f"{e.msg} (at {O.name_of(op)})", fidx, body[i][2] if 0 <= i < len(body) else code.offset) from None
    except KeyError:
        i = len(heights) - 1
        if op not in tab:
            raise DecodeError(f"illegal opcode {op:#x}", body[i][2]) from None
        raise

    max_height = max(heights) if heights else 0
    if len(fresults) > max_height:
        max_height = len(fresults)
    return FuncInfo(index=fidx, type=ftype, local_types=local_types, max_height=max_height,
                    block_types=block_types, ends=ends, elses=elses, select_types=select_types,
                    heights=heights, targets=targets - {-1})


def _memory(ctx: _Context, idx: int = 0) -> None:
    if not 0 <= idx < ctx.nmems:
        raise _Fail(f"unknown memory {idx}")


def _table(ctx: _Context, idx: int) -> TableType:
    if not 0 <= idx < len(ctx.tables):
        raise _Fail(f"unknown table {idx}")
    return ctx.tables[idx]


def _functype(ctx: _Context, idx: int) -> FuncType:
    if not 0 <= idx < len(ctx.types):
        raise _Fail(f"unknown type {idx}")
    return ctx.types[idx]


def _special(ctx: _Context, op: int, imm, vals: list, ctrls: list, fresults, off) -> None:
    """The less frequent ops: indirect and tail calls, references, tables, bulk memory,
    SIMD lanes, atomics and typed select."""
    pop = _pop
    if op == O.CALL_INDIRECT or op == O.RETURN_CALL_INDIRECT:
        ti, tbl = imm
        tt = _table(ctx, tbl)
        ft = _functype(ctx, ti)
        if tt.elem is not FUNCREF:
            raise _Fail(f"type mismatch: call_indirect needs a table of funcref, table {tbl} holds {tt.elem}")
        if op == O.RETURN_CALL_INDIRECT and ft.results != fresults:
            raise _Fail(f"type mismatch: tail call to {ft} from a function returning {_names(fresults)}")
        pop(vals, ctrls, I32)
        for t in reversed(ft.params):
            pop(vals, ctrls, t)
        if op == O.CALL_INDIRECT:
            vals.extend(ft.results)
        else:
            _unreachable(vals, ctrls)
    elif op == O.RETURN_CALL:
        if not 0 <= imm < len(ctx.func_types):
            raise _Fail(f"unknown function {imm}")
        ft = ctx.func_types[imm]
        if ft.results != fresults:
            raise _Fail(f"type mismatch: tail call to {ft} from a function returning {_names(fresults)}")
        for t in reversed(ft.params):
            pop(vals, ctrls, t)
        _unreachable(vals, ctrls)
    elif op == O.SELECT_T:
        if len(imm) != 1:
            raise _Fail(f"invalid result arity: select takes one type, not {len(imm)}")
        t = imm[0]
        pop(vals, ctrls, I32)
        pop(vals, ctrls, t)
        pop(vals, ctrls, t)
        vals.append(t)
    elif op == O.REF_NULL:
        vals.append(ValueType(imm))
    elif op == O.REF_IS_NULL:
        t = pop(vals, ctrls, None)
        if t not in _REFS:
            raise _Fail(f"type mismatch: ref.is_null needs a reference, got {t}")
        vals.append(I32)
    elif op == O.REF_FUNC:
        if not 0 <= imm < len(ctx.func_types):
            raise _Fail(f"unknown function {imm}")
        if imm not in ctx.refs:
            raise _Fail(f"undeclared function reference {imm}")
        vals.append(FUNCREF)
    elif op == O.TABLE_GET:
        et = _table(ctx, imm).elem
        pop(vals, ctrls, I32)
        vals.append(et)
    elif op == O.TABLE_SET:
        et = _table(ctx, imm).elem
        pop(vals, ctrls, et)
        pop(vals, ctrls, I32)
    elif op == _FC_TABLE_SIZE:
        _table(ctx, imm)
        vals.append(I32)
    elif op == _FC_TABLE_GROW:
        et = _table(ctx, imm).elem
        pop(vals, ctrls, I32)
        pop(vals, ctrls, et)
        vals.append(I32)
    elif op == _FC_TABLE_FILL:
        et = _table(ctx, imm).elem
        pop(vals, ctrls, I32)
        pop(vals, ctrls, et)
        pop(vals, ctrls, I32)
    elif op == _FC_TABLE_COPY:
        dst, src = imm
        t1 = _table(ctx, dst).elem
        t2 = _table(ctx, src).elem
        if t1 is not t2:
            raise _Fail(f"type mismatch: table.copy from a table of {t2} to a table of {t1}")
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
    elif op == _FC_TABLE_INIT:
        seg, tbl = imm
        t1 = _table(ctx, tbl).elem
        if not 0 <= seg < len(ctx.elem_types):
            raise _Fail(f"unknown elem segment {seg}")
        t2 = ctx.elem_types[seg]
        if t1 is not t2:
            raise _Fail(f"type mismatch: table.init of a table of {t1} from an element segment of {t2}")
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
    elif op == _FC_ELEM_DROP:
        if not 0 <= imm < len(ctx.elem_types):
            raise _Fail(f"unknown elem segment {imm}")
    elif op == O.MEMORY_SIZE:
        _memory(ctx, imm)
        vals.append(I32)
    elif op == O.MEMORY_GROW:
        _memory(ctx, imm)
        pop(vals, ctrls, I32)
        vals.append(I32)
    elif op == _FC_MEMORY_FILL:
        _memory(ctx, imm)
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
    elif op == _FC_MEMORY_COPY:
        _memory(ctx, imm[0])
        _memory(ctx, imm[1])
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
    elif op == _FC_MEMORY_INIT:
        seg, mem = imm
        _memory(ctx, mem)
        if ctx.data_count is None:
            raise DecodeError("data count section required", off)
        if not 0 <= seg < ctx.data_count:
            raise _Fail(f"unknown data segment {seg}")
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
        pop(vals, ctrls, I32)
    elif op == _FC_DATA_DROP:
        if ctx.data_count is None:
            raise DecodeError("data count section required", off)
        if not 0 <= imm < ctx.data_count:
            raise _Fail(f"unknown data segment {imm}")
    elif op in _LANE_LIMIT:
        info = O.OPS[op]
        if info.imm == O.IMM_MEMARG_LANE:
            align, _offset, lane = imm
            _memory(ctx)
            if align > info.natural_align:
                raise _Fail("alignment must not be larger than natural")
        else:
            lane = imm
        if lane >= _LANE_LIMIT[op]:
            raise _Fail(f"invalid lane index {lane}")
        _fixed(vals, ctrls, op)
    elif op == _SHUFFLE:
        for lane in imm:
            if lane >= 32:
                raise _Fail(f"invalid lane index {lane}")
        _fixed(vals, ctrls, op)
    elif op in O.ATOMIC_OPS:
        if op != _ATOMIC_FENCE:
            _memory(ctx)
            if imm[0] != O.OPS[op].natural_align:
                raise _Fail("atomic alignment must be natural")
        _fixed(vals, ctrls, op)
    elif op in _SIG:  # pragma: no cover - every fixed op has a kind of its own
        _fixed(vals, ctrls, op)
    else:  # pragma: no cover
        raise _Fail(f"cannot validate {O.name_of(op)}")

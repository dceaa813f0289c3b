"""Static facts about values, proven before translation: how aligned each address is.

An aligned load can index a typed memoryview (`mem0_f64[a // 8]`) instead of testing
the alignment at run time, and an aligned store can assign through one instead of
calling `pack_f64`: both only where the address is *proven* a multiple of the access
size. The proof is the number of low bits known to be zero ("trailing zeros", 0 =
nothing known, the width = the value is 0), found by one forward abstract run of the
body, flow-sensitive (compilers reuse a local for a loop counter, then a pointer):

- the state is one fact per local (a parameter: nothing; a declared local: its 0);
  `local.set`/`tee` replace a local's fact by the value's, and values on the stack are
  computed instruction by instruction from the table below;
- every branch sends its state to its label; a block's `end` continues with the
  weakest (the meet) of the fall-through state and the states sent to it, `else`
  starts from the state at the `if`;
- a loop is walked from the state it is entered with; if its back edges bring a
  weaker state, it is walked again from the meet, until nothing changes (facts only
  go down); after three walks the locals still changing are taken as unknown, so a
  loop is walked at most four times (two in practice);
- block parameters at a loop header and block results at an `end` or `else` are
  unknown; code after `br`, `return` or `unreachable` is not walked.

A fact that does not hold cannot make code wrong where it is used unchecked: the view
is only indexed when the alignment is proven, and an out-of-bounds index still raises
IndexError, the out-of-bounds trap. The differential fuzzer (tests/fuzz) runs over all
of it, with pointer locals made for the purpose.
"""

from __future__ import annotations

from ..wasm import opcodes as op

# trailing-zero transfer functions of integer instructions: name -> kind
_MIN = "min"  # add, sub, or, xor: as aligned as the less aligned operand
_MAX = "max"  # and: zero where either operand is
_SUM = "sum"  # mul: the operands' trailing zeros add up
_SHL = "shl"  # shl by a constant k: k more
_KEEP = "keep"  # conversions that keep the low bits
_TRANSFER = {}
for _p in ("i32", "i64"):
    for _n in ("add", "sub", "or", "xor"):
        _TRANSFER[f"{_p}.{_n}"] = _MIN
    _TRANSFER[f"{_p}.and"] = _MAX
    _TRANSFER[f"{_p}.mul"] = _SUM
    _TRANSFER[f"{_p}.shl"] = _SHL
_TRANSFER["i32.wrap_i64"] = _KEEP
_TRANSFER["i64.extend_i32_u"] = _KEEP
_TRANSFER["i64.extend_i32_s"] = _KEEP

_BY_CODE = {info.code: _TRANSFER[info.name] for info in op.OPS.values() if info.name in _TRANSFER}
_WIDTH = {info.code: (64 if info.name.startswith("i64") else 32) for info in op.OPS.values()}
_MEMORY_OPS = frozenset(info.code for info in op.OPS.values()
                        if info.imm in (op.IMM_MEMARG, op.IMM_MEMARG_LANE))


def _tz(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return width if value == 0 else (value & -value).bit_length() - 1


def address_alignment(info, body: list, func_types: list, types: list) -> dict[int, int]:
    """For each memory instruction of `body` (by index) whose address is known to have
    low zero bits: how many. Only instructions with some alignment proven are listed."""
    if not any(code in _MEMORY_OPS for code, _, _ in body):
        return {}
    out = _walk(info, body, func_types, types)
    return {i: t for i, t in out.items() if t}


def _meet(a: list | None, b: list | None) -> list | None:
    """The weakest of two states (None: unreachable, which any state is stronger than)."""
    if a is None:
        return None if b is None else list(b)
    if b is None:
        return a
    return [x if x < y else y for x, y in zip(a, b)]


class _Frame:
    __slots__ = ("kind", "start", "end", "els", "entry", "merge", "header", "backs", "walks")

    def __init__(self, kind, start, end, els, entry):
        self.kind = kind
        self.start = start  # index of the block/loop/if instruction (-1: the function)
        self.end = end  # index of its end
        self.els = els  # index of its else, or None
        self.entry = entry  # an if's state at entry (for else), a loop's at its header
        self.merge = None  # meet of the states sent to the end (block, if)
        self.header = entry  # a loop's header state of the current walk
        self.backs = None  # meet of the states back edges send (loop)
        self.walks = 1


# instruction categories for the walk (one dict lookup per instruction)
(_CONST, _GET, _SET, _TEE, _ARITH, _MEM, _SELECT, _BLOCK, _LOOP, _IF, _ELSE, _END, _BR,
 _BR_IF, _BR_TABLE, _DEAD, _OTHER) = range(17)
_MAX_WALKS = 3  # walks of one loop before the locals still changing become unknown


def _walk(info, body, func_types, types) -> dict[int, int]:
    heights = info.heights
    ends, elses, block_types = info.ends, info.elses, info.block_types
    size = info.max_height + 2
    st = [0] * size  # trailing zeros per stack position
    kst: list = [None] * size  # known constant per stack position
    nparams = len(info.type.params)
    state: list | None = [0] * nparams + [64] * (len(info.local_types) - nparams)
    frames = [_Frame("func", -1, len(body) - 1, None, None)]
    out: dict[int, int] = {}
    category, transfer, width_of, nresults = _CATEGORY, _BY_CODE, _WIDTH, _FIXED_RESULTS
    n = len(body)
    i = 0
    while i < n:
        if state is None:  # dead code: on to the else or end of the innermost frame
            f = frames[-1]
            if f.kind == "if" and f.els is not None and i <= f.els:
                i = f.els
            else:
                i = f.end
        code, imm, _off = body[i]
        c = category.get(code, _OTHER)
        h = heights[i]
        if c == _OTHER:
            r = nresults.get(code)
            if r is None:
                r = _results(code, imm, func_types, types)
            if r:
                hn = heights[i + 1]
                for j in range(max(0, hn - r), hn):
                    st[j] = 0
                    kst[j] = None
        elif c == _GET:
            st[h] = state[imm]
            kst[h] = None
        elif c == _CONST:
            st[h] = _tz(imm, 32 if code == op.I32_CONST else 64)
            kst[h] = imm
        elif c == _SET:
            if h:
                state[imm] = st[h - 1]
        elif c == _TEE:
            if h:
                state[imm] = st[h - 1]
                kst[h - 1] = None
        elif c == _ARITH:
            kind = transfer[code]
            w = width_of[code]
            if kind is _KEEP:  # wrap keeps 32 bits, the extensions all of them
                if h:
                    if st[h - 1] > w:
                        st[h - 1] = w
                    kst[h - 1] = None
            elif h >= 2:
                a, b = st[h - 2], st[h - 1]
                if kind is _MIN:
                    r = a if a < b else b
                elif kind is _MAX:
                    r = a if a > b else b
                elif kind is _SUM:
                    r = a + b
                else:  # shl
                    k = kst[h - 1]
                    r = a + (k & (w - 1)) if k is not None else 0
                st[h - 2] = r if r < w else w
                kst[h - 2] = None
        elif c == _MEM:
            a = h - _MEM_OPERANDS[code]
            if a >= 0:
                t = st[a]
                offset = imm[1]
                if offset:
                    t = min(t, _tz(offset, 64))
                out[i] = t  # the last walk over this instruction decides
            if nresults[code]:
                hn = heights[i + 1] - 1
                st[hn] = 0
                kst[hn] = None
        elif c == _SELECT:
            if h >= 3:
                st[h - 3] = min(st[h - 3], st[h - 2])
                kst[h - 3] = None
        elif c == _BLOCK:
            frames.append(_Frame("block", i, ends[i], None, None))
        elif c == _LOOP:
            f = _Frame("loop", i, ends[i], None, list(state))
            frames.append(f)
            _unknown_params(st, kst, h, len(block_types[i].params))
        elif c == _IF:
            frames.append(_Frame("if", i, ends[i], elses.get(i), list(state)))
        elif c == _ELSE:
            f = frames[-1]
            f.merge = _meet(f.merge, state)
            state = list(f.entry)
            base = heights[f.start] - 1 - len(block_types[f.start].params)
            _unknown_from(st, kst, base, heights[i + 1])
        elif c == _END:
            f = frames[-1]
            if f.kind == "func":
                break
            if f.kind == "loop":
                if f.backs is not None:
                    header = _meet(f.header, f.backs)
                    if header != f.header:  # back edges bring weaker facts: walk again
                        if f.walks >= _MAX_WALKS:
                            header = [0 if x != y else x for x, y in zip(header, f.header)]
                        f.walks += 1
                        f.header, f.backs = header, None
                        state = list(header)
                        i = f.start + 1
                        _unknown_params(st, kst, heights[f.start],
                                        len(block_types[f.start].params))
                        continue
                frames.pop()  # the loop's end is reached by falling through only
            else:
                if f.kind == "if" and f.els is None:  # the false edge: the entry state
                    f.merge = _meet(f.merge, f.entry)
                state = _meet(f.merge, state)
                frames.pop()
                base = heights[f.start] - len(block_types[f.start].params) - (
                    1 if f.kind == "if" else 0)
                _unknown_from(st, kst, base, heights[i + 1])
        elif c == _BR:
            _send(frames[-1 - imm], state)
            state = None
        elif c == _BR_IF:
            _send(frames[-1 - imm], state)
        elif c == _BR_TABLE:
            labels, default = imm
            for d in set(labels) | {default}:
                _send(frames[-1 - d], state)
            state = None
        else:  # _DEAD: return, unreachable, return_call*: nothing follows
            state = None
        i += 1
    return out


def _send(frame: _Frame, state: list) -> None:
    """A branch to `frame`'s label with `state`."""
    if frame.kind == "loop":
        frame.backs = _meet(frame.backs, state)
    elif frame.kind != "func":
        frame.merge = _meet(frame.merge, state)


def _unknown_params(st, kst, h, nparams) -> None:
    for j in range(max(0, h - nparams), h):
        st[j] = 0
        kst[j] = None


def _unknown_from(st, kst, base, top) -> None:
    for j in range(max(0, base), max(base, top)):
        st[j] = 0
        kst[j] = None


_NO_RESULTS = frozenset({
    op.BLOCK, op.IF, op.NOP, op.BR, op.BR_IF, op.BR_TABLE, op.RETURN, op.UNREACHABLE,
    op.DROP, op.GLOBAL_SET}) | frozenset(
    info.code for info in op.OPS.values()
    if info.name in ("memory.fill", "memory.copy", "memory.init", "data.drop", "elem.drop",
                     "table.set", "table.fill", "table.copy", "table.init", "atomic.fence"))


def _results(code: int, imm, func_types: list, types: list) -> int:
    """How many results an instruction without a transfer function pushes."""
    info = op.OPS[code]
    if info.results is not None:
        return len(info.results)
    if code == op.CALL or code == op.RETURN_CALL:
        return len(func_types[imm].results)
    if code == op.CALL_INDIRECT or code == op.RETURN_CALL_INDIRECT:
        return len(types[imm[0]].results)
    return 0 if code in _NO_RESULTS else 1


_CATEGORY = {op.I32_CONST: _CONST, op.I64_CONST: _CONST, op.LOCAL_GET: _GET,
             op.LOCAL_SET: _SET, op.LOCAL_TEE: _TEE, op.SELECT: _SELECT, op.SELECT_T: _SELECT,
             op.BLOCK: _BLOCK, op.LOOP: _LOOP, op.IF: _IF, op.ELSE: _ELSE, op.END: _END,
             op.BR: _BR, op.BR_IF: _BR_IF, op.BR_TABLE: _BR_TABLE, op.RETURN: _DEAD,
             op.UNREACHABLE: _DEAD, op.RETURN_CALL: _DEAD, op.RETURN_CALL_INDIRECT: _DEAD}
_CATEGORY.update((code, _ARITH) for code in _BY_CODE)
_CATEGORY.update((code, _MEM) for code in _MEMORY_OPS)
_FIXED_RESULTS = {info.code: len(info.results) for info in op.OPS.values()
                  if info.results is not None}
_FIXED_RESULTS.update((code, 0) for code in _NO_RESULTS)
_MEM_OPERANDS = {code: len(op.OPS[code].params) for code in _MEMORY_OPS}

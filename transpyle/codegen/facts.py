"""Static facts about values, proven before translation: how aligned each address is.

An aligned load can index a typed memoryview (`mem0_f64[a // 8]`) instead of testing
the alignment at run time, and an aligned store can assign through one instead of
calling `pack_f64`: both only where the address is *proven* a multiple of the access
size. The proof is the number of low bits known to be zero ("trailing zeros", 0 =
nothing known, the width = the value is 0), computed by one abstract run of the body:

- each local gets one fact for the whole function (flow-insensitive): the weakest of
  its initial value's (a parameter: nothing; a declared local: 0, all zeros) and of
  every value stored into it; values on the stack are computed instruction by
  instruction from the table below, using the locals' facts;
- the locals' facts start optimistic and are weakened until nothing changes (a
  local's fact only goes down, so this ends; two or three runs in practice), which
  makes loops sound: a back edge brings a value some `local.set` stored;
- block parameters at a loop header and block results at an `end` or `else` are
  treated as unknown (other edges may bring other values), everything else a stack
  slot holds is the value the simulation computed for it.

A fact that does not hold cannot make code wrong where it is used unchecked: the view
is only indexed when the alignment is proven, and an out-of-bounds index still raises
IndexError, the out-of-bounds trap. The differential fuzzer (tests/fuzz) runs over all
of it.
"""

from __future__ import annotations

from ..wasm import opcodes as op

I32_OPS = {"i32", "i64"}

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
    low zero bits: how many. Only instructions with some alignment proven are listed.

    One walk over the body turns every value stored into a local and every address
    into a small expression over constants and locals; the locals' facts are then
    solved on those expressions alone (a fixpoint, from optimistic to sound), and each
    address's expression evaluated once."""
    if not any(code in _MEMORY_OPS for code, _, _ in body):
        return {}
    assigned, addresses = _walk(info, body, func_types, types)
    if not addresses:
        return {}
    nparams = len(info.type.params)
    local_tz = [0] * nparams + [64] * (len(info.local_types) - nparams)
    for k in range(nparams):
        assigned.pop(k, None)  # a parameter's fact is nothing: it stays 0
    changed = True
    rounds = 0
    while changed:
        changed = False
        rounds += 1
        if rounds > 70:  # each round lowers a fact of at most 64: never in practice
            return {}
        for k, nodes in assigned.items():
            cur = local_tz[k]
            for node in nodes:
                v = _eval(node, local_tz)
                if v < cur:
                    cur = v
            if cur < local_tz[k]:
                local_tz[k] = cur
                changed = True
    out = {}
    for i, (node, offset) in addresses.items():
        t = _eval(node, local_tz)
        if offset:
            t = min(t, _tz(offset, 64))
        if t:
            out[i] = t
    return out


def _eval(node, local_tz) -> int:
    """The trailing zeros an expression node is known to have (iteratively: a node may
    be a long chain)."""
    if node.__class__ is int:
        return node
    if node is None:
        return 0
    kind = node[0]
    if kind is _LOCAL:
        return local_tz[node[1]]
    w = node[3]
    if kind is _SHL:
        r = _eval(node[1], local_tz) + node[2]
    elif kind is _KEEP:
        r = _eval(node[1], local_tz)
    else:
        a, b = _eval(node[1], local_tz), _eval(node[2], local_tz)
        if kind is _MIN:
            r = a if a < b else b
        elif kind is _MAX:
            r = a if a > b else b
        else:  # _SUM
            r = a + b
    return r if r < w else w


_LOCAL = "local"
_MAX_NODE_DEPTH = 12  # deeper expressions become unknown (bounded evaluation)

# instruction categories for the walk (one dict lookup per instruction)
_CONST, _GET, _SET, _ARITH, _MEM, _SELECT, _LOOP, _JOIN, _OTHER = range(9)


def _walk(info, body, func_types, types):
    """Expression nodes, per stack position, for one pass over the body: the nodes
    assigned to each local, and each memory access's (address node, offset)."""
    heights = info.heights
    starts = {end: start for start, end in info.ends.items()}
    elses = {e: start for start, e in info.elses.items()}
    block_types = info.block_types
    size = info.max_height + 2
    st: list = [None] * size  # expression node per stack position (None: unknown)
    depth = [0] * size  # its depth
    kst: list = [None] * size  # known constant per stack position
    assigned: dict[int, list] = {}
    addresses: dict[int, tuple] = {}
    category = _CATEGORY
    transfer = _BY_CODE
    width_of = _WIDTH
    nresults = _FIXED_RESULTS
    local_nodes: dict[int, tuple] = {}
    for i in range(len(body)):
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
                    st[j] = None
                    kst[j] = None
        elif c == _GET:
            node = local_nodes.get(imm)
            if node is None:
                node = local_nodes[imm] = (_LOCAL, imm)
            st[h] = node
            depth[h] = 1
            kst[h] = None
        elif c == _CONST:
            st[h] = _tz(imm, 32 if code == op.I32_CONST else 64)
            depth[h] = 0
            kst[h] = imm
        elif c == _SET:
            if h:
                node = st[h - 1]
                nodes = assigned.get(imm)
                if nodes is None:
                    assigned[imm] = [node]
                elif node not in nodes:
                    nodes.append(node)
        elif c == _ARITH:
            kind = transfer[code]
            w = width_of[code]
            if kind is _KEEP:
                if h:
                    a = st[h - 1]
                    if a is not None and a.__class__ is not int:
                        st[h - 1] = (_KEEP, a, None, w)
                    elif a is not None and a > w:
                        st[h - 1] = w
                    kst[h - 1] = None
                continue
            if h < 2:
                continue
            a, b = st[h - 2], st[h - 1]
            d = max(depth[h - 2], depth[h - 1]) + 1
            if kind is _SHL:
                k = kst[h - 1]
                node = None if k is None or a is None else (_SHL, a, k & (w - 1), w)
            elif a is None or b is None:
                node = (a if b is None else b) if kind is _MAX else None
            elif a.__class__ is int and b.__class__ is int:  # both known: fold
                node = min(a, b) if kind is _MIN else max(a, b) if kind is _MAX else a + b
                node = node if node < w else w
                d = 0
            else:
                node = (kind, a, b, w)
            st[h - 2] = node if d <= _MAX_NODE_DEPTH else None
            depth[h - 2] = d
            kst[h - 2] = None
        elif c == _MEM:
            a = h - _MEM_OPERANDS[code]
            if a >= 0 and st[a] is not None:
                addresses[i] = (st[a], imm[1])
            if nresults[code]:
                hn = heights[i + 1] - 1
                st[hn] = None
                kst[hn] = None
        elif c == _SELECT:
            if h >= 3:
                a, b = st[h - 3], st[h - 2]
                st[h - 3] = None if a is None or b is None else (
                    _MIN, a, b, 64)
                depth[h - 3] = max(depth[h - 3], depth[h - 2]) + 1
                if depth[h - 3] > _MAX_NODE_DEPTH:
                    st[h - 3] = None
                kst[h - 3] = None
        elif c == _LOOP:  # parameters at the header: back edges bring other values
            for j in range(max(0, h - len(block_types[i].params)), h):
                st[j] = None
                kst[j] = None
        else:  # _JOIN: end or else: the block's results or parameters are unknown
            start = starts.get(i) if code == op.END else elses.get(i)
            if start is not None:
                ft = block_types[start]
                base = heights[start] - len(ft.params) - (1 if body[start][0] == op.IF else 0)
                for j in range(max(0, base), max(base, heights[i + 1])):
                    st[j] = None
                    kst[j] = None
    return assigned, addresses


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
             op.LOCAL_SET: _SET, op.LOCAL_TEE: _SET, op.SELECT: _SELECT, op.SELECT_T: _SELECT,
             op.LOOP: _LOOP, op.END: _JOIN, op.ELSE: _JOIN}
_CATEGORY.update((code, _ARITH) for code in _BY_CODE)
_CATEGORY.update((code, _MEM) for code in _MEMORY_OPS)
_FIXED_RESULTS = {info.code: len(info.results) for info in op.OPS.values()
                  if info.results is not None}
_FIXED_RESULTS.update((code, 0) for code in _NO_RESULTS)
_MEM_OPERANDS = {code: len(op.OPS[code].params) for code in _MEMORY_OPS}

"""The stack checker: generated code must never corrupt CPython's value stack.

CPython trusts its bytecode: a label reached at two depths, an underflow, a `CALL` whose
NULL is not where the version expects it, or a NULL consumed by an ordinary instruction
corrupts memory and crashes the interpreter instead of raising. `compute_stacksize`
walks the final instruction list once (it computes `co_stacksize` exactly, which it must
anyway) and raises `StackDisciplineError` at compile time for any of those.
"""

from __future__ import annotations

from bytecode import Label

from .emit import FIXED_EFFECT, JUMPS, NULL_AFTER_CALLABLE, UNCONDITIONAL, stack_effect


class StackDisciplineError(AssertionError):
    """Generated code would corrupt CPython's value stack (a code generator bug):
    raised at compile time, because CPython itself does not check and would crash."""


_FLOW = JUMPS | {"RAISE_VARARGS", "RETURN_VALUE"}  # instructions that end or redirect flow

# how many values each instruction pops (a NULL among them is an error); SWAP, COPY,
# CALL, LOAD_GLOBAL and PUSH_NULL are handled apart
_POPS = {
    "RESUME": 0, "NOP": 0, "LOAD_CONST": 0, "LOAD_FAST": 0, "STORE_FAST": 1,
    "STORE_GLOBAL": 1, "POP_TOP": 1, "BINARY_OP": 2, "COMPARE_OP": 2, "IS_OP": 2,
    "UNARY_NEGATIVE": 1, "TO_BOOL": 1, "PRECALL": 0, "LIST_APPEND": 1, "RAISE_VARARGS": 1,
    "BINARY_SUBSCR": 2, "STORE_SUBSCR": 3, "RETURN_VALUE": 1, "MAKE_FUNCTION": 1,
    "JUMP_FORWARD": 0, "JUMP_BACKWARD": 0, "UNPACK_SEQUENCE": 1,
}
for _j in JUMPS - UNCONDITIONAL:
    _POPS[_j] = 1
# a CALL n finds its NULL at depth - n - 1 (3.11, 3.12: [NULL, callable, args]) or at
# depth - n (3.13+: [callable, NULL, args]), depths counted from 1 at the bottom
_NULL_BELOW_ARGS = 0 if NULL_AFTER_CALLABLE else 1


def compute_stacksize(light: list) -> int:
    """Exact maximum stack depth of a structured instruction list, checking on the way
    that every edge into a label agrees on the depth and on where NULLs are, that the
    stack never underflows, that only CALL consumes a NULL and finds it where this
    version expects it, and that RETURN_VALUE leaves nothing behind.

    One forward pass: every label is reached by fall-through or by a jump seen before
    it, except loop headers, which are reached by fall-through first (their back-edges
    are checked when seen). A label that is neither reached by a jump seen before it nor
    by fall-through starts dead code (a block after `unreachable` nobody branches out
    of)."""
    depth = 0
    best = 0
    at_label: dict = {}
    nulls: list[int] = []  # depths (1 = bottom) holding a NULL, ascending
    live = True
    fixed = FIXED_EFFECT
    flow = _FLOW
    pops = _POPS
    for ins in light:
        if ins.__class__ is Label:
            known = at_label.get(ins)
            if known is not None:
                if live and known != (depth, tuple(nulls)):
                    raise StackDisciplineError(
                        f"stack depth {depth} (NULLs at {nulls}) meets {known} at a label")
                depth, nulls = known[0], list(known[1])
            elif live:
                at_label[ins] = (depth, tuple(nulls))
            else:
                continue  # nothing reaches it: the code up to the next known label is dead
            live = True
            continue
        if not live:
            continue
        name, arg, _ = ins
        n = pops.get(name)
        if n is not None:
            if nulls and nulls[-1] > depth - n:
                raise StackDisciplineError(f"{name} would consume a NULL")
        elif name == "CALL":
            where = depth - arg - _NULL_BELOW_ARGS
            if not nulls or nulls[-1] != where:
                raise StackDisciplineError(
                    f"CALL {arg} at depth {depth} expects its NULL at {where}, NULLs at {nulls}")
            nulls.pop()
        elif name == "LOAD_GLOBAL":
            if arg[0]:
                nulls.append(depth + (2 if NULL_AFTER_CALLABLE else 1))
        elif name == "PUSH_NULL":
            nulls.append(depth + 1)
        elif name == "SWAP":
            a, b = depth, depth - arg + 1
            if a in nulls or b in nulls:
                moved = [b if x == a else a if x == b else x for x in nulls]
                nulls = sorted(moved)
        elif name == "COPY":
            if depth - arg + 1 in nulls:
                raise StackDisciplineError("COPY of a NULL")
        elif name in ("BUILD_TUPLE", "BUILD_LIST"):
            if nulls and nulls[-1] > depth - arg:
                raise StackDisciplineError(f"{name} would consume a NULL")
        e = fixed.get(name)
        depth += stack_effect(name, arg) if e is None else e
        if depth < 0:
            raise StackDisciplineError(f"stack underflow at {name}")
        if name not in flow:
            pass
        elif name in JUMPS:
            known = at_label.setdefault(arg, (depth, tuple(nulls)))
            if known != (depth, tuple(nulls)):
                raise StackDisciplineError(
                    f"{name} brings depth {depth} (NULLs at {nulls}) to a label at {known}")
            if name in UNCONDITIONAL:
                live = False
        elif name == "RAISE_VARARGS":
            live = False
        elif name == "RETURN_VALUE":
            if depth != 0:
                raise StackDisciplineError(f"RETURN_VALUE leaves {depth} values on the stack")
            live = False
        if depth > best:
            best = depth
    return best + 1

"""The emit layer: the only place that knows how each CPython version spells an operation.

The translator asks for abstract operations ("call with n arguments", "jump backward if
false"); this module turns them into `bytecode.Instr` lists for the running interpreter.
Facts it hides (measured, see DESIGN.md):

- 3.11 needs `PRECALL n` before `CALL n`; 3.12+ has only `CALL`.
- `LOAD_GLOBAL (True, name)` pushes NULL and the callable in the order the version
  expects (NULL first on 3.11/3.12, after the callable on 3.13+). When the callable is
  already on the stack, 3.11/3.12 need `PUSH_NULL; SWAP 2`, 3.13+ only `PUSH_NULL`.
- 3.11 has directional conditional jumps (`POP_JUMP_FORWARD_IF_*`,
  `POP_JUMP_BACKWARD_IF_*`); 3.12+ only forward ones, so a backward conditional jump is
  an inverted forward jump over `JUMP_BACKWARD`.
- 3.13+ conditional jumps need a real bool: `TO_BOOL` first unless the value is one.
- `MAKE_FUNCTION` takes a flags argument before 3.13 and none after.
- `RETURN_CONST` and `BINARY_SUBSCR` are avoided (gone or changed in 3.14): constants are
  returned with `LOAD_CONST; RETURN_VALUE`, one-element sequences are read with
  `UNPACK_SEQUENCE 1`.
"""

from __future__ import annotations

import sys

from bytecode import BinaryOp, Compare, Instr, Label

VERSION = sys.version_info[:2]
if VERSION < (3, 11):
    raise ImportError("transpyle needs CPython 3.11 or newer")

HAS_PRECALL = VERSION == (3, 11)
NULL_AFTER_CALLABLE = VERSION >= (3, 13)
DIRECTIONAL_COND_JUMPS = VERSION == (3, 11)
JUMP_NEEDS_BOOL = VERSION >= (3, 13)
MAKE_FUNCTION_HAS_FLAGS = VERSION < (3, 13)
SUBSCR_IS_BINARY_OP = VERSION >= (3, 14)  # BINARY_SUBSCR became BINARY_OP NB_SUBSCR

# For the direct assembler (assemble.py): how this version encodes arguments.
# COMPARE_OP's argument is the comparison shifted left (3.12 keeps the low 4 bits for
# its specialisation mask, 3.13 five bits, one of them the coerce-to-bool flag).
COMPARE_SHIFT = 0 if VERSION == (3, 11) else 4 if VERSION == (3, 12) else 5
# ... and from 3.12 the low bits hold the comparison's result mask, which the
# specialised forms (COMPARE_OP_INT: `sign & oparg`) test: without it every
# specialised comparison answers False. Bits: 1 unordered, 2 less, 4 greater, 8 equal.
COMPARE_MASK = ({} if VERSION == (3, 11) else
                {Compare.LT: 2, Compare.LE: 2 | 8, Compare.EQ: 8, Compare.NE: 1 | 2 | 4,
                 Compare.GT: 4, Compare.GE: 4 | 8})
# Jump arguments are distances in code units from the instruction after the jump
# (after its inline caches); +1 counts forward, -1 backward.
JUMP_SIGN = {
    "JUMP_FORWARD": 1, "JUMP_BACKWARD": -1, "POP_JUMP_IF_TRUE": 1, "POP_JUMP_IF_FALSE": 1,
    "POP_JUMP_FORWARD_IF_TRUE": 1, "POP_JUMP_FORWARD_IF_FALSE": 1,
    "POP_JUMP_BACKWARD_IF_TRUE": -1, "POP_JUMP_BACKWARD_IF_FALSE": -1,
}

__all__ = ["BinaryOp", "Compare", "I", "Label", "Ops", "VERSION", "NOARG", "JUMPS",
           "to_instrs", "stack_effect"]

NOARG = object()


def I(name: str, arg=NOARG) -> list:
    """A light instruction: [name, arg, line]. The translator fills in the line once the
    listing statement that shows it is known; `to_instrs` makes `bytecode.Instr`s."""
    return [name, arg, None]


JUMPS = frozenset({"JUMP_FORWARD", "JUMP_BACKWARD", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_FALSE",
                   "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_FORWARD_IF_FALSE",
                   "POP_JUMP_BACKWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_FALSE"})
UNCONDITIONAL = frozenset({"JUMP_FORWARD", "JUMP_BACKWARD"})


def to_instrs(light: list, first_line: int = 1) -> list:
    """Light instructions and labels -> `bytecode.Instr`s and labels. An instruction
    without a line takes the previous one's (it belongs to the same statement)."""
    out = []
    line = first_line
    for ins in light:
        if ins.__class__ is Label:
            out.append(ins)
            continue
        name, arg, ln = ins
        if ln is not None:
            line = ln
        out.append(Instr(name, lineno=line) if arg is NOARG else Instr(name, arg, lineno=line))
    return out


FIXED_EFFECT = {
    "RESUME": 0, "NOP": 0, "LOAD_CONST": 1, "LOAD_FAST": 1, "STORE_FAST": -1,
    "STORE_GLOBAL": -1, "POP_TOP": -1, "PUSH_NULL": 1, "SWAP": 0, "COPY": 1,
    "BINARY_OP": -1, "COMPARE_OP": -1, "IS_OP": -1, "UNARY_NEGATIVE": 0, "TO_BOOL": 0,
    "PRECALL": 0, "LIST_APPEND": -1, "RAISE_VARARGS": -1, "BINARY_SUBSCR": -1, "STORE_SUBSCR": -3, "RETURN_VALUE": -1,
    "MAKE_FUNCTION": 0, "JUMP_FORWARD": 0, "JUMP_BACKWARD": 0,
    "POP_JUMP_IF_TRUE": -1, "POP_JUMP_IF_FALSE": -1, "POP_JUMP_FORWARD_IF_TRUE": -1,
    "POP_JUMP_FORWARD_IF_FALSE": -1, "POP_JUMP_BACKWARD_IF_TRUE": -1,
    "POP_JUMP_BACKWARD_IF_FALSE": -1,
}


def stack_effect(name: str, arg) -> int:
    """Stack effect of the instructions the translator emits (the same on both edges of
    a conditional jump for all of them)."""
    e = FIXED_EFFECT.get(name)
    if e is not None:
        return e
    if name == "LOAD_GLOBAL":
        return 2 if arg[0] else 1
    if name == "CALL":  # pops NULL, the callable and the arguments; pushes the result
        return -arg - 1
    if name == "UNPACK_SEQUENCE":
        return arg - 1
    if name in ("BUILD_TUPLE", "BUILD_LIST"):
        return 1 - arg
    raise KeyError(f"no stack effect known for {name}")


class Ops:
    """Builds version-correct light instruction lists."""

    __slots__ = ()

    @staticmethod
    def resume() -> list:
        return [I("RESUME", 0)]

    @staticmethod
    def load_global_callable(name: str) -> list:
        """Push the global `name` ready to be called (with its NULL)."""
        return [I("LOAD_GLOBAL", (True, name))]

    @staticmethod
    def null_for_callable_on_top() -> list:
        """The callable is on top of the stack: add the NULL that CALL expects."""
        if NULL_AFTER_CALLABLE:
            return [I("PUSH_NULL")]
        return [I("PUSH_NULL"), I("SWAP", 2)]

    @staticmethod
    def call(nargs: int) -> list:
        if HAS_PRECALL:
            return [I("PRECALL", nargs), I("CALL", nargs)]
        return [I("CALL", nargs)]

    @staticmethod
    def jump(label: Label, backward: bool) -> list:
        return [I("JUMP_BACKWARD" if backward else "JUMP_FORWARD", label)]

    @staticmethod
    def jump_if(truth: bool, label: Label, backward: bool, is_bool: bool) -> list:
        """Pop the top of the stack and jump to `label` if its truth is `truth`."""
        out = []
        if JUMP_NEEDS_BOOL and not is_bool:
            out.append(I("TO_BOOL"))
        word = "TRUE" if truth else "FALSE"
        forward = "POP_JUMP_FORWARD_IF_" if DIRECTIONAL_COND_JUMPS else "POP_JUMP_IF_"
        if not backward:
            out.append(I(forward + word, label))
        else:
            # a conditional jump over JUMP_BACKWARD, also on 3.11, which has a conditional
            # backward jump: 3.11 quickens (specialises) a code object after 8 RESUMEs or
            # JUMP_BACKWARDs only, so a function called once whose loops all end in a
            # conditional backward jump would run unspecialised (1.6x slower, RATIONALE.md)
            skip = Label()
            inverse = "FALSE" if truth else "TRUE"
            out += [I(forward + inverse, skip), I("JUMP_BACKWARD", label), skip]
        return out

    @staticmethod
    def make_function() -> list:
        if MAKE_FUNCTION_HAS_FLAGS:
            return [I("MAKE_FUNCTION", 0)]
        return [I("MAKE_FUNCTION")]

    @staticmethod
    def return_value() -> list:
        return [I("RETURN_VALUE")]

    @staticmethod
    def return_none() -> list:
        return [I("LOAD_CONST", None), I("RETURN_VALUE")]

    @staticmethod
    def unpack_one() -> list:
        """Replace a one-element sequence on top of the stack by its element."""
        return [I("UNPACK_SEQUENCE", 1)]

    @staticmethod
    def subscr() -> list:
        """container[index] with [container, index] on the stack."""
        if SUBSCR_IS_BINARY_OP:
            return [I("BINARY_OP", BinaryOp.SUBSCR)]
        return [I("BINARY_SUBSCR")]

    @staticmethod
    def store_item_zero() -> list:
        """`cell[0] = value` with [value, cell] on the stack."""
        return [I("LOAD_CONST", 0), I("STORE_SUBSCR")]

    @staticmethod
    def is_none(negate: bool = False) -> list:
        return [I("LOAD_CONST", None), I("IS_OP", 1 if negate else 0)]

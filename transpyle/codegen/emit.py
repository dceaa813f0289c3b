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

__all__ = ["BinaryOp", "Compare", "Instr", "Label", "Ops", "VERSION"]


class Ops:
    """Builds version-correct instruction lists. Every method returns a list of Instr."""

    __slots__ = ()

    @staticmethod
    def resume() -> list:
        return [Instr("RESUME", 0)]

    @staticmethod
    def load_global_callable(name: str) -> list:
        """Push the global `name` ready to be called (with its NULL)."""
        return [Instr("LOAD_GLOBAL", (True, name))]

    @staticmethod
    def null_for_callable_on_top() -> list:
        """The callable is on top of the stack: add the NULL that CALL expects."""
        if NULL_AFTER_CALLABLE:
            return [Instr("PUSH_NULL")]
        return [Instr("PUSH_NULL"), Instr("SWAP", 2)]

    @staticmethod
    def call(nargs: int) -> list:
        if HAS_PRECALL:
            return [Instr("PRECALL", nargs), Instr("CALL", nargs)]
        return [Instr("CALL", nargs)]

    @staticmethod
    def jump(label: Label, backward: bool) -> list:
        return [Instr("JUMP_BACKWARD" if backward else "JUMP_FORWARD", label)]

    @staticmethod
    def jump_if(truth: bool, label: Label, backward: bool, is_bool: bool) -> list:
        """Pop the top of the stack and jump to `label` if its truth is `truth`."""
        out = []
        if JUMP_NEEDS_BOOL and not is_bool:
            out.append(Instr("TO_BOOL"))
        word = "TRUE" if truth else "FALSE"
        if DIRECTIONAL_COND_JUMPS:
            direction = "BACKWARD" if backward else "FORWARD"
            out.append(Instr(f"POP_JUMP_{direction}_IF_{word}", label))
        elif not backward:
            out.append(Instr(f"POP_JUMP_IF_{word}", label))
        else:
            skip = Label()
            inverse = "FALSE" if truth else "TRUE"
            out += [Instr(f"POP_JUMP_IF_{inverse}", skip), Instr("JUMP_BACKWARD", label), skip]
        return out

    @staticmethod
    def make_function() -> list:
        if MAKE_FUNCTION_HAS_FLAGS:
            return [Instr("MAKE_FUNCTION", 0)]
        return [Instr("MAKE_FUNCTION")]

    @staticmethod
    def return_value() -> list:
        return [Instr("RETURN_VALUE")]

    @staticmethod
    def return_none() -> list:
        return [Instr("LOAD_CONST", None), Instr("RETURN_VALUE")]

    @staticmethod
    def unpack_one() -> list:
        """Replace a one-element sequence on top of the stack by its element."""
        return [Instr("UNPACK_SEQUENCE", 1)]

    @staticmethod
    def store_item_zero() -> list:
        """`cell[0] = value` with [value, cell] on the stack."""
        return [Instr("LOAD_CONST", 0), Instr("STORE_SUBSCR")]

    @staticmethod
    def is_none(negate: bool = False) -> list:
        return [Instr("LOAD_CONST", None), Instr("IS_OP", 1 if negate else 0)]

"""Translate one validated wasm function body into a CPython code object and its listing.

The wasm operand stack is the CPython value stack, locals are fast locals, `block`/
`loop`/`if` are labels and `br`/`br_if`/`br_table` are jumps. The translator keeps an
abstract stack of `Slot`s:

- the value state, for lazy wrap-around: NORM (canonical), WIDE (an integer only
  congruent modulo 2**N, masked where observed) or BOOL (a Python bool for i32 0/1);
- where the slot's code starts in the emitted list, so a callable can be put *below*
  operands already pushed: code is inserted at that position when everything since is
  straight-line, otherwise the operands are spilled to temporaries and reloaded
  (insertions are materialised once at the end, so indices never shift);
- its listing expression and the instructions that compute it: values fold into the
  statement that consumes them, and those instructions get that statement's line.
  A value that must outlive a statement, a control boundary or a branch is shown as
  `s<height> = <expr>` (in bytecode it simply stays on the stack; with `debug=True` it
  is also stored in the local `s<height>` so pdb can print it).

The listing is readable Python: one statement per line, each ending with the wasm byte
offset; blocks that are branch targets are labelled loops (`while True:  # L2`) with
`break L2` / `continue L2`, as PEP 3136 proposed.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass

from bytecode import BinaryOp, Compare, Label

from ..wasm import opcodes as op
from ..wasm.module import Code, Module
from ..wasm.types import F32, F64, I32, I64, V128, FuncType, ValueType
from . import lowering as L
from .assemble import assembler
from .emit import JUMPS, NOARG, I, Ops
from .facts import address_alignment
from .verify import StackDisciplineError, compute_stacksize  # noqa: F401 - re-exported

NORM, WIDE, BOOL = 0, 1, 2
_HERE = object()  # push()'s default start: where the current instruction's code begins
_RESERVED_LOCAL = re.compile(r"^(s|_t|l)\d+$")  # stack slots, temporaries, unnamed locals
MASK = {I32: 0xFFFFFFFF, I64: 0xFFFFFFFFFFFFFFFF}
ZERO = {I32: 0, I64: 0, F32: 0.0, F64: 0.0, V128: 0}

# Python operator precedence, for parenthesising folded expressions
TERN, LOGIC, CMP, OR, XOR, AND, SHIFT, ADD, MUL, UNARY, ATOM = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20
BINOP_TEXT = {
    BinaryOp.ADD: ("+", ADD), BinaryOp.SUBTRACT: ("-", ADD), BinaryOp.MULTIPLY: ("*", MUL),
    BinaryOp.AND: ("&", AND), BinaryOp.OR: ("|", OR), BinaryOp.XOR: ("^", XOR),
    BinaryOp.LSHIFT: ("<<", SHIFT), BinaryOp.RSHIFT: (">>", SHIFT),
    BinaryOp.FLOOR_DIVIDE: ("//", MUL), BinaryOp.REMAINDER: ("%", MUL),
}
CMP_TEXT = {Compare.LT: "<", Compare.LE: "<=", Compare.EQ: "==", Compare.NE: "!=",
            Compare.GT: ">", Compare.GE: ">="}
_FLIPPED = {Compare.LT: Compare.GT, Compare.LE: Compare.GE, Compare.GT: Compare.LT,
            Compare.GE: Compare.LE, Compare.EQ: Compare.EQ, Compare.NE: Compare.NE}
# signed `a OP c` for a constant c: (OP, c negative) -> (unsigned test against c,
# "or"/"and", unsigned test against the sign bit S): a < c (c >= 0) is
# `a < c or a >= S`, a < c (c < 0) is `a < c and a >= S`, and so on
_SIGNED_CONST = {
    (Compare.LT, False): (Compare.LT, "or", Compare.GE),
    (Compare.LT, True): (Compare.LT, "and", Compare.GE),
    (Compare.LE, False): (Compare.LE, "or", Compare.GE),
    (Compare.LE, True): (Compare.LE, "and", Compare.GE),
    (Compare.GT, False): (Compare.GT, "and", Compare.LT),
    (Compare.GT, True): (Compare.GT, "or", Compare.LT),
    (Compare.GE, False): (Compare.GE, "and", Compare.LT),
    (Compare.GE, True): (Compare.GE, "or", Compare.LT),
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")  # a local or a stack slot name


def reused_text(slot: "Slot", temp: str) -> tuple[str, str]:
    """How a listing shows a value the code reads twice (kept in `temp`): (its first
    use, its later uses). A plain name stays itself; an expression is named at its
    first use, `(_t0 := expr)`, and read back as `_t0`."""
    if _NAME.match(slot.expr):
        return slot.expr, slot.expr
    return f"({temp} := {slot.text(TERN + 1)})", temp

# Loads: op name -> (namespace unpacker, result state). f32 goes through a helper that
# keeps signalling-NaN bits (a C float->double conversion would quiet them).
LOADS = {
    "i32.load": ("unpack_i32", NORM), "i64.load": ("unpack_i64", NORM),
    "f64.load": ("unpack_f64", NORM),
    "i32.load8_s": ("unpack_i8s", WIDE), "i32.load8_u": ("unpack_i8u", NORM),
    "i32.load16_s": ("unpack_i16s", WIDE), "i32.load16_u": ("unpack_i16u", NORM),
    "i64.load8_s": ("unpack_i8s", WIDE), "i64.load8_u": ("unpack_i8u", NORM),
    "i64.load16_s": ("unpack_i16s", WIDE), "i64.load16_u": ("unpack_i16u", NORM),
    "i64.load32_s": ("unpack_i32s", WIDE), "i64.load32_u": ("unpack_i32", NORM),
}
# Byte accesses index the bytearray directly: op name -> sign-extending?
BYTE_LOADS = {"i32.load8_u": False, "i64.load8_u": False, "i32.load8_s": True, "i64.load8_s": True}
BYTE_STORES = frozenset({"i32.store8", "i64.store8"})
# Aligned accesses through the memory's typed views (runtime/externs.py VIEW_FORMATS):
# op name -> (view, item size). A load at an address not known at compile time tests
# the alignment: `mem0_u32[a // 4] if not a & 3 else unpack_i32(mem0, a)[0]`; a load or
# store at an aligned constant address indexes the view directly. A store at a variable
# address stays a `pack_*` call: the test costs what the view saves (RATIONALE.md).
# An address is a NORM int plus an offset, never negative (a memoryview would accept a
# negative index); with len(mem0) a multiple of 64 KiB, `a // size < len // size` is
# exactly `a + size <= len` for an aligned a, so the view's IndexError is the trap.
VIEW_ACCESS = {
    "i32.load": ("u32", 4), "i64.load": ("u64", 8), "f64.load": ("f64", 8),
    "i64.load32_u": ("u32", 4), "i64.load32_s": ("s32", 4),
    "i32.load16_u": ("u16", 2), "i32.load16_s": ("s16", 2),
    "i64.load16_u": ("u16", 2), "i64.load16_s": ("s16", 2),
    "i32.store": ("u32", 4), "i64.store": ("u64", 8), "f64.store": ("f64", 8),
    "i64.store32": ("u32", 4), "i32.store16": ("u16", 2), "i64.store16": ("u16", 2),
}
# the views index in native byte order; wasm memory is little-endian
_VIEWS_NATIVE = sys.byteorder == "little"
# Stores: op name -> (namespace packer, mask applied to the value, or None: normalise)
STORES = {
    "i32.store": ("pack_i32", None), "i64.store": ("pack_i64", None),
    "f64.store": ("pack_f64", None),
    "i32.store8": ("pack_i8", 0xFF), "i32.store16": ("pack_i16", 0xFFFF),
    "i64.store8": ("pack_i8", 0xFF), "i64.store16": ("pack_i16", 0xFFFF),
    "i64.store32": ("pack_i32", 0xFFFFFFFF),
}


def int_text(v: int) -> str:
    return str(v) if v < 0x10000 else hex(v)


def const_address(slot: "Slot") -> int | None:
    """The value of an address known at compile time (a constant, its offset folded in,
    still shown as a literal), else None."""
    k = slot.k
    if k is None or slot.state != NORM or slot.expr != int_text(k[1]):
        return None
    return k[1]


def float_text(v: float, helper: str, bits: int) -> tuple[str, int]:
    if math.isnan(v) or math.isinf(v):
        return f"{helper}({bits:#x})", ATOM
    return (repr(v), ATOM) if v >= 0 else (repr(v), UNARY)


class Slot:
    __slots__ = ("type", "state", "start", "expr", "prec", "parts", "deps", "impure", "offset",
                 "k", "wrap")

    def __init__(self, type, state, start, expr, prec=ATOM, parts=None, deps=0, impure=False,
                 offset=0):
        self.type = type
        self.state = state
        self.start = start  # emission index where this slot's code begins, or None
        self.expr = expr  # listing text
        self.prec = prec
        self.parts = parts  # instructions and child slots not yet given a line
        self.deps = deps  # bit mask of the locals the expression reads
        self.impure = impure  # reads memory, globals or tables, or calls
        self.offset = offset
        self.k = None  # for an integer constant: its LOAD_CONST instruction (for folding)
        # for a WIDE sum or difference of two NORM ints: ADD (in [0, 2**(N+1))) or
        # SUBTRACT (in (-2**N, 2**N)), which wrap with one comparison (wrap_instrs)
        self.wrap = None

    def fold(self, value: int) -> bool:
        """Replace a constant's value at compile time (instead of emitting a fixup)."""
        if self.k is None:
            return False
        self.k[1] = value
        self.expr = int_text(value)
        self.prec = ATOM
        return True

    def fold_add(self, offset: int) -> bool:
        """An address constant plus a memarg offset, added at compile time."""
        return self.k is not None and self.state == NORM and self.fold(self.k[1] + offset)

    def text(self, prec: int) -> str:
        return self.expr if self.prec >= prec else f"({self.expr})"

    def __repr__(self):
        return f"Slot({self.type}, {'NWB'[self.state]}, {self.start}, {self.expr!r})"


def assign_line(parts, line: int) -> None:
    """Give every instruction of a slot tree the line of the statement that shows it."""
    stack = [parts]
    while stack:
        items = stack.pop()
        for p in items:
            if p.__class__ is Slot:
                if p.parts:
                    stack.append(p.parts)
                    p.parts = None
            elif p.__class__ is list:
                p[2] = line


@dataclass
class Frame:
    kind: str  # "block" | "loop" | "if" | "func"
    label: Label
    base: int  # stack height below the block's parameters
    params: tuple
    results: tuple
    start_i: int
    end_i: int
    targeted: bool = False  # some branch targets this label (else: no label, no line)
    else_i: int | None = None
    else_label: Label | None = None
    in_then: bool = False
    param_states: list | None = None
    merged: list | None = None  # merged result states of the edges reaching the end
    entry_pos: int = 0
    name: str = ""  # listing label, L<n>

    @property
    def label_types(self) -> tuple:
        return self.params if self.kind == "loop" else self.results


def merge_state(a: int, b: int) -> int:
    if a == b:
        return a
    return WIDE if WIDE in (a, b) else NORM


class Contained(list):
    """Instructions whose jumps and labels only lead inside the list: code may still be
    inserted before them (`Translator.emit` keeps its barrier where it was)."""

    __slots__ = ()


def wrap_instrs(slot: Slot) -> list:
    """Instructions that bring a WIDE value into range. A sum or difference of two NORM
    ints is off by at most 2**N, in a known direction: one comparison with a jump
    over the correction, which measured 10-30 ns cheaper than `& 0xFFFFFFFF` (whose
    operand leaves CPython's fast small-int paths; RATIONALE.md). Listings show the
    mask, which means the same."""
    m = MASK[slot.type]
    if slot.wrap is None:
        return [I("LOAD_CONST", m), I("BINARY_OP", BinaryOp.AND)]
    skip = Label()
    if slot.wrap == BinaryOp.ADD:  # r > M: r - 2**N
        test, fix = [I("LOAD_CONST", m), I("COMPARE_OP", Compare.GT)], BinaryOp.SUBTRACT
    else:  # r < 0: r + 2**N
        test, fix = [I("LOAD_CONST", 0), I("COMPARE_OP", Compare.LT)], BinaryOp.ADD
    return Contained([I("COPY", 1)] + test + Ops.jump_if(False, skip, False, True)
                     + [I("LOAD_CONST", m + 1), I("BINARY_OP", fix), skip])


def mask_instrs(slot: Slot) -> list:
    """Instructions that normalise a WIDE slot, without changing the slot: for code on
    one path only (a taken branch), where the other path keeps the value as it is."""
    if slot.state != WIDE:
        return []
    return wrap_instrs(slot)


def masked_text(slot: Slot) -> str:
    """A slot's text as a listing shows it once `mask_instrs` has run on it."""
    if slot.state != WIDE:
        return slot.text(TERN + 1)
    return f"{slot.text(ATOM)} & 0x{MASK[slot.type]:X}"


def mask_code(slot: Slot) -> list:
    """Instructions that normalise a WIDE slot (updating its state and text), or []."""
    if slot.state != WIDE:
        return []
    m = MASK[slot.type]
    code = wrap_instrs(slot)
    slot.state = NORM
    slot.wrap = None
    slot.expr = f"{slot.text(ATOM)} & 0x{m:X}"
    slot.prec = AND
    return code


class TranslationResult:
    __slots__ = ("code", "listing", "name")

    def __init__(self, code, listing, name):
        self.code = code
        self.listing = listing
        self.name = name


class Translator:
    def __init__(self, module: Module, info, code: Code, func_types: list[FuncType],
                 cell_globals: frozenset, *, name: str, filename: str,
                 ensure_termination: bool = False, tail_funcs: frozenset = frozenset(),
                 func_idents: dict | None = None, local_names: dict | None = None,
                 debug: bool = False, fuel: bool = False, source_comment=None):
        self.module = module
        self.info = info
        self.code = code
        self.func_types = func_types
        self.cell_globals = cell_globals
        self.name = name
        self.filename = filename
        # fuel is counted where the termination check goes (function entry, loop
        # headers): either option gives loops their headers
        self.fuel = fuel
        self.interrupt_check = ensure_termination
        self.ensure_termination = ensure_termination or fuel
        # source_comment(offset) -> comment lines to put before the listing line of
        # that wasm offset (listings interleaved with DWARF source lines)
        self.source_comment = source_comment
        self.tail_funcs = tail_funcs
        self.func_idents = func_idents or {}
        self.local_names = local_names or {}
        self.debug = debug
        self.assembler = assembler()
        self.global_types = module.all_global_types()
        # memory 0's typed views (mem0_u32, ...): a non-shared memory on a little-endian
        # host (a shared memory has none: runtime/externs.py)
        memories = module.all_memories()
        self.views = _VIEWS_NATIVE and bool(memories) and not memories[0].limits.shared

        self.out: list = []
        self.start_code: dict[int, list] = {}
        self.end_code: dict[int, list] = {}
        self.barrier = 0
        self.stack: list[Slot] = []
        self.frames: list[Frame] = []
        self.live = True
        self.ntemps = 0
        self.listing: list[str] = []
        self.indent = 1
        self.cur: list = []  # instructions of the wasm instruction being translated
        self.offset = 0
        self.nlabels = 0
        self.op_start = 0  # emission index where the current wasm instruction's code starts
        self.i = 0  # index of the wasm instruction being translated
        self.aligned: dict[int, int] = {}
        self.debug_slots: set[int] = set()

    # -- emission -------------------------------------------------------------------

    def emit(self, instrs) -> None:
        out, cur = self.out, self.cur
        if instrs.__class__ is Contained:  # labels and jumps that stay inside
            out.extend(instrs)
            cur.extend(ins for ins in instrs if ins.__class__ is not Label)
            return
        for ins in instrs:
            if ins.__class__ is Label:
                out.append(ins)
                self.seal()
            else:
                out.append(ins)
                cur.append(ins)
                if ins[0] in JUMPS:
                    self.seal()

    def emit1(self, name, arg=NOARG) -> None:
        ins = [name, arg, None]
        self.out.append(ins)
        self.cur.append(ins)

    def place(self, label: Label) -> None:
        self.out.append(label)
        self.seal()

    def seal(self) -> None:
        """Control flow was just emitted (a jump or a label): code before it can no
        longer have code inserted before it, and the constants on the stack stop being
        rewritable. A constant folds by rewriting its LOAD_CONST in place (`Slot.fold`),
        which is right only while its consumer is the one reader of that instruction's
        value; once a branch may carry the value elsewhere, or a label lets other edges
        bring another value to the same stack slot (a loop parameter), the instruction
        is shared and its value no longer known: the slot becomes an ordinary value."""
        self.barrier = len(self.out)
        for s in self.stack:
            s.k = None

    def temp(self, i: int) -> str:
        if i >= self.ntemps:
            self.ntemps = i + 1
        return f"_t{i}"

    # -- the listing ----------------------------------------------------------------

    def line(self, text: str, offset: int | None = None, note: str = "") -> int:
        off = self.offset if offset is None else offset
        if self.source_comment is not None:
            self.source_line(off)
        self.listing.append(f"{'    ' * self.indent}{text}  # {note}@{off:#x}")
        return len(self.listing)

    def source_line(self, off: int) -> None:
        """Before the first listing line of new source lines: their comments."""
        for comment in self.source_comment(off) or ():
            self.listing.append(f"{'    ' * self.indent}{comment}")

    def stmt(self, text: str, consumed=(), offset: int | None = None) -> int:
        """A listing statement implemented by the current instructions and `consumed`."""
        n = self.line(text, offset)
        assign_line(self.cur, n)
        self.cur = []
        if consumed:
            assign_line(consumed, n)
        return n

    def flush_slot(self, k: int) -> None:
        """Show stack slot k as `s<k> = <expr>` (its value stays on the stack)."""
        s = self.stack[k]
        name = f"s{k}"
        if s.expr == name and not s.parts:
            return
        n = self.line(f"{name} = {s.expr}", s.offset)
        if s.parts:
            assign_line(s.parts, n)
            s.parts = None
        if self.debug:
            self.debug_store(k, n)
        s.expr, s.prec, s.deps, s.impure = name, ATOM, 0, False

    def debug_store(self, k: int, line: int) -> None:
        self.stack[k].k = None  # the local s<k> reads the value too: not to be rewritten
        depth = len(self.stack) - k
        ins = [I("COPY", depth), I("STORE_FAST", f"s{k}")]
        for x in ins:
            x[2] = line
        self.out.extend(ins)
        self.debug_slots.add(k)

    def flush(self, pred=None, upto: int | None = None) -> None:
        """Show pending values (those matching `pred`, below height `upto`) as
        `s<k> = ...` lines, so the listing keeps the order of evaluation."""
        stack = self.stack
        for k in range(len(stack) if upto is None else upto):
            s = stack[k]
            if s.expr != f"s{k}" and (pred is None or pred(s)):
                self.flush_slot(k)

    def flush_for_effect(self, noperands: int = 0) -> None:
        """Before an instruction with side effects: show first the values below its
        `noperands` operands that read state."""
        self.flush(lambda s: s.impure, len(self.stack) - noperands)

    def flush_local(self, index: int) -> None:
        bit = 1 << index
        self.flush(lambda s: s.deps & bit)

    def push(self, type, expr: str, prec=ATOM, children=(), state=NORM, start=_HERE,
             deps=0, impure=False) -> Slot:
        """Push the result of the current instruction, folding `children`."""
        parts = list(children) + self.cur
        self.cur = []
        for c in children:
            deps |= c.deps
            impure = impure or c.impure
        s = Slot(type, state, self.op_start if start is _HERE else start, expr, prec, parts,
                 deps, impure, self.offset)
        self.stack.append(s)
        return s

    # -- operands -------------------------------------------------------------------

    def prepare(self, n: int, prefix: list = (), fixups: dict | None = None):
        """Arrange the top n slots as operands of something that needs `prefix` (e.g.
        NULL + a callable + leading arguments) pushed before them and `fixups[i]`
        applied to operand i once computed. Returns the start of the first operand.
        The operand slots stay on the abstract stack; the caller pops them."""
        fixups = fixups or {}
        stack = self.stack
        first = len(stack) - n
        if n == 0:
            start = len(self.out)
            self.emit(prefix)
            return start
        start = stack[first].start
        lower_work = bool(prefix) or any(fixups.get(i) for i in range(n - 1))
        if not lower_work:
            if fixups.get(n - 1):
                self.emit_into(stack[-1], fixups[n - 1])
            return start
        straight = start is not None and start >= self.barrier and all(
            stack[first + i + 1].start is not None for i in range(n - 1) if fixups.get(i))
        if straight:
            if prefix:
                self.cur.extend(prefix)
                self.start_code[start] = list(prefix) + self.start_code.get(start, [])
            for i in range(n - 1):
                if fixups.get(i):
                    pos = stack[first + i + 1].start
                    self.end_code.setdefault(pos, []).extend(fixups[i])
                    self.attach(stack[first + i], fixups[i])
            if fixups.get(n - 1):
                self.emit_into(stack[-1], fixups[n - 1])
        else:
            temps = [self.temp(i) for i in range(n)]
            self.emit([I("STORE_FAST", t) for t in reversed(temps)])
            self.emit(prefix)
            for i in range(n):
                self.emit([I("LOAD_FAST", temps[i])])
                if fixups.get(i):
                    self.emit_into(stack[first + i], fixups[i])
        return start

    def attach(self, slot: Slot, instrs: list) -> None:
        if slot.parts is None:
            slot.parts = []
        slot.parts.extend(instrs)

    def emit_into(self, slot: Slot, instrs: list) -> None:
        """Emit instructions that belong to `slot`'s expression (a fixup on top)."""
        saved, self.cur = self.cur, []
        self.emit(instrs)
        self.attach(slot, self.cur)
        self.cur = saved

    def norm_fixups(self, n: int) -> dict:
        stack = self.stack
        out = {}
        for i in range(n):
            code = mask_code(stack[len(stack) - n + i])
            if code:
                out[i] = code
        return out

    def pop(self, n: int) -> list[Slot]:
        if n == 0:
            return []
        popped = self.stack[-n:]
        del self.stack[-n:]
        return popped

    def args_text(self, slots) -> str:
        return ", ".join(s.text(TERN + 1) for s in slots)

    def call_global(self, name: str, n: int, *, leading: list = (), nleading: int = 0,
                    fixups: dict | None = None, results: tuple = (), states=None,
                    normalize: bool = True, text: str | None = None, lead_text=(),
                    impure: bool = True, trailing=()) -> None:
        """Call namespace function `name` on the top n slots, pushing `results` (or
        making a statement when there are none). `leading` pushes `nleading` arguments
        before the operands; `trailing` constants are passed after them."""
        if normalize:
            fx = self.norm_fixups(n)
            for k, v in (fixups or {}).items():
                fx[k] = fx.get(k, []) + v
        else:
            fx = fixups or {}
        start = self.prepare(n, Ops.load_global_callable(name) + list(leading), fx)
        args = self.pop(n)
        self.emit([I("LOAD_CONST", c) for c in trailing] + Ops.call(n + nleading + len(trailing)))
        shown = text or name
        texts = list(lead_text) + [s.text(TERN + 1) for s in args] + [repr(c) for c in trailing]
        expr = f"{shown}({', '.join(texts)})"
        self.push_results(results, start, args, expr, states, impure)

    def push_results(self, results: tuple, start, args, expr: str, states=None,
                     impure: bool = True) -> None:
        k = len(results)
        if k == 0:
            self.emit1("POP_TOP")
            if impure:
                self.flush_for_effect()
            self.stmt(expr, args)
        elif k == 1:
            self.push(results[0], expr, ATOM, args, states[0] if states else NORM, start,
                      impure=impure)
        else:
            self.flush()
            self.unpack_results(k)
            h = len(self.stack)
            names = [f"s{h + j}" for j in range(k)]
            n = self.stmt(f"{', '.join(names)} = {expr}", args)
            for j, t in enumerate(results):
                self.stack.append(Slot(t, NORM, None, names[j], ATOM, None, 0, False, self.offset))
                if self.debug:
                    self.debug_store(h + j, n)
            self.stack[-k].start = start

    def unpack_results(self, k: int) -> None:
        """A k-tuple on top of the stack -> its items, first item deepest."""
        self.emit1("UNPACK_SEQUENCE", k)  # leaves item 0 on top
        if k == 2:
            self.emit1("SWAP", 2)
        elif k == 3:
            self.emit1("SWAP", 3)
        else:
            temps = [self.temp(i) for i in range(k)]
            self.emit([I("STORE_FAST", t) for t in temps])
            self.emit([I("LOAD_FAST", t) for t in temps])

    # -- the function -----------------------------------------------------------------

    def translate(self) -> TranslationResult:
        info = self.info
        ftype = info.type
        body = self.code.body
        nparams = len(ftype.params)
        self.local_types = list(info.local_types)
        self.locals = self.local_idents()

        sig = f"({', '.join(map(str, ftype.params))}) -> ({', '.join(map(str, ftype.results))})"
        self.listing.append(f"def {self.name}({', '.join(self.locals[:nparams])}):  # {sig}")
        self.emit(Ops.resume())
        assign_line(self.cur, 1)
        self.cur = []
        if nparams < len(self.local_types):
            for i in range(nparams, len(self.local_types)):
                t = self.local_types[i]
                self.emit([I("LOAD_CONST", ZERO.get(t)), I("STORE_FAST", self.locals[i])])
            zeros = ", ".join(repr(ZERO.get(t)) for t in self.local_types[nparams:])
            names = ", ".join(self.locals[nparams:])
            self.offset = self.code.offset
            self.stmt(f"{names} = {zeros}" if len(self.local_types) - nparams > 1
                      else f"{names} = {zeros}")

        if self.ensure_termination:  # at entry too: recursion without loops stops
            self.offset = self.code.offset
            self.termination_check()
        self.targets = info.targets
        # memory instruction index -> low zero bits proven of its address (facts.py)
        self.aligned = (address_alignment(info, body, self.func_types, self.module.types)
                        if self.views else {})
        self.frames.append(Frame("func", Label(), 0, (), ftype.results, -1, len(body) - 1))
        handlers = self.handlers
        i = 0
        n = len(body)
        while i < n:
            if not self.live:
                frame = self.frames[-1]
                if frame.kind == "if" and frame.in_then and frame.else_i is not None:
                    i = frame.else_i
                else:
                    i = frame.end_i
            code, imm, offset = body[i]
            self.offset = offset
            self.i = i
            self.op_start = len(self.out)
            h = handlers.get(code)
            if h is not None:
                h(self, i, imm)
            else:
                self.numeric(code, imm)
            if self.debug and self.live:
                self.flush()
            i += 1
        return self.finish()

    def local_idents(self) -> list[str]:
        """Local names: the name section's, sanitised and de-duplicated, else l<i>."""
        out = []
        used = set()
        for i in range(len(self.local_types)):
            name = self.local_names.get(i)
            if not name or name in used or _RESERVED_LOCAL.match(name):
                name = f"l{i}"
            if name in used:
                name = f"l{i}_"
            used.add(name)
            out.append(name)
        return out

    def finish(self) -> TranslationResult:
        start_code, end_code, out = self.start_code, self.end_code, self.out
        if not start_code and not end_code:
            light = out
        else:  # splice the insertions in: end code, then start code, before out[idx]
            light = []
            prev = 0
            for idx in sorted(start_code.keys() | end_code.keys()):
                light += out[prev:idx]
                light += end_code.get(idx, ())
                light += start_code.get(idx, ())
                prev = idx
            light += out[prev:]
        nparams = len(self.info.type.params)
        code = self.assembler(light, name=self.name, filename=self.filename,
                              argnames=self.locals[:nparams],
                              stacksize=compute_stacksize(light))
        return TranslationResult(code, "\n".join(self.listing) + "\n", self.name)

    # -- control ----------------------------------------------------------------------

    def dead(self) -> None:
        self.live = False

    def begin_block(self, i: int, kind: str) -> Frame:
        ft = self.info.block_types[i]
        base = len(self.stack) - len(ft.params)
        frame = Frame(kind, Label(), base, ft.params, ft.results, i, self.info.ends[i],
                      targeted=i in self.targets, entry_pos=len(self.out))
        if frame.targeted or kind == "if":
            self.nlabels += 1
            frame.name = f"L{self.nlabels}"
        self.frames.append(frame)
        return frame

    def termination_check(self) -> None:
        """`if _interrupt: check_termination()`: one global read and a branch while no
        call's context is done (3-7 ns, against 26-31 ns for calling the check every
        time); the engine sets `_interrupt` when a watched context is done. With
        fuel, one unit is consumed here first (`fuel_check`)."""
        if self.fuel:
            self.fuel_check()
        if not self.interrupt_check:
            return
        skip = Label()
        self.emit([I("LOAD_GLOBAL", (False, "_interrupt"))] + Ops.jump_if(False, skip, False, True)
                  + Ops.load_global_callable("check_termination") + Ops.call(0) + [I("POP_TOP")])
        self.place(skip)
        self.stmt("if _interrupt: check_termination()")

    def fuel_check(self) -> None:
        """`next(_fuel)`: one unit of the runtime's fuel, an `itertools.repeat(None, n)`
        shared by all its instances (one C call: cheaper than decrementing and testing
        a counter in a list; RATIONALE.md); the StopIteration of an exhausted budget is
        the trap "all fuel consumed" (runtime/boundary.py). Emitted only when compiled
        with fuel."""
        self.emit(Ops.load_global_callable("next") + [I("LOAD_GLOBAL", (False, "_fuel"))]
                  + Ops.call(1) + [I("POP_TOP")])
        self.stmt("next(_fuel)")

    def op_block(self, i, imm):
        frame = self.begin_block(i, "block")
        if frame.targeted:
            self.flush()
            self.line("while True:", note=f"block {frame.name} ")
            self.indent += 1

    def op_loop(self, i, imm):
        frame = self.begin_block(i, "loop")
        if not frame.targeted and not self.ensure_termination:
            return
        n = len(frame.params)
        if n:  # back-edges carry NORM ints: make the entry edge agree
            fx = self.norm_fixups(n)
            if fx:
                self.prepare(n, (), fx)
            for s in self.stack[len(self.stack) - n:]:
                if s.state == BOOL:  # a back-edge may bring an int: no longer a known bool
                    s.state = NORM
        self.flush()
        self.place(frame.label)
        self.line("while True:", note=f"loop {frame.name or '(termination check)'} ")
        self.indent += 1
        if self.ensure_termination:
            self.termination_check()

    def op_if(self, i, imm):
        cond = self.stack.pop()
        self.emit_into(cond, mask_code(cond))
        frame = self.begin_block(i, "if")
        frame.else_i = self.info.elses.get(i)
        frame.else_label = Label()
        frame.in_then = True
        self.flush()
        frame.param_states = [s.state for s in self.stack[frame.base:]]
        if frame.targeted:
            self.line("while True:", note=f"if {frame.name} ")
            self.indent += 1
        self.emit(Ops.jump_if(False, frame.else_label, False, cond.state == BOOL))
        self.stmt(f"if {cond.text(TERN + 1)}:", [cond])
        self.indent += 1

    def reach_end(self, frame: Frame, states: list) -> None:
        if frame.merged is None:
            frame.merged = list(states)
        else:
            frame.merged = [merge_state(a, b) for a, b in zip(frame.merged, states)]

    def op_else(self, i, imm):
        frame = self.frames[-1]
        if self.live:
            self.flush()
            self.reach_end(frame, [s.state for s in self.stack[frame.base:]])
            self.emit(Ops.jump(frame.label, False))
            self.cur = []  # the jump takes the line of the then-arm's last statement
        del self.stack[frame.base:]
        self.place(frame.else_label)
        for k, (t, st) in enumerate(zip(frame.params, frame.param_states)):
            self.stack.append(Slot(t, st, None, f"s{frame.base + k}", offset=self.offset))
        frame.in_then = False
        self.live = True
        self.indent -= 1
        self.line("else:")
        self.indent += 1

    def op_end(self, i, imm):
        frame = self.frames[-1]
        if frame.kind == "func":
            if self.live:
                self.do_return()
            self.frames.pop()
            return
        self.frames.pop()
        if frame.kind in ("block", "loop") and not frame.targeted and not (
                frame.kind == "loop" and self.ensure_termination):
            return  # no label: the values simply continue
        if self.live:
            self.flush()
            self.reach_end(frame, [s.state for s in self.stack[frame.base:]])
        if frame.kind == "if" and frame.in_then:
            # no else: the false edge reaches the end with the parameters
            self.place(frame.else_label)
            self.reach_end(frame, frame.param_states)
        if frame.kind == "loop":
            reachable = self.live
            states = [s.state for s in self.stack[frame.base:]] if reachable else []
        else:
            reachable = frame.merged is not None
            states = frame.merged or []
            self.place(frame.label)
        self.seal()
        if frame.kind == "if":
            self.indent -= 1
        if frame.targeted or frame.kind == "loop":
            if self.live:
                self.line("break", note=f"end {frame.name} ")
            self.indent -= 1
        old = self.stack[frame.base:]
        del self.stack[frame.base:]
        if reachable:
            for k, (t, st) in enumerate(zip(frame.results, states)):
                s = Slot(t, st, frame.entry_pos, f"s{frame.base + k}", offset=self.offset)
                if frame.kind == "loop" and k < len(old):
                    s = old[k]
                    s.state = st
                self.stack.append(s)
            self.live = True
        else:
            self.live = False

    def transfer(self, frame: Frame, values: list[Slot], extras: int) -> list[str]:
        """Emit the stack shuffling of a taken branch: normalise what a loop header
        expects and drop `extras` slots under the `values` the label takes. Returns
        the listing's assignments for values that move."""
        arity = len(values)
        need_norm = frame.kind in ("loop", "func") and any(s.state == WIDE for s in values)
        if arity == 0:
            self.emit([I("POP_TOP") for _ in range(extras)])
        elif arity == 1:
            if need_norm:
                self.emit(mask_instrs(values[0]))
            for _ in range(extras):
                self.emit([I("SWAP", 2), I("POP_TOP")])
        elif extras or need_norm:
            temps = [self.temp(k) for k in range(arity)]
            self.emit([I("STORE_FAST", t) for t in reversed(temps)])
            self.emit([I("POP_TOP") for _ in range(extras)])
            for t, s in zip(temps, values):
                self.emit([I("LOAD_FAST", t)] + (mask_instrs(s) if need_norm else []))
        if not extras:
            return []
        return [f"s{frame.base + k} = {masked_text(s) if need_norm else s.expr}"
                for k, s in enumerate(values)]

    def branch_code(self, depth: int) -> str:
        """Unconditional branch to label `depth` from the current stack (not popped);
        returns its listing text."""
        frame = self.frames[-1 - depth]
        if frame.kind == "func":
            return self.emit_return()
        arity = len(frame.label_types)
        values = self.stack[len(self.stack) - arity:] if arity else []
        extras = len(self.stack) - arity - frame.base
        if frame.kind != "loop":
            self.reach_end(frame, [s.state for s in values])
        moves = self.transfer(frame, values, extras)
        self.emit(Ops.jump(frame.label, frame.kind == "loop"))
        word = "continue" if frame.kind == "loop" else "break"
        return "; ".join(moves + [f"{word} {frame.name}"])

    def op_br(self, i, imm):
        self.flush()
        self.stmt(self.branch_code(imm))
        self.dead()

    def op_br_if(self, i, imm):
        cond = self.stack.pop()
        self.emit_into(cond, mask_code(cond))
        self.flush()
        is_bool = cond.state == BOOL
        frame = self.frames[-1 - imm]
        arity = len(frame.label_types)
        values = self.stack[len(self.stack) - arity:] if arity else []
        extras = len(self.stack) - arity - frame.base
        simple = (frame.kind != "func" and extras == 0
                  and not (frame.kind == "loop" and any(s.state == WIDE for s in values)))
        if simple:
            if frame.kind != "loop":
                self.reach_end(frame, [s.state for s in values])
            self.emit(Ops.jump_if(True, frame.label, frame.kind == "loop", is_bool))
            word = "continue" if frame.kind == "loop" else "break"
            self.stmt(f"if {cond.text(TERN + 1)}: {word} {frame.name}", [cond])
        else:
            skip = Label()
            self.emit(Ops.jump_if(False, skip, False, is_bool))
            text = self.branch_code(imm)
            self.place(skip)
            self.stmt(f"if {cond.text(TERN + 1)}: {text}", [cond])

    def op_br_table(self, i, imm):
        labels, default = imm
        idx = self.stack.pop()
        self.emit_into(idx, mask_code(idx))
        self.flush()
        # runs of consecutive indices with the same target: (first index, depth)
        runs = []
        for k, d in enumerate(labels):
            if not runs or runs[-1][1] != d:
                runs.append((k, d))
        if not runs or runs[-1][1] != default:
            runs.append((len(labels), default))
        leaves: dict[int, Label] = {}
        for _, d in runs:
            leaves.setdefault(d, Label())
        self.br_tree(runs, leaves)
        n = self.line(f"match {idx.text(TERN + 1)}:", note="br_table ")
        assign_line(self.cur, n)
        assign_line([idx], n)
        self.cur = []
        cases: dict[int, list] = {}
        for k, d in enumerate(labels):
            cases.setdefault(d, []).append(k)
        self.indent += 1
        for d, lab in leaves.items():
            self.place(lab)
            self.emit1("POP_TOP")
            text = self.branch_code(d)
            pattern = "_" if d == default else " | ".join(map(str, cases[d][:8])) + (
                " | ..." if len(cases[d]) > 8 else "")
            self.stmt(f"case {pattern}: {text}")
        self.indent -= 1
        self.dead()

    def br_tree(self, runs: list, leaves: dict) -> None:
        if len(runs) == 1:
            self.emit(Ops.jump(leaves[runs[0][1]], False))
            return
        mid = len(runs) // 2
        left = Label()
        self.emit([I("COPY", 1), I("LOAD_CONST", runs[mid][0]), I("COMPARE_OP", Compare.LT)])
        self.emit(Ops.jump_if(True, left, False, True))
        self.br_tree(runs[mid:], leaves)
        self.place(left)
        self.br_tree(runs[:mid], leaves)

    def emit_return(self) -> str:
        """Emit the return of the function's results (top of the stack); its text."""
        results = self.info.type.results
        k = len(results)
        extras = len(self.stack) - k
        values = self.stack[extras:]
        if k == 0:
            self.emit([I("POP_TOP") for _ in range(extras)])
            self.emit(Ops.return_none())
            return "return"
        # masks without changing the slots: a br_if returns on one path only
        if k == 1:
            self.emit(mask_instrs(values[0]))
        else:
            temps = [self.temp(j) for j in range(k)]
            self.emit([I("STORE_FAST", t) for t in reversed(temps)])
            for t, s in zip(temps, values):
                self.emit([I("LOAD_FAST", t)] + mask_instrs(s))
            self.emit1("BUILD_TUPLE", k)
        for _ in range(extras):
            self.emit([I("SWAP", 2), I("POP_TOP")])
        self.emit(Ops.return_value())
        return "return " + ", ".join(masked_text(s) for s in values)

    def do_return(self) -> None:
        k = len(self.info.type.results)
        results = self.stack[len(self.stack) - k:] if k else []
        self.flush(lambda s: s not in results)
        self.stmt(self.emit_return(), results)
        self.dead()

    def op_return(self, i, imm):
        self.do_return()

    def op_unreachable(self, i, imm):
        # the helper raises the trap; RAISE_VARARGS only ends the block for CPython
        self.flush()
        self.emit(Ops.load_global_callable("unreachable") + Ops.call(0) + [I("RAISE_VARARGS", 1)])
        self.stmt("unreachable()")
        self.dead()

    def op_nop(self, i, imm):
        self.emit1("NOP")
        self.stmt("pass")

    # -- calls ------------------------------------------------------------------------

    def fname(self, index: int) -> str:
        return self.func_idents.get(index, f"f{index}")

    def op_call(self, i, imm):
        ft = self.func_types[imm]
        self.flush_for_effect(len(ft.params))
        self.call_global(f"f{imm}", len(ft.params), results=ft.results, text=self.fname(imm))

    def spill_call_indirect(self, n: int, table: int, typeidx: int, resolver: str):
        """Spill the n arguments and the index, resolve the callee with `resolver`
        and reload the arguments above it. Returns (start, argument slots, index slot)."""
        idx = self.stack[-1]
        args = self.stack[len(self.stack) - 1 - n:-1]
        start = args[0].start if n else idx.start
        self.emit_into(idx, mask_code(idx))
        temps = [self.temp(k) for k in range(n + 1)]
        self.emit([I("STORE_FAST", t) for t in reversed(temps)])
        return start, args, idx, temps

    def op_call_indirect(self, i, imm):
        typeidx, table = imm
        ft = self.module.types[typeidx]
        n = len(ft.params)
        self.flush_for_effect(n + 1)
        start, args, idx, temps = self.spill_call_indirect(n, table, typeidx, "call_indirect")
        self.emit(Ops.load_global_callable("call_indirect")
                  + [I("LOAD_GLOBAL", (False, f"T{table}")), I("LOAD_FAST", temps[n]),
                     I("LOAD_GLOBAL", (False, f"ty{typeidx}"))] + Ops.call(3)
                  + Ops.null_for_callable_on_top())
        for t, s in zip(temps, args):
            self.emit([I("LOAD_FAST", t)] + mask_code(s))
        self.pop(n + 1)
        self.emit(Ops.call(n))
        expr = f"call_indirect(T{table}, {idx.text(TERN + 1)}, ty{typeidx})({self.args_text(args)})"
        self.push_results(ft.results, start, args + [idx], expr)

    # Tail calls: a function containing return_call* is compiled as a body that
    # returns `TailCall(target, args)`; its driver (tail_driver) loops on those, so
    # tail recursion of any depth uses one Python frame. A target that makes no tail
    # calls itself is simply called and its result returned.

    def op_return_call(self, i, imm):
        ft = self.func_types[imm]
        if imm not in self.tail_funcs and imm >= self.module.num_imported_funcs:
            self.op_call(i, imm)
            self.do_return()
            return
        n = len(ft.params)
        target = f"b{imm}" if imm in self.tail_funcs else f"f{imm}"
        self.flush_for_effect(n)
        self.prepare(n, Ops.load_global_callable("TailCall")
                     + [I("LOAD_GLOBAL", (False, target))], self.norm_fixups(n))
        args = self.pop(n)
        self.emit([I("BUILD_TUPLE", n)] + Ops.call(2))
        self.return_marker(f"return TailCall({self.fname(imm)}, ({self.args_text(args)}{',' if n == 1 else ''}))", args)

    def op_return_call_indirect(self, i, imm):
        typeidx, table = imm
        n = len(self.module.types[typeidx].params)
        self.flush_for_effect(n + 1)
        start, args, idx, temps = self.spill_call_indirect(n, table, typeidx, "call_indirect_tail")
        self.emit(Ops.load_global_callable("TailCall")
                  + Ops.load_global_callable("call_indirect_tail")
                  + [I("LOAD_GLOBAL", (False, f"T{table}")), I("LOAD_FAST", temps[n]),
                     I("LOAD_GLOBAL", (False, f"ty{typeidx}"))] + Ops.call(3))
        for t, s in zip(temps, args):
            self.emit([I("LOAD_FAST", t)] + mask_code(s))
        self.pop(n + 1)
        self.emit([I("BUILD_TUPLE", n)] + Ops.call(2))
        self.return_marker(
            f"return TailCall(call_indirect_tail(T{table}, {idx.text(TERN + 1)}, ty{typeidx}), "
            f"({self.args_text(args)}{',' if n == 1 else ''}))", args + [idx])

    def return_marker(self, text: str, consumed) -> None:
        """Return the TailCall on top of the stack, dropping what lies under it."""
        for _ in range(len(self.stack)):
            self.emit([I("SWAP", 2), I("POP_TOP")])
        self.emit(Ops.return_value())
        self.flush()
        self.stmt(text, consumed)
        self.dead()

    # -- parametric and variables -----------------------------------------------------

    def op_drop(self, i, imm):
        s = self.stack.pop()
        self.emit1("POP_TOP")
        if s.parts:  # show what was computed, then thrown away
            self.stmt(f"{s.expr}  # dropped" if s.impure else f"_ = {s.expr}", [s])

    def op_select(self, i, imm):
        cond, = self.pop(1)
        self.emit_into(cond, mask_code(cond))
        a, b = self.pop(2)
        start = a.start
        other, end = Label(), Label()
        self.emit(Ops.jump_if(False, other, False, cond.state == BOOL))
        self.emit([I("POP_TOP"), I("JUMP_FORWARD", end)])
        self.place(other)
        self.emit([I("SWAP", 2), I("POP_TOP")])
        self.place(end)
        self.push(a.type, f"{a.text(TERN + 1)} if {cond.text(TERN + 1)} else {b.text(TERN)}",
                  TERN, [a, b, cond], merge_state(a.state, b.state), start)

    op_select_t = op_select

    def op_local_get(self, i, imm):
        self.emit1("LOAD_FAST", self.locals[imm])
        self.push(self.local_types[imm], self.locals[imm], deps=1 << imm)

    def op_local_set(self, i, imm):
        s = self.stack.pop()
        self.emit_into(s, mask_code(s))
        self.flush_local(imm)
        self.emit1("STORE_FAST", self.locals[imm])
        self.stmt(f"{self.locals[imm]} = {s.expr}", [s])

    def op_local_tee(self, i, imm):
        s = self.stack.pop()
        self.emit_into(s, mask_code(s))
        self.flush_local(imm)
        self.emit([I("COPY", 1), I("STORE_FAST", self.locals[imm])])
        self.stmt(f"{self.locals[imm]} = {s.expr}", [s])
        self.stack.append(Slot(s.type, NORM if s.state == WIDE else s.state, s.start,
                               self.locals[imm], ATOM, None, 1 << imm, False, self.offset))

    def global_text(self, index: int) -> str:
        return f"g{index}[0]" if index in self.cell_globals else f"g{index}"

    def op_global_get(self, i, imm):
        self.emit1("LOAD_GLOBAL", (False, f"g{imm}"))
        if imm in self.cell_globals:
            self.emit(Ops.unpack_one())
        self.push(self.global_types[imm].type, self.global_text(imm), impure=True)

    def op_global_set(self, i, imm):
        s = self.stack.pop()
        self.emit_into(s, mask_code(s))
        self.flush_for_effect()
        if imm in self.cell_globals:
            self.emit([I("LOAD_GLOBAL", (False, f"g{imm}"))] + Ops.store_item_zero())
        else:
            self.emit1("STORE_GLOBAL", f"g{imm}")
        self.stmt(f"{self.global_text(imm)} = {s.expr}", [s])

    # -- constants and references -------------------------------------------------------

    def const(self, type, value, text: str, prec=ATOM) -> None:
        self.emit1("LOAD_CONST", value)
        k = self.cur[-1]
        s = self.push(type, text, prec)
        if type in (I32, I64):
            s.k = k

    def op_i32_const(self, i, imm):
        self.const(I32, imm, int_text(imm))

    def op_i64_const(self, i, imm):
        self.const(I64, imm, int_text(imm))

    def op_f32_const(self, i, imm):
        from ..runtime.numeric import f32_from_bits
        v = f32_from_bits(imm)
        self.const(F32, v, *float_text(v, "f32_from_bits", imm))

    def op_f64_const(self, i, imm):
        from ..runtime.numeric import f64_from_bits
        v = f64_from_bits(imm)
        self.const(F64, v, *float_text(v, "f64_from_bits", imm))

    def op_v128_const(self, i, imm):
        self.const(V128, imm, hex(imm))

    def op_ref_null(self, i, imm):
        self.emit1("LOAD_CONST", None)
        self.push(ValueType(imm), "None")

    def op_ref_is_null(self, i, imm):
        s, = self.pop(1)
        self.emit(Ops.is_none())
        self.push(I32, f"{s.text(CMP + 1)} is None", CMP, [s], BOOL, s.start)

    def op_ref_func(self, i, imm):
        self.emit1("LOAD_GLOBAL", (False, f"F{imm}"))
        self.push(ValueType.FUNCREF, f"F{imm}")

    # -- memory -----------------------------------------------------------------------

    def address_fixup(self, offset: int, slot: Slot) -> list:
        if offset and slot.fold_add(offset):
            return []
        code = mask_code(slot)
        if offset:
            code += [I("LOAD_CONST", offset), I("BINARY_OP", BinaryOp.ADD)]
            slot.expr = f"{slot.text(ADD)} + {int_text(offset)}"
            slot.prec = ADD
        return code

    def load(self, name: str, imm) -> None:
        info = op.BY_NAME[name]
        addr = self.stack[-1]
        fx = {0: self.address_fixup(imm[1], addr)}
        if name in BYTE_LOADS:  # mem0[a]: a bytearray index, IndexError out of bounds
            start = self.prepare(1, [I("LOAD_GLOBAL", (False, "mem0"))], fx)
            a, = self.pop(1)
            self.emit(Ops.subscr())
            expr, prec, state = f"mem0[{a.expr}]", ATOM, NORM
            if BYTE_LOADS[name]:
                self.emit([I("LOAD_CONST", 0x80), I("BINARY_OP", BinaryOp.XOR),
                           I("LOAD_CONST", 0x80), I("BINARY_OP", BinaryOp.SUBTRACT)])
                expr, prec, state = f"(mem0[{a.expr}] ^ 0x80) - 0x80", ADD, WIDE
            self.push(info.results[0], expr, prec, [a], state, start, impure=True)
            return
        if name == "f32.load":
            self.call_global("load_f32", 1, leading=[I("LOAD_GLOBAL", (False, "mem0"))],
                             nleading=1, fixups=fx, results=(F32,), normalize=False,
                             lead_text=("mem0",))
            return
        fn, state = LOADS[name]
        if self.views and name in VIEW_ACCESS and (
                const_address(addr) is None or addr.k[1] % VIEW_ACCESS[name][1] == 0):
            self.view_load(info.results[0], fn, state, *VIEW_ACCESS[name], fx)
            return
        start = self.prepare(1, Ops.load_global_callable(fn) + [I("LOAD_GLOBAL", (False, "mem0"))], fx)
        a, = self.pop(1)
        self.emit(Ops.call(2) + Ops.unpack_one())
        self.push(info.results[0], f"{fn}(mem0, {a.text(TERN + 1)})[0]", ATOM, [a], state, start,
                  impure=True)

    def view_load(self, type, fn: str, state: int, view: str, size: int, fx: dict) -> None:
        """A load through view `mem0_<view>`, falling back to the `fn` call (unaligned).
        The view is read after the address is computed, never before a call that could
        grow the memory (which replaces the views)."""
        self.prepare(1, (), fx)
        a, = self.pop(1)
        vname = f"mem0_{view}"
        c = const_address(a)
        if c is not None:  # an aligned constant address (an unaligned one is a call)
            a.fold(c // size)
            self.emit([I("LOAD_GLOBAL", (False, vname)), I("SWAP", 2)] + Ops.subscr())
            self.push(type, f"{vname}[{int_text(c)} // {size}]", ATOM, [a], state, a.start,
                      impure=True)
            return
        if self.proven_aligned(size):  # no test: the address is a multiple of size
            self.emit([I("LOAD_CONST", size), I("BINARY_OP", BinaryOp.FLOOR_DIVIDE),
                       I("LOAD_GLOBAL", (False, vname)), I("SWAP", 2)] + Ops.subscr())
            self.push(type, f"{vname}[{a.text(MUL)} // {size}]", ATOM, [a], state, a.start,
                      impure=True)
            return
        t = self.temp(0)
        slow, end = Label(), Label()
        self.emit(Contained(
            [I("COPY", 1), I("LOAD_CONST", size - 1), I("BINARY_OP", BinaryOp.AND)]
            + Ops.jump_if(True, slow, False, False)
            + [I("LOAD_CONST", size), I("BINARY_OP", BinaryOp.FLOOR_DIVIDE),
               I("LOAD_GLOBAL", (False, vname)), I("SWAP", 2)] + Ops.subscr()
            + [I("JUMP_FORWARD", end), slow, I("STORE_FAST", t)]
            + Ops.load_global_callable(fn)
            + [I("LOAD_GLOBAL", (False, "mem0")), I("LOAD_FAST", t)]
            + Ops.call(2) + Ops.unpack_one() + [end]))
        test, x = reused_text(a, t)
        self.push(type, f"{vname}[{x} // {size}] if not {test} & {size - 1} "
                        f"else {fn}(mem0, {x})[0]", TERN, [a], state, a.start, impure=True)

    def proven_aligned(self, size: int) -> bool:
        """The current memory instruction's effective address is a multiple of `size`
        (facts.py proved it)."""
        return self.aligned.get(self.i, 0) >= size.bit_length() - 1

    def store(self, name: str, imm) -> None:
        addr, value = self.stack[-2], self.stack[-1]
        fx = {0: self.address_fixup(imm[1], addr)}
        if name in BYTE_STORES:  # mem0[a] = v & 0xff
            if value.k is None or not value.fold(value.k[1] & 0xFF):
                fx[1] = [I("LOAD_CONST", 0xFF), I("BINARY_OP", BinaryOp.AND)]
                value.expr, value.prec = f"{value.text(ATOM)} & 0xff", AND
            self.flush_for_effect(2)
            self.prepare(2, (), fx)
            a, v = self.pop(2)
            self.emit([I("SWAP", 2), I("LOAD_GLOBAL", (False, "mem0")), I("SWAP", 2),
                       I("STORE_SUBSCR")])
            self.stmt(f"mem0[{a.expr}] = {v.expr}", [a, v])
            return
        if name == "f32.store":
            fn = "store_f32"
        else:
            fn, mask = STORES[name]
            if mask is None:
                fx[1] = mask_code(value)
            elif (value.state != NORM or mask != MASK.get(value.type)) and not (
                    value.k is not None and value.fold(value.k[1] & mask)):
                fx[1] = [I("LOAD_CONST", mask), I("BINARY_OP", BinaryOp.AND)]
                value.expr = f"{value.text(ATOM)} & {mask:#x}"
                value.prec = AND
        self.flush_for_effect(2)
        c = const_address(addr)
        if self.views and name in VIEW_ACCESS and c is not None and c % VIEW_ACCESS[name][1] == 0:
            view, size = VIEW_ACCESS[name]  # an aligned constant address
            self.prepare(2, (), fx)
            a, v = self.pop(2)
            a.fold(c // size)
            vname = f"mem0_{view}"
            self.emit([I("SWAP", 2), I("LOAD_GLOBAL", (False, vname)), I("SWAP", 2),
                       I("STORE_SUBSCR")])
            self.stmt(f"{vname}[{int_text(c)} // {size}] = {v.expr}", [a, v])
            return
        if self.views and name in VIEW_ACCESS and self.proven_aligned(VIEW_ACCESS[name][1]):
            view, size = VIEW_ACCESS[name]  # a proven-aligned address: through the view
            fx[0] = fx[0] + [I("LOAD_CONST", size), I("BINARY_OP", BinaryOp.FLOOR_DIVIDE)]
            self.prepare(2, (), fx)
            a, v = self.pop(2)
            vname = f"mem0_{view}"
            self.emit([I("SWAP", 2), I("LOAD_GLOBAL", (False, vname)), I("SWAP", 2),
                       I("STORE_SUBSCR")])
            self.stmt(f"{vname}[{a.text(MUL)} // {size}] = {v.expr}", [a, v])
            return
        self.call_global(fn, 2, leading=[I("LOAD_GLOBAL", (False, "mem0"))], nleading=1,
                         fixups=fx, normalize=False, lead_text=("mem0",))

    def op_memory_size(self, i, imm):
        self.emit(Ops.load_global_callable("len") + [I("LOAD_GLOBAL", (False, "mem0"))]
                  + Ops.call(1) + [I("LOAD_CONST", 16), I("BINARY_OP", BinaryOp.RSHIFT)])
        self.push(I32, "len(mem0) >> 16", SHIFT, impure=True)

    def op_memory_grow(self, i, imm):
        self.flush_for_effect(1)
        self.call_global("memory_grow", 1, leading=[I("LOAD_GLOBAL", (False, "M0"))],
                         nleading=1, results=(I32,), lead_text=("M0",))

    def mem_call(self, fn: str, n: int, results=(), extra=()) -> None:
        leading = [I("LOAD_GLOBAL", (False, "mem0"))] + [I("LOAD_GLOBAL", (False, x)) for x in extra]
        self.flush_for_effect(n)
        self.call_global(fn, n, leading=leading, nleading=1 + len(extra), results=results,
                         lead_text=("mem0", *extra))

    # -- generic: numeric, bulk memory, tables, SIMD, atomics -----------------------------

    def numeric(self, code: int, imm) -> None:
        info = op.OPS[code]
        name = info.name
        spec = L.INLINE.get(name)
        if spec is not None:
            self.inline(info, spec)
        elif name in LOADS or name == "f32.load":
            self.load(name, imm)
        elif name in STORES or name == "f32.store":
            self.store(name, imm)
        else:
            self.special(info, imm)

    def signed_compare(self, a: Slot, b: Slot, cmp: Compare, sign: int) -> None:
        """A signed comparison of NORM ints `a` and `b` (both on the CPython stack) as
        unsigned comparisons, which CPython runs on its fast small-int paths; flipping
        the sign bits (`(a ^ S) < (b ^ S)`) works on ints of 2**31 and more, which take
        CPython's generic paths and measured 1.5-2.2x slower (RATIONALE.md).

        Against a constant c: `a < c or a >= S` and the like (_SIGNED_CONST). Otherwise
        the unsigned comparison when the signs agree, else the negative one is the
        smaller: `a < b if (a < S) is (b < S) else a > b`."""
        start = a.start  # where the comparison's code begins, whichever operand is first
        if a.k is not None and b.k is None:  # c < b is b > c
            a, b, cmp = b, a, _FLIPPED[cmp]
            self.emit1("SWAP", 2)
        t0 = self.temp(0)
        x, x2 = reused_text(a, t0)
        if b.k is not None and b.k[1] == 0 and cmp in (Compare.LT, Compare.GE):
            # a < 0 is a >= S; a >= 0 is a < S
            self.emit([I("POP_TOP"), I("LOAD_CONST", sign),
                       I("COMPARE_OP", Compare.GE if cmp == Compare.LT else Compare.LT)])
            sym = ">=" if cmp == Compare.LT else "<"
            self.push(I32, f"{a.text(CMP + 1)} {sym} {sign:#x}", CMP, [a, b], BOOL, start)
            return
        if b.k is not None:
            c = b.k[1]
            first, comb, second = _SIGNED_CONST[cmp, c >= sign]
            decided = comb == "or"  # the outcome of the first test that decides alone
            done, end = Label(), Label()
            self.emit([I("POP_TOP"), I("STORE_FAST", t0),
                       I("LOAD_FAST", t0), I("LOAD_CONST", c), I("COMPARE_OP", first)]
                      + Ops.jump_if(decided, done, False, True)
                      + [I("LOAD_FAST", t0), I("LOAD_CONST", sign), I("COMPARE_OP", second),
                         I("JUMP_FORWARD", end)])
            self.place(done)
            self.emit1("LOAD_CONST", decided)
            self.place(end)
            text = (f"{x} {CMP_TEXT[first]} {int_text(c)} {comb} "
                    f"{x2} {CMP_TEXT[second]} {sign:#x}")
            self.push(I32, text, LOGIC, [a, b], BOOL, start)
            return
        t1 = self.temp(1)
        y, y2 = reused_text(b, t1)
        diff, end = Label(), Label()
        opposite = Compare.GT if cmp in (Compare.LT, Compare.LE) else Compare.LT
        self.emit([I("STORE_FAST", t1), I("STORE_FAST", t0),
                   I("LOAD_FAST", t0), I("LOAD_CONST", sign), I("COMPARE_OP", Compare.LT),
                   I("LOAD_FAST", t1), I("LOAD_CONST", sign), I("COMPARE_OP", Compare.LT),
                   I("IS_OP", 0)]
                  + Ops.jump_if(False, diff, False, True)
                  + [I("LOAD_FAST", t0), I("LOAD_FAST", t1), I("COMPARE_OP", cmp),
                     I("JUMP_FORWARD", end)])
        self.place(diff)
        self.emit([I("LOAD_FAST", t0), I("LOAD_FAST", t1), I("COMPARE_OP", opposite)])
        self.place(end)
        text = (f"{x2} {CMP_TEXT[cmp]} {y2} if ({x} < {sign:#x}) is ({y} < {sign:#x}) "
                f"else {x2} {CMP_TEXT[opposite]} {y2}")
        self.push(I32, text, TERN, [a, b], BOOL, start)

    def special(self, info, imm) -> None:
        name = info.name
        kind = info.imm
        helper = L.helper_name(name)
        if kind in (op.IMM_MEMARG, op.IMM_MEMARG_LANE):  # SIMD memory ops and atomics
            n = len(info.params)
            fx = {0: self.address_fixup(imm[1], self.stack[-n])}
            trailing = (imm[2],) if kind == op.IMM_MEMARG_LANE else ()
            # wait/notify need the Memory object (shared flag, waiters), not its bytes
            memory = "M0" if name.startswith("memory.atomic.") else "mem0"
            self.flush_for_effect(n)
            self.call_global(helper, n, leading=[I("LOAD_GLOBAL", (False, memory))],
                             nleading=1, fixups=fx, results=info.results, lead_text=(memory,),
                             trailing=trailing)
        elif kind == op.IMM_LANE:
            self.call_global(helper, len(info.params), results=info.results, impure=False,
                             trailing=(imm,))
        elif kind == op.IMM_SHUFFLE:
            self.call_global("i8x16_shuffle", 2, results=info.results, impure=False,
                             trailing=(imm,))
        elif kind == op.IMM_NONE and info.params is not None:
            self.call_global(helper, len(info.params), results=info.results, impure=False)
        else:
            handler = SPECIAL.get(name)
            if handler is None:
                raise NotImplementedError(f"no lowering for {name}")
            self.flush_for_effect(SPECIAL_OPERANDS.get(name, 0))
            handler(self, imm)

    def inline(self, info, spec) -> None:
        kind = spec[0]
        stack = self.stack
        rtype = info.results[0]
        if kind in (L.ARITH, L.AND, L.ORX, L.FARITH):
            binop = spec[1]
            if binop == BinaryOp.MULTIPLY and kind == L.ARITH:
                # a product's bits are the sum of its operands': a WIDE operand that is
                # not a plain sum or difference (one bit over) is wrapped first, or
                # chains like FNV's ((h ^ b) * P ^ b2) * P grow to hundreds of bits
                fx = {i: mask_code(stack[i - 2]) for i in (0, 1)
                      if stack[i - 2].state == WIDE and stack[i - 2].wrap is None}
                if fx:
                    self.prepare(2, (), fx)
            a, b = self.pop(2)
            if kind == L.ARITH and b.k is not None and b.k[1] > MASK[rtype] >> 1 and binop in (
                    BinaryOp.ADD, BinaryOp.SUBTRACT):
                # x + 0xFFFFFFFF is x - 1 modulo 2**32: smaller numbers, clearer text
                b.fold(MASK[rtype] + 1 - b.k[1])
                binop = BinaryOp.SUBTRACT if binop == BinaryOp.ADD else BinaryOp.ADD
            self.emit1("BINARY_OP", binop)
            if kind == L.ARITH:
                state = WIDE
            elif kind == L.AND:
                state = NORM if (a.state != WIDE or b.state != WIDE) else WIDE
            elif kind == L.ORX:
                state = NORM if (a.state != WIDE and b.state != WIDE) else WIDE
            else:
                state = NORM
            sym, prec = BINOP_TEXT[binop]
            s = self.push(rtype, f"{a.text(prec)} {sym} {b.text(prec + 1)}", prec, [a, b], state,
                          a.start)
            if kind == L.ARITH and binop != BinaryOp.MULTIPLY and a.state != WIDE \
                    and b.state != WIDE:
                s.wrap = binop
        elif kind in (L.SHL, L.SHR_U, L.SHR_S):
            width = spec[1]
            b = stack[-1]
            if b.k is not None:
                b.fold(b.k[1] & (width - 1))
                fx = {}
            else:
                fx = {1: [I("LOAD_CONST", width - 1), I("BINARY_OP", BinaryOp.AND)]}
                b.expr, b.prec = f"{b.text(ATOM)} & {width - 1}", AND
            if kind != L.SHL:
                a = stack[-2]
                fx[0] = mask_code(a)
                if kind == L.SHR_S:
                    sign = 1 << (width - 1)
                    fx[0] = fx[0] + [I("LOAD_CONST", sign), I("BINARY_OP", BinaryOp.XOR),
                                     I("LOAD_CONST", sign), I("BINARY_OP", BinaryOp.SUBTRACT)]
                    a.expr, a.prec = f"({a.text(ATOM)} ^ {sign:#x}) - {sign:#x}", ADD
            self.prepare(2, (), fx)
            a, b = self.pop(2)
            self.emit1("BINARY_OP", BinaryOp.LSHIFT if kind == L.SHL else BinaryOp.RSHIFT)
            sym = "<<" if kind == L.SHL else ">>"
            self.push(rtype, f"{a.text(SHIFT)} {sym} {b.text(SHIFT + 1)}", SHIFT, [a, b],
                      NORM if kind == L.SHR_U else WIDE, a.start)
        elif kind == L.DIV_U:
            self.prepare(2, (), self.norm_fixups(2))
            a, b = self.pop(2)
            self.emit1("BINARY_OP", spec[1])
            sym, prec = BINOP_TEXT[spec[1]]
            self.push(rtype, f"{a.text(prec)} {sym} {b.text(prec + 1)}", prec, [a, b], NORM, a.start)
        elif kind == L.CMP_S:
            self.prepare(2, (), self.norm_fixups(2))
            a, b = self.pop(2)
            self.signed_compare(a, b, spec[1], 1 << (spec[2] - 1))
        elif kind == L.CMP:
            fx = self.norm_fixups(2)
            self.prepare(2, (), fx)
            a, b = self.pop(2)
            self.emit1("COMPARE_OP", spec[1])
            self.push(I32, f"{a.text(CMP + 1)} {CMP_TEXT[spec[1]]} {b.text(CMP + 1)}", CMP, [a, b],
                      BOOL, a.start)
        elif kind == L.ROT:
            width, left = spec[1], spec[2]
            b = stack[-1]
            if b.k is None:  # a rotation by a variable amount: the helper
                self.special(info, None)
                return
            k = b.k[1] & (width - 1)
            if not left:
                k = (width - k) & (width - 1)
            self.prepare(2, (), self.norm_fixups(2))
            a, b = self.pop(2)
            if k == 0:
                self.emit1("POP_TOP")
                self.push(rtype, a.expr, a.prec, [a, b], a.state, a.start, a.deps, a.impure)
                return
            t0 = self.temp(0)
            x, x2 = reused_text(a, t0)
            self.emit([I("POP_TOP"), I("STORE_FAST", t0),
                       I("LOAD_FAST", t0), I("LOAD_CONST", k), I("BINARY_OP", BinaryOp.LSHIFT),
                       I("LOAD_FAST", t0), I("LOAD_CONST", width - k),
                       I("BINARY_OP", BinaryOp.RSHIFT), I("BINARY_OP", BinaryOp.OR)])
            self.push(rtype, f"{x} << {k} | {x2} >> {width - k}", OR, [a, b], WIDE, a.start)
        elif kind == L.EQZ:
            a, = self.pop(1)
            self.emit(mask_code(a) + [I("LOAD_CONST", 0), I("COMPARE_OP", Compare.EQ)])
            self.push(I32, f"{a.text(CMP + 1)} == 0", CMP, [a], BOOL, a.start)
        elif kind == L.FDIV:
            # b != 0 (NaN and inf included): Python's / is IEEE division; b == +-0 raises
            # ZeroDivisionError in Python, so that edge goes to the exact helper
            slow, end = Label(), Label()
            t0, t1 = self.temp(0), self.temp(1)
            self.emit([I("COPY", 1)] + Ops.jump_if(False, slow, False, False)
                      + [I("BINARY_OP", BinaryOp.TRUE_DIVIDE), I("JUMP_FORWARD", end)])
            self.place(slow)
            self.emit([I("STORE_FAST", t1), I("STORE_FAST", t0)]
                      + Ops.load_global_callable("f64_div")
                      + [I("LOAD_FAST", t0), I("LOAD_FAST", t1)] + Ops.call(2))
            self.place(end)
            a, b = self.pop(2)
            self.push(rtype, f"{a.text(MUL)} / {b.text(MUL + 1)}", MUL, [a, b], NORM, a.start)
        elif kind == L.F32ARITH:
            # f32_unpack(f32_pack(a OP b))[0]: both callables go below the operands
            start = self.prepare(2, Ops.load_global_callable("f32_unpack")
                                 + Ops.load_global_callable("f32_pack"), {})
            a, b = self.pop(2)
            sym, prec = BINOP_TEXT[spec[1]]
            self.emit([I("BINARY_OP", spec[1])] + Ops.call(1) + Ops.call(1) + Ops.unpack_one())
            self.push(rtype, f"f32_round({a.text(prec)} {sym} {b.text(prec + 1)})", ATOM, [a, b],
                      NORM, start)
        elif kind == L.F32DIV:
            # b != 0 (NaN and inf included): a / b rounded inline; b == +-0 raises
            # ZeroDivisionError in Python, so that edge goes to the exact helper
            slow, end = Label(), Label()
            t0, t1 = self.temp(0), self.temp(1)
            self.emit([I("COPY", 1)] + Ops.jump_if(False, slow, False, False)
                      + [I("BINARY_OP", BinaryOp.TRUE_DIVIDE), I("STORE_FAST", t0)]
                      + Ops.load_global_callable("f32_unpack") + Ops.load_global_callable("f32_pack")
                      + [I("LOAD_FAST", t0)] + Ops.call(1) + Ops.call(1) + Ops.unpack_one()
                      + [I("JUMP_FORWARD", end)])
            self.place(slow)
            self.emit([I("STORE_FAST", t1), I("STORE_FAST", t0)]
                      + Ops.load_global_callable("f32_div")
                      + [I("LOAD_FAST", t0), I("LOAD_FAST", t1)] + Ops.call(2))
            self.place(end)
            a, b = self.pop(2)
            self.push(rtype, f"f32_round({a.text(MUL)} / {b.text(MUL + 1)})", ATOM, [a, b], NORM,
                      a.start)
        elif kind == L.FSQRT:
            # a >= 0 (-0 included): math.sqrt, correctly rounded; a negative or NaN
            # operand (math.sqrt raises ValueError on a < 0) goes to the exact helper
            slow, end = Label(), Label()
            t0 = self.temp(0)
            self.emit([I("STORE_FAST", t0), I("LOAD_FAST", t0), I("LOAD_CONST", 0.0),
                       I("COMPARE_OP", Compare.GE)] + Ops.jump_if(False, slow, False, True)
                      + Ops.load_global_callable("sqrt") + [I("LOAD_FAST", t0)] + Ops.call(1)
                      + [I("JUMP_FORWARD", end)])
            self.place(slow)
            self.emit(Ops.load_global_callable("f64_sqrt") + [I("LOAD_FAST", t0)] + Ops.call(1))
            self.place(end)
            a, = self.pop(1)
            self.push(rtype, f"sqrt({a.text(TERN + 1)})", ATOM, [a], NORM, a.start)
        elif kind == L.FNEG:
            a, = self.pop(1)
            self.emit1("UNARY_NEGATIVE")
            self.push(rtype, f"-{a.text(UNARY)}", UNARY, [a], NORM, a.start)
        elif kind == L.WRAP:
            a, = self.pop(1)
            self.emit([I("LOAD_CONST", 0xFFFFFFFF), I("BINARY_OP", BinaryOp.AND)])
            self.push(I32, f"{a.text(AND)} & 0xFFFFFFFF", AND, [a], NORM, a.start)
        elif kind == L.NOP_CONV:
            a, = self.pop(1)
            self.emit(mask_code(a))
            self.push(I64, a.expr, a.prec, [a], NORM, a.start)
        elif kind == L.SEXT:
            bits = spec[2]
            sign = 1 << (bits - 1)
            a, = self.pop(1)
            self.emit([I("LOAD_CONST", (1 << bits) - 1), I("BINARY_OP", BinaryOp.AND),
                       I("LOAD_CONST", sign), I("BINARY_OP", BinaryOp.XOR),
                       I("LOAD_CONST", sign), I("BINARY_OP", BinaryOp.SUBTRACT)])
            self.push(rtype, f"({a.text(AND)} & {(1 << bits) - 1:#x} ^ {sign:#x}) - {sign:#x}",
                      ADD, [a], WIDE, a.start)
        else:  # pragma: no cover - the table and this dispatch are kept in step
            raise AssertionError(kind)


def _special_table() -> dict:
    def memory_fill(t, imm):
        t.mem_call("memory_fill", 3)

    def memory_copy(t, imm):
        t.mem_call("memory_copy", 3)

    def memory_init(t, imm):
        t.mem_call("memory_init", 3, extra=(f"D{imm[0]}",))

    def table_call(fn, n, results=(), names=lambda imm: ()):
        def lower(t, imm):
            extra = names(imm)
            leading = [I("LOAD_GLOBAL", (False, x)) for x in extra]
            t.call_global(fn, n, leading=leading, nleading=len(leading), results=results,
                          lead_text=extra)
        return lower

    def table_get(t, imm):
        elem = t.module.all_tables()[imm].elem
        table_call("table_get", 1, (elem,), lambda imm: (f"T{imm}",))(t, imm)

    def atomic_fence(t, imm):
        t.emit1("NOP")
        t.stmt("pass  # atomic.fence")

    return {
        "memory.fill": memory_fill, "memory.copy": memory_copy, "memory.init": memory_init,
        "data.drop": table_call("data_drop", 0, (), lambda imm: (f"D{imm}",)),
        "table.get": table_get,
        "table.set": table_call("table_set", 2, (), lambda imm: (f"T{imm}",)),
        "table.size": table_call("table_size", 0, (I32,), lambda imm: (f"T{imm}",)),
        "table.grow": table_call("table_grow", 2, (I32,), lambda imm: (f"TT{imm}",)),
        "table.fill": table_call("table_fill", 3, (), lambda imm: (f"T{imm}",)),
        "table.copy": table_call("table_copy", 3, (), lambda imm: (f"T{imm[0]}", f"T{imm[1]}")),
        "table.init": table_call("table_init", 3, (), lambda imm: (f"T{imm[1]}", f"E{imm[0]}")),
        "elem.drop": table_call("elem_drop", 0, (), lambda imm: (f"E{imm}",)),
        "atomic.fence": atomic_fence,
    }


SPECIAL = _special_table()
SPECIAL_OPERANDS = {"memory.fill": 3, "memory.copy": 3, "memory.init": 3, "table.get": 1,
                    "table.set": 2, "table.grow": 2, "table.fill": 3, "table.copy": 3,
                    "table.init": 3}

Translator.handlers = {
    op.UNREACHABLE: Translator.op_unreachable, op.NOP: Translator.op_nop,
    op.BLOCK: Translator.op_block, op.LOOP: Translator.op_loop, op.IF: Translator.op_if,
    op.ELSE: Translator.op_else, op.END: Translator.op_end, op.BR: Translator.op_br,
    op.BR_IF: Translator.op_br_if, op.BR_TABLE: Translator.op_br_table,
    op.RETURN: Translator.op_return, op.CALL: Translator.op_call,
    op.CALL_INDIRECT: Translator.op_call_indirect, op.RETURN_CALL: Translator.op_return_call,
    op.RETURN_CALL_INDIRECT: Translator.op_return_call_indirect,
    op.DROP: Translator.op_drop, op.SELECT: Translator.op_select, op.SELECT_T: Translator.op_select_t,
    op.LOCAL_GET: Translator.op_local_get, op.LOCAL_SET: Translator.op_local_set,
    op.LOCAL_TEE: Translator.op_local_tee, op.GLOBAL_GET: Translator.op_global_get,
    op.GLOBAL_SET: Translator.op_global_set, op.I32_CONST: Translator.op_i32_const,
    op.I64_CONST: Translator.op_i64_const, op.F32_CONST: Translator.op_f32_const,
    op.F64_CONST: Translator.op_f64_const, op.V128_CONST: Translator.op_v128_const,
    op.REF_NULL: Translator.op_ref_null, op.REF_IS_NULL: Translator.op_ref_is_null,
    op.REF_FUNC: Translator.op_ref_func, op.MEMORY_SIZE: Translator.op_memory_size,
    op.MEMORY_GROW: Translator.op_memory_grow,
}

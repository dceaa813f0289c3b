"""Random wasm modules, valid by construction, for differential testing against wasmtime.

A module has a few functions `f0 .. f{n-1}` of random signatures (f_i calls only f_j
with j > i, directly or through the table, so nothing recurses), four mutable globals of
each value type, one memory page (growable to two) with data at both ends, and a table
holding every function. Bodies are generated instruction by instruction against a model
of the operand stack and the control frames, in the shapes that whole-program fuzzing
found wrong and expression trees never make: values left on the stack under branches,
statements (stores, global and local sets, calls) between a value's push and its use,
`br_if`/`br_table` carrying values out of nested blocks and loops, multi-value blocks
with parameters, `select`, `local.tee`, memory of every width (in bounds and out),
`call_indirect` (with its traps), `memory.grow`/`fill`/`copy`.

Everything terminates: a loop is entered with a fresh countdown local, and its only back
edges are `br_if`s gated on `(counter := counter - 1) > 0`; calls only go to later
functions, and a call is left out where the work it multiplies would pass a budget.

NaN bits are deterministic: the result of every instruction that may produce a NaN of
unspecified payload or sign (arithmetic, rounding, demote/promote) is replaced by the
canonical positive NaN when it is one (`x if x == x else nan`); abs, neg, copysign,
reinterpretations, loads, stores and constants keep NaN payloads, and both engines must
agree on them bit for bit.

The exported `run` (f0), `run1`, `run2`, ... take and return only integers (floats as
their bits), each calling its function, so that every function runs; `gbits` returns
every global's bits. All decisions come from a `Choices` (choices.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from transpyle.wasm.opcodes import BY_NAME

from .choices import Choices

TYPES = ("i32", "i64", "f32", "f64")
CARRIER = {"i32": "i32", "i64": "i64", "f32": "i32", "f64": "i64"}
WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
PAGE = 65536
GLOBAL_TYPES = ("i32", "i64", "f32", "f64", "i32", "i64")  # g0 .. g5, all mutable

# the numeric instructions with a fixed signature, by shape (from the opcode table)
UNOPS: dict[str, list[str]] = {t: [] for t in TYPES}  # t -> t
BINOPS: dict[str, list[str]] = {t: [] for t in TYPES}  # t t -> t
TESTS: dict[str, list[str]] = {t: [] for t in TYPES}  # t -> i32 (eqz)
CMPS: dict[str, list[str]] = {t: [] for t in TYPES}  # t t -> i32
CONVERSIONS: dict[str, list[tuple[str, str]]] = {t: [] for t in TYPES}  # dst -> [(op, src)]
LOADS: dict[str, list[tuple[str, int]]] = {t: [] for t in TYPES}  # t -> [(op, bytes)]
STORES: dict[str, list[tuple[str, int]]] = {t: [] for t in TYPES}
_COMPARISONS = {"eq", "ne", "lt", "gt", "le", "ge", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u",
                "ge_s", "ge_u"}
for _name, _info in BY_NAME.items():
    _prefix = _name.split(".")[0]
    if _prefix not in TYPES or _info.params is None or "atomic" in _name:
        continue
    _ps = tuple(str(p) for p in _info.params)
    _rs = tuple(str(r) for r in _info.results)
    if ".load" in _name:
        LOADS[_rs[0]].append((_name, 1 << _info.natural_align))
    elif ".store" in _name:
        STORES[_ps[1]].append((_name, 1 << _info.natural_align))
    elif _name.endswith(".const"):
        continue
    elif _name.split(".")[1] in _COMPARISONS:
        CMPS[_prefix].append(_name)
    elif _name.endswith(".eqz"):
        TESTS[_prefix].append(_name)
    elif _ps == (_prefix,) and _rs == (_prefix,) and "_" not in _name.split(".")[1]:
        UNOPS[_prefix].append(_name)
    elif _ps == (_prefix,) and _rs == (_prefix,):  # i32.extend8_s and the like
        UNOPS[_prefix].append(_name)
    elif _ps == (_prefix, _prefix) and _rs == (_prefix,):
        BINOPS[_prefix].append(_name)
    elif _ps == (_prefix,) and _rs == ("i32",) and _name.endswith("eqz"):
        TESTS[_prefix].append(_name)
    elif _ps == (_prefix, _prefix) and _rs == ("i32",):
        CMPS[_prefix].append(_name)
    elif len(_ps) == 1 and len(_rs) == 1:
        CONVERSIONS[_rs[0]].append((_name, _ps[0]))
for _t in TYPES:
    for _table in (UNOPS, BINOPS, TESTS, CMPS, CONVERSIONS, LOADS, STORES):
        _table[_t].sort()

# float instructions whose NaN results have an unspecified payload or sign
NAN_SOURCES = frozenset(
    f"{t}.{op}" for t in ("f32", "f64")
    for op in ("add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc",
               "nearest")) | {"f32.demote_f64", "f64.promote_f32"}

INT_EDGES = {
    "i32": [0, 1, 0xFFFFFFFF, 2, 0x7FFFFFFF, 0x80000000, 31, 32, 33, 0xFF, 0x80, 0xFFFF,
            0x8000, 0xFFFFFFFE, 0x80000001, 16, 63, 64],
    "i64": [0, 1, 0xFFFFFFFFFFFFFFFF, 2, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 63, 64, 65,
            0xFFFFFFFF, 0x100000000, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF00000000,
            0x8000000000000001, 0xFF, 0x8000],
}
FLOAT_EDGES = {
    "f32": [0, 0x80000000, 0x3F800000, 0xBFC00000, 0x7F800000, 0xFF800000, 0x7FC00000,
            0x7FA00001, 0xFFC00001, 0x00000001, 0x007FFFFF, 0x7F7FFFFF, 0x4F000000, 0xCF000000,
            0x4F800000, 0x5F000000, 0x3F000000, 0x40490FDB, 0x3EFFFFFF],
    "f64": [0, 0x8000000000000000, 0x3FF0000000000000, 0xBFF8000000000000,
            0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x7FF4000000000001,
            0xFFF8000000000001, 1, 0x000FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x41E0000000000000,
            0xC1E0000000000000, 0x41F0000000000000, 0x43E0000000000000, 0x3FE0000000000000,
            0x400921FB54442D18, 0x41DFFFFFFFC00000, 0x3FDFFFFFFFFFFFFF],
}
CANONICAL_NAN = {"f32": "nan:0x400000", "f64": "nan:0x8000000000000"}

DATA_BASE, DATA_SIZE = 1024, 2048  # random bytes, where the pointer locals start
MAX_FUNCS = 4
MAX_DEPTH = 4  # nested blocks, loops and ifs
MAX_LOOP_DEPTH = 2
WORK_BUDGET = 3000  # estimated function-body runs one call of `run` may cause


def float_literal(t: str, bits: int) -> str:
    """A WAT literal for exactly these bits (NaN payloads included)."""
    import math
    import struct

    if t == "f32":
        exp, frac, sign = (bits >> 23) & 0xFF, bits & 0x7FFFFF, bits >> 31
        if exp == 0xFF:
            s = "-" if sign else ""
            return f"{s}nan:{frac:#x}" if frac else f"{s}inf"
        x = struct.unpack("<f", struct.pack("<I", bits))[0]
    else:
        exp, frac, sign = (bits >> 52) & 0x7FF, bits & 0xFFFFFFFFFFFFF, bits >> 63
        if exp == 0x7FF:
            s = "-" if sign else ""
            return f"{s}nan:{frac:#x}" if frac else f"{s}inf"
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0x0p+0"
    return x.hex()


@dataclass
class Frame:
    kind: str  # "func" | "block" | "loop" | "if"
    params: tuple
    results: tuple
    base: int  # operand stack height below the parameters
    counter: int | None = None  # a loop's countdown local
    in_else: bool = False
    mult: int = 1  # how often the body may run per entry of the function (loop counts)

    @property
    def label_types(self) -> tuple:
        return self.params if self.kind == "loop" else self.results


@dataclass
class FuncType:
    params: tuple
    results: tuple

    def wat(self) -> str:
        p = f" (param {' '.join(self.params)})" if self.params else ""
        r = f" (result {' '.join(self.results)})" if self.results else ""
        return p + r


@dataclass
class Program:
    """A generated module: its text, its entry points and the calls to make."""
    wat: str
    results: dict  # export name -> result carrier types
    args: list = field(default_factory=list)  # calls: (export name, argument bits)
    choices: list = field(default_factory=list)


class FuncGen:
    """One function body, instruction by instruction, against a model of the stack."""

    def __init__(self, mod: "ModuleGen", index: int):
        self.mod = mod
        self.c = mod.c
        self.index = index
        self.type = mod.types[index]
        self.locals = list(self.type.params)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.frames = [Frame("func", (), self.type.results, 0)]
        self.budget = 12 + self.c.draw(70)
        self.cost = 1  # estimated runs of function bodies per call of this function
        self.scratch: dict[str, int] = {}
        # loop counters and NaN scratch locals: only their own code reads and writes them
        self.reserved: set[int] = set()
        self.pointers: list[int] = []  # i32 locals holding addresses (pointer_step moves them)
        self.nloops = 0

    # -- bookkeeping ------------------------------------------------------------------
    def emit(self, text: str, pops: int = 0, pushes: tuple = ()) -> None:
        self.out.append("  " * len(self.frames) + text)
        if pops:
            del self.stack[len(self.stack) - pops:]
        self.stack.extend(pushes)
        self.budget -= 1

    def avail(self) -> list[str]:
        """The operand types the current frame may consume."""
        return self.stack[self.frames[-1].base:]

    def new_local(self, t: str) -> int:
        self.locals.append(t)
        return len(self.locals) - 1

    def local_of(self, t: str, fresh_ok: bool = True) -> int | None:
        cands = [i for i, lt in enumerate(self.locals) if lt == t and i not in self.reserved]
        if cands and not (fresh_ok and self.c.chance(1, 8)):
            return cands[self.c.draw(len(cands))]
        return self.new_local(t) if fresh_ok else None

    def scratch_local(self, t: str) -> int:
        if t not in self.scratch:  # read only by `canonicalize`: it may hold a raw NaN
            self.scratch[t] = self.new_local(t)
            self.reserved.add(self.scratch[t])
        return self.scratch[t]

    @property
    def mult(self) -> int:
        return self.frames[-1].mult

    # -- values -------------------------------------------------------------------------
    def const(self, t: str) -> None:
        c = self.c
        if t in ("i32", "i64"):
            k = c.weighted([3, 4, 3])
            if k == 0:
                v = c.draw(16)
            elif k == 1:
                edges = INT_EDGES[t]
                v = edges[c.draw(len(edges))]
            else:
                v = c.bits(WIDTH[t])
            self.emit(f"{t}.const {v:#x}", 0, (t,))
        else:
            if c.chance(1, 2):
                edges = FLOAT_EDGES[t]
                bits = edges[c.draw(len(edges))]
            else:
                bits = c.bits(WIDTH[t])
            self.emit(f"{t}.const {float_literal(t, bits)}", 0, (t,))

    def canonicalize(self, t: str) -> None:
        """The NaN on top (of unspecified bits) becomes the canonical positive NaN."""
        k = self.scratch_local(t)
        self.emit(f"local.tee {k}")
        self.emit(f"{t}.const {CANONICAL_NAN[t]}", 0, (t,))
        self.emit(f"local.get {k}", 0, (t,))
        self.emit(f"local.get {k}", 0, (t,))
        self.emit(f"{t}.eq", 2, ("i32",))
        self.emit("select", 3, (t,))

    def op(self, name: str, pops: int, result: str) -> None:
        self.emit(name, pops, (result,))
        if name in NAN_SOURCES:
            self.canonicalize(result)

    def value(self, t: str, depth: int = 2) -> None:
        """Push one value of type t (an expression of at most `depth` levels)."""
        c = self.c
        if depth <= 0 or self.budget <= 0:
            k = c.weighted([4, 3, 1])
        else:
            k = c.weighted([4, 3, 1, 2, 4, 5, 3, 2, 1, 2, 1, 1])
        if k == 0:
            self.const(t)
        elif k == 1:
            lt = self.local_of(t, fresh_ok=False)
            if lt is None:
                self.const(t)
            else:
                self.emit(f"local.get {lt}", 0, (t,))
        elif k == 2:
            g = self.mod.global_of(t)
            self.emit(f"global.get {g}", 0, (t,))
        elif k == 3:
            self.load(t)
        elif k == 4:
            ops = UNOPS[t]
            self.value(t, depth - 1)
            self.op(ops[c.draw(len(ops))], 1, t)
        elif k == 5:
            ops = BINOPS[t]
            self.value(t, depth - 1)
            self.value(t, depth - 1)
            self.op(ops[c.draw(len(ops))], 2, t)
        elif k == 6:
            convs = CONVERSIONS[t]
            name, src = convs[c.draw(len(convs))]
            self.value(src, depth - 1)
            self.op(name, 1, t)
        elif k == 7:
            if t != "i32":
                self.value(t, depth - 1)
                return
            s = TYPES[c.draw(4)]
            if s in ("i32", "i64") and c.chance(1, 3):
                self.value(s, depth - 1)
                self.emit(f"{s}.eqz", 1, ("i32",))
            else:
                self.value(s, depth - 1)
                self.value(s, depth - 1)
                ops = CMPS[s]
                self.emit(ops[c.draw(len(ops))], 2, ("i32",))
        elif k == 8:
            self.value(t, depth - 1)
            self.value(t, depth - 1)
            self.condition(depth - 1)
            self.emit("select" if c.chance(1, 2) else f"select (result {t})", 3, (t,))
        elif k == 9:
            self.value(t, depth - 1)
            self.emit(f"local.tee {self.local_of(t)}")
        elif k == 10:
            self.call_value(t, depth)
        else:  # a block computing the value, with a br_if out of it
            self.emit(f"block (result {t})", 0, ())
            self.frames.append(Frame("block", (), (t,), len(self.stack), mult=self.mult))
            self.value(t, depth - 1)
            self.condition(depth - 1)
            self.emit("br_if 0", 1, ())
            if c.chance(1, 2):
                self.emit("drop", 1, ())
                self.value(t, depth - 1)
            self.frames.pop()
            self.emit("end")

    def condition(self, depth: int) -> None:
        """Push an i32 condition that is zero about half of the time (a random value is
        almost never zero, and the code a taken branch skips would then never run)."""
        c = self.c
        k = c.weighted([2, 1, 3, 3])
        if k == 0:
            self.emit(f"i32.const {c.draw(2)}", 0, ("i32",))
        elif k == 1:
            self.emit(f"i32.const {c.bits(32):#x}", 0, ("i32",))
        elif k == 2:  # one bit of a value
            self.value("i32", max(0, depth))
            self.emit(f"i32.const {1 << c.draw(32):#x}", 0, ("i32",))
            self.emit("i32.and", 2, ("i32",))
        else:
            self.value("i32", max(0, depth))

    def call_value(self, t: str, depth: int) -> None:
        """A call of a later function with t as its first result (extras dropped)."""
        mod = self.mod
        cands = [j for j in range(self.index + 1, len(mod.types))
                 if mod.types[j].results[:1] == (t,) and self.affordable(j)]
        if not cands:
            self.value(t, depth - 1)
            return
        j = cands[self.c.draw(len(cands))]
        for p in mod.types[j].params:
            self.value(p, depth - 1)
        self.call(j)
        for _ in mod.types[j].results[1:]:
            self.emit("drop", 1, ())

    def affordable(self, j: int) -> bool:
        return self.cost + self.mult * self.mod.costs[j] <= WORK_BUDGET

    def call(self, j: int) -> None:
        ft = self.mod.types[j]
        self.cost += self.mult * self.mod.costs[j]
        self.emit(f"call $f{j}", len(ft.params), ft.results)

    # -- memory -------------------------------------------------------------------------
    def address(self, size: int, pointer: bool = False) -> tuple[int, int]:
        """Push an i32 address for a `size`-byte access (through a pointer local, if
        `pointer`); returns (offset, align exp)."""
        c = self.c
        k = 4 if pointer else c.weighted([5, 3, 2, 1, 6 if self.pointers else 0])
        offset = 0
        if k == 4:  # a pointer local (facts.py proves or refutes its alignment)
            self.emit(f"local.get {self.pointers[c.draw(len(self.pointers))]}", 0, ("i32",))
            if c.chance(1, 3):  # plus a constant, by i32.add rather than the offset
                self.emit(f"i32.const {c.draw(4) * (size if c.chance(1, 2) else 1)}", 0, ("i32",))
                self.emit("i32.add", 2, ("i32",))
            offset = c.draw(8) * (size if c.chance(3, 4) else 1)
        elif k == 0:  # in bounds, often aligned
            a = c.draw(PAGE // size) * size if c.chance(1, 2) else c.draw(PAGE - size + 1)
            self.emit(f"i32.const {a:#x}", 0, ("i32",))
        elif k == 1:  # a computed address, masked into the page
            self.value("i32", 1)
            self.emit(f"i32.const {(0xFFF8, 0x7FFF, 0xFF, 0xFFFC)[c.draw(4)]:#x}", 0, ("i32",))
            self.emit("i32.and", 2, ("i32",))
        elif k == 2:  # a constant address plus an offset
            offset = c.draw(256) * (1 if c.chance(1, 2) else size)
            self.emit(f"i32.const {c.draw(PAGE - size - offset + 1):#x}", 0, ("i32",))
        else:  # around the end of memory: in bounds or a trap
            a = PAGE - size - 4 + c.draw(9)
            if c.chance(1, 4):
                a = (0xFFFFFFFF, 0x80000000, 2 * PAGE - size)[c.draw(3)]
            self.emit(f"i32.const {a & 0xFFFFFFFF:#x}", 0, ("i32",))
        align = c.draw(size.bit_length())  # any exponent up to the natural one
        return offset, align

    def memarg(self, name: str, offset: int, align: int) -> str:
        text = name
        if offset:
            text += f" offset={offset}"
        return text + f" align={1 << align}"

    def load(self, t: str) -> None:
        name, size = LOADS[t][self.c.draw(len(LOADS[t]))]
        offset, align = self.address(size)
        self.emit(self.memarg(name, offset, align), 1, (t,))

    def statement(self) -> None:
        """A statement that leaves the stack as it was: a store, a global or local set
        of a new value, or a call without results."""
        c = self.c
        k = c.draw(3)
        if k == 0:
            self.store_stmt()
        else:
            t = TYPES[c.draw(4)]
            self.value(t, c.draw(3))
            if k == 1:
                self.emit(f"global.set {self.mod.global_of(t)}", 1)
            else:
                self.emit(f"local.set {self.local_of(t)}", 1)

    def store_stmt(self) -> None:
        c = self.c
        t = TYPES[c.draw(4)]
        name, size = STORES[t][c.draw(len(STORES[t]))]
        offset, align = self.address(size)
        self.value(t, 2)
        self.emit(self.memarg(name, offset, align), 2, ())

    # -- statements -------------------------------------------------------------------
    def step(self) -> bool:
        """One action; False when the current frame was closed."""
        c = self.c
        avail = self.avail()
        top = avail[-1] if avail else None
        deep = len(avail) > 10
        weights = [
            3,  # close the frame
            6 if deep else 20,  # push a value, left for later
            30 if deep else 16,  # consume the top value(s)
            8,  # local.set / local.tee of the top
            3,  # global.set of the top
            4,  # drop
            4,  # select on the top two
            6,  # a store (statement)
            3,  # a load through the top i32
            8 if len(self.frames) < MAX_DEPTH else 0,  # open a block / loop / if
            9,  # br_if
            2,  # br
            2,  # br_table
            1,  # return
            4,  # call
            3,  # call_indirect
            4 if self.pointers else 2,  # memory.size / grow / fill / copy, pointer steps
            1,  # nop
        ]
        if self.budget <= 0:
            return self.close()
        k = c.weighted(weights)
        if k == 0:
            return self.close()
        if k == 1:
            self.value(TYPES[c.draw(4)], c.draw(3))
        elif k == 2:
            self.consume(avail)
        elif k == 3:
            if top is None:
                self.value(TYPES[c.draw(4)], 2)
                top = self.stack[-1]
            tee = c.chance(1, 3)
            self.emit(f"local.{'tee' if tee else 'set'} {self.local_of(top)}", 0 if tee else 1)
        elif k == 4:
            if top is None:
                self.value(TYPES[c.draw(4)], 2)
                top = self.stack[-1]
            self.emit(f"global.set {self.mod.global_of(top)}", 1)
        elif k == 5:
            if top is not None:
                self.emit("drop", 1)
        elif k == 6:
            if len(avail) >= 2 and avail[-1] == avail[-2]:
                self.condition(2)
                t = avail[-1]
                self.emit("select" if c.chance(1, 2) else f"select (result {t})", 3, (t,))
        elif k == 7:
            if len(avail) >= 2 and avail[-2] == "i32" and c.chance(1, 4):
                # a store of the top two values, whatever they are
                name, size = STORES[top][c.draw(len(STORES[top]))]
                self.emit(self.memarg(name, c.draw(8), c.draw(size.bit_length())), 2)
            else:
                self.statement()
        elif k == 8:
            if top == "i32":
                t = TYPES[c.draw(4)]
                name, size = LOADS[t][c.draw(len(LOADS[t]))]
                self.emit(f"i32.const {(0xFFF8, 0x7FF0, 0xFFFF)[c.draw(3)]:#x}", 0, ("i32",))
                self.emit("i32.and", 2, ("i32",))
                self.emit(self.memarg(name, c.draw(4) * size, c.draw(size.bit_length())), 1, (t,))
        elif k == 9:
            self.open_block()
        elif k == 10:
            self.br_if()
        elif k == 11:
            return self.br()
        elif k == 12:
            return self.br_table()
        elif k == 13:
            return self.ret()
        elif k == 14:
            self.call_stmt()
        elif k == 15:
            self.call_indirect()
        elif k == 16:
            self.memory_op()
        else:
            self.emit("nop")
        return True

    def consume(self, avail: list) -> None:
        """An instruction on the top value(s), whenever they were pushed."""
        c = self.c
        if not avail:
            self.value(TYPES[c.draw(4)], 2)
            return
        t = avail[-1]
        options = [("un", t)]
        if len(avail) >= 2 and avail[-2] == t:
            options += [("bin", t), ("bin", t), ("cmp", t)]
        options += [("cvt", t), ("test", t)]
        kind, t = options[c.draw(len(options))]
        if kind == "un":
            ops = UNOPS[t]
            self.op(ops[c.draw(len(ops))], 1, t)
        elif kind == "bin":
            ops = BINOPS[t]
            self.op(ops[c.draw(len(ops))], 2, t)
        elif kind == "cmp":
            ops = CMPS[t]
            self.emit(ops[c.draw(len(ops))], 2, ("i32",))
        elif kind == "test":
            self.emit(f"{t}.eqz" if t in ("i32", "i64") else f"{t}.neg", 1,
                      ("i32",) if t in ("i32", "i64") else (t,))
        else:
            convs = [(n, dst) for dst in TYPES for n, src in CONVERSIONS[dst] if src == t]
            name, dst = convs[c.draw(len(convs))]
            self.op(name, 1, dst)

    def block_type(self, params: tuple, results: tuple) -> str:
        return FuncType(params, results).wat()

    def open_block(self) -> None:
        c = self.c
        avail = self.avail()
        kind = ("block", "loop", "if")[c.draw(3)]
        if kind == "loop" and (self.nloop_depth() >= MAX_LOOP_DEPTH or self.cost * 4 > WORK_BUDGET):
            kind = "block"
        nparams = c.draw(min(3, len(avail)) + 1)
        params = tuple(avail[len(avail) - nparams:]) if nparams else ()
        results = tuple(TYPES[c.draw(4)] for _ in range(c.draw(3)))
        mult = self.mult
        counter = None
        if kind == "loop":
            counter = self.new_local("i32")
            n = 1 + c.draw(3)
            self.emit(f"i32.const {n}", 0, ("i32",))
            self.emit(f"local.set {counter}", 1)
            mult *= n
            self.reserved.add(counter)
        if kind == "if":
            self.condition(2)
            self.emit(f"if{self.block_type(params, results)}", 1 + nparams, params)
        else:
            self.emit(f"{kind}{self.block_type(params, results)}", nparams, params)
        self.frames.append(Frame(kind, params, results, len(self.stack) - nparams, counter,
                                 mult=mult))
        if kind == "loop" and self.pointers and c.chance(3, 4):
            # a pointer loop: an access through a pointer at the top of the body, before
            # any step (what the back edges' facts decide), the step, a back edge
            t = TYPES[c.draw(4)]
            name, size = LOADS[t][-1] if t in ("i32", "i64") and c.chance(1, 2) else (
                LOADS[t][c.draw(len(LOADS[t]))])
            name, size = max(LOADS[t], key=lambda x: x[1]) if c.chance(1, 2) else (name, size)
            offset, align = self.address(size, pointer=True)
            self.emit(self.memarg(name, offset, align), 1, (t,))
            self.emit(f"global.set {self.mod.global_of(t)}", 1)
            self.pointer_step()  # and the step, which the back edges carry
            if c.chance(2, 3):
                self.back_edge(0)

    def nloop_depth(self) -> int:
        return sum(1 for f in self.frames if f.kind == "loop")

    def finalize(self, frame: Frame) -> None:
        """Make the current frame's stack its results: a `br 0` that carries the top
        values out over the others, or drops and new values."""
        want = list(frame.results)
        cur = self.stack[frame.base:]
        if cur == want:
            return
        n = len(want)
        if (frame.kind != "loop" and len(cur) > n and cur[len(cur) - n:] == want
                and self.c.chance(1, 2)):
            self.emit("br 0" if frame.kind != "func" else ("br 0" if self.c.chance(1, 2)
                                                            else "return"))
            del self.stack[frame.base:]
            self.stack.extend(want)
            return
        while cur != want[: len(cur)]:
            self.emit("drop", 1)
            cur.pop()
        for t in want[len(cur):]:
            self.value(t, 2)

    def close(self) -> bool:
        frame = self.frames[-1]
        self.finalize(frame)
        return self.end_frame()

    def end_frame(self) -> bool:
        """Close the current frame, its stack being its results (or dead)."""
        frame = self.frames[-1]
        if frame.kind == "func":
            return False
        if frame.kind == "if" and not frame.in_else and (
                frame.params != frame.results or self.c.chance(1, 2)):
            self.out.append("  " * (len(self.frames) - 1) + "else")
            frame.in_else = True
            del self.stack[frame.base:]
            self.stack.extend(frame.params)
            return True
        self.frames.pop()
        self.out.append("  " * len(self.frames) + "end")
        del self.stack[frame.base:]
        self.stack.extend(frame.results)
        return True

    def dead_end(self) -> bool:
        """After br, br_table, return or unreachable: the rest of the frame is dead."""
        frame = self.frames[-1]
        del self.stack[frame.base:]
        self.stack.extend(frame.results)
        return self.end_frame()

    def push_label_values(self, types: tuple) -> None:
        avail = self.avail()
        n = len(types)
        if n and len(avail) >= n and tuple(avail[len(avail) - n:]) == types and self.c.chance(3, 4):
            return
        if n == 0 and self.c.chance(1, 2):
            return
        for t in types:
            self.value(t, self.c.draw(3))

    def targets(self, loops: bool) -> list[int]:
        return [d for d in range(len(self.frames))
                if loops or self.frames[-1 - d].kind != "loop"]

    def br_if(self) -> None:
        c = self.c
        d = c.draw(len(self.frames))
        loops = [k for k in range(len(self.frames)) if self.frames[-1 - k].kind == "loop"]
        if loops and c.chance(1, 2):  # the innermost loop's back edge, more often
            d = loops[0]
        frame = self.frames[-1 - d]
        if frame.kind == "loop":
            self.back_edge(d)
            return
        self.push_label_values(frame.label_types)
        self.condition(2)
        if c.chance(1, 3):  # a statement between the condition and the branch
            self.statement()
        self.emit(f"br_if {d}", 1)
        self.after_br_if()

    def back_edge(self, d: int) -> None:
        """`br_if d` to a loop, taken while its countdown lasts: (counter := counter -
        1) > 0, so each entry of the loop takes at most its count of back edges."""
        frame = self.frames[-1 - d]
        self.push_label_values(frame.label_types)
        k = frame.counter
        self.emit(f"local.get {k}", 0, ("i32",))
        self.emit("i32.const 1", 0, ("i32",))
        self.emit("i32.sub", 2, ("i32",))
        self.emit(f"local.tee {k}")
        self.emit("i32.const 0", 0, ("i32",))
        self.emit("i32.gt_s", 2, ("i32",))
        self.emit(f"br_if {d}", 1)
        self.after_br_if()

    def after_br_if(self) -> None:
        c = self.c
        if c.chance(1, 3):  # the fall-through path goes on with the values carried
            if c.chance(1, 2):
                self.statement()
            self.consume(self.avail())

    def br(self) -> bool:
        ds = self.targets(loops=False)
        d = ds[self.c.draw(len(ds))]
        self.push_label_values(self.frames[-1 - d].label_types)
        self.emit(f"br {d}")
        return self.dead_end()

    def br_table(self) -> bool:
        c = self.c
        ds = self.targets(loops=False)
        d = ds[c.draw(len(ds))]
        types = self.frames[-1 - d].label_types
        same = [e for e in ds if self.frames[-1 - e].label_types == types]
        labels = [same[c.draw(len(same))] for _ in range(c.draw(5))]
        self.push_label_values(types)
        if c.chance(1, 2):
            self.emit(f"i32.const {c.draw(len(labels) + 2)}", 0, ("i32",))
        else:
            self.value("i32", 1)
        self.emit(f"br_table {' '.join(map(str, labels + [d]))}", 1)
        return self.dead_end()

    def ret(self) -> bool:
        self.push_label_values(self.type.results)
        if self.c.chance(1, 8):
            self.emit("unreachable")
        else:
            self.emit("return")
        return self.dead_end()

    def call_stmt(self) -> None:
        mod = self.mod
        cands = [j for j in range(self.index + 1, len(mod.types)) if self.affordable(j)]
        if not cands:
            return
        j = cands[self.c.draw(len(cands))]
        self.push_label_values(mod.types[j].params)
        self.call(j)

    def call_indirect(self) -> None:
        c = self.c
        mod = self.mod
        n = len(mod.types)
        k = c.weighted([6, 1, 1, 1])
        cands = [j for j in range(self.index + 1, n) if self.affordable(j)]
        if k == 0 and cands:  # a real call of a later function
            j = cands[c.draw(len(cands))]
            ty, idx = j, f"{j}"
        else:  # a trap: a null entry, an index out of the table, or a type mismatch
            ty = c.draw(n)
            others = [j for j in range(n) if mod.types[j] != mod.types[ty]]
            if k == 3 and others:
                idx = f"{others[c.draw(len(others))]}"
            else:
                idx = (f"{n}", f"{n + 1 + c.draw(1000)}", "0xffffffff")[c.draw(3)]
        ft = mod.types[ty]
        self.push_label_values(ft.params)
        self.emit(f"i32.const {idx}", 0, ("i32",))
        if k == 0 and cands:
            self.cost += self.mult * mod.costs[ty]
        self.emit(f"call_indirect (type $t{ty})", len(ft.params) + 1, ft.results)

    def memory_op(self) -> None:
        c = self.c
        k = c.draw(8 if self.pointers else 4)
        if k >= 4:
            self.pointer_step()
        elif k == 0:
            self.emit("memory.size", 0, ("i32",))
        elif k == 1:
            self.emit(f"i32.const {c.draw(3)}", 0, ("i32",))
            self.emit("memory.grow", 1, ("i32",))
        elif k == 2:
            self.emit(f"i32.const {c.draw(PAGE):#x}", 0, ("i32",))
            self.value("i32", 1)
            self.emit(f"i32.const {c.draw(64)}", 0, ("i32",))
            self.emit("memory.fill", 3)
        else:
            self.emit(f"i32.const {c.draw(PAGE):#x}", 0, ("i32",))
            self.emit(f"i32.const {c.draw(PAGE):#x}", 0, ("i32",))
            self.emit(f"i32.const {c.draw(64)}", 0, ("i32",))
            self.emit("memory.copy", 3)

    def pointer_step(self) -> None:
        """Move a pointer local: by a multiple of 8 mostly, sometimes by 4 or 1, masked
        back into the page or not."""
        c = self.c
        p = self.pointers[c.draw(len(self.pointers))]
        step = (8, 16, 24, 4, 1, 0xFFFFFFF8, 2)[c.weighted([4, 2, 1, 2, 2, 1, 1])]
        self.emit(f"local.get {p}", 0, ("i32",))
        self.emit(f"i32.const {step:#x}", 0, ("i32",))
        self.emit("i32.add", 2, ("i32",))
        if c.chance(1, 3):
            self.emit(f"i32.const {(0x7FF8, 0xFFF0, 0x7FFF)[c.draw(3)]:#x}", 0, ("i32",))
            self.emit("i32.and", 2, ("i32",))
        if c.chance(1, 3):
            self.emit(f"local.tee {p}")
            self.emit("drop", 1)
        else:
            self.emit(f"local.set {p}", 1)

    def generate(self) -> str:
        for _ in range(self.c.draw(3)):  # pointer locals, set once at entry
            p = self.new_local("i32")
            self.reserved.add(p)
            self.pointers.append(p)
            base = DATA_BASE + self.c.draw(DATA_SIZE // 8 - 32) * 8 + (
                self.c.draw(8) if self.c.chance(1, 4) else 0)
            self.emit(f"i32.const {base:#x}", 0, ("i32",))
            self.emit(f"local.set {p}", 1)
        while self.step():
            pass
        self.finalize(self.frames[0])
        locals_ = self.locals[len(self.type.params):]
        decl = f"\n    (local {' '.join(locals_)})" if locals_ else ""
        body = "\n".join("  " + line for line in self.out)
        return f"  (func $f{self.index} (type $t{self.index}){decl}\n{body})"


class ModuleGen:
    def __init__(self, c: Choices):
        self.c = c
        n = 1 + c.draw(MAX_FUNCS)
        self.types = [FuncType(tuple(TYPES[c.draw(4)] for _ in range(c.draw(4))),
                               tuple(TYPES[c.draw(4)] for _ in range(c.draw(3))))
                      for _ in range(n)]
        self.costs = [1] * n

    def global_of(self, t: str) -> int:
        cands = [i for i, gt in enumerate(GLOBAL_TYPES) if gt == t]
        return cands[self.c.draw(len(cands))]

    def generate(self) -> Program:
        c = self.c
        n = len(self.types)
        funcs = [""] * n
        for i in reversed(range(n)):  # callees first: their costs bound their callers
            fg = FuncGen(self, i)
            funcs[i] = fg.generate()
            self.costs[i] = fg.cost
        lines = ["(module"]
        for i, ft in enumerate(self.types):
            lines.append(f"  (type $t{i} (func{ft.wat()}))")
        lines.append('  (memory (export "mem") 1 2)')
        for i, t in enumerate(GLOBAL_TYPES):
            init = (c.bits(WIDTH[t]) if c.chance(1, 2) else 0)
            lit = f"{init:#x}" if t in ("i32", "i64") else float_literal(t, init)
            lines.append(f"  (global (mut {t}) ({t}.const {lit}))")
        lines.append(f"  (table {n + 1} funcref)")
        lines.append(f"  (elem (i32.const 0) func {' '.join(f'$f{i}' for i in range(n))})")
        for base in (0, PAGE - 64):
            data = "".join("\\%02x" % c.draw(256) for _ in range(c.draw(65)))
            lines.append(f'  (data (i32.const {base}) "{data}")')
        # DATA_SIZE bytes of noise from one seed, where the pointer locals point: reads
        # of zeros would hide an access at the wrong address
        if c.chance(3, 4):
            noise = random.Random(c.bits(32)).randbytes(DATA_SIZE)
            text = "".join("\\%02x" % b for b in noise)
            lines.append(f'  (data (i32.const {DATA_BASE}) "{text}")')
        lines.extend(funcs)
        # run (f0), run1, run2, ...: each function called from Python, integer carriers
        # in and out (floats as their bits), so every function runs, called or not
        entries = {}
        for i, ft in enumerate(self.types):
            name = "run" if i == 0 else f"run{i}"
            params = tuple(CARRIER[t] for t in ft.params)
            results = tuple(CARRIER[t] for t in ft.results)
            entries[name] = (i, params, results)
            body = []
            for k, t in enumerate(ft.params):
                body.append(f"local.get {k}")
                if t != CARRIER[t]:
                    body.append(f"{t}.reinterpret_{CARRIER[t]}")
            body.append(f"call $f{i}")
            nres = len(ft.results)
            scratch = len(ft.params)
            body += [f"local.set {scratch + k}" for k in reversed(range(nres))]
            for k, t in enumerate(ft.results):
                body.append(f"local.get {scratch + k}")
                if t != CARRIER[t]:
                    body.append(f"{CARRIER[t]}.reinterpret_{t}")
            locs = f" (local {' '.join(ft.results)})" if nres else ""
            lines.append(f'  (func (export "{name}"){FuncType(params, results).wat()}{locs}'
                         f'\n    ' + "\n    ".join(body) + ")")
        gb = []
        for i, t in enumerate(GLOBAL_TYPES):
            gb.append(f"global.get {i}")
            if t != CARRIER[t]:
                gb.append(f"{CARRIER[t]}.reinterpret_{t}")
        res = " ".join(CARRIER[t] for t in GLOBAL_TYPES)
        lines.append(f'  (func (export "gbits") (result {res})\n    ' + "\n    ".join(gb) + ")")
        lines.append(")")
        calls = []
        for name, (i, _, _) in entries.items():
            for _ in range(1 + c.draw(3) if i == 0 else 1):
                a = []
                for t in self.types[i].params:
                    if c.chance(1, 2):
                        edges = INT_EDGES.get(t) or FLOAT_EDGES[t]
                        a.append(edges[c.draw(len(edges))])
                    else:
                        a.append(c.bits(WIDTH[t]))
                calls.append((name, tuple(a)))
        return Program("\n".join(lines) + "\n", {k: v[2] for k, v in entries.items()}, calls,
                       c.used())


def generate(choices: Choices) -> Program:
    """A random module, valid by construction, from `choices`."""
    return ModuleGen(choices).generate()

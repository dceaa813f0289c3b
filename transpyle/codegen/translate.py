"""Translate one validated wasm function body into a CPython code object.

The wasm operand stack is the CPython value stack, locals are fast locals (`l0`, ...),
`block`/`loop`/`if` are labels and `br`/`br_if`/`br_table` are jumps. The translator keeps
an abstract stack of `Slot`s (type, value state, and where the slot's code starts in
the emitted list) so it can:

- wrap integers lazily: a slot is NORM (canonical), WIDE (congruent modulo 2**N,
  masked only where observed) or BOOL (a Python bool standing for i32 0/1);
- put a callable *below* operands that were already pushed: code is inserted at the
  position where the first operand's computation started, when everything since is
  straight-line code; otherwise the operands are spilled to temporaries and reloaded.
  Insertions are kept per position and materialised once at the end, so emission
  never shifts indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bytecode import BinaryOp, Bytecode, Compare, Instr, Label

from ..wasm import opcodes as op
from ..wasm.module import Code, Module
from ..wasm.types import F32, F64, I32, I64, V128, FuncType, ValueType
from . import lowering as L
from .emit import Ops

NORM, WIDE, BOOL = 0, 1, 2
_NOARG = object()
MASK = {I32: 0xFFFFFFFF, I64: 0xFFFFFFFFFFFFFFFF}
ZERO = {I32: 0, I64: 0, F32: 0.0, F64: 0.0, V128: 0}

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
# Stores: op name -> (namespace packer, mask applied to the value, or None: normalise)
STORES = {
    "i32.store": ("pack_i32", None), "i64.store": ("pack_i64", None),
    "f64.store": ("pack_f64", None),
    "i32.store8": ("pack_i8", 0xFF), "i32.store16": ("pack_i16", 0xFFFF),
    "i64.store8": ("pack_i8", 0xFF), "i64.store16": ("pack_i16", 0xFFFF),
    "i64.store32": ("pack_i32", 0xFFFFFFFF),
}


class Slot:
    __slots__ = ("type", "state", "start")

    def __init__(self, type, state, start):
        self.type = type
        self.state = state
        self.start = start  # emission index where this slot's code begins, or None

    def __repr__(self):
        return f"Slot({self.type}, {'NWB'[self.state]}, {self.start})"


@dataclass
class Frame:
    kind: str  # "block" | "loop" | "if" | "func"
    label: Label
    base: int  # stack height below the block's parameters
    params: tuple
    results: tuple
    start_i: int
    end_i: int
    else_i: int | None = None
    else_label: Label | None = None
    in_then: bool = False
    param_states: list = field(default_factory=list)
    merged: list | None = None  # merged result states of the edges reaching the end
    entry_pos: int = 0

    @property
    def label_types(self) -> tuple:
        return self.params if self.kind == "loop" else self.results


def merge_state(a: int, b: int) -> int:
    if a == b:
        return a
    return WIDE if WIDE in (a, b) else NORM


def _mask_code(slot: Slot) -> list:
    if slot.state == WIDE:
        return [Instr("LOAD_CONST", MASK[slot.type]), Instr("BINARY_OP", BinaryOp.AND)]
    return []


class TranslationResult:
    __slots__ = ("code", "listing", "name")

    def __init__(self, code, listing, name):
        self.code = code
        self.listing = listing
        self.name = name


class Translator:
    def __init__(self, module: Module, info, code: Code, func_types: list[FuncType],
                 cell_globals: frozenset, *, name: str, filename: str,
                 ensure_termination: bool = False, tail_funcs: frozenset = frozenset()):
        self.module = module
        self.info = info
        self.code = code
        self.func_types = func_types
        self.cell_globals = cell_globals
        self.name = name
        self.filename = filename
        self.ensure_termination = ensure_termination
        self.tail_funcs = tail_funcs
        self.global_types = module.all_global_types()

        self.out: list = []
        self.start_code: dict[int, list] = {}
        self.end_code: dict[int, list] = {}
        self.barrier = 0
        self.line = 1
        self.stack: list[Slot] = []
        self.frames: list[Frame] = []
        self.live = True
        self.ntemps = 0
        self.listing: list[str] = []

    # -- emission ---------------------------------------------------------------

    def emit(self, instrs) -> None:
        line = self.line
        out = self.out
        for ins in instrs:
            if isinstance(ins, Label):
                out.append(ins)
                self.barrier = len(out)
            else:
                ins.lineno = line
                out.append(ins)
                if ins.has_jump():
                    self.barrier = len(out)

    def emit1(self, name, arg=_NOARG) -> None:
        ins = Instr(name, lineno=self.line) if arg is _NOARG else Instr(name, arg, lineno=self.line)
        self.out.append(ins)

    def place(self, label: Label) -> None:
        self.out.append(label)
        self.barrier = len(self.out)

    def temp(self, i: int) -> str:
        if i >= self.ntemps:
            self.ntemps = i + 1
        return f"_t{i}"

    def push(self, type, state=NORM, start=None) -> None:
        self.stack.append(Slot(type, state, len(self.out) if start is None else start))

    def prepare(self, n: int, prefix: list = (), fixups: dict | None = None) -> int | None:
        """Arrange the top `n` slots as operands of something that needs `prefix` (e.g.
        NULL + a callable + leading arguments) pushed before them and `fixups[i]` applied
        to operand i once computed. Returns the start of the first operand. The operand
        slots stay on the abstract stack; the caller pops them."""
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
                self.emit(fixups[n - 1])
            return start
        straight = start is not None and start >= self.barrier and all(
            stack[first + i + 1].start is not None for i in range(n - 1) if fixups.get(i))
        if straight:
            if prefix:
                for ins in prefix:
                    ins.lineno = self.line
                self.start_code[start] = list(prefix) + self.start_code.get(start, [])
            for i in range(n - 1):
                if fixups.get(i):
                    pos = stack[first + i + 1].start
                    for ins in fixups[i]:
                        ins.lineno = self.line
                    self.end_code.setdefault(pos, []).extend(fixups[i])
            if fixups.get(n - 1):
                self.emit(fixups[n - 1])
        else:
            temps = [self.temp(i) for i in range(n)]
            self.emit([Instr("STORE_FAST", t) for t in reversed(temps)])
            self.emit(prefix)
            for i in range(n):
                self.emit([Instr("LOAD_FAST", temps[i])] + list(fixups.get(i, ())))
        for i in range(n):
            if fixups.get(i) and stack[first + i].state == WIDE:
                stack[first + i].state = NORM
        return start

    def norm_fixups(self, n: int) -> dict:
        stack = self.stack
        out = {}
        for i in range(n):
            code = _mask_code(stack[len(stack) - n + i])
            if code:
                out[i] = code
        return out

    def pop(self, n: int) -> list[Slot]:
        if n == 0:
            return []
        popped = self.stack[-n:]
        del self.stack[-n:]
        return popped

    def call_global(self, name: str, n: int, *, leading: list = (), nleading: int = 0,
                    fixups: dict | None = None, results: tuple = (), states=None,
                    normalize: bool = True) -> None:
        """Call namespace function `name` on the top n slots, pushing `results`."""
        if normalize:
            fx = self.norm_fixups(n)
            if fixups:
                for k, v in fixups.items():
                    fx[k] = fx.get(k, []) + v
        else:
            fx = fixups or {}
        start = self.prepare(n, Ops.load_global_callable(name) + list(leading), fx)
        self.pop(n)
        self.emit(Ops.call(n + nleading))
        self.push_results(results, start, states)

    def push_results(self, results: tuple, start, states=None) -> None:
        k = len(results)
        if k == 0:
            self.emit1("POP_TOP")
        elif k == 1:
            self.push(results[0], states[0] if states else NORM, start)
        else:
            self.unpack_results(k)
            for t in results:
                self.stack.append(Slot(t, NORM, None))
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
            self.emit([Instr("STORE_FAST", t) for t in temps])
            self.emit([Instr("LOAD_FAST", t) for t in temps])

    # -- the function -------------------------------------------------------------

    def translate(self) -> TranslationResult:
        info = self.info
        ftype = info.type
        body = self.code.body
        nparams = len(ftype.params)
        self.local_types = list(info.local_types)
        self.locals = [f"l{i}" for i in range(len(self.local_types))]

        self.listing.append(f"def {self.name}({', '.join(self.locals[:nparams])}):")
        self.line = 1
        self.emit(Ops.resume())
        self.line = 2
        for i in range(nparams, len(self.local_types)):
            t = self.local_types[i]
            self.emit([Instr("LOAD_CONST", ZERO.get(t)), Instr("STORE_FAST", self.locals[i])])

        self.frames.append(Frame("func", Label(), 0, (), ftype.results, -1, len(body) - 1))
        handlers = self.handlers
        ends, elses = info.ends, info.elses
        i = 0
        n = len(body)
        depth = 1
        while i < n:
            code, imm, offset = body[i]
            if not self.live:
                frame = self.frames[-1]
                if frame.kind == "if" and frame.in_then and frame.else_i is not None:
                    i = frame.else_i
                else:
                    i = frame.end_i
                code, imm, offset = body[i]
            if code == op.END:
                depth -= 1
            self.line = len(self.listing) + 1
            self.listing.append("    " * depth + _describe(code, imm) + f"  # @{offset:#x}")
            if code in (op.BLOCK, op.LOOP, op.IF):
                depth += 1
            elif code == op.ELSE:
                self.listing[-1] = "    " * (depth - 1) + _describe(code, imm) + f"  # @{offset:#x}"
            h = handlers.get(code)
            if h is not None:
                h(self, i, imm)
            else:
                self.numeric(code, imm)
            i += 1
        return self.finish()

    def finish(self) -> TranslationResult:
        out = []
        start_code, end_code = self.start_code, self.end_code
        for idx, ins in enumerate(self.out):
            if idx in end_code:
                out.extend(end_code[idx])
            if idx in start_code:
                out.extend(start_code[idx])
            out.append(ins)
        bc = Bytecode(out)
        bc.name = self.name
        bc.qualname = self.name
        bc.filename = self.filename
        bc.first_lineno = 1
        nparams = len(self.info.type.params)
        bc.argcount = nparams
        bc.argnames = self.locals[:nparams]
        stacksize = compute_stacksize(out)
        code = bc.to_code(stacksize=stacksize, check_pre_and_post=False,
                          compute_exception_stack_depths=False)
        return TranslationResult(code, "\n".join(self.listing) + "\n", self.name)

    # -- control ------------------------------------------------------------------

    def dead(self) -> None:
        self.live = False

    def begin_block(self, i: int, kind: str) -> Frame:
        ft = self.info.block_types[i]
        base = len(self.stack) - len(ft.params)
        frame = Frame(kind, Label(), base, ft.params, ft.results, i, self.info.ends[i],
                      entry_pos=len(self.out))
        self.frames.append(frame)
        return frame

    def op_block(self, i, imm):
        self.begin_block(i, "block")

    def op_loop(self, i, imm):
        frame = self.begin_block(i, "loop")
        n = len(frame.params)
        if n:  # back-edges carry NORM values: make the entry edge agree
            fx = self.norm_fixups(n)
            if fx:
                self.prepare(n, (), fx)
        self.place(frame.label)
        if self.ensure_termination:
            self.emit(Ops.load_global_callable("check_termination") + Ops.call(0) + [Instr("POP_TOP")])

    def op_if(self, i, imm):
        cond = self.stack.pop()
        self.emit(_mask_code(cond))
        frame = self.begin_block(i, "if")
        frame.else_i = self.info.elses.get(i)
        frame.else_label = Label()
        frame.in_then = True
        frame.param_states = [s.state for s in self.stack[frame.base:]]
        self.emit(Ops.jump_if(False, frame.else_label, False, cond.state == BOOL))

    def reach_end(self, frame: Frame, states: list) -> None:
        if frame.merged is None:
            frame.merged = list(states)
        else:
            frame.merged = [merge_state(a, b) for a, b in zip(frame.merged, states)]

    def op_else(self, i, imm):
        frame = self.frames[-1]
        if self.live:
            self.reach_end(frame, [s.state for s in self.stack[frame.base:]])
            self.emit(Ops.jump(frame.label, False))
        del self.stack[frame.base:]
        self.place(frame.else_label)
        for t, st in zip(frame.params, frame.param_states):
            self.stack.append(Slot(t, st, None))
        frame.in_then = False
        self.live = True

    def op_end(self, i, imm):
        frame = self.frames[-1]
        if frame.kind == "func":
            if self.live:
                self.do_return()
            self.frames.pop()
            return
        self.frames.pop()
        if self.live:
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
        self.barrier = len(self.out)
        del self.stack[frame.base:]
        if reachable:
            for t, st in zip(frame.results, states):
                self.stack.append(Slot(t, st, frame.entry_pos))
            self.live = True
        else:
            self.live = False

    def transfer(self, frame: Frame, values: list[Slot], extras: int) -> None:
        """Emit the stack shuffling of a taken branch: normalise what a loop header
        expects and drop `extras` slots under the `values` the label takes."""
        arity = len(values)
        need_norm = frame.kind in ("loop", "func") and any(s.state == WIDE for s in values)
        if arity == 0:
            self.emit([Instr("POP_TOP") for _ in range(extras)])
        elif arity == 1:
            if need_norm:
                self.emit(_mask_code(values[0]))
            for _ in range(extras):
                self.emit([Instr("SWAP", 2), Instr("POP_TOP")])
        elif extras or need_norm:
            temps = [self.temp(k) for k in range(arity)]
            self.emit([Instr("STORE_FAST", t) for t in reversed(temps)])
            self.emit([Instr("POP_TOP") for _ in range(extras)])
            for t, s in zip(temps, values):
                self.emit([Instr("LOAD_FAST", t)] + (_mask_code(s) if need_norm else []))

    def branch_code(self, depth: int) -> None:
        """Unconditional branch to label `depth` from the current stack (not popped)."""
        frame = self.frames[-1 - depth]
        if frame.kind == "func":
            self.emit_return()
            return
        arity = len(frame.label_types)
        values = self.stack[len(self.stack) - arity:] if arity else []
        extras = len(self.stack) - arity - frame.base
        if frame.kind != "loop":
            self.reach_end(frame, [s.state for s in values])
        self.transfer(frame, values, extras)
        self.emit(Ops.jump(frame.label, frame.kind == "loop"))

    def op_br(self, i, imm):
        self.branch_code(imm)
        self.dead()

    def op_br_if(self, i, imm):
        cond = self.stack.pop()
        self.emit(_mask_code(cond))
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
        else:
            skip = Label()
            self.emit(Ops.jump_if(False, skip, False, is_bool))
            self.branch_code(imm)
            self.place(skip)

    def op_br_table(self, i, imm):
        labels, default = imm
        idx = self.stack.pop()
        self.emit(_mask_code(idx))
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
        for d, lab in leaves.items():
            self.place(lab)
            self.emit1("POP_TOP")
            self.branch_code(d)
        self.dead()

    def br_tree(self, runs: list, leaves: dict) -> None:
        if len(runs) == 1:
            self.emit(Ops.jump(leaves[runs[0][1]], False))
            return
        mid = len(runs) // 2
        left = Label()
        self.emit([Instr("COPY", 1), Instr("LOAD_CONST", runs[mid][0]),
                   Instr("COMPARE_OP", Compare.LT)])
        self.emit(Ops.jump_if(True, left, False, True))
        self.br_tree(runs[mid:], leaves)
        self.place(left)
        self.br_tree(runs[:mid], leaves)

    def emit_return(self) -> None:
        results = self.info.type.results
        k = len(results)
        extras = len(self.stack) - k
        values = self.stack[extras:]
        if k == 0:
            self.emit([Instr("POP_TOP") for _ in range(extras)])
            self.emit(Ops.return_none())
            return
        if k == 1:
            self.emit(_mask_code(values[0]))
        else:
            temps = [self.temp(j) for j in range(k)]
            self.emit([Instr("STORE_FAST", t) for t in reversed(temps)])
            for t, s in zip(temps, values):
                self.emit([Instr("LOAD_FAST", t)] + _mask_code(s))
            self.emit1("BUILD_TUPLE", k)
        for _ in range(extras):
            self.emit([Instr("SWAP", 2), Instr("POP_TOP")])
        self.emit(Ops.return_value())

    def do_return(self) -> None:
        self.emit_return()
        self.dead()

    def op_return(self, i, imm):
        self.do_return()

    def op_unreachable(self, i, imm):
        # the helper raises; the return only keeps the code from ending without one
        self.emit(Ops.load_global_callable("unreachable") + Ops.call(0) + Ops.return_value())
        self.dead()

    def op_nop(self, i, imm):
        self.emit1("NOP")

    # -- calls --------------------------------------------------------------------

    def op_call(self, i, imm):
        ft = self.func_types[imm]
        self.call_global(f"f{imm}", len(ft.params), results=ft.results)

    def op_call_indirect(self, i, imm):
        typeidx, table = imm
        ft = self.module.types[typeidx]
        n = len(ft.params)
        idx = self.stack[-1]
        args = self.stack[len(self.stack) - 1 - n:-1]
        start = args[0].start if n else idx.start
        self.emit(_mask_code(idx))
        temps = [self.temp(k) for k in range(n + 1)]
        self.emit([Instr("STORE_FAST", t) for t in reversed(temps)])
        self.emit(Ops.load_global_callable("call_indirect")
                  + [Instr("LOAD_GLOBAL", (False, f"T{table}")), Instr("LOAD_FAST", temps[n]),
                     Instr("LOAD_GLOBAL", (False, f"ty{typeidx}"))] + Ops.call(3)
                  + Ops.null_for_callable_on_top())
        for t, s in zip(temps, args):
            self.emit([Instr("LOAD_FAST", t)] + _mask_code(s))
        self.pop(n + 1)
        self.emit(Ops.call(n))
        self.push_results(ft.results, start)

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
        self.prepare(n, Ops.load_global_callable("TailCall")
                     + [Instr("LOAD_GLOBAL", (False, target))], self.norm_fixups(n))
        self.pop(n)
        self.emit([Instr("BUILD_TUPLE", n)] + Ops.call(2))
        self.return_marker()

    def op_return_call_indirect(self, i, imm):
        typeidx, table = imm
        n = len(self.module.types[typeidx].params)
        idx = self.stack[-1]
        self.emit(_mask_code(idx))
        args = self.stack[len(self.stack) - 1 - n:-1]
        temps = [self.temp(k) for k in range(n + 1)]
        self.emit([Instr("STORE_FAST", t) for t in reversed(temps)])
        self.emit(Ops.load_global_callable("TailCall")
                  + Ops.load_global_callable("call_indirect_tail")
                  + [Instr("LOAD_GLOBAL", (False, f"T{table}")), Instr("LOAD_FAST", temps[n]),
                     Instr("LOAD_GLOBAL", (False, f"ty{typeidx}"))] + Ops.call(3))
        for t, s in zip(temps, args):
            self.emit([Instr("LOAD_FAST", t)] + _mask_code(s))
        self.pop(n + 1)
        self.emit([Instr("BUILD_TUPLE", n)] + Ops.call(2))
        self.return_marker()

    def return_marker(self) -> None:
        """Return the TailCall on top of the stack, dropping what lies under it."""
        for _ in range(len(self.stack)):
            self.emit([Instr("SWAP", 2), Instr("POP_TOP")])
        self.emit(Ops.return_value())
        self.dead()

    # -- parametric and variables ----------------------------------------------------

    def op_drop(self, i, imm):
        self.stack.pop()
        self.emit1("POP_TOP")

    def op_select(self, i, imm):
        cond = self.stack.pop()
        self.emit(_mask_code(cond))
        b = self.stack.pop()
        a = self.stack[-1]
        other, end = Label(), Label()
        self.emit(Ops.jump_if(False, other, False, cond.state == BOOL))
        self.emit([Instr("POP_TOP"), Instr("JUMP_FORWARD", end)])
        self.place(other)
        self.emit([Instr("SWAP", 2), Instr("POP_TOP")])
        self.place(end)
        a.state = merge_state(a.state, b.state)

    op_select_t = op_select

    def op_local_get(self, i, imm):
        self.push(self.local_types[imm])
        self.emit1("LOAD_FAST", self.locals[imm])

    def op_local_set(self, i, imm):
        s = self.stack.pop()
        self.emit(_mask_code(s))
        self.emit1("STORE_FAST", self.locals[imm])

    def op_local_tee(self, i, imm):
        s = self.stack[-1]
        self.emit(_mask_code(s))
        if s.state == WIDE:
            s.state = NORM
        self.emit([Instr("COPY", 1), Instr("STORE_FAST", self.locals[imm])])

    def op_global_get(self, i, imm):
        self.push(self.global_types[imm].type)
        self.emit1("LOAD_GLOBAL", (False, f"g{imm}"))
        if imm in self.cell_globals:
            self.emit(Ops.unpack_one())

    def op_global_set(self, i, imm):
        s = self.stack.pop()
        self.emit(_mask_code(s))
        if imm in self.cell_globals:
            self.emit([Instr("LOAD_GLOBAL", (False, f"g{imm}"))] + Ops.store_item_zero())
        else:
            self.emit1("STORE_GLOBAL", f"g{imm}")

    # -- constants and references ---------------------------------------------------

    def const(self, type, value) -> None:
        self.push(type)
        self.emit1("LOAD_CONST", value)

    def op_i32_const(self, i, imm):
        self.const(I32, imm)

    def op_i64_const(self, i, imm):
        self.const(I64, imm)

    def op_f32_const(self, i, imm):
        from ..runtime.numeric import f32_from_bits
        self.const(F32, f32_from_bits(imm))

    def op_f64_const(self, i, imm):
        from ..runtime.numeric import f64_from_bits
        self.const(F64, f64_from_bits(imm))

    def op_v128_const(self, i, imm):
        self.const(V128, imm)

    def op_ref_null(self, i, imm):
        self.push(ValueType(imm))
        self.emit1("LOAD_CONST", None)

    def op_ref_is_null(self, i, imm):
        self.stack[-1].type = I32
        self.stack[-1].state = BOOL
        self.emit(Ops.is_none())

    def op_ref_func(self, i, imm):
        self.push(ValueType.FUNCREF)
        self.emit1("LOAD_GLOBAL", (False, f"F{imm}"))

    # -- memory -------------------------------------------------------------------

    def address_fixup(self, offset: int, slot: Slot) -> list:
        code = _mask_code(slot)
        if offset:
            code += [Instr("LOAD_CONST", offset), Instr("BINARY_OP", BinaryOp.ADD)]
        return code

    def load(self, name: str, imm) -> None:
        info = op.BY_NAME[name]
        addr = self.stack[-1]
        fx = {0: self.address_fixup(imm[1], addr)}
        if name == "f32.load":
            self.call_global("load_f32", 1, leading=[Instr("LOAD_GLOBAL", (False, "mem0"))],
                             nleading=1, fixups=fx, results=(F32,), normalize=False)
            return
        fn, state = LOADS[name]
        start = self.prepare(1, Ops.load_global_callable(fn) + [Instr("LOAD_GLOBAL", (False, "mem0"))], fx)
        self.pop(1)
        self.emit(Ops.call(2) + Ops.unpack_one())
        self.push(info.results[0], state, start)

    def store(self, name: str, imm) -> None:
        addr, value = self.stack[-2], self.stack[-1]
        fx = {0: self.address_fixup(imm[1], addr)}
        if name == "f32.store":
            fn = "store_f32"
        else:
            fn, mask = STORES[name]
            if mask is None:
                fx[1] = _mask_code(value)
            elif value.state != NORM or mask != MASK.get(value.type):
                fx[1] = [Instr("LOAD_CONST", mask), Instr("BINARY_OP", BinaryOp.AND)]
        self.call_global(fn, 2, leading=[Instr("LOAD_GLOBAL", (False, "mem0"))], nleading=1,
                         fixups=fx, normalize=False)

    def op_memory_size(self, i, imm):
        self.push(I32)
        self.emit(Ops.load_global_callable("len") + [Instr("LOAD_GLOBAL", (False, "mem0"))]
                  + Ops.call(1) + [Instr("LOAD_CONST", 16), Instr("BINARY_OP", BinaryOp.RSHIFT)])

    def op_memory_grow(self, i, imm):
        self.call_global("memory_grow", 1, leading=[Instr("LOAD_GLOBAL", (False, "M0"))],
                         nleading=1, results=(I32,))

    def mem_call(self, fn: str, n: int, results=(), extra=()) -> None:
        leading = [Instr("LOAD_GLOBAL", (False, "mem0"))] + [Instr("LOAD_GLOBAL", (False, x)) for x in extra]
        self.call_global(fn, n, leading=leading, nleading=1 + len(extra), results=results)

    # -- generic: numeric, bulk memory, tables, SIMD, atomics --------------------------

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

    def special(self, info, imm) -> None:
        name = info.name
        kind = info.imm
        if kind == op.IMM_MEMARG:  # SIMD loads/stores and atomics: helper(mem, addr, ...)
            n = len(info.params)
            fx = {0: self.address_fixup(imm[1], self.stack[-n])}
            # wait/notify need the Memory object (shared flag, waiters), not its bytes
            memory = "M0" if name.startswith("memory.atomic.") else "mem0"
            self.call_global(L.helper_name(name), n, leading=[Instr("LOAD_GLOBAL", (False, memory))],
                             nleading=1, fixups=fx, results=info.results)
        elif kind == op.IMM_MEMARG_LANE:
            n = len(info.params)
            fx = {0: self.address_fixup(imm[1], self.stack[-n]),
                  n - 1: [Instr("LOAD_CONST", imm[2])]}
            self.call_global(L.helper_name(name), n, leading=[Instr("LOAD_GLOBAL", (False, "mem0"))],
                             nleading=1, fixups=fx, results=info.results)
        elif kind == op.IMM_LANE:
            n = len(info.params)
            self.call_global(L.helper_name(name), n, fixups={n - 1: [Instr("LOAD_CONST", imm)]},
                             results=info.results)
        elif kind == op.IMM_SHUFFLE:
            self.call_global("i8x16_shuffle", 2, fixups={1: [Instr("LOAD_CONST", imm)]},
                             results=info.results)
        elif kind == op.IMM_NONE and info.params is not None:
            self.call_global(L.helper_name(name), len(info.params), results=info.results)
        else:
            handler = SPECIAL.get(name)
            if handler is None:
                raise NotImplementedError(f"no lowering for {name}")
            handler(self, imm)

    def inline(self, info, spec) -> None:
        kind = spec[0]
        stack = self.stack
        rtype = info.results[0]
        if kind in (L.ARITH, L.AND, L.ORX, L.FARITH):
            b = stack.pop()
            a = stack[-1]
            self.emit1("BINARY_OP", spec[1])
            if kind == L.ARITH:
                state = WIDE
            elif kind == L.AND:
                state = NORM if (a.state != WIDE or b.state != WIDE) else WIDE
            elif kind == L.ORX:
                state = NORM if (a.state != WIDE and b.state != WIDE) else WIDE
            else:
                state = NORM
            a.state = state
            a.type = rtype
        elif kind in (L.SHL, L.SHR_U, L.SHR_S):
            width = spec[1]
            fx = {1: [Instr("LOAD_CONST", width - 1), Instr("BINARY_OP", BinaryOp.AND)]}
            if kind != L.SHL:
                fx[0] = _mask_code(stack[-2])
                if kind == L.SHR_S:
                    sign = 1 << (width - 1)
                    fx[0] = fx[0] + [Instr("LOAD_CONST", sign), Instr("BINARY_OP", BinaryOp.XOR),
                                     Instr("LOAD_CONST", sign), Instr("BINARY_OP", BinaryOp.SUBTRACT)]
            self.prepare(2, (), fx)
            stack.pop()
            self.emit1("BINARY_OP", BinaryOp.LSHIFT if kind == L.SHL else BinaryOp.RSHIFT)
            stack[-1].state = NORM if kind == L.SHR_U else WIDE
        elif kind == L.DIV_U:
            self.prepare(2, (), self.norm_fixups(2))
            stack.pop()
            self.emit1("BINARY_OP", spec[1])
            stack[-1].state = NORM
        elif kind in (L.CMP, L.CMP_S):
            fx = self.norm_fixups(2)
            if kind == L.CMP_S:
                sign = 1 << (spec[2] - 1)
                fx = {k: fx.get(k, []) + [Instr("LOAD_CONST", sign), Instr("BINARY_OP", BinaryOp.XOR)]
                      for k in (0, 1)}
            self.prepare(2, (), fx)
            stack.pop()
            self.emit1("COMPARE_OP", spec[1])
            stack[-1].type = I32
            stack[-1].state = BOOL
        elif kind == L.EQZ:
            self.emit(_mask_code(stack[-1]) + [Instr("LOAD_CONST", 0), Instr("COMPARE_OP", Compare.EQ)])
            stack[-1].type = I32
            stack[-1].state = BOOL
        elif kind == L.FNEG:
            self.emit1("UNARY_NEGATIVE")
        elif kind == L.WRAP:
            self.emit([Instr("LOAD_CONST", 0xFFFFFFFF), Instr("BINARY_OP", BinaryOp.AND)])
            stack[-1].type = I32
            stack[-1].state = NORM
        elif kind == L.NOP_CONV:
            self.emit(_mask_code(stack[-1]))
            stack[-1].type = I64
            stack[-1].state = NORM
        elif kind == L.SEXT:
            bits = spec[2]
            sign = 1 << (bits - 1)
            self.emit([Instr("LOAD_CONST", (1 << bits) - 1), Instr("BINARY_OP", BinaryOp.AND),
                       Instr("LOAD_CONST", sign), Instr("BINARY_OP", BinaryOp.XOR),
                       Instr("LOAD_CONST", sign), Instr("BINARY_OP", BinaryOp.SUBTRACT)])
            stack[-1].type = rtype
            stack[-1].state = WIDE
        else:  # pragma: no cover - the table and this dispatch are kept in step
            raise AssertionError(kind)


def _special_table() -> dict:
    def memory_fill(t, imm):
        t.mem_call("memory_fill", 3)

    def memory_copy(t, imm):
        t.mem_call("memory_copy", 3)

    def memory_init(t, imm):
        t.mem_call("memory_init", 3, extra=(f"D{imm[0]}",))

    def data_drop(t, imm):
        t.call_global("data_drop", 0, leading=[Instr("LOAD_GLOBAL", (False, f"D{imm}"))], nleading=1)

    def table_call(fn, n, results=(), names=lambda imm: ()):
        def lower(t, imm):
            leading = [Instr("LOAD_GLOBAL", (False, x)) for x in names(imm)]
            t.call_global(fn, n, leading=leading, nleading=len(leading), results=results)
        return lower

    def atomic_fence(t, imm):
        t.emit1("NOP")

    return {
        "memory.fill": memory_fill, "memory.copy": memory_copy, "memory.init": memory_init,
        "data.drop": data_drop,
        "table.get": None, "table.set": table_call("table_set", 2, (), lambda imm: (f"T{imm}",)),
        "table.size": table_call("table_size", 0, (I32,), lambda imm: (f"T{imm}",)),
        "table.grow": table_call("table_grow", 2, (I32,), lambda imm: (f"TT{imm}",)),
        "table.fill": table_call("table_fill", 3, (), lambda imm: (f"T{imm}",)),
        "table.copy": table_call("table_copy", 3, (), lambda imm: (f"T{imm[0]}", f"T{imm[1]}")),
        "table.init": table_call("table_init", 3, (), lambda imm: (f"T{imm[1]}", f"E{imm[0]}")),
        "elem.drop": table_call("elem_drop", 0, (), lambda imm: (f"E{imm}",)),
        "atomic.fence": atomic_fence,
    }


SPECIAL = _special_table()


def _table_get(t: Translator, imm):
    elem = t.module.all_tables()[imm].elem
    t.call_global("table_get", 1, leading=[Instr("LOAD_GLOBAL", (False, f"T{imm}"))], nleading=1,
                  results=(elem,))


SPECIAL["table.get"] = _table_get



def _describe(code: int, imm) -> str:
    name = op.name_of(code)
    if imm is None or code in (op.BLOCK, op.LOOP, op.IF):
        return name
    return f"{name} {imm}"


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


def compute_stacksize(instrs: list) -> int:
    """Exact maximum stack depth of a structured instruction list (one forward pass:
    every label is reached by fall-through or by a jump seen before it, except loop
    headers, which are reached by fall-through first)."""
    depth = 0
    best = 0
    at_label: dict = {}
    live = True
    for ins in instrs:
        if isinstance(ins, Label):
            if ins in at_label:
                depth = at_label[ins]
            live = True
            continue
        if not live:
            continue
        if ins.has_jump():
            target = ins.arg
            if not ins.is_uncond_jump():
                d = depth + ins.stack_effect(jump=True)
                at_label.setdefault(target, d)
                depth += ins.stack_effect(jump=False)
            else:
                at_label.setdefault(target, depth)
                live = False
        else:
            depth += ins.stack_effect()
            if ins.name == "RETURN_VALUE":
                live = False
        if depth > best:
            best = depth
    return best + 1

"""The code generator, end to end, against wasmtime.

Every module here is compiled by transpyle (`Runtime().compile`) and by wasmtime from the
same bytes, run with the same raw arguments (`call_raw`: integers and IEEE bit patterns
only) and compared bit for bit; where the specification lets a NaN result be any
arithmetic NaN, both must be NaNs and ours quiet (canonical where required). Traps must
agree, with the spec's message at the start of ours.

1. Instructions: every scalar numeric instruction of Wasm 2.0 in one module per
   instruction holding its variants: operands from parameters; a constant as the second
   or the first operand (one function per edge constant) or both; operands that arrive
   out of range ("WIDE", lazy wrap-around: `x + 2**31 + 2**31`, `x - 2**31 - 2**31` with
   2**31 from a global, `(x + 0x7fffffff) (y * y)`), alone or beside a constant; and observers that look at the
   result where a missed mask or a result state claimed wrongly would show (`shr_u`,
   `rem_u`, `eqz`, a store and a load, `extend`/`convert`, `if`, `br_if`,
   `f64.promote_f32` of an f32 result). wasmtime runs all the cases of a module in one
   call (a driver loop in the module reads the operands from memory: wasmtime-py costs
   ~80 us a call); transpyle is called once per case through `call_raw`.
   Loads and stores likewise: addresses in and out of bounds from parameters, out of
   range or constants (folded with the offset), offsets up to 2**32-1, edge values.
2. Expression trees (hypothesis): well-typed random trees mixing i32/i64/f32/f64 ops,
   parameters, locals, edge constants, `select`, `if`/`else`, `block` + `br_if` carrying a
   value over junk, `br_table` out of three blocks, a block with two results feeding an
   `if` with a parameter, loops with a parameter, `local.tee`/`local.set` (also of params),
   globals, loads and stores at in-bounds addresses computed by the tree, `unreachable`,
   an early `return` and calls to helper functions (one with two results) whose bodies are
   random trees too. Results, traps, the memory and the globals are compared. NaNs made by
   arithmetic are canonicalised inside the module (both engines may pick any payload).
   The trees avoid the shapes of open bugs listed in KNOWN_BUGS (each pinned by a
   strict-xfail fixed test), so that they keep finding others meanwhile.
   TRANSPYLE_DIFF_SCALE=N runs N times the examples.
3. Branch shapes: fixed modules for `br_table` (many targets, two values, junk), branches
   out of nested blocks with junk under the carried values, branches not taken,
   loops with parameters (back edges by br_if, br and br_table), multi-value blocks,
   `if` with parameters and functions, `return` from nested blocks, `select`, dead code,
   and evaluation order around stores, calls, local/global writes and traps.
"""

from __future__ import annotations

import itertools
import os
import random
import struct
import sys
import zlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import wasm_oracle as W
from test_numeric import EDGES as _EDGES_BY_VALUETYPE
from test_numeric import NAN_OPS, operand
from transpyle.wasm.opcodes import BY_NAME, OPS

EDGES = {str(t): v for t, v in _EDGES_BY_VALUETYPE.items()}
CARRIER = W.CARRIER
MASK = W.MASK
INT = ("i32", "i64")
M32, M64 = W.M32, W.M64
FLOAT = ("f32", "f64")

_FC = 0xFC << 16
NUMERIC_OPS = sorted(info.name for code, info in OPS.items()
                     if 0x45 <= code <= 0xC4 or _FC <= code <= _FC | 7)


@pytest.fixture(scope="module", autouse=True)
def _engines():
    W.wasmtime_oracle()  # skips the module's tests if wasmtime is missing
    yield
    W.release()


def sig(name):
    info = BY_NAME[name]
    return [str(t) for t in info.params], str(info.results[0])


# ======================================================================================
# 1. One instruction, in every variant
# ======================================================================================
def get_operand(k: int, t: str) -> list:
    """Parameter k (its carrier type) as a value of type t."""
    code = [f"local.get {k}"]
    if t == "f32":
        code.append("f32.reinterpret_i32")
    elif t == "f64":
        code.append("f64.reinterpret_i64")
    return code


# Out-of-range operands: parameter k plus or minus 2**N (the same wasm value). The half
# 2**(N-1) comes from a mutable global, so no constant folding or rewriting
# (`+ 0xFFFFFFFF` -> `- 1`) can bring the value back in range; every module that uses
# these declares WIDE_GLOBALS.
WIDE_GLOBALS = ("  (global $half_i32 (mut i32) (i32.const 0x80000000))\n"
                "  (global $half_i64 (mut i64) (i64.const 0x8000000000000000))\n")


def wide_up(k: int, t: str) -> list:
    """Parameter k plus 2**N: the same wasm value, held out of range above."""
    return [f"local.get {k}", f"global.get $half_{t}", f"{t}.add", f"global.get $half_{t}",
            f"{t}.add"]


def wide_down(k: int, t: str) -> list:
    """Parameter k minus 2**N: the same wasm value, held below zero."""
    return [f"local.get {k}", f"global.get $half_{t}", f"{t}.sub", f"global.get $half_{t}",
            f"{t}.sub"]


def mixed(k: int, t: str) -> list:
    """The brief's shape: (x + 0x7fff...) for operand 0, (y * y) for operand 1."""
    if k == 0:
        return [f"local.get {k}", f"{t}.const {MASK[t] >> 1:#x}", f"{t}.add"]
    return [f"local.get {k}", f"local.get {k}", f"{t}.mul"]


def to_carrier(t: str) -> list:
    return {"f32": ["i32.reinterpret_f32"], "f64": ["i64.reinterpret_f64"]}.get(t, [])


@dataclass
class Variant:
    name: str
    body: list  # instructions, ending with the op's result as the carrier type
    cases: list  # argument tuples (carrier bits, one per op parameter)
    nan: str = W.EXACT
    operands: object = None  # args -> operand bits (for CANONICAL_IF), None: the args


# Observers: code after the op's result (type R) that makes a wrong lazy state visible;
# each leaves the result type's carrier. `before` goes before the operands.
def observers(r: str) -> dict:
    obs = {}
    if r in INT:
        obs["shr1"] = ([], [f"{r}.const 1", f"{r}.shr_u"])
        obs["rem3"] = ([], [f"{r}.const 3", f"{r}.rem_u"])
        obs["rotl8"] = ([], [f"{r}.const 8", f"{r}.rotl"])
        obs["eqz"] = ([], [f"{r}.eqz"] + (["i64.extend_i32_u"] if r == "i64" else []))
        obs["store"] = (["i32.const 131056"], [f"{r}.store", "i32.const 131056", f"{r}.load"])
        obs["store8"] = (["i32.const 131056"], [f"{r}.store8 offset=1", "i32.const 131056",
                                                 f"{r}.load8_u offset=1"])
        obs["cvt"] = ([], [f"f64.convert_{r}_u", "i64.reinterpret_f64"]
                      + (["i64.const 20", "i64.shr_u", "i32.wrap_i64"] if r == "i32" else []))
    if r == "i32":
        obs["ext"] = ([], ["i64.extend_i32_u", "i64.const 16", "i64.shr_u", "i32.wrap_i64"])
        obs["exts"] = ([], ["i64.extend_i32_s", "i64.const 16", "i64.shr_u", "i32.wrap_i64"])
        obs["if"] = ([], ["if (result i32)", "i32.const 7", "else", "i32.const 9", "end"])
        obs["brif"] = (["block (result i32)", "i32.const 7"],
                       ["br_if 0", "drop", "i32.const 9", "end"])
        obs["select"] = (["i32.const 5", "i32.const 6"], ["select"])
    if r == "f32":  # an unrounded f32 shows in the low bits of its promotion (NaN: 0)
        obs["promote"] = (["i32.const 0"],
                          ["local.tee $lf32", "f64.promote_f32", "i64.reinterpret_f64",
                           "i32.wrap_i64", "local.get $lf32", "local.get $lf32", "f32.ne",
                           "select"])
    return obs


def _sample(rng, items, n):
    items = list(items)
    return items if len(items) <= n else rng.sample(items, n)


def _random_bits(rng, t, n):
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(rng.choice(EDGES[t]))
        else:
            out.append(rng.getrandbits(W.WIDTH[t]))
    return out


def instruction_variants(name) -> list[Variant]:
    params, r = sig(name)
    rng = random.Random(zlib.crc32(name.encode()))
    nan = W.CANONICAL_IF if name in NAN_OPS else W.EXACT
    op = [name] + to_carrier(r)
    variants = []
    n = len(params)
    if n == 1:
        (p,) = params
        plain_cases = [(a,) for a in EDGES[p]] + [(a,) for a in _random_bits(rng, p, 200)]
        variants.append(Variant("plain", get_operand(0, p) + op, plain_cases, nan))
        for j, c in enumerate(EDGES[p]):
            variants.append(Variant(f"k{j}", [W.wat_const(p, c)] + op, [(0,)], nan,
                                    lambda args, c=c: (c,)))
        if p in INT:
            variants.append(Variant("wide+", wide_up(0, p) + op, plain_cases, nan))
            variants.append(Variant("wide-", wide_down(0, p) + op, plain_cases, nan))
            variants.append(Variant("mixed", mixed(0, p) + op, plain_cases, nan))
            forms = {"n": get_operand(0, p), "w": wide_down(0, p)}
        else:
            forms = {"": get_operand(0, p)}
        obs_cases = plain_cases
    else:
        p0, p1 = params
        product = list(itertools.product(EDGES[p0], EDGES[p1]))
        randoms = list(zip(_random_bits(rng, p0, 300), _random_bits(rng, p1, 300)))
        plain_cases = product + randoms
        variants.append(Variant("plain", get_operand(0, p0) + get_operand(1, p1) + op,
                                plain_cases, nan))
        for j, c in enumerate(EDGES[p1]):
            variants.append(Variant(f"k{j}", get_operand(0, p0) + [W.wat_const(p1, c)] + op,
                                    [(a, 0) for a in EDGES[p0]], nan,
                                    lambda args, c=c: (args[0], c)))
        for j, c in enumerate(EDGES[p0]):
            variants.append(Variant(f"c{j}", [W.wat_const(p0, c)] + get_operand(1, p1) + op,
                                    [(0, b) for b in EDGES[p1]], nan,
                                    lambda args, c=c: (c, args[1])))
        for j, (a, b) in enumerate(_sample(rng, product, 48)):
            variants.append(Variant(f"kk{j}", [W.wat_const(p0, a), W.wat_const(p1, b)] + op,
                                    [(0, 0)], nan, lambda args, a=a, b=b: (a, b)))
        if p0 in INT:  # (both operands have the same type in every binary op)
            variants.append(Variant("wide", wide_up(0, p0) + wide_down(1, p1) + op,
                                    plain_cases, nan))
            variants.append(Variant("mixed", mixed(0, p0) + mixed(1, p1) + op,
                                    plain_cases, nan))
            for j, c in enumerate(EDGES[p1]):
                variants.append(Variant(f"wk{j}", wide_up(0, p0) + [W.wat_const(p1, c)] + op,
                                        [(a, 0) for a in EDGES[p0]], nan))
            for j, c in enumerate(EDGES[p0]):
                variants.append(Variant(f"wc{j}", [W.wat_const(p0, c)] + wide_down(1, p1) + op,
                                        [(0, b) for b in EDGES[p1]], nan))
            forms = {"nn": get_operand(0, p0) + get_operand(1, p1),
                     "ww": wide_up(0, p0) + wide_down(1, p1),
                     "wn": wide_up(0, p0) + get_operand(1, p1),
                     "nw": get_operand(0, p0) + wide_down(1, p1)}
        else:
            forms = {"": get_operand(0, p0) + get_operand(1, p1)}
        obs_cases = _sample(rng, product, 300) + randoms[:60]
    # observers of the result, for operands in each state (N: in range, W: out of range)
    for oname, (before, after) in observers(r).items():
        for fname, operand_code in forms.items():
            variants.append(Variant(f"o_{oname}_{fname}", before + operand_code + [name] + after
                                    + (to_carrier(r) if oname != "promote" else []),
                                    obs_cases))
    return variants


def instruction_module(name) -> tuple[str, list[Variant]]:
    params, r = sig(name)
    variants = instruction_variants(name)
    cparams = " ".join(CARRIER[p] for p in params)
    cr = CARRIER[r]
    funcs = []
    for k, v in enumerate(variants):
        funcs.append(
            f'  (func $v{k} (export "{v.name}") (type $t) (local $li32 i32) (local $li64 i64)'
            f" (local $lf32 f32) (local $lf64 f64)\n    " + "\n    ".join(v.body) + ")")
    loads = []
    for k, p in enumerate(params):
        loads += ["local.get $i", "i32.const 4", "i32.shl", f"{CARRIER[p]}.load offset={8 * k}"]
    store_result = [] if cr == "i64" else ["i64.extend_i32_u"]
    driver = f"""
  (func (export "batch") (param $f i32) (param $start i32) (param $n i32) (local $i i32)
    local.get $start
    local.set $i
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        global.set $at
        local.get $i
        i32.const 3
        i32.shl
        {" ".join(loads)}
        local.get $f
        call_indirect (type $t)
        {" ".join(store_result)}
        i64.store offset=65536
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end)"""
    wat = (f"(module\n  (type $t (func (param {cparams}) (result {cr})))\n"
           f'  (memory (export "mem") 2)\n'
           f'  (global $at (export "at") (mut i32) (i32.const 0))\n' + WIDE_GLOBALS
           + f"  (table funcref (elem {' '.join(f'$v{k}' for k in range(len(variants)))}))\n"
           + "\n".join(funcs) + driver + ")\n")
    return wat, variants


BATCH = 4096  # cases per driver call: operands at 16*i, results at 65536 + 8*i


def wasmtime_batch(inst: W.WtInstance, findex: int, cases: list, params: list, r: str) -> list:
    """wasmtime's outcome for every case of variant `findex`."""
    out = []
    mask = MASK[CARRIER[r]]
    for lo in range(0, len(cases), BATCH):
        chunk = cases[lo:lo + BATCH]
        buf = bytearray(16 * len(chunk))
        for i, args in enumerate(chunk):
            for k, a in enumerate(args):
                struct.pack_into("<Q", buf, 16 * i + 8 * k, a)
        inst.write(0, bytes(buf))
        start = 0
        traps = {}
        while start < len(chunk):
            outcome = inst.call("batch", (findex, start, len(chunk)), ())
            if outcome[0] == "ok":
                break
            at = inst.exports["at"].value(inst.store)
            traps[at] = outcome
            start = at + 1
        raw = inst.read(65536, 8 * len(chunk))
        for i in range(len(chunk)):
            out.append(traps.get(i) or ("ok", (struct.unpack_from("<Q", raw, 8 * i)[0] & mask,)))
    return out


@pytest.mark.parametrize("name", NUMERIC_OPS)
def test_instruction(name):
    params, r = sig(name)
    wat, variants = instruction_module(name)
    oracle, ours = W.wasmtime_oracle(), W.transpyle_engine()
    wasm = oracle.wat2wasm(wat)
    wt = oracle.instantiate(wasm)
    tp = ours.instantiate(wasm)
    rtypes = (r,)
    float_params = [(k, p) for k, p in enumerate(params) if p in FLOAT]
    checked = 0
    for k, v in enumerate(variants):
        expected = wasmtime_batch(wt, k, v.cases, params, r)
        fn = tp.inst.exports[v.name]
        for args, exp in zip(v.cases, expected):
            try:
                got = ("ok", tuple(fn.call_raw(*args)))
            except W.transpyle.Trap as trap:
                got = ("trap", str(trap))
            if got != exp:  # equal outcomes need no closer look
                ops = v.operands(args) if v.operands else args
                W.compare(f"{name} [{v.name}] args {W.show(args)}", rtypes, exp, got,
                          v.nan if r in FLOAT else W.EXACT,
                          [(p, ops[kk]) for kk, p in float_params])
            elif got[0] == "ok":
                assert type(got[1][0]) is int
            checked += 1
    assert checked > 0


# ======================================================================================
# 2. Random expression trees
# ======================================================================================
# A tree is a structure of frozen dataclasses (hypothesis shrinks the structure), rendered
# deterministically to flat WAT instructions. A "hole" is a value already on the stack
# that a tree consumes as its first-evaluated operand (a loop parameter, the value a
# br_table leaves in a block); it can only sit where evaluation starts.
from transpyle.wasm.types import F32 as _VF32, F64 as _VF64, I32 as _VI32, I64 as _VI64

VT = {"i32": _VI32, "i64": _VI64, "f32": _VF32, "f64": _VF64}
TYPES = ("i32", "i64", "f32", "f64")

OPS_BY_RESULT: dict[str, list[str]] = {t: [] for t in TYPES}
for _name in NUMERIC_OPS:
    OPS_BY_RESULT[sig(_name)[1]].append(_name)
for _t in TYPES:  # simplest first: hypothesis shrinks a choice towards index 0
    OPS_BY_RESULT[_t].sort(key=lambda n: (len(sig(n)[0]), n.split(".")[1] not in
                                          ("add", "sub", "mul", "and", "or", "xor"), n))
# the ops where lazy wrap-around matters: those that make out-of-range values and those
# that must mask before looking at one
HOT_OPS = {t: [n for n in OPS_BY_RESULT[t] if n.split(".", 1)[1] in (
    "add sub mul shl and or xor shr_u shr_s rotl div_u rem_u div_s rem_s eq ne lt_s lt_u "
    "ge_s gt_u eqz wrap_i64 extend_i32_u extend_i32_s extend8_s extend16_s extend32_s clz "
    "popcnt convert_i32_u convert_i64_u reinterpret_i32 reinterpret_i64 neg copysign").split()]
    for t in TYPES}
CHAIN_OPS = {t: [f"{t}.{op}" for op in (("add", "sub", "mul", "shl", "add", "sub", "mul",
                                          "shl", "and", "or", "xor")
                                        if t in INT else ("add", "sub", "mul", "neg"))]
             for t in TYPES}
BRIDGES = {(p, r): [n for n in NUMERIC_OPS if sig(n) == ([p], r)] for p in TYPES for r in TYPES}
TRAPPY = {n for n in NUMERIC_OPS if ".div_" in n or ".rem_" in n or ".trunc_f" in n}
DIVS = {n for n in NUMERIC_OPS if ".div_" in n or ".rem_" in n}
LOADS = {  # result type -> load ops
    "i32": ["i32.load", "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u"],
    "i64": ["i64.load", "i64.load8_s", "i64.load8_u", "i64.load16_s", "i64.load16_u",
            "i64.load32_s", "i64.load32_u"],
    "f32": ["f32.load"], "f64": ["f64.load"],
}
STORES = ["i32.store", "i64.store", "f32.store", "f64.store", "i32.store8", "i32.store16",
          "i64.store8", "i64.store16", "i64.store32"]

MAIN_PARAMS = ("i32", "i32", "i64", "i64", "f32", "f32", "f64", "f64")
H0_PARAMS, H0_RESULT = ("i32", "i64", "f64"), "i32"
H1_PARAMS, H1_RESULTS = ("i32", "f32"), ("i64", "f32")
MEM_DATA = 512  # initialised by a data segment
LOG_BASE = 768  # a ring of 32 8-byte slots: the values Log nodes saw, in order
MEM_COMPARED = 1024
MAX_LOOPS = 8  # loop counters: nesting depth

# Open transpyle bugs whose shapes the random trees steer around, so that the trees keep
# finding other bugs meanwhile; each has a strict-xfail fixed test in part 3 (when that
# test starts passing, remove the entry here too).
KNOWN_BUGS: set[str] = set()  # none open


@dataclass(frozen=True)
class Hole:
    t: str


@dataclass(frozen=True)
class Param:
    t: str
    index: int
    wide: int = 0  # ints: 1 = held as x + 2**N, 2 = as x - 2**N (both the same wasm value)


@dataclass(frozen=True)
class Const:
    t: str
    bits: int


@dataclass(frozen=True)
class LocalGet:
    t: str


@dataclass(frozen=True)
class GlobalGet:
    t: str


@dataclass(frozen=True)
class Unreachable:
    t: str


@dataclass(frozen=True)
class Un:
    op: str
    x: object


@dataclass(frozen=True)
class Bin:
    op: str
    a: object
    b: object
    guard: bool = False  # divisions: `b | 1` (never zero)


@dataclass(frozen=True)
class Select:
    t: str
    a: object
    b: object
    c: object
    typed: bool


@dataclass(frozen=True)
class If:
    t: str
    c: object
    then: object
    other: object


@dataclass(frozen=True)
class BrIf:  # block (result t) [junk] v c br_if 0 drop [drop] f end
    t: str
    junk: object
    v: object
    c: object
    f: object


@dataclass(frozen=True)
class BrTable:  # three nested blocks; post0 / post1 (hole trees) after the inner two
    t: str
    junk: object
    v: object
    idx: object
    small: bool  # idx & 3
    labels: tuple
    default: int
    post0: object
    post1: object


@dataclass(frozen=True)
class Pair:  # two values out of a block (br_if carries both), then an if with a parameter
    t: str  # block (result t i32) a b c br_if 0 drop drop fa fb end
    a: object  # if (param t) (result t) post0(hole) else post1(hole) end
    b: object
    c: object
    fa: object
    fb: object
    post0: object
    post1: object


@dataclass(frozen=True)
class Loop:  # init; loop (param t) (result t) body(hole) counter br_if 0 end
    t: str
    init: object
    body: object
    n: int
    via_if: bool = False  # the back edge as `if (param t) (result t) br 1 end`


@dataclass(frozen=True)
class Tee:  # x; local.tee L (or local.set L; local.get L): L a scratch local or a param
    x: object
    target: object = None  # None: the scratch local $s<t>; an int: that parameter
    set: bool = False


@dataclass(frozen=True)
class GlobalSet:
    x: object


@dataclass(frozen=True)
class Load:
    op: str
    addr: object
    offset: int
    align1: bool


@dataclass(frozen=True)
class Store:  # store (addr & 0xff) value, then the value of `rest`
    op: str
    addr: object
    value: object
    offset: int
    rest: object


@dataclass(frozen=True)
class Call0:  # $h0 (i32 i64 f64) -> i32, directly or through the table
    a: object
    b: object
    c: object
    indirect: bool


@dataclass(frozen=True)
class Call1:  # $h1 (i32 f32) -> (i64 f32); one result kept
    a: object
    b: object
    pick: int


@dataclass(frozen=True)
class Log:  # x, also written to the log ring: through $log_t, or inline (tee + store)
    x: object
    call: bool


@dataclass(frozen=True)
class Return:  # c if v return end; rest
    c: object
    v: object
    rest: object


def type_of(node) -> str:
    if isinstance(node, (Un, Bin)):
        return sig(node.op)[1]
    if isinstance(node, (Tee, GlobalSet, Log)):
        return type_of(node.x)
    if isinstance(node, Load):
        return node.op.split(".")[0]
    if isinstance(node, (Store, Return)):
        return type_of(node.rest)
    if isinstance(node, Call0):
        return H0_RESULT
    if isinstance(node, Call1):
        return H1_RESULTS[node.pick]
    return node.t


class Render:
    """Flat WAT for a tree. `ret`: the function's result type (for Return)."""

    def __init__(self, ret):
        self.ret = ret
        self.out: list[str] = []
        self.loops = 0

    def emit(self, *instrs):
        self.out.extend(instrs)

    def canon(self, t):
        # any NaN an arithmetic op made -> the canonical one: both engines may pick any
        self.emit(f"local.tee $c{t}", f"{t}.const nan", f"local.get $c{t}",
                  f"local.get $c{t}", f"{t}.eq", "select")

    def __call__(self, n):  # noqa: C901 - one case per node kind
        e = self.emit
        if isinstance(n, Hole):
            pass
        elif isinstance(n, Param):
            e(*(wide_up, wide_down)[n.wide - 1](n.index, n.t) if n.wide else
              [f"local.get {n.index}"])
        elif isinstance(n, Const):
            e(W.wat_const(n.t, n.bits))
        elif isinstance(n, LocalGet):
            e(f"local.get $s{n.t}")
        elif isinstance(n, GlobalGet):
            e(f"global.get $g{n.t}")
        elif isinstance(n, Unreachable):
            e("unreachable")
        elif isinstance(n, Un):
            self(n.x)
            e(n.op)
            if n.op in NAN_OPS:
                self.canon(sig(n.op)[1])
        elif isinstance(n, Bin):
            self(n.a)
            self(n.b)
            if n.guard:
                t = sig(n.op)[0][1]
                e(f"{t}.const 1", f"{t}.or")
            e(n.op)
            if n.op in NAN_OPS:
                self.canon(sig(n.op)[1])
        elif isinstance(n, Select):
            self(n.a)
            self(n.b)
            self(n.c)
            e(f"select (result {n.t})" if n.typed else "select")
        elif isinstance(n, If):
            self(n.c)
            e(f"if (result {n.t})")
            self(n.then)
            e("else")
            self(n.other)
            e("end")
        elif isinstance(n, BrIf):
            e(f"block (result {n.t})")
            if n.junk is not None:
                self(n.junk)
            self(n.v)
            self(n.c)
            e("br_if 0", "drop")
            if n.junk is not None:
                e("drop")
            self(n.f)
            e("end")
        elif isinstance(n, BrTable):
            e(*[f"block (result {n.t})"] * 3)
            if n.junk is not None:
                self(n.junk)
            self(n.v)
            self(n.idx)
            if n.small:
                e("i32.const 3", "i32.and")
            e(f"br_table {' '.join(map(str, n.labels))} {n.default}", "end")
            self(n.post0)
            e("end")
            self(n.post1)
            e("end")
        elif isinstance(n, Pair):
            e(f"block (result {n.t} i32)")
            for x in (n.a, n.b, n.c):
                self(x)
            e("br_if 0", "drop", "drop")
            self(n.fa)
            self(n.fb)
            e("end", f"if (param {n.t}) (result {n.t})")
            self(n.post0)
            e("else")
            self(n.post1)
            e("end")
        elif isinstance(n, Loop):
            self(n.init)
            d = self.loops
            e(f"i32.const {n.n}", f"local.set $n{d}", f"loop (param {n.t}) (result {n.t})")
            self.loops += 1
            self(n.body)
            self.loops -= 1
            e(f"local.get $n{d}", "i32.const 1", "i32.sub", f"local.tee $n{d}")
            if n.via_if or "branch-masks-fallthrough" in KNOWN_BUGS:
                e(f"if (param {n.t}) (result {n.t})", "br 1", "end", "end")
            else:
                e("br_if 0", "end")
        elif isinstance(n, Tee):
            self(n.x)
            local = f"$s{type_of(n.x)}" if n.target is None else n.target
            e(f"local.set {local}", f"local.get {local}") if n.set else e(f"local.tee {local}")
        elif isinstance(n, GlobalSet):
            self(n.x)
            t = type_of(n.x)
            e(f"global.set $g{t}", f"global.get $g{t}")
        elif isinstance(n, Load):
            self(n.addr)
            e("i32.const 0xff", "i32.and",
              f"{n.op} offset={n.offset}" + (" align=1" if n.align1 else ""))
        elif isinstance(n, Store):
            self(n.addr)
            e("i32.const 0xff", "i32.and")
            self(n.value)
            e(f"{n.op} offset={n.offset}")
            self(n.rest)
        elif isinstance(n, Call0):
            self(n.a)
            self(n.b)
            self(n.c)
            e("i32.const 0", "call_indirect (type $h0t)") if n.indirect else e("call $h0")
        elif isinstance(n, Call1):
            self(n.a)
            self(n.b)
            e("call $h1")
            if n.pick == 0:
                e("drop")
            else:
                e("local.set $pick", "drop", "local.get $pick")
        elif isinstance(n, Log):
            self(n.x)
            t = type_of(n.x)
            if n.call:
                e(f"call $log{t}")
            else:  # the value stays on the stack under the store's operands
                e(f"local.tee $s{t}", "global.get $logp", f"local.get $s{t}",
                  f"{t}.store offset={LOG_BASE}", *LOG_ADVANCE)
        elif isinstance(n, Return):
            self(n.c)
            e("if")
            self(n.v)
            e("return", "end")
            self(n.rest)
        else:  # pragma: no cover
            raise TypeError(n)


LOG_ADVANCE = ("global.get $logp", "i32.const 8", "i32.add", "i32.const 0xf8", "i32.and",
               "global.set $logp")
LOG_FUNCS = "\n".join(f"""  (func $log{t} (param {t}) (result {t})
    global.get $logp
    local.get 0
    {t}.store offset={LOG_BASE}
    {' '.join(LOG_ADVANCE)}
    local.get 0)""" for t in TYPES)

LOCALS = (" ".join(f"(local $s{t} {t})" for t in TYPES) + " (local $cf32 f32) (local $cf64 f64)"
          " (local $pick f32) " + " ".join(f"(local $n{d} i32)" for d in range(MAX_LOOPS)))


def render_function(tree_or_trees, ret) -> str:
    r = Render(ret)
    for tree in (tree_or_trees if isinstance(tree_or_trees, tuple) else (tree_or_trees,)):
        r(tree)
    return "\n    ".join(r.out)


def memory_image() -> bytes:
    """The initial memory: edge values of every type, packed end to end."""
    buf = bytearray()
    for t, fmt in (("i32", "<I"), ("f32", "<I"), ("i64", "<Q"), ("f64", "<Q")):
        for v in EDGES[t]:
            buf += struct.pack(fmt, v)
    return bytes(buf[:MEM_DATA]).ljust(MEM_DATA, b"\x5a")


MEMORY_IMAGE = memory_image()


def tree_module(main, ret, h0, h1) -> str:
    data = "".join(f"\\{b:02x}" for b in MEMORY_IMAGE)
    params = " ".join(MAIN_PARAMS)
    run_args = []
    for k, t in enumerate(MAIN_PARAMS):
        run_args += get_operand(k, t)
    return f"""(module
  (type $h0t (func (param {' '.join(H0_PARAMS)}) (result {H0_RESULT})))
  (memory (export "mem") 1)
  (data (i32.const 0) "{data}")
  (table funcref (elem $h0))
  (global $gi32 (export "gi32") (mut i32) (i32.const 0x12345678))
  (global $gi64 (export "gi64") (mut i64) (i64.const 0xfedcba9876543210))
  (global $gf32 (mut f32) (f32.const -0x1.8p+3))
  (global $gf64 (mut f64) (f64.const nan:0x4000000000001))
  (global $logp (mut i32) (i32.const 0))
{WIDE_GLOBALS}{LOG_FUNCS}
  (func $h0 (type $h0t) {LOCALS}
    {render_function(h0, H0_RESULT)})
  (func $h1 (param {' '.join(H1_PARAMS)}) (result {' '.join(H1_RESULTS)}) {LOCALS}
    {render_function(h1, None)})
  (func $main (param {params}) (result {ret}) {LOCALS}
    {render_function(main, ret)})
  (func (export "run") (param {' '.join(CARRIER[t] for t in MAIN_PARAMS)}) (result {CARRIER[ret]})
    {' '.join(run_args)}
    call $main
    {' '.join(to_carrier(ret))}))
"""


# strategies made once (making one per draw costs more than the rest of a test case)
OPERANDS = {t: operand(VT[t]) for t in TYPES}
_PERCENT = st.integers(0, 99)
_BOOL = st.booleans()
_SAMPLED: dict[tuple, st.SearchStrategy] = {}
_LABELS = st.lists(st.integers(0, 2), min_size=0, max_size=6)
_LABEL = st.integers(0, 2)
_KINDS: dict[tuple, tuple] = {}


class Gen:
    """Draws trees. `params`: the function's parameter types; `calls`: may call helpers;
    `ret`: its single result type (None: no `return` node); `types`: the types of the
    inner nodes (the "int" profile keeps to i32/i64: floats only as leaves)."""

    def __init__(self, draw, params, calls, ret, types=TYPES):
        self.draw, self.params, self.calls, self.ret, self.types = draw, params, calls, ret, types
        self.ops = {t: [n for n in OPS_BY_RESULT[t] if set(sig(n)[0]) <= set(types)]
                    for t in TYPES}
        self.hot = {t: [n for n in HOT_OPS[t] if n in self.ops[t]] for t in TYPES}

    def pick(self, items):
        key = tuple(items)
        strategy = _SAMPLED.get(key)
        if strategy is None:
            strategy = _SAMPLED[key] = st.sampled_from(key)
        return self.draw(strategy)

    def percent(self):
        return self.draw(_PERCENT)

    def leaf(self, t):
        choice = self.percent()
        if choice < 40:
            ks = [k for k, p in enumerate(self.params) if p == t]
            if ks:
                return Param(t, self.pick(ks), self.pick((0, 0, 1, 2)) if t in INT else 0)
        if choice < 75:
            return Const(t, self.draw(OPERANDS[t]))
        if choice < 88:
            return LocalGet(t)
        if choice < 99 or self.percent() < 75 or "unreachable-in-if-block" in KNOWN_BUGS:
            return GlobalGet(t)
        return Unreachable(t)

    def kinds(self, t):
        """The inner node kinds for type t, weighted by repetition, simplest first."""
        key = (t, self.calls, self.ret is not None)
        kinds = _KINDS.get(key)
        if kinds is None:
            kinds = ["op"] * 6 + ["select", "select", "if", "tee", "tee", "load", "store", "store",
                                  "brif", "brtable", "loop", "loop", "global", "pair"]
            if t in INT:  # ops that leave values out of range, to feed every consumer,
                # and range checks on the way up
                kinds = ["chain"] * 5 + kinds + ["log"] * 3
            if self.calls:
                kinds += ["call0", "call1"]
            if self.ret is not None:
                kinds.append("return")
            kinds = _KINDS[key] = tuple(kinds)
        return kinds

    def operands(self, types, depth, hole):
        """Trees for an op's operands; the hole (if any) goes to the first."""
        return [self.tree(t, depth, hole if k == 0 else None) for k, t in enumerate(types)]

    def cond(self, depth, hole=None):
        """A condition; half of them `& 1`, so both ways are taken often."""
        c = self.tree("i32", depth, hole)
        return Bin("i32.and", c, Const("i32", 1)) if self.percent() < 50 else c

    def observed(self, node, t, percent=35):
        """A value out of a state merge (select, if, blocks, loops, calls): often checked
        right away (Log: an out-of-range value claimed in range fails the store)."""
        if t in INT and self.percent() < percent:
            return Log(node, self.draw(_BOOL))
        return node

    def tree(self, t, depth, hole=None, wide=False):  # noqa: C901 - one case per node kind
        """A tree of type t. `hole`: the type of a value already on the stack that the tree
        consumes first. `wide`: prefer an op that leaves its result out of range (values
        that flow into a state merge)."""
        draw = self.draw
        if hole == t and (depth <= 0 or self.percent() < 50):
            return self.observed(Hole(t), t, 60)
        if hole is None and (depth <= 0 or t not in self.types
                             or self.percent() < 10 + 6 * (6 - depth)):
            return self.leaf(t)
        if depth <= 0 or t not in self.types:  # one op from the hole's type to t
            return Un(self.pick(BRIDGES[(hole, t)]), Hole(hole))
        if wide and t in INT and self.percent() < 50:
            kind = "chain"
        else:
            kind = self.pick(self.kinds(t))
        d = depth - 1
        if kind in ("op", "chain"):
            if kind == "chain":
                name = self.pick(CHAIN_OPS[t])
            else:
                hot = self.percent() < 50 and self.hot[t]
                name = self.pick(self.hot[t] if hot else self.ops[t])
            if name in TRAPPY and self.percent() < 60:
                name = self.pick(self.ops[t])  # redraw: traps end runs early
            ptypes = sig(name)[0]
            args = self.operands(ptypes, d, hole)
            if len(args) == 1:
                return Un(name, args[0])
            return Bin(name, args[0], args[1], name in DIVS and draw(_BOOL))
        if kind == "select":
            a = self.tree(t, d, hole, wide=True)
            b = self.tree(t, d, wide=True)
            return self.observed(Select(t, a, b, self.cond(d), draw(_BOOL)), t)
        if kind == "if":
            c = self.cond(d, hole)
            return self.observed(If(t, c, self.tree(t, d, wide=True), self.tree(t, d, wide=True)), t)
        if kind == "tee":
            ks = [k for k, p in enumerate(self.params) if p == t]
            target = self.pick([None] + ks) if ks and self.percent() < 40 else None
            return Tee(self.tree(t, d, hole), target, draw(_BOOL))
        if kind == "global":
            return GlobalSet(self.tree(t, d, hole))
        if kind == "log":
            return Log(self.tree(t, d, hole), draw(_BOOL))
        if kind == "load":
            op = self.pick(LOADS[t])
            return Load(op, self.tree("i32", d, hole), self.pick([0, 1, 3, 8, 32]),
                        draw(_BOOL))
        if kind == "store":
            op = self.pick([s for s in STORES if s.split(".")[0] in self.types])
            addr = self.tree("i32", d, hole)
            value = self.tree(op.split(".")[0], d)
            return Store(op, addr, value, self.pick([0, 2, 5, 16]), self.tree(t, d))
        if kind == "call0":
            a, b, c = self.operands(H0_PARAMS, d, hole)
            return self.observed(self.fit(Call0(a, b, c, draw(_BOOL)), t), t)
        if kind == "call1":
            a, b = self.operands(H1_PARAMS, d, hole)
            return self.observed(self.fit(Call1(a, b, self.pick([0, 1])), t), t)
        if kind == "return":
            c = self.tree("i32", d, hole)
            return Return(c, self.tree(self.ret, d), self.tree(t, d))
        if kind == "loop":
            init = self.tree(t, d, hole, wide=True)
            if t in INT and self.percent() < 70:  # a back-edge value out of range
                op = self.pick(CHAIN_OPS[t])
                body = Bin(op, self.tree(t, d - 1, t), self.tree(t, d - 1))
            else:
                body = self.tree(t, d, t)
            return self.observed(Loop(t, init, body, self.pick([2, 3, 1]), draw(_BOOL)), t)
        # blocks: their contents cannot reach a hole below them; consume it first
        if hole is not None:
            return self.tree(t, depth, hole)
        if kind == "pair":
            node = Pair(t, self.tree(t, d, wide=True), self.tree("i32", d, wide=True),
                        self.cond(d), self.tree(t, d, wide=True), self.tree("i32", d, wide=True),
                        self.tree(t, d, t, wide=True), self.tree(t, d, t, wide=True))
            return self.observed(node, t)
        junk = self.tree(self.pick(self.types), min(d, 1)) if draw(_BOOL) else None
        if kind == "brif":
            v = self.tree(t, d, wide=True)
            return self.observed(BrIf(t, junk, v, self.cond(d), self.tree(t, d, wide=True)), t)
        labels = tuple(draw(_LABELS))
        node = BrTable(t, junk, self.tree(t, d, wide=True), self.tree("i32", d), draw(_BOOL),
                       labels, draw(_LABEL), self.tree(t, d, t, wide=True),
                       self.tree(t, d, t, wide=True))
        return self.observed(node, t)

    def fit(self, node, t):
        """A call's result made into a `t` by one bridging op."""
        have = type_of(node)
        if have == t:
            return node
        return Un(self.pick(BRIDGES[(have, t)]), node)


@st.composite
def programs(draw, profile="mixed", depth=6):
    types = INT if profile == "int" else TYPES
    ret = draw(st.sampled_from(types))
    main = Gen(draw, MAIN_PARAMS, True, ret, types).tree(ret, depth)
    h0 = Gen(draw, H0_PARAMS, False, H0_RESULT, types).tree(H0_RESULT, 3)
    g1 = Gen(draw, H1_PARAMS, False, None, types)
    h1 = (g1.tree(H1_RESULTS[0], 2), g1.tree(H1_RESULTS[1], 2))
    return main, ret, h0, h1


MAIN_ARGS = st.tuples(*(OPERANDS[t] for t in MAIN_PARAMS))
# every program also runs on these (a run costs far less than a compilation): zeros,
# all ones, sign boundaries, small numbers, and large values whose sums and products wrap
FIXED_ARGS = [
    (0, 0, 0, 0, 0, 0, 0, 0),
    (M32, M32, M64, M64, M32, M32, M64, M64),
    (0x80000000, 0x7FFFFFFF, 1 << 63, (1 << 63) - 1, 0x80000000, 0x3F800000,
     0x8000000000000000, 0x3FF0000000000000),
    (1, 2, 3, 4, 0x40400000, 0xBF000000, 0x4014000000000000, 0xC000000000000000),
    (0xDEADBEEF, 0xC0000001, 0xFEDCBA9876543210, 0x8000000080000001, 0x7FC00000,
     0x7F800001, 0x7FF8000000000000, 0x7FF0000000000001),
    (0xFFFFFFFE, 7, 0xFFFFFFFF00000001, 0x100000000, 0x4F000000, 0xCF000000,
     0x43E0000000000000, 0x41DFFFFFFFC00000),
]


def run_both(wat: str, args_list, ret) -> None:
    oracle, ours = W.wasmtime_oracle(), W.transpyle_engine()
    wasm = oracle.wat2wasm(wat)
    for args in args_list:
        wt = oracle.instantiate(wasm)
        tp = ours.instantiate(wasm)
        exp = wt.call("run", args, (ret,))
        got = tp.call("run", args)
        where = f"run{W.show(args)}"
        W.compare(where, (ret,), exp, got)
        assert tp.read(0, MEM_COMPARED) == wt.read(0, MEM_COMPARED), f"{where}: memory differs"
        for g, t in (("gi32", "i32"), ("gi64", "i64")):
            assert tp.global_bits(g, t) == wt.global_bits(g, t), f"{where}: global {g} differs"


# TRANSPYLE_DIFF_SCALE=20 runs twenty times the examples (a soak; ~1 minute by default)
SCALE = float(os.environ.get("TRANSPYLE_DIFF_SCALE", "1"))
TREE_SETTINGS = dict(deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def check_program(program, args):
    main, ret, h0, h1 = program
    wat = tree_module(main, ret, h0, h1)
    note(wat)
    run_both(wat, list(args) + FIXED_ARGS, ret)


@settings(max_examples=int(1000 * SCALE), **TREE_SETTINGS)
@given(program=programs("int"), args=st.lists(MAIN_ARGS, min_size=2, max_size=2))
def test_random_int_trees(program, args):
    """i32/i64 trees: where lazy wrap-around and stack shuffling can go wrong."""
    check_program(program, args)


@settings(max_examples=int(500 * SCALE), **TREE_SETTINGS)
@given(program=programs("mixed"), args=st.lists(MAIN_ARGS, min_size=2, max_size=2))
def test_random_mixed_trees(program, args):
    """Trees of all four types: conversions, reinterpretations, f32 rounding, NaN bits."""
    check_program(program, args)


# -- loads and stores: addresses from parameters and constants, offsets, edge values -------
MEM_OPS = sorted(n for n in BY_NAME if n.split(".")[0] in TYPES
                 and (".load" in n or ".store" in n) and "atomic" not in n)
PAGE = 65536
MEM_ADDRESSES = [0, 1, 3, 8, 255, PAGE - 9, PAGE - 8, PAGE - 5, PAGE - 4, PAGE - 2, PAGE - 1,
                 PAGE, PAGE + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF8, 0xFFFFFFFF]
MEM_OFFSETS = [0, 1, 4, PAGE - 8, PAGE, 0xFFFFFFFF]
WINDOWS = [(0, 64), (PAGE - 64, 64)]  # the memory compared after every case


def memory_module(name) -> tuple[str, list]:
    """One function per variant: (export name, param carrier types, result carrier or
    None, body, argument tuples)."""
    t = name.split(".")[0]
    size = {"8": 1, "16": 2, "32": 4}.get(name.rstrip("_su").split("load")[-1].split("store")[-1],
                                          WIDTH_BYTES[t])
    rng = random.Random(zlib.crc32(name.encode()))
    variants = []
    is_load = ".load" in name
    ct = CARRIER[t]
    data = "".join(f"\\{b:02x}" for b in MEMORY_IMAGE[:64])
    for offset in MEM_OFFSETS:
        op = f"{name} offset={offset}" + (" align=1" if size > 1 else "")
        addr_cases = [a for a in MEM_ADDRESSES]
        if is_load:
            variants.append((f"p{offset}", ["i32"], ct, ["local.get 0", op] + to_carrier(t),
                             [(a,) for a in addr_cases]))
            variants.append((f"w{offset}", ["i32"], ct, wide_up(0, "i32") + [op] + to_carrier(t),
                             [(a,) for a in addr_cases]))
            for j, a in enumerate(MEM_ADDRESSES):
                variants.append((f"k{offset}_{j}", ["i32"], ct, [f"i32.const {a:#x}", op]
                                 + to_carrier(t), [(0,)]))
        else:
            values = _sample(rng, EDGES[t], 12)
            forms = {"p": get_operand(1, t)}
            if t in INT:
                forms["w"] = wide_down(1, t)
                forms["b"] = ["local.get 1", f"{t}.eqz"] + (["i64.extend_i32_u"] if t == "i64" else [])
            for fname, value_code in forms.items():
                variants.append((f"{fname}{offset}", ["i32", ct], None,
                                 ["local.get 0"] + value_code + [op],
                                 [(a, v) for a in addr_cases for v in values[:4]]))
            for j, v in enumerate(values):  # a constant value, an address from the parameter
                variants.append((f"kv{offset}_{j}", ["i32", ct], None,
                                 ["local.get 0", W.wat_const(t, v), op],
                                 [(a, 0) for a in addr_cases[::2]]))
            for j, a in enumerate(MEM_ADDRESSES):  # a constant address
                variants.append((f"ka{offset}_{j}", ["i32", ct], None,
                                 [f"i32.const {a:#x}"] + get_operand(1, t) + [op],
                                 [(0, v) for v in values[:3]]))
    funcs = []
    for vname, params, result, body, _ in variants:
        res = f" (result {result})" if result else ""
        funcs.append(f'  (func (export "{vname}") (param {" ".join(params)}){res}\n    '
                     + "\n    ".join(body) + ")")
    wat = (f'(module\n  (memory (export "mem") 1 1)\n{WIDE_GLOBALS}  (data (i32.const 0) "{data}")\n'
           f'  (data (i32.const {PAGE - 64}) "{data}")\n' + "\n".join(funcs) + ")\n")
    return wat, variants


WIDTH_BYTES = {"i32": 4, "i64": 8, "f32": 4, "f64": 8}


@pytest.mark.parametrize("name", MEM_OPS)
def test_memory_instruction(name):
    """Every load and store: addresses in and out of bounds (a trap, memory unchanged),
    from a parameter, out of range (WIDE) or a constant (folded with the offset), offsets
    up to 2**32-1, values from parameters, out of range, comparisons and constants."""
    wat, variants = memory_module(name)
    oracle, ours = W.wasmtime_oracle(), W.transpyle_engine()
    wasm = oracle.wat2wasm(wat)
    wt, tp = oracle.instantiate(wasm), ours.instantiate(wasm)
    t = name.split(".")[0]
    traps = oks = 0
    for vname, params, result, body, cases in variants:
        results = (t,) if result else ()
        for args in cases:
            exp = wt.call(vname, args, results)
            got = tp.call(vname, args)
            where = f"{name} [{vname}] args {W.show(args)}"
            W.compare(where, results, exp, got)
            for start, length in WINDOWS:
                assert tp.read(start, length) == wt.read(start, length), f"{where}: memory differs"
            traps += exp[0] == "trap"
            oks += exp[0] == "ok"
    assert traps and oks

# ======================================================================================
# 3. Branch shapes
# ======================================================================================
def _br_table_many(carried: str, junk: bool) -> str:
    """12 nested blocks, a 40-entry br_table (repeats, the function label, a default);
    after block k the carried value(s) go through a level-specific lazy op, so the result
    says which target was taken. `carried`: "i32" or "i32 i64" (two values)."""
    n = 12
    rng = random.Random(12)
    targets = [rng.randrange(n + 1) for _ in range(40)] + [0, 1, n, n - 1]
    two = carried == "i32 i64"
    lines = [f'(module (func (export "f") (param i32 i32 i64) (result {carried})']
    lines += [f"  block (result {carried})"] * n
    if junk:
        lines += ["  i64.const 0x1234", "  f32.const -0.5", "  local.get 1"]
    lines += ["  local.get 1", "  i32.const 0x7fffffff", "  i32.add"]  # out of range
    if two:
        lines += ["  local.get 2", "  i64.const -1", "  i64.mul"]
    lines += ["  local.get 0", f"  br_table {' '.join(map(str, targets))} {n - 2}"]
    for k in range(n):
        lines.append("  end")
        if two:  # [a, b] -> [a * k+3, b + k], the i32 through a local
            lines += ["  i64.const %d" % (k + 1), "  i64.add", "  local.set 2",
                      f"  i32.const {k + 3}", "  i32.mul", "  local.get 2"]
        else:
            lines += [f"  i32.const {k + 3}", "  i32.mul", f"  i32.const {k}", "  i32.shr_u"]
    lines.append("))")
    return "\n".join(lines)


_BR_TABLE_ARGS = [(i, 0xFFFF0000 + i, (1 << 63) + i) for i in range(46)] + [
    (0xFFFFFFFF, 5, 7), (0x80000000, 0x80000001, 0), (12, 0x80000000, M64), (40, M32, 1 << 32)]

# name -> (wat, result types, argument tuples); every module exports "f"
BRANCH_CASES = {
    "br_table_many_targets": (_br_table_many("i32", False), ("i32",), _BR_TABLE_ARGS),
    "br_table_with_junk": (_br_table_many("i32", True), ("i32",), _BR_TABLE_ARGS),
    "br_table_two_values_with_junk": (_br_table_many("i32 i64", True), ("i32", "i64"),
                                      _BR_TABLE_ARGS),
    # br / br_if out of three blocks with junk of every type under the carried values
    "br_out_of_nested_blocks_with_junk": ("""(module (func (export "f") (param i32 i64) (result i32 i64)
  block $a (result i32 i64)
    i64.const 7
    block $b (result f32)
      i32.const 1
      block $c
        f64.const 2.5
        local.get 0
        i32.const 0xffffffff
        i32.mul
        local.get 1
        i64.const 3
        i64.sub
        local.get 0
        i32.const 3
        i32.and
        i32.eqz
        br_if $a
        local.get 0
        i32.const 1
        i32.and
        br_if $a
        drop
        drop
        drop
        local.get 0
        i32.const 2
        i32.and
        br_if $c
        f32.const -1.5
        br $b
      end
      f32.const 4.5
      drop
      drop
      f32.const 3.25
    end
    i32.reinterpret_f32
    i32.const 0x10000
    i32.mul
    local.set 0
    i64.const 1
    i64.shl
    local.set 1
    local.get 0
    local.get 1
  end
  local.set 1
  i32.const 1
  i32.shr_u
  local.get 1
  i64.const 1
  i64.shr_u))""", ("i32", "i64"), [(a, b) for a in (0, 1, 2, 3, 5, 6, 7, 0xFFFFFFFE, 0x80000001)
                                    for b in (0, 2, M64, 1 << 63)]),
    # a br_if that is not taken leaves the carried values (out of range) and the junk
    "br_if_not_taken_keeps_values": ("""(module (func (export "f") (param i32 i32) (result i32)
  block (result i32)
    i64.const 99
    local.get 0
    i32.const -1
    i32.add
    local.get 1
    br_if 0
    i32.const 1
    i32.shr_u
    local.get 0
    local.get 0
    i32.mul
    local.get 1
    i32.eqz
    br_if 0
    i32.add
    local.set 1
    drop
    local.get 1
  end
  i32.const 3
  i32.rem_u))""", ("i32",), [(a, b) for a in (0, 1, 0x10000, M32, 0x80000000) for b in (0, 1, 2)]),
    # loops with parameters carrying out-of-range values round the back edge (br_if,
    # br and br_table to the loop), and a result that is observed after the loop
    "loop_with_params": ("""(module (func (export "f") (param i32 i64 i32) (result i32 i64)
  (local $a i32) (local $b i64) (local $n i32)
  local.get 2
  i32.const 7
  i32.and
  i32.const 1
  i32.add
  local.set $n
  local.get 0
  i32.const 0xffffffff
  i32.add
  local.get 1
  i64.const 1
  i64.sub
  loop $l (param i32 i64) (result i32 i64)
    local.set $b
    local.tee $a
    i32.const 0x10001
    i32.mul
    local.get $b
    local.get $a
    i64.extend_i32_u
    i64.add
    i64.const -3
    i64.mul
    local.get $n
    i32.const 1
    i32.sub
    local.tee $n
    br_if $l
  end
  local.set $b
  i32.const 1
  i32.shr_u
  local.get $b
  i64.const 1
  i64.shr_u))""", ("i32", "i64"), [(a, b, n) for a in (0, 1, 0x7FFFFFFF, M32) for b in (0, 5, M64)
                                      for n in (0, 1, 2, 5)]),
    "loop_br_table_back_edge": ("""(module (func (export "f") (param i32 i32) (result i32)
  (local $n i32)
  local.get 1
  local.set $n
  block $out (result i32)
    local.get 0
    loop $l (param i32) (result i32)
      i32.const 0x9e3779b9
      i32.mul
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      i32.const 8
      i32.ge_u
      br_if $out
      local.get $n
      br_table $l $l $out $l $l $out $l
    end
  end
  i32.const 7
  i32.shr_u))""", ("i32",), [(a, n) for a in (0, 1, 3, M32, 0x80000000) for n in range(9)]),
    # a loop parameter that enters as a comparison result (a bool inside) and comes
    # round the back edge as another int, then is used as a condition
    "loop_param_used_as_condition": ("""(module (func (export "f") (param i32 i32) (result i32)
  (local $i i32)
  local.get 0
  i32.eqz
  loop (param i32) (result i32)
    if (result i32)
      i32.const 100
    else
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 3
      i32.gt_u
      if
        i32.const 200
        return
      end
      local.get 1
      br 1
    end
  end))""", ("i32",), [(a, b) for a in (0, 1, 5) for b in (0, 1, 2, 0x100000000 - 1)]),
    # multi-value blocks (with params), functions and calls; results out of range
    "multi_value_blocks_and_calls": ("""(module
  (func $mv (param i32 i64) (result i32 i64 i32)
    local.get 0
    i32.const 0x10001
    i32.mul
    local.get 1
    i64.const 0x100000001
    i64.mul
    local.get 0
    i32.eqz)
  (func (export "f") (param i32 i64) (result i64 i32 i32)
    f64.const 1.5
    local.get 0
    i32.const -1
    i32.add
    local.get 1
    i64.const -1
    i64.add
    call $mv
    block (param i32 i64 i32) (result i64 i32)
      if (param i32 i64) (result i64 i32)
        local.set 1
        i32.const 1
        i32.shr_u
        local.set 0
        local.get 1
        i64.const 1
        i64.shr_u
        local.get 0
      else  ;; both results out of range
        local.set 1
        local.set 0
        local.get 1
        i64.const 0x7fffffffffffffff
        i64.add
        local.get 0
        i32.const 0x7fffffff
        i32.add
      end
    end
    ;; observe the merged values in place, then drop the f64 junk from under them
    i32.const 1
    i32.shr_u
    local.set 0
    i64.const 1
    i64.shr_u
    local.set 1
    drop
    local.get 1
    local.get 0
    local.get 0
    i32.const 0x10001
    i32.mul
    i32.const 5
    i32.rem_u))""", ("i64", "i32", "i32"), [(a, b) for a in (0, 1, 0x8000, M32) for b in (0, 1, M64)]),
    # return from inside nested blocks, a loop and an if, with junk of every type below
    "return_from_nested_blocks_with_junk": ("""(module (func (export "f") (param i32 i32) (result i32 i64)
  (local $n i32)
  i64.const 11
  block (result f32)
    f64.const 2.0
    block
      i32.const 5
      loop
        f32.const 1.0
        local.get 0
        i32.const 0xffffffff
        i32.mul
        local.get 1
        i64.extend_i32_u
        i64.const -1
        i64.mul
        local.get $n
        local.get 1
        i32.ge_u
        if (param i32 i64) (result i32 i64)
          return
        end
        drop
        drop
        drop
        local.get $n
        i32.const 1
        i32.add
        local.set $n
        local.get 0
        i32.const 1
        i32.and
        br_if 1
        br 0
      end
      unreachable
    end
    drop
    f32.const 0.5
  end
  drop
  drop
  local.get 0
  i32.const -7
  i32.add
  i64.const 0x7fffffffffffffff
  local.get $n
  i64.extend_i32_u
  i64.add))""", ("i32", "i64"), [(a, b) for a in (0, 1, 2, M32, 0x80000000) for b in (0, 1, 3)]),
    # select on out-of-range and bool operands; a typed select of f32 NaN bits
    "select_states": ("""(module (func (export "f") (param i32 i32 i32) (result i32 i32 i32)
  local.get 0
  local.get 0
  local.get 1
  i32.add
  local.get 2
  select
  i32.const 1
  i32.shr_u
  local.get 0
  local.get 1
  i32.lt_u
  local.get 1
  i32.const -1
  i32.add
  local.get 2
  i32.const 1
  i32.and
  select
  i32.eqz
  local.get 0
  f32.reinterpret_i32
  local.get 1
  f32.reinterpret_i32
  local.get 2
  select (result f32)
  i32.reinterpret_f32))""", ("i32", "i32", "i32"),
        [(a, b, c) for a in (0, 1, M32, 0x7FA00001) for b in (0, 1, M32, 0xFFC00001)
         for c in (0, 1, 2)]),
    # 60 nested blocks and a br from the innermost to each level
    "deep_nesting": ("(module (func (export \"f\") (param i32) (result i32)\n"
                     + "  block (result i32)\n" * 60
                     + "  i64.const 1\n  local.get 0\n  i32.const 0x7fffffff\n  i32.mul\n"
                     + "  local.get 0\n  br_table " + " ".join(map(str, range(60))) + " 59\n"
                     + "  end\n  i32.const 3\n  i32.add\n" * 60 + "  i32.const 2\n  i32.shr_u))",
                     ("i32",), [(i,) for i in range(0, 64)] + [(M32,)]),
    # code after an unconditional branch: dead, with an unbalanced stack
    "dead_code_after_branches": ("""(module (func (export "f") (param i32) (result i32)
  block (result i32)
    local.get 0
    i32.const 0x7fffffff
    i32.add
    br 0
    i32.add
    drop
    i32.const 1
    br_table 0 0
  end
  block (param i32) (result i32)
    local.get 0
    br_if 0
    i32.const 1
    i32.shr_u
    return
    unreachable
  end
  i32.const 5
  i32.shr_u))""", ("i32",), [(a,) for a in (0, 1, 2, 0x80000001, M32)]),
    # minimal cases of a value out of range (WIDE) carried by a branch that is not taken
    "br_if_return_not_taken": ("""(module (func (export "f") (param i32 i32) (result i32)
  local.get 0
  i32.const 0x7fffffff
  i32.add
  local.get 1
  br_if 0
  i32.const 1
  i32.shr_u))""", ("i32",), [(0x80000001, 0), (0x80000001, 1), (3, 0), (M32, 0)]),
    "br_if_loop_not_taken": ("""(module (func (export "f") (param i32 i32) (result i32)
  local.get 0
  loop (param i32) (result i32)
    i32.const 0x7fffffff
    i32.add
    local.get 1
    br_if 0
  end
  i32.const 1
  i32.shr_u))""", ("i32",), [(0x80000001, 0), (3, 0), (M32, 0)]),
    "br_table_loop_and_return": ("""(module
  (func $g (param i32 i32) (result i32) (local $n i32)
    local.get 0
    loop (param i32) (result i32)
      i32.const 0x7fffffff
      i32.add
      local.get $n
      i32.const 1
      i32.add
      local.tee $n
      local.get 1
      i32.ge_u
      br_table 0 1
    end)
  (func (export "f") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    call $g
    i32.const 1
    i32.shr_u))""", ("i32",), [(0x80000001, 0), (0x80000001, 1), (0x80000001, 5), (7, 2)]),
    # evaluation order: a value computed before a side effect (store, call, local.set,
    # global.set, trap) must not be computed after it, however the translator defers it
    "order_load_store_load": ("""(module (memory (export "mem") 1)
  (data (i32.const 0) "\\01\\02\\03\\04\\05\\06\\07\\08")
  (func (export "f") (param i32 i32) (result i32)
    local.get 1
    i32.load8_u
    i32.const 0
    i32.load
    local.get 1
    local.get 0
    i32.store8
    i32.const 0
    i32.load
    i32.sub
    local.get 1
    i32.load8_u
    i32.mul
    i32.add))""", ("i32",), [(a, b) for a in (0, 0x7F, 0x1FF) for b in (0, 1, 3, 7)]),
    "order_global_call_global": ("""(module
  (global $g (export "g") (mut i32) (i32.const 5))
  (func $set (param i32) (result i32)
    local.get 0
    global.set $g
    i32.const 1)
  (func (export "f") (param i32) (result i32)
    global.get $g
    local.get 0
    call $set
    i32.add
    global.get $g
    i32.const 7
    global.set $g
    global.get $g
    i32.mul
    i32.sub))""", ("i32",), [(a,) for a in (0, 1, 9, M32)]),
    "order_local_set_and_tee": ("""(module (func (export "f") (param i32 i32) (result i32)
  local.get 0
  local.get 1
  local.set 0
  local.get 0
  i32.sub
  local.get 0
  local.get 0
  i32.const 0x7fffffff
  i32.add
  local.tee 0
  i32.mul
  i32.add
  local.get 0
  i32.const 3
  i32.shr_u
  i32.xor))""", ("i32",), [(a, b) for a in (0, 1, M32) for b in (0, 2, 0x80000001)]),
    "order_trap_before_store": ("""(module (memory (export "mem") 1)
  (func (export "f") (param i32 i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_u
    local.get 0
    local.get 1
    i32.rem_s
    local.get 2
    f32.reinterpret_i32
    i32.trunc_f32_s
    i32.const 8
    local.get 2
    i32.store
    local.get 0
    i32.load offset=65532
    i32.const 16
    local.get 1
    i32.store
    i32.add
    i32.add
    i32.add))""", ("i32",), [(a, b, c) for a in (0, 4, 0x10000) for b in (0, 1, M32)
                             for c in (0, 0x3F800000, 0x7FC00000, 0x4F000000)]),
    "order_load_trap_before_call": ("""(module (memory (export "mem") 1)
  (func $poke (param i32) (result i32)
    i32.const 32
    local.get 0
    i32.store
    local.get 0)
  (func (export "f") (param i32) (result i32)
    local.get 0
    i32.load
    local.get 0
    call $poke
    i32.add
    local.get 0
    i64.load8_s offset=1
    i32.wrap_i64
    i32.add))""", ("i32",), [(a,) for a in (0, 5, 32, 65532, 65535, 65536, M32)]),
    # dead code after `unreachable` inside a block inside an `if` arm, values below it
    "unreachable_after_values_in_if_block": ("""(module (func (export "f") (param i32) (result i32)
  local.get 0
  if
    block
      i32.const 1
      unreachable
      br_if 0
      drop
    end
  end
  local.get 0
  i32.const 1
  i32.add))""", ("i32",), [(0,), (1,), (M32,)]),
}

_BRANCH_MASKS_FALLTHROUGH = (
    "codegen: transfer()/emit_return() normalise a WIDE carried value with mask_code(), "
    "which also marks the slot NORM; the mask runs on the taken path only, so after a "
    "br_if not taken (to a loop or to the function) the unmasked value is used as in "
    "range, and later br_table leaves skip the mask (when fixed, drop "
    "'branch-masks-fallthrough' from KNOWN_BUGS)")
# bugs that the tests below show (strict xfail: a fix makes the test pass and fail)
BRANCH_XFAIL: dict = {}  # none open (also fixed: dead code after `unreachable` in an if arm)


def _branch_params():
    for name in sorted(BRANCH_CASES):
        marks = []
        if name in BRANCH_XFAIL:
            cond, reason = BRANCH_XFAIL[name]
            marks.append(pytest.mark.xfail(cond, reason=reason, strict=True))
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_branch_params()))
def test_branch_shape(name):
    wat, results, args_list = BRANCH_CASES[name]
    oracle, ours = W.wasmtime_oracle(), W.transpyle_engine()
    wasm = oracle.wat2wasm(wat)
    wt, tp = oracle.instantiate(wasm), ours.instantiate(wasm)
    outcomes = set()
    for args in args_list:
        exp = wt.call("f", args, results)
        got = tp.call("f", args)
        where = f"{name} f{W.show(args)}"
        W.compare(where, results, exp, got)
        if '(export "mem")' in wat:
            assert tp.read(0, 64) == wt.read(0, 64), f"{where}: memory differs"
        if '(export "g")' in wat:
            assert tp.global_bits("g", "i32") == wt.global_bits("g", "i32"), f"{where}: global"
        outcomes.add(exp if exp[0] == "trap" else ("ok", exp[1][:1]))
    assert len(outcomes) > 1, f"{name}: every argument gives the same outcome"

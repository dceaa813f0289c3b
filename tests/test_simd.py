"""transpyle.runtime.simd against wasmtime and the official spec suite.

Every SIMD instruction runs on operands biased to the edges (lane 0/1/min/max/all-ones,
+-0, +-inf, subnormals, rounding ties, truncation bounds, NaNs with payloads, quiet and
signalling, both signs) and is compared with wasmtime running the same instruction.

Only integers and bytes cross the wasmtime boundary (wasmtime-py has no v128 values,
and its float conversion goes through C floats, which may quiet a signalling NaN):

* value ops run batched: a probe module loops over records in its memory, loads each
  record's operands (v128.load / i32.load / f32.load ... - loads and stores are
  bit-exact), applies the instruction and stores the result; one call per batch. Lane
  ops compute every lane index of a record (one result slot per lane).
* memory ops run one call at a time: the v128 operand enters as two i64 parameters
  assembled with i64x2.replace_lane, a v128 result leaves as two i64 results, and the
  memory is compared byte for byte after every store (and every trap).

Where the spec allows any arithmetic NaN (float arithmetic, min/max, rounding,
demote/promote), a NaN lane must be a NaN in both results, ours must have the quiet bit
set, and ours must be canonical when no operand lane at that index is a non-canonical
NaN. Everything else is compared bit for bit.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import re
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transpyle.errors import Trap
from transpyle.runtime import simd as S
from transpyle.runtime.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from transpyle.runtime.simd import SIMD
from transpyle.wasm import opcodes as op
from transpyle.wasm.types import F32, F64, I32, I64, V128

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
M128 = (1 << 128) - 1

SIMD_OPS = {info.name: info for code, info in op.OPS.items() if code >> 16 == 0xFD}
MEM_KINDS = (op.IMM_MEMARG, op.IMM_MEMARG_LANE)
VALUE_OPS = sorted(n for n, i in SIMD_OPS.items() if i.imm in (op.IMM_NONE, op.IMM_LANE))
MEMORY_OPS = sorted(n for n, i in SIMD_OPS.items() if i.imm in MEM_KINDS)

SHAPES = {"i8x16": (8, "i"), "i16x8": (16, "i"), "i32x4": (32, "i"), "i64x2": (64, "i"),
          "f32x4": (32, "f"), "f64x2": (64, "f")}
_SHAPE_RE = re.compile(r"[if](?:8x16|16x8|32x4|64x2)")

# the ops whose NaN lanes may be any arithmetic NaN (canonical if no operand lane at that
# index is a non-canonical NaN); every other result is compared bit for bit
NAN_OPS = {
    f"{s}.{o}" for s in ("f32x4", "f64x2")
    for o in "add sub mul div sqrt min max ceil floor trunc nearest".split()
} | {"f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4"}


def input_shape(name):
    """The lane shape of an op's v128 operands (None: no particular shape)."""
    prefix, _, rest = name.partition(".")
    m = _SHAPE_RE.search(rest)
    if m:
        return m.group(0)
    return prefix if prefix in SHAPES else None


# -- the bits of lanes ----------------------------------------------------------------
def lanes_of(v, w):
    return [(v >> (i * w)) & ((1 << w) - 1) for i in range(128 // w)]


def join(lanes, w):
    r = 0
    for i, x in enumerate(lanes):
        r |= (x & ((1 << w) - 1)) << (i * w)
    return r


def is_nan(w, u):
    if w == 32:
        return (u & 0x7F800000) == 0x7F800000 and (u & 0x7FFFFF) != 0
    return (u & 0x7FF0000000000000) == 0x7FF0000000000000 and (u & 0xFFFFFFFFFFFFF) != 0


def is_quiet(w, u):
    return bool(u & (0x400000 if w == 32 else 0x8000000000000))


def is_canonical(w, u):
    if w == 32:
        return (u & 0x7FFFFFFF) == 0x7FC00000
    return (u & 0x7FFFFFFFFFFFFFFF) == 0x7FF8000000000000


def decode(t, bits):
    """Our internal value for wasm bits of type t."""
    if t is F32:
        return f32_from_bits(bits)
    if t is F64:
        return f64_from_bits(bits)
    return bits


def encode(t, v):
    """The wasm bits of our result `v` of type t, checking its representation."""
    if t is F32 or t is F64:
        assert type(v) is float, (t, v)
        if t is F64:
            return f64_to_bits(v)
        d = f64_to_bits(v)
        if v != v:
            assert d & 0x1FFFFFFF == 0, f"f32 NaN with low double mantissa bits: {d:#x}"
        else:
            assert f64_to_bits(f32_from_bits(f32_to_bits(v))) == d, f"not an f32: {v!r}"
        return f32_to_bits(v)
    assert type(v) is int, (t, v, type(v))
    limit = {I32: M32, I64: M64, V128: M128}[t]
    assert 0 <= v <= limit, (t, hex(v))
    return v


def compare(name, args, mine, ref, where):
    """Assert our result bits `mine` are an acceptable answer where wasmtime gave `ref`."""
    if name not in NAN_OPS:
        assert mine == ref, f"{where}: ours {mine:#x}, wasmtime {ref:#x}"
        return
    rw = SHAPES[name.partition(".")[0]][0]
    iw = SHAPES[input_shape(name)][0]
    ins = [lanes_of(a, iw) for a in args]
    for i, (m, r) in enumerate(zip(lanes_of(mine, rw), lanes_of(ref, rw))):
        if not is_nan(rw, r):
            assert m == r, f"{where}: lane {i}: ours {m:#x}, wasmtime {r:#x} ({mine:#x})"
            continue
        assert is_nan(rw, m), f"{where}: lane {i}: ours {m:#x}, wasmtime NaN {r:#x}"
        assert is_quiet(rw, m), f"{where}: lane {i}: NaN {m:#x} is not arithmetic"
        if all(not is_nan(iw, x[i]) or is_canonical(iw, x[i]) for x in ins if i < len(x)):
            assert is_canonical(rw, m), f"{where}: lane {i}: NaN {m:#x} must be canonical"


# -- the table ---------------------------------------------------------------------------
def expected_arity(info):
    if info.name == "v128.const":
        return 1
    n = len(info.params)
    if info.imm == op.IMM_MEMARG:
        return 1 + n  # mem, addr, rest
    if info.imm in (op.IMM_MEMARG_LANE,):
        return 2 + n  # mem, addr, v, lane
    if info.imm in (op.IMM_LANE, op.IMM_SHUFFLE):
        return n + 1
    return n


def test_table_covers_exactly_the_simd_opcodes():
    assert len(SIMD_OPS) == 236
    assert set(SIMD) == {n.replace(".", "_") for n in SIMD_OPS}
    for name, info in SIMD_OPS.items():
        fn = SIMD[name.replace(".", "_")]
        assert getattr(S, name.replace(".", "_")) is fn
        assert fn.__name__ == name.replace(".", "_"), (name, fn.__name__)
        params = inspect.signature(fn).parameters
        assert len(params) == expected_arity(info), name


def test_v128_const():
    for v in (0, 1, M128, 1 << 127, 0x0123456789ABCDEF0FEDCBA987654321):
        assert S.v128_const(v) == v


def test_bool_scalars():
    # an i32 0/1 may arrive as a Python bool: results must still be plain ints
    ones = {"i8x16_splat": S._ONES8, "i16x8_splat": S._ONES16, "i32x4_splat": S._ONES32,
            "i64x2_splat": S._ONES64}
    for name, expected in ones.items():
        r = SIMD[name](True)
        assert type(r) is int and r == expected, name
    assert S.i8x16_shl(1, True) == 2 and type(S.i8x16_shl(1, True)) is int
    assert S.i32x4_replace_lane(0, True, 1) == 1 << 32
    assert type(S.v128_any_true(5)) is int and S.v128_any_true(5) == 1
    for fn in (S.i8x16_all_true, S.i16x8_all_true, S.i32x4_all_true, S.i64x2_all_true):
        assert type(fn(M128)) is int and fn(M128) == 1 and fn(0) == 0


def test_out_of_bounds_leaves_memory_unchanged():
    mem = bytearray(range(256)) * 4
    before = bytes(mem)
    n = len(mem)
    for name, info in SIMD_OPS.items():
        if info.imm not in MEM_KINDS:
            continue
        size = 1 << info.natural_align
        fn = SIMD[name.replace(".", "_")]
        extra = (M128,) if V128 in info.params else ()
        if info.imm == op.IMM_MEMARG_LANE:
            extra += (0,)
        for addr in (n - size + 1, n, n + 1, 1 << 32, (1 << 32) + 0xFFFFFFFF, 1 << 70):
            with pytest.raises(Trap) as exc:
                fn(mem, addr, *extra)
            assert exc.value.message == "out of bounds memory access", (name, addr)
            assert mem == before and len(mem) == n, name
        fn(mem, n - size, *extra)  # the last in-bounds address works
        before = bytes(mem)
    assert len(mem) == n


# -- operands biased to the edges ----------------------------------------------------------
def int_edges(w):
    m = (1 << w) - 1
    e = {0, 0x5555555555555555 & m, 0xAAAAAAAAAAAAAAAA & m}
    for k in (0, 1, 4, 7, 8, 15, 16, 31, 32, 63):
        if k < w:
            for d in (-1, 0, 1):
                e.add(((1 << k) + d) & m)
                e.add((-((1 << k) + d)) & m)
    return sorted(e)


F32_EDGES = [
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF,  # 0, subnormals
    0x00800000, 0x80800000, 0x3F800000, 0xBF800000,  # min normal, +-1
    0x3F000000, 0xBF000000, 0x3FC00000, 0xBFC00000, 0x40200000, 0xC0200000,  # .5 1.5 2.5
    0x3EFFFFFF, 0x3F7FFFFF, 0xBF7FFFFF, 0x3F000001,  # just below/above .5 and 1
    0x4B000000, 0x4AFFFFFF, 0xCAFFFFFF, 0x4B000001, 0x4B7FFFFF,  # the 2**23 area
    0x4EFFFFFF, 0x4F000000, 0xCF000000, 0xCF000001, 0x4F7FFFFF, 0x4F800000,  # i32 bounds
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000,  # FLT_MAX, 2**127
    0x7F800000, 0xFF800000,  # +-inf
    0x7FC00000, 0xFFC00000,  # canonical NaNs
    0x7FC00001, 0xFFFFFFFF, 0x7FE00000,  # quiet NaNs with payloads
    0x7F800001, 0xFF800001, 0x7FA00000, 0x7FBFFFFF,  # signalling NaNs
]
F64_EDGES = [
    0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x8000000000000001,
    0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x3FF0000000000000, 0xBFF0000000000000,
    0x3FE0000000000000, 0xBFE0000000000000, 0x3FF8000000000000, 0xC004000000000000,
    0x3FDFFFFFFFFFFFFF, 0x3FEFFFFFFFFFFFFF, 0xBFEFFFFFFFFFFFFF,
    0x4330000000000000, 0x432FFFFFFFFFFFFF, 0xC32FFFFFFFFFFFFF, 0x4330000000000001,  # 2**52
    0x41DFFFFFFFC00000, 0x41DFFFFFFFFFFFFF, 0x41E0000000000000,  # 2**31 - 1, below, 2**31
    0xC1E0000000000000, 0xC1E0000000200000, 0xC1E00000001FFFFF,  # -2**31, -2**31-1 area
    0x41EFFFFFFFE00000, 0x41EFFFFFFFFFFFFF, 0x41F0000000000000,  # 2**32 - 1, below, 2**32
    0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x47EFFFFFF0000001, 0x36A0000000000000,  # demote
    0x36A0000000000001, 0x3690000000000000, 0x380FFFFFF0000000,
    0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000,
    0x7FF8000000000000, 0xFFF8000000000000,  # canonical NaNs
    0x7FF8000000000001, 0xFFFFFFFFFFFFFFFF, 0x7FFC000000000000, 0x7FF8000020000000,
    0x7FF0000000000001, 0xFFF0000000000001, 0x7FF4000000000000, 0x7FF7FFFFFFFFFFFF,
]


def float_lane(w):
    edges = F32_EDGES if w == 32 else F64_EDGES
    mant = (1 << (23 if w == 32 else 52)) - 1
    exp = 0x7F800000 if w == 32 else 0x7FF0000000000000
    sign = 1 << (w - 1)
    fmt = "<f" if w == 32 else "<d"
    ufmt = "<I" if w == 32 else "<Q"
    nan = st.tuples(st.booleans(), st.integers(1, mant)).map(
        lambda t: (sign if t[0] else 0) | exp | t[1])
    floats = st.floats(width=w, allow_nan=False).map(
        lambda x: struct.unpack(ufmt, struct.pack(fmt, x))[0])
    halves = st.integers(-(1 << 24), 1 << 24).map(  # rounding ties and near-integers
        lambda k: struct.unpack(ufmt, struct.pack(fmt, k / 2))[0])
    return st.one_of(st.sampled_from(edges), st.sampled_from(edges), nan, floats, halves,
                     st.integers(0, (1 << w) - 1))


def int_lane(w):
    return st.one_of(st.sampled_from(int_edges(w)), st.integers(0, (1 << w) - 1))


LANE = {s: (float_lane(w) if k == "f" else int_lane(w)) for s, (w, k) in SHAPES.items()}


def vector(shape):
    w = SHAPES[shape][0]
    n = 128 // w
    lanes = st.lists(LANE[shape], min_size=n, max_size=n).map(lambda xs: join(xs, w))
    splat = LANE[shape].map(lambda x: join([x] * n, w))
    return lanes, splat


VECTORS = {s: vector(s) for s in SHAPES}


@functools.lru_cache(maxsize=None)
def v128(shape):
    if shape is None:
        return st.one_of(*(v for s in SHAPES for v in VECTORS[s]), st.integers(0, M128))
    lanes, splat = VECTORS[shape]
    others = [VECTORS[s][0] for s in SHAPES if s != shape]
    return st.one_of(lanes, lanes, lanes, splat, st.one_of(*others), st.integers(0, M128))


SHIFT_COUNTS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 0x80000000,
                0xFFFFFFFF, 0xFFFFFFF9]


@functools.lru_cache(maxsize=None)
def operand(name, t):
    shape = input_shape(name)
    if t is V128:
        return v128(shape)
    if t is I32:
        if name.split(".")[1].startswith(("shl", "shr")):
            return st.one_of(st.sampled_from(SHIFT_COUNTS), st.integers(0, M32))
        return st.one_of(st.sampled_from(int_edges(32)), st.integers(0, M32), LANE[shape])
    if t is I64:
        return int_lane(64)
    return LANE["f32x4" if t is F32 else "f64x2"]


# -- the wasmtime oracle --------------------------------------------------------------------
_WASMTIME = {}
_PROBES: dict = {}
IN, OUT = 0, 0x10000  # input records, result slots (the probe memory has 2 pages)


def _wasmtime():
    if not _WASMTIME:
        wasmtime = pytest.importorskip(
            "wasmtime", reason="wasmtime (a test-only dependency) is not installed: no oracle")
        engine = wasmtime.Engine()
        _WASMTIME.update(mod=wasmtime, engine=engine, store=wasmtime.Store(engine))
    return _WASMTIME


@pytest.fixture(scope="module", autouse=True)
def _release_wasmtime():
    """Drop the wasmtime objects while the interpreter is still whole (at exit their
    finalisers run after wasmtime's ctypes bindings are gone and print noise)."""
    yield
    _PROBES.clear()
    _WASMTIME.clear()


def _instance(wat):
    w = _wasmtime()
    store = w["store"]
    inst = w["mod"].Instance(store, w["mod"].Module(w["engine"], wat), [])
    return inst.exports(store)


TNAME = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128"}
SIZE = {I32: 4, I64: 8, F32: 4, F64: 8, V128: 16}
STRUCT = {I32: "<I", I64: "<Q", F32: "<I", F64: "<Q"}


def variants(info):
    """The immediates one record is run with: every lane index for lane ops."""
    if info.imm == op.IMM_LANE:
        return list(range(op.LANES[info.name.partition(".")[0]]))
    return [None]


def value_probe(name, imm=None):
    """(run function, memory) of the batched probe for value op `name` (`imm`: the
    shuffle's lanes)."""
    key = (name, imm)
    if key not in _PROBES:
        info = SIMD_OPS[name]
        stride = 16 * max(1, len(info.params))
        slots = variants(info)
        body = []
        for j, lane in enumerate(slots):
            body.append("local.get $q")
            for k, t in enumerate(info.params):
                body.append(f"local.get $p {TNAME[t]}.load offset={16 * k}")
            suffix = "" if lane is None else f" {lane}"
            if imm is not None:
                suffix = " " + " ".join(map(str, imm))
            body.append(f"{name}{suffix}")
            body.append(f"{TNAME[info.results[0]]}.store offset={16 * j}")
        wat = f"""(module (memory (export "mem") 2)
  (func (export "run") (param $n i32) (local $i i32) (local $p i32) (local $q i32)
    (local.set $p (i32.const {IN})) (local.set $q (i32.const {OUT}))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      {chr(10).join(body)}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const {stride})))
      (local.set $q (i32.add (local.get $q) (i32.const {16 * len(slots)})))
      (br $top)))))"""
        ex = _instance(wat)
        _PROBES[key] = (ex["run"], ex["mem"])
    return _PROBES[key]


def to_bytes(t, bits):
    return bits.to_bytes(16, "little") if t is V128 else struct.pack(STRUCT[t], bits)


def run_batch(name, records, imm=None):
    """wasmtime's result bits for every record and variant: [[bits per variant]]."""
    info = SIMD_OPS[name]
    run, mem = value_probe(name, imm)
    store = _wasmtime()["store"]
    stride = 16 * max(1, len(info.params))
    nvar = len(variants(info))
    cap = min(0x10000 // stride, 0x10000 // (16 * nvar))
    rt = info.results[0]
    out = []
    for start in range(0, len(records), cap):
        chunk = records[start:start + cap]
        data = bytearray(stride * len(chunk))
        for r, rec in enumerate(chunk):
            for k, (t, bits) in enumerate(zip(info.params, rec)):
                b = to_bytes(t, bits)
                data[r * stride + 16 * k:r * stride + 16 * k + len(b)] = b
        mem.write(store, bytes(data), IN)
        run(store, len(chunk))
        res = mem.read(store, OUT, OUT + 16 * nvar * len(chunk))
        for r in range(len(chunk)):
            row = []
            for j in range(nvar):
                o = 16 * (r * nvar + j)
                row.append(int.from_bytes(res[o:o + SIZE[rt]], "little"))
            out.append(row)
    return out


def check_batch(name, records, imm=None):
    info = SIMD_OPS[name]
    fn = SIMD[name.replace(".", "_")]
    rt = info.results[0]
    theirs = run_batch(name, records, imm)
    for rec, refs in zip(records, theirs):
        args = [decode(t, b) for t, b in zip(info.params, rec)]
        for lane, ref in zip(variants(info), refs):
            if imm is not None:
                r = fn(*args, imm)
            elif lane is not None:
                r = fn(*args, lane)
            else:
                r = fn(*args)
            mine = encode(rt, r)
            if mine != ref or name in NAN_OPS:
                where = f"{name}{'' if lane is None else f' {lane}'}({', '.join(map(hex, rec))})"
                compare(name, rec, mine, ref, where)


# -- value ops: the edges, then random batches ---------------------------------------------
def edge_records(name):
    """Every (splatted) edge lane for unary ops, every pair of them for binary ops."""
    info = SIMD_OPS[name]
    shape = input_shape(name)
    if shape is None:
        shape = "i8x16"
    w, kind = SHAPES[shape]
    edges = (F32_EDGES if w == 32 else F64_EDGES) if kind == "f" else int_edges(w)
    vecs = [join([e] * (128 // w), w) for e in edges]
    # plus vectors whose lanes differ: each edge next to its neighbours
    vecs += [join([edges[(i + j) % len(edges)] for j in range(128 // w)], w)
             for i in range(len(edges))]
    scalars = {
        I32: SHIFT_COUNTS if name.split(".")[1].startswith(("shl", "shr")) else int_edges(32),
        I64: int_edges(64), F32: F32_EDGES, F64: F64_EDGES,
    }
    pools = [vecs if t is V128 else scalars[t] for t in info.params]
    if len(pools) == 1:
        return [(x,) for x in pools[0]]
    if len(pools) == 2:
        return [(x, y) for x in pools[0] for y in pools[1]]
    return [(x, y, z) for x in pools[0][::7] for y in pools[1][::5] for z in pools[2][::3]]


@pytest.mark.parametrize("name", VALUE_OPS)
def test_edges_against_wasmtime(name):
    check_batch(name, edge_records(name))


@functools.lru_cache(maxsize=None)
def records_strategy(name, pool=4):
    """Batches of records: a small pool of operands per operand position, every
    combination of them (many records from few draws: drawing is the slow part)."""
    info = SIMD_OPS[name]
    size = {1: 2 * pool, 2: pool, 3: 3}.get(len(info.params), pool)
    pools = st.tuples(*(st.lists(operand(name, t), min_size=1, max_size=size)
                        for t in info.params))
    return pools.map(lambda ps: list(itertools.product(*ps)))


@pytest.mark.parametrize("name", VALUE_OPS)
@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_against_wasmtime(name, data):
    check_batch(name, data.draw(records_strategy(name), label="records"))


SHUFFLE_LANES = st.one_of(
    st.lists(st.integers(0, 31), min_size=16, max_size=16),
    st.lists(st.sampled_from([0, 15, 16, 31]), min_size=16, max_size=16),
    st.permutations(range(16)),
    st.permutations(range(16, 32)),
).map(tuple)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lanes=SHUFFLE_LANES, records=records_strategy("i8x16.shuffle", 3))
def test_shuffle_against_wasmtime(lanes, records):
    check_batch("i8x16.shuffle", records, lanes)


# -- memory ops -------------------------------------------------------------------------------
PAGE = 0x10000
OFFSETS = [0, 0, 0, 1, 15, 0xFFF0, 0xFFFFFFFF]


def memory_probe(name, offset):
    """The probe module for memory op `name` with static offset `offset`: export
    "f<lane>" per lane (or "f"), taking (addr i32 [, v lo i64, v hi i64])."""
    key = (name, offset)
    if key not in _PROBES:
        info = SIMD_OPS[name]
        has_v = V128 in info.params
        lanes = [None]
        if info.imm == op.IMM_MEMARG_LANE:
            lanes = list(range(128 >> (3 + info.natural_align)))
        funcs = []
        for lane in lanes:
            params = "(param i32 i64 i64)" if has_v else "(param i32)"
            body = "local.get 0"
            if has_v:
                body += (" v128.const i64x2 0 0 local.get 1 i64x2.replace_lane 0"
                         " local.get 2 i64x2.replace_lane 1")
            body += f" {name} offset={offset}" + ("" if lane is None else f" {lane}")
            if info.results:
                results = "(result i64 i64) (local v128)"
                slot = 3 if has_v else 1
                body += (f" local.tee {slot} i64x2.extract_lane 0"
                         f" local.get {slot} i64x2.extract_lane 1")
            else:
                results = ""
            tag = "" if lane is None else str(lane)
            funcs.append(f'(func (export "f{tag}") {params} {results} {body})')
        ex = _instance(f'(module (memory (export "mem") 1) {" ".join(funcs)})')
        _PROBES[key] = ({k: ex[k] for k in (f"f{'' if l is None else l}" for l in lanes)},
                        ex["mem"])
    return _PROBES[key]


def signed32(x):
    return x - (1 << 32) if x >> 31 else x


def signed64(x):
    return x - (1 << 64) if x >> 63 else x


OURS_MEM = bytearray(PAGE)


def check_memory(name, offset, addr, window, v, lane):
    info = SIMD_OPS[name]
    w = _wasmtime()
    store = w["store"]
    funcs, mem = memory_probe(name, offset)
    lanes = 128 >> (3 + info.natural_align)
    if info.imm == op.IMM_MEMARG_LANE:
        lane %= lanes
    else:
        lane = None
    fn_w = funcs[f"f{'' if lane is None else lane}"]
    # the same bytes around the address on both sides (the memories are kept equal)
    w0 = min(max(addr + offset, 0), PAGE - len(window))
    mem.write(store, window, w0)
    OURS_MEM[w0:w0 + len(window)] = window
    has_v = V128 in info.params
    wargs = [signed32(addr)]
    if has_v:
        wargs += [signed64(v & M64), signed64(v >> 64)]
    ours_args = [OURS_MEM, addr + offset] + ([v] if has_v else []) + (
        [] if lane is None else [lane])
    where = f"{name} offset={offset} lane={lane} at {addr:#x} v={v:#x}"
    try:
        theirs = ("ok", fn_w(store, *wargs))
    except w["mod"].Trap as e:
        theirs = ("trap", str(e))
    try:
        ours = ("ok", SIMD[name.replace(".", "_")](*ours_args))
    except Trap as e:
        assert e.message == "out of bounds memory access", where
        ours = ("trap", e.message)
    assert ours[0] == theirs[0], f"{where}: ours {ours}, wasmtime {theirs}"
    if ours[0] == "trap":
        assert "out of bounds" in theirs[1], theirs
    elif info.results:
        lo, hi = theirs[1]
        ref = (lo & M64) | ((hi & M64) << 64)
        assert encode(V128, ours[1]) == ref, f"{where}: ours {ours[1]:#x}, wasmtime {ref:#x}"
    else:
        assert ours[1] is None
    if not info.results or ours[0] == "trap":
        assert len(OURS_MEM) == PAGE
        assert mem.read(store, 0, PAGE) == OURS_MEM, f"{where}: memories differ"


def _addresses(size):
    return st.one_of(
        st.integers(0, 64),
        st.integers(PAGE - size - 4, PAGE + 4),
        st.integers(0, PAGE - 1),
        st.integers(0xFFFFFFF0, 0xFFFFFFFF),
        st.integers(0, 0xFFFFFFFF),
    )


@pytest.mark.parametrize("name", MEMORY_OPS)
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_memory_against_wasmtime(name, data):
    info = SIMD_OPS[name]
    _wasmtime()
    offset = data.draw(st.sampled_from(OFFSETS), label="offset")
    funcs, mem = memory_probe(name, offset)
    store = _WASMTIME["store"]
    OURS_MEM[:] = mem.read(store, 0, PAGE)
    addr = data.draw(_addresses(1 << info.natural_align), label="addr")
    window = data.draw(st.binary(min_size=32, max_size=32), label="window")
    v = data.draw(v128(None), label="v")
    lane = data.draw(st.integers(0, 15), label="lane")
    check_memory(name, offset, addr, window, v, lane)


# -- the official spec suite: single-instruction exports ---------------------------------------
SPEC_DIR = Path(__file__).parent / "spectest" / "v2"


def _leb(b, i, signed=False):
    r = shift = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            if signed and x & 0x40:
                r -= 1 << shift
            return r, i


def single_instruction_exports(wasm: bytes):
    """({export name: (op name, immediate)}, initial memory or None) for the exported
    functions whose body is `local.get 0 .. local.get n-1; <one SIMD op>; end` with the
    op's own signature. The immediate of a memory op is (offset, lane or None)."""
    i = 8
    types, funcs, exports, bodies = [], [], {}, []
    nimported = 0
    mem = None
    while i < len(wasm):
        sid = wasm[i]
        size, i = _leb(wasm, i + 1)
        end = i + size
        if sid == 1:
            n, i = _leb(wasm, i)
            for _ in range(n):
                i += 1  # 0x60
                np, i = _leb(wasm, i)
                ps = wasm[i:i + np]
                i += np
                nr, i = _leb(wasm, i)
                rs = wasm[i:i + nr]
                i += nr
                types.append((bytes(ps), bytes(rs)))
        elif sid == 2:
            n, i = _leb(wasm, i)
            for _ in range(n):
                for _s in range(2):
                    ln, i = _leb(wasm, i)
                    i += ln
                kind = wasm[i]
                i += 1
                if kind == 0:
                    _, i = _leb(wasm, i)
                    nimported += 1
                    funcs.append(None)
                elif kind in (1, 2):
                    if kind == 1:
                        i += 1  # reftype
                    flags = wasm[i]
                    _, i = _leb(wasm, i + 1)
                    if flags & 1:
                        _, i = _leb(wasm, i)
                    if kind == 2:
                        return {}, None  # an imported memory: its contents are unknown
                else:
                    i += 2
        elif sid == 3:
            n, i = _leb(wasm, i)
            for _ in range(n):
                t, i = _leb(wasm, i)
                funcs.append(t)
        elif sid == 5:
            n, i = _leb(wasm, i)
            if n:
                pages, _ = _leb(wasm, i + 1)
                mem = bytearray(pages * PAGE)
        elif sid == 7:
            n, i = _leb(wasm, i)
            for _ in range(n):
                ln, i = _leb(wasm, i)
                nm = wasm[i:i + ln].decode()
                i += ln
                kind = wasm[i]
                idx, i = _leb(wasm, i + 1)
                if kind == 0:
                    exports[nm] = idx
        elif sid == 10:
            n, i = _leb(wasm, i)
            for _ in range(n):
                sz, i = _leb(wasm, i)
                bodies.append(bytes(wasm[i:i + sz]))
                i += sz
        elif sid == 11:
            n, i = _leb(wasm, i)
            for _ in range(n):
                flags, i = _leb(wasm, i)
                if flags == 1:  # passive
                    ln, i = _leb(wasm, i)
                    i += ln
                    continue
                if flags == 2:
                    _, i = _leb(wasm, i)
                if wasm[i] != 0x41:  # not i32.const: give up on memory ops
                    mem = None
                    break
                at, i = _leb(wasm, i + 1, signed=True)
                i += 1  # end
                ln, i = _leb(wasm, i)
                if mem is not None:
                    mem[at:at + ln] = wasm[i:i + ln]
                i += ln
        i = end
    V = {0x7F: I32, 0x7E: I64, 0x7D: F32, 0x7C: F64, 0x7B: V128}
    found = {}
    for nm, idx in exports.items():
        if idx < nimported or funcs[idx] is None:
            continue
        body = bodies[idx - nimported]
        ps, rs = types[funcs[idx]]
        try:
            j = 0
            nloc, j = _leb(body, j)
            if nloc:
                continue
            k = 0
            while body[j] == 0x20:
                x, j = _leb(body, j + 1)
                if x != k:
                    raise ValueError
                k += 1
            if body[j] != 0xFD:
                continue
            sub, j = _leb(body, j + 1)
            info = op.OPS.get(0xFD << 16 | sub)
            if info is None or info.name == "v128.const":
                continue
            imm = None
            if info.imm == op.IMM_LANE:
                imm = body[j]
                j += 1
            elif info.imm == op.IMM_SHUFFLE:
                imm = tuple(body[j:j + 16])
                j += 16
            elif info.imm in MEM_KINDS:
                if mem is None:
                    continue
                _, j = _leb(body, j)  # alignment
                offset, j = _leb(body, j)
                lane = None
                if info.imm == op.IMM_MEMARG_LANE:
                    lane = body[j]
                    j += 1
                imm = (offset, lane)
            if body[j:] != b"\x0b":
                continue
            if (k != len(info.params) or [V.get(x) for x in ps] != list(info.params)
                    or [V.get(x) for x in rs] != list(info.results)):
                continue
        except (IndexError, ValueError):
            continue
        found[nm] = (info.name, imm)
    return found, mem


LANE_W = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
TYPE = {"i32": I32, "i64": I64, "f32": F32, "f64": F64, "v128": V128}


def spec_arg(a):
    if a["type"] == "v128":
        w = LANE_W[a["lane_type"]]
        return join([int(x) for x in a["value"]], w)
    return decode(TYPE[a["type"]], int(a["value"]) & (M32 if a["type"] in ("i32", "f32") else M64))


def check_spec_result(e, r, where):
    t = TYPE[e["type"]]
    bits = encode(t, r)
    if t is V128:
        w = LANE_W[e["lane_type"]]
        vals = e["value"]
        for i, (m, x) in enumerate(zip(lanes_of(bits, w), vals)):
            if x == "nan:canonical":
                assert is_canonical(w, m), f"{where}: lane {i}: {m:#x} not canonical"
            elif x == "nan:arithmetic":
                assert is_nan(w, m) and is_quiet(w, m), f"{where}: lane {i}: {m:#x}"
            else:
                assert m == int(x) & ((1 << w) - 1), f"{where}: lane {i}: {m:#x} != {x}"
    else:
        x = e["value"]
        w = 32 if t in (I32, F32) else 64
        if x == "nan:canonical":
            assert is_canonical(w, bits), where
        elif x == "nan:arithmetic":
            assert is_nan(w, bits) and is_quiet(w, bits), where
        else:
            assert bits == int(x) & ((1 << w) - 1), f"{where}: {bits:#x} != {x}"


SPEC_FILES = sorted(p.stem for p in SPEC_DIR.glob("simd_*.json"))


@pytest.mark.parametrize("stem", SPEC_FILES or ["(none)"])
def test_spec_suite_single_instructions(stem):
    """The spec suite's assert_return/assert_trap commands on single-instruction
    exports, run on the helpers directly. Memory ops run on the module's initial memory
    (active data segments applied) as long as nothing else has run on that instance (an
    invoke we skip might have written to it)."""
    path = SPEC_DIR / f"{stem}.json"
    assert path.is_file(), f"the bundled SIMD spec suite is missing: {path}"
    commands = json.loads(path.read_text())["commands"]
    current = ({}, None, [False])  # (exports, memory, [dirty])
    named = {}
    ran = 0
    for c in commands:
        if c["type"] == "module":
            fn = c.get("filename", "")
            table, mem = single_instruction_exports((SPEC_DIR / fn).read_bytes()) if (
                fn.endswith(".wasm")) else ({}, None)
            current = (table, mem, [False])
            if "name" in c:
                named[c["name"]] = current
            continue
        if c["type"] not in ("assert_return", "assert_trap", "action"):
            continue
        act = c["action"]
        if act["type"] != "invoke":
            continue
        table, mem, dirty = named.get(act["module"], ({}, None, [True])) if (
            "module" in act) else current
        entry = table.get(act["field"])
        memory_op = entry is not None and SIMD_OPS[entry[0]].imm in MEM_KINDS
        if entry is None or (memory_op and dirty[0]):
            dirty[0] = True
            continue
        name, imm = entry
        args = [spec_arg(a) for a in act["args"]]
        fn = SIMD[name.replace(".", "_")]
        where = f"{stem}.json line {c['line']}: {act['field']} = {name} {imm or ''}"
        if memory_op:
            offset, lane = imm
            call = (lambda: fn(mem, args[0] + offset, *args[1:])) if lane is None else (
                lambda: fn(mem, args[0] + offset, *args[1:], lane))
        elif imm is None:
            call = (lambda: fn(*args))
        else:
            call = (lambda: fn(*args, imm))
        if c["type"] == "assert_trap":
            with pytest.raises(Trap) as exc:
                call()
            assert exc.value.message == c["text"], where
        else:
            r = call()
            if c["type"] == "assert_return" and c["expected"]:
                check_spec_result(c["expected"][0], r, where)
            else:
                assert r is None, where
        ran += 1
    if ran == 0:
        pytest.skip("no single-instruction exports in this file")

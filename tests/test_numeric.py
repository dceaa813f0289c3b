"""transpyle.runtime.numeric against wasmtime and the official spec suite.

Every scalar numeric instruction of Wasm 2.0 is run on operands biased to the edges
(0, +-1, min/max ints, +-0, +-inf, subnormals, FLT_MAX/DBL_MAX, truncation bounds,
rounding ties, NaNs with random payloads, quiet and signalling, both signs) and compared
bit for bit with wasmtime running a one-instruction module. Only integers cross the
wasmtime boundary: float operands enter as i32/i64 bit patterns and are reinterpreted
inside wasm, float results leave as bit patterns (wasmtime-py's own float conversion
goes through C floats and may quiet signalling NaNs).

Where the spec allows any arithmetic NaN, both results must be NaNs, ours must have the
quiet bit set, and ours must be canonical when every NaN operand is canonical (or there
is none). Traps must agree, with the spec's message on our side.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transpyle.errors import Trap
from transpyle.runtime import numeric as N
from transpyle.runtime.numeric import (
    NUMERIC,
    f32_from_bits,
    f32_round,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
)
from transpyle.wasm.opcodes import BY_NAME, OPS
from transpyle.wasm.types import F32, F64, I32, I64

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
WIDTH = {I32: 32, I64: 64, F32: 32, F64: 64}
MASK = {I32: M32, I64: M64, F32: M32, F64: M64}

NAMES = sorted(NUMERIC)

# the instructions whose NaN results may be any arithmetic NaN (canonical if every NaN
# operand is canonical); all other float results must match bit for bit
NAN_OPS = {
    f"{t}.{op}"
    for t in ("f32", "f64")
    for op in "add sub mul div sqrt min max ceil floor trunc nearest".split()
} | {"f32.demote_f64", "f64.promote_f32"}

TRAP_MESSAGES = ("integer divide by zero", "integer overflow", "invalid conversion to integer")


# -- bit helpers -------------------------------------------------------------------
def is_nan_bits(t, u):
    if t is F32:
        return (u & 0x7F800000) == 0x7F800000 and (u & 0x7FFFFF) != 0
    return (u & 0x7FF0000000000000) == 0x7FF0000000000000 and (u & 0xFFFFFFFFFFFFF) != 0


def is_quiet_bits(t, u):
    return bool(u & (0x400000 if t is F32 else 0x8000000000000))


def is_canonical_bits(t, u):
    if t is F32:
        return (u & 0x7FFFFFFF) == 0x7FC00000
    return (u & 0x7FFFFFFFFFFFFFFF) == 0x7FF8000000000000


def decode(t, bits):
    """Our internal value for wasm bits of type t."""
    if t is F32:
        return f32_from_bits(bits)
    if t is F64:
        return f64_from_bits(bits)
    return bits


def assert_normalised(t, v):
    """v satisfies the internal representation of type t; returns its bits."""
    if t is I32 or t is I64:
        assert type(v) is int, (t, v, type(v))
        assert 0 <= v <= MASK[t], (t, v)
        return v
    assert type(v) is float, (t, v, type(v))
    if t is F64:
        return f64_to_bits(v)
    d = f64_to_bits(v)
    if v != v:
        assert d & 0x1FFFFFFF == 0, f"f32 NaN with low double mantissa bits: {d:#x}"
        return f32_to_bits(v)
    u = struct.unpack("<I", struct.pack("<f", v))[0]  # raises if out of f32 range
    assert f64_to_bits(f32_from_bits(u)) == d, f"not an f32 value: {v!r}"
    return u


# -- the wasmtime oracle -------------------------------------------------------------
_WASMTIME = {}
_PROBES: dict[str, object] = {}


def _wasmtime():
    if not _WASMTIME:
        wasmtime = pytest.importorskip(
            "wasmtime", reason="wasmtime (a test-only dependency) is not installed: no oracle"
        )
        engine = wasmtime.Engine()
        _WASMTIME.update(
            mod=wasmtime,
            engine=engine,
            store=wasmtime.Store(engine),
            traps={
                wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO: "integer divide by zero",
                wasmtime.TrapCode.INTEGER_OVERFLOW: "integer overflow",
                wasmtime.TrapCode.BAD_CONVERSION_TO_INTEGER: "invalid conversion to integer",
            },
        )
    return _WASMTIME


@pytest.fixture(scope="module", autouse=True)
def _release_wasmtime():
    """Drop the wasmtime objects while the interpreter is still whole (at exit their
    finalisers run after wasmtime's ctypes bindings are gone and print noise)."""
    yield
    _PROBES.clear()
    _WASMTIME.clear()


def probe_wat(name):
    info = BY_NAME[name]
    params, body = [], []
    for i, t in enumerate(info.params):
        if t is F32:
            params.append("i32")
            body.append(f"local.get {i} f32.reinterpret_i32")
        elif t is F64:
            params.append("i64")
            body.append(f"local.get {i} f64.reinterpret_i64")
        else:
            params.append(str(t))
            body.append(f"local.get {i}")
    body.append(name)
    (rt,) = info.results
    result = {F32: "i32", F64: "i64"}.get(rt, str(rt))
    if rt is F32:
        body.append("i32.reinterpret_f32")
    elif rt is F64:
        body.append("i64.reinterpret_f64")
    return (
        f'(module (func (export "f") (param {" ".join(params)}) (result {result})\n  '
        + "\n  ".join(body)
        + "))"
    )


def probe(name):
    """The wasmtime function for `name` (compiled once), taking and returning bits."""
    fn = _PROBES.get(name)
    if fn is None:
        w = _wasmtime()
        wasmtime, store = w["mod"], w["store"]
        module = wasmtime.Module(w["engine"], wasmtime.wat2wasm(probe_wat(name)))
        fn = _PROBES[name] = wasmtime.Instance(store, module, []).exports(store)["f"]
    return fn


def run_wasmtime(name, args):
    """('ok', result bits) or ('trap', spec message)."""
    w = _wasmtime()
    try:
        r = probe(name)(w["store"], *args)
    except w["mod"].Trap as e:
        return "trap", w["traps"].get(e.trap_code, f"unexpected trap {e.trap_code}")
    return "ok", r & MASK[BY_NAME[name].results[0]]


def run_ours(name, args):
    """('ok', result bits) or ('trap', message), checking the representation."""
    info = BY_NAME[name]
    vals = [decode(t, b) for t, b in zip(info.params, args)]
    try:
        r = NUMERIC[name](*vals)
    except Trap as e:
        assert e.message in TRAP_MESSAGES, e.message
        return "trap", e.message
    return "ok", assert_normalised(info.results[0], r)


def check(name, args):
    info = BY_NAME[name]
    ours = run_ours(name, args)
    theirs = run_wasmtime(name, args)
    where = f"{name}({', '.join(hex(a) for a in args)})"
    if ours[0] == "trap" or theirs[0] == "trap":
        assert ours == theirs, f"{where}: ours {ours}, wasmtime {theirs}"
        return
    rt = info.results[0]
    mine, ref = ours[1], theirs[1]
    if name in NAN_OPS and is_nan_bits(rt, ref):
        assert is_nan_bits(rt, mine), f"{where}: ours {mine:#x}, wasmtime NaN {ref:#x}"
        assert is_quiet_bits(rt, mine), f"{where}: NaN {mine:#x} is not arithmetic"
        nan_args = [
            (t, a) for t, a in zip(info.params, args) if t in (F32, F64) and is_nan_bits(t, a)
        ]
        if all(is_canonical_bits(t, a) for t, a in nan_args):
            assert is_canonical_bits(rt, mine), f"{where}: NaN {mine:#x} must be canonical"
    else:
        assert mine == ref, f"{where}: ours {mine:#x}, wasmtime {ref:#x}"


# -- operands biased to the edges ----------------------------------------------------
I32_EDGES = [
    0, 1, 2, 3, 5, 7, 16, 31, 32, 33, 63, 64, 65, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000,
    0xFFFF, 0x10000, 0x55555555, 0xAAAAAAAA, 0x00FFFFFF, 0x01000000, 0x01000001,
    0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFF9, 0xFFFFFFFE, 0xFFFFFFFF,
    0x7F800000, 0x7FC00000, 0x7FA00000, 0xFF800001, 0x7F7FFFFF,  # f32 inf, NaNs, FLT_MAX
    0xFF000000, 0xFEFFFFFF, 0xFF000001,  # -2**24 and neighbours (f32.convert fast path)
]
I64_EDGES = [
    0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 0x80, 0xFF, 0x8000, 0x80000000, 0xFFFFFFFF,
    0x100000000, 0x7FFFFFFF, 1 << 24, (1 << 24) + 1, (1 << 53) - 1, 1 << 53, (1 << 53) + 1,
    (1 << 63) + (1 << 39) + 1,  # via double it rounds twice (wrong) for f32
    (1 << 63) + (1 << 39), (1 << 62) + (1 << 38) + 1, 0x7FFFFF4000000001,
    0x7FFFFFFFFFFFFFFE, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001,
    0xFFFFFFFF80000000, 0xFFFFFFFFFFFFFFF9, 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF,
    (-((1 << 63) + (1 << 39) + 1)) & M64, 0xAAAAAAAAAAAAAAAA, 0x5555555555555555,
    0x7FF0000000000000, 0x7FF8000000000000, 0x7FF4000000000000, 0xFFF0000000000001,
    0xFFFFFFFFFF000000, 0xFFFFFFFFFEFFFFFF, 0xFFFFFFFFFF000001, 0xFFE0000000000001,
]
F32_EDGES = [
    0x00000000, 0x80000000,  # +-0
    0x00000001, 0x80000001,  # smallest subnormals
    0x007FFFFF, 0x807FFFFF,  # largest subnormals
    0x00800000, 0x80800000,  # smallest normals
    0x3F800000, 0xBF800000,  # +-1
    0x3F000000, 0xBF000000, 0x3FC00000, 0xC0200000, 0x3F7FFFFF, 0xBF7FFFFF,  # .5 1.5 -2.5
    0x3EFFFFFF, 0x40400000, 0x4B000000, 0x4AFFFFFF, 0xCAFFFFFF, 0x4B000001,  # 2**23 area
    0x4EFFFFFF, 0x4F000000, 0xCF000000, 0xCF000001,  # i32 bounds
    0x4F7FFFFF, 0x4F800000,  # u32 bound
    0x5EFFFFFF, 0x5F000000, 0xDF000000, 0xDF000001, 0x5F7FFFFF, 0x5F800000,  # i64/u64
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000,  # +-FLT_MAX, 2**127
    0x7F800000, 0xFF800000,  # +-inf
    0x7FC00000, 0xFFC00000,  # canonical NaNs
    0x7FA00000, 0xFFA00000, 0x7F800001, 0xFF800001,  # signalling NaNs
    0x7FC00001, 0xFFFFFFFF, 0x7FFFFFFF,  # arithmetic NaNs
]
F64_EDGES = [
    0x0000000000000000, 0x8000000000000000,
    0x0000000000000001, 0x8000000000000001,
    0x000FFFFFFFFFFFFF, 0x800FFFFFFFFFFFFF,
    0x0010000000000000, 0x8010000000000000,
    0x3FF0000000000000, 0xBFF0000000000000, 0x3FE0000000000000, 0xBFE0000000000000,
    0x3FF8000000000000, 0xC004000000000000, 0x3FEFFFFFFFFFFFFF, 0xBFEFFFFFFFFFFFFF,
    0x3FDFFFFFFFFFFFFF, 0x4330000000000000, 0x432FFFFFFFFFFFFF, 0xC32FFFFFFFFFFFFF,
    0x41DFFFFFFFC00000, 0x41DFFFFFFFFFFFFF, 0x41E0000000000000,  # 2**31 - 1, -.., 2**31
    0xC1E0000000000000, 0xC1E0000000200000, 0xC1E00000001FFFFF,  # -2**31, -2**31 - 1, ..
    0x41EFFFFFFFFFFFFF, 0x41F0000000000000,  # u32 bound
    0x43DFFFFFFFFFFFFF, 0x43E0000000000000, 0xC3E0000000000000, 0xC3E0000000000001,
    0x43EFFFFFFFFFFFFF, 0x43F0000000000000,
    0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x47EFFFFFEFFFFFFF,  # FLT_MAX, +half ulp, -
    0x36A0000000000000, 0x3690000000000000, 0x3690000000000001,  # f32 min subnormal, half
    0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF,
    0x7FF0000000000000, 0xFFF0000000000000,
    0x7FF8000000000000, 0xFFF8000000000000,
    0x7FF4000000000000, 0x7FF0000000000001, 0xFFF0000020000000,  # signalling
    0x7FF8000000000001, 0xFFFFFFFFFFFFFFFF, 0x7FF8000020000000,  # arithmetic
]
EDGES = {I32: I32_EDGES, I64: I64_EDGES, F32: F32_EDGES, F64: F64_EDGES}


def _nan(t):
    mant_bits = 23 if t is F32 else 52
    exp = (0xFF << 23) if t is F32 else (0x7FF << 52)
    sign = 1 << (WIDTH[t] - 1)

    def build(neg, quiet, payload):
        quiet_bit = 1 << (mant_bits - 1)
        m = payload & (quiet_bit - 1)
        if quiet:
            m |= quiet_bit
        elif not m:
            m = 1
        return (sign if neg else 0) | exp | m

    return st.builds(build, st.booleans(), st.booleans(), st.integers(0, (1 << mant_bits) - 1))


def _float_bits(t):
    width = WIDTH[t]
    fmt = "<f" if t is F32 else "<d"
    ufmt = "<I" if t is F32 else "<Q"

    def to_bits(x):
        return struct.unpack(ufmt, struct.pack(fmt, x))[0]

    return st.one_of(
        st.sampled_from(EDGES[t]),
        st.floats(width=width, allow_nan=False).map(to_bits),
        st.integers(0, MASK[t]),
        _nan(t),
        # small integers and halves: exercise ceil/floor/nearest and truncations
        st.integers(-600, 600).map(lambda n: to_bits(n / 4)),
    )


def _tie_ints(t, precision):
    """Integers (as unsigned bits of type t) at or next to a rounding tie at `precision`
    significant bits: m * 2**k + 2**(k-1) + {-1, 0, +1}."""
    top = WIDTH[t] - 1

    def build(neg, k, m, delta):
        k = min(k, top - precision)
        n = (m << k) + (1 << k >> 1) + delta
        n = min(max(n, 0), (1 << top) - 1 if neg else MASK[t])
        return (-n) & MASK[t] if neg else n

    return st.builds(
        build,
        st.booleans(),
        st.integers(1, top),
        st.integers(1 << (precision - 1), (1 << precision) - 1),
        st.integers(-1, 1),
    )


def _int_bits(t):
    return st.one_of(
        st.sampled_from(EDGES[t]),
        _nan(F32 if t is I32 else F64),  # ints are often float bits (reinterpret)
        st.integers(0, MASK[t]),
        st.integers(-70, 70).map(lambda n: n & MASK[t]),
        *(_tie_ints(t, p) for p in (24, 53) if p < WIDTH[t] - 1),
        # sign-extension edges: values whose low 8/16/32 bits are at the sign boundary
        st.builds(
            lambda hi, w, lo: (hi << w | lo) & MASK[t],
            st.integers(0, MASK[t]),
            st.sampled_from([8, 16, 32]),
            st.sampled_from([0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000]),
        ),
    )


def operand(t):
    return _float_bits(t) if t in (F32, F64) else _int_bits(t)


_ARGS: dict[str, st.SearchStrategy] = {}


def args_strategy(name):
    s = _ARGS.get(name)
    if s is None:
        params = BY_NAME[name].params
        if len(params) == 1:
            s = operand(params[0]).map(lambda a: (a,))
        else:
            t = params[0]
            x = operand(t)
            sign = 1 << (WIDTH[t] - 1)
            s = st.one_of(
                st.tuples(x, x),
                x.map(lambda a: (a, a)),  # equal: x - x, min/max of equals, div by self
                x.map(lambda a: (a, a ^ sign)),  # opposite: x + -x, copysign, +-0
                # neighbours: near-cancellation, ordering, one ulp apart
                st.tuples(x, st.integers(-2, 2)).map(lambda p: (p[0], (p[0] + p[1]) & MASK[t])),
            )
        _ARGS[name] = s
    return s


# -- the table is complete -----------------------------------------------------------
def test_numeric_covers_every_scalar_numeric_instruction():
    fc = 0xFC << 16
    wanted = {
        info.name for code, info in OPS.items() if 0x45 <= code <= 0xC4 or fc <= code <= fc | 7
    }
    assert set(NUMERIC) == wanted
    assert len(NUMERIC) == 136
    for name, fn in NUMERIC.items():
        assert getattr(N, name.replace(".", "_")) is fn


def test_comparisons_return_int_not_bool():
    for name in N.COMPARISONS:
        info = BY_NAME[name]
        args = [decode(t, 0) for t in info.params]
        r = NUMERIC[name](*args)
        assert type(r) is int and r in (0, 1), name
    assert N.COMPARISONS == {
        n for n in NUMERIC if BY_NAME[n].results == (I32,) and n.split(".")[1] in (
            "eqz eq ne lt gt le ge lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u".split())
    }


# -- hand-picked cases that need no oracle ----------------------------------------------
def test_trap_messages():
    cases = [
        (N.i32_div_s, (1, 0), "integer divide by zero"),
        (N.i32_div_s, (0x80000000, 0), "integer divide by zero"),
        (N.i32_div_s, (0x80000000, M32), "integer overflow"),
        (N.i64_div_s, (1 << 63, M64), "integer overflow"),
        (N.i64_div_s, (1 << 63, 0), "integer divide by zero"),
        (N.i32_div_u, (5, 0), "integer divide by zero"),
        (N.i32_rem_s, (0x80000000, 0), "integer divide by zero"),
        (N.i64_rem_u, (5, 0), "integer divide by zero"),
        (N.i32_trunc_f32_s, (math.nan,), "invalid conversion to integer"),
        (N.i64_trunc_f64_u, (-math.inf,), "integer overflow"),
        (N.i32_trunc_f64_u, (-1.0,), "integer overflow"),
        (N.i64_trunc_f64_s, (9223372036854775808.0,), "integer overflow"),
    ]
    for fn, args, message in cases:
        with pytest.raises(Trap) as exc:
            fn(*args)
        assert exc.value.message == message == str(exc.value)
    assert N.i32_rem_s(0x80000000, M32) == 0
    assert N.i64_rem_s(1 << 63, M64) == 0
    assert N.i32_trunc_f64_u(-0.9) == 0
    assert N.i32_trunc_f64_s(-2147483648.9) == 0x80000000


def test_division_truncates_toward_zero():
    assert N.i32_div_s(-7 & M32, 2) == -3 & M32
    assert N.i32_div_s(7, -2 & M32) == -3 & M32
    assert N.i32_div_s(-7 & M32, -2 & M32) == 3
    assert N.i32_rem_s(-7 & M32, 2) == -1 & M32
    assert N.i32_rem_s(7, -2 & M32) == 1
    assert N.i64_div_s(-7 & M64, 2) == -3 & M64
    assert N.i64_rem_s(-7 & M64, -2 & M64) == -1 & M64


def test_float_edge_semantics():
    inf, nan = math.inf, math.nan
    assert N.f64_div(1.0, 0.0) == inf and N.f64_div(-1.0, 0.0) == -inf
    assert N.f64_div(1.0, -0.0) == -inf and N.f64_div(-inf, -0.0) == inf
    assert f64_to_bits(N.f64_div(0.0, 0.0)) & ~(1 << 63) == 0x7FF8000000000000
    assert f32_to_bits(N.f32_div(-0.0, 0.0)) & 0x7FFFFFFF == 0x7FC00000
    assert N.f32_div(3.0, -0.0) == -inf
    assert f64_to_bits(N.f64_sqrt(-1.0)) & ~(1 << 63) == 0x7FF8000000000000
    assert math.copysign(1, N.f64_sqrt(-0.0)) == -1
    assert f32_to_bits(N.f32_sqrt(-inf)) & 0x7FFFFFFF == 0x7FC00000
    for fn in (N.f64_ceil, N.f64_floor, N.f64_trunc, N.f64_nearest):
        assert fn(inf) == inf and fn(-inf) == -inf and fn(nan) != fn(nan)
        assert math.copysign(1, fn(-0.0)) == -1
    assert math.copysign(1, N.f64_ceil(-0.5)) == -1
    assert math.copysign(1, N.f64_nearest(-0.5)) == -1
    assert math.copysign(1, N.f64_trunc(-0.99)) == -1
    assert [N.f64_nearest(x) for x in (0.5, 1.5, 2.5, -2.5, 4503599627370495.5)] == [
        0.0, 2.0, 2.0, -2.0, 4503599627370496.0
    ]
    assert math.copysign(1, N.f64_min(0.0, -0.0)) == -1
    assert math.copysign(1, N.f64_min(-0.0, 0.0)) == -1
    assert math.copysign(1, N.f64_max(-0.0, 0.0)) == 1
    assert math.copysign(1, N.f64_max(0.0, -0.0)) == 1
    assert math.copysign(1, N.f64_max(-0.0, -0.0)) == -1
    assert math.copysign(1, N.f64_min(0.0, 0.0)) == 1
    flt_max = f32_from_bits(0x7F7FFFFF)
    assert N.f32_add(flt_max, flt_max) == inf and N.f32_mul(flt_max, -2.0) == -inf
    assert N.f32_mul(f32_from_bits(1), 0.5) == 0.0  # tie to even: underflow to +0
    assert N.f32_mul(f32_from_bits(3), 0.5) == f32_from_bits(2)


def test_f32_nan_representation():
    for u in (0x7F800001, 0xFF800001, 0x7FA00000, 0x7FC00000, 0xFFFFFFFF, 0x7FBFFFFF):
        x = f32_from_bits(u)
        d = f64_to_bits(x)
        assert d == ((u >> 31) << 63) | 0x7FF0000000000000 | ((u & 0x7FFFFF) << 29)
        assert f32_to_bits(x) == u
        assert N.i32_reinterpret_f32(N.f32_reinterpret_i32(u)) == u
        assert f32_to_bits(N.f32_neg(x)) == u ^ 0x80000000
        assert f32_to_bits(N.f32_abs(x)) == u & 0x7FFFFFFF
        assert f32_to_bits(N.f32_copysign(x, -1.0)) == u | 0x80000000
        # arithmetic on it and conversions give a quiet NaN, payload kept
        for r in (N.f32_add(x, 1.0), N.f32_demote_f64(x), N.f32_ceil(x), N.f32_min(x, 1.0)):
            assert f32_to_bits(r) == u | 0x400000
        assert f64_to_bits(N.f64_promote_f32(x)) == d | 0x8000000000000
    # a double NaN with payload only below the f32 mantissa demotes to a quiet NaN
    assert f32_to_bits(f32_round(f64_from_bits(0x7FF0000000000001))) == 0x7FC00000
    for u in (0x7FF0000000000001, 0xFFF4000000000000, 0x7FF8000000000000):
        assert f64_to_bits(N.f64_reinterpret_i64(u)) == u
        assert N.i64_reinterpret_f64(f64_from_bits(u)) == u


def test_f32_convert_i64_rounds_once():
    # 2**63 + 2**39 + 1: via double it rounds to the tie 2**63 + 2**39, then to even 2**63
    n = (1 << 63) + (1 << 39) + 1
    assert float(n) == 2.0**63 + 2.0**39
    assert N.f32_convert_i64_u(n) == 2.0**63 + 2.0**40
    n = (1 << 62) + (1 << 38) + 1
    assert N.f32_convert_i64_s((-n) & M64) == -(2.0**62 + 2.0**39)
    assert N.f32_convert_i64_s(n) == 2.0**62 + 2.0**39
    assert N.f32_convert_i64_u(M64) == 2.0**64
    assert N.f32_convert_i64_s(1 << 63) == -(2.0**63)
    assert N.f32_convert_i64_u((1 << 24) + 1) == 2.0**24  # tie to even
    assert N.f32_convert_i64_u((1 << 24) + 3) == 2.0**24 + 4


def _f32_round_reference(d):
    """A finite double rounded to single by exact rational arithmetic (ties to even)."""
    from fractions import Fraction

    if d == 0.0:
        return d
    q = abs(Fraction(d))
    e = max(math.frexp(d)[1] - 1, -126)  # 2**e <= |d| < 2**(e+1), clamped to subnormals
    ulp = Fraction(2) ** (e - 23)
    m, rem = divmod(q, ulp)
    if rem > ulp / 2 or (rem == ulp / 2 and m % 2):
        m += 1
    r = m * ulp
    return math.copysign(math.inf if r >= 2**128 else float(r), d)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from(F64_EDGES), st.integers(0, M64), _nan(F64),
                 st.floats(width=32).map(lambda x: x * (1 + 2**-24))))
def test_f32_round_matches_exact_reference(bits):
    d = f64_from_bits(bits) if isinstance(bits, int) else bits
    r = f32_round(d)
    assert_normalised(F32, r)
    if d != d:
        assert r != r and is_quiet_bits(F32, f32_to_bits(r))
    elif math.isinf(d):
        assert r == d
    else:
        assert f64_to_bits(r) == f64_to_bits(_f32_round_reference(d)), d


# -- the oracle: wasmtime ----------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_edges_against_wasmtime(name):
    """Every combination of the edge operands."""
    params = BY_NAME[name].params
    for args in itertools.product(*(EDGES[t] for t in params)):
        check(name, args)


# Hypothesis costs ~1-2 ms per example whatever the test does (engine bookkeeping), so
# each example is a batch of operand tuples: 30 examples x 4..12 tuples gives ~240
# operand tuples per instruction for the price of 30 examples; a failure still shrinks
# to a single tuple.
@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_against_wasmtime(name, data):
    batch = data.draw(st.lists(args_strategy(name), min_size=4, max_size=12), label="args")
    for args in batch:
        check(name, args)


# -- the oracle: the official spec suite --------------------------------------------------
SPEC_DIR = Path(__file__).parent / "spectest" / "v2"
SPEC_FILES = {  # file -> prefix for its export names ("" if they are full names)
    "i32": "i32.", "i64": "i64.", "f32": "f32.", "f64": "f64.",
    "f32_bitwise": "f32.", "f64_bitwise": "f64.", "f32_cmp": "f32.", "f64_cmp": "f64.",
    "conversions": "", "float_misc": "",
}


@pytest.mark.parametrize("stem", sorted(SPEC_FILES))
def test_spec_suite(stem):
    path = SPEC_DIR / f"{stem}.json"
    assert path.is_file(), f"the bundled spec suite file is missing: {path}"
    commands = json.loads(path.read_text())["commands"]
    count = 0
    for c in commands:
        if c["type"] not in ("assert_return", "assert_trap") or c["action"]["type"] != "invoke":
            continue
        name = SPEC_FILES[stem] + c["action"]["field"]
        if name not in NUMERIC:
            continue
        info = BY_NAME[name]
        args = [decode(t, int(a["value"])) for t, a in zip(info.params, c["action"]["args"])]
        shown = ", ".join(a["value"] for a in c["action"]["args"])
        where = f"{stem}.json line {c['line']}: {name}({shown})"
        if c["type"] == "assert_trap":
            with pytest.raises(Trap) as exc:
                NUMERIC[name](*args)
            assert exc.value.message == c["text"], where
        else:
            (rt,) = info.results
            mine = assert_normalised(rt, NUMERIC[name](*args))
            expected = c["expected"][0]["value"]
            if expected == "nan:canonical":
                assert is_canonical_bits(rt, mine), f"{where}: {mine:#x}"
            elif expected == "nan:arithmetic":
                assert is_nan_bits(rt, mine) and is_quiet_bits(rt, mine), f"{where}: {mine:#x}"
            else:
                assert mine == int(expected), f"{where}: {mine:#x} != {int(expected):#x}"
        count += 1
    assert count > 100


_NAN_BITS = st.tuples(st.booleans(), st.integers(min_value=1, max_value=2**52 - 1)).map(
    lambda sm: (sm[0] << 63) | 0x7FF0000000000000 | sm[1])


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.integers(min_value=0, max_value=2**64 - 1), _NAN_BITS))
def test_inline_f32_rounding_is_f32_round(bits):
    """Generated code rounds f32 + - * / inline with the namespace's `f32_pack` and
    `f32_unpack` (a native struct round trip, codegen/lowering.py F32ARITH): for every
    double, NaNs of any payload included, that gives f32_round's bits."""
    from transpyle.runtime.support import HELPERS

    d = struct.unpack("<d", struct.pack("<Q", bits))[0]
    inline = HELPERS["f32_unpack"](HELPERS["f32_pack"](d))[0]
    assert struct.pack("<d", inline) == struct.pack("<d", N.f32_round(d))

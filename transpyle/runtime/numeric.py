"""The scalar numeric instructions of WebAssembly 2.0, exactly, on transpyle's values.

Value representation (the contract with the code generator):

* ``i32`` / ``i64``: unsigned Python ints, ``0 <= x < 2**32`` (``2**64``). Every function
  takes normalised operands and returns normalised results; signed views are computed
  inside where an instruction needs them.
* ``f64``: a Python float, the exact IEEE double, NaN payloads included.
* ``f32``: a Python float whose value is exactly representable in single precision.
  A NaN is held as the double whose bits are the f32's widened WITHOUT quieting: same
  sign, exponent all ones, double mantissa = f32 mantissa << 29 (so the low 29 mantissa
  bits are zero and an f32 signalling NaN is a double signalling NaN). NaNs never go
  through a C float<->double conversion (struct ``'f'`` does one, and x86 quiets
  signalling NaNs in it): they are converted by bits.
* Comparisons (``eqz``, ``eq`` ... ``ge``) return the ints 0 and 1 (type ``int``, never
  ``bool``): ``1 if a == b else 0`` costs the same as ``a == b`` on CPython 3.11+ (the
  compare and the branch fuse), and a ``bool`` would leak into results and ``repr``.

Where a C builtin already has the exact semantics, the name is bound to it rather than
wrapped in a ``def`` (a Python-level call costs ~25-35 ns more): ``f64_add/sub/mul``
(``operator.add``...), ``f32/f64_neg`` (``operator.neg``), ``f32/f64_abs`` (``abs``),
``f32/f64_copysign`` (``math.copysign``), ``i32/i64_and/or/xor`` (``operator.and_``...),
``i32/i64_popcnt`` (``int.bit_count``), ``f64_convert_i32_u/i64_u`` (``float``). So the
values of ``NUMERIC`` are callables, not all of them Python functions.

Traps raise :class:`transpyle.errors.Trap` with the specification's messages
``"integer divide by zero"``, ``"integer overflow"`` and
``"invalid conversion to integer"``.

NaN results. The spec lets an operation with a NaN operand return any *arithmetic* NaN
(quiet bit set), and requires the *canonical* NaN (only the quiet bit in the payload,
either sign) when every NaN operand is canonical or the NaN comes from non-NaN operands.
f64 arithmetic is done by the host's IEEE hardware through Python floats, which returns
either an operand NaN with its quiet bit set or the default NaN (canonical on x86, ARM and
RISC-V): both satisfy the rule. ``x * 1.0`` is used the same way to quiet a NaN that an
operation passes through (ceil/floor/trunc/nearest, promote): it is the identity on
every other value, -0 and infinities included. A NaN that becomes an f32 is rebuilt by
bits (``_f32_quiet_nan``). The few places where Python raises instead of returning
a NaN or an infinity (``x / 0.0``, ``math.sqrt`` of a negative, ``math.floor`` of inf or
NaN) are caught or avoided. f32 arithmetic is done in double and rounded once to single
(``f32_round``); double rounding is innocuous for + - * / sqrt because 53 >= 2*24 + 2.
The results of f32 ceil/floor/trunc/nearest/min/max/neg/abs/copysign of f32 values are
f32 values, so those share the f64 functions. ``f32.convert_i64_s/u`` round the integer
directly to 24 bits (via double it would round twice, which is wrong there).

``neg``/``abs``/``copysign`` only touch the sign bit (C ``-x``, ``fabs``, ``copysign``
are bit operations), reinterpretations are bit-exact, including NaN payloads.
"""

from __future__ import annotations

import math
import operator as _operator
import struct
from typing import Callable

from transpyle.errors import Trap

__all__ = [
    "NUMERIC",
    "f32_from_bits",
    "f32_to_bits",
    "f64_from_bits",
    "f64_to_bits",
    "f32_round",
    "F32_CANONICAL_NAN",
    "F64_CANONICAL_NAN",
]

# -- precompiled struct codecs (bound methods: one C call each) -----------------
_S_u32 = struct.Struct("<I")
_S_u64 = struct.Struct("<Q")
_S_f32 = struct.Struct("<f")
_S_f64 = struct.Struct("<d")
# Native-order 'f' for rounding a double to single: the pack and the unpack use the same
# byte order, so only the (float) cast matters. On CPython 3.11-3.13 native 'f' rounds an
# overflowing double to inf without raising (standard '<f' raises OverflowError); the
# rounding functions still catch OverflowError in case a version starts raising.
_S_nf32 = struct.Struct("f")

_pack_u32 = _S_u32.pack
_unpack_u32 = _S_u32.unpack
_pack_u64 = _S_u64.pack
_unpack_u64 = _S_u64.unpack
_pack_f32 = _S_f32.pack
_unpack_f32 = _S_f32.unpack
_pack_f64 = _S_f64.pack
_unpack_f64 = _S_f64.unpack
_pack_nf32 = _S_nf32.pack
_unpack_nf32 = _S_nf32.unpack

_copysign = math.copysign
_sqrt = math.sqrt
_floor = math.floor
_ceil = math.ceil

_INF = math.inf
_NINF = -math.inf
_TWO52 = 4503599627370496.0  # 2**52: every double of at least this magnitude is integral

_MSG_DIV0 = "integer divide by zero"
_MSG_OVERFLOW = "integer overflow"
_MSG_NAN = "invalid conversion to integer"


# -- bit conversions -----------------------------------------------------------
def f64_from_bits(u: int) -> float:
    """The double whose IEEE bits are ``u`` (exact, NaN payloads included)."""
    return _unpack_f64(_pack_u64(u))[0]


def f64_to_bits(x: float) -> int:
    """The IEEE bits of the double ``x`` (exact, NaN payloads included)."""
    return _unpack_u64(_pack_f64(x))[0]


def _f32_nan_from_bits(u: int) -> float:
    # sign, exponent all ones, 23-bit mantissa << 29: no quieting
    return _unpack_f64(
        _pack_u64(((u & 0x80000000) << 32) | 0x7FF0000000000000 | ((u & 0x7FFFFF) << 29))
    )[0]


def f32_from_bits(u: int) -> float:
    """The f32 value (held as a float, see the module docstring) whose bits are ``u``."""
    r = _unpack_f32(_pack_u32(u))[0]
    if r != r:
        # the C float->double conversion may have quieted it: redo it by bits
        return _f32_nan_from_bits(u)
    return r


def f32_to_bits(x: float) -> int:
    """The 32-bit pattern of the f32 value ``x`` (which must satisfy the f32 invariant)."""
    if x != x:
        d = _unpack_u64(_pack_f64(x))[0]
        m = (d >> 29) & 0x7FFFFF
        if not m:  # not a widened f32 NaN (payload only in the low 29 bits): stay a NaN
            m = 0x400000
        return ((d >> 32) & 0x80000000) | 0x7F800000 | m
    return _unpack_u32(_pack_f32(x))[0]


def _f32_quiet_nan(d: float) -> float:
    """A double NaN as an f32 NaN: sign and top 23 mantissa bits kept, quiet bit set."""
    u = _unpack_u64(_pack_f64(d))[0]
    return _unpack_f64(_pack_u64((u & 0xFFFFFFFFE0000000) | 0x7FF8000000000000))[0]


def f32_round(d: float) -> float:
    """``d`` rounded to the nearest f32 value: ties to even, overflow to +-inf, a NaN to
    a quiet f32 NaN (sign and top 23 mantissa bits kept, quiet bit set)."""
    if d != d:
        return _f32_quiet_nan(d)
    try:
        return _unpack_nf32(_pack_nf32(d))[0]
    except OverflowError:
        return _INF if d > 0.0 else _NINF


F32_CANONICAL_NAN = f32_from_bits(0x7FC00000)
F64_CANONICAL_NAN = f64_from_bits(0x7FF8000000000000)
_CANON = F64_CANONICAL_NAN  # also the f32 canonical NaN in the f32 representation


# -- i32 -------------------------------------------------------------------------
def i32_eqz(a):
    return 1 if a == 0 else 0


def i32_eq(a, b):
    return 1 if a == b else 0


def i32_ne(a, b):
    return 1 if a != b else 0


def i32_lt_s(a, b):
    if (a ^ b) < 0x80000000:  # same sign: the unsigned order is the signed order
        return 1 if a < b else 0
    return 1 if a > b else 0


def i32_lt_u(a, b):
    return 1 if a < b else 0


def i32_gt_s(a, b):
    if (a ^ b) < 0x80000000:  # same sign: the unsigned order is the signed order
        return 1 if a > b else 0
    return 1 if a < b else 0


def i32_gt_u(a, b):
    return 1 if a > b else 0


def i32_le_s(a, b):
    if (a ^ b) < 0x80000000:  # same sign: the unsigned order is the signed order
        return 1 if a <= b else 0
    return 1 if a >= b else 0


def i32_le_u(a, b):
    return 1 if a <= b else 0


def i32_ge_s(a, b):
    if (a ^ b) < 0x80000000:  # same sign: the unsigned order is the signed order
        return 1 if a >= b else 0
    return 1 if a <= b else 0


def i32_ge_u(a, b):
    return 1 if a >= b else 0


def i32_clz(a):
    return 32 - a.bit_length()


def i32_ctz(a):
    return (a & -a).bit_length() - 1 if a else 32


i32_popcnt = int.bit_count


def i32_add(a, b):
    return (a + b) & 0xFFFFFFFF


def i32_sub(a, b):
    return (a - b) & 0xFFFFFFFF


def i32_mul(a, b):
    return (a * b) & 0xFFFFFFFF


def i32_div_s(a, b):
    if b < 0x80000000:
        if b == 0:
            raise Trap(_MSG_DIV0)
        if a < 0x80000000:
            return a // b
        return (-((0x100000000 - a) // b)) & 0xFFFFFFFF
    if b == 0xFFFFFFFF and a == 0x80000000:
        raise Trap(_MSG_OVERFLOW)
    if a < 0x80000000:
        return (-(a // (0x100000000 - b))) & 0xFFFFFFFF
    return (0x100000000 - a) // (0x100000000 - b)


def i32_div_u(a, b):
    if b == 0:
        raise Trap(_MSG_DIV0)
    return a // b


def i32_rem_s(a, b):
    if b >= 0x80000000:
        b = 0x100000000 - b
    elif b == 0:
        raise Trap(_MSG_DIV0)
    if a < 0x80000000:
        return a % b
    return (-((0x100000000 - a) % b)) & 0xFFFFFFFF


def i32_rem_u(a, b):
    if b == 0:
        raise Trap(_MSG_DIV0)
    return a % b


i32_and = _operator.and_
i32_or = _operator.or_
i32_xor = _operator.xor


def i32_shl(a, b):
    return (a << (b & 31)) & 0xFFFFFFFF


def i32_shr_s(a, b):
    if a < 0x80000000:
        return a >> (b & 31)
    return ((a - 0x100000000) >> (b & 31)) & 0xFFFFFFFF


def i32_shr_u(a, b):
    return a >> (b & 31)


def i32_rotl(a, b):
    b &= 31
    return ((a << b) | (a >> (32 - b))) & 0xFFFFFFFF


def i32_rotr(a, b):
    b &= 31
    return ((a >> b) | (a << (32 - b))) & 0xFFFFFFFF


# -- i64 -------------------------------------------------------------------------
def i64_eqz(a):
    return 1 if a == 0 else 0


def i64_eq(a, b):
    return 1 if a == b else 0


def i64_ne(a, b):
    return 1 if a != b else 0


def i64_lt_s(a, b):
    if (a ^ b) < 0x8000000000000000:  # same sign: the unsigned order is the signed order
        return 1 if a < b else 0
    return 1 if a > b else 0


def i64_lt_u(a, b):
    return 1 if a < b else 0


def i64_gt_s(a, b):
    if (a ^ b) < 0x8000000000000000:  # same sign: the unsigned order is the signed order
        return 1 if a > b else 0
    return 1 if a < b else 0


def i64_gt_u(a, b):
    return 1 if a > b else 0


def i64_le_s(a, b):
    if (a ^ b) < 0x8000000000000000:  # same sign: the unsigned order is the signed order
        return 1 if a <= b else 0
    return 1 if a >= b else 0


def i64_le_u(a, b):
    return 1 if a <= b else 0


def i64_ge_s(a, b):
    if (a ^ b) < 0x8000000000000000:  # same sign: the unsigned order is the signed order
        return 1 if a >= b else 0
    return 1 if a <= b else 0


def i64_ge_u(a, b):
    return 1 if a >= b else 0


def i64_clz(a):
    return 64 - a.bit_length()


def i64_ctz(a):
    return (a & -a).bit_length() - 1 if a else 64


i64_popcnt = int.bit_count


def i64_add(a, b):
    return (a + b) & 0xFFFFFFFFFFFFFFFF


def i64_sub(a, b):
    return (a - b) & 0xFFFFFFFFFFFFFFFF


def i64_mul(a, b):
    return (a * b) & 0xFFFFFFFFFFFFFFFF


def i64_div_s(a, b):
    if b < 0x8000000000000000:
        if b == 0:
            raise Trap(_MSG_DIV0)
        if a < 0x8000000000000000:
            return a // b
        return (-((0x10000000000000000 - a) // b)) & 0xFFFFFFFFFFFFFFFF
    if b == 0xFFFFFFFFFFFFFFFF and a == 0x8000000000000000:
        raise Trap(_MSG_OVERFLOW)
    if a < 0x8000000000000000:
        return (-(a // (0x10000000000000000 - b))) & 0xFFFFFFFFFFFFFFFF
    return (0x10000000000000000 - a) // (0x10000000000000000 - b)


def i64_div_u(a, b):
    if b == 0:
        raise Trap(_MSG_DIV0)
    return a // b


def i64_rem_s(a, b):
    if b >= 0x8000000000000000:
        b = 0x10000000000000000 - b
    elif b == 0:
        raise Trap(_MSG_DIV0)
    if a < 0x8000000000000000:
        return a % b
    return (-((0x10000000000000000 - a) % b)) & 0xFFFFFFFFFFFFFFFF


def i64_rem_u(a, b):
    if b == 0:
        raise Trap(_MSG_DIV0)
    return a % b


i64_and = _operator.and_
i64_or = _operator.or_
i64_xor = _operator.xor


def i64_shl(a, b):
    return (a << (b & 63)) & 0xFFFFFFFFFFFFFFFF


def i64_shr_s(a, b):
    if a < 0x8000000000000000:
        return a >> (b & 63)
    return ((a - 0x10000000000000000) >> (b & 63)) & 0xFFFFFFFFFFFFFFFF


def i64_shr_u(a, b):
    return a >> (b & 63)


def i64_rotl(a, b):
    b &= 63
    return ((a << b) | (a >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def i64_rotr(a, b):
    b &= 63
    return ((a >> b) | (a << (64 - b))) & 0xFFFFFFFFFFFFFFFF


# -- sign extension ------------------------------------------------------------
def i32_extend8_s(a):
    a &= 0xFF
    return a + 0xFFFFFF00 if a >= 0x80 else a


def i32_extend16_s(a):
    a &= 0xFFFF
    return a + 0xFFFF0000 if a >= 0x8000 else a


def i64_extend8_s(a):
    a &= 0xFF
    return a + 0xFFFFFFFFFFFFFF00 if a >= 0x80 else a


def i64_extend16_s(a):
    a &= 0xFFFF
    return a + 0xFFFFFFFFFFFF0000 if a >= 0x8000 else a


def i64_extend32_s(a):
    a &= 0xFFFFFFFF
    return a + 0xFFFFFFFF00000000 if a >= 0x80000000 else a


# -- float comparisons (f32 values compare like their doubles) --------------------
def f64_eq(a, b):
    return 1 if a == b else 0


def f64_ne(a, b):
    return 1 if a != b else 0


def f64_lt(a, b):
    return 1 if a < b else 0


def f64_gt(a, b):
    return 1 if a > b else 0


def f64_le(a, b):
    return 1 if a <= b else 0


def f64_ge(a, b):
    return 1 if a >= b else 0


f32_eq = f64_eq
f32_ne = f64_ne
f32_lt = f64_lt
f32_gt = f64_gt
f32_le = f64_le
f32_ge = f64_ge


# -- float sign operations: bit-exact on NaNs ----------------------------------
f64_abs = abs  # float.__abs__ is C fabs
f64_neg = _operator.neg  # float.__neg__ is C -x
f64_copysign = math.copysign


f32_abs = f64_abs
f32_neg = f64_neg
f32_copysign = f64_copysign


# -- float rounding to integral ------------------------------------------------
# Doubles of magnitude >= 2**52 (and infinities) are already integral, and so are +-0:
# those, and NaN, take the last line, where `x * 1.0` is the identity except that it
# quiets a NaN in hardware (payload and sign kept: an f32 NaN stays an f32 NaN, a
# canonical one stays canonical). For 0 < |x| < 2**52 math.floor/ceil are exact, and
# `r or -0.0` gives the -0 a negative x rounds to (ceil(-0.5) is -0.0). No copysign
# call: it costs ~40 ns of the ~110. The results for f32 inputs are f32 values, so the
# f32 instructions share these functions.
def f64_ceil(x):
    if 0.0 < x < _TWO52:
        return float(_ceil(x))
    if -_TWO52 < x < 0.0:
        return float(_ceil(x)) or -0.0
    return x * 1.0


def f64_floor(x):
    if 0.0 < x < _TWO52:
        return float(_floor(x))
    if -_TWO52 < x < 0.0:
        return float(_floor(x))
    return x * 1.0


def f64_trunc(x):
    if 0.0 < x < _TWO52:
        return float(_floor(x))
    if -_TWO52 < x < 0.0:
        return float(_ceil(x)) or -0.0
    return x * 1.0


def f64_nearest(x):
    # (x + 2**52) - 2**52 rounds 0 < x < 2**52 to an integer with the FPU's
    # ties-to-even, exactly (the sum has ulp 1); mirrored for negatives
    if 0.0 < x < _TWO52:
        return (x + _TWO52) - _TWO52
    if -_TWO52 < x < 0.0:
        return ((x - _TWO52) + _TWO52) or -0.0
    return x * 1.0


f32_ceil = f64_ceil
f32_floor = f64_floor
f32_trunc = f64_trunc
f32_nearest = f64_nearest


# -- min / max: NaN if either is NaN, -0 < +0 -----------------------------------
# In the NaN case `a + b` propagates a NaN operand with its quiet bit set (hardware), so
# canonical in -> canonical out, and an f32 NaN stays an f32 NaN.
def f64_min(a, b):
    if a < b:
        return a
    if b < a:
        return b
    if a == b:
        # equal: only +-0 differ; -(-a - b) is -0 unless both are +0
        return -(-a - b) if a == 0.0 else a
    return a + b


def f64_max(a, b):
    if a > b:
        return a
    if b > a:
        return b
    if a == b:
        # +0 + -0 == +0, -0 + -0 == -0
        return a + b if a == 0.0 else a
    return a + b


f32_min = f64_min
f32_max = f64_max


# -- f64 arithmetic ------------------------------------------------------------
f64_add = _operator.add
f64_sub = _operator.sub
f64_mul = _operator.mul


def f64_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:  # b is +-0
        if a != a:
            return a * 1.0  # quieted
        if a == 0.0:
            return _CANON
        return _copysign(_INF, a) * _copysign(1.0, b)


def f64_sqrt(a):
    try:
        return _sqrt(a)  # sqrt(-0) == -0, sqrt(inf) == inf, sqrt(NaN) quiet NaN
    except ValueError:  # a < 0 (including -inf)
        return _CANON


# -- f32 arithmetic: in double, rounded once to single -----------------------------
def f32_add(a, b):
    r = a + b
    if r != r:
        return _f32_quiet_nan(r)
    try:
        return _unpack_nf32(_pack_nf32(r))[0]
    except OverflowError:
        return _INF if r > 0.0 else _NINF


def f32_sub(a, b):
    r = a - b
    if r != r:
        return _f32_quiet_nan(r)
    try:
        return _unpack_nf32(_pack_nf32(r))[0]
    except OverflowError:
        return _INF if r > 0.0 else _NINF


def f32_mul(a, b):
    r = a * b
    if r != r:
        return _f32_quiet_nan(r)
    try:
        return _unpack_nf32(_pack_nf32(r))[0]
    except OverflowError:
        return _INF if r > 0.0 else _NINF


def f32_div(a, b):
    try:
        r = a / b
    except ZeroDivisionError:
        if a != a:
            return _f32_quiet_nan(a)
        if a == 0.0:
            return _CANON
        return _copysign(_INF, a) * _copysign(1.0, b)
    if r != r:
        return _f32_quiet_nan(r)
    try:
        return _unpack_nf32(_pack_nf32(r))[0]
    except OverflowError:
        return _INF if r > 0.0 else _NINF


def f32_sqrt(a):
    try:
        r = _sqrt(a)
    except ValueError:
        return _CANON
    if r != r:
        return _f32_quiet_nan(r)
    return _unpack_nf32(_pack_nf32(r))[0]  # sqrt of an f32 never overflows


# -- conversions -----------------------------------------------------------------
def i32_wrap_i64(a):
    return a & 0xFFFFFFFF


def i64_extend_i32_s(a):
    return a + 0xFFFFFFFF00000000 if a >= 0x80000000 else a


def i64_extend_i32_u(a):
    return a


def _trunc_trap(x):
    if x != x:
        raise Trap(_MSG_NAN)
    raise Trap(_MSG_OVERFLOW)


# Truncations: in range <=> trunc(x) fits. All bounds are exact doubles (and compare
# exactly with f32 values); NaN fails every comparison, so it reaches the slow path.
# The non-negative results (x > -1) need no normalisation, so they are tested first.
def i32_trunc_f64_s(x):
    if -1.0 < x < 2147483648.0:
        return int(x)
    if -2147483649.0 < x <= -1.0:
        return int(x) + 0x100000000
    _trunc_trap(x)


def i32_trunc_f64_u(x):
    if -1.0 < x < 4294967296.0:
        return int(x)
    _trunc_trap(x)


def i64_trunc_f64_s(x):
    if -1.0 < x < 9223372036854775808.0:
        return int(x)
    if -9223372036854775808.0 <= x <= -1.0:
        return int(x) + 0x10000000000000000
    _trunc_trap(x)


def i64_trunc_f64_u(x):
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    _trunc_trap(x)


i32_trunc_f32_s = i32_trunc_f64_s
i32_trunc_f32_u = i32_trunc_f64_u
i64_trunc_f32_s = i64_trunc_f64_s
i64_trunc_f32_u = i64_trunc_f64_u


def i32_trunc_sat_f64_s(x):
    if -1.0 < x < 2147483648.0:
        return int(x)
    if -2147483649.0 < x <= -1.0:
        return int(x) + 0x100000000
    if x > 0.0:
        return 0x7FFFFFFF
    if x < 0.0:
        return 0x80000000
    return 0  # NaN


def i32_trunc_sat_f64_u(x):
    if -1.0 < x < 4294967296.0:
        return int(x)
    if x > 0.0:
        return 0xFFFFFFFF
    return 0  # negative or NaN


def i64_trunc_sat_f64_s(x):
    if -1.0 < x < 9223372036854775808.0:
        return int(x)
    if -9223372036854775808.0 <= x <= -1.0:
        return int(x) + 0x10000000000000000
    if x > 0.0:
        return 0x7FFFFFFFFFFFFFFF
    if x < 0.0:
        return 0x8000000000000000
    return 0  # NaN


def i64_trunc_sat_f64_u(x):
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    if x > 0.0:
        return 0xFFFFFFFFFFFFFFFF
    return 0  # negative or NaN


i32_trunc_sat_f32_s = i32_trunc_sat_f64_s
i32_trunc_sat_f32_u = i32_trunc_sat_f64_u
i64_trunc_sat_f32_s = i64_trunc_sat_f64_s
i64_trunc_sat_f32_u = i64_trunc_sat_f64_u


def f64_convert_i32_s(a):
    return float(a - 0x100000000) if a >= 0x80000000 else float(a)


f64_convert_i32_u = float


def f64_convert_i64_s(a):
    # int -> float is correctly rounded (ties to even) by CPython
    return float(a - 0x10000000000000000) if a >= 0x8000000000000000 else float(a)


f64_convert_i64_u = float  # int -> float is correctly rounded (ties to even)


# |n| <= 2**24 is exact in single: no rounding needed (saves the struct round trip)
def f32_convert_i32_s(a):
    if a <= 0x1000000:
        return float(a)
    if a >= 0xFF000000:
        return float(a - 0x100000000)
    # exact in double (|a| <= 2**31), then a single rounding to single
    return _unpack_nf32(_pack_nf32(float(a - 0x100000000) if a >= 0x80000000 else float(a)))[0]


def f32_convert_i32_u(a):
    if a <= 0x1000000:
        return float(a)
    return _unpack_nf32(_pack_nf32(float(a)))[0]


def _u64_to_f32(n):
    # 0 <= n <= 2**64. Below 2**53 the double is exact, so rounding it to single is the
    # only rounding. Above, round the integer to 24 significant bits directly, ties to
    # even (via double it would round twice: 2**63 + 2**39 + 1 -> 2**63, not 2**63+2**40).
    if n < 0x20000000000000:
        return _unpack_nf32(_pack_nf32(float(n)))[0]
    shift = n.bit_length() - 24
    m = n >> shift
    rest = n & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and m & 1):
        m += 1
    return float(m << shift)  # <= 2**64: exact in double and in single


def f32_convert_i64_s(a):
    if a <= 0x1000000:
        return float(a)
    if a >= 0x8000000000000000:
        if a >= 0xFFFFFFFFFF000000:
            return float(a - 0x10000000000000000)
        return -_u64_to_f32(0x10000000000000000 - a)
    return _u64_to_f32(a)


def f32_convert_i64_u(a):
    if a <= 0x1000000:
        return float(a)
    return _u64_to_f32(a)


# nearest f32, ties to even, overflow to inf; NaN -> quiet (canonical stays canonical)
f32_demote_f64 = f32_round


def f64_promote_f32(x):
    # an f32 value is already the double; only a NaN must be quieted (x * 1.0 is the
    # identity on every other value, -0 and infinities included)
    return x * 1.0


i32_reinterpret_f32 = f32_to_bits
f32_reinterpret_i32 = f32_from_bits
i64_reinterpret_f64 = f64_to_bits
f64_reinterpret_i64 = f64_from_bits


# -- the table -------------------------------------------------------------------
_NAMES = """
i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u
i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u
f32.eq f32.ne f32.lt f32.gt f32.le f32.ge
f64.eq f64.ne f64.lt f64.gt f64.le f64.ge
i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u
i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr
i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u
i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr
f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt
f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign
f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt
f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign
i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u
i64.extend_i32_s i64.extend_i32_u
i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u
f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64
f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u f64.promote_f32
i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64
i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s
i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u
i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u
""".split()

NUMERIC: dict[str, Callable] = {name: globals()[name.replace(".", "_")] for name in _NAMES}
"""Every scalar numeric instruction of Wasm 2.0 (wasm name -> function)."""

# the instructions whose result is an i32 0/1 truth value (returned as int, not bool)
COMPARISONS = frozenset(n for n in _NAMES if n.split(".")[1] in (
    "eqz", "eq", "ne", "lt", "lt_s", "lt_u", "gt", "gt_s", "gt_u", "le", "le_s", "le_u",
    "ge", "ge_s", "ge_u"))

__all__ += [name.replace(".", "_") for name in _NAMES] + ["COMPARISONS"]

"""The 128-bit SIMD instructions of WebAssembly (opcode prefix 0xFD), exactly, on
transpyle's values.

Generated code calls these helpers by name (``op_name.replace('.', '_')``):

* plain ops: ``helper(*operands)`` in wasm operand order (``i8x16_add(a, b)``,
  ``v128_bitselect(a, b, c)``, ``i8x16_shl(v, count)``, ``f32x4_splat(x)``);
* lane ops: the lane index last (``i8x16_extract_lane_s(v, lane)``,
  ``f32x4_replace_lane(v, x, lane)``); ``i8x16_shuffle(a, b, lanes)`` with a tuple of
  16 ints;
* memory ops: ``helper(mem, addr, *rest)`` with the memory's ``bytearray`` and the
  effective address (offset already added, possibly beyond the memory and beyond 2**32);
  lane memory ops take the lane last. Bounds are checked before anything is read or
  written: ``Trap("out of bounds memory access")``, the memory unchanged.

Values: a v128 is an unsigned 128-bit int (lane 0 in the lowest bits, so
``v.to_bytes(16, 'little')`` is the wasm byte image). i32/i64 scalars are unsigned
normalised ints (an i32 may also arrive as a bool), f64 a Python float with its exact
bits, f32 a Python float in numeric.py's representation (an f32 NaN held widened
without quieting). Results are normalised the same way; reductions (``any_true``,
``all_true``, ``bitmask``) return plain ints.

Techniques, chosen for speed (these run in inner loops, so few Python-level calls):

* SWAR on the 128-bit int for the lane-wise integer ops whose carries can be confined
  to a lane: add/sub/neg/abs, the saturating add/sub, min/max, avgr_u, the comparisons,
  shifts, all_true. Each is a handful of big-int operations (no unpacking). ``H`` is the
  top bit of every lane, ``L`` the other bits: adding the low parts ``(a & L) + (b & L)``
  cannot carry out of a lane, and the top bit is fixed up with ``(a ^ b) & H``; a
  per-lane flag at a lane's bit 0 times the single-lane all-ones value spreads it to a
  full lane mask (the product never reaches the next lane).
* ``bytes.translate`` for byte lookups: swizzle (the table is the operand's 16 bytes
  followed by 240 zeros, so an index >= 16 gives 0), shuffle, popcnt, bitmask; a 64 KiB
  table gathered with ``itemgetter`` for the i16 -> i8 narrowing.
* precompiled little-endian ``struct.Struct`` codecs (standard sizes, so the byte order
  never depends on the host) for the rest. Lanes are unpacked into locals and combined
  with plain operators, which is about twice as fast as ``map``/comprehensions over the
  lane tuples; float comparisons turn the lanes' truth values into an index into a
  table of lane masks.

Floats. ``struct`` ``'f'`` lanes convert through C float <-> double, which quiets a
signalling NaN on x86 (other versions or hosts may keep it); either is harmless for the
arithmetic ops, whose NaN result may be any arithmetic NaN and which quiet NaNs
themselves (hardware arithmetic, ``x * 1.0``). Where bits must be kept the float view is
not used for the result: abs/neg are sign-bit operations on the int, pmin/pmax select
the operand bits under a mask computed from the float comparison, lane moves
(splat/extract/replace) go through numeric's bit conversions. f32 arithmetic is done in
double and rounded once to single by the ``'<4f'`` pack (double rounding is innocuous
for + - * / sqrt: 53 >= 2*24 + 2); the standard-size pack raises ``OverflowError`` when
a finite double rounds to infinity, and that rare case (like a division by zero or the
square root of a negative, which raise in Python) takes a per-lane slow path through
numeric's scalar functions. NaN results come from the hardware (an operand NaN, quieted,
or the default NaN, which is canonical), so canonical NaN operands give canonical
results.
"""

from __future__ import annotations

import math
import struct
from operator import add as _add
from operator import itemgetter as _itemgetter
from operator import mul as _mul
from typing import Callable

from transpyle.errors import Trap
from transpyle.runtime.numeric import (
    f32_demote_f64,
    f32_from_bits,
    f32_round,
    f32_to_bits,
    f64_ceil,
    f64_div,
    f64_floor,
    f64_from_bits,
    f64_nearest,
    f64_sqrt,
    f64_to_bits,
    f64_trunc,
)
from transpyle.runtime.numeric import i32_trunc_sat_f64_s as _tss
from transpyle.runtime.numeric import i32_trunc_sat_f64_u as _tsu

__all__ = ["SIMD"]

_M128 = (1 << 128) - 1
_M64 = 0xFFFFFFFFFFFFFFFF
_M32 = 0xFFFFFFFF
_OOB = "out of bounds memory access"
_LE = "little"
_from = int.from_bytes

# the 128-bit ints with a 1 at bit 0 of every lane (a lane value times it = a splat)
_ONES8 = _M128 // 0xFF
_ONES16 = _M128 // 0xFFFF
_ONES32 = _M128 // _M32
_ONES64 = _M128 // _M64

_sqrt = math.sqrt


# -- precompiled codecs -------------------------------------------------------------
def _S(fmt):
    return struct.Struct("<" + fmt)


_U16b = _S("16b").unpack
_U8h = _S("8h").unpack
_P8h = _S("8h").pack
_U8H = _S("8H").unpack
_P8H = _S("8H").pack
_U4i = _S("4i").unpack
_P4i = _S("4i").pack
_U4I = _S("4I").unpack
_P4I = _S("4I").pack
_P2q = _S("2q").pack
_U4f = _S("4f").unpack
_P4f = _S("4f").pack
_P2f = _S("2f").pack
_U2d = _S("2d").unpack
_P2d = _S("2d").pack
_U16H = _S("16H").unpack  # two v128s' bytes, as unsigned 16-bit lanes
_U8i = _S("8i").unpack  # two v128s' bytes, as signed 32-bit lanes
# half-vector readers (offset 0 = low half, 8 = high half; also used on memory)
_U8b_from = _S("8b").unpack_from
_U8B_from = _S("8B").unpack_from
_U4h_from = _S("4h").unpack_from
_U4H_from = _S("4H").unpack_from
_U2i_from = _S("2i").unpack_from
_U2I_from = _S("2I").unpack_from
_U2f_from = _S("2f").unpack_from

# translate tables
_POPCNT = bytes(bin(i).count("1") for i in range(256))
_MSB01 = bytes(0x31 if i & 0x80 else 0x30 for i in range(256))  # ASCII '1' / '0'
_Z240 = bytes(240)
_Z224 = bytes(224)
# i16 (as unsigned 0..65535) -> saturated i8 byte, signed / unsigned
_NARROW_S8 = bytes(
    (min(max(u - 65536 if u & 0x8000 else u, -128), 127)) & 0xFF for u in range(65536)
)
_NARROW_U8 = bytes(min(max(u - 65536 if u & 0x8000 else u, 0), 255) for u in range(65536))


# -- v128 constants, bitwise ops, lane moves -----------------------------------------
def v128_const(value):
    """``v128.const`` (the code generator emits the constant inline)."""
    return value & _M128


def v128_not(a):
    return a ^ _M128


def v128_and(a, b):
    return a & b


def v128_andnot(a, b):
    return a & ~b


def v128_or(a, b):
    return a | b


def v128_xor(a, b):
    return a ^ b


def v128_bitselect(a, b, c):
    return b ^ ((a ^ b) & c)


def v128_any_true(a):
    return 1 if a else 0


def i8x16_splat(x):
    return (x & 0xFF) * _ONES8


def i16x8_splat(x):
    return (x & 0xFFFF) * _ONES16


def i32x4_splat(x):
    return (x & _M32) * _ONES32


def i64x2_splat(x):
    return (x & _M64) * _ONES64


def f32x4_splat(x):
    return f32_to_bits(x) * _ONES32


def f64x2_splat(x):
    return f64_to_bits(x) * _ONES64


def i8x16_extract_lane_s(v, lane):
    x = (v >> (lane << 3)) & 0xFF
    return x | 0xFFFFFF00 if x & 0x80 else x


def i8x16_extract_lane_u(v, lane):
    return (v >> (lane << 3)) & 0xFF


def i16x8_extract_lane_s(v, lane):
    x = (v >> (lane << 4)) & 0xFFFF
    return x | 0xFFFF0000 if x & 0x8000 else x


def i16x8_extract_lane_u(v, lane):
    return (v >> (lane << 4)) & 0xFFFF


def i32x4_extract_lane(v, lane):
    return (v >> (lane << 5)) & _M32


def i64x2_extract_lane(v, lane):
    return (v >> (lane << 6)) & _M64


def f32x4_extract_lane(v, lane):
    return f32_from_bits((v >> (lane << 5)) & _M32)


def f64x2_extract_lane(v, lane):
    return f64_from_bits((v >> (lane << 6)) & _M64)


# v & _CLEARn[lane] clears lane `lane` of an n-bit-lane vector
_CLEAR8 = tuple(_M128 ^ (0xFF << (8 * i)) for i in range(16))
_CLEAR16 = tuple(_M128 ^ (0xFFFF << (16 * i)) for i in range(8))
_CLEAR32 = tuple(_M128 ^ (_M32 << (32 * i)) for i in range(4))
_CLEAR64 = tuple(_M128 ^ (_M64 << (64 * i)) for i in range(2))


def i8x16_replace_lane(v, x, lane):
    return (v & _CLEAR8[lane]) | ((x & 0xFF) << (lane << 3))


def i16x8_replace_lane(v, x, lane):
    return (v & _CLEAR16[lane]) | ((x & 0xFFFF) << (lane << 4))


def i32x4_replace_lane(v, x, lane):
    return (v & _CLEAR32[lane]) | ((x & _M32) << (lane << 5))


def i64x2_replace_lane(v, x, lane):
    return (v & _CLEAR64[lane]) | ((x & _M64) << (lane << 6))


def f32x4_replace_lane(v, x, lane):
    return (v & _CLEAR32[lane]) | (f32_to_bits(x) << (lane << 5))


def f64x2_replace_lane(v, x, lane):
    return (v & _CLEAR64[lane]) | (f64_to_bits(x) << (lane << 6))


def i8x16_shuffle(a, b, lanes):
    # lanes are < 32 (validated): index the 32 bytes of a ++ b
    return _from(bytes(lanes).translate(a.to_bytes(16, _LE) + b.to_bytes(16, _LE) + _Z224), _LE)


def i8x16_swizzle(a, s):
    # translate maps each index byte through a's bytes padded with zeros: >= 16 -> 0
    return _from(s.to_bytes(16, _LE).translate(a.to_bytes(16, _LE) + _Z240), _LE)


# -- SWAR integer lane ops ------------------------------------------------------------
def _swar(w):
    """The lane-wise integer ops for w-bit lanes that work on the whole 128-bit int."""
    lane = (1 << w) - 1
    ones = _M128 // lane
    H = ones << (w - 1)  # the top bit of every lane
    L = _M128 ^ H  # the other bits
    sh = w - 1  # also the shift-count mask (w is a power of two)
    M = _M128
    SHL = tuple(((lane << s) & lane) * ones for s in range(w))
    SHR = tuple((lane >> s) * ones for s in range(w))
    TOP = tuple(lane ^ (lane >> s) for s in range(w))  # the top s bits of one lane

    def add(a, b):
        return ((a & L) + (b & L)) ^ ((a ^ b) & H)

    def sub(a, b):
        # (a | H) - (b & L) never borrows across lanes; the top bits are fixed up
        return ((a | H) - (b & L)) ^ ((a ^ b ^ H) & H)

    def neg(a):
        return (H - (a & L)) ^ (~a & H)

    def abs_(a):
        s = (a & H) >> sh  # 1 at bit 0 of every negative lane
        return (a ^ (s * lane)) + s  # ~x + 1 there; cannot carry (~x has its top bit 0)

    def lt_u(a, b):
        # the borrow out of every lane of a - b: (~a & b) at the top bit, or a == b at
        # the top bit and a borrow out of the low bits (the top bit of d is then 0)
        d = (a | H) - (b & L)
        return ((((b & ~a) | ~((a ^ b) | d)) & H) >> sh) * lane

    def eq(a, b):
        x = a ^ b
        return (((((x & L) + L) | x) & H) >> sh) * lane ^ M

    def ne(a, b):
        x = a ^ b
        return (((((x & L) + L) | x) & H) >> sh) * lane

    # the others inline the same expression (a call costs as much as the arithmetic)
    def gt_u(a, b):
        d = (b | H) - (a & L)
        return ((((a & ~b) | ~((a ^ b) | d)) & H) >> sh) * lane

    def le_u(a, b):
        d = (b | H) - (a & L)
        return ((((a & ~b) | ~((a ^ b) | d)) & H) >> sh) * lane ^ M

    def ge_u(a, b):
        d = (a | H) - (b & L)
        return ((((b & ~a) | ~((a ^ b) | d)) & H) >> sh) * lane ^ M

    # signed: flip the top bits (x ^ H maps signed order onto unsigned order)
    def lt_s(a, b):
        a ^= H
        b ^= H
        d = (a | H) - (b & L)
        return ((((b & ~a) | ~((a ^ b) | d)) & H) >> sh) * lane

    def gt_s(a, b):
        a ^= H
        b ^= H
        d = (b | H) - (a & L)
        return ((((a & ~b) | ~((a ^ b) | d)) & H) >> sh) * lane

    def le_s(a, b):
        a ^= H
        b ^= H
        d = (b | H) - (a & L)
        return ((((a & ~b) | ~((a ^ b) | d)) & H) >> sh) * lane ^ M

    def ge_s(a, b):
        a ^= H
        b ^= H
        d = (a | H) - (b & L)
        return ((((b & ~a) | ~((a ^ b) | d)) & H) >> sh) * lane ^ M

    # min/max: select under the a < b mask
    def min_u(a, b):
        d = (a | H) - (b & L)
        return b ^ ((a ^ b) & (((((b & ~a) | ~((a ^ b) | d)) & H) >> sh) * lane))

    def max_u(a, b):
        d = (a | H) - (b & L)
        return a ^ ((a ^ b) & (((((b & ~a) | ~((a ^ b) | d)) & H) >> sh) * lane))

    def min_s(a, b):
        x = a ^ H
        y = b ^ H
        d = (x | H) - (y & L)
        return b ^ ((a ^ b) & (((((y & ~x) | ~((x ^ y) | d)) & H) >> sh) * lane))

    def max_s(a, b):
        x = a ^ H
        y = b ^ H
        d = (x | H) - (y & L)
        return a ^ ((a ^ b) & (((((y & ~x) | ~((x ^ y) | d)) & H) >> sh) * lane))

    def avgr_u(a, b):
        # (x + y + 1) >> 1 == (x | y) - ((x ^ y) >> 1), per lane
        return (a | b) - (((a ^ b) >> 1) & L)

    def add_sat_u(a, b):
        s = ((a & L) + (b & L)) ^ ((a ^ b) & H)
        c = ((a & b) | ((a | b) & ~s)) & H  # the carry out of every lane
        return s | ((c >> sh) * lane)

    def sub_sat_u(a, b):
        d = ((a | H) - (b & L)) ^ ((a ^ b ^ H) & H)
        return d & (lt_u(a, b) ^ M)

    def add_sat_s(a, b):
        s = ((a & L) + (b & L)) ^ ((a ^ b) & H)
        o = (~(a ^ b) & (a ^ s)) & H  # same-sign operands, the sum's sign differs
        sat = L ^ (((a & H) >> sh) * lane)  # lane max if a >= 0, lane min if a < 0
        return s ^ ((s ^ sat) & ((o >> sh) * lane))

    def sub_sat_s(a, b):
        d = ((a | H) - (b & L)) ^ ((a ^ b ^ H) & H)
        o = ((a ^ b) & (a ^ d)) & H  # different-sign operands, the sign of a lost
        sat = L ^ (((a & H) >> sh) * lane)
        return d ^ ((d ^ sat) & ((o >> sh) * lane))

    def shl(v, c):
        s = c & sh
        return (v << s) & SHL[s]

    def shr_u(v, c):
        s = c & sh
        return (v >> s) & SHR[s]

    def shr_s(v, c):
        s = c & sh
        return ((v >> s) & SHR[s]) | (((v & H) >> sh) * TOP[s])

    def all_true(v):
        # a lane is non-zero iff its top bit is set or its low bits + L carry into it
        return 1 if (((v & L) + L) | v) & H == H else 0

    return dict(
        add=add, sub=sub, neg=neg, abs=abs_, eq=eq, ne=ne,
        lt_u=lt_u, gt_u=gt_u, le_u=le_u, ge_u=ge_u,
        lt_s=lt_s, gt_s=gt_s, le_s=le_s, ge_s=ge_s,
        min_u=min_u, max_u=max_u, min_s=min_s, max_s=max_s, avgr_u=avgr_u,
        add_sat_u=add_sat_u, sub_sat_u=sub_sat_u, add_sat_s=add_sat_s, sub_sat_s=sub_sat_s,
        shl=shl, shr_u=shr_u, shr_s=shr_s, all_true=all_true,
    )


def _export(prefix, ops, names):
    g = globals()
    for n in names.split():
        fn = ops[n]
        fn.__name__ = fn.__qualname__ = f"{prefix}_{n}"
        g[f"{prefix}_{n}"] = fn


_CMP = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
_export("i8x16", _swar(8), _CMP + " add sub neg abs min_s min_u max_s max_u avgr_u"
        " add_sat_s add_sat_u sub_sat_s sub_sat_u shl shr_s shr_u all_true")
_export("i16x8", _swar(16), _CMP + " add sub neg abs min_s min_u max_s max_u avgr_u"
        " add_sat_s add_sat_u sub_sat_s sub_sat_u shl shr_s shr_u all_true")
_export("i32x4", _swar(32), _CMP + " add sub neg abs min_s min_u max_s max_u"
        " shl shr_s shr_u all_true")
_export("i64x2", _swar(64), "eq ne lt_s gt_s le_s ge_s add sub neg abs shl shr_s shr_u all_true")


# -- other integer lane ops -----------------------------------------------------------
def i8x16_popcnt(v):
    return _from(v.to_bytes(16, _LE).translate(_POPCNT), _LE)


# bitmask: the lanes' top bits as ASCII '0'/'1', most significant lane first, read in base 2
def i8x16_bitmask(v):
    return int(v.to_bytes(16, "big").translate(_MSB01), 2)


def i16x8_bitmask(v):
    return int(v.to_bytes(16, "big")[::2].translate(_MSB01), 2)


def i32x4_bitmask(v):
    return ((v >> 31) & 1) | ((v >> 62) & 2) | ((v >> 93) & 4) | ((v >> 124) & 8)


def i64x2_bitmask(v):
    return ((v >> 63) & 1) | ((v >> 126) & 2)


def i16x8_mul(a, b):
    x0, x1, x2, x3, x4, x5, x6, x7 = _U8H(a.to_bytes(16, _LE))
    y0, y1, y2, y3, y4, y5, y6, y7 = _U8H(b.to_bytes(16, _LE))
    return _from(_P8H(x0 * y0 & 0xFFFF, x1 * y1 & 0xFFFF, x2 * y2 & 0xFFFF, x3 * y3 & 0xFFFF,
                      x4 * y4 & 0xFFFF, x5 * y5 & 0xFFFF, x6 * y6 & 0xFFFF, x7 * y7 & 0xFFFF), _LE)


def i32x4_mul(a, b):
    x0, x1, x2, x3 = _U4I(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4I(b.to_bytes(16, _LE))
    return (((x0 * y0) & _M32) | (((x1 * y1) & _M32) << 32) | (((x2 * y2) & _M32) << 64)
            | (((x3 * y3) & _M32) << 96))


def i64x2_mul(a, b):
    return (((a & _M64) * (b & _M64)) & _M64) | ((((a >> 64) * (b >> 64)) & _M64) << 64)


def i16x8_q15mulr_sat_s(a, b):
    p0, p1, p2, p3, p4, p5, p6, p7 = map(_mul, _U8h(a.to_bytes(16, _LE)), _U8h(b.to_bytes(16, _LE)))
    try:
        return _from(_P8h((p0 + 0x4000) >> 15, (p1 + 0x4000) >> 15, (p2 + 0x4000) >> 15,
                          (p3 + 0x4000) >> 15, (p4 + 0x4000) >> 15, (p5 + 0x4000) >> 15,
                          (p6 + 0x4000) >> 15, (p7 + 0x4000) >> 15), _LE)
    except struct.error:  # only -0x8000 * -0x8000 gives 0x8000: saturate it
        return _from(_P8h(*[min((p + 0x4000) >> 15, 0x7FFF)
                            for p in (p0, p1, p2, p3, p4, p5, p6, p7)]), _LE)


def i32x4_dot_i16x8_s(a, b):
    p0, p1, p2, p3, p4, p5, p6, p7 = map(_mul, _U8h(a.to_bytes(16, _LE)), _U8h(b.to_bytes(16, _LE)))
    # only -0x8000 * -0x8000 * 2 == 2**31 exceeds i32: it wraps
    return (((p0 + p1) & _M32) | (((p2 + p3) & _M32) << 32) | (((p4 + p5) & _M32) << 64)
            | (((p6 + p7) & _M32) << 96))


# i16 -> i8 saturation by table lookup; itemgetter(*lanes)(table) is the fastest gather
def i8x16_narrow_i16x8_s(a, b):
    return _from(bytes(_itemgetter(*_U16H(a.to_bytes(16, _LE) + b.to_bytes(16, _LE)))(_NARROW_S8)),
                 _LE)


def i8x16_narrow_i16x8_u(a, b):
    return _from(bytes(_itemgetter(*_U16H(a.to_bytes(16, _LE) + b.to_bytes(16, _LE)))(_NARROW_U8)),
                 _LE)


def i16x8_narrow_i32x4_s(a, b):
    return _from(_P8h(*[
        x if -0x8000 <= x <= 0x7FFF else (0x7FFF if x > 0 else -0x8000)
        for x in _U8i(a.to_bytes(16, _LE) + b.to_bytes(16, _LE))
    ]), _LE)


def i16x8_narrow_i32x4_u(a, b):
    return _from(_P8H(*[
        x if 0 <= x <= 0xFFFF else (0xFFFF if x > 0 else 0)
        for x in _U8i(a.to_bytes(16, _LE) + b.to_bytes(16, _LE))
    ]), _LE)


# extend: half a vector (offset 0 low, 8 high) widened, sign- or zero-extended
def i16x8_extend_low_i8x16_s(v):
    return _from(_P8h(*_U8b_from(v.to_bytes(16, _LE), 0)), _LE)


def i16x8_extend_high_i8x16_s(v):
    return _from(_P8h(*_U8b_from(v.to_bytes(16, _LE), 8)), _LE)


def i16x8_extend_low_i8x16_u(v):
    return _from(_P8H(*_U8B_from(v.to_bytes(16, _LE), 0)), _LE)


def i16x8_extend_high_i8x16_u(v):
    return _from(_P8H(*_U8B_from(v.to_bytes(16, _LE), 8)), _LE)


def i32x4_extend_low_i16x8_s(v):
    return _from(_P4i(*_U4h_from(v.to_bytes(16, _LE), 0)), _LE)


def i32x4_extend_high_i16x8_s(v):
    return _from(_P4i(*_U4h_from(v.to_bytes(16, _LE), 8)), _LE)


def i32x4_extend_low_i16x8_u(v):
    return _from(_P4I(*_U4H_from(v.to_bytes(16, _LE), 0)), _LE)


def i32x4_extend_high_i16x8_u(v):
    return _from(_P4I(*_U4H_from(v.to_bytes(16, _LE), 8)), _LE)


def i64x2_extend_low_i32x4_s(v):
    return _from(_P2q(*_U2i_from(v.to_bytes(16, _LE), 0)), _LE)


def i64x2_extend_high_i32x4_s(v):
    return _from(_P2q(*_U2i_from(v.to_bytes(16, _LE), 8)), _LE)


def i64x2_extend_low_i32x4_u(v):
    return (v & _M32) | ((v & 0xFFFFFFFF00000000) << 32)


def i64x2_extend_high_i32x4_u(v):
    return ((v >> 64) & _M32) | ((v >> 96) << 64)


# extmul: the products of the widened halves (never overflow the wide lanes)
def i16x8_extmul_low_i8x16_s(a, b):
    return _from(_P8h(*map(_mul, _U8b_from(a.to_bytes(16, _LE), 0),
                           _U8b_from(b.to_bytes(16, _LE), 0))), _LE)


def i16x8_extmul_high_i8x16_s(a, b):
    return _from(_P8h(*map(_mul, _U8b_from(a.to_bytes(16, _LE), 8),
                           _U8b_from(b.to_bytes(16, _LE), 8))), _LE)


def i16x8_extmul_low_i8x16_u(a, b):
    return _from(_P8H(*map(_mul, _U8B_from(a.to_bytes(16, _LE), 0),
                           _U8B_from(b.to_bytes(16, _LE), 0))), _LE)


def i16x8_extmul_high_i8x16_u(a, b):
    return _from(_P8H(*map(_mul, _U8B_from(a.to_bytes(16, _LE), 8),
                           _U8B_from(b.to_bytes(16, _LE), 8))), _LE)


def i32x4_extmul_low_i16x8_s(a, b):
    return _from(_P4i(*map(_mul, _U4h_from(a.to_bytes(16, _LE), 0),
                           _U4h_from(b.to_bytes(16, _LE), 0))), _LE)


def i32x4_extmul_high_i16x8_s(a, b):
    return _from(_P4i(*map(_mul, _U4h_from(a.to_bytes(16, _LE), 8),
                           _U4h_from(b.to_bytes(16, _LE), 8))), _LE)


def i32x4_extmul_low_i16x8_u(a, b):
    return _from(_P4I(*map(_mul, _U4H_from(a.to_bytes(16, _LE), 0),
                           _U4H_from(b.to_bytes(16, _LE), 0))), _LE)


def i32x4_extmul_high_i16x8_u(a, b):
    return _from(_P4I(*map(_mul, _U4H_from(a.to_bytes(16, _LE), 8),
                           _U4H_from(b.to_bytes(16, _LE), 8))), _LE)


def i64x2_extmul_low_i32x4_s(a, b):
    return _from(_P2q(*map(_mul, _U2i_from(a.to_bytes(16, _LE), 0),
                           _U2i_from(b.to_bytes(16, _LE), 0))), _LE)


def i64x2_extmul_high_i32x4_s(a, b):
    return _from(_P2q(*map(_mul, _U2i_from(a.to_bytes(16, _LE), 8),
                           _U2i_from(b.to_bytes(16, _LE), 8))), _LE)


def i64x2_extmul_low_i32x4_u(a, b):
    return (a & _M32) * (b & _M32) | ((((a >> 32) & _M32) * ((b >> 32) & _M32)) << 64)


def i64x2_extmul_high_i32x4_u(a, b):
    return ((a >> 64) & _M32) * ((b >> 64) & _M32) | (((a >> 96) * (b >> 96)) << 64)


def i16x8_extadd_pairwise_i8x16_s(v):
    x = _U16b(v.to_bytes(16, _LE))
    return _from(_P8h(*map(_add, x[0::2], x[1::2])), _LE)


def i16x8_extadd_pairwise_i8x16_u(v):
    x = v.to_bytes(16, _LE)
    return _from(_P8H(*map(_add, x[0::2], x[1::2])), _LE)


def i32x4_extadd_pairwise_i16x8_s(v):
    x = _U8h(v.to_bytes(16, _LE))
    return _from(_P4i(*map(_add, x[0::2], x[1::2])), _LE)


def i32x4_extadd_pairwise_i16x8_u(v):
    x = _U8H(v.to_bytes(16, _LE))
    return _from(_P4I(*map(_add, x[0::2], x[1::2])), _LE)


# -- float lane ops ---------------------------------------------------------------------
_F32_SIGNS = 0x80000000 * _ONES32
_F64_SIGNS = 0x8000000000000000 * _ONES64


def f32x4_abs(v):
    return v & ~_F32_SIGNS


def f32x4_neg(v):
    return v ^ _F32_SIGNS


def f64x2_abs(v):
    return v & ~_F64_SIGNS


def f64x2_neg(v):
    return v ^ _F64_SIGNS


# Lanes are unpacked into locals and combined with plain operators: about twice as fast
# as map()/comprehensions over the lane tuples.
def _f32x4_round(*lanes):
    """Doubles -> the v128 of their f32 roundings (the slow path: the fast pack raised
    OverflowError because a lane rounds to infinity)."""
    return _from(_P4f(*[f32_round(x) for x in lanes]), _LE)


def f32x4_add(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    try:
        return _from(_P4f(x0 + y0, x1 + y1, x2 + y2, x3 + y3), _LE)
    except OverflowError:
        return _f32x4_round(x0 + y0, x1 + y1, x2 + y2, x3 + y3)


def f32x4_sub(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    try:
        return _from(_P4f(x0 - y0, x1 - y1, x2 - y2, x3 - y3), _LE)
    except OverflowError:
        return _f32x4_round(x0 - y0, x1 - y1, x2 - y2, x3 - y3)


def f32x4_mul(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    try:
        return _from(_P4f(x0 * y0, x1 * y1, x2 * y2, x3 * y3), _LE)
    except OverflowError:
        return _f32x4_round(x0 * y0, x1 * y1, x2 * y2, x3 * y3)


def f32x4_div(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    try:
        return _from(_P4f(x0 / y0, x1 / y1, x2 / y2, x3 / y3), _LE)
    except (OverflowError, ZeroDivisionError):  # x / +-0 raises in Python
        return _f32x4_round(f64_div(x0, y0), f64_div(x1, y1), f64_div(x2, y2), f64_div(x3, y3))


def f32x4_sqrt(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    try:  # the square root of an f32 never overflows
        return _from(_P4f(_sqrt(x0), _sqrt(x1), _sqrt(x2), _sqrt(x3)), _LE)
    except ValueError:  # a negative lane
        return _f32x4_round(f64_sqrt(x0), f64_sqrt(x1), f64_sqrt(x2), f64_sqrt(x3))


def f64x2_add(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _from(_P2d(x0 + y0, x1 + y1), _LE)


def f64x2_sub(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _from(_P2d(x0 - y0, x1 - y1), _LE)


def f64x2_mul(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _from(_P2d(x0 * y0, x1 * y1), _LE)


def f64x2_div(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    try:
        return _from(_P2d(x0 / y0, x1 / y1), _LE)
    except ZeroDivisionError:
        return _from(_P2d(f64_div(x0, y0), f64_div(x1, y1)), _LE)


def f64x2_sqrt(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    try:
        return _from(_P2d(_sqrt(x0), _sqrt(x1)), _LE)
    except ValueError:
        return _from(_P2d(f64_sqrt(x0), f64_sqrt(x1)), _LE)


# min/max: ordered lanes compare; equal lanes differ only as +-0 (min: -(-x - y) is -0
# unless both are +0; max: x + y is +0 unless both are -0); a NaN lane propagates
# (quieted) through the same arithmetic, so canonical in -> canonical out. The min/max of
# f32 values is an f32 value, so the f32 lanes share these.
def _fmin(x, y):
    if x < y:
        return x
    if y < x:
        return y
    if x == y != 0.0:
        return x
    return -(-x - y)


def _fmax(x, y):
    if x > y:
        return x
    if y > x:
        return y
    if x == y != 0.0:
        return x
    return x + y


def f32x4_min(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _from(_P4f(_fmin(x0, y0), _fmin(x1, y1), _fmin(x2, y2), _fmin(x3, y3)), _LE)


def f32x4_max(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _from(_P4f(_fmax(x0, y0), _fmax(x1, y1), _fmax(x2, y2), _fmax(x3, y3)), _LE)


def f64x2_min(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _from(_P2d(_fmin(x0, y0), _fmin(x1, y1)), _LE)


def f64x2_max(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _from(_P2d(_fmax(x0, y0), _fmax(x1, y1)), _LE)


# Comparisons: the lanes' truth values as the bits of an index into a table of lane
# masks (bool << k is an int). pmin/pmax (`b < a ? b : a`, `a < b ? b : a`) select bits
# under such a mask, so a NaN operand is returned unchanged, signalling or not.
_MASKS4 = tuple(sum(_M32 << (32 * i) for i in range(4) if k >> i & 1) for k in range(16))
_MASKS2 = (0, _M64, _M64 << 64, _M128)


def f32x4_eq(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _MASKS4[(x0 == y0) | ((x1 == y1) << 1) | ((x2 == y2) << 2) | ((x3 == y3) << 3)]


def f32x4_ne(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _MASKS4[(x0 != y0) | ((x1 != y1) << 1) | ((x2 != y2) << 2) | ((x3 != y3) << 3)]


def f32x4_lt(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _MASKS4[(x0 < y0) | ((x1 < y1) << 1) | ((x2 < y2) << 2) | ((x3 < y3) << 3)]


def f32x4_gt(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _MASKS4[(x0 > y0) | ((x1 > y1) << 1) | ((x2 > y2) << 2) | ((x3 > y3) << 3)]


def f32x4_le(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _MASKS4[(x0 <= y0) | ((x1 <= y1) << 1) | ((x2 <= y2) << 2) | ((x3 <= y3) << 3)]


def f32x4_ge(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return _MASKS4[(x0 >= y0) | ((x1 >= y1) << 1) | ((x2 >= y2) << 2) | ((x3 >= y3) << 3)]


def f64x2_eq(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _MASKS2[(x0 == y0) | ((x1 == y1) << 1)]


def f64x2_ne(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _MASKS2[(x0 != y0) | ((x1 != y1) << 1)]


def f64x2_lt(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _MASKS2[(x0 < y0) | ((x1 < y1) << 1)]


def f64x2_gt(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _MASKS2[(x0 > y0) | ((x1 > y1) << 1)]


def f64x2_le(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _MASKS2[(x0 <= y0) | ((x1 <= y1) << 1)]


def f64x2_ge(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return _MASKS2[(x0 >= y0) | ((x1 >= y1) << 1)]


def f32x4_pmin(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return a ^ ((a ^ b) & _MASKS4[(y0 < x0) | ((y1 < x1) << 1) | ((y2 < x2) << 2)
                                  | ((y3 < x3) << 3)])


def f32x4_pmax(a, b):
    x0, x1, x2, x3 = _U4f(a.to_bytes(16, _LE))
    y0, y1, y2, y3 = _U4f(b.to_bytes(16, _LE))
    return a ^ ((a ^ b) & _MASKS4[(x0 < y0) | ((x1 < y1) << 1) | ((x2 < y2) << 2)
                                  | ((x3 < y3) << 3)])


def f64x2_pmin(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return a ^ ((a ^ b) & _MASKS2[(y0 < x0) | ((y1 < x1) << 1)])


def f64x2_pmax(a, b):
    x0, x1 = _U2d(a.to_bytes(16, _LE))
    y0, y1 = _U2d(b.to_bytes(16, _LE))
    return a ^ ((a ^ b) & _MASKS2[(x0 < y0) | ((x1 < y1) << 1)])


# Rounding to integral and saturating truncation: numeric's scalar functions per lane
# (the f32 lanes are f32 values, so the f64 functions apply, as for scalar f32).
def f32x4_ceil(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    return _from(_P4f(f64_ceil(x0), f64_ceil(x1), f64_ceil(x2), f64_ceil(x3)), _LE)


def f32x4_floor(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    return _from(_P4f(f64_floor(x0), f64_floor(x1), f64_floor(x2), f64_floor(x3)), _LE)


def f32x4_trunc(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    return _from(_P4f(f64_trunc(x0), f64_trunc(x1), f64_trunc(x2), f64_trunc(x3)), _LE)


def f32x4_nearest(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    return _from(_P4f(f64_nearest(x0), f64_nearest(x1), f64_nearest(x2), f64_nearest(x3)), _LE)


def f64x2_ceil(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _from(_P2d(f64_ceil(x0), f64_ceil(x1)), _LE)


def f64x2_floor(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _from(_P2d(f64_floor(x0), f64_floor(x1)), _LE)


def f64x2_trunc(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _from(_P2d(f64_trunc(x0), f64_trunc(x1)), _LE)


def f64x2_nearest(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _from(_P2d(f64_nearest(x0), f64_nearest(x1)), _LE)


# -- conversions --------------------------------------------------------------------------
def i32x4_trunc_sat_f32x4_s(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    return (_tss(x0) | (_tss(x1) << 32) | (_tss(x2) << 64) | (_tss(x3) << 96))


def i32x4_trunc_sat_f32x4_u(v):
    x0, x1, x2, x3 = _U4f(v.to_bytes(16, _LE))
    return (_tsu(x0) | (_tsu(x1) << 32) | (_tsu(x2) << 64) | (_tsu(x3) << 96))


def i32x4_trunc_sat_f64x2_s_zero(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _tss(x0) | (_tss(x1) << 32)


def i32x4_trunc_sat_f64x2_u_zero(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _tsu(x0) | (_tsu(x1) << 32)


# an int -> float packs exactly into a double and rounds once into a float ('f' lanes)
def f32x4_convert_i32x4_s(v):
    return _from(_P4f(*_U4i(v.to_bytes(16, _LE))), _LE)


def f32x4_convert_i32x4_u(v):
    return _from(_P4f(*_U4I(v.to_bytes(16, _LE))), _LE)


def f64x2_convert_low_i32x4_s(v):
    return _from(_P2d(*_U2i_from(v.to_bytes(16, _LE), 0)), _LE)


def f64x2_convert_low_i32x4_u(v):
    return _from(_P2d(*_U2I_from(v.to_bytes(16, _LE), 0)), _LE)


def f32x4_demote_f64x2_zero(v):
    x0, x1 = _U2d(v.to_bytes(16, _LE))
    return _from(_P2f(f32_demote_f64(x0), f32_demote_f64(x1)), _LE)


def f64x2_promote_low_f32x4(v):
    # an f32 is exactly a double; a NaN must leave quieted (x * 1.0)
    x0, x1 = _U2f_from(v.to_bytes(16, _LE), 0)
    return _from(_P2d(x0 * 1.0, x1 * 1.0), _LE)


# -- memory -------------------------------------------------------------------------------
def v128_load(mem, addr):
    if addr > len(mem) - 16:
        raise Trap(_OOB)
    return _from(mem[addr:addr + 16], _LE)


def v128_store(mem, addr, v):
    if addr > len(mem) - 16:
        raise Trap(_OOB)
    mem[addr:addr + 16] = v.to_bytes(16, _LE)


def v128_load8x8_s(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(_P8h(*_U8b_from(mem, addr)), _LE)


def v128_load8x8_u(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(_P8H(*_U8B_from(mem, addr)), _LE)


def v128_load16x4_s(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(_P4i(*_U4h_from(mem, addr)), _LE)


def v128_load16x4_u(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(_P4I(*_U4H_from(mem, addr)), _LE)


def v128_load32x2_s(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(_P2q(*_U2i_from(mem, addr)), _LE)


def v128_load32x2_u(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    x = _from(mem[addr:addr + 8], _LE)
    return (x & _M32) | ((x >> 32) << 64)


def v128_load8_splat(mem, addr):
    if addr > len(mem) - 1:
        raise Trap(_OOB)
    return mem[addr] * _ONES8


def v128_load16_splat(mem, addr):
    if addr > len(mem) - 2:
        raise Trap(_OOB)
    return _from(mem[addr:addr + 2], _LE) * _ONES16


def v128_load32_splat(mem, addr):
    if addr > len(mem) - 4:
        raise Trap(_OOB)
    return _from(mem[addr:addr + 4], _LE) * _ONES32


def v128_load64_splat(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(mem[addr:addr + 8], _LE) * _ONES64


def v128_load32_zero(mem, addr):
    if addr > len(mem) - 4:
        raise Trap(_OOB)
    return _from(mem[addr:addr + 4], _LE)


def v128_load64_zero(mem, addr):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return _from(mem[addr:addr + 8], _LE)


def v128_load8_lane(mem, addr, v, lane):
    if addr > len(mem) - 1:
        raise Trap(_OOB)
    return (v & _CLEAR8[lane]) | (mem[addr] << (lane << 3))


def v128_load16_lane(mem, addr, v, lane):
    if addr > len(mem) - 2:
        raise Trap(_OOB)
    return (v & _CLEAR16[lane]) | (_from(mem[addr:addr + 2], _LE) << (lane << 4))


def v128_load32_lane(mem, addr, v, lane):
    if addr > len(mem) - 4:
        raise Trap(_OOB)
    return (v & _CLEAR32[lane]) | (_from(mem[addr:addr + 4], _LE) << (lane << 5))


def v128_load64_lane(mem, addr, v, lane):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    return (v & _CLEAR64[lane]) | (_from(mem[addr:addr + 8], _LE) << (lane << 6))


def v128_store8_lane(mem, addr, v, lane):
    if addr > len(mem) - 1:
        raise Trap(_OOB)
    mem[addr] = (v >> (lane << 3)) & 0xFF


def v128_store16_lane(mem, addr, v, lane):
    if addr > len(mem) - 2:
        raise Trap(_OOB)
    mem[addr:addr + 2] = ((v >> (lane << 4)) & 0xFFFF).to_bytes(2, _LE)


def v128_store32_lane(mem, addr, v, lane):
    if addr > len(mem) - 4:
        raise Trap(_OOB)
    mem[addr:addr + 4] = ((v >> (lane << 5)) & _M32).to_bytes(4, _LE)


def v128_store64_lane(mem, addr, v, lane):
    if addr > len(mem) - 8:
        raise Trap(_OOB)
    mem[addr:addr + 8] = ((v >> (lane << 6)) & _M64).to_bytes(8, _LE)


# -- the table ------------------------------------------------------------------------------
_NAMES = """
v128.load v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s
v128.load32x2_u v128.load8_splat v128.load16_splat v128.load32_splat v128.load64_splat
v128.store v128.const i8x16.shuffle i8x16.swizzle
i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat
i8x16.extract_lane_s i8x16.extract_lane_u i8x16.replace_lane
i16x8.extract_lane_s i16x8.extract_lane_u i16x8.replace_lane
i32x4.extract_lane i32x4.replace_lane i64x2.extract_lane i64x2.replace_lane
f32x4.extract_lane f32x4.replace_lane f64x2.extract_lane f64x2.replace_lane
i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u
i8x16.ge_s i8x16.ge_u
i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u
i16x8.ge_s i16x8.ge_u
i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u
i32x4.ge_s i32x4.ge_u
f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge
f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge
v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true
v128.load8_lane v128.load16_lane v128.load32_lane v128.load64_lane
v128.store8_lane v128.store16_lane v128.store32_lane v128.store64_lane
v128.load32_zero v128.load64_zero
f32x4.demote_f64x2_zero f64x2.promote_low_f32x4
i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask
i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u
f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest
i8x16.shl i8x16.shr_s i8x16.shr_u i8x16.add i8x16.add_sat_s i8x16.add_sat_u i8x16.sub
i8x16.sub_sat_s i8x16.sub_sat_u f64x2.ceil f64x2.floor i8x16.min_s i8x16.min_u
i8x16.max_s i8x16.max_u f64x2.trunc i8x16.avgr_u
i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u
i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u
i16x8.abs i16x8.neg i16x8.q15mulr_sat_s i16x8.all_true i16x8.bitmask
i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u
i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s
i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u
i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u i16x8.sub
i16x8.sub_sat_s i16x8.sub_sat_u f64x2.nearest i16x8.mul i16x8.min_s i16x8.min_u
i16x8.max_s i16x8.max_u i16x8.avgr_u
i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s
i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u
i32x4.abs i32x4.neg i32x4.all_true i32x4.bitmask
i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s
i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u
i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add i32x4.sub i32x4.mul
i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s
i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s
i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u
i64x2.abs i64x2.neg i64x2.all_true i64x2.bitmask
i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s
i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u
i64x2.shl i64x2.shr_s i64x2.shr_u i64x2.add i64x2.sub i64x2.mul
i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s
i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s
i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u
f32x4.abs f32x4.neg f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div
f32x4.min f32x4.max f32x4.pmin f32x4.pmax
f64x2.abs f64x2.neg f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div
f64x2.min f64x2.max f64x2.pmin f64x2.pmax
i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u
i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero
f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u
""".split()

SIMD: dict[str, Callable] = {
    name.replace(".", "_"): globals()[name.replace(".", "_")] for name in _NAMES
}
"""Every SIMD instruction (helper name, the wasm name with '.' -> '_') -> function."""

__all__ += list(SIMD)

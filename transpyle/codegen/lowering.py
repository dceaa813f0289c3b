"""How each scalar numeric instruction is lowered: a table of templates.

Every numeric op maps to one template kind plus its data. The translator implements
each kind once (`Translator._numeric`), so the ~180 scalar numeric ops are rows here,
not branches there. Ops not listed inline fall back to the exact reference helper of
the same name in `transpyle.runtime.numeric` (called through the namespace).

Value states (see translate.py): NORM is a canonical value; WIDE is an integer that is
only congruent to the wasm value modulo 2**N (lazy wrap-around: masked only where
observed); BOOL is a Python bool standing for i32 0/1.
"""

from __future__ import annotations

from bytecode import BinaryOp, Compare

# Template kinds
ARITH = "arith"  # BinaryOp on possibly-WIDE ints; result WIDE
AND = "and"  # result NORM if either operand is NORM
ORX = "orx"  # or/xor: result NORM if both operands are NORM
SHL = "shl"  # a << (b & (N-1)); result WIDE
SHR_U = "shr_u"  # a >> (b & (N-1)); a NORM; result NORM
SHR_S = "shr_s"  # signed(a) >> (b & (N-1)); result WIDE
DIV_U = "div_u"  # BinaryOp on NORM ints (ZeroDivisionError is the divide-by-zero trap)
CMP = "cmp"  # Compare on NORM values; result BOOL
CMP_S = "cmp_s"  # Compare on sign-flipped NORM ints; result BOOL
EQZ = "eqz"  # x == 0; result BOOL
FARITH = "farith"  # BinaryOp on f64 (never raises: + - *)
FNEG = "fneg"  # unary minus: exact sign flip, NaN payload kept
WRAP = "wrap"  # x & 0xFFFFFFFF from a possibly-WIDE i64; result NORM
NOP_CONV = "nop"  # i64.extend_i32_u: the NORM i32 is already the i64
SEXT = "sext"  # ((x & low) ^ sign) - sign; result WIDE in the target width
FDIV = "fdiv"  # a / b inline when b is non-zero; the helper for +-0 (Python raises there)
ROT = "rot"  # rotl/rotr by a constant: a << k | a >> (N-k), a NORM; result WIDE (else the helper)
F32ARITH = "f32arith"  # BinaryOp in double, rounded once to f32 inline (f32_unpack(f32_pack(r))[0])
F32DIV = "f32div"  # a / b rounded inline when b is non-zero; the helper for +-0
FSQRT = "fsqrt"  # sqrt(a) (math.sqrt, a builtin) when a >= 0; the helper for the rest

BITS = {"i32": 32, "i64": 64}

INLINE: dict[str, tuple] = {}


def _ints(prefix: str) -> None:
    n = BITS[prefix]
    for name, op in (("add", BinaryOp.ADD), ("sub", BinaryOp.SUBTRACT), ("mul", BinaryOp.MULTIPLY)):
        INLINE[f"{prefix}.{name}"] = (ARITH, op)
    INLINE[f"{prefix}.and"] = (AND, BinaryOp.AND)
    INLINE[f"{prefix}.or"] = (ORX, BinaryOp.OR)
    INLINE[f"{prefix}.xor"] = (ORX, BinaryOp.XOR)
    INLINE[f"{prefix}.shl"] = (SHL, n)
    INLINE[f"{prefix}.shr_u"] = (SHR_U, n)
    INLINE[f"{prefix}.shr_s"] = (SHR_S, n)
    INLINE[f"{prefix}.div_u"] = (DIV_U, BinaryOp.FLOOR_DIVIDE)
    INLINE[f"{prefix}.rem_u"] = (DIV_U, BinaryOp.REMAINDER)
    INLINE[f"{prefix}.eqz"] = (EQZ,)
    INLINE[f"{prefix}.rotl"] = (ROT, n, True)
    INLINE[f"{prefix}.rotr"] = (ROT, n, False)
    for name, cmp in (("eq", Compare.EQ), ("ne", Compare.NE), ("lt_u", Compare.LT),
                      ("gt_u", Compare.GT), ("le_u", Compare.LE), ("ge_u", Compare.GE)):
        INLINE[f"{prefix}.{name}"] = (CMP, cmp)
    for name, cmp in (("lt_s", Compare.LT), ("gt_s", Compare.GT), ("le_s", Compare.LE),
                      ("ge_s", Compare.GE)):
        INLINE[f"{prefix}.{name}"] = (CMP_S, cmp, n)


_ints("i32")
_ints("i64")

for _f in ("f32", "f64"):
    for _name, _cmp in (("eq", Compare.EQ), ("ne", Compare.NE), ("lt", Compare.LT),
                        ("gt", Compare.GT), ("le", Compare.LE), ("ge", Compare.GE)):
        INLINE[f"{_f}.{_name}"] = (CMP, _cmp)
    INLINE[f"{_f}.neg"] = (FNEG,)

# f64 + - * are exact IEEE double operations in Python (inf on overflow, never raising);
# f32 needs rounding after each operation, so it goes through its helper.
for _name, _op in (("add", BinaryOp.ADD), ("sub", BinaryOp.SUBTRACT), ("mul", BinaryOp.MULTIPLY)):
    INLINE[f"f64.{_name}"] = (FARITH, _op)

INLINE["f64.div"] = (FDIV,)
INLINE["f64.sqrt"] = (FSQRT,)
# f32 + - * / in double are exactly rounded once more to f32 by a native struct
# round trip, inline: double rounding is innocuous there (53 >= 2*24+2), and the C cast
# rounds to nearest even, overflows to inf and keeps a NaN's sign and top payload bits
# with the quiet bit set, as the f32_add & co. helpers do (RATIONALE.md)
for _name, _op in (("add", BinaryOp.ADD), ("sub", BinaryOp.SUBTRACT), ("mul", BinaryOp.MULTIPLY)):
    INLINE[f"f32.{_name}"] = (F32ARITH, _op)
INLINE["f32.div"] = (F32DIV,)

INLINE["i32.wrap_i64"] = (WRAP,)
INLINE["i64.extend_i32_u"] = (NOP_CONV,)
# (source width, bits kept, target width)
INLINE["i64.extend_i32_s"] = (SEXT, 32, 32)
INLINE["i32.extend8_s"] = (SEXT, 32, 8)
INLINE["i32.extend16_s"] = (SEXT, 32, 16)
INLINE["i64.extend8_s"] = (SEXT, 64, 8)
INLINE["i64.extend16_s"] = (SEXT, 64, 16)
INLINE["i64.extend32_s"] = (SEXT, 64, 32)


def helper_name(op_name: str) -> str:
    """The namespace name of an op's reference helper: `i32.div_s` -> `i32_div_s`."""
    return op_name.replace(".", "_")

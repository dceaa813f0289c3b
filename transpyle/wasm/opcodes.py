"""The opcode table: every instruction's number, name, immediate kind and, where it is
fixed, its stack signature.

The decoder reads immediates by kind, the validator checks every op with a fixed
signature generically (only the control, variable, reference, table and memory-index
ops are special), and code generation looks numeric ops up by name. Prefixed opcodes
are numbered `prefix << 16 | sub` (0xFC misc, 0xFD SIMD, 0xFE threads).
"""

from __future__ import annotations

from dataclasses import dataclass

from .types import F32, F64, I32, I64, V128

# Immediate kinds and the shape of `imm` the decoder produces for each.
IMM_NONE = ""  # None
IMM_BLOCK = "block"  # int: the s33 block type (see module.BLOCK_EMPTY)
IMM_LABEL = "label"  # int
IMM_BR_TABLE = "br_table"  # (tuple[int, ...] labels, int default)
IMM_FUNC = "func"  # int
IMM_CALL_INDIRECT = "call_indirect"  # (type index, table index)
IMM_LOCAL = "local"  # int
IMM_GLOBAL = "global"  # int
IMM_TABLE = "table"  # int
IMM_MEMARG = "memarg"  # (align exponent, offset)
IMM_MEMORY = "memory"  # int: memory index (a reserved zero byte in Wasm 2.0)
IMM_I32 = "i32"  # unsigned 32-bit int
IMM_I64 = "i64"  # unsigned 64-bit int
IMM_F32 = "f32"  # 32-bit pattern
IMM_F64 = "f64"  # 64-bit pattern
IMM_V128 = "v128"  # unsigned 128-bit int (little-endian bytes)
IMM_SELECT_T = "select_t"  # tuple[ValueType, ...]
IMM_REFTYPE = "reftype"  # ValueType
IMM_MEMORY_INIT = "memory.init"  # (data index, memory index)
IMM_DATA = "data"  # int
IMM_MEMORY_COPY = "memory.copy"  # (dst memory, src memory)
IMM_TABLE_INIT = "table.init"  # (elem index, table index)
IMM_ELEM = "elem"  # int
IMM_TABLE_COPY = "table.copy"  # (dst table, src table)
IMM_LANE = "lane"  # int
IMM_MEMARG_LANE = "memarg_lane"  # (align exponent, offset, lane)
IMM_SHUFFLE = "shuffle"  # tuple of 16 ints
IMM_FENCE = "fence"  # 0 (a reserved byte)


@dataclass(frozen=True, slots=True)
class OpInfo:
    code: int
    name: str
    imm: str = IMM_NONE
    params: tuple | None = None  # None: the validator handles the op specially
    results: tuple | None = None
    # memory ops: natural alignment exponent (access size = 1 << natural_align bytes)
    natural_align: int = 0


OPS: dict[int, OpInfo] = {}
BY_NAME: dict[str, OpInfo] = {}


def _op(code: int, name: str, imm: str = IMM_NONE, params=None, results=None, natural_align=0):
    info = OpInfo(code, name, imm, params, results, natural_align)
    assert code not in OPS and name not in BY_NAME, name
    OPS[code] = info
    BY_NAME[name] = info


FC = 0xFC << 16
FD = 0xFD << 16
FE = 0xFE << 16

# -- control and parametric (validated specially) ---------------------------------
for _code, _name, _imm in [
    (0x00, "unreachable", IMM_NONE), (0x01, "nop", IMM_NONE),
    (0x02, "block", IMM_BLOCK), (0x03, "loop", IMM_BLOCK), (0x04, "if", IMM_BLOCK),
    (0x05, "else", IMM_NONE), (0x0B, "end", IMM_NONE),
    (0x0C, "br", IMM_LABEL), (0x0D, "br_if", IMM_LABEL), (0x0E, "br_table", IMM_BR_TABLE),
    (0x0F, "return", IMM_NONE), (0x10, "call", IMM_FUNC),
    (0x11, "call_indirect", IMM_CALL_INDIRECT),
    (0x12, "return_call", IMM_FUNC), (0x13, "return_call_indirect", IMM_CALL_INDIRECT),
    (0x1A, "drop", IMM_NONE), (0x1B, "select", IMM_NONE), (0x1C, "select_t", IMM_SELECT_T),
    (0x20, "local.get", IMM_LOCAL), (0x21, "local.set", IMM_LOCAL), (0x22, "local.tee", IMM_LOCAL),
    (0x23, "global.get", IMM_GLOBAL), (0x24, "global.set", IMM_GLOBAL),
    (0x25, "table.get", IMM_TABLE), (0x26, "table.set", IMM_TABLE),
    (0x3F, "memory.size", IMM_MEMORY), (0x40, "memory.grow", IMM_MEMORY),
    (0xD0, "ref.null", IMM_REFTYPE), (0xD1, "ref.is_null", IMM_NONE), (0xD2, "ref.func", IMM_FUNC),
]:
    _op(_code, _name, _imm)

# -- constants -----------------------------------------------------------------
_op(0x41, "i32.const", IMM_I32, (), (I32,))
_op(0x42, "i64.const", IMM_I64, (), (I64,))
_op(0x43, "f32.const", IMM_F32, (), (F32,))
_op(0x44, "f64.const", IMM_F64, (), (F64,))

# -- memory: loads and stores (name, result/operand type, natural alignment) -----
LOADS = [
    (0x28, "i32.load", I32, 2), (0x29, "i64.load", I64, 3), (0x2A, "f32.load", F32, 2),
    (0x2B, "f64.load", F64, 3), (0x2C, "i32.load8_s", I32, 0), (0x2D, "i32.load8_u", I32, 0),
    (0x2E, "i32.load16_s", I32, 1), (0x2F, "i32.load16_u", I32, 1),
    (0x30, "i64.load8_s", I64, 0), (0x31, "i64.load8_u", I64, 0),
    (0x32, "i64.load16_s", I64, 1), (0x33, "i64.load16_u", I64, 1),
    (0x34, "i64.load32_s", I64, 2), (0x35, "i64.load32_u", I64, 2),
]
STORES = [
    (0x36, "i32.store", I32, 2), (0x37, "i64.store", I64, 3), (0x38, "f32.store", F32, 2),
    (0x39, "f64.store", F64, 3), (0x3A, "i32.store8", I32, 0), (0x3B, "i32.store16", I32, 1),
    (0x3C, "i64.store8", I64, 0), (0x3D, "i64.store16", I64, 1), (0x3E, "i64.store32", I64, 2),
]
for _code, _name, _t, _a in LOADS:
    _op(_code, _name, IMM_MEMARG, (I32,), (_t,), _a)
for _code, _name, _t, _a in STORES:
    _op(_code, _name, IMM_MEMARG, (I32, _t), (), _a)

# -- numeric -------------------------------------------------------------------
_T = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}


def _numeric(first: int, prefix: str, names: str, nparams: int, result: str | None = None):
    t = _T[prefix]
    r = _T[result] if result else t
    for i, n in enumerate(names.split()):
        _op(first + i, f"{prefix}.{n}", IMM_NONE, (t,) * nparams, (r,))


_op(0x45, "i32.eqz", IMM_NONE, (I32,), (I32,))
_numeric(0x46, "i32", "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", 2, "i32")
_op(0x50, "i64.eqz", IMM_NONE, (I64,), (I32,))
_numeric(0x51, "i64", "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", 2, "i32")
_numeric(0x5B, "f32", "eq ne lt gt le ge", 2, "i32")
_numeric(0x61, "f64", "eq ne lt gt le ge", 2, "i32")
_numeric(0x67, "i32", "clz ctz popcnt", 1)
_numeric(0x6A, "i32", "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr", 2)
_numeric(0x79, "i64", "clz ctz popcnt", 1)
_numeric(0x7C, "i64", "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr", 2)
_numeric(0x8B, "f32", "abs neg ceil floor trunc nearest sqrt", 1)
_numeric(0x92, "f32", "add sub mul div min max copysign", 2)
_numeric(0x99, "f64", "abs neg ceil floor trunc nearest sqrt", 1)
_numeric(0xA0, "f64", "add sub mul div min max copysign", 2)

CONVERSIONS = [
    (0xA7, "i32.wrap_i64", I64, I32),
    (0xA8, "i32.trunc_f32_s", F32, I32), (0xA9, "i32.trunc_f32_u", F32, I32),
    (0xAA, "i32.trunc_f64_s", F64, I32), (0xAB, "i32.trunc_f64_u", F64, I32),
    (0xAC, "i64.extend_i32_s", I32, I64), (0xAD, "i64.extend_i32_u", I32, I64),
    (0xAE, "i64.trunc_f32_s", F32, I64), (0xAF, "i64.trunc_f32_u", F32, I64),
    (0xB0, "i64.trunc_f64_s", F64, I64), (0xB1, "i64.trunc_f64_u", F64, I64),
    (0xB2, "f32.convert_i32_s", I32, F32), (0xB3, "f32.convert_i32_u", I32, F32),
    (0xB4, "f32.convert_i64_s", I64, F32), (0xB5, "f32.convert_i64_u", I64, F32),
    (0xB6, "f32.demote_f64", F64, F32),
    (0xB7, "f64.convert_i32_s", I32, F64), (0xB8, "f64.convert_i32_u", I32, F64),
    (0xB9, "f64.convert_i64_s", I64, F64), (0xBA, "f64.convert_i64_u", I64, F64),
    (0xBB, "f64.promote_f32", F32, F64),
    (0xBC, "i32.reinterpret_f32", F32, I32), (0xBD, "i64.reinterpret_f64", F64, I64),
    (0xBE, "f32.reinterpret_i32", I32, F32), (0xBF, "f64.reinterpret_i64", I64, F64),
    (0xC0, "i32.extend8_s", I32, I32), (0xC1, "i32.extend16_s", I32, I32),
    (0xC2, "i64.extend8_s", I64, I64), (0xC3, "i64.extend16_s", I64, I64),
    (0xC4, "i64.extend32_s", I64, I64),
    (FC | 0, "i32.trunc_sat_f32_s", F32, I32), (FC | 1, "i32.trunc_sat_f32_u", F32, I32),
    (FC | 2, "i32.trunc_sat_f64_s", F64, I32), (FC | 3, "i32.trunc_sat_f64_u", F64, I32),
    (FC | 4, "i64.trunc_sat_f32_s", F32, I64), (FC | 5, "i64.trunc_sat_f32_u", F32, I64),
    (FC | 6, "i64.trunc_sat_f64_s", F64, I64), (FC | 7, "i64.trunc_sat_f64_u", F64, I64),
]
for _code, _name, _a, _r in CONVERSIONS:
    _op(_code, _name, IMM_NONE, (_a,), (_r,))

# -- bulk memory and tables (validated specially: they name indices) -------------
for _code, _name, _imm in [
    (FC | 8, "memory.init", IMM_MEMORY_INIT), (FC | 9, "data.drop", IMM_DATA),
    (FC | 10, "memory.copy", IMM_MEMORY_COPY), (FC | 11, "memory.fill", IMM_MEMORY),
    (FC | 12, "table.init", IMM_TABLE_INIT), (FC | 13, "elem.drop", IMM_ELEM),
    (FC | 14, "table.copy", IMM_TABLE_COPY), (FC | 15, "table.grow", IMM_TABLE),
    (FC | 16, "table.size", IMM_TABLE), (FC | 17, "table.fill", IMM_TABLE),
]:
    _op(_code, _name, _imm)

# -- SIMD (0xFD) -----------------------------------------------------------------
V = V128
_SIMD_MEM = [
    (0x00, "v128.load", (I32,), (V,), 4), (0x01, "v128.load8x8_s", (I32,), (V,), 3),
    (0x02, "v128.load8x8_u", (I32,), (V,), 3), (0x03, "v128.load16x4_s", (I32,), (V,), 3),
    (0x04, "v128.load16x4_u", (I32,), (V,), 3), (0x05, "v128.load32x2_s", (I32,), (V,), 3),
    (0x06, "v128.load32x2_u", (I32,), (V,), 3), (0x07, "v128.load8_splat", (I32,), (V,), 0),
    (0x08, "v128.load16_splat", (I32,), (V,), 1), (0x09, "v128.load32_splat", (I32,), (V,), 2),
    (0x0A, "v128.load64_splat", (I32,), (V,), 3), (0x0B, "v128.store", (I32, V), (), 4),
    (0x5C, "v128.load32_zero", (I32,), (V,), 2), (0x5D, "v128.load64_zero", (I32,), (V,), 3),
]
for _sub, _name, _p, _r, _a in _SIMD_MEM:
    _op(FD | _sub, _name, IMM_MEMARG, _p, _r, _a)
for _i, (_name, _a) in enumerate([("8", 0), ("16", 1), ("32", 2), ("64", 3)]):
    _op(FD | (0x54 + _i), f"v128.load{_name}_lane", IMM_MEMARG_LANE, (I32, V), (V,), _a)
    _op(FD | (0x58 + _i), f"v128.store{_name}_lane", IMM_MEMARG_LANE, (I32, V), (), _a)
_op(FD | 0x0C, "v128.const", IMM_V128, (), (V,))
_op(FD | 0x0D, "i8x16.shuffle", IMM_SHUFFLE, (V, V), (V,))

# lane counts, used by the validator's lane-index check
LANES = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}
_LANE_T = {"i8x16": I32, "i16x8": I32, "i32x4": I32, "i64x2": I64, "f32x4": F32, "f64x2": F64}
for _sub, _shape in zip(range(0x0F, 0x15), ["i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"]):
    _op(FD | _sub, f"{_shape}.splat", IMM_NONE, (_LANE_T[_shape],), (V,))
_sub = 0x15
for _shape, _signs in [("i8x16", ("_s", "_u")), ("i16x8", ("_s", "_u")), ("i32x4", ("",)),
                       ("i64x2", ("",)), ("f32x4", ("",)), ("f64x2", ("",))]:
    for _s in _signs:
        _op(FD | _sub, f"{_shape}.extract_lane{_s}", IMM_LANE, (V,), (_LANE_T[_shape],))
        _sub += 1
    _op(FD | _sub, f"{_shape}.replace_lane", IMM_LANE, (V, _LANE_T[_shape]), (V,))
    _sub += 1

# Plain SIMD ops by opcode: (sub, name, number of v128 operands); a shift takes an i32
# count and the any/all_true/bitmask reductions give an i32.
_SIMD_PLAIN = """
0e i8x16.swizzle 2
23 i8x16.eq 2|24 i8x16.ne 2|25 i8x16.lt_s 2|26 i8x16.lt_u 2|27 i8x16.gt_s 2|28 i8x16.gt_u 2
29 i8x16.le_s 2|2a i8x16.le_u 2|2b i8x16.ge_s 2|2c i8x16.ge_u 2
2d i16x8.eq 2|2e i16x8.ne 2|2f i16x8.lt_s 2|30 i16x8.lt_u 2|31 i16x8.gt_s 2|32 i16x8.gt_u 2
33 i16x8.le_s 2|34 i16x8.le_u 2|35 i16x8.ge_s 2|36 i16x8.ge_u 2
37 i32x4.eq 2|38 i32x4.ne 2|39 i32x4.lt_s 2|3a i32x4.lt_u 2|3b i32x4.gt_s 2|3c i32x4.gt_u 2
3d i32x4.le_s 2|3e i32x4.le_u 2|3f i32x4.ge_s 2|40 i32x4.ge_u 2
41 f32x4.eq 2|42 f32x4.ne 2|43 f32x4.lt 2|44 f32x4.gt 2|45 f32x4.le 2|46 f32x4.ge 2
47 f64x2.eq 2|48 f64x2.ne 2|49 f64x2.lt 2|4a f64x2.gt 2|4b f64x2.le 2|4c f64x2.ge 2
4d v128.not 1|4e v128.and 2|4f v128.andnot 2|50 v128.or 2|51 v128.xor 2|52 v128.bitselect 3
5e f32x4.demote_f64x2_zero 1|5f f64x2.promote_low_f32x4 1
60 i8x16.abs 1|61 i8x16.neg 1|62 i8x16.popcnt 1
65 i8x16.narrow_i16x8_s 2|66 i8x16.narrow_i16x8_u 2
67 f32x4.ceil 1|68 f32x4.floor 1|69 f32x4.trunc 1|6a f32x4.nearest 1
6e i8x16.add 2|6f i8x16.add_sat_s 2|70 i8x16.add_sat_u 2|71 i8x16.sub 2|72 i8x16.sub_sat_s 2
73 i8x16.sub_sat_u 2|74 f64x2.ceil 1|75 f64x2.floor 1|76 i8x16.min_s 2|77 i8x16.min_u 2
78 i8x16.max_s 2|79 i8x16.max_u 2|7a f64x2.trunc 1|7b i8x16.avgr_u 2
7c i16x8.extadd_pairwise_i8x16_s 1|7d i16x8.extadd_pairwise_i8x16_u 1
7e i32x4.extadd_pairwise_i16x8_s 1|7f i32x4.extadd_pairwise_i16x8_u 1
80 i16x8.abs 1|81 i16x8.neg 1|82 i16x8.q15mulr_sat_s 2
85 i16x8.narrow_i32x4_s 2|86 i16x8.narrow_i32x4_u 2
87 i16x8.extend_low_i8x16_s 1|88 i16x8.extend_high_i8x16_s 1
89 i16x8.extend_low_i8x16_u 1|8a i16x8.extend_high_i8x16_u 1
8e i16x8.add 2|8f i16x8.add_sat_s 2|90 i16x8.add_sat_u 2|91 i16x8.sub 2|92 i16x8.sub_sat_s 2
93 i16x8.sub_sat_u 2|94 f64x2.nearest 1|95 i16x8.mul 2|96 i16x8.min_s 2|97 i16x8.min_u 2
98 i16x8.max_s 2|99 i16x8.max_u 2|9b i16x8.avgr_u 2
9c i16x8.extmul_low_i8x16_s 2|9d i16x8.extmul_high_i8x16_s 2
9e i16x8.extmul_low_i8x16_u 2|9f i16x8.extmul_high_i8x16_u 2
a0 i32x4.abs 1|a1 i32x4.neg 1
a7 i32x4.extend_low_i16x8_s 1|a8 i32x4.extend_high_i16x8_s 1
a9 i32x4.extend_low_i16x8_u 1|aa i32x4.extend_high_i16x8_u 1
ae i32x4.add 2|b1 i32x4.sub 2|b5 i32x4.mul 2|b6 i32x4.min_s 2|b7 i32x4.min_u 2
b8 i32x4.max_s 2|b9 i32x4.max_u 2|ba i32x4.dot_i16x8_s 2
bc i32x4.extmul_low_i16x8_s 2|bd i32x4.extmul_high_i16x8_s 2
be i32x4.extmul_low_i16x8_u 2|bf i32x4.extmul_high_i16x8_u 2
c0 i64x2.abs 1|c1 i64x2.neg 1
c7 i64x2.extend_low_i32x4_s 1|c8 i64x2.extend_high_i32x4_s 1
c9 i64x2.extend_low_i32x4_u 1|ca i64x2.extend_high_i32x4_u 1
ce i64x2.add 2|d1 i64x2.sub 2|d5 i64x2.mul 2
d6 i64x2.eq 2|d7 i64x2.ne 2|d8 i64x2.lt_s 2|d9 i64x2.gt_s 2|da i64x2.le_s 2|db i64x2.ge_s 2
dc i64x2.extmul_low_i32x4_s 2|dd i64x2.extmul_high_i32x4_s 2
de i64x2.extmul_low_i32x4_u 2|df i64x2.extmul_high_i32x4_u 2
e0 f32x4.abs 1|e1 f32x4.neg 1|e3 f32x4.sqrt 1|e4 f32x4.add 2|e5 f32x4.sub 2|e6 f32x4.mul 2
e7 f32x4.div 2|e8 f32x4.min 2|e9 f32x4.max 2|ea f32x4.pmin 2|eb f32x4.pmax 2
ec f64x2.abs 1|ed f64x2.neg 1|ef f64x2.sqrt 1|f0 f64x2.add 2|f1 f64x2.sub 2|f2 f64x2.mul 2
f3 f64x2.div 2|f4 f64x2.min 2|f5 f64x2.max 2|f6 f64x2.pmin 2|f7 f64x2.pmax 2
f8 i32x4.trunc_sat_f32x4_s 1|f9 i32x4.trunc_sat_f32x4_u 1
fa f32x4.convert_i32x4_s 1|fb f32x4.convert_i32x4_u 1
fc i32x4.trunc_sat_f64x2_s_zero 1|fd i32x4.trunc_sat_f64x2_u_zero 1
fe f64x2.convert_low_i32x4_s 1|ff f64x2.convert_low_i32x4_u 1
"""
for _entry in _SIMD_PLAIN.replace("\n", "|").split("|"):
    if _entry.strip():
        _hex, _name, _n = _entry.split()
        _op(FD | int(_hex, 16), _name, IMM_NONE, (V,) * int(_n), (V,))
for _hex, _shape in [(0x6B, "i8x16"), (0x8B, "i16x8"), (0xAB, "i32x4"), (0xCB, "i64x2")]:
    for _i, _n in enumerate(["shl", "shr_s", "shr_u"]):
        _op(FD | (_hex + _i), f"{_shape}.{_n}", IMM_NONE, (V, I32), (V,))
_op(FD | 0x53, "v128.any_true", IMM_NONE, (V,), (I32,))
for _hex, _shape in [(0x63, "i8x16"), (0x83, "i16x8"), (0xA3, "i32x4"), (0xC3, "i64x2")]:
    _op(FD | _hex, f"{_shape}.all_true", IMM_NONE, (V,), (I32,))
    _op(FD | (_hex + 1), f"{_shape}.bitmask", IMM_NONE, (V,), (I32,))

# -- threads / atomics (0xFE): alignment must equal the natural alignment ---------
_op(FE | 0x00, "memory.atomic.notify", IMM_MEMARG, (I32, I32), (I32,), 2)
_op(FE | 0x01, "memory.atomic.wait32", IMM_MEMARG, (I32, I32, I64), (I32,), 2)
_op(FE | 0x02, "memory.atomic.wait64", IMM_MEMARG, (I32, I64, I64), (I32,), 3)
_op(FE | 0x03, "atomic.fence", IMM_FENCE, (), ())
# (suffix, value type, natural alignment) of the seven access widths
_ATOMIC_WIDTHS = [("i32", "", I32, 2), ("i64", "", I64, 3), ("i32", "8", I32, 0), ("i32", "16", I32, 1),
                  ("i64", "8", I64, 0), ("i64", "16", I64, 1), ("i64", "32", I64, 2)]
for _i, (_t, _w, _vt, _a) in enumerate(_ATOMIC_WIDTHS):
    _u = "_u" if _w else ""
    _op(FE | (0x10 + _i), f"{_t}.atomic.load{_w}{_u}", IMM_MEMARG, (I32,), (_vt,), _a)
    _op(FE | (0x17 + _i), f"{_t}.atomic.store{_w}", IMM_MEMARG, (I32, _vt), (), _a)
    for _j, _rmw in enumerate(["add", "sub", "and", "or", "xor", "xchg"]):
        _op(FE | (0x1E + 7 * _j + _i), f"{_t}.atomic.rmw{_w}.{_rmw}{_u}", IMM_MEMARG,
            (I32, _vt), (_vt,), _a)
    _op(FE | (0x48 + _i), f"{_t}.atomic.rmw{_w}.cmpxchg{_u}", IMM_MEMARG, (I32, _vt, _vt), (_vt,), _a)

ATOMIC_OPS = frozenset(code for code in OPS if code >> 16 == 0xFE)

# Convenience: opcode numbers of the ops that the decoder, validator and code
# generator dispatch on by number.
UNREACHABLE, NOP, BLOCK, LOOP, IF, ELSE, END = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0B
BR, BR_IF, BR_TABLE, RETURN, CALL, CALL_INDIRECT = 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11
RETURN_CALL, RETURN_CALL_INDIRECT = 0x12, 0x13
DROP, SELECT, SELECT_T = 0x1A, 0x1B, 0x1C
LOCAL_GET, LOCAL_SET, LOCAL_TEE, GLOBAL_GET, GLOBAL_SET = 0x20, 0x21, 0x22, 0x23, 0x24
TABLE_GET, TABLE_SET = 0x25, 0x26
MEMORY_SIZE, MEMORY_GROW = 0x3F, 0x40
I32_CONST, I64_CONST, F32_CONST, F64_CONST = 0x41, 0x42, 0x43, 0x44
REF_NULL, REF_IS_NULL, REF_FUNC = 0xD0, 0xD1, 0xD2
V128_CONST = FD | 0x0C

# The instructions allowed in constant expressions (Wasm 2.0), plus `end`.
CONST_EXPR_OPS = frozenset({I32_CONST, I64_CONST, F32_CONST, F64_CONST, V128_CONST,
                            REF_NULL, REF_FUNC, GLOBAL_GET, END})


def name_of(code: int) -> str:
    info = OPS.get(code)
    return info.name if info else f"<opcode {code:#x}>"



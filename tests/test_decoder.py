"""Tests of the binary decoder: the official suites' binary cases, LEB128 edge cases,
hand-built modules, and hostile inputs (nothing but DecodeError may ever escape)."""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path

import pytest

from transpyle.errors import DecodeError
from transpyle.wasm import opcodes as op
from transpyle.wasm.decoder import MAX_LOCALS, V1_PHRASES, decode
from transpyle.wasm.leb128 import (
    encode_signed,
    encode_unsigned,
    read_s32,
    read_s33,
    read_s64,
    read_sleb,
    read_u32,
    read_u64,
    read_uleb,
)
from transpyle.wasm.module import BLOCK_EMPTY, blocktype_valtype
from transpyle.wasm.types import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128, FuncType, Limits

# -- the official suites ----------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
SUITES = ("v1", "v2", "tail-call", "threads")


def spectest_dir() -> Path:
    """The bundled spec suites (a missing one fails `test_suites_are_present`)."""
    return REPO / "tests" / "spectest"


@lru_cache(maxsize=None)
def suite_commands(suite: str) -> list[tuple[Path, str, dict]]:
    """(directory, json file name, command) of every command in a suite."""
    out = []
    d = spectest_dir() / suite
    for jf in sorted(d.glob("*.json")):
        for cmd in json.loads(jf.read_text())["commands"]:
            out.append((d, jf.name, cmd))
    return out


def _cases(kinds: set[str]) -> list:
    params = []
    for suite in SUITES:
        for d, jname, cmd in suite_commands(suite):
            fn = cmd.get("filename", "")
            if cmd["type"] not in kinds or not fn.endswith(".wasm"):
                continue
            if cmd["type"] != "module" and cmd.get("module_type") != "binary":
                continue
            params.append(pytest.param(d / fn, cmd, id=f"{suite}/{jname}:{cmd['line']}"))
    return params


# v1 (Wasm 1.0) expectations that Wasm 2.0 reverses: the decoder follows 2.0, and these
# commands are checked for their 2.0 outcome instead. None means "decodes".
V1_REVERSED = {
    # call_indirect's reserved byte is a table index (LEB u32) in 2.0: byte 1 decodes
    # (the validator reports an unknown table); a long zero is a valid index, but the
    # 1.0 test declares the body one byte too short for it.
    ("binary.json", 50): None,
    ("binary.json", 69): "section size mismatch",
    ("binary.json", 88): "section size mismatch",
    ("binary.json", 106): "section size mismatch",
    ("binary.json", 124): "section size mismatch",
    # The same bytes are in v2 with the 2.0 spec interpreter's phrase (lengths are
    # checked against the bytes that remain).
    ("binary.json", 425): "length out of bounds",
    ("binary.json", 571): "length out of bounds",
    ("custom.json", 85): "length out of bounds",
    # 2.0 reads the first byte of an element segment as its kind (10 is none), where
    # 1.0 read a table index and then failed on a block type.
    ("binary.json", 626): "malformed elements segment kind",
    # 2.0 reads block type byte 0x0b as type index 11; the body then runs off the end.
    ("binary.json", 763): "unexpected end",
}


def _expect_malformed(path: Path, expected: str) -> None:
    data = path.read_bytes()
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert expected in str(info.value), f"expected {expected!r}, got {str(info.value)!r}"


@pytest.mark.parametrize("path,cmd", _cases({"assert_malformed"}))
def test_spec_assert_malformed(path: Path, cmd: dict):
    key = (path.name.rsplit(".", 2)[0] + ".json", cmd["line"])
    if path.parent.name == "v1" and key in V1_REVERSED:
        outcome = V1_REVERSED[key]
        if outcome is None:
            decode(path.read_bytes())
        else:
            _expect_malformed(path, outcome)
        return
    expected = cmd["text"]
    if path.parent.name == "v1":
        expected = V1_PHRASES.get(expected, expected)
    _expect_malformed(path, expected)


_WELL_FORMED = {"module", "assert_invalid", "assert_unlinkable", "assert_uninstantiable",
                "assert_trap", "assert_exhaustion"}


def _files_by_json() -> list:
    groups: dict[str, list] = {}
    for p in _cases(_WELL_FORMED):
        groups.setdefault(p.id.rsplit(":", 1)[0], []).append(p.values[0])
    return [pytest.param(paths, id=key) for key, paths in sorted(groups.items())]


@pytest.mark.parametrize("paths", _files_by_json())
def test_spec_modules_decode(paths: list[Path]):
    """Every module the suites expect to be well-formed (valid or not) decodes."""
    for path in paths:
        try:
            decode(path.read_bytes())
        except DecodeError as e:  # pragma: no cover - the failure message
            pytest.fail(f"{path.name}: {e}")


def test_suites_are_present():
    counts = {s: sum(1 for _, _, c in suite_commands(s)
                     if c["type"] == "assert_malformed" and c.get("module_type") == "binary")
              for s in SUITES}
    assert counts["v1"] > 600 and counts["v2"] > 600, counts


def test_v1_reversed_cases_exist():
    lines = {(j, c["line"]) for _, j, c in suite_commands("v1")
             if c["type"] == "assert_malformed" and c.get("module_type") == "binary"}
    assert set(V1_REVERSED) <= lines


# -- LEB128 ---------------------------------------------------------------------------


def _msg(fn, data: bytes, *args) -> str:
    with pytest.raises(DecodeError) as info:
        fn(data, 0, *args)
    return info.value.reason


@pytest.mark.parametrize("value", [0, 1, 63, 64, 127, 128, 255, 16383, 16384, 2**28 - 1, 2**28,
                                   2**31, 2**32 - 1])
def test_u32_values(value):
    enc = encode_unsigned(value)
    assert read_u32(enc, 0) == (value, len(enc))
    padded = encode_unsigned(value, 5)
    assert read_u32(padded + b"\x99", 0) == (value, 5)
    assert read_uleb(padded, 0, 32) == (value, 5)


def test_u32_limits():
    assert read_u32(b"\xff\xff\xff\xff\x0f", 0) == (2**32 - 1, 5)
    assert _msg(read_u32, b"\xff\xff\xff\xff\x1f") == "integer too large"
    assert _msg(read_u32, b"\x80\x80\x80\x80\x10") == "integer too large"
    assert _msg(read_u32, b"\x80\x80\x80\x80\x80\x00") == "integer representation too long"
    assert _msg(read_u32, b"\xff\xff\xff\xff\x8f\x00") == "integer representation too long"
    for n in range(5):
        assert _msg(read_u32, b"\x80" * n) == "unexpected end of section or function"
    for bits, fn in ((32, read_u32), (32, lambda d, p: read_uleb(d, p, 32))):
        with pytest.raises(DecodeError) as info:
            fn(b"\x00\x80\x80\x80\x80\x10", 1)
        assert info.value.offset == 5


@pytest.mark.parametrize("value", [0, 1, -1, 63, 64, -64, -65, 8191, 8192, -8192, -8193,
                                   2**31 - 1, -2**31, 2**20, -2**20])
def test_s32_values(value):
    for min_len in (1, 3, 5):
        enc = encode_signed(value, min_len)
        if len(enc) > 5:
            continue
        assert read_s32(enc, 0) == (value, len(enc))
        assert read_sleb(enc, 0, 32) == (value, len(enc))


def test_s32_limits():
    assert read_s32(b"\xff\xff\xff\xff\x07", 0) == (2**31 - 1, 5)
    assert read_s32(b"\x80\x80\x80\x80\x78", 0) == (-2**31, 5)
    assert read_s32(b"\xff\xff\xff\xff\x7f", 0) == (-1, 5)
    for bad in (b"\xff\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x70", b"\xff\xff\xff\xff\x4f",
                b"\x80\x80\x80\x80\x08"):
        assert _msg(read_s32, bad) == "integer too large"
        assert _msg(read_sleb, bad, 32) == "integer too large"
    assert _msg(read_s32, b"\xff\xff\xff\xff\xff\x7f") == "integer representation too long"
    assert _msg(read_s32, b"\x80\x80\x80\x80\x80\x00") == "integer representation too long"
    assert _msg(read_s32, b"\xff") == "unexpected end of section or function"


def test_s33_and_s64_and_u64():
    assert read_s33(b"\xff\xff\xff\xff\x0f", 0) == (2**32 - 1, 5)
    assert read_s33(b"\x80\x80\x80\x80\x70", 0) == (-2**32, 5)
    assert _msg(read_s33, b"\x80\x80\x80\x80\x20") == "integer too large"
    assert _msg(read_s33, b"\x80\x80\x80\x80\x80\x00") == "integer representation too long"
    assert read_s64(encode_signed(-2**63), 0) == (-2**63, 10)
    assert read_s64(encode_signed(2**63 - 1), 0) == (2**63 - 1, 10)
    assert read_s64(b"\xff" * 9 + b"\x7f", 0) == (-1, 10)
    assert _msg(read_s64, b"\x80" * 9 + b"\x01") == "integer too large"
    assert _msg(read_s64, b"\xff" * 9 + b"\x7e") == "integer too large"
    assert _msg(read_s64, b"\x80" * 10 + b"\x00") == "integer representation too long"
    assert read_u64(b"\xff" * 9 + b"\x01", 0) == (2**64 - 1, 10)
    assert _msg(read_u64, b"\xff" * 9 + b"\x02") == "integer too large"
    assert _msg(read_u64, b"\x80" * 10 + b"\x00") == "integer representation too long"
    assert _msg(read_u64, b"\x80" * 9) == "unexpected end of section or function"


def test_leb_random_roundtrip():
    rnd = random.Random(7)
    for _ in range(3000):
        u = rnd.getrandbits(rnd.choice((7, 14, 21, 28, 32)))
        enc = encode_unsigned(u, rnd.randint(1, 5))
        assert read_u32(enc, 0) == (u, len(enc)) == read_uleb(enc, 0, 32)
        s = rnd.getrandbits(32) - 2**31
        enc = encode_signed(s, rnd.randint(1, 5))
        assert read_s32(enc, 0) == (s, len(enc)) == read_sleb(enc, 0, 32)
        s = rnd.getrandbits(64) - 2**63
        enc = encode_signed(s)
        assert read_s64(enc, 0) == (s, len(enc))


# -- a small module builder -----------------------------------------------------------

U = encode_unsigned
S = encode_signed
HEADER = b"\x00asm\x01\x00\x00\x00"


def vec(items) -> bytes:
    items = list(items)
    return U(len(items)) + b"".join(items)


def name(s: str) -> bytes:
    raw = s.encode()
    return U(len(raw)) + raw


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + U(len(payload)) + payload


def func_body(code: bytes, locals_: bytes = b"\x00") -> bytes:
    body = locals_ + code
    return U(len(body)) + body


def module(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


def one_func(code: bytes, locals_: bytes = b"\x00", *extra_before_code: bytes,
             after: bytes = b"") -> bytes:
    """A module with one `() -> ()` function whose body is `code` (ending with its end)."""
    return module(
        section(1, vec([b"\x60\x00\x00"])),
        section(3, vec([b"\x00"])),
        *extra_before_code,
        section(10, vec([func_body(code, locals_)])),
        after,
    )


def body_of(data: bytes) -> list:
    return [(i[0], i[1]) for i in decode(data).codes[0].body]


# -- hand-built modules ---------------------------------------------------------------


def test_empty_module():
    m = decode(HEADER)
    assert m.types == [] and m.codes == [] and m.start is None and m.data_count is None


def test_accepts_bytearray_and_memoryview():
    data = one_func(b"\x0b")
    assert len(decode(bytearray(data)).codes) == 1
    assert len(decode(memoryview(b"xx" + data)[2:]).codes) == 1


def test_header_errors():
    assert "unexpected end" in str(pytest.raises(DecodeError, decode, b"\x00as").value)
    assert "magic header not detected" in str(pytest.raises(DecodeError, decode, b"\x00asn\x01\x00\x00\x00").value)
    assert "unexpected end" in str(pytest.raises(DecodeError, decode, b"\x00asm\x01").value)
    assert "unknown binary version" in str(pytest.raises(DecodeError, decode, b"\x00asm\x02\x00\x00\x00").value)


def test_instruction_immediates():
    code = b"".join([
        b"\x41" + S(-1),                      # i32.const -1
        b"\x41" + S(8192),                    # i32.const 8192 (two bytes, fast path)
        b"\x41" + S(-8193),                   # i32.const (slow path)
        b"\x42" + S(-2),                      # i64.const -2
        b"\x43" + (0x7FC00001).to_bytes(4, "little"),                 # f32.const NaN bits
        b"\x44" + (0xFFF0000000000001).to_bytes(8, "little"),         # f64.const NaN bits
        b"\x02\x40", b"\x03\x7f", b"\x02\x00", b"\x02" + S(300), b"\x04\x7b",  # blocks
        b"\x0e" + vec([U(0), U(1), U(200)]) + U(2),                   # br_table
        b"\x05",                              # else of the `if`
        b"\x0b\x0b\x0b\x0b",                  # end x4
        b"\x0b",                              # end of the first block
        b"\x11" + U(3) + U(1),                # call_indirect type 3 table 1
        b"\x13" + U(0) + U(2),                # return_call_indirect
        b"\x12" + U(5),                       # return_call
        b"\x28" + U(2) + U(1000),             # i32.load align 2 offset 1000
        b"\x3f\x00", b"\x40\x00",             # memory.size, memory.grow
        b"\x1c" + vec([b"\x7e"]),             # select (result i64)
        b"\xd0\x6f", b"\xd0\x70", b"\xd2" + U(1),  # ref.null extern/func, ref.func
        b"\xfc" + U(8) + U(1) + b"\x00",       # memory.init 1
        b"\xfc" + U(9) + U(1),                # data.drop 1
        b"\xfc" + U(10) + b"\x00\x00",         # memory.copy
        b"\xfc" + U(11) + b"\x00",             # memory.fill
        b"\xfc" + U(12) + U(4) + U(2),         # table.init elem 4 table 2
        b"\xfc" + U(14) + U(1) + U(2),         # table.copy dst 1 src 2
        b"\xfc" + U(13) + U(3),                # elem.drop
        b"\xfc" + U(7),                       # i64.trunc_sat_f64_u
        b"\xfd" + U(12) + bytes(range(16)),    # v128.const
        b"\xfd" + U(13) + bytes(range(31, 15, -1)),  # i8x16.shuffle
        b"\xfd" + U(0x15) + b"\x0f",           # i8x16.extract_lane_s 15
        b"\xfd" + U(0x54) + U(0) + U(16) + b"\x03",  # v128.load8_lane
        b"\xfd" + U(0xff),                    # f64x2.convert_low_i32x4_u (two-byte sub)
        b"\xfe" + U(3) + b"\x00",              # atomic.fence
        b"\xfe" + U(0x10) + U(2) + U(4),       # i32.atomic.load
        b"\x0b",
    ])
    data = module(section(1, vec([b"\x60\x00\x00"])), section(3, vec([b"\x00"])),
                  section(12, U(2)), section(10, vec([func_body(code)])),
                  section(11, vec([b"\x01" + vec([]), b"\x01" + vec([b"x"])])))
    FC, FD, FE = 0xFC << 16, 0xFD << 16, 0xFE << 16
    assert body_of(data) == [
        (op.I32_CONST, 0xFFFFFFFF), (op.I32_CONST, 8192), (op.I32_CONST, 2**32 - 8193),
        (op.I64_CONST, 2**64 - 2), (op.F32_CONST, 0x7FC00001), (op.F64_CONST, 0xFFF0000000000001),
        (op.BLOCK, BLOCK_EMPTY), (op.LOOP, -1), (op.BLOCK, 0), (op.BLOCK, 300), (op.IF, 0x7B - 0x80),
        (op.BR_TABLE, ((0, 1, 200), 2)), (op.ELSE, None),
        (op.END, None), (op.END, None), (op.END, None), (op.END, None), (op.END, None),
        (op.CALL_INDIRECT, (3, 1)), (op.RETURN_CALL_INDIRECT, (0, 2)), (op.RETURN_CALL, 5),
        (0x28, (2, 1000)), (op.MEMORY_SIZE, 0), (op.MEMORY_GROW, 0), (op.SELECT_T, (I64,)),
        (op.REF_NULL, EXTERNREF), (op.REF_NULL, FUNCREF), (op.REF_FUNC, 1),
        (FC | 8, (1, 0)), (FC | 9, 1), (FC | 10, (0, 0)), (FC | 11, 0), (FC | 12, (4, 2)),
        (FC | 14, (1, 2)), (FC | 13, 3), (FC | 7, None),
        (op.V128_CONST, int.from_bytes(bytes(range(16)), "little")),
        (FD | 13, tuple(range(31, 15, -1))), (FD | 0x15, 15), (FD | 0x54, (0, 16, 3)),
        (FD | 0xFF, None), (FE | 3, 0), (FE | 0x10, (2, 4)), (op.END, None),
    ]
    assert blocktype_valtype(-1) == I32 and blocktype_valtype(0x7B - 0x80) == V128


def test_instruction_offsets_and_code_extent():
    code = b"\x41" + S(1000) + b"\x1a\x0b"
    data = one_func(code, vec([U(2) + b"\x7e"]))
    m = decode(data)
    c = m.codes[0]
    body_start = data.index(code)
    assert [i[2] for i in c.body] == [body_start, body_start + 3, body_start + 4]
    assert c.offset == body_start - 3 and c.size == 3 + len(code)
    assert data[c.offset + c.size:] == b""
    assert c.locals == [I64, I64]


def test_sections_and_segments():
    functype = b"\x60" + vec([b"\x7f", b"\x7d"]) + vec([b"\x7c"])
    imports = vec([
        name("env") + name("f") + b"\x00" + U(0),
        name("env") + name("t") + b"\x01\x6f\x01" + U(1) + U(10),
        name("env") + name("m") + b"\x02\x03" + U(1) + U(2),
        name("env") + name("g") + b"\x03\x7e\x01",
    ])
    i32c = lambda v: b"\x41" + S(v) + b"\x0b"  # noqa: E731
    elems = vec([
        b"\x00" + i32c(1) + vec([U(0), U(1)]),
        b"\x01\x00" + vec([U(1)]),
        b"\x02" + U(1) + i32c(2) + b"\x00" + vec([U(0)]),
        b"\x03\x00" + vec([U(0)]),
        b"\x04" + i32c(3) + vec([b"\xd2\x00\x0b", b"\xd0\x70\x0b"]),
        b"\x05\x6f" + vec([b"\xd0\x6f\x0b"]),
        b"\x06" + U(1) + i32c(4) + b"\x70" + vec([b"\xd2\x01\x0b"]),
        b"\x07\x70" + vec([b"\xd2\x00\x0b"]),
    ])
    datas = vec([b"\x00" + i32c(8) + vec([b"a", b"b"]), b"\x01" + vec([b"c"]),
                 b"\x02" + U(0) + i32c(16) + vec([])])
    names = bytes([0]) + U(len(name("mod"))) + name("mod")
    fn_names = vec([U(1) + name("first")])
    names += bytes([1]) + U(len(fn_names)) + fn_names
    loc_names = vec([U(1) + vec([U(0) + name("x"), U(2) + name("z")])])
    names += bytes([2]) + U(len(loc_names)) + loc_names
    data = module(
        section(0, name("first custom") + b"\x01\x02"),
        section(1, vec([functype])),
        section(2, imports),
        section(3, vec([U(0)])),
        section(4, vec([b"\x70\x00" + U(1), b"\x6f\x01" + U(0) + U(5)])),
        section(5, vec([b"\x00" + U(1)])),
        section(6, vec([b"\x7f\x01" + i32c(7), b"\x7b\x00\xfd\x0c" + bytes(16) + b"\x0b"])),
        section(7, vec([name("f") + b"\x00" + U(1), name("mem") + b"\x02" + U(0)])),
        section(8, U(1)),
        section(9, elems),
        section(12, U(3)),
        section(10, vec([func_body(b"\x20\x00\x0b")])),
        section(11, datas),
        section(0, name("name") + names),
    )
    m = decode(data)
    assert m.types == [FuncType((I32, F32), (F64,))]
    assert [(i.module, i.name, i.kind) for i in m.imports] == [
        ("env", "f", "func"), ("env", "t", "table"), ("env", "m", "memory"), ("env", "g", "global")]
    assert m.imports[0].type_index == 0 and m.imports[0].type is m.types[0]
    assert m.imports[1].type.elem == EXTERNREF and m.imports[1].type.limits == Limits(1, 10)
    assert m.imports[2].type.limits == Limits(1, 2, True)
    assert m.imports[3].type.type == I64 and m.imports[3].type.mutable
    assert all(i.offset > 8 for i in m.imports)
    assert m.funcs == [0]
    assert [t.limits for t in m.tables] == [Limits(1), Limits(0, 5)]
    assert m.memories[0].limits == Limits(1)
    assert m.globals[0].type.mutable and m.globals[0].init[0][:2] == (op.I32_CONST, 7)
    assert m.globals[1].type.type == V128 and m.globals[1].init[0][:2] == (op.V128_CONST, 0)
    assert [(e.name, e.kind, e.index) for e in m.exports] == [("f", "func", 1), ("mem", "memory", 0)]
    assert m.start == 1 and data[m.start_offset] == 1
    modes = [(e.mode, e.type, e.table) for e in m.elems]
    assert modes == [("active", FUNCREF, 0), ("passive", FUNCREF, 0), ("active", FUNCREF, 1),
                     ("declarative", FUNCREF, 0), ("active", FUNCREF, 0), ("passive", EXTERNREF, 0),
                     ("active", FUNCREF, 1), ("declarative", FUNCREF, 0)]
    strip = lambda expr: [i[:2] for i in expr]  # noqa: E731
    assert [strip(x) for x in m.elems[0].init] == [[(op.REF_FUNC, 0), (op.END, None)],
                                                  [(op.REF_FUNC, 1), (op.END, None)]]
    assert strip(m.elems[0].offset_expr) == [(op.I32_CONST, 1), (op.END, None)]
    assert m.elems[1].offset_expr is None and m.elems[3].offset_expr is None
    assert [strip(x) for x in m.elems[4].init] == [[(op.REF_FUNC, 0), (op.END, None)],
                                                  [(op.REF_NULL, FUNCREF), (op.END, None)]]
    assert strip(m.elems[6].offset_expr) == [(op.I32_CONST, 4), (op.END, None)]
    assert [(d.mode, d.data, d.memory) for d in m.datas] == [
        ("active", b"ab", 0), ("passive", b"c", 0), ("active", b"", 0)]
    assert strip(m.datas[2].offset_expr) == [(op.I32_CONST, 16), (op.END, None)]
    assert m.data_count == 3
    assert [(c.name, c.data) for c in m.customs][0] == ("first custom", b"\x01\x02")
    assert m.customs[1].name == "name"
    assert m.names.module == "mod"
    assert m.names.functions == {1: "first"}
    assert m.names.locals == {1: {0: "x", 2: "z"}}


def test_malformed_name_section_is_ignored():
    bad_utf8 = bytes([1]) + U(4) + vec([U(0) + b"\x01\xff"])
    for payload in (b"\x01", b"\x00\x10abc", bad_utf8, b"\x02\x05\x01\x00\x01",
                    bytes([0]) + U(2) + name("x") + bytes([0]) + U(2) + name("y")):
        m = decode(module(section(0, name("name") + payload)))
        assert m.customs[0].name == "name"
    m = decode(module(section(0, name("name") + bytes([0]) + U(2) + name("m") + bad_utf8)))
    assert m.names.module == "m" and m.names.functions == {}


@pytest.mark.parametrize("data,phrase", [
    (module(section(0, b"\x02\xc3\x28")), "malformed UTF-8 encoding"),
    (module(section(0, name("x")[:1])), "unexpected end"),
    (module(b"\x0d\x00"), "malformed section id"),
    (module(section(3, vec([])), section(1, vec([]))), "unexpected content after last section"),
    (module(section(10, vec([])), section(12, U(0))), "unexpected content after last section"),
    (module(section(1, vec([]) + b"\x00")), "section size mismatch"),
    (module(section(1, vec([b"\x61\x00\x00"]))), "malformed function type"),
    (module(section(1, vec([b"\x60\x01\x40\x00"]))), "malformed reference type"),
    (module(section(2, vec([name("a") + name("b") + b"\x04"]))), "malformed import kind"),
    (module(section(4, vec([b"\x70\x03\x00\x00"]))), "integer too large"),
    (module(section(4, vec([b"\x7f\x00\x00"]))), "malformed reference type"),
    (module(section(5, vec([b"\x02\x00"]))), "integer too large"),
    (module(section(5, vec([b"\x04\x00"]))), "integer too large"),
    (module(section(5, vec([b"\x81\x00"]))), "integer representation too long"),
    (module(section(6, vec([b"\x7f\x02\x41\x00\x0b"]))), "malformed mutability"),
    (module(section(7, vec([name("e") + b"\x04\x00"]))), "malformed export kind"),
    (module(section(9, vec([b"\x08"]))), "malformed elements segment kind"),
    (module(section(9, vec([b"\x01\x01\x00"]))), "malformed element kind"),
    (module(section(11, vec([b"\x03"]))), "malformed data segment kind"),
    (module(section(12, U(1))), "data count and data section have inconsistent lengths"),
    (module(section(1, U(2**32 - 1))), "length out of bounds"),
    (module(section(1, b"\xff\xff\xff\xff\x0f")), "length out of bounds"),
    (module(b"\x01\xff\xff\xff\xff\x0f"), "length out of bounds"),
    (one_func(b"\x0e" + U(100000) + b"\x0b"), "length out of bounds"),
    (one_func(b"\x1c" + b"\xff\xff\xff\xff\x0f" + b"\x0b"), "length out of bounds"),
    (one_func(b"\x0b", vec([U(2**32 - 1) + b"\x7f"] * 2)), "too many locals"),
    (one_func(b"\x0b", vec([U(MAX_LOCALS) + b"\x7f", U(1) + b"\x7e"])), "too many locals"),
    (one_func(b"\x0b", vec([U(1) + b"\x7a"])), "malformed vector type"),
    (one_func(b"\x0b", U(2**31)), "length out of bounds"),
    (one_func(b"\x06\x0b"), "illegal opcode"),
    (one_func(b"\xfc" + U(18) + b"\x0b"), "illegal opcode"),
    (one_func(b"\xfd" + U(0x9a) + b"\x0b"), "illegal opcode"),
    (one_func(b"\xfe" + U(0x4f) + b"\x0b"), "illegal opcode"),
    (one_func(b"\xff\x0b"), "illegal opcode"),
    (one_func(b"\x05\x0b"), "END opcode expected"),
    (one_func(b"\x02\x40\x05\x0b\x0b"), "END opcode expected"),
    (one_func(b"\x04\x40\x05\x05\x0b\x0b"), "END opcode expected"),
    (one_func(b"\x02\x41\x0b\x0b"), "malformed reference type"),
    (one_func(b"\xd0\x7f\x0b"), "malformed reference type"),
    (one_func(b"\x3f\x01\x0b"), "zero byte expected"),
    (one_func(b"\xfc\x0a\x00\x01\x0b"), "zero byte expected"),
    (one_func(b"\xfc\x0b\x80\x00\x0b"), "zero byte expected"),
    (one_func(b"\xfe\x03\x01\x0b"), "zero byte expected"),
    (one_func(b"\x41\x80\x80\x80\x80\x80\x00\x0b"), "integer representation too long"),
    (one_func(b"\x42" + b"\x80" * 9 + b"\x02\x0b"), "integer too large"),
    (one_func(b"\x28\x80\x80\x80\x80\x10\x00\x0b"), "integer too large"),
    (one_func(b"\x0b\x01"), "section size mismatch"),
    (one_func(b"\x01", after=b"\x0b"), "section size mismatch"),  # body ends past its size
    (one_func(b"\x43\x00\x00"), "unexpected end"),
    (one_func(b"\x44\x00\x00"), "unexpected end"),
    (one_func(b"\xfd\x0c\x00"), "unexpected end"),
    (one_func(b"\xfd\x0d\x00"), "unexpected end"),
    (one_func(b"\x02\x40"), "unexpected end"),
    (module(section(1, vec([b"\x60\x00\x00"])), section(3, vec([b"\x00", b"\x00"])),
            section(10, vec([func_body(b"\x0b")]))),
     "function and code section have inconsistent lengths"),
    (one_func(b"\xfc\x09\x00\x0b", after=section(11, vec([b"\x01\x00"]))),
     "data count section required"),
])
def test_malformed(data, phrase):
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert phrase in str(info.value)
    assert info.value.offset is not None and 0 <= info.value.offset <= len(data)


def test_limits_and_locals_at_the_edge():
    m = decode(module(section(5, vec([b"\x03" + U(1) + U(2), b"\x01" + U(0) + U(2**32 - 1)]))))
    assert [mt.limits for mt in m.memories] == [Limits(1, 2, True), Limits(0, 2**32 - 1)]
    m = decode(one_func(b"\x0b", vec([U(MAX_LOCALS - 1) + b"\x7f", U(1) + b"\x70"])))
    assert len(m.codes[0].locals) == MAX_LOCALS and m.codes[0].locals[-1] == FUNCREF


def test_data_index_without_data_section_is_for_the_validator():
    # wast2json writes no data count section for a module without data segments; the
    # suite's assert_invalid modules of that shape must reach the validator.
    m = decode(one_func(b"\xfc\x09\x00\x0b"))
    assert m.data_count is None and m.datas == []


def test_multibyte_negative_blocktype_is_an_unknown_type_index():
    assert body_of(one_func(b"\x02\xff\x7f\x0b\x0b"))[0] == (op.BLOCK, 2**32 - 1)


# -- hostile inputs -------------------------------------------------------------------


def _sample_module() -> bytes:
    i32c = b"\x41\x01\x0b"
    return module(
        section(1, vec([b"\x60\x01\x7f\x01\x7e", b"\x60\x00\x00"])),
        section(2, vec([name("m") + name("f") + b"\x00\x01", name("m") + name("g") + b"\x03\x7f\x00"])),
        section(3, vec([U(0), U(1)])),
        section(4, vec([b"\x70\x01\x01\x02"])),
        section(5, vec([b"\x01\x01\x02"])),
        section(6, vec([b"\x7e\x01\x42\x05\x0b"])),
        section(7, vec([name("run") + b"\x00\x01"])),
        section(8, U(2)),
        section(9, vec([b"\x00" + i32c + vec([U(1)]), b"\x05\x70" + vec([b"\xd2\x02\x0b"])])),
        section(12, U(1)),
        section(10, vec([
            func_body(b"\x20\x00\xad\x02\x7e\x42\x01\x0b\x7c\x0b", vec([U(2) + b"\x7f"])),
            func_body(b"\x41\x00\x28\x02\x04\x1a\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00"
                      b"\xfd\x0c" + bytes(16) + b"\x1a\x0b"),
        ])),
        _SAMPLE_DATA_SECTION,
        _SAMPLE_NAME_SECTION,
    )


_SAMPLE_DATA_SECTION = section(11, vec([b"\x00\x41\x01\x0b" + vec([b"h", b"i"])]))
_SAMPLE_NAME_SECTION = section(0, name("name") + b"\x01\x06\x01\x01\x03run")


def test_sample_module_decodes():
    m = decode(_sample_module())
    assert len(m.codes) == 2 and m.names.functions == {1: "run"}


def _section_boundaries(data: bytes) -> set[int]:
    pos, out = 8, {8}
    while pos < len(data):
        size, start = read_u32(data, pos + 1)
        pos = start + size
        out.add(pos)
    return out


def test_truncation_at_every_byte():
    data = _sample_module()
    boundaries = _section_boundaries(data)
    decoded = []
    for cut in range(len(data)):
        try:
            decode(data[:cut])
            decoded.append(cut)
        except DecodeError:
            pass
    # Only a cut between two sections can leave a well-formed module (and not after the
    # code section: the data count then promises a data section that is missing).
    assert decoded and set(decoded) <= boundaries
    assert len(data) - len(_SAMPLE_DATA_SECTION) - len(_SAMPLE_NAME_SECTION) not in decoded


def _decode_never_crashes(data: bytes) -> None:
    try:
        decode(data)
    except DecodeError as e:
        assert isinstance(e.reason, str) and e.offset is not None


def test_every_byte_replaced():
    data = _sample_module()
    for i in range(8, len(data)):
        for b in (0x00, 0x01, 0x0B, 0x40, 0x7F, 0x80, 0xFF):
            _decode_never_crashes(data[:i] + bytes([b]) + data[i + 1:])


def test_huge_counts_everywhere():
    data = _sample_module()
    huge = (b"\xff\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x08", b"\xff\xff\xff\xff\x07")
    for i in range(8, len(data)):
        for h in huge:
            _decode_never_crashes(data[:i] + h + data[i + 1:])
            _decode_never_crashes(data[:i] + h + data[i:])


def test_random_mutations_of_suite_modules():
    rnd = random.Random(20240611)
    corpus = []
    for suite in ("v2", "threads", "tail-call"):
        d = spectest_dir() / suite
        corpus += [p.read_bytes() for p in sorted(d.glob("*.wasm"))[::7]]
    corpus = [c for c in corpus if len(c) < 4000] + [_sample_module()]
    for _ in range(15000):
        d = bytearray(rnd.choice(corpus))
        for _ in range(rnd.randint(1, 4)):
            r = rnd.random()
            if r < 0.45 and d:
                d[rnd.randrange(len(d))] = rnd.randrange(256)
            elif r < 0.6 and d:
                d[rnd.randrange(len(d))] = rnd.choice((0x00, 0x05, 0x0B, 0x40, 0x7F, 0x80, 0xFF, 0xFC, 0xFD))
            elif r < 0.75 and d:
                i = rnd.randrange(len(d))
                del d[i:i + rnd.randint(1, 8)]
            elif r < 0.9:
                i = rnd.randrange(len(d) + 1)
                d[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 6)))
            else:
                i = rnd.randrange(len(d) + 1)
                d[i:i] = b"\xff\xff\xff\xff\x0f"
        _decode_never_crashes(bytes(d))


def test_deep_nesting_needs_no_recursion():
    depth = 200_000
    m = decode(one_func(b"\x02\x40" * depth + b"\x0b" * (depth + 1)))
    assert len(m.codes[0].body) == 2 * depth + 1

"""Tests of the validator (`transpyle.wasm.validator`).

1. The official suites: every binary `assert_invalid` module of v1, v2, tail-call and
   threads must raise ValidationError whose message contains the expected phrase, and
   every `module` command's module must validate. Wasm 2.0 rules apply; the few v1
   expectations that 2.0 reversed are listed in V1_REVERSED and must validate instead.
2. Focused unit tests on hand-built modules: the polymorphic stack, br_table arities,
   block types by type index, the ModuleInfo contents, module-level rules, and the
   rules of the proposals (tail calls, threads, SIMD lanes, reference types).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transpyle.errors import DecodeError, ValidationError
from transpyle.wasm.module import (
    BLOCK_EMPTY,
    Code,
    DataSegment,
    ElemSegment,
    Export,
    Global,
    Import,
    Module,
)
from transpyle.wasm.opcodes import BY_NAME
from transpyle.wasm.types import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    V128,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)
from transpyle.wasm.validator import FuncInfo, ModuleInfo, validate

try:
    from transpyle.wasm.decoder import decode
except ImportError:  # pragma: no cover - the decoder is developed alongside
    decode = None

TESTS_DIR = Path(__file__).resolve().parent
SUITES = ("v1", "v2", "tail-call", "threads")


def suite_dir(suite: str) -> Path:
    """The suite's directory in the checkout (tests/spectest/<suite>): bundled data, so a
    missing suite fails `test_suites_are_present` instead of skipping anything."""
    return TESTS_DIR / "spectest" / suite


# ---------------------------------------------------------------------------------
# 1. The official suites

# v1 expectations that Wasm 2.0 reversed: these modules are valid under 2.0.
# Key: (json file, line of the command) as in wast2json's output.
V1_REVERSED = {
    ("func.json", 493): "multi-value: a function type may have several results",
    ("func.json", 497): "multi-value: a function type may have several results",
    ("type.json", 53): "multi-value: a function type may have several results",
    ("type.json", 57): "multi-value: a function type may have several results",
    ("imports.json", 310): "reference types: a module may have several tables",
    ("imports.json", 314): "reference types: a module may have several tables",
    ("imports.json", 318): "reference types: a module may have several tables",
    ("unreached-invalid.json", 539): "br_table after unreachable: labels of equal arity but "
    "different types are allowed (2.0 appendix algorithm)",
}

# Binaries that cannot carry the expected phrase. wast2json encodes
# `(select (result) ...)` (a typed select of zero types, "invalid result arity") as the
# plain 0x1B select, so the binary is byte-for-byte the code of select.1.wasm
# (`(select (nop) (nop) (i32.const 1))`, "type mismatch"); only the name section
# differs. The validator must (and does) reject it, with "type mismatch".
INDISTINGUISHABLE = {
    ("v2", "select.json", 324): "type mismatch",
}


def _suite_files():
    for suite in SUITES:
        for path in sorted(suite_dir(suite).glob("*.json")):
            yield pytest.param(suite, path, id=f"{suite}/{path.stem}")


@pytest.mark.skipif(decode is None, reason="the decoder is not there yet")
@pytest.mark.parametrize("suite,path", list(_suite_files()))
def test_spec_suite(suite: str, path: Path) -> None:
    commands = json.loads(path.read_text())["commands"]
    failures = []
    checked = 0
    for cmd in commands:
        kind = cmd["type"]
        if kind == "module":
            expected = None
        elif kind == "assert_invalid" and cmd.get("module_type") == "binary":
            expected = cmd["text"]
        else:
            continue
        key = (path.name, cmd["line"])
        if suite == "v1" and key in V1_REVERSED:
            expected = None  # valid under 2.0
        if (suite, path.name, cmd["line"]) in INDISTINGUISHABLE:
            expected = INDISTINGUISHABLE[(suite, path.name, cmd["line"])]
        data = (path.parent / cmd["filename"]).read_bytes()
        checked += 1
        try:
            module = decode(data)
        except DecodeError as e:
            failures.append(f"line {cmd['line']} {cmd['filename']}: decode failed: {e}")
            continue
        try:
            info = validate(module)
        except ValidationError as e:
            if expected is None:
                failures.append(f"line {cmd['line']} {cmd['filename']}: valid module rejected: {e}")
            elif expected not in str(e):
                failures.append(f"line {cmd['line']} {cmd['filename']}: expected {expected!r}, got: {e}")
            continue
        if expected is not None:
            failures.append(f"line {cmd['line']} {cmd['filename']}: expected {expected!r}, but it validated")
        else:
            assert isinstance(info, ModuleInfo)
            assert len(info.funcs) == len(module.codes)
            assert all(ex.type is not None for ex in module.exports)
    assert not failures, "\n".join(failures)


def test_suites_are_present() -> None:
    counts = {suite: len(list(suite_dir(suite).glob("*.json"))) for suite in SUITES}
    assert all(counts.values()), f"spec suites missing from tests/spectest: {counts}"


def test_v1_reversals_are_listed_commands() -> None:
    """Every V1_REVERSED key names a binary assert_invalid command of the v1 suite."""
    base = suite_dir("v1")
    for (name, line), _reason in V1_REVERSED.items():
        cmds = json.loads((base / name).read_text())["commands"]
        assert any(c["line"] == line and c["type"] == "assert_invalid" for c in cmds), (name, line)


# ---------------------------------------------------------------------------------
# 2. Hand-built modules


def ins(name: str, imm=None) -> tuple:
    return (BY_NAME[name].code, imm, 0)


def with_offsets(body: list, start: int = 100) -> list:
    return [(op, imm, start + n) for n, (op, imm, _) in enumerate(body)]


def func_module(body: list, params=(), results=(), locals=(), *, end=True, types=(), **fields) -> Module:
    """A module with one function of type params -> results (type 0) and `body`."""
    body = list(body) + ([ins("end")] if end else [])
    fields.setdefault("exports", [])
    return Module(types=[FuncType(params, results), *types], funcs=[0],
                  codes=[Code(list(locals), with_offsets(body))], **fields)


def check(body, params=(), results=(), **kw) -> FuncInfo:
    return validate(func_module(body, params, results, **kw)).funcs[0]


def invalid(phrase: str, body, params=(), results=(), **kw) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        validate(func_module(body, params, results, **kw))
    assert phrase in str(exc.value), str(exc.value)
    return exc.value


def invalid_module(phrase: str, module: Module) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        validate(module)
    assert phrase in str(exc.value), str(exc.value)
    return exc.value


MEM = [MemoryType(Limits(1, None))]
SHARED_MEM = [MemoryType(Limits(1, 2, shared=True))]


# -- ModuleInfo contents ---------------------------------------------------------


def test_info_heights_ends_elses_block_types() -> None:
    body = [
        ins("block", -1),  # 0  [] -> [i32]
        ins("local.get", 0),  # 1
        ins("if", -1),  # 2
        ins("i32.const", 1),  # 3
        ins("else"),  # 4
        ins("i32.const", 2),  # 5
        ins("end"),  # 6
        ins("end"),  # 7
        ins("local.get", 0),  # 8
        ins("i32.add"),  # 9
    ]  # 10: end
    f = check(body, (I32,), (I32,), locals=[I64, F32])
    ft_i32 = FuncType((), (I32,))
    assert f.index == 0
    assert f.type is FuncType((I32,), (I32,))
    assert f.local_types == [I32, I64, F32]
    assert f.heights == [0, 0, 1, 0, 1, 0, 1, 1, 1, 2, 1]
    assert f.max_height == 2
    assert f.ends == {0: 7, 2: 6}
    assert f.elses == {2: 4}
    assert f.block_types == {0: ft_i32, 2: ft_i32}
    assert f.select_types == {}


def test_info_module_level() -> None:
    ft0, ft1 = FuncType((I32,), ()), FuncType((), (I64,))
    m = Module(
        types=[ft0, ft1],
        imports=[Import("env", "f", "func", ft1, 1), Import("env", "g", "global", GlobalType(I32, False), None),
                 Import("env", "t", "table", TableType(FUNCREF, Limits(1, None)), None)],
        funcs=[0, 1],
        memories=list(MEM),
        globals=[Global(GlobalType(FUNCREF, False), [ins("ref.func", 2), ins("end")])],
        elems=[ElemSegment("declarative", FUNCREF, [[ins("ref.func", 1), ins("end")]])],
        exports=[Export("f", "func", 0), Export("t", "table", 0), Export("m", "memory", 0),
                 Export("g", "global", 1), Export("h", "global", 0)],
        codes=[Code([], with_offsets([ins("end")])), Code([], with_offsets([ins("i64.const", 0), ins("end")]))],
    )
    info = validate(m)
    assert info.func_types == [ft1, ft0, ft1]
    assert [f.index for f in info.funcs] == [1, 2]
    assert info.declared_refs == {0, 1, 2}
    assert [ex.type for ex in m.exports] == [
        ft1, TableType(FUNCREF, Limits(1, None)), MEM[0], GlobalType(FUNCREF, False), GlobalType(I32, False)]


def test_block_types_by_type_index() -> None:
    pair = FuncType((I32, I32), (I32,))
    body = [
        ins("i32.const", 1), ins("i32.const", 2),
        ins("block", 1), ins("i32.add"), ins("end"),  # [i32 i32] -> [i32]
        # [i32] -> []: the loop label takes the params, so br_if 0 needs an i32 under its condition
        ins("loop", 2), ins("i32.const", 0), ins("br_if", 0), ins("drop"), ins("end"),
    ]
    f = check(body, types=[pair, FuncType((I32,), ())])
    assert f.block_types == {2: pair, 5: FuncType((I32,), ())}
    assert f.heights == [0, 1, 2, 2, 1, 1, 1, 2, 1, 0, 0]
    assert f.ends == {2: 4, 5: 9}
    invalid("type mismatch", [ins("i32.const", 0), ins("loop", 2), ins("br_if", 0), ins("end")],
            types=[pair, FuncType((I32,), ())])
    # the loop label carries the parameters: br 0 with no operand is a type mismatch
    invalid("type mismatch", [ins("i32.const", 1), ins("loop", 1), ins("drop"), ins("br", 0), ins("end")],
            types=[FuncType((I32,), ())])
    invalid("unknown type 7", [ins("block", 7), ins("end")])


def test_block_params_must_be_on_the_stack() -> None:
    types = [FuncType((I64,), (I64,))]
    invalid("type mismatch", [ins("i32.const", 0), ins("block", 1), ins("end"), ins("drop")], types=types)
    # params stay below the block's base: the block cannot pop the outer values
    invalid("type mismatch", [ins("i64.const", 0), ins("i64.const", 0), ins("block", 1), ins("i64.add"),
                              ins("end"), ins("drop")], types=types)


def test_if_without_else_needs_matching_types() -> None:
    check([ins("i32.const", 1), ins("if", BLOCK_EMPTY), ins("end")])
    invalid("type mismatch", [ins("i32.const", 1), ins("if", -1), ins("i32.const", 1), ins("end"), ins("drop")])
    f = check([ins("i64.const", 5), ins("i32.const", 1), ins("if", 1), ins("end"), ins("drop")],
              types=[FuncType((I64,), (I64,))])
    assert f.elses == {} and f.ends == {2: 3}


# -- the polymorphic stack -------------------------------------------------------


def test_unreachable_makes_the_stack_polymorphic() -> None:
    f = check([ins("unreachable"), ins("i32.add"), ins("drop")], results=())
    assert f.heights == [0, 0, 1, 0]
    check([ins("unreachable"), ins("i32.add")], results=(I32,))
    check([ins("unreachable")], results=(I32, F64))
    check([ins("f32.const", 0), ins("br", 0), ins("f32.neg")], results=(F32,))
    invalid("type mismatch", [ins("br", 0)], results=(F32,))
    check([ins("i64.const", 0), ins("return"), ins("i64.const", 0), ins("i64.add")], results=(I64,))
    # values pushed after unreachable are typed
    invalid("type mismatch", [ins("unreachable"), ins("i64.const", 0), ins("i32.add"), ins("drop")])
    invalid("type mismatch", [ins("unreachable"), ins("i64.const", 0)], results=(I32,))
    # too many values at the end, even in unreachable code
    invalid("type mismatch", [ins("unreachable"), ins("i32.const", 0), ins("i32.const", 0)], results=(I32,))
    # unreachable only affects its own block
    invalid("type mismatch", [ins("block", BLOCK_EMPTY), ins("unreachable"), ins("end"), ins("i32.add"),
                              ins("drop")])


def test_else_resets_unreachable() -> None:
    check([ins("i32.const", 0), ins("if", -1), ins("unreachable"), ins("else"), ins("i32.const", 1), ins("end")],
          results=(I32,))
    invalid("type mismatch", [ins("i32.const", 0), ins("if", -1), ins("unreachable"), ins("else"), ins("end")],
            results=(I32,))


def test_select_types() -> None:
    f = check([
        ins("unreachable"), ins("select"), ins("drop"),  # 1: both bottom -> None
        ins("i64.const", 0), ins("i32.const", 0), ins("select"), ins("drop"),  # 5: i64 and bottom
    ])
    assert f.select_types == {1: None, 5: I64}
    assert f.heights == [0, 0, 1, 0, 1, 2, 1, 0]
    f = check([ins("f64.const", 0), ins("f64.const", 0), ins("i32.const", 0), ins("select")], results=(F64,))
    assert f.select_types == {3: F64}
    invalid("type mismatch", [ins("i32.const", 0), ins("i64.const", 0), ins("i32.const", 0), ins("select"),
                              ins("drop")])
    invalid("type mismatch", [ins("ref.null", FUNCREF), ins("ref.null", FUNCREF), ins("i32.const", 0),
                              ins("select"), ins("drop")])
    invalid("type mismatch", [ins("unreachable"), ins("ref.null", EXTERNREF), ins("select"), ins("drop")])
    check([ins("ref.null", FUNCREF), ins("ref.null", FUNCREF), ins("i32.const", 0), ins("select_t", (FUNCREF,)),
           ins("drop")])
    invalid("invalid result arity", [ins("unreachable"), ins("select_t", ()), ins("drop")])
    invalid("invalid result arity", [ins("unreachable"), ins("select_t", (I32, I32)), ins("drop")])


# -- branches ------------------------------------------------------------------


def test_br_table_arities() -> None:
    # block [] -> [i32] and block [] -> []: different arities
    body = [ins("block", BLOCK_EMPTY), ins("block", -1), ins("i32.const", 0), ins("i32.const", 0),
            ins("br_table", ((0,), 1)), ins("end"), ins("drop"), ins("end")]
    invalid("type mismatch", body)
    invalid("type mismatch", [ins("block", BLOCK_EMPTY), ins("block", -1), ins("unreachable"),
                              ins("br_table", ((0,), 1)), ins("end"), ins("drop"), ins("end")])
    # same arity, same types
    check([ins("block", -1), ins("i32.const", 7), ins("i32.const", 0), ins("br_table", ((0, 0), 0)), ins("end")],
          results=(I32,))
    # Wasm 2.0: same arity, different types, operand bottom -> valid
    check([ins("block", -4), ins("block", -3), ins("unreachable"), ins("br_table", ((0,), 1)), ins("end"),
           ins("drop"), ins("f64.const", 0), ins("end"), ins("drop")])
    # ... but a concrete operand must match every label
    invalid("type mismatch", [ins("block", -4), ins("block", -3), ins("unreachable"), ins("f32.const", 0),
                              ins("br_table", ((0,), 1)), ins("end"), ins("drop"), ins("f64.const", 0),
                              ins("end"), ins("drop")])
    invalid("unknown label 5", [ins("i32.const", 0), ins("br_table", ((5,), 0))])
    invalid("unknown label 1", [ins("i32.const", 0), ins("br_table", ((), 1))])


def test_br_if_and_labels() -> None:
    f = check([ins("block", -1), ins("i32.const", 1), ins("i32.const", 0), ins("br_if", 0), ins("end")],
              results=(I32,))
    assert f.heights == [0, 0, 1, 2, 1, 1]
    invalid("unknown label", [ins("br", 1)])
    invalid("unknown label", [ins("i32.const", 0), ins("br_if", 3)])
    # br_if in unreachable code pushes the label's types
    invalid("type mismatch", [ins("block", -1), ins("unreachable"), ins("br_if", 0), ins("f32.neg"), ins("drop"),
                              ins("i32.const", 0), ins("end"), ins("drop")])


def test_function_end_checks_results() -> None:
    invalid("type mismatch", [], results=(I32,))
    invalid("type mismatch", [ins("i64.const", 0)], results=(I32,))
    invalid("type mismatch", [ins("i32.const", 0)], results=())
    check([ins("i32.const", 0), ins("i64.const", 0)], results=(I32, I64))
    invalid("type mismatch", [ins("i32.const", 0), ins("return")], results=(I32, I64))


def test_error_location() -> None:
    err = invalid("type mismatch", [ins("nop"), ins("i64.const", 0), ins("i32.eqz"), ins("drop")])
    assert err.func_index == 0
    assert err.offset == 102  # the i32.eqz (offsets start at 100)
    m = func_module([ins("local.get", 3), ins("drop")])
    m.imports = [Import("a", "b", "func", FuncType(), 0)]
    err = invalid_module("unknown local 3", m)
    assert err.func_index == 1  # imports come first in the index space


# -- variables, calls ------------------------------------------------------------


def test_locals_and_globals() -> None:
    check([ins("local.get", 1), ins("local.tee", 0), ins("local.set", 1)], params=(I32,), locals=[I32])
    invalid("unknown local 2", [ins("local.get", 2), ins("drop")], params=(I32,), locals=[I32])
    invalid("type mismatch", [ins("local.get", 0), ins("local.set", 1)], params=(I32,), locals=[I64])
    globals = [Global(GlobalType(I32, False), [ins("i32.const", 0), ins("end")]),
               Global(GlobalType(F32, True), [ins("f32.const", 0), ins("end")])]
    check([ins("global.get", 0), ins("drop"), ins("f32.const", 0), ins("global.set", 1)], globals=globals)
    invalid("global is immutable", [ins("i32.const", 0), ins("global.set", 0)], globals=globals)
    invalid("unknown global 2", [ins("global.get", 2), ins("drop")], globals=globals)


def test_calls() -> None:
    check([ins("i32.const", 1), ins("call", 0)], params=(I32,), results=())
    invalid("type mismatch", [ins("i64.const", 1), ins("call", 0)], params=(I32,))
    invalid("unknown function 3", [ins("call", 3)])
    tables = [TableType(FUNCREF, Limits(1, None)), TableType(EXTERNREF, Limits(1, None))]
    check([ins("i32.const", 0), ins("call_indirect", (0, 0))], tables=tables)
    invalid("type mismatch", [ins("i32.const", 0), ins("call_indirect", (0, 1))], tables=tables)
    invalid("unknown table 2", [ins("i32.const", 0), ins("call_indirect", (0, 2))], tables=tables)
    invalid("unknown type 4", [ins("i32.const", 0), ins("call_indirect", (4, 0))], tables=tables)


def test_tail_calls() -> None:
    f = check([ins("i64.const", 1), ins("return_call", 1), ins("i32.add")], results=(I32,),
              types=[FuncType((I64,), (I32,))],
              imports=[Import("m", "f", "func", FuncType((I64,), (I32,)), 1)])
    assert f.heights == [0, 1, 0, 1]
    # callee results must equal the caller's exactly
    invalid("type mismatch", [ins("return_call", 0)], results=(I32,), types=[FuncType((), (I64,))],
            imports=[Import("m", "f", "func", FuncType((), (I64,)), 1)])
    invalid("unknown function 2", [ins("return_call", 2)])
    invalid("type mismatch", [ins("i32.const", 0), ins("return_call_indirect", (1, 0))],
            types=[FuncType((), (I32,))], tables=[TableType(FUNCREF, Limits(0, None))])
    check([ins("i32.const", 0), ins("return_call_indirect", (0, 0))], tables=[TableType(FUNCREF, Limits(0, None))])


# -- memory, SIMD, atomics -----------------------------------------------------------


def test_memory_ops() -> None:
    check([ins("i32.const", 0), ins("i64.load32_u", (2, 0)), ins("drop")], memories=MEM)
    invalid("alignment must not be larger than natural", [ins("i32.const", 0), ins("i64.load32_u", (3, 0)),
                                                          ins("drop")], memories=MEM)
    invalid("unknown memory", [ins("i32.const", 0), ins("i32.load", (2, 0)), ins("drop")])
    invalid("unknown memory 0", [ins("memory.size", 0), ins("drop")])
    invalid("type mismatch", [ins("i64.const", 0), ins("i32.const", 0), ins("i32.store", (2, 0))], memories=MEM)
    check([ins("i32.const", 0), ins("i32.const", 0), ins("i32.const", 0), ins("memory.fill", 0)], memories=MEM)


def test_simd_lanes() -> None:
    v = [ins("v128.const", 0)]
    check(v + [ins("i8x16.extract_lane_s", 15), ins("drop")])
    invalid("invalid lane index", v + [ins("i8x16.extract_lane_s", 16), ins("drop")])
    invalid("invalid lane index", v + [ins("f64.const", 0), ins("f64x2.replace_lane", 2), ins("drop")])
    check(v + v + [ins("i8x16.shuffle", tuple(range(16, 32))), ins("drop")])
    invalid("invalid lane index", v + v + [ins("i8x16.shuffle", (32,) + (0,) * 15), ins("drop")])
    a = [ins("i32.const", 0)] + v
    check(a + [ins("v128.load64_lane", (3, 0, 1)), ins("drop")], memories=MEM)
    invalid("invalid lane index", a + [ins("v128.load64_lane", (3, 0, 2)), ins("drop")], memories=MEM)
    invalid("alignment must not be larger than natural", a + [ins("v128.store8_lane", (1, 0, 0))], memories=MEM)
    invalid("unknown memory", a + [ins("v128.store8_lane", (0, 0, 0))])
    check([ins("i32.const", 0), ins("v128.load", (4, 0)), ins("i32.const", 1), ins("i8x16.shl"),
           ins("v128.any_true")], results=(I32,), memories=MEM)
    invalid("type mismatch", v + [ins("i64.const", 1), ins("i8x16.shl"), ins("drop")])
    check(v + v + v + [ins("v128.bitselect"), ins("drop")])


def test_atomics() -> None:
    body = [ins("i32.const", 0), ins("i64.const", 0), ins("i64.atomic.rmw32.add_u", (2, 0)), ins("drop")]
    check(body, memories=SHARED_MEM)
    check(body, memories=MEM)  # unshared memory is fine for validation
    invalid("unknown memory", body)
    invalid("atomic alignment must be natural",
            [ins("i32.const", 0), ins("i32.atomic.load", (1, 0)), ins("drop")], memories=SHARED_MEM)
    invalid("atomic alignment must be natural",
            [ins("i32.const", 0), ins("i32.atomic.load", (3, 0)), ins("drop")], memories=SHARED_MEM)
    check([ins("i32.const", 0), ins("i32.const", 0), ins("i64.const", -1 & (2**64 - 1)),
           ins("memory.atomic.wait32", (2, 0)), ins("drop")], memories=SHARED_MEM)
    check([ins("atomic.fence", 0)])  # needs no memory
    invalid_module("shared memory must have maximum",
                   Module(memories=[MemoryType(Limits(1, None, shared=True))]))
    invalid_module("shared memory must have maximum",
                   Module(imports=[Import("a", "m", "memory", MemoryType(Limits(1, None, shared=True)))]))


# -- references, tables, bulk memory -----------------------------------------------------


def test_ref_func_must_be_declared() -> None:
    invalid("undeclared function reference", [ins("ref.func", 0), ins("drop")])
    invalid("unknown function 1", [ins("ref.func", 1), ins("drop")])
    check([ins("ref.func", 0), ins("drop")], exports=[Export("f", "func", 0)])
    check([ins("ref.func", 0), ins("drop")],
          elems=[ElemSegment("declarative", FUNCREF, [[ins("ref.func", 0), ins("end")]])])
    check([ins("ref.func", 0), ins("drop")],
          globals=[Global(GlobalType(FUNCREF, False), [ins("ref.func", 0), ins("end")])])
    # a reference inside a function body does not declare it
    m = func_module([ins("ref.func", 0), ins("drop")])
    m.funcs.append(0)
    m.codes.append(Code([], with_offsets([ins("ref.func", 0), ins("drop"), ins("end")])))
    invalid_module("undeclared function reference", m)


def test_ref_ops() -> None:
    check([ins("ref.null", EXTERNREF), ins("ref.is_null")], results=(I32,))
    invalid("type mismatch", [ins("i32.const", 0), ins("ref.is_null"), ins("drop")])
    check([ins("unreachable"), ins("ref.is_null"), ins("drop")])


def test_table_ops() -> None:
    tables = [TableType(FUNCREF, Limits(1, None)), TableType(EXTERNREF, Limits(1, None))]
    elems = [ElemSegment("passive", EXTERNREF, [[ins("ref.null", EXTERNREF), ins("end")]])]
    kw = dict(tables=tables, elems=elems)
    three = [ins("i32.const", 0)] * 3
    check([ins("i32.const", 0), ins("table.get", 1), ins("drop"), ins("table.size", 0), ins("drop")], **kw)
    check([ins("i32.const", 0), ins("ref.null", EXTERNREF), ins("table.set", 1)], **kw)
    invalid("type mismatch", [ins("i32.const", 0), ins("ref.null", EXTERNREF), ins("table.set", 0)], **kw)
    check([ins("ref.null", FUNCREF), ins("i32.const", 1), ins("table.grow", 0), ins("drop")], **kw)
    check([ins("i32.const", 0), ins("ref.null", FUNCREF), ins("i32.const", 1), ins("table.fill", 0)], **kw)
    check(three + [ins("table.copy", (1, 1))], **kw)
    invalid("type mismatch", three + [ins("table.copy", (0, 1))], **kw)
    check(three + [ins("table.init", (0, 1))], **kw)
    invalid("type mismatch", three + [ins("table.init", (0, 0))], **kw)
    invalid("unknown elem segment 1", three + [ins("table.init", (1, 1))], **kw)
    invalid("unknown table 2", [ins("table.size", 2), ins("drop")], **kw)
    check([ins("elem.drop", 0)], **kw)
    invalid("unknown elem segment 3", [ins("elem.drop", 3)], **kw)


def test_bulk_memory_and_data_count() -> None:
    three = [ins("i32.const", 0)] * 3
    datas = [DataSegment("passive", b"xy")]
    check(three + [ins("memory.init", (0, 0)), ins("data.drop", 0)], memories=MEM, datas=datas, data_count=1)
    invalid("unknown data segment 1", [ins("data.drop", 1)], memories=MEM, datas=datas, data_count=1)
    invalid("unknown memory 0", three + [ins("memory.init", (0, 0))], datas=datas, data_count=1)
    # data segments but no data count section: malformed
    with pytest.raises(DecodeError, match="data count section required"):
        validate(func_module([ins("data.drop", 0)], memories=MEM, datas=datas))
    with pytest.raises(DecodeError, match="data count section required"):  # even after another error
        validate(func_module([ins("i64.const", 0), ins("data.drop", 0)], memories=MEM, datas=datas))
    # no data segments at all: every data index is unknown
    invalid("unknown data segment 0", [ins("data.drop", 0)])
    check(three + [ins("memory.copy", (0, 0))], memories=MEM)


# -- module-level rules --------------------------------------------------------------


def test_constant_expressions() -> None:
    imp = [Import("a", "c", "global", GlobalType(I32, False)), Import("a", "m", "global", GlobalType(I32, True))]

    def glob(t, *expr):
        return Global(GlobalType(t, False), [*expr, ins("end")])

    validate(Module(imports=imp, globals=[glob(I32, ins("global.get", 0))]))
    invalid_module("constant expression required", Module(imports=imp, globals=[glob(I32, ins("global.get", 1))]))
    invalid_module("unknown global 2", Module(imports=imp, globals=[glob(I32, ins("i32.const", 0)),
                                                                   glob(I32, ins("global.get", 2))]))
    invalid_module("constant expression required",
                   Module(globals=[glob(I32, ins("i32.const", 0), ins("i32.const", 0), ins("i32.add"))]))
    invalid_module("constant expression required", Module(globals=[glob(I32, ins("nop"), ins("i32.const", 0))]))
    invalid_module("type mismatch", Module(globals=[glob(I32, ins("i64.const", 0))]))
    invalid_module("type mismatch", Module(globals=[glob(I32)]))
    invalid_module("type mismatch", Module(globals=[glob(I32, ins("i32.const", 0), ins("i32.const", 0))]))
    validate(Module(globals=[glob(V128, ins("v128.const", 0)), glob(EXTERNREF, ins("ref.null", EXTERNREF))]))
    # data and element offsets
    invalid_module("type mismatch", Module(memories=list(MEM), datas=[
        DataSegment("active", b"", 0, [ins("i64.const", 0), ins("end")])]))
    invalid_module("unknown memory 0", Module(datas=[DataSegment("active", b"", 0, [ins("i32.const", 0),
                                                                                    ins("end")])]))
    invalid_module("unknown global 0", Module(memories=list(MEM), globals=[glob(I32, ins("i32.const", 0))],
                                              datas=[DataSegment("active", b"", 0, [ins("global.get", 0),
                                                                                    ins("end")])]))


def test_element_segments() -> None:
    tables = [TableType(FUNCREF, Limits(1, None))]
    off = [ins("i32.const", 0), ins("end")]
    validate(Module(tables=tables, elems=[ElemSegment("active", FUNCREF, [[ins("ref.null", FUNCREF), ins("end")]],
                                                      0, off)]))
    invalid_module("type mismatch", Module(tables=tables, elems=[ElemSegment("active", EXTERNREF, [], 0, off)]))
    invalid_module("unknown table 1", Module(tables=tables, elems=[ElemSegment("active", FUNCREF, [], 1, off)]))
    invalid_module("type mismatch", Module(elems=[
        ElemSegment("passive", FUNCREF, [[ins("ref.null", EXTERNREF), ins("end")]])]))
    invalid_module("unknown function 0", Module(elems=[
        ElemSegment("passive", FUNCREF, [[ins("ref.func", 0), ins("end")]])]))


def test_limits_and_counts() -> None:
    invalid_module("memory size must be at most 65536 pages (4GiB)",
                   Module(memories=[MemoryType(Limits(65537, None))]))
    invalid_module("memory size must be at most 65536 pages (4GiB)",
                   Module(memories=[MemoryType(Limits(0, 65537))]))
    validate(Module(memories=[MemoryType(Limits(65536, 65536))]))
    invalid_module("size minimum must not be greater than maximum", Module(memories=[MemoryType(Limits(2, 1))]))
    invalid_module("size minimum must not be greater than maximum",
                   Module(tables=[TableType(FUNCREF, Limits(2, 1))]))
    invalid_module("multiple memories", Module(memories=[MemoryType(Limits(0, None))] * 2))
    invalid_module("multiple memories", Module(memories=list(MEM),
                                               imports=[Import("a", "m", "memory", MEM[0])]))
    validate(Module(tables=[TableType(FUNCREF, Limits(0, None)), TableType(EXTERNREF, Limits(0, None))]))


def test_imports_exports_start() -> None:
    invalid_module("unknown type", Module(imports=[Import("a", "f", "func", None, 3)]))
    invalid_module("unknown type", Module(funcs=[0], codes=[Code([], [ins("end")])]))
    m = func_module([])
    m.exports = [Export("a", "func", 0), Export("a", "memory", 0)]
    m.memories = list(MEM)
    invalid_module("duplicate export name", m)
    for kind, phrase in [("func", "unknown function 1"), ("table", "unknown table 0"),
                         ("memory", "unknown memory 0"), ("global", "unknown global 0")]:
        invalid_module(phrase, func_module([], exports=[Export("x", kind, 1 if kind == "func" else 0)]))
    validate(func_module([], start=0))
    invalid_module("start function", func_module([], params=(I32,), start=0))
    invalid_module("start function", func_module([ins("i32.const", 0)], results=(I32,), start=0))
    invalid_module("unknown function", func_module([], start=1))


def test_decode_level_structure() -> None:
    with pytest.raises(DecodeError):
        validate(func_module([ins("nop")], end=False))  # body not closed
    with pytest.raises(DecodeError):
        validate(func_module([ins("else")]))  # else outside if


# -- a large real program -------------------------------------------------------------
# (speed is measured by tests/bench/bench_compile.py, not asserted here)

BIG = TESTS_DIR.parent / "bench" / "programs" / "big2500.wasm"  # bundled: fails if missing


@pytest.mark.skipif(decode is None, reason="the decoder is not there yet")
def test_big_program_validates() -> None:
    assert BIG.is_file(), f"the bundled benchmark program is missing: {BIG}"
    module = decode(BIG.read_bytes())
    info = validate(module)
    assert len(info.funcs) == len(module.codes)
    for f, code in zip(info.funcs, module.codes):
        assert len(f.heights) == len(code.body)

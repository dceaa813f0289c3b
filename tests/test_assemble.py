"""The direct assembler against the reference one (the `bytecode` package).

Every function of the golden modules and of a spread of spec-suite modules is
translated once; its light instructions are assembled both ways and the disassembly
compared instruction by instruction (name, resolved argument, line, jump target), plus
stack size, argument count, local names and line table. A difference here is an
encoding bug that would otherwise crash CPython, mislead pdb, or (for flag bits that
only specialised instructions read) give wrong answers once code gets hot. The hot-loop
test below runs comparisons long enough for CPython to specialise them."""

from __future__ import annotations

import dis
from pathlib import Path

import pytest

from transpyle.codegen import assemble as asm
from transpyle.codegen import cell_globals, function_idents
from transpyle.codegen.translate import Translator
from transpyle.wasm.decoder import decode
from transpyle.wasm.validator import validate

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted((ROOT / "golden").glob("*.wasm")) + [
    ROOT / "tests" / "spectest" / "v2" / name for name in (
        "br_table.0.wasm", "loop.0.wasm", "block.0.wasm", "call_indirect.0.wasm",
        "memory_copy.0.wasm", "select.0.wasm", "f32.0.wasm", "i64.0.wasm", "fac.0.wasm",
        "simd_lane.0.wasm", "unwind.0.wasm", "left-to-right.0.wasm", "br.0.wasm")]


def normalised(code) -> list[tuple]:
    out = []
    for ins in dis.get_instructions(code):
        if ins.opname == "CACHE":
            continue
        argval = ins.argval
        if ins.opname == "LOAD_CONST" and hasattr(argval, "co_code"):
            argval = argval.co_name
        line = ins.positions.lineno if ins.positions else None
        # the raw argument too: flag bits (COMPARE_OP's result mask) do not show in argval
        out.append((ins.offset, ins.opname, ins.arg, repr(argval), line))
    return out


def light_programs(path: Path):
    module = decode(path.read_bytes())
    info = validate(module)
    captured = []

    def capture(light, **kw):
        captured.append((list(map(lambda i: i if not isinstance(i, list) else list(i), light)), kw))
        return asm.assemble(light, **kw)

    idents = function_idents(module)
    cells = cell_globals(module)
    nimp = module.num_imported_funcs
    for k, (finfo, code) in enumerate(zip(info.funcs, module.codes)):
        t = Translator(module, finfo, code, info.func_types, cells, name=idents[nimp + k],
                       filename=f"<wasm://t/{idents[nimp + k]}>", func_idents=idents)
        t.assembler = capture
        t.translate()
    return captured


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_direct_assembler_matches_bytecode(path):
    for light, kw in light_programs(path):
        ours = asm.assemble(light, **kw)
        ref = asm.assemble_reference(light, **kw)
        assert normalised(ours) == normalised(ref), kw["name"]
        assert ours.co_stacksize == ref.co_stacksize
        assert ours.co_argcount == ref.co_argcount
        assert ours.co_varnames == ref.co_varnames
        assert list(ours.co_lines()) == list(ref.co_lines()), kw["name"]


def test_specialised_comparisons_stay_correct():
    """COMPARE_OP's argument carries a result mask from 3.12 on; a wrong mask only shows
    once the instruction is specialised, i.e. after it has run a few dozen times."""
    import transpyle

    wasmtime = pytest.importorskip("wasmtime", reason="the wasmtime test extra builds the WAT")
    ops = ["lt_u", "le_u", "gt_u", "ge_u", "eq", "ne", "lt_s", "le_s", "gt_s", "ge_s"]
    funcs = "".join(f'(func (export "{o}") (param i32 i32) (result i32) (i32.{o} (local.get 0) (local.get 1)))'
                    for o in ops)
    funcs += ''.join(f'(func (export "f{o}") (param f64 f64) (result i32) (f64.{o} (local.get 0) (local.get 1)))'
                     for o in ["lt", "le", "gt", "ge", "eq", "ne"])
    inst = transpyle.Runtime().instantiate(transpyle.Runtime().compile(wasmtime.wat2wasm(f"(module {funcs})")))
    import operator
    py = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
          "eq": operator.eq, "ne": operator.ne}
    for o in ops:
        f = inst.exports[o]
        cmp = py[o.split("_")[0]]
        for k in range(300):  # well past the specialisation threshold
            a, b = k % 7 - 3, (k * 5) % 7 - 3
            if o.endswith("_u"):
                a, b = a & 0xFFFFFFFF, b & 0xFFFFFFFF
            assert f(a, b) == int(cmp(a, b)), (o, a, b)
    for o in ["lt", "le", "gt", "ge", "eq", "ne"]:
        f = inst.exports["f" + o]
        for k in range(300):
            a, b = float(k % 5), float((k * 3) % 5)
            assert f(a, b) == int(py[o](a, b)), (o, a, b)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_loops_jump_back_unconditionally(path):
    """Every back edge is a JUMP_BACKWARD: CPython 3.11 quickens (specialises) a code
    object only after 8 RESUMEs or JUMP_BACKWARDs, so a function called once whose loops
    end in 3.11's conditional backward jumps would never be specialised (RATIONALE.md)."""
    for light, kw in light_programs(path):
        code = asm.assemble(light, **kw)
        names = {ins.opname for ins in dis.get_instructions(code)}
        assert not {n for n in names if n.startswith("POP_JUMP_BACKWARD")}, kw["name"]

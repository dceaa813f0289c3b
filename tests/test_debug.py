"""Reading and debugging wasm as Python: pdb steps into wasm functions, shows listing
lines, prints locals and stops at breakpoints; tracebacks and traps show wasm frames."""

from __future__ import annotations

import io
import linecache
import re
import pdb
import traceback

import pytest

import transpyle
from transpyle.debug import break_at, debug_call, first_line, wasm_code

wasmtime = pytest.importorskip("wasmtime", reason="the wasmtime test extra builds the WAT")

WAT = """(module $demo
  (func $sq (param $x i32) (result i32) (i32.mul (local.get $x) (local.get $x)))
  (func $sum (export "sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $sq (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func $boom (export "boom") (param $d i32) (result i32)
    (i32.div_u (i32.const 10) (local.get $d)))
  (func $outer (export "outer") (param $d i32) (result i32)
    (i32.add (call $boom (local.get $d)) (i32.const 1))))
"""


@pytest.fixture(scope="module")
def inst():
    rt = transpyle.Runtime()
    return rt.instantiate(rt.compile(wasmtime.wat2wasm(WAT)))


def run_pdb(commands: list[str], fn, *args):
    out = io.StringIO()
    p = pdb.Pdb(stdin=io.StringIO("\n".join(commands) + "\n"), stdout=out)
    p.use_rawinput = False
    result = debug_call(fn, *args, debugger=p)
    return result, out.getvalue()


def test_listing_is_in_linecache(inst):
    code = wasm_code(inst.exports["sum"])
    assert re.fullmatch(r"<wasm://demo@[0-9a-f]{8}/sum>", code.co_filename)
    listing = inst.compiled.source("sum")
    assert linecache.getline(code.co_filename, 1) == listing.splitlines(keepends=True)[0]
    assert listing.startswith("def sum(n):")


def test_debug_call_stops_at_first_statement_and_prints_locals(inst):
    result, out = run_pdb(["p n", "next", "next", "p i, acc", "continue"], inst.exports["sum"], 4)
    assert result == 0 + 1 + 4 + 9
    assert re.search(r"<wasm://demo@\w+/sum>\(2\)sum\(\)", out)  # stopped on the first statement
    assert "-> i, acc = 0, 0" in out
    assert "\n(Pdb) 4\n" in out  # p n
    assert "(0, 0)" in out  # p i, acc


def test_step_enters_called_wasm_function(inst):
    _, out = run_pdb(["next", "next", "step", "step", "where", "p x", "continue"],
                     inst.exports["sum"], 3)
    assert re.search(r"<wasm://demo@\w+/sq>\(1\)sq\(\)", out)  # --Call--
    assert "-> return (x * x) & 0xFFFFFFFF" in out
    where = out[out.index("(Pdb)", out.index("-> return (x * x)")):]
    assert "/sum>" in where and "/sq>" in where  # wasm frames
    assert "(Pdb) 0\n" in out  # p x in the first call


def test_breakpoint_on_wasm_function_by_name(inst):
    out = io.StringIO()
    # runcall stops in the Python caller first; `continue` runs to the breakpoint
    p = pdb.Pdb(stdin=io.StringIO("continue\np x\ncontinue\np x\ncontinue\n"), stdout=out)
    p.use_rawinput = False
    line = break_at(p, inst, "sq")
    assert line == first_line(wasm_code(inst, "sq"))
    result = p.runcall(inst.exports["sum"], 2)
    assert result == 0 + 1
    text = out.getvalue()
    assert len(re.findall(r"<wasm://demo@\w+/sq>\(2\)sq\(\)", text)) >= 2  # hit once per call
    assert "(Pdb) 0\n" in text and "(Pdb) 1\n" in text


def test_trap_traceback_shows_wasm_frames_and_listing_lines(inst):
    with pytest.raises(transpyle.Trap) as info:
        inst.exports["outer"](0)
    trap = info.value
    assert str(trap).startswith("integer divide by zero")
    assert "wasm stack trace:" in str(trap)
    frames = str(trap).split("wasm stack trace:")[1].split()
    assert frames == ["demo.boom(i32)", "i32", "demo.outer(i32)", "i32"]  # wazero's format
    tb = "".join(traceback.format_exception(trap))
    assert re.search(r'File "<wasm://demo@\w+/outer>", line 2, in outer', tb)
    assert "return (boom(d) + 1) & 0xFFFFFFFF" in tb
    assert '/boom>"' in tb and "return 10 // d" in tb

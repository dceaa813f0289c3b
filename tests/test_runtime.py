"""The runtime: extern objects, linking, instantiation, the Python <-> wasm boundary.

Modules are written in WAT and assembled with `wasmtime.wat2wasm` (the `test` extra).
The deep-recursion tests that could crash the interpreter run in a subprocess, so a
segfault fails one test instead of the whole session.
"""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import transpyle
from transpyle import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    CompiledModule,
    Func,
    Function,
    FuncType,
    Global,
    Instance,
    LinkError,
    Memory,
    Runtime,
    Table,
    Trap,
)
from transpyle.runtime import boundary, support
from transpyle.runtime.numeric import NUMERIC, f32_from_bits, f32_to_bits

wasmtime = pytest.importorskip("wasmtime")

REPO = Path(__file__).resolve().parent.parent


def wasm(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


def load(wat: str, *, rt: Runtime | None = None, imports=None, name=None) -> Instance:
    rt = rt or Runtime()
    return rt.instantiate(rt.compile(wasm(wat)), imports=imports, name=name)


# -- the public names -------------------------------------------------------------------


def test_public_names():
    for name in ["Runtime", "CompiledModule", "Instance", "Function", "Memory", "Table",
                 "Global", "FuncType", "ValueType", "I32", "I64", "F32", "F64", "V128",
                 "FUNCREF", "EXTERNREF", "Func", "Trap", "Interrupted", "CompileError",
                 "DecodeError", "ValidationError", "LinkError"]:
        assert hasattr(transpyle, name), name
        assert name in transpyle.__all__
    assert issubclass(transpyle.Interrupted, Trap)


# -- Memory -----------------------------------------------------------------------------


def test_memory_size_grow_and_identity():
    m = Memory(1, 3)
    data = m.data
    assert isinstance(data, bytearray) and len(data) == 65536
    assert m.size == 1
    assert m.grow(1) == 1
    assert m.size == 2 and m.data is data and len(data) == 2 * 65536
    assert m.grow(0) == 2
    assert m.grow(2) == -1  # past the max: nothing changes
    assert m.size == 2
    assert m.grow(1) == 2 and m.grow(1) == -1
    assert m.type.limits.min == 3 and m.type.limits.max == 3


def test_memory_read_write_bounds():
    m = Memory(1)
    m.write(10, b"abc")
    assert m.read(10, 3) == b"abc"
    m.write(65533, bytearray(b"xyz"))
    assert m.read(65533, 3) == b"xyz"
    assert m.read(65536, 0) == b""
    before = bytes(m.data)
    for bad in [lambda: m.write(65534, b"xyz"), lambda: m.write(-1, b"x"),
                lambda: m.read(65534, 3), lambda: m.read(-1, 1), lambda: m.read(0, -1)]:
        with pytest.raises(IndexError):
            bad()
    assert bytes(m.data) == before


def test_memory_constructor_checks():
    with pytest.raises(ValueError):
        Memory(2, 1)
    with pytest.raises(ValueError):
        Memory(65537)
    with pytest.raises(TypeError):
        Memory(1.0)


# -- Table ------------------------------------------------------------------------------


def test_table_api():
    t = Table(FUNCREF, 2, max=4)
    assert t.size == 2 and t.elements == [None, None]
    f = Func(lambda: None).function
    t.set(1, f)
    assert t.get(1) is f and t.get(0) is None
    with pytest.raises(TypeError):
        t.set(0, "not a function")
    with pytest.raises(IndexError):
        t.get(2)
    with pytest.raises(IndexError):
        t.set(-1, None)
    elements = t.elements
    assert t.grow(1, f) == 2 and t.get(2) is f and t.elements is elements
    assert t.grow(2) == -1 and t.size == 3
    assert t.type.limits.min == 3
    e = Table(EXTERNREF, 1)
    e.set(0, {"any": "object"})
    assert e.get(0) == {"any": "object"}
    with pytest.raises(ValueError):
        Table(I32, 1)


def test_table_grow_is_capped():
    t = Table(FUNCREF, 0)
    assert t.grow(0x7FFFFFFF) == -1
    assert support.table_grow(t, None, 0x7FFFFFFF) == 0xFFFFFFFF
    assert t.size == 0


# -- Global -----------------------------------------------------------------------------


def test_global_values():
    g = Global(I32, -1)
    assert g.value == -1 and g.raw == 0xFFFFFFFF and g.cell == [0xFFFFFFFF]
    with pytest.raises(AttributeError):
        g.value = 3
    m = Global(I64, 0xFFFFFFFFFFFFFFFF, mutable=True)
    assert m.value == -1
    m.value = 5
    assert m.value == 5 and m.cell[0] == 5
    with pytest.raises(ValueError):
        m.value = 1 << 64
    with pytest.raises(TypeError):
        m.value = "5"
    f = Global(F32, 0.1, mutable=True)
    assert f.value == struct.unpack("<f", struct.pack("<f", 0.1))[0]  # rounded to f32
    f.raw = 0x7FA00001  # a signalling NaN: its bits survive
    assert f.raw == 0x7FA00001 and math.isnan(f.value)
    d = Global(F64, 1.5)
    assert d.raw == struct.unpack("<Q", struct.pack("<d", 1.5))[0]
    r = Global(FUNCREF, None, mutable=True)
    assert r.value is None
    with pytest.raises(TypeError):
        r.value = 3


# -- calls, conversions, host functions ---------------------------------------------------

ARITH = """
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "idf32") (param f32) (result f32) local.get 0)
  (func (export "idf64") (param f64) (result f64) local.get 0)
  (func (export "swap") (param i32 f64) (result f64 i32) local.get 1 local.get 0)
  (func (export "nothing"))
)"""


def test_natural_and_raw_calls():
    e = load(ARITH).exports
    assert e["add"](2, 3) == 5
    assert e["add"](-1, 0) == -1  # results are signed
    assert e["add"](0xFFFFFFFF, 0) == -1  # arguments signed or unsigned
    assert e["add"].call_raw(0xFFFFFFFF, 0) == [0xFFFFFFFF]
    assert e["add64"](-1, -1) == -2
    assert e["idf32"](0.1) == struct.unpack("<f", struct.pack("<f", 0.1))[0]
    assert e["idf32"](1e300) == math.inf  # rounds to single precision
    assert e["swap"](7, 2.5) == (2.5, 7)
    assert e["swap"].call_raw(7, struct.unpack("<Q", struct.pack("<d", 2.5))[0]) == [
        struct.unpack("<Q", struct.pack("<d", 2.5))[0], 7]
    assert e["nothing"]() is None and e["nothing"].call_raw() == []


@pytest.mark.parametrize("bits", [0x7FA00001, 0xFFC00000, 0x7F800001, 0x3F800000, 0x80000000])
def test_call_raw_f32_bits_exact(bits):
    e = load(ARITH).exports
    assert e["idf32"].call_raw(bits) == [bits]


@pytest.mark.parametrize("bits", [0x7FF0000000000001, 0xFFF8000000000000, 0x7FF4000000000000])
def test_call_raw_f64_bits_exact(bits):
    e = load(ARITH).exports
    assert e["idf64"].call_raw(bits) == [bits]


def test_argument_errors_are_type_errors():
    add = load(ARITH).exports["add"]
    with pytest.raises(TypeError, match="2 arguments"):
        add(1)
    with pytest.raises(TypeError, match="i32"):
        add(1, "2")
    with pytest.raises(TypeError):
        add(1, 2.0)
    with pytest.raises(ValueError, match="out of range"):
        add(1, 1 << 32)
    with pytest.raises(TypeError):
        add.call_raw(1, 2, 3)
    with pytest.raises(TypeError):
        add(1, 2, ctx=None, extra=1)
    assert add(1, 2, ctx=None) == 3


def test_function_attributes():
    inst = load('(module (func $f (export "f") (param i32) (result i32) local.get 0))')
    f = inst.exports["f"]
    assert isinstance(f, Function)
    assert f.type is FuncType([I32], [I32])
    assert f.instance is inst and f.index == 0 and f.name == "f" and not f.is_host
    assert callable(f.fn)
    assert f.fn is inst.namespace["f0"]


HOST = """
(module
  (import "env" "h" (func $h (param i32 i64 f32 f64) (result i32)))
  (import "env" "two" (func $two (param i32) (result i32 i64)))
  (func (export "call_h") (param i32 i64 f32 f64) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $h)
  (func (export "call_two") (param i32) (result i32 i64) local.get 0 call $two)
  (export "h" (func $h))
)"""


def test_host_function_natural_values():
    seen = []

    def h(a, b, c, d):
        seen.append((a, b, c, d))
        return -7

    hf = Func(h, [I32, I64, F32, F64], [I32])
    two = Func(lambda x: (x, -x), [I32], [I32, I64])
    inst = load(HOST, imports={"env": {"h": hf, "two": two}})
    assert inst.exports["call_h"](-1, -2, 0.5, 0.25) == -7
    assert seen == [(-1, -2, 0.5, 0.25)]
    assert inst.exports["call_h"].call_raw(5, 6, f32_to_bits(1.5), 0) == [(-7) & 0xFFFFFFFF]
    assert inst.exports["call_two"](3) == (3, -3)
    # the imported host function is exported again as the same Function object
    assert inst.exports["h"] is hf.function and inst.exports["h"].is_host
    assert inst.exports["h"](1, 2, 3.0, 4.0) == -7


def test_host_result_errors_reach_the_caller_as_type_errors():
    bad = Func(lambda x: 5 if x else (1, 2, 3), [I32], [I32, I64])
    inst = load(HOST, imports={"env": {"h": Func(lambda *a: 1.5, [I32, I64, F32, F64], [I32]),
                                       "two": bad}})
    with pytest.raises(TypeError, match="i32"):
        inst.exports["call_h"](1, 2, 3.0, 4.0)
    with pytest.raises(TypeError, match="returned a single int, expected a sequence of 2"):
        inst.exports["call_two"](1)
    with pytest.raises(TypeError, match="returned 3 values, expected a sequence of 2"):
        inst.exports["call_two"](0)


class Boom(Exception):
    pass


def test_host_exception_passes_through_unchanged():
    err = Boom("from the host")
    calls = []

    def h(a, b, c, d):
        calls.append(a)
        if a == 1:
            raise err
        return a

    inst = load(HOST, imports={"env": {"h": Func(h, [I32, I64, F32, F64], [I32]),
                                       "two": Func(lambda x: (x, x), [I32], [I32, I64])}})
    with pytest.raises(Boom) as info:
        inst.exports["call_h"](1, 0, 0.0, 0.0)
    assert info.value is err
    assert info.value.__context__ is None and info.value.__cause__ is None
    frames = [tb.tb_frame.f_code.co_name for tb in _walk(info.value.__traceback__)]
    assert "h" in frames  # the traceback still reaches the host function
    # the instance stays usable
    assert inst.exports["call_h"](5, 0, 0.0, 0.0) == 5
    assert sys.getrecursionlimit() == _LIMIT


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


_LIMIT = sys.getrecursionlimit()


@pytest.mark.parametrize("exc", [IndexError("host"), ZeroDivisionError("host"),
                                 struct.error("unpack_from requires a buffer"),
                                 RuntimeError("host")])
def test_host_exceptions_that_look_like_traps_stay_host_exceptions(exc):
    inst = load(HOST, imports={"env": {"h": Func(_raiser(exc), [I32, I64, F32, F64], [I32]),
                                       "two": Func(lambda x: (x, x), [I32], [I32, I64])}})
    with pytest.raises(type(exc)) as info:
        inst.exports["call_h"](0, 0, 0.0, 0.0)
    assert info.value is exc


def _raiser(exc):
    def raiser(*args):
        raise exc
    return raiser


def test_host_trap_and_base_exceptions_pass():
    trap = Trap("exit")
    inst = load(HOST, imports={"env": {"h": Func(_raiser(trap), [I32, I64, F32, F64], [I32]),
                                       "two": Func(_raiser(KeyboardInterrupt()), [I32],
                                                   [I32, I64])}})
    with pytest.raises(Trap) as info:
        inst.exports["call_h"](0, 0, 0.0, 0.0)
    assert info.value is trap
    with pytest.raises(KeyboardInterrupt):
        inst.exports["call_two"](0)
    assert sys.getrecursionlimit() == _LIMIT
    assert boundary._nesting == 0


LONGJMP = """
(module
  (import "env" "invoke" (func $invoke (param i32) (result i32)))
  (import "env" "throw" (func $throw (param i32)))
  (func $inner (export "inner") (param i32) (result i32)
    local.get 0 i32.const 10 i32.gt_u if local.get 0 call $throw end
    local.get 0 i32.const 1 i32.add)
  (func (export "outer") (param i32) (result i32)
    local.get 0 call $invoke i32.const 100 i32.add)
)"""


def test_host_catches_and_calls_back_in():
    """emscripten-style setjmp/longjmp glue: a host function calls back into wasm,
    catches the exception thrown below it, and returns into the outer wasm frames."""

    class LongJmp(Exception):
        pass

    box = {}

    def invoke(x):
        try:
            return box["inner"](x)
        except LongJmp as j:
            return -j.args[0]

    def throw(x):
        raise LongJmp(x)

    inst = load(LONGJMP, imports={"env": {"invoke": Func(invoke, [I32], [I32]),
                                          "throw": Func(throw, [I32], [])}})
    box["inner"] = inst.exports["inner"]
    assert inst.exports["outer"](1) == 102
    assert inst.exports["outer"](20) == 80
    with pytest.raises(LongJmp):
        inst.exports["inner"](11)
    assert boundary._nesting == 0 and sys.getrecursionlimit() == _LIMIT


# -- traps ------------------------------------------------------------------------------

TRAPS = """
(module $traps
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1)
  (table 3 funcref)
  (elem (i32.const 0) $ok $v)
  (func $ok (result i32) i32.const 1)
  (func $v)
  (func $div (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "store8") (param i32) local.get 0 i32.const 1 i32.store8)
  (func (export "unreachable") unreachable)
  (func (export "ci") (param i32) (result i32) local.get 0 call_indirect (type $i))
  (func $rec (export "rec") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
  (func (export "overflow") (result i32) i32.const 0x80000000 i32.const -1 i32.div_s)
  (func (export "conv") (result i32) f32.const nan i32.trunc_f32_s)
)"""


@pytest.mark.parametrize("name,args,message", [
    ("div", (1, 0), "integer divide by zero"),
    ("overflow", (), "integer overflow"),
    ("conv", (), "invalid conversion to integer"),
    ("load", (65533,), "out of bounds memory access"),
    ("load", (0xFFFFFFFF,), "out of bounds memory access"),
    ("store8", (65536,), "out of bounds memory access"),
    ("unreachable", (), "unreachable"),
    ("ci", (0,), None),
    ("ci", (1,), "indirect call type mismatch"),
    ("ci", (2,), "uninitialized element"),
    ("ci", (3,), "undefined element"),
    ("rec", (0,), "call stack exhausted"),
])
def test_trap_messages(name, args, message):
    inst = load(TRAPS)
    f = inst.exports[name]
    if message is None:
        assert f(*args) == 1
        return
    with pytest.raises(Trap) as info:
        f(*args)
    assert str(info.value).startswith(message)
    assert info.value.message == message
    assert sys.getrecursionlimit() == _LIMIT
    assert boundary._nesting == 0
    # the instance stays usable after any trap
    assert inst.exports["ci"](0) == 1


def test_trap_carries_the_wasm_stack():
    with pytest.raises(Trap) as info:
        load(TRAPS).exports["div"](1, 0)
    assert info.value.wasm_stack and info.value.wasm_stack[0].split("(")[0].endswith("div")
    assert info.value.wasm_stack[0].endswith("(i32,i32) i32")  # wazero's format
    assert "wasm stack trace" in str(info.value)
    with pytest.raises(Trap) as info:
        load(TRAPS).exports["rec"](0)
    assert len(info.value.wasm_stack) == 1 and "(x" in info.value.wasm_stack[0]


def test_translate():
    t = boundary.translate
    assert t(struct.error("unpack_from requires a buffer of at least 8 bytes")).message == \
        "out of bounds memory access"
    assert t(struct.error("pack_into requires a buffer of at least 8 bytes")).message == \
        "out of bounds memory access"
    assert t(IndexError("bytearray index out of range")).message == "out of bounds memory access"
    assert t(ZeroDivisionError()).message == "integer divide by zero"
    assert t(RecursionError()).message == "call stack exhausted"
    assert t(MemoryError()).message == "out of memory"
    bug = t(struct.error("'I' format requires 0 <= number <= 4294967295"))
    assert bug.message.startswith("internal error") and isinstance(bug.__cause__, struct.error)
    other = ValueError("oops")
    assert t(other).message == "internal error: ValueError('oops')" and t(other).__cause__ is other


# -- deep recursion (subprocesses: a crash fails the test, not the session) -------------

RECURSION_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from transpyle import Trap
from transpyle.runtime import boundary

# a stand-in for generated code: a plain Python function that calls itself through
# the namespace, exactly like `LOAD_GLOBAL f0; ...; CALL`
ns = {{}}
exec("def f0(n):\\n    if n == 0:\\n        return 0\\n    return f0(n - 1) + 1\\n", ns)
limit = sys.getrecursionlimit()
assert boundary.call(ns["f0"], (19000,), 20000) == 19000
try:
    boundary.call(ns["f0"], (10**7,), 20000)
except Trap as t:
    assert str(t).startswith("call stack exhausted"), str(t)
else:
    raise AssertionError("no trap")
assert sys.getrecursionlimit() == limit
try:
    boundary.call(ns["f0"], (3000,), 1000)
except Trap:
    pass
else:
    raise AssertionError("max_call_depth not applied")
print("ok")
"""


def _run(script: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, timeout=300)


def test_deep_recursion_traps_without_crashing():
    r = _run(RECURSION_SCRIPT.format(repo=str(REPO)))
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


WASM_RECURSION_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
import wasmtime
from transpyle import Runtime, Func, I32, Trap

wat = '''(module
  (import "h" "f" (func $h (param i32) (result i32)))
  (func $r (export "r") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $r i32.const 1 i32.add end)
  (func (export "via_host") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $h i32.const 1 i32.add end))'''
rt = Runtime()
box = {{}}
inst = rt.instantiate(rt.compile(wasmtime.wat2wasm(wat)),
                      imports={{"h": {{"f": Func(lambda n: box["f"](n), [I32], [I32])}}}})
box["f"] = inst.exports["via_host"]
assert inst.exports["r"](19000) == 19000
for name, n in [("r", 10**6), ("via_host", 10**6)]:
    try:
        inst.exports[name](n)
    except Trap as t:
        assert str(t).startswith("call stack exhausted"), str(t)
    else:
        raise AssertionError("no trap: " + name)
assert inst.exports["via_host"](300) == 300  # nested entries below every version's limit
print("ok")
"""


def test_wasm_recursion_direct_and_through_host_traps():
    r = _run(WASM_RECURSION_SCRIPT.format(repo=str(REPO)))
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


def test_max_call_depth_option():
    rt = Runtime(max_call_depth=500)
    inst = load("""(module (func $r (export "r") (param i32) (result i32)
        local.get 0 i32.eqz if (result i32) i32.const 0
        else local.get 0 i32.const 1 i32.sub call $r i32.const 1 i32.add end))""", rt=rt)
    assert inst.exports["r"](400) == 400
    with pytest.raises(Trap, match="call stack exhausted"):
        inst.exports["r"](5000)
    with pytest.raises(ValueError):
        Runtime(max_call_depth=0)


def test_call_depth_budget_is_on_top_of_the_caller():
    """max_call_depth frames are available however deep the Python caller already is
    (the limit is raised by max_call_depth above the current one)."""
    inst = load("""(module (func $r (export "r") (param i32) (result i32)
        local.get 0 i32.eqz if (result i32) i32.const 0
        else local.get 0 i32.const 1 i32.sub call $r i32.const 1 i32.add end))""",
                rt=Runtime(max_call_depth=3000))
    f, depth = sys._getframe(), 0
    while f is not None:
        f, depth = f.f_back, depth + 1

    def deep(k):
        return deep(k - 1) if k else inst.exports["r"](2990)

    assert deep(sys.getrecursionlimit() - depth - 30) == 2990
    assert sys.getrecursionlimit() == _LIMIT


# -- linking ----------------------------------------------------------------------------

IMPORTS = """
(module
  (import "env" "f" (func (param i32) (result i32)))
  (import "env" "mem" (memory 1 4))
  (import "env" "tab" (table 2 funcref))
  (import "env" "g" (global (mut i32)))
  (func (export "call_f") (param i32) (result i32) local.get 0 call 0)
  (func (export "get_g") (result i32) global.get 0)
  (func (export "set_g") (param i32) local.get 0 global.set 0)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
)"""


def good_imports(**override):
    env = {"f": Func(lambda x: x * 2, [I32], [I32]), "mem": Memory(1, 4),
           "tab": Table(FUNCREF, 2), "g": Global(I32, 5, mutable=True)}
    env.update(override)
    return {"env": env}


def test_host_externs_are_shared():
    imports = good_imports()
    env = imports["env"]
    inst = load(IMPORTS, imports=imports)
    e = inst.exports
    assert e["call_f"](21) == 42
    assert e["get_g"]() == 5
    e["set_g"](-3)
    assert env["g"].value == -3
    env["g"].value = 11
    assert e["get_g"]() == 11
    e["store"](8, 0x01020304)
    assert env["mem"].read(8, 4) == bytes([4, 3, 2, 1])
    data = env["mem"].data
    assert e["grow"](2) == 1 and env["mem"].size == 3 and env["mem"].data is data
    e["store"](3 * 65536 - 4, 7)
    assert env["mem"].read(3 * 65536 - 4, 1) == b"\x07"
    assert e["grow"](2) == -1


@pytest.mark.parametrize("override,match", [
    ({"f": Func(lambda x: x, [I64], [I32])}, "incompatible import type"),
    ({"f": lambda x: x}, "wrap a Python callable"),
    ({"f": Memory(1)}, "incompatible import type"),
    ({"mem": Memory(0, 4)}, "incompatible import type"),  # min too small
    ({"mem": Memory(1)}, "incompatible import type"),  # no max, but one is declared
    ({"mem": Memory(1, 5)}, "incompatible import type"),  # max too large
    ({"tab": Table(FUNCREF, 1)}, "incompatible import type"),
    ({"tab": Table(EXTERNREF, 2)}, "incompatible import type"),
    ({"g": Global(I32, 5)}, "incompatible import type"),  # mutability
    ({"g": Global(I64, 5, mutable=True)}, "incompatible import type"),
])
def test_link_errors(override, match):
    with pytest.raises(LinkError, match=match):
        load(IMPORTS, imports=good_imports(**override))


def test_link_subtyping_accepts_larger_externs():
    load(IMPORTS, imports=good_imports(mem=Memory(2, 3), tab=Table(FUNCREF, 10, 20)))
    t = Table(FUNCREF, 1)
    t.grow(1)  # the current size counts
    load(IMPORTS, imports=good_imports(tab=t))


def test_unknown_import():
    imports = good_imports()
    del imports["env"]["g"]
    with pytest.raises(LinkError, match=r"unknown import: env\.g"):
        load(IMPORTS, imports=imports)


EXPORTER = """
(module $exporter
  (func $double (export "f") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
  (memory (export "mem") 1 4)
  (table (export "tab") 2 funcref)
  (global (export "g") (mut i32) (i32.const 9))
  (func (export "get_g") (result i32) global.get 0)
  (elem (i32.const 1) $double)
)"""


def test_registered_instances_and_precedence():
    rt = Runtime()
    a = load(EXPORTER, rt=rt, name="env")
    assert a.name == "env"
    b = load(IMPORTS, rt=rt)
    assert b.exports["call_f"](4) == 8
    assert b.namespace["f0"] is a.namespace["f0"]  # the raw function itself, no wrapper
    b.exports["set_g"](77)
    assert a.exports["get_g"]() == 77 and a.exports["g"].value == 77
    # the imports argument comes first, field by field
    c = rt.instantiate(rt.compile(wasm(IMPORTS)),
                       imports={"env": {"f": Func(lambda x: -x, [I32], [I32])}})
    assert c.exports["call_f"](4) == -4
    assert c.exports["get_g"]() == 77
    # register under another name
    rt.register("other", a)
    with pytest.raises(LinkError):
        load(IMPORTS.replace('"env"', '"nope"'), rt=rt)
    load(IMPORTS.replace('"env"', '"other"'), rt=rt)


def test_function_identity_through_tables_and_refs():
    rt = Runtime()
    a = load(EXPORTER, rt=rt, name="A")
    b = load("""(module
        (import "A" "f" (func $f (param i32) (result i32)))
        (import "A" "tab" (table 2 funcref))
        (func $g (export "g") (result funcref) ref.func $f)
        (elem (i32.const 0) $f)
        (export "f2" (func $f)))""", rt=rt)
    f = a.exports["f"]
    assert b.exports["f2"] is f
    assert b.exports["g"]() is f
    assert a.exports["tab"].get(0) is f and a.exports["tab"].get(1) is f
    assert a.exports["tab"].get(0)(21) == 42


def test_memory_limit_pages():
    rt = Runtime(memory_limit_pages=2)
    with pytest.raises(LinkError, match="memory limit"):
        load("(module (memory 3))", rt=rt)
    inst = load("""(module (memory (export "m") 1)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))""", rt=rt)
    assert inst.exports["grow"](1) == 1
    assert inst.exports["grow"](1) == -1
    assert inst.exports["m"].grow(1) == -1 and inst.exports["m"].size == 2


# -- instantiation: segments and start ----------------------------------------------------


def test_segments_and_start():
    inst = load("""(module
      (import "e" "base" (global $base i32))
      (memory (export "m") 1)
      (table (export "t") 3 funcref)
      (global $count (export "count") (mut i32) (i32.const 0))
      (data (global.get $base) "abc")
      (data $p "xyz")
      (elem (i32.const 1) $start $start)
      (elem $q func $start)
      (func $start global.get $count i32.const 1 i32.add global.set $count)
      (func (export "init") (memory.init $p (i32.const 0) (i32.const 1) (i32.const 2)))
      (func (export "drop") (data.drop $p))
      (start $start))""", imports={"e": {"base": Global(I32, 4)}})
    e = inst.exports
    assert e["count"].value == 1
    assert e["m"].read(4, 3) == b"abc"
    t = e["t"]
    assert t.get(0) is None and t.get(1) is t.get(2) and t.get(1) is not None
    e["init"]()
    assert e["m"].read(0, 2) == b"yz"
    e["drop"]()
    with pytest.raises(Trap, match="out of bounds memory access"):
        e["init"]()
    ns = inst.namespace
    assert ns["D0"] == [b""] and ns["D1"] == [b""] and ns["E0"] == [[]]
    assert len(ns["E1"][0]) == 1


def test_out_of_bounds_segment_traps_and_earlier_writes_stay():
    mem = Memory(1)
    tab = Table(FUNCREF, 2)
    wat = """(module
      (import "env" "mem" (memory 1))
      (import "env" "tab" (table 2 funcref))
      (func $f)
      (elem (i32.const 0) $f)
      (elem (i32.const 1) $f $f)
      (data (i32.const 0) "ok"))"""
    with pytest.raises(Trap, match="out of bounds table access"):
        load(wat, imports={"env": {"mem": mem, "tab": tab}})
    assert tab.get(0) is not None and tab.get(1) is None  # the failing segment wrote nothing
    assert mem.read(0, 2) == b"\0\0"  # data segments come after the element segments
    wat = """(module
      (import "env" "mem" (memory 1))
      (import "env" "tab" (table 2 funcref))
      (func $f (result i32) i32.const 42)
      (elem (i32.const 1) $f)
      (data (i32.const 0) "ok")
      (data (i32.const 65535) "no"))"""
    with pytest.raises(Trap, match="out of bounds memory access"):
        load(wat, imports={"env": {"mem": mem, "tab": tab}})
    assert mem.read(0, 2) == b"ok" and mem.read(65535, 1) == b"\0"
    assert tab.get(1)() == 42  # a function of the failed instance stays callable


def test_start_trap_raises_from_instantiate():
    with pytest.raises(Trap, match="unreachable"):
        load("(module (func $s unreachable) (start $s))")
    err = Boom()
    with pytest.raises(Boom):
        load('(module (import "e" "f" (func $f)) (start $f))',
             imports={"e": {"f": Func(_raiser(err))}})


def test_globals_initialisers():
    inst = load("""(module
      (import "e" "base" (global $b i64))
      (import "e" "fb" (global $fb f32))
      (global (export "copy") i64 (global.get $b))
      (global (export "f") f32 (f32.const nan:0x200001))
      (global (export "fc") f32 (global.get $fb))
      (global (export "d") f64 (f64.const -0.0))
      (global (export "r") funcref (ref.func $x))
      (global (export "n") externref (ref.null extern))
      (func $x (export "x")))""", imports={"e": {"base": Global(I64, -5),
                                                 "fb": Global(F32, 0.5)}})
    e = inst.exports
    assert e["copy"].value == -5 and e["copy"].raw == (-5) & (2**64 - 1)
    assert e["f"].raw == 0x7FA00001
    assert e["fc"].value == 0.5
    assert e["d"].raw == 1 << 63
    assert e["r"].value is e["x"]
    assert e["n"].value is None
    assert inst.exports["copy"] is inst.exports["copy"]


# -- Runtime and CompiledModule ------------------------------------------------------------


def test_compile_cache_and_descriptions():
    rt = Runtime()
    data = wasm(HOST)
    cm = rt.compile(data)
    assert isinstance(cm, CompiledModule)
    assert rt.compile(bytearray(data)) is cm and rt.compile(memoryview(data)) is cm
    import hashlib
    assert cm.sha256 == hashlib.sha256(data).hexdigest()
    assert [(i.module, i.name, i.kind) for i in cm.imports] == [("env", "h", "func"),
                                                                 ("env", "two", "func")]
    assert cm.imports[0].type is FuncType([I32, I64, F32, F64], [I32])
    assert [(x.name, x.kind) for x in cm.exports] == [("call_h", "func"), ("call_two", "func"),
                                                     ("h", "func")]
    assert cm.exports[1].type is FuncType([I32], [I32, I64])
    with pytest.raises(TypeError):
        rt.compile("(module)")


def test_source_lookup():
    cm = Runtime().compile(wasm("""(module
      (import "e" "i" (func $imp))
      (func $named (param i32) (result i32) local.get 0)
      (export "exp" (func $named)))"""))
    src = cm.source("exp")
    assert isinstance(src, str) and src
    assert cm.source(1) == src and cm.source("named") == src
    for bad in ["nope", 5, 0]:
        with pytest.raises(KeyError):
            cm.source(bad)


def test_exports_mapping():
    inst = load(EXPORTER)
    assert list(inst.exports) == ["f", "mem", "tab", "g", "get_g"]
    assert "f" in inst.exports and "zzz" not in inst.exports
    assert len(inst.exports) == 5
    with pytest.raises(KeyError, match="zzz"):
        inst.exports["zzz"]
    assert isinstance(inst.exports["mem"], Memory)
    assert isinstance(inst.exports["tab"], Table)
    assert isinstance(inst.exports["g"], Global)
    assert inst.name == "exporter"  # the name section's module name


def test_instantiate_from_bytes_with_name():
    rt = Runtime()
    inst = rt.instantiate(wasm(EXPORTER), name="ex")
    assert inst.name == "ex" and rt._registered["ex"] is inst


# -- support helpers -------------------------------------------------------------------


def test_helpers_namespace():
    for name in NUMERIC:
        assert support.HELPERS[name.replace(".", "_")] is NUMERIC[name]
    for name in ["memory_grow", "memory_fill", "memory_copy", "memory_init", "data_drop",
                 "load_f32", "store_f32", "table_get", "table_set", "table_size",
                 "table_grow", "table_fill", "table_copy", "table_init", "elem_drop",
                 "call_indirect", "unreachable", "unpack_i32", "pack_i16"]:
        assert name in support.HELPERS


def test_f32_memory_helpers_keep_nan_bits():
    mem = bytearray(8)
    struct.pack_into("<I", mem, 0, 0x7FA00001)
    v = support.load_f32(mem, 0)
    assert f32_to_bits(v) == 0x7FA00001
    support.store_f32(mem, 4, v)
    assert struct.unpack_from("<I", mem, 4)[0] == 0x7FA00001
    support.store_f32(mem, 4, f32_from_bits(0x3F800000))
    assert support.load_f32(mem, 4) == 1.0
    with pytest.raises(struct.error):
        support.load_f32(mem, 5)


def test_bulk_memory_helpers_check_before_writing():
    mem = bytearray(16)
    with pytest.raises(Trap, match="out of bounds memory access"):
        support.memory_fill(mem, 10, 0xAB, 7)
    assert mem == bytearray(16)
    support.memory_fill(mem, 16, 1, 0)  # n = 0 at the end is fine
    with pytest.raises(Trap):
        support.memory_fill(mem, 17, 1, 0)
    support.memory_fill(mem, 0, 0x1FF, 4)
    assert mem[:5] == b"\xff\xff\xff\xff\0"
    support.memory_copy(mem, 2, 0, 4)  # overlapping
    assert mem[:7] == b"\xff\xff\xff\xff\xff\xff\0"
    with pytest.raises(Trap):
        support.memory_copy(mem, 0, 14, 4)
    cell = [b"hello"]
    with pytest.raises(Trap):
        support.memory_init(mem, cell, 0, 3, 3)
    support.memory_init(mem, cell, 10, 1, 4)
    assert mem[10:14] == b"ello"
    support.data_drop(cell)
    assert cell == [b""]
    m = Memory(1, 2)
    assert support.memory_grow(m, 1) == 1 and support.memory_grow(m, 1) == 0xFFFFFFFF


def test_table_helpers():
    T = [None] * 4
    with pytest.raises(Trap, match="out of bounds table access"):
        support.table_get(T, 4)
    with pytest.raises(Trap, match="out of bounds table access"):
        support.table_fill(T, 2, "x", 3)
    assert T == [None] * 4
    support.table_fill(T, 1, "x", 2)
    assert T == [None, "x", "x", None]
    support.table_copy(T, T, 2, 1, 2)
    assert T == [None, "x", "x", "x"]
    cell = [["a", "b"]]
    with pytest.raises(Trap):
        support.table_init(T, cell, 3, 0, 2)
    support.table_init(T, cell, 0, 1, 1)
    assert T[0] == "b"
    support.elem_drop(cell)
    assert cell == [[]]

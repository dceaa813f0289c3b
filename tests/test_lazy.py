"""Lazy compilation (`Runtime(lazy=True)`): `compile` decodes and validates the whole
module, and each function is translated on its first call.

What a user checks: the same results and traps as eager compilation; invalid modules
still fail at `compile`; only called functions are translated; after the first call
nothing of the laziness stays on the call path (namespaces, `Function`s, tables and
importing instances hold the real function); listeners, tail calls, tracebacks,
`source()`, pdb helpers, termination and threads work; the disk cache is used but not
filled. The spec files where function making matters also run lazily (test_spec.py).
"""

from __future__ import annotations

import threading

import pytest

import transpyle
from transpyle import Context, Interrupted, Runtime, Trap, ValidationError
from transpyle.debug import wasm_code
from transpyle.experimental import FunctionListener, FunctionListenerFactory

wasmtime = pytest.importorskip("wasmtime")


def wasm(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


LIB = wasm("""(module $lib
  (type $ii (func (param i32) (result i32)))
  (table (export "table") 4 funcref)
  (elem (i32.const 0) $inc $dbl $trap $fact)
  (func $inc (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func $dbl (export "dbl") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
  (func $trap (export "trap") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 0)))
  (func $fact (export "fact") (param i32) (result i32)
    (return_call $acc (local.get 0) (i32.const 1)))
  (func $acc (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $acc (i32.sub (local.get 0) (i32.const 1))
                              (i32.mul (local.get 0) (local.get 1))))))
  (func (export "pick") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
  (func (export "spin") (loop $l (br $l)))
  (func $unused (export "unused") (result i32) i32.const 7)
)""")

USER = wasm("""(module $user
  (import "lib" "inc" (func $inc (param i32) (result i32)))
  (func (export "twice") (param i32) (result i32) (call $inc (call $inc (local.get 0))))
)""")


def made(compiled) -> set[int]:
    return set(compiled.lazy._made)


def index_of(compiled, name: str) -> int:
    return compiled.func_index(name)


def test_same_results_as_eager_and_only_called_functions_are_translated():
    lazy, eager = Runtime(lazy=True), Runtime()
    lm = lazy.compile(LIB)
    assert lm.lazy is not None and made(lm) == set()
    li, ei = lazy.instantiate(lm), eager.instantiate(eager.compile(LIB))
    assert made(lm) == set()  # instantiating translates nothing
    for name, args in [("inc", (41,)), ("dbl", (21,)), ("fact", (10,)), ("pick", (5, 0)),
                       ("pick", (5, 1)), ("pick", (9, 3))]:
        assert li.exports[name](*args) == ei.exports[name](*args)
    called = {index_of(lm, n) for n in ("inc", "dbl", "fact", "pick")} | {4}  # 4: $acc
    assert made(lm) == called
    assert index_of(lm, "unused") not in made(lm)


def test_invalid_module_fails_at_compile():
    bad = wasm("(module (func (result i32) i64.const 1))")
    with pytest.raises(ValidationError):
        Runtime(lazy=True).compile(bad)


def test_traps_and_wasm_stack_from_a_lazily_made_function():
    rt = Runtime(lazy=True)
    inst = rt.instantiate(rt.compile(LIB))
    with pytest.raises(Trap, match="integer divide by zero") as info:
        inst.exports["pick"](1, 2)  # through the table to $trap, not made yet
    assert info.value.wasm_stack[0].startswith("lib.trap(i32) i32")
    with pytest.raises(Trap, match="undefined element"):
        inst.exports["pick"](1, 9)


def test_after_the_first_call_no_stub_stays_on_the_call_path():
    rt = Runtime(lazy=True)
    lib = rt.instantiate(rt.compile(LIB), name="lib")
    user = rt.instantiate(rt.compile(USER))
    inc = lib.exports["inc"]
    stub = inc.fn
    assert hasattr(stub, "_transpyle_materialize")
    assert user.exports["twice"](1) == 3  # the first call goes through user's copy
    i = index_of(lib.compiled, "inc")
    real = lib.namespace[f"f{i}"]
    assert not hasattr(real, "_transpyle_materialize") and real is not stub
    assert inc.fn is real  # the export (and so every table holding it)
    assert lib.tables[0].elements[0].fn is real
    assert user.namespace["f0"] is real  # the importing instance's copy
    # the table entry made before the first call is the same Function
    assert lib.exports["pick"](5, 0) == 6


def test_tail_calls_made_lazily_stay_flat():
    rt = Runtime(lazy=True, max_call_depth=200)
    inst = rt.instantiate(rt.compile(LIB))
    # 100,000 tail calls with a call depth limit of 200: no frame per hop
    assert inst.exports["fact"](100_000) == 0


def test_source_and_wasm_code_translate_on_demand():
    rt = Runtime(lazy=True)
    m = rt.compile(LIB)
    i = index_of(m, "dbl")
    assert i not in made(m)
    src = m.source("dbl")
    assert src.startswith("def dbl(") and i in made(m)
    inst = rt.instantiate(m)
    code = wasm_code(inst.exports["inc"])  # not called yet: made now
    assert code.co_filename.startswith("<wasm://lib@") and code.co_name == "inc"


class Counting(FunctionListenerFactory, FunctionListener):
    def __init__(self):
        self.events = []

    def new_listener(self, definition):
        return self

    def before(self, ctx, module, definition, params):
        self.events.append(("before", definition.name, list(params)))
        return ctx

    def after(self, ctx, module, definition, error, results):
        self.events.append(("after", definition.name, results))


def test_listeners_see_lazily_compiled_functions():
    rec = Counting()
    rt = Runtime(lazy=True, listener_factory=rec)
    inst = rt.instantiate(rt.compile(LIB))
    assert inst.exports["pick"](5, 1) == 10
    assert rec.events == [("before", "pick", [5, 1]), ("before", "dbl", [5]),
                          ("after", "dbl", [10]), ("after", "pick", [10])]


def test_close_on_context_done_interrupts_a_lazily_made_loop():
    rt = Runtime(lazy=True, close_on_context_done=True)
    inst = rt.instantiate(rt.compile(LIB))
    with pytest.raises(Interrupted):
        inst.exports["spin"](ctx=Context.background().with_timeout(0.05))


def test_threads_calling_first_at_once_translate_once():
    rt = Runtime(lazy=True)
    m = rt.compile(LIB)
    inst = rt.instantiate(m)
    barrier = threading.Barrier(8)
    results, errors = [], []

    def call():
        try:
            barrier.wait()
            results.append(inst.exports["fact"](12))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [479001600] * 8
    assert len(m.lazy._made) == 2  # fact and $acc, once


def test_two_instances_share_the_translation():
    rt = Runtime(lazy=True)
    m = rt.compile(LIB)
    a, b = rt.instantiate(m), rt.instantiate(m)
    assert a.exports["inc"](1) == 2
    code = a.exports["inc"].fn.__code__
    assert b.exports["inc"](2) == 3
    assert b.exports["inc"].fn.__code__ is code  # one code object, two functions
    assert b.exports["inc"].fn is not a.exports["inc"].fn


def test_disk_cache_is_used_but_not_filled(tmp_path):
    lazy = Runtime(lazy=True, cache_dir=tmp_path)
    assert lazy.instantiate(lazy.compile(LIB)).exports["inc"](1) == 2
    assert list(tmp_path.iterdir()) == []  # lazy compilations are not written
    eager = Runtime(cache_dir=tmp_path)
    eager.compile(LIB)
    assert len(list(tmp_path.glob("*.tpc"))) == 1
    again = Runtime(lazy=True, cache_dir=tmp_path).compile(LIB)
    assert again.from_disk and again.lazy is None  # the whole entry, as it is


def test_lazy_is_part_of_the_in_memory_cache_key():
    rt = Runtime(lazy=True)
    assert rt.compile(LIB) is rt.compile(LIB)
    eager = rt.engine.compile_module(LIB, None, False)
    assert eager.lazy is None and eager.code.factory is not None
    assert transpyle.Runtime().compile(LIB).lazy is None

"""Function listeners (`transpyle.experimental`) and the logging listener.

Includes the three cases wazero leaves open (experimental/listener.go's TODO and its
issue tracker): contexts nest across `call` and `call_indirect`, `after` receives the
very context `before` returned, and errors reach `after`.
"""

from __future__ import annotations

import io
import re
import textwrap

import pytest

import transpyle
from transpyle import F32, I32, Context, Func, Interrupted, Runtime, Trap
from transpyle.experimental import (
    FunctionDefinition,
    FunctionListener,
    FunctionListenerFactory,
    current_context,
)
from transpyle.experimental.logging import LoggingListenerFactory, format_value

wasmtime = pytest.importorskip("wasmtime")


def wasm(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


class Recorder(FunctionListenerFactory):
    """Listens to the functions `select` accepts; every before returns a new context
    whose "path" value extends the caller's."""

    def __init__(self, select=lambda d: True):
        self.select = select
        self.definitions: list[FunctionDefinition] = []
        self.events: list[tuple] = []

    def new_listener(self, definition):
        self.definitions.append(definition)
        return RecordingListener(self) if self.select(definition) else None

    def names(self, kind=None):
        return [(e[0], e[1]) for e in self.events if kind is None or e[0] == kind]


class RecordingListener(FunctionListener):
    def __init__(self, rec: Recorder):
        self.rec = rec

    def before(self, ctx, module, definition, params):
        new = ctx.with_value("path", (ctx.value("path") or ()) + (definition.name,))
        self.rec.events.append(("before", definition.name, ctx, new, list(params), module))
        return new

    def after(self, ctx, module, definition, error, results):
        self.rec.events.append(("after", definition.name, ctx, error, results, module))


TREE = """(module $tree
  (import "host" "boom" (func $boom (param i32) (result i32)))
  (type $ii (func (param i32) (result i32)))
  (table (export "table") 3 funcref)
  (elem (i32.const 0) $leaf $bad $boom)
  (func $leaf (param $x i32) (result i32) local.get $x i32.const 1 i32.add)
  (func $bad (param $x i32) (result i32) unreachable)
  (func $mid (param $x i32) (param $which i32) (result i32)
    (call_indirect (type $ii) (local.get $x) (local.get $which)))
  (func $top (export "top") (param $x i32) (param $which i32) (result i32)
    (call $mid (local.get $x) (local.get $which)))
)"""


class Boom(Exception):
    pass


def boom(x):
    raise Boom(x)


def tree(factory, rt=None):
    rt = rt or Runtime(listener_factory=factory)
    return rt.instantiate(wasm(TREE), imports={"host": {"boom": Func(boom, [I32], [I32])}})


# -- wazero's open cases ----------------------------------------------------------------


def test_contexts_nest_across_call_and_call_indirect():
    rec = Recorder()
    inst = tree(rec)
    root = Context.background().with_value("root", 1)
    assert inst.exports["top"](41, 0, ctx=root) == 42
    befores = [e for e in rec.events if e[0] == "before"]
    assert [e[1] for e in befores] == ["top", "mid", "leaf"]
    top, mid, leaf = befores
    assert top[2] is root  # the caller's context: the one the call was given
    assert mid[2] is top[3]  # `call`: mid's caller context is what top's before returned
    assert leaf[2] is mid[3]  # `call_indirect`: likewise
    assert leaf[3].value("path") == ("top", "mid", "leaf") and leaf[3].value("root") == 1
    assert rec.names() == [("before", "top"), ("before", "mid"), ("before", "leaf"),
                           ("after", "leaf"), ("after", "mid"), ("after", "top")]


def test_after_receives_the_context_before_returned():
    rec = Recorder()
    inst = tree(rec)
    inst.exports["top"](1, 0)
    returned = {e[1]: e[3] for e in rec.events if e[0] == "before"}
    for e in rec.events:
        if e[0] == "after":
            assert e[2] is returned[e[1]]
            assert e[3] is None and e[4] == [2]  # no error; the raw results
    assert current_context() is Context.background()  # restored after the call


def test_errors_reach_after_innermost_first():
    rec = Recorder()
    inst = tree(rec)
    with pytest.raises(Trap, match="unreachable") as info:
        inst.exports["top"](1, 1)
    afters = [e for e in rec.events if e[0] == "after"]
    assert [e[1] for e in afters] == ["bad", "mid", "top"]
    # every listener sees the same Trap object, and so does the caller
    assert all(e[3] is info.value for e in afters) and all(e[4] is None for e in afters)
    assert [f.split("(")[0] for f in info.value.wasm_stack[:3]] == ["tree.bad", "tree.mid", "tree.top"]
    # an error the generated code raises (here: a division by zero) is translated once
    rec.events.clear()
    rt = Runtime(listener_factory=rec)
    div = rt.instantiate(wasm("""(module $d
      (func $div (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
      (func (export "f") (param i32 i32) (result i32) (call $div (local.get 0) (local.get 1))))"""))
    with pytest.raises(Trap, match="integer divide by zero") as info:
        div.exports["f"](1, 0)
    afters = [e for e in rec.events if e[0] == "after"]
    assert len(afters) == 2 and all(e[3] is info.value for e in afters)


def test_host_exceptions_reach_after_unchanged():
    rec = Recorder()
    inst = tree(rec)
    with pytest.raises(Boom) as info:
        inst.exports["top"](5, 2)
    afters = [e for e in rec.events if e[0] == "after"]
    assert [e[1] for e in afters] == ["boom", "mid", "top"]  # the host function too
    assert all(e[3] is info.value for e in afters)
    assert inst.exports["top"](1, 0) == 2  # still usable


# -- which calls fire --------------------------------------------------------------------


def test_every_kind_of_call_fires():
    rec = Recorder(lambda d: d.name == "leaf")
    inst = tree(rec)
    leaf = inst.exports["table"].get(0)
    assert leaf(1) == 2  # from Python, through a table entry
    assert inst.exports["top"](1, 0) == 2  # call_indirect
    user = Runtime().instantiate(wasm("""(module
      (import "t" "table" (table 3 funcref))
      (type $ii (func (param i32) (result i32)))
      (func (export "via") (param i32) (result i32)
        (call_indirect (type $ii) (local.get 0) (i32.const 0))))"""),
        imports={"t": {"table": inst.exports["table"]}})
    assert user.exports["via"](1) == 2  # another instance, through the shared table
    other = Runtime().instantiate(wasm("""(module
      (import "t" "leaf" (func $leaf (param i32) (result i32)))
      (func (export "direct") (param i32) (result i32) (call $leaf (local.get 0))))"""),
        imports={"t": {"leaf": leaf}})
    assert other.exports["direct"](1) == 2  # another instance, a direct call of an import
    assert rec.names("before") == [("before", "leaf")] * 4
    assert len(rec.names("after")) == 4


def test_unlistened_functions_are_the_raw_generated_functions():
    rec = Recorder(lambda d: d.name == "leaf")
    inst = tree(rec)
    ns = inst.namespace
    # f0 is the host import, f1 leaf (listened), f2 bad, f3 mid, f4 top
    assert ns["f1"].__code__.co_filename.startswith("<transpyle boundary: listener")
    for i in (2, 3, 4):
        assert ns[f"f{i}"].__code__.co_filename.startswith("<wasm://")
    assert inst.exports["top"].fn is ns["f4"]
    assert inst.exports["table"].get(0).fn is ns["f1"]  # the table holds the wrapper
    # without a factory nothing is wrapped at all
    plain = tree(None, Runtime())
    assert plain.namespace["f1"].__code__.co_filename.startswith("<wasm://")


def test_factory_is_asked_once_per_function_per_instantiation():
    rec = Recorder(lambda d: False)
    rt = Runtime(listener_factory=rec)
    tree(rec, rt)
    by_index = {d.index: d for d in rec.definitions}
    assert sorted(by_index) == [0, 1, 2, 3, 4] and len(rec.definitions) == 5
    host, leaf, top = by_index[0], by_index[1], by_index[4]
    assert host.is_host and host.name == "boom" and host.module_name == "host"
    assert host.import_name == ("host", "boom") and host.debug_name == "host.boom"
    assert not leaf.is_host and leaf.module_name == "tree" and leaf.param_names == ("x",)
    assert leaf.type == transpyle.FuncType([I32], [I32]) and leaf.export_names == ()
    assert top.export_names == ("top",) and top.param_names == ("x", "which")
    assert top.debug_name == "tree.top"
    tree(rec, rt)
    assert len(rec.definitions) == 10  # asked again for the second instance
    # imported wasm functions are not asked about again: their exporter's listener fires
    rec2 = Recorder()
    rt2 = Runtime(listener_factory=rec2)
    lib = rt2.instantiate(wasm('(module $lib (func (export "f") (result i32) i32.const 7))'),
                          name="lib")
    user = rt2.instantiate(wasm("""(module $user (import "lib" "f" (func $f (result i32)))
      (func (export "g") (result i32) call $f))"""))
    assert [(d.module_name, d.name) for d in rec2.definitions] == [("lib", "f"), ("user", "g")]
    assert user.exports["g"]() == 7 and lib.exports["f"]() == 7
    assert rec2.names("before") == [("before", "g"), ("before", "f"), ("before", "f")]


def test_factory_as_callable_and_invalid_listeners():
    seen = []
    rt = Runtime(listener_factory=lambda d: seen.append(d.name))
    tree(None, rt)
    assert sorted(seen) == ["bad", "boom", "leaf", "mid", "top"]
    with pytest.raises(TypeError, match="before"):
        tree(None, Runtime(listener_factory=lambda d: object()))


def test_params_and_results_are_raw():
    rec = Recorder()
    inst = Runtime(listener_factory=rec).instantiate(wasm("""(module
      (func (export "fid") (param f32 i32 i64 f64) (result f32 i32 i64 f64)
        local.get 0 local.get 1 local.get 2 local.get 3))"""))
    out = inst.exports["fid"].call_raw(0x7FA00001, 0xFFFFFFFF, 2**64 - 2, 0x7FF4000000000001)
    assert out == [0x7FA00001, 0xFFFFFFFF, 2**64 - 2, 0x7FF4000000000001]
    (before,) = [e for e in rec.events if e[0] == "before"]
    (after,) = [e for e in rec.events if e[0] == "after"]
    assert before[4] == out and after[4] == out
    inst.exports["fid"](1.5, -1, -2, 2.5)
    assert rec.events[-2][4] == [0x3FC00000, 0xFFFFFFFF, 2**64 - 2, 0x4004000000000000]


def test_recursion_pairs_every_before_with_one_after():
    class Stack(FunctionListenerFactory, FunctionListener):
        def __init__(self):
            self.stack, self.pairs, self.max = [], 0, 0

        def new_listener(self, d):
            return self

        def before(self, ctx, module, d, params):
            new = ctx.with_value("n", params[0])
            self.stack.append(new)
            self.max = max(self.max, len(self.stack))
            return new

        def after(self, ctx, module, d, error, results):
            assert self.stack.pop() is ctx
            self.pairs += 1

    s = Stack()
    inst = Runtime(listener_factory=s).instantiate(wasm("""(module
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"""))
    assert inst.exports["fib"](15) == 610
    assert s.pairs == 1973 and s.stack == [] and s.max == 15


def test_listener_exceptions_reach_the_caller():
    class Bad(FunctionListener):
        def __init__(self, where):
            self.where = where

        def before(self, ctx, module, d, params):
            if self.where == "before" and d.name == "leaf":
                raise Boom("before")
            return ctx

        def after(self, ctx, module, d, error, results):
            if self.where == "after" and d.name == "leaf":
                raise Boom("after")

    for where in ("before", "after"):
        inst = tree(lambda d, w=where: Bad(w))
        with pytest.raises(Boom, match=where):
            inst.exports["top"](1, 0)
        with pytest.raises(Boom, match=where):
            inst.exports["table"].get(0)(1)
        assert current_context() is Context.background()
        with pytest.raises(Trap, match="unreachable"):  # still usable
            inst.exports["top"](1, 1)


# -- host functions and contexts ---------------------------------------------------------

HOST_CALLBACK = """(module $cb
  (import "host" "h" (func $h (param i32) (result i32)))
  (func (export "outer") (param i32) (result i32) (call $h (local.get 0)))
  (func $inner (export "inner") (param i32) (result i32) local.get 0 i32.const 100 i32.add)
)"""


def test_host_listener_and_context_continuation():
    rec = Recorder()
    rt = Runtime(listener_factory=rec)
    box = {}
    seen = []

    def h(x):
        seen.append(current_context())
        return box["inner"](x)  # no ctx: continues the running call's context

    inst = rt.instantiate(wasm(HOST_CALLBACK), imports={"host": {"h": Func(h, [I32], [I32])}})
    box["inner"] = inst.exports["inner"]
    root = Context.background().with_value("root", True)
    assert inst.exports["outer"](1, ctx=root) == 101
    befores = {e[1]: e for e in rec.events if e[0] == "before"}
    assert rec.names() == [("before", "outer"), ("before", "h"), ("before", "inner"),
                           ("after", "inner"), ("after", "h"), ("after", "outer")]
    assert befores["h"][2] is befores["outer"][3]
    assert seen == [befores["h"][3]]  # the host function runs in its listener's context
    assert befores["inner"][2] is befores["h"][3]  # and the callback continues it
    assert befores["h"][5] is inst  # a host function's module: the importing instance
    # calling the host function's table/Function wrapper from Python fires it too
    assert current_context() is Context.background()


def test_host_function_reexported_fires_once():
    rec = Recorder()
    rt = Runtime(listener_factory=rec)
    lib = rt.instantiate(wasm("""(module $lib
      (import "host" "neg" (func $neg (param i32) (result i32)))
      (export "neg" (func $neg)))"""),
        imports={"host": {"neg": Func(lambda x: -x, [I32], [I32])}}, name="lib")
    user = rt.instantiate(wasm("""(module $user
      (import "lib" "neg" (func $neg (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (call $neg (local.get 0))))"""))
    assert user.exports["f"](5) == -5
    assert rec.names("before") == [("before", "f"), ("before", "neg")]
    assert lib.exports["neg"](3) == -3


# -- tail calls -----------------------------------------------------------------------------

TAIL = """(module $tail
  (type $ii (func (param i32) (result i32)))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $target $countdown)
  (func $target (param i32) (result i32) local.get 0 i32.const 10 i32.add)
  (func $countdown (export "countdown") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 100))
      (else (return_call $countdown (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "rc") (param i32) (result i32) (return_call $target (local.get 0)))
  (func (export "rc_tail") (param i32) (result i32) (return_call $countdown (local.get 0)))
  (func (export "rci") (param i32 i32) (result i32)
    (return_call_indirect (type $ii) (local.get 0) (local.get 1)))
)"""


def test_tail_calls_to_listened_functions_fire():
    rec = Recorder(lambda d: d.name in ("target", "countdown"))
    inst = Runtime(listener_factory=rec).instantiate(wasm(TAIL))
    assert inst.exports["rc"](1) == 11
    assert rec.names() == [("before", "target"), ("after", "target")]
    rec.events.clear()
    assert inst.exports["rc_tail"](3) == 100  # return_call into a function with tail calls
    assert rec.names("before") == [("before", "countdown")] * 4
    assert rec.names("after") == [("after", "countdown")] * 4
    rec.events.clear()
    assert inst.exports["rci"](5, 0) == 15 and inst.exports["rci"](2, 1) == 100
    assert rec.names("before") == [("before", "target")] + [("before", "countdown")] * 3
    assert inst.exports["table"].get(1).body is None  # indirect tail calls use the wrapper
    assert inst.exports["countdown"](2) == 100


def test_unlistened_tail_calls_stay_flat():
    rec = Recorder(lambda d: d.name == "target")
    inst = Runtime(listener_factory=rec).instantiate(wasm(TAIL))
    assert inst.exports["rc_tail"](200000) == 100  # far deeper than the recursion limit
    assert inst.exports["rci"](200000, 1) == 100
    assert inst.exports["table"].get(1).body is not None
    assert rec.events == []


# -- listeners and termination ----------------------------------------------------------------


def test_listener_can_give_a_call_a_deadline():
    class Deadline(FunctionListenerFactory, FunctionListener):
        errors = []

        def new_listener(self, d):
            return self if d.name == "spin" else None

        def before(self, ctx, module, d, params):
            return ctx.with_timeout(0.05)

        def after(self, ctx, module, d, error, results):
            self.errors.append(error)

    f = Deadline()
    rt = Runtime(listener_factory=f, close_on_context_done=True)
    inst = rt.instantiate(wasm("""(module
      (func $spin (export "spin") (loop $l (br $l)))
      (func (export "outer") (call $spin)))"""))
    with pytest.raises(Interrupted, match="deadline") as info:
        inst.exports["outer"]()
    assert f.errors == [info.value]


# -- the timing interceptor of the docs ------------------------------------------------------


def test_timing_example_from_the_docs():
    doc = transpyle.experimental.__doc__
    block = doc.split("exclusive time), with\nthe timing frame carried in the context::\n")[1]
    code = textwrap.dedent(block.split("\n`transpyle.experimental.logging")[0])
    data = wasm("""(module $app
      (func $work (param i32) (result i32) (local $s i32)
        (block $d (loop $l (br_if $d (i32.eqz (local.get 0)))
          (local.set $s (i32.add (local.get $s) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
        local.get $s)
      (func (export "main") (result i32)
        (i32.add (call $work (i32.const 1000)) (call $work (i32.const 10)))))""")
    out = io.StringIO()
    ns = {"transpyle": transpyle, "wasm_bytes": data, "print": lambda *a: print(*a, file=out)}
    exec(compile(code, "<listeners doc example>", "exec"), ns)  # noqa: S102
    timing = ns["timing"]
    assert timing.calls == {"app.main": 1, "app.work": 2}
    # own time is total time minus the callees' total time: nested correctly
    assert timing.own["app.main"] == pytest.approx(
        timing.total["app.main"] - timing.total["app.work"], abs=1e-9)
    assert timing.own["app.work"] == pytest.approx(timing.total["app.work"], abs=1e-12)
    assert "app.main" in out.getvalue()


# -- the logging listener --------------------------------------------------------------------

CALC = """(module $calc
  (import "env" "log" (func $log (param i32)))
  (type $t (func (param i32) (result i32)))
  (table 2 funcref) (elem (i32.const 0) $square $boom)
  (func $square (param $x i32) (result i32) local.get $x local.get $x i32.mul)
  (func $boom (param $x i32) (result i32) unreachable)
  (func $main (export "main") (param $n i32) (result i32)
    (call $log (i32.const -2))
    (call_indirect (type $t) (local.get $n) (i32.const 0)))
  (func (export "bad") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0) (i32.const 1)))
  (func (export "pair") (param f32 f64) (result f32 f64) local.get 0 local.get 1)
)"""


def calc(factory):
    rt = Runtime(listener_factory=factory)
    return rt.instantiate(wasm(CALC), imports={"env": {"log": Func(lambda x: None, [I32], [])}})


def test_logging_listener_prints_the_call_tree():
    out = io.StringIO()
    inst = calc(LoggingListenerFactory(out))
    assert inst.exports["main"](3) == 9
    with pytest.raises(Trap):
        inst.exports["bad"](7)
    inst.exports["pair"](1.5, -0.25)
    assert out.getvalue() == textwrap.dedent("""\
        --> calc.main(n=3)
        \t==> env.log(-2)
        \t<==
        \t--> calc.square(x=3)
        \t<-- 9
        <-- 9
        --> calc.bad(7)
        \t--> calc.boom(x=7)
        \t<-- error: unreachable
        <-- error: unreachable
        --> calc.pair(1.5,-0.25)
        <-- (1.5,-0.25)
        """)


def test_logging_listener_filters_and_colours():
    out = io.StringIO()
    inst = calc(LoggingListenerFactory(out, pattern="square, env.*"))
    inst.exports["main"](2)
    assert out.getvalue() == "==> env.log(-2)\n<==\n--> calc.square(x=2)\n<-- 4\n"
    out = io.StringIO()
    inst = calc(LoggingListenerFactory(out, host_only=True, indent="  "))
    inst.exports["main"](2)
    assert out.getvalue() == "--> calc.main(n=2)\n  ==> env.log(-2)\n  <==\n<-- 4\n"
    out = io.StringIO()
    inst = calc(LoggingListenerFactory(out, pattern="main", color=True))
    inst.exports["main"](2)
    text = out.getvalue()
    assert "\x1b[" in text and re.sub(r"\x1b\[[0-9;]*m", "", text) == \
        "--> calc.main(n=2)\n<-- 4\n"


def test_format_value():
    assert format_value(I32, 0xFFFFFFFF) == "-1"
    assert format_value(transpyle.I64, 2**63) == str(-(2**63))
    assert format_value(F32, 0x3DCCCCCD) == "0.1"
    assert format_value(F32, 0x7FC00001) == "nan:0x7fc00001"
    assert format_value(F32, 0xFF800000) == "-inf"
    assert format_value(transpyle.F64, 0x3FB999999999999A) == "0.1"
    assert format_value(transpyle.V128, 1) == "0x" + "0" * 31 + "1"
    assert format_value(transpyle.FUNCREF, None) == "null"
    assert format_value(transpyle.EXTERNREF, "x") == "'x'"


def test_listened_tail_functions_with_termination_checks():
    from transpyle import engine as engine_mod

    rec = Recorder(lambda d: d.name == "countdown")
    rt = Runtime(listener_factory=rec, close_on_context_done=True)
    inst = rt.instantiate(wasm(TAIL))
    assert inst.exports["rc_tail"](3) == 100
    (holder,) = inst.module_engine._private_namespaces
    assert holder.namespace["_interrupt"] is False
    assert holder in engine_mod.INTERRUPTER.instances
    assert inst.exports["countdown"](5, ctx=Context.background().with_timeout(60)) == 100

"""Contexts: values, deadlines, cancellation, the running call's context, and
`Runtime(close_on_context_done=True)` stopping calls (infinite loops included).

Tests that run an infinite wasm loop arm a SIGALRM safety net first: if the
termination check failed, the alarm's handler raises in the main thread (Python runs
signal handlers between bytecodes, so even the generated loop is interrupted) and the
test fails instead of hanging. No test asserts a timing.
"""

from __future__ import annotations

import signal
import sys
import threading
import time

import pytest

import transpyle
from transpyle import Context, Func, I32, Interrupted, Runtime, Trap
from transpyle import engine as engine_mod
from transpyle.experimental import current_context
from transpyle.experimental.context import CANCELLED, DEADLINE_EXCEEDED

wasmtime = pytest.importorskip("wasmtime")


def wasm(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


class Hang(Exception):
    pass


@pytest.fixture
def safety_net():
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        pytest.skip("needs SIGALRM in the main thread")

    def on_alarm(signum, frame):
        raise Hang("the call was not interrupted")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 60)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


SPIN = """(module $spin
  (import "host" "call_back" (func $cb (param i32) (result i32)))
  (global $count (export "count") (mut i32) (i32.const 0))
  (func $spin (export "spin")
    (loop $l
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (br $l)))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $d (loop $l (br_if $d (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    local.get $s)
  (func (export "via_host") (param i32) (result i32) (call $cb (local.get 0)))
  (func (export "nested_spin") (call $spin))
)"""


def spin_instance(rt, call_back=None):
    cb = Func(call_back or (lambda x: x), [I32], [I32])
    return rt.instantiate(wasm(SPIN), imports={"host": {"call_back": cb}})


def settled():
    """The termination flags are down again (no call with a done context is running)."""
    return engine_mod._pending is False and not engine_mod.INTERRUPTER.fired


# -- Context ------------------------------------------------------------------------------


def test_context_values_and_derivation():
    bg = Context.background()
    assert bg is Context.background() and bg.value("k") is None and bg.err() is None
    assert not bg.cancellable and bg.deadline is None and not bg.done()
    a = bg.with_value("k", 1)
    b = a.with_value("k", 2).with_value("j", 3)
    assert (a.value("k"), b.value("k"), b.value("j"), a.value("j", "d")) == (1, 2, 3, "d")
    assert bg.value("k") is None  # deriving never mutates
    assert "'k'=1" in repr(a)


def test_deadlines():
    now = time.monotonic()
    near = Context.background().with_timeout(100)
    far_child = near.with_timeout(1000)
    assert far_child.deadline == near.deadline  # a child never extends its parent
    assert near.cancellable and now + 99 < near.deadline <= time.monotonic() + 100
    past = Context.background().with_deadline(time.monotonic() - 1)
    assert past.err() == DEADLINE_EXCEEDED and past.done()
    assert past.with_value("x", 1).done()


def test_cancellation_and_callbacks():
    parent, cancel_parent = Context.background().with_cancel()
    child, cancel_child = parent.with_value("v", 1).with_cancel()
    calls = []
    remove = child.on_cancel(lambda: calls.append("kept"))
    removed = child.on_cancel(lambda: calls.append("removed"))
    removed()
    assert child.err() is None
    cancel_parent()
    assert child.err() == CANCELLED and parent.err() == CANCELLED
    assert calls == ["kept"]
    cancel_parent()  # idempotent
    assert calls == ["kept"]
    late = []
    child.on_cancel(lambda: late.append(1))  # already cancelled: runs at once
    assert late == [1]
    remove()
    sibling, cancel = Context.background().with_cancel()
    cancel_child()
    assert sibling.err() is None
    assert Context.background().on_cancel(lambda: None)() is None  # nothing to cancel


# -- the running call's context -----------------------------------------------------------


def test_function_ctx_reaches_host_functions_and_callbacks():
    seen = []
    box = {}

    def call_back(x):
        seen.append(current_context())
        if x > 0:
            return box["via_host"](x - 1)  # no ctx: continues the running context
        return 7

    rt = Runtime()
    inst = spin_instance(rt, call_back)
    box["via_host"] = inst.exports["via_host"]
    ctx = Context.background().with_value("request", 42)
    assert inst.exports["via_host"](2, ctx=ctx) == 7
    assert seen == [ctx, ctx, ctx]
    assert current_context() is Context.background()
    seen.clear()
    assert inst.exports["via_host"].call_raw(0, ctx=ctx) == [7]
    assert seen == [ctx]
    seen.clear()
    inst.exports["via_host"](0)  # no ctx, outside any call: the background context
    assert seen == [Context.background()]
    # an explicit ctx inside a call replaces the running one for that call only
    inner = Context.background().with_value("inner", 1)

    def switching(x):
        seen.append(current_context())
        if x:
            box["via_host2"](0, ctx=inner)
            seen.append(current_context())
        return 0

    inst2 = spin_instance(Runtime(), switching)
    box["via_host2"] = inst2.exports["via_host"]
    seen.clear()
    inst2.exports["via_host"](1, ctx=ctx)
    assert seen == [ctx, inner, ctx]


def test_ctx_must_be_a_context():
    inst = spin_instance(Runtime())
    with pytest.raises(TypeError, match="Context"):
        inst.exports["sum"](3, ctx={"not": "a context"})


def test_context_is_per_thread():
    seen = {}
    barrier = threading.Barrier(2)

    def call_back(x):
        barrier.wait()  # both threads are inside a call at once
        seen[x] = current_context().value("who")
        return x

    inst = spin_instance(Runtime(), call_back)
    f = inst.exports["via_host"]
    threads = [threading.Thread(target=lambda i=i: f(i, ctx=Context.background()
                                                      .with_value("who", i)))
               for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {1: 1, 2: 2}


# -- close_on_context_done ----------------------------------------------------------------


def test_deadline_stops_an_infinite_loop(safety_net):
    inst = spin_instance(Runtime(close_on_context_done=True))
    with pytest.raises(Interrupted, match="deadline exceeded") as info:
        inst.exports["spin"](ctx=Context.background().with_timeout(0.05))
    assert isinstance(info.value, Trap) and issubclass(transpyle.Interrupted, Trap)
    assert info.value.wasm_stack == ["spin.spin()"]  # wazero format: name(params) results
    assert inst.exports["count"].value > 0
    assert settled() and inst.namespace["_interrupt"] is False
    assert inst.exports["sum"](100) == 5050  # the instance stays usable


def test_deadline_stops_recursion_without_loops(safety_net):
    """The check also runs at function entry: exponential recursion, no loop at all."""
    wasm = wasmtime.wat2wasm("""(module (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2))))))))""")
    rt = Runtime(close_on_context_done=True)
    inst = rt.instantiate(rt.compile(wasm))
    assert "if _interrupt: check_termination()" in rt.compile(wasm).source("fib")
    with pytest.raises(Interrupted, match="deadline exceeded"):
        inst.exports["fib"](60, ctx=Context.background().with_timeout(0.05))
    assert settled()
    assert inst.exports["fib"](15) == 610


def test_cancel_from_another_thread_stops_a_loop(safety_net):
    inst = spin_instance(Runtime(close_on_context_done=True))
    ctx, cancel = Context.background().with_cancel()
    timer = threading.Timer(0.05, cancel)
    timer.start()
    with pytest.raises(Interrupted, match="cancelled"):
        inst.exports["nested_spin"](ctx=ctx)
    timer.join()
    assert settled()


def test_a_done_context_does_not_start_the_call():
    inst = spin_instance(Runtime(close_on_context_done=True))
    ctx, cancel = Context.background().with_cancel()
    cancel()
    before = inst.exports["count"].value
    with pytest.raises(Interrupted, match="cancelled"):
        inst.exports["spin"](ctx=ctx)
    with pytest.raises(Interrupted, match="deadline"):
        inst.exports["spin"](ctx=Context.background().with_deadline(0))
    assert inst.exports["count"].value == before and settled()


def test_host_callback_continues_the_watched_context(safety_net):
    box = {}
    inst = spin_instance(Runtime(close_on_context_done=True),
                         lambda x: box["spin"]() or 0)  # calls back in without a ctx
    box["spin"] = inst.exports["spin"]
    with pytest.raises(Interrupted):
        inst.exports["via_host"](1, ctx=Context.background().with_timeout(0.05))
    assert settled()


def test_other_calls_are_not_disturbed(safety_net):
    """One thread's deadline interrupts that thread's call only; a call without a
    context running at the same time completes with the right result."""
    rt = Runtime(close_on_context_done=True)
    inst = spin_instance(rt)
    results = {}

    def long_sum():
        results["sum"] = [inst.exports["sum"](200000) for _ in range(5)]

    t = threading.Thread(target=long_sum)
    t.start()
    with pytest.raises(Interrupted):
        inst.exports["spin"](ctx=Context.background().with_timeout(0.05))
    t.join()
    expected = ((200000 * 200001 // 2 & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
    assert results["sum"] == [expected] * 5
    assert settled()


def test_without_the_option_nothing_is_checked():
    rt = Runtime()
    inst = spin_instance(rt)
    assert "check_termination" not in inst.compiled.source("spin")
    assert "check_termination" not in inst.namespace
    ctx, cancel = Context.background().with_cancel()
    cancel()
    assert inst.exports["sum"](10, ctx=ctx) == 55  # a done context is just a context
    checked = spin_instance(Runtime(close_on_context_done=True))
    assert "check_termination" in checked.compiled.source("spin")


def test_many_calls_with_one_long_lived_context_do_not_accumulate():
    inst = spin_instance(Runtime(close_on_context_done=True))
    ctx, cancel = Context.background().with_timeout(3600).with_cancel()
    for _ in range(2000):
        assert inst.exports["sum"](3, ctx=ctx) == 6
    assert ctx._canceller.callbacks == []
    assert len(engine_mod.INTERRUPTER.heap) < 1000
    cancel()
    with pytest.raises(Interrupted):
        inst.exports["sum"](3, ctx=ctx)
    assert settled()

"""Fuel (`Runtime(fuel=N)`): a deterministic budget counted at function entries and
loop iterations, the trap "all fuel consumed", refilling, and no fuel code without it."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

import transpyle
from transpyle.experimental import FunctionListener, FunctionListenerFactory

wasmtime = pytest.importorskip("wasmtime", reason="the wasmtime test extra builds the WAT")

ROOT = Path(__file__).resolve().parents[1]
WAT = """(module $fuel
  (func $spin (export "spin") (loop $l (br $l)))
  (func $count (export "count") (param $n i32) (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $forever (export "forever") (call $forever)))
"""


@pytest.fixture(scope="module")
def wasm():
    return wasmtime.wat2wasm(WAT)


def make(wasm, fuel, **kw):
    rt = transpyle.Runtime(fuel=fuel, **kw)
    return rt, rt.instantiate(wasm)


def test_infinite_loop_stops_with_the_same_count_every_run(wasm):
    rt, inst = make(wasm, 10_000)
    for _ in range(3):
        rt.set_fuel(10_000)
        with pytest.raises(transpyle.Trap) as info:
            inst.exports["spin"]()
        assert str(info.value).startswith("all fuel consumed")
        assert info.value.message == "all fuel consumed"
        assert "fuel.spin()" in str(info.value)  # the wasm stack trace
        assert rt.get_fuel() == 0


def test_one_unit_per_function_entry_and_loop_iteration(wasm):
    rt, inst = make(wasm, 1000)
    assert inst.exports["count"](10) == 10
    assert rt.get_fuel() == 1000 - (1 + 11)  # entry, 11 loop headers (the last exits)
    rt.set_fuel(1000)
    assert inst.exports["fib"](10) == 55
    assert rt.get_fuel() == 1000 - 177  # fib(10) makes 177 calls and has no loop


def test_exact_budget_is_enough_and_one_less_traps(wasm):
    rt, inst = make(wasm, 12)
    assert inst.exports["count"](10) == 10 and rt.get_fuel() == 0
    rt.set_fuel(11)
    with pytest.raises(transpyle.Trap, match="^all fuel consumed"):
        inst.exports["count"](10)


def test_recursion_without_loops_runs_out_too(wasm):
    rt, inst = make(wasm, 500)
    with pytest.raises(transpyle.Trap, match="^all fuel consumed"):
        inst.exports["forever"]()
    assert rt.get_fuel() == 0


def test_topping_up_after_the_trap(wasm):
    rt, inst = make(wasm, 5)
    with pytest.raises(transpyle.Trap):
        inst.exports["count"](100)
    assert rt.add_fuel(200) == 200
    assert inst.exports["count"](100) == 100
    assert rt.get_fuel() == 200 - 102
    assert rt.add_fuel(2) == 100


def test_one_budget_for_every_instance_of_the_runtime(wasm):
    rt, a = make(wasm, 100)
    b = rt.instantiate(wasm)
    a.exports["count"](10)
    b.exports["count"](10)
    assert rt.get_fuel() == 100 - 24


def test_lazy_runtime_and_listeners_count_the_same(wasm):
    class Listener(FunctionListener):
        def before(self, ctx, module, definition, params):
            return ctx

        def after(self, ctx, module, definition, error, results):
            errors.append(error)

    class Factory(FunctionListenerFactory):
        def new_listener(self, definition):
            return Listener()

    errors = []
    for kw in ({"lazy": True}, {"listener_factory": Factory()}):
        rt, inst = make(wasm, 1000, **kw)
        assert inst.exports["count"](10) == 10
        assert rt.get_fuel() == 1000 - 12
        rt.set_fuel(3)
        with pytest.raises(transpyle.Trap, match="^all fuel consumed"):
            inst.exports["spin"]()
    assert isinstance(errors[-1], transpyle.Trap) and errors[-1].message == "all fuel consumed"


def test_threads_share_the_budget_exactly(wasm):
    rt, inst = make(wasm, 10**6)
    f = inst.exports["count"]

    def work():
        for _ in range(50):
            f(100)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rt.get_fuel() == 10**6 - 4 * 50 * 102  # next() on the budget is atomic


def test_no_fuel_code_without_fuel(wasm):
    rt = transpyle.Runtime()
    module = rt.compile(wasm)
    assert "_fuel" not in module.source("count")
    with pytest.raises(RuntimeError, match="fuel is not enabled"):
        rt.get_fuel()
    fueled = transpyle.Runtime(fuel=10).compile(wasm)
    assert "next(_fuel)" in fueled.source("count")
    assert fueled.source("count").count("next(_fuel)") == 2  # entry, loop header
    with pytest.raises(transpyle.LinkError, match="compiled with fuel"):
        rt.instantiate(fueled)


def test_fuel_is_part_of_the_disk_cache_key(wasm, tmp_path):
    plain = transpyle.Runtime(cache_dir=tmp_path).compile(wasm)
    fueled = transpyle.Runtime(cache_dir=tmp_path, fuel=50).compile(wasm)
    assert "next(_fuel)" in fueled.source("count") and "_fuel" not in plain.source("count")
    again = transpyle.Runtime(cache_dir=tmp_path, fuel=50).compile(wasm)
    assert again.from_disk and again.fuel
    rt = transpyle.Runtime(fuel=50)
    assert rt.instantiate(again).exports["count"](3) == 3  # a fuel module from the cache
    assert len(list(tmp_path.glob("*.tpc"))) == 2


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10", sys.maxsize + 1])
def test_bad_fuel_values(bad):
    with pytest.raises(ValueError, match="fuel must be"):
        transpyle.Runtime(fuel=bad)
    with pytest.raises(ValueError, match="fuel must be"):
        transpyle.Runtime(fuel=0).set_fuel(bad)


def test_cli_run_fuel(wasm, tmp_path):
    path = tmp_path / "fuel.wasm"
    path.write_bytes(wasm)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "transpyle", "run", "--no-cache", *args],
                              capture_output=True, text=True, timeout=120)

    r = run(str(path), "--fuel", "1000", "--invoke", "spin")
    assert r.returncode == 1
    assert r.stderr.startswith("error: wasm trap: all fuel consumed\n")
    assert "fuel: 0 of 1000 left" in r.stderr
    r = run(str(path), "--fuel", "100", "--invoke", "count", "5")
    assert r.returncode == 0 and r.stdout == "5\n" and "fuel: 93 of 100 left" in r.stderr
    r = run(str(ROOT / "examples" / "hello.wasm"), "--fuel", "10")
    assert r.returncode == 134 and "all fuel consumed" in r.stderr
    r = run(str(path), "--fuel", "-3", "--invoke", "spin")
    assert r.returncode == 2 and "expected a non-negative integer" in r.stderr

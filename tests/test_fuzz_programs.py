"""Whole random modules against wasmtime (tests/fuzz), and the cases it has found.

The bounded run here is seeded and reproducible: TRANSPYLE_FUZZ_MODULES sets how many
modules (default 400, a few seconds), TRANSPYLE_FUZZ_SEED the first seed. A mismatch is
reduced (30 s at most) and the test fails with the reduced module's text; longer runs
are `python -m tests.fuzz --minutes 30`.
"""

from __future__ import annotations

import os

import pytest

wasmtime = pytest.importorskip("wasmtime", reason="wasmtime (a test extra) is the oracle")

import transpyle  # noqa: E402
from fuzz.check import Mismatch, Oracle, Subject, check  # noqa: E402
from fuzz.choices import Choices  # noqa: E402
from fuzz.gen import generate  # noqa: E402
from fuzz.reduce import reduce  # noqa: E402

MODULES = int(os.environ.get("TRANSPYLE_FUZZ_MODULES", "400"))
FIRST_SEED = int(os.environ.get("TRANSPYLE_FUZZ_SEED", "20261204"))


@pytest.fixture(scope="module")
def engines():
    return Oracle(), Subject()


def test_random_programs(engines, tmp_path):
    oracle, subject = engines
    calls = 0
    for seed in range(FIRST_SEED, FIRST_SEED + MODULES):
        program = generate(Choices(seed))
        debug = seed % 8 == 7
        mismatch, n = check(program, oracle, subject, debug=debug)
        calls += n
        if mismatch is not None:
            _, small, m = reduce(program.choices, mismatch.kind, debug=debug, seconds=30,
                                 oracle=oracle, subject=subject)
            (tmp_path / f"seed-{seed}.wat").write_text(small.wat)
            pytest.fail(f"seed {seed} (debug={debug}): {mismatch}\nreduced: {m}\n"
                        f"args {small.args}\n{small.wat}")
    assert calls >= MODULES  # every module's `run` was called at least once


def test_generation_is_reproducible():
    a, b = generate(Choices(12345)), generate(Choices(12345))
    assert a.wat == b.wat and a.args == b.args
    replayed = generate(Choices(values=a.choices))
    assert replayed.wat == a.wat


def test_any_choice_sequence_is_a_valid_module(engines):
    """The reducer relies on it: empty, zero, huge and shuffled sequences all validate."""
    oracle, _ = engines
    base = generate(Choices(7)).choices
    for values in ([], [0] * 50, [10**9] * 300, base[::-1], base[1::2], [v // 3 for v in base]):
        program = generate(Choices(values=values))
        oracle.module(bytes(wasmtime.wat2wasm(program.wat)))  # raises if invalid


class _FlipBit(Subject):
    """A deliberately wrong engine: bit 0 of an i64 result flips when it is odd."""

    def run(self, rt, compiled, args):
        outcome, memory, globals_ = super().run(rt, compiled, args)
        if outcome[0] == "ok" and any(v & 1 and v > 0xFFFFFFFF for v in outcome[1]):
            outcome = ("ok", tuple(v ^ 1 if v > 0xFFFFFFFF else v for v in outcome[1]))
        return outcome, memory, globals_


def test_reducer_shrinks_a_failing_case():
    """A case that fails with the wrong engine is reduced to a smaller module that
    still fails the same way."""
    oracle, wrong = Oracle(), _FlipBit()
    for seed in range(1000):
        program = generate(Choices(seed))
        mismatch, _ = check(program, oracle, wrong)
        if mismatch is not None and mismatch.kind == "result" and program.wat.count("\n") > 60:
            break
    else:
        pytest.fail("no case in 1000 seeds makes the deliberately wrong engine fail")
    choices, small, m = reduce(program.choices, "result", seconds=20, oracle=oracle,
                               subject=wrong)
    assert isinstance(m, Mismatch) and m.kind == "result"
    assert small.wat.count("\n") < program.wat.count("\n")
    again, _ = check(generate(Choices(values=choices)), oracle, wrong)
    assert again is not None and again.kind == "result"


# -- cases the fuzzers found ------------------------------------------------------------
# A constant folds by rewriting its LOAD_CONST; a branch that had carried it (or a
# loop header that other edges reach) saw the rewritten value (issue 11).
BRANCH_CARRIES_CONSTANT = [
    ("""(module (global $d (mut i32) (i32.const 0))
  (func (export "run") (result i64)
    i64.const 0  i64.const -2  i32.const -16
    (global.set $d (i32.sub (global.get $d) (i32.const 1)))
    br_if 0
    (global.set $d (i32.add (global.get $d) (i32.const 1)))
    i64.add))""", (), -2),
    ("""(module (global $d (mut i32) (i32.const 0))
  (func (export "run") (result i32)
    i32.const 0  i32.const 0  i32.const 0  i32.const 607659503  i32.const -2
    (global.set $d (i32.sub (global.get $d) (i32.const 1)))
    br_if 0
    (global.set $d (i32.add (global.get $d) (i32.const 1)))
    i32.shr_s  i32.shr_u  i32.shr_s))""", (), 607659503),
    ("""(module (memory 1) (global $d (mut i32) (i32.const 0))
  (func (export "run") (result i64)
    i32.const 0  i64.const 6338784753581300969  i32.const 2
    (global.set $d (i32.sub (global.get $d) (i32.const 1)))
    br_if 0
    (global.set $d (i32.add (global.get $d) (i32.const 1)))
    i64.store32
    i64.const 0))""", (), 6338784753581300969),
    ("""(module
  (func (export "run") (param $n i32) (result i32) (local $acc i32)
    i32.const 0  i32.const -3
    loop (param i32 i32) (result i32)
      i32.add  local.tee $acc  local.get $acc
      local.get $n  i32.const 1  i32.sub  local.tee $n
      br_if 0
      drop
    end))""", (5,), -48),
]


@pytest.mark.parametrize("wat,args,expected", BRANCH_CARRIES_CONSTANT)
@pytest.mark.parametrize("debug", [False, True])
def test_branch_carries_constant(wat, args, expected, debug):
    wasm = bytes(wasmtime.wat2wasm(wat))
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    assert inst.exports(store)["run"](store, *args) == expected
    rt = transpyle.Runtime(debug=debug)
    assert rt.instantiate(rt.compile(wasm)).exports["run"](*args) == expected


def test_constant_first_signed_compare_under_a_call():
    """`i32.const 0; global.get; i32.le_s` swaps its operands (0 <= g is g >= 0): the
    callable that consumes the result was put between them, and CPython crashed
    (a segfault, found by the fuzzer)."""
    wat = """(module (global $g (mut i32) (i32.const 5))
      (func (export "run") (result f64)
        i32.const 0  global.get $g  i32.le_s  f64.convert_i32_u))"""
    rt = transpyle.Runtime()
    assert rt.instantiate(rt.compile(bytes(wasmtime.wat2wasm(wat)))).exports["run"]() == 1.0

"""The cost of fuel (`Runtime(fuel=N)`) per loop iteration and per call.

    python tests/bench/bench_fuel.py [--repeat N] [--iterations N]

Three kernels, each compiled without fuel and with fuel (one unit per function entry
and per loop iteration): a counting loop (the loop header is most of the work, so the
difference is the cost of one fuel check), fib.wasm of the bundled bench/ (recursion:
one check per call) and sieve.wasm (memory-heavy loops). Prints the best of
`--repeat` runs of each, in ns per loop iteration (the counting loop) and ms (the
kernels), and checks that the results agree. A script, not a test: nothing here
asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import transpyle

COUNT_WAT = """(module
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i)))"""
# the same module, assembled (so that the script needs no wat2wasm)
COUNT_WASM = bytes.fromhex(
    "0061736d0100000001060160017f017f030201000709010563"
    "6f756e7400000a1e011c01017f02400340200120004f0d0120"
    "0141016a21010c000b0b20010b")
BENCH = Path(__file__).resolve().parents[2] / "bench"  # the bundled kernels


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=2_000_000)
    args = ap.parse_args()
    n = args.iterations
    plain = transpyle.Runtime()
    fueled = transpyle.Runtime(fuel=10**15)
    off = plain.instantiate(COUNT_WASM).exports["count"]
    on = fueled.instantiate(COUNT_WASM).exports["count"]
    assert off(n) == on(n) == n
    t_off, t_on = best(lambda: off(n), args.repeat), best(lambda: on(n), args.repeat)
    print(f"count loop, {n} iterations: off {t_off / n * 1e9:.1f} ns/iteration, "
          f"on {t_on / n * 1e9:.1f} ns/iteration: fuel costs "
          f"{(t_on - t_off) / n * 1e9:.1f} ns per iteration (+{(t_on / t_off - 1) * 100:.0f}%)")
    kernels = json.loads((BENCH / "kernels.json").read_text())
    for name in ("fib", "sieve"):
        spec = kernels[name]
        export, kargs = spec["export"], spec["args"]
        data = (BENCH / spec["wasm"]).read_bytes()
        f_off = plain.instantiate(data).exports[export]
        f_on = fueled.instantiate(data).exports[export]
        assert f_off(*kargs) == f_on(*kargs)
        before = fueled.get_fuel()
        f_on(*kargs)
        units = before - fueled.get_fuel()
        a = best(lambda: f_off(*kargs), args.repeat)
        b = best(lambda: f_on(*kargs), args.repeat)
        print(f"{name}{tuple(kargs)}: off {a * 1e3:.1f} ms, on {b * 1e3:.1f} ms "
              f"(+{(b / a - 1) * 100:.0f}%, {units} units, "
              f"{(b - a) / units * 1e9:.1f} ns per unit)")


if __name__ == "__main__":
    main()

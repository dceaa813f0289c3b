"""Engine costs: the disk cache, listeners, termination checks.

    python tests/bench/bench_engine.py [--bench-dir DIR] [--repeat N] [--quick]
                                       [--only cache,listener,termination]

1. disk cache: a fresh process compiles + instantiates big2500.wasm cold (empty cache
   directory, the entry is written), then another fresh process does the same from
   the cache. Target: warm < 10% of cold.
2. listeners: the cost per call of a listener on a small function called in a wasm
   loop: a factory that returns None for everything (must cost nothing), a no-op
   listener (`before` returns the context it got), a listener that derives a new
   context on every call (the context slot is set and reset).
3. termination: the loop kernels of kernels.json compiled plainly, with the
   termination check as codegen emits it today (`check_termination()` per loop
   header), and with the proposed inline flag test (`LOAD_GLOBAL _interrupt;
   POP_JUMP_IF_FALSE`, simulated here by patching the translator for this process
   only). Target: <= 5%.

A script, not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DEFAULT_BENCH_DIR = REPO / "bench"

import transpyle  # noqa: E402
from transpyle import Context, Runtime  # noqa: E402
from transpyle.experimental import FunctionListener, FunctionListenerFactory  # noqa: E402

console = Console(width=130)


# -- 1. the disk cache ------------------------------------------------------------------

CACHE_SCRIPT = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    sys.path.insert(0, {repo!r})
    from transpyle import Runtime
    t1 = time.perf_counter()
    data = open({wasm!r}, "rb").read()
    rt = Runtime(cache_dir={cache!r}) if {cache!r} else Runtime()
    t2 = time.perf_counter()
    compiled = rt.compile(data)
    t3 = time.perf_counter()
    inst = rt.instantiate(compiled)
    t4 = time.perf_counter()
    result = inst.exports["big_run"](7)
    t5 = time.perf_counter()
    print(json.dumps({{"import": t1 - t0, "compile": t3 - t2, "instantiate": t4 - t3,
                      "first_call": t5 - t4, "from_disk": compiled.from_disk,
                      "result": result}}))
""")


def run_cache_process(wasm: Path, cache: str) -> dict:
    script = CACHE_SCRIPT.format(repo=str(REPO), wasm=str(wasm), cache=cache)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_cache(bench_dir: Path, repeat: int) -> None:
    wasm = bench_dir / "programs" / "big2500.wasm"
    if not wasm.exists():
        console.print(f"[yellow]skipped the cache benchmark: no {wasm}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        nocache = run_cache_process(wasm, "")
        cold = run_cache_process(wasm, cache)
        assert not cold["from_disk"]
        warm = min((run_cache_process(wasm, cache) for _ in range(repeat)),
                   key=lambda r: r["compile"] + r["instantiate"])
        assert warm["from_disk"] and warm["result"] == cold["result"] == nocache["result"]
        size = sum(p.stat().st_size for p in Path(cache).iterdir())
    table = Table(title=f"disk cache: {wasm.name} ({wasm.stat().st_size / 1e3:.0f} KB), "
                        f"a fresh process each, CPython {sys.version.split()[0]}")
    for col in ("process", "import transpyle", "compile", "instantiate",
                "compile + instantiate", "vs cold", "first call"):
        table.add_column(col, justify="right")

    def row(name, r, ref):
        total = r["compile"] + r["instantiate"]
        table.add_row(name, f"{r['import'] * 1e3:.0f} ms", f"{r['compile'] * 1e3:.1f} ms",
                      f"{r['instantiate'] * 1e3:.1f} ms", f"{total * 1e3:.1f} ms",
                      f"{total / ref:.2%}", f"{r['first_call'] * 1e3:.1f} ms")

    ref = cold["compile"] + cold["instantiate"]
    row("no cache_dir", nocache, ref)
    row("cold (writes the entry)", cold, ref)
    row(f"warm (best of {repeat})", warm, ref)
    console.print(table)
    console.print(f"cache entry: {size / 1e6:.1f} MB; target warm < 10% of cold: "
                  f"{'met' if warm['compile'] + warm['instantiate'] < 0.1 * ref else 'NOT met'}")


# -- 2. listeners ---------------------------------------------------------------------

CALLS_WAT = """(module
  (func $f (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    (block $d (loop $l (br_if $d (i32.eqz (local.get $n)))
      (local.set $acc (call $f (local.get $acc)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    local.get $acc))"""


class NoneFactory(FunctionListenerFactory):
    def new_listener(self, definition):
        return None


class NoOp(FunctionListenerFactory, FunctionListener):
    def new_listener(self, definition):
        return None if definition.export_names else self  # $f, not the exported loop


class Deriving(NoOp):
    def before(self, ctx, module, definition, params):
        return ctx.with_value(self, params[0])


def best_of(fn, repeat: int) -> float:
    """Best CPU time of `repeat` runs (CPU time, not wall time: the machine may be
    shared, and a preempted run should not count as slow)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def bench_listeners(repeat: int, quick: bool) -> None:
    import wasmtime

    data = wasmtime.wat2wasm(CALLS_WAT)
    n = 20_000 if quick else 200_000
    configs = [("no factory", None), ("factory returning None", NoneFactory()),
               ("no-op listener", NoOp()), ("listener deriving a context", Deriving())]
    loops = {}
    for name, factory in configs:
        inst = Runtime(listener_factory=factory).instantiate(data)
        assert inst.exports["loop"](10) == 10
        loops[name] = inst.exports["loop"]
    times = {name: float("inf") for name, _ in configs}
    for _ in range(repeat):  # interleaved, so drift hits every configuration alike
        for name, _ in configs:
            times[name] = min(times[name], best_of(lambda f=loops[name]: f(n), 1))
    base = times["no factory"]
    table = Table(title=f"listener cost per call ({n:,} calls of a 1-instruction function "
                        f"from a wasm loop, best of {repeat}), CPython {sys.version.split()[0]}")
    for col in ("configuration", "per call", "extra per call", "slowdown"):
        table.add_column(col, justify="right")
    for name, _ in configs:
        t = times[name]
        table.add_row(name, f"{t / n * 1e9:.0f} ns", f"{(t - base) / n * 1e9:+.0f} ns",
                      f"{t / base:.2f}x")
    console.print(table)


# -- 3. termination checks ----------------------------------------------------------------

def flag_form_op_loop():
    """The translator's op_loop with the proposed inline flag test instead of an
    unconditional call (a stand-in for the lead's implementation, for measuring)."""
    from bytecode import Label

    from transpyle.codegen.emit import I, Ops
    from transpyle.codegen.translate import Translator
    from transpyle.wasm import opcodes

    original = Translator.op_loop

    def op_loop(self, i, imm):
        if not self.ensure_termination:
            return original(self, i, imm)
        frame = self.begin_block(i, "loop")
        n = len(frame.params)
        if n:
            fx = self.norm_fixups(n)
            if fx:
                self.prepare(n, (), fx)
        self.flush()
        self.place(frame.label)
        self.line("while True:", note=f"loop {frame.name or '(termination check)'} ")
        self.indent += 1
        skip = Label()
        self.emit([I("LOAD_GLOBAL", (False, "_interrupt"))]
                  + Ops.jump_if(False, skip, backward=False, is_bool=True)
                  + Ops.load_global_callable("check_termination") + Ops.call(0)
                  + [I("POP_TOP")])
        self.place(skip)
        self.stmt("if _interrupt: check_termination()")

    def patch(on: bool) -> None:
        fn = op_loop if on else original
        Translator.op_loop = fn
        if isinstance(getattr(Translator, "handlers", None), dict):
            Translator.handlers[opcodes.LOOP] = fn

    return patch


CHECK_LOOPS = {
    "no check": "while i:\n    i -= 1",
    "check_termination() call": "while i:\n    check_termination()\n    i -= 1",
    "inline flag (proposed)": "while i:\n    if _interrupt:\n        check_termination()\n"
                              "    i -= 1",
}


def bench_check_cost(repeat: int, quick: bool) -> None:
    """The cost of one check per loop iteration, in a plain Python loop run in a
    namespace like an instance's (a steadier figure than whole kernels)."""
    from transpyle.engine import check_termination

    n = 200_000 if quick else 2_000_000
    funcs = {}
    for name, body in CHECK_LOOPS.items():
        ns = {"check_termination": check_termination, "_interrupt": False}
        src = "def run(i):\n" + textwrap.indent(body, "    ") + "\n"
        exec(compile(src, f"<check loop: {name}>", "exec"), ns)  # noqa: S102
        funcs[name] = ns["run"]
    best = {name: float("inf") for name in funcs}
    for _ in range(repeat):
        for name, fn in funcs.items():
            best[name] = min(best[name], best_of(lambda f=fn: f(n), 1))
    base = best["no check"]
    table = Table(title=f"one termination check per loop iteration ({n:,} iterations, "
                        f"best of {repeat}), CPython {sys.version.split()[0]}")
    for col in ("loop", "per iteration", "check costs"):
        table.add_column(col, justify="right")
    for name, t in best.items():
        table.add_row(name, f"{t / n * 1e9:.1f} ns", f"{(t - base) / n * 1e9:+.1f} ns")
    console.print(table)


def bench_termination(bench_dir: Path, repeat: int, quick: bool) -> None:
    kernels_file = bench_dir / "kernels.json"
    if not kernels_file.exists():
        console.print(f"[yellow]skipped the termination benchmark: no {kernels_file}")
        return
    kernels = json.loads(kernels_file.read_text())
    table = Table(title=f"termination checks on the loop kernels (best of {repeat}, "
                        f"interleaved), CPython {sys.version.split()[0]}")
    for col in ("kernel", "args", "plain", "check_termination() call", "slowdown",
                "inline flag (proposed)", "slowdown", "call, with a deadline ctx"):
        table.add_column(col, justify="right")
    try:
        patch = flag_form_op_loop()
    except Exception as err:  # noqa: BLE001 - the codegen internals moved
        console.print(f"[yellow]cannot simulate the inline flag form: {err!r}")
        patch = None
    slow_call, slow_flag = [], []
    for name, k in kernels.items():
        data = (bench_dir / k["wasm"]).read_bytes()
        args = k["quick_args"] if quick else k["args"]
        plain = Runtime().instantiate(data).exports[k["export"]]
        checked = Runtime(close_on_context_done=True).instantiate(data).exports[k["export"]]
        if "check_termination" not in "".join(
                checked.instance.compiled.code.sources.values()):
            continue  # no loop: nothing to check (fib is recursive)
        flag = None
        if patch is not None:
            patch(True)
            try:
                flag = Runtime(close_on_context_done=True).instantiate(data).exports[k["export"]]
                assert "if _interrupt: check_termination()" in "".join(
                    flag.instance.compiled.code.sources.values()), "the patch did not apply"
            except Exception as err:  # noqa: BLE001
                console.print(f"[yellow]{name}: inline flag form failed: {err!r}")
                flag = None
            finally:
                patch(False)
        deadline = Context.background().with_timeout(3600)
        expected = plain(*args)
        runs = {"plain": lambda: plain(*args), "call": lambda: checked(*args),
                "ctx": lambda: checked(*args, ctx=deadline)}
        if flag is not None:
            assert flag(*args) == expected
            runs["flag"] = lambda: flag(*args)
        assert checked(*args) == expected and checked(*args, ctx=deadline) == expected
        best = {key: float("inf") for key in runs}
        for _ in range(repeat):
            for key, fn in runs.items():
                best[key] = min(best[key], best_of(fn, 1))
        p = best["plain"]
        slow_call.append(best["call"] / p - 1)
        cells = [name, ",".join(map(str, args)), f"{p * 1e3:.1f} ms",
                 f"{best['call'] * 1e3:.1f} ms", f"{best['call'] / p - 1:+.1%}"]
        if "flag" in best:
            slow_flag.append(best["flag"] / p - 1)
            cells += [f"{best['flag'] * 1e3:.1f} ms", f"{best['flag'] / p - 1:+.1%}"]
        else:
            cells += ["-", "-"]
        cells.append(f"{best['ctx'] / p - 1:+.1%}")
        table.add_row(*cells)
    console.print(table)
    if slow_call:
        console.print(f"mean slowdown: call form {sum(slow_call) / len(slow_call):+.1%}"
                      + (f", inline flag form {sum(slow_flag) / len(slow_flag):+.1%}"
                         if slow_flag else "") + " (target <= 5%)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="small arguments, for a smoke run")
    ap.add_argument("--only", default="cache,listener,termination")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    console.print(f"transpyle {transpyle.__version__}, {sys.executable}")
    if "cache" in only:
        bench_cache(args.bench_dir, max(1, args.repeat // 2) if not args.quick else 1)
    if "listener" in only:
        bench_listeners(args.repeat, args.quick)
    if "termination" in only:
        bench_check_cost(args.repeat, args.quick)
        bench_termination(args.bench_dir, args.repeat, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())

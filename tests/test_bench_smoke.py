"""Smoke test of the benchmark suite (tests/bench/run.py): the harness runs in --quick
mode, and every kernel gives the hand-written Python's result under transpyle.

A correctness test of the harness and the engine: no timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import transpyle

RUN = Path(__file__).resolve().parent / "bench" / "run.py"


def _load_script(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


run = _load_script(RUN, "transpyle_bench_run")
BENCH_DIR = run.DEFAULT_BENCH_DIR
KERNELS_FILE = BENCH_DIR / "kernels.json"
# The kernels are bundled (bench/ at the root of the checkout): if they are missing,
# the tests below fail (through the `kernels` fixture), they never skip.
KERNEL_NAMES = (sorted(json.loads(KERNELS_FILE.read_text())) if KERNELS_FILE.is_file()
                else ["(bench/kernels.json missing)"])


@pytest.fixture(scope="module")
def kernels():
    assert KERNELS_FILE.is_file(), f"the bundled benchmark kernels are missing: {KERNELS_FILE}"
    return json.loads(KERNELS_FILE.read_text())


def test_benchmark_scripts_default_to_the_bundled_kernels(kernels):
    """run.py, bench_compile.py and bench_engine.py read bench/ of this checkout unless
    told otherwise, and everything kernels.json names is there."""
    bundled = Path(__file__).resolve().parents[1] / "bench"
    assert BENCH_DIR == bundled
    for script in ("bench_compile", "bench_engine"):
        module = _load_script(RUN.parent / f"{script}.py", f"transpyle_{script}")
        assert module.DEFAULT_BENCH_DIR == bundled, script
    for name, kernel in kernels.items():
        assert (bundled / kernel["wasm"]).is_file(), (name, kernel["wasm"])
        assert (bundled / kernel["wasm"]).with_suffix(".c").is_file(), (name, kernel["wasm"])
    for big in run.BIG_MODULES:
        assert (bundled / "programs" / f"{big}.wasm").is_file(), big
    assert (bundled / "pure_kernels.py").is_file()


@pytest.fixture(scope="module")
def pure_kernels(kernels):
    spec = importlib.util.spec_from_file_location("pure_kernels", BENCH_DIR / "pure_kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_harness_quick_two_kernels(kernels, tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "fib,fnv1a", "--repeat", "1",
         "--engines", "transpyle,python", "--json", str(out)],  # the default --bench-dir
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["ok"]
    assert set(report["kernels"]) == {"fib", "fnv1a"}
    assert Path(report["meta"]["bench_dir"]) == BENCH_DIR
    assert report["compile"] == {}
    for name, entry in report["kernels"].items():
        assert entry["args"] == kernels[name]["quick_args"]
        for engine in ("transpyle", "python"):
            r = entry["engines"][engine]
            assert "error" not in r, r
            assert r["agrees"], (name, engine, r["result"], entry["reference"]["result"])
            assert len(r["times_s"]) == 1
    assert "transpyle/python" in proc.stdout  # the table was printed


@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_kernel_agrees_with_python_twin(name, kernels, pure_kernels):
    kernel = kernels[name]
    data = (BENCH_DIR / kernel["wasm"]).read_bytes()
    rt = transpyle.Runtime()
    inst = rt.instantiate(rt.compile(data))
    args = kernel["quick_args"]
    got = inst.exports[kernel["export"]](*args)
    want = pure_kernels.KERNELS[name](*args)
    ok, how = run.agree(kernel["result"], want, got)
    assert ok, f"{name}{tuple(args)}: transpyle {got!r}, hand-written Python {want!r} ({how})"


def test_agree_rules():
    assert run.agree("i32", 0xFFFFFFFF, -1)[0]
    assert not run.agree("i32", 1, 2)[0]
    assert run.agree("i64", (1 << 64) - 5, -5) == (True, "mod 2^64")
    assert run.agree("f64", 0.1, 0.1) == (True, "exact")
    assert not run.agree("f64", 0.1, math.nextafter(0.1, 1.0))[0]
    assert not run.agree("f32", 1.0, 1)[0]  # an int where a float is expected


def test_scale_args_respects_caps():
    scaling = run.SCALING
    assert run.scale_args([25], scaling["fib"], 1.618 ** 3) == [28]
    assert run.scale_args([65536, 2], scaling["fnv1a"], 10) == [65536, 20]
    n, reps = run.scale_args([40, 1], scaling["matmul"], 100)
    assert n == 96 and reps >= 7


def _argument_sets(quick: list) -> list[list]:
    """The kernel's quick arguments and variations around them: edge sizes (0, 1, 2,
    3, 7, negative: the kernels take i32 sizes and must treat them as C does) and
    half the quick size, for each argument in turn."""
    sets = [list(quick)]
    for i, q in enumerate(quick):
        for v in (0, 1, 2, 3, 7, -1, -(2 ** 31), q // 2):
            args = list(quick)
            args[i] = v
            if args not in sets:
                sets.append(args)
    return sets


@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_kernel_agrees_with_wasmtime(name, kernels):
    """Every kernel at several arguments gives wasmtime's result bit for bit (the
    optimisations of issue 6 must not change a result), in a fresh instance each."""
    wasmtime = pytest.importorskip("wasmtime")
    kernel = kernels[name]
    data = (BENCH_DIR / kernel["wasm"]).read_bytes()
    rt = transpyle.Runtime()
    module = rt.compile(data)
    engine = wasmtime.Engine()
    wmodule = wasmtime.Module(engine, data)
    for args in _argument_sets(kernel["quick_args"]):
        got = rt.instantiate(module).exports[kernel["export"]](*args)
        store = wasmtime.Store(engine)
        want = wasmtime.Instance(store, wmodule, []).exports(store)[kernel["export"]](store, *args)
        if kernel["result"] in ("f32", "f64"):
            same = struct.pack("<d", got) == struct.pack("<d", want)
        else:
            same = got == want
        assert same, f"{name}{tuple(args)}: transpyle {got!r}, wasmtime {want!r}"

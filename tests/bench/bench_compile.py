"""Compilation speed: decode, validate and code generation, in MB of code per second.

    python tests/bench/bench_compile.py [WASM ...]

Without arguments it measures bench/programs/big500.wasm and big2500.wasm (the
benchmark directory of this checkout; `--bench-dir` to point elsewhere).
Each stage is timed separately (best of --repeat runs, in this process) and reported
against the size of the code section. Not part of the test run.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from transpyle.codegen import compile_module
from transpyle.wasm.decoder import decode
from transpyle.wasm.validator import validate

DEFAULT_BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


def best_of(fn, repeat: int):
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def measure(path: Path, repeat: int) -> dict:
    data = path.read_bytes()
    t_dec, module = best_of(lambda: decode(data), repeat)
    t_val, info = best_of(lambda: validate(module), repeat)
    t_gen, _ = best_of(lambda: compile_module(module, info, module_name=path.stem), max(1, repeat // 2))
    code_bytes = sum(c.size for c in module.codes)
    return {"file": path.name, "code_kb": code_bytes / 1024, "functions": len(module.codes),
            "decode": t_dec, "validate": t_val, "codegen": t_gen, "code_bytes": code_bytes}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wasm", nargs="*", type=Path)
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    files = args.wasm or [args.bench_dir / "programs" / n for n in ("big500.wasm", "big2500.wasm")]
    table = Table(title=f"compilation speed, CPython {sys.version.split()[0]}")
    for col in ("module", "code KB", "functions", "decode MB/s", "validate MB/s",
                "decode+validate MB/s", "codegen KB/s", "total KB/s"):
        table.add_column(col, justify="right")
    for f in files:
        r = measure(f, args.repeat)
        mb = r["code_bytes"] / 1e6
        dv = r["decode"] + r["validate"]
        total = dv + r["codegen"]
        table.add_row(r["file"], f"{r['code_kb']:.0f}", str(r["functions"]),
                      f"{mb / r['decode']:.2f}", f"{mb / r['validate']:.2f}", f"{mb / dv:.2f}",
                      f"{r['code_bytes'] / 1e3 / r['codegen']:.0f}", f"{r['code_bytes'] / 1e3 / total:.0f}")
    Console(width=130).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the WASI test programs: every tests/wasi_programs/*.c -> *.wasm.

Usage: python tests/wasi_programs/build.py [--check] [NAME ...]
Needs zig (`pip install ziglang`); the ziglang package bundles clang and wasi-libc.
The .wasm files are checked in, so running the tests does not need zig. With
--check nothing is written: the exit status says whether every .wasm is up to date.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# -O2 keeps the programs small and fast under transpyle; -s strips debug info and names
FLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-Wall", "-Werror"]


def compile_c(source: Path, output: Path) -> None:
    if importlib.util.find_spec("ziglang") is None:
        raise SystemExit("building the WASI test programs needs zig: pip install ziglang")
    cmd = [sys.executable, "-m", "ziglang", "cc", *FLAGS, "-o", str(output), str(source)]
    subprocess.run(cmd, check=True)


def build(check: bool = False, names: list[str] | None = None) -> int:
    stale = 0
    for source in sorted(HERE.glob("*.c")):
        if names and source.stem not in names:
            continue
        wasm = source.with_suffix(".wasm")
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / wasm.name
            compile_c(source, fresh)
            data = fresh.read_bytes()
        if wasm.exists() and wasm.read_bytes() == data:
            print(f"{wasm.name}: up to date ({len(data)} bytes)")
            continue
        stale += 1
        if check:
            print(f"{wasm.name}: out of date")
        else:
            wasm.write_bytes(data)
            print(f"{wasm.name}: written ({len(data)} bytes)")
    return 1 if check and stale else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(build(check="--check" in args, names=[a for a in args if not a.startswith("-")]))

"""Regenerate every examples/*.wasm from its source: .wat files with wasmtime's wat2wasm,
.c files (WASI commands) with zig's C compiler for wasm32-wasi.

Usage: python examples/build.py [--check]
Needs the `wasmtime` package (part of the `test` extra: pip install -e '.[test]') for
.wat and the `ziglang` package (pip install ziglang, which bundles clang and wasi-libc)
for .c. With --check, nothing is written: the exit status says whether every .wasm is
up to date.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ZIG_CC_FLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-Wall", "-Werror"]


def wat_to_wasm(source: Path) -> bytes:
    import wasmtime

    return wasmtime.wat2wasm(source.read_text(encoding="utf-8"))


def c_to_wasm(source: Path) -> bytes:
    if importlib.util.find_spec("ziglang") is None:
        raise SystemExit(f"{source.name} needs zig: pip install ziglang")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / source.with_suffix(".wasm").name
        subprocess.run([sys.executable, "-m", "ziglang", "cc", *ZIG_CC_FLAGS, "-o", str(out),
                        str(source)], check=True)
        return out.read_bytes()


def build(check: bool = False) -> int:
    stale = 0
    sources = sorted([*EXAMPLES.glob("*.wat"), *EXAMPLES.glob("*.c")])
    for source in sources:
        wasm = source.with_suffix(".wasm")
        data = wat_to_wasm(source) if source.suffix == ".wat" else c_to_wasm(source)
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
    sys.exit(build(check="--check" in sys.argv[1:]))

"""Regenerate every examples/*.wasm from its .wat source.

Usage: python examples/build.py [--check]
Needs the `wasmtime` package (part of the `test` extra: pip install -e '.[test]').
With --check, nothing is written: the exit status says whether every .wasm is up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import wasmtime

EXAMPLES = Path(__file__).resolve().parent


def build(check: bool = False) -> int:
    stale = 0
    for wat in sorted(EXAMPLES.glob("*.wat")):
        wasm = wat.with_suffix(".wasm")
        data = wasmtime.wat2wasm(wat.read_text(encoding="utf-8"))
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

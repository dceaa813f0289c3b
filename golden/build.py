"""Rebuild golden/*.wasm from golden/*.wat (needs the `wasmtime` test extra).

    python golden/build.py
"""

from pathlib import Path

import wasmtime

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for wat in sorted(HERE.glob("*.wat")):
        wasm = wat.with_suffix(".wasm")
        data = wasmtime.wat2wasm(wat.read_text())
        if not wasm.exists() or wasm.read_bytes() != data:
            wasm.write_bytes(data)
            print(f"built {wasm.name}")

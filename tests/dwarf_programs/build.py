"""Build the DWARF test programs: tests/dwarf_programs/*.c -> *.wasm (DWARF 4, clang's
default for wasm) and *_dwarf5.wasm (-gdwarf-5), both -g -O1 for wasm32-freestanding;
*.zig -> *.wasm (zig build-exe -O ReleaseSmall -fno-strip, wasm32-freestanding).

Usage: python tests/dwarf_programs/build.py [--check] [NAME ...]
Needs zig (`pip install ziglang`); the ziglang package bundles clang. The .wasm files
are checked in, so running the tests does not need zig. With --check nothing is
written: the exit status says whether every .wasm is up to date.

-O1 keeps parameters and values that live across calls in wasm locals (so the tests
can print C locals through them) and arrays whose address is taken in linear memory;
`-fdebug-prefix-map` makes the recorded compilation directory `.`, so the C binaries do
not depend on where the checkout is. zig has no such option: a Zig program's DWARF
records the absolute paths of the build (checkout, zig's standard library), so --check
agrees only where it was built.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGS = ["-target", "wasm32-freestanding", "-nostdlib", "-Wl,--no-entry", "-g", "-O1",
         "-Wall", "-Werror", f"-fdebug-prefix-map={HERE}=."]
VARIANTS = {"": [], "_dwarf5": ["-gdwarf-5"]}


def compile_c(source: Path, output: Path, extra: list[str]) -> None:
    if importlib.util.find_spec("ziglang") is None:
        raise SystemExit("building the DWARF test programs needs zig: pip install ziglang")
    cmd = [sys.executable, "-m", "ziglang", "cc", *FLAGS, *extra, "-o", str(output),
           source.name]
    subprocess.run(cmd, check=True, cwd=HERE)


def compile_zig(source: Path, output: Path, extra: list[str]) -> None:
    if importlib.util.find_spec("ziglang") is None:
        raise SystemExit("building the DWARF test programs needs zig: pip install ziglang")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "ziglang", "build-exe", source.name, "-target",
               "wasm32-freestanding", "-fno-entry", "-rdynamic", "-O", "ReleaseSmall",
               "-fno-strip", f"-femit-bin={output}", "--cache-dir", tmp]
        subprocess.run(cmd, check=True, cwd=HERE)


def build(check: bool = False, names: list[str] | None = None) -> int:
    stale = 0
    sources = sorted(HERE.glob("*.c")) + sorted(HERE.glob("*.zig"))
    for source in sources:
        if names and source.stem not in names:
            continue
        variants = VARIANTS if source.suffix == ".c" else {"": []}
        for suffix, extra in variants.items():
            wasm = HERE / f"{source.stem}{suffix}.wasm"
            with tempfile.TemporaryDirectory() as tmp:
                fresh = Path(tmp) / wasm.name
                (compile_c if source.suffix == ".c" else compile_zig)(source, fresh, extra)
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

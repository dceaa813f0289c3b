"""Rebuild the benchmark kernels: every bench/programs/*.c -> *.wasm, and big500.wasm /
big2500.wasm from the C that gen_big.py generates.

Usage: python bench/build.py [--check] [--out DIR] [NAME ...]

Needs zig (`pip install ziglang`; the ziglang package bundles clang). Every kernel is
built as

    python -m ziglang cc -target wasm32-freestanding -nostdlib -Wl,--no-entry -O2 -g0 K.c -o K.wasm

(no libc, no imports; exports come from `EXPORT(...)` in programs/common.h). NAME is a
kernel's file stem (fib, hash, big500, ...); without one, all of them are built.

The .wasm files are checked in and the benchmarks run from them, so running the
benchmarks or the tests does not need zig. Keep the checked-in bytes unless a kernel's C
changes: another zig version may generate different code, and then the README's
benchmark tables would no longer compare like with like. `--out DIR` writes the fresh
builds to DIR and leaves programs/ alone; with `--check` nothing is written and the exit
status says whether every .wasm in programs/ is identical to a fresh build (a difference
may only mean another zig version than the one README.md says they were built with).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"
FLAGS = ["-target", "wasm32-freestanding", "-nostdlib", "-Wl,--no-entry", "-O2", "-g0"]
BIG = {"big500": 500, "big2500": 2500}  # stem -> number of generated functions


def zig_cc(source: Path, output: Path, include: list[str] = ()) -> None:
    if importlib.util.find_spec("ziglang") is None:
        raise SystemExit("building the benchmark kernels needs zig: pip install ziglang")
    cmd = [sys.executable, "-m", "ziglang", "cc", *FLAGS, *include, str(source), "-o", str(output)]
    subprocess.run(cmd, check=True)


def build_one(stem: str, tmp: Path) -> bytes:
    """The fresh build of kernel `stem` (built in `tmp`)."""
    if stem in BIG:
        source = tmp / f"{stem}.c"
        generated = subprocess.run([sys.executable, str(PROGRAMS / "gen_big.py"), str(BIG[stem])],
                                   check=True, capture_output=True, text=True).stdout
        source.write_text(generated)
        include = [f"-I{PROGRAMS}"]  # the generated C is not beside common.h
    else:
        source, include = PROGRAMS / f"{stem}.c", []
    output = tmp / f"{stem}.wasm"
    zig_cc(source, output, include)
    return output.read_bytes()


def build(check: bool = False, out: Path | None = None, names: list[str] | None = None) -> int:
    stems = [p.stem for p in sorted(PROGRAMS.glob("*.c"))] + list(BIG)
    unknown = sorted(set(names or ()) - set(stems))
    if unknown:
        raise SystemExit(f"unknown kernel(s) {', '.join(unknown)}; known: {', '.join(stems)}")
    target = PROGRAMS if out is None else out
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    stale = 0
    for stem in stems:
        if names and stem not in names:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            data = build_one(stem, Path(tmp))
        checked_in = PROGRAMS / f"{stem}.wasm"
        same = checked_in.exists() and checked_in.read_bytes() == data
        if check:
            stale += not same
            print(f"{stem}.wasm: {'up to date' if same else 'differs from a fresh build'} "
                  f"({len(data)} bytes)")
            continue
        wasm = target / f"{stem}.wasm"
        if wasm.exists() and wasm.read_bytes() == data:
            print(f"{wasm}: up to date ({len(data)} bytes)")
            continue
        wasm.write_bytes(data)
        print(f"{wasm}: written ({len(data)} bytes"
              f"{'' if same else ', differs from the checked-in programs/' + wasm.name})")
    return 1 if check and stale else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", metavar="NAME", help="kernels to build (default: all)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if a checked-in .wasm differs from a fresh build")
    ap.add_argument("--out", type=Path, metavar="DIR",
                    help="write the .wasm files to DIR instead of programs/")
    args = ap.parse_args(argv)
    return build(check=args.check, out=args.out, names=args.names)


if __name__ == "__main__":
    sys.exit(main())

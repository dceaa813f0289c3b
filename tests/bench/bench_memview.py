"""Memory access forms: struct calls against typed memoryviews (issue 6).

    python tests/bench/bench_memview.py [--repeat N] [--number N]
    python tests/bench/bench_memview.py --wasm [--rounds N]

1. Python forms. Each form is timed with `timeit` as generated code runs it: the memory
   (`mem0`), the views (`m16`, `m32`, `m64`, `mf64`) and the struct helpers are globals
   (LOAD_GLOBAL), the address and the value are fast locals. A form is timed `--repeat`
   times and the minimum is kept (the machine is shared); a statement that only loads
   the address (`x = a`) is subtracted, so the figures are ns per access above a local
   read.
2. `--wasm`: the code generator's own output. Small wasm loops (one access per
   iteration, the address from a local, a sum, a local plus an offset, a constant) are
   compiled twice in one process, with the typed views and with the struct calls
   everywhere (the translator's `_VIEWS_NATIVE` switched off, as on a big-endian host),
   and their calls alternate; `--rounds` such processes; ns per iteration above an
   empty loop, the minimum over all calls.

A script, not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import time
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PAGE = 65536


def namespace() -> dict:
    mem0 = bytearray(4 * PAGE)
    m = memoryview(mem0)
    return {
        "mem0": mem0,
        "m16": m.cast("H"), "m32": m.cast("I"), "m64": m.cast("Q"), "mf64": m.cast("d"),
        "m32s": m.cast("i"),
        "unpack_i16u": struct.Struct("<H").unpack_from, "pack_i16": struct.Struct("<H").pack_into,
        "unpack_i32": struct.Struct("<I").unpack_from, "pack_i32": struct.Struct("<I").pack_into,
        "unpack_i32s": struct.Struct("<i").unpack_from,
        "unpack_i64": struct.Struct("<Q").unpack_from, "pack_i64": struct.Struct("<Q").pack_into,
        "unpack_f64": struct.Struct("<d").unpack_from, "pack_f64": struct.Struct("<d").pack_into,
    }


# (group, label, statement, setup). The aligned address is 4096 (+8 with an offset);
# `u` is an unaligned address for the slow path.
A = "a = 4096; u = 4097; v = 0x12345678; w = 0x123456789abcdef0; d = 1.5; h = 0x1234"
FORMS = [
    ("baseline", "x = a", "x = a", A),
    ("i32 load", "struct: unpack_i32(mem0, a)[0]", "x = unpack_i32(mem0, a)[0]", A),
    ("i32 load", "view: m32[a >> 2] if not a & 3 else unpack_i32(mem0, a)[0]",
     "x = m32[a >> 2] if not a & 3 else unpack_i32(mem0, a)[0]", A),
    ("i32 load", "view: unpack_i32(mem0, a)[0] if a & 3 else m32[a >> 2]",
     "x = unpack_i32(mem0, a)[0] if a & 3 else m32[a >> 2]", A),
    ("i32 load", "view, no test (lower bound): m32[a >> 2]", "x = m32[a >> 2]", A),
    ("i32 load", "view //: m32[a // 4] if not a & 3 else unpack_i32(mem0, a)[0]",
     "x = m32[a // 4] if not a & 3 else unpack_i32(mem0, a)[0]", A),
    ("i32 load", "view //: unpack_i32(mem0, a)[0] if a & 3 else m32[a // 4]",
     "x = unpack_i32(mem0, a)[0] if a & 3 else m32[a // 4]", A),
    ("i32 load", "view //, no test (lower bound): m32[a // 4]", "x = m32[a // 4]", A),
    ("i32 load", "view, constant address: m32[1024]", "x = m32[1024]", A),
    ("i32 load", "struct, constant address: unpack_i32(mem0, 4096)[0]",
     "x = unpack_i32(mem0, 4096)[0]", A),
    ("i32 load", "unaligned, struct: unpack_i32(mem0, u)[0]", "x = unpack_i32(mem0, u)[0]", A),
    ("i32 load", "unaligned, view form (slow branch)",
     "x = m32[u >> 2] if not u & 3 else unpack_i32(mem0, u)[0]", A),
    ("i32 load", "struct, address a + 8: unpack_i32(mem0, a + 8)[0]",
     "x = unpack_i32(mem0, a + 8)[0]", A),
    ("i32 load", "view, address a + 8 via :=",
     "x = m32[t >> 2] if not (t := a + 8) & 3 else unpack_i32(mem0, t)[0]", A),
    ("i32 load s", "struct: unpack_i32s(mem0, a)[0]", "x = unpack_i32s(mem0, a)[0]", A),
    ("i32 load s", "view: m32s[a >> 2] if not a & 3 else unpack_i32s(mem0, a)[0]",
     "x = m32s[a >> 2] if not a & 3 else unpack_i32s(mem0, a)[0]", A),
    ("i32 store", "struct: pack_i32(mem0, a, v)", "pack_i32(mem0, a, v)", A),
    ("i32 store", "view: if a & 3: pack_i32(mem0, a, v) else: m32[a >> 2] = v",
     "if a & 3: pack_i32(mem0, a, v)\nelse: m32[a >> 2] = v", A),
    ("i32 store", "view: if not a & 3: m32[a >> 2] = v else: pack_i32(mem0, a, v)",
     "if not a & 3: m32[a >> 2] = v\nelse: pack_i32(mem0, a, v)", A),
    ("i32 store", "view, no test: m32[a >> 2] = v", "m32[a >> 2] = v", A),
    ("i32 store", "view //: if a & 3: pack_i32(mem0, a, v) else: m32[a // 4] = v",
     "if a & 3: pack_i32(mem0, a, v)\nelse: m32[a // 4] = v", A),
    ("i32 store", "view //: if not a & 3: m32[a // 4] = v else: pack_i32(mem0, a, v)",
     "if not a & 3: m32[a // 4] = v\nelse: pack_i32(mem0, a, v)", A),
    ("i32 store", "view //, no test: m32[a // 4] = v", "m32[a // 4] = v", A),
    ("i32 store", "view, constant address: m32[1024] = v", "m32[1024] = v", A),
    ("i64 load", "struct: unpack_i64(mem0, a)[0]", "x = unpack_i64(mem0, a)[0]", A),
    ("i64 load", "view: m64[a >> 3] if not a & 7 else unpack_i64(mem0, a)[0]",
     "x = m64[a >> 3] if not a & 7 else unpack_i64(mem0, a)[0]", A),
    ("i64 load", "view: unpack_i64(mem0, a)[0] if a & 7 else m64[a >> 3]",
     "x = unpack_i64(mem0, a)[0] if a & 7 else m64[a >> 3]", A),
    ("i64 load", "view //: m64[a // 8] if not a & 7 else unpack_i64(mem0, a)[0]",
     "x = m64[a // 8] if not a & 7 else unpack_i64(mem0, a)[0]", A),
    ("i64 store", "struct: pack_i64(mem0, a, w)", "pack_i64(mem0, a, w)", A),
    ("i64 store", "view: if a & 7: pack_i64(...) else: m64[a >> 3] = w",
     "if a & 7: pack_i64(mem0, a, w)\nelse: m64[a >> 3] = w", A),
    ("i64 store", "view: if not a & 7: m64[a >> 3] = w else: pack_i64(...)",
     "if not a & 7: m64[a >> 3] = w\nelse: pack_i64(mem0, a, w)", A),
    ("i64 store", "view //: if a & 7: pack_i64(...) else: m64[a // 8] = w",
     "if a & 7: pack_i64(mem0, a, w)\nelse: m64[a // 8] = w", A),
    ("f64 load", "struct: unpack_f64(mem0, a)[0]", "x = unpack_f64(mem0, a)[0]", A),
    ("f64 load", "view: mf64[a >> 3] if not a & 7 else unpack_f64(mem0, a)[0]",
     "x = mf64[a >> 3] if not a & 7 else unpack_f64(mem0, a)[0]", A),
    ("f64 load", "view: unpack_f64(mem0, a)[0] if a & 7 else mf64[a >> 3]",
     "x = unpack_f64(mem0, a)[0] if a & 7 else mf64[a >> 3]", A),
    ("f64 load", "view //: mf64[a // 8] if not a & 7 else unpack_f64(mem0, a)[0]",
     "x = mf64[a // 8] if not a & 7 else unpack_f64(mem0, a)[0]", A),
    ("f64 store", "struct: pack_f64(mem0, a, d)", "pack_f64(mem0, a, d)", A),
    ("f64 store", "view: if a & 7: pack_f64(...) else: mf64[a >> 3] = d",
     "if a & 7: pack_f64(mem0, a, d)\nelse: mf64[a >> 3] = d", A),
    ("f64 store", "view: if not a & 7: mf64[a >> 3] = d else: pack_f64(...)",
     "if not a & 7: mf64[a >> 3] = d\nelse: pack_f64(mem0, a, d)", A),
    ("f64 store", "view //: if a & 7: pack_f64(...) else: mf64[a // 8] = d",
     "if a & 7: pack_f64(mem0, a, d)\nelse: mf64[a // 8] = d", A),
    ("i16 load", "struct: unpack_i16u(mem0, a)[0]", "x = unpack_i16u(mem0, a)[0]", A),
    ("i16 load", "view: m16[a >> 1] if not a & 1 else unpack_i16u(mem0, a)[0]",
     "x = m16[a >> 1] if not a & 1 else unpack_i16u(mem0, a)[0]", A),
    ("i16 store", "struct: pack_i16(mem0, a, h)", "pack_i16(mem0, a, h)", A),
    ("i16 store", "view: if a & 1: pack_i16(...) else: m16[a >> 1] = h",
     "if a & 1: pack_i16(mem0, a, h)\nelse: m16[a >> 1] = h", A),
    ("byte load", "bytearray: mem0[a]", "x = mem0[a]", A),
]


# -- 2. generated code ------------------------------------------------------------------

LOOP = """  (func (export "{name}") (param $n i32) (result i32)
    (local $p i32) (local $q i32) (local $s i32) (local $w i64) (local $d f64)
    (local.set $q (i32.const 64))
    (loop $L
      {body}
      (local.set $p (i32.and (i32.add (local.get $p) (i32.const 8)) (i32.const 0x7ff8)))
      (br_if $L (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))"""
KERNELS = {  # name -> loop body; $p is a multiple of 8
    "empty": "(local.set $s (i32.add (local.get $s) (local.get $p)))",
    "i32.load p": "(local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))",
    "i32.load p+q": "(local.set $s (i32.add (local.get $s) (i32.load (i32.add (local.get $p) (local.get $q)))))",
    "i32.load offset=8 p": "(local.set $s (i32.add (local.get $s) (i32.load offset=8 (local.get $p))))",
    "i32.load 1024": "(local.set $s (i32.add (local.get $s) (i32.add (local.get $p) (i32.load (i32.const 1024)))))",
    "i32.load p+1 (unaligned)": "(local.set $s (i32.add (local.get $s) (i32.load offset=1 (local.get $p))))",
    "i64.load p": "(local.set $w (i64.add (local.get $w) (i64.load (local.get $p))))",
    "f64.load p": "(local.set $d (f64.add (local.get $d) (f64.load (local.get $p))))",
    "i32.load16_u p": "(local.set $s (i32.add (local.get $s) (i32.load16_u (local.get $p))))",
    "i32.store p": "(i32.store (local.get $p) (local.get $n))",
    "i32.store 1024": "(i32.store (i32.const 1024) (local.get $n))",
    "i64.store 1024": "(i64.store (i32.const 1024) (i64.extend_i32_u (local.get $n)))",
}


def wasm_worker(repeat: int, n: int) -> None:
    """Both variants in this process, their calls alternating; ns per iteration, min."""
    sys.path.insert(0, str(REPO))
    import wasmtime

    import transpyle
    from transpyle.codegen import translate
    names = list(KERNELS)
    wat = "(module (memory 1)\n" + "\n".join(
        LOOP.format(name=f"k{i}", body=KERNELS[k]) for i, k in enumerate(names)) + ")"
    data = wasmtime.wat2wasm(wat)
    insts = {}
    for variant in ("struct", "views"):
        translate._VIEWS_NATIVE = variant == "views"
        rt = transpyle.Runtime()
        insts[variant] = rt.instantiate(rt.compile(data))
    translate._VIEWS_NATIVE = sys.byteorder == "little"
    best: dict = {"struct": {}, "views": {}}
    for r in range(repeat):
        for i, k in enumerate(names):
            for variant in (("struct", "views") if r % 2 == 0 else ("views", "struct")):
                f = insts[variant].exports[f"k{i}"]
                t0 = time.perf_counter()
                f(n)
                t = (time.perf_counter() - t0) / n * 1e9
                best[variant][k] = min(best[variant].get(k, 1e9), t)
    print(json.dumps(best))


def wasm_main(rounds: int) -> None:
    best: dict = {"views": {}, "struct": {}}
    for _ in range(rounds):
        out = subprocess.run([sys.executable, __file__, "--worker"], capture_output=True,
                             text=True, check=True)
        for variant, times in json.loads(out.stdout).items():
            for k, v in times.items():
                best[variant][k] = min(best[variant].get(k, 1e9), v)
    s, v = best["struct"], best["views"]
    print(f"# {sys.version.split()[0]}: generated code, ns per loop iteration above the empty "
          f"loop ({s['empty']:.1f} / {v['empty']:.1f} ns), min of {rounds} processes")
    print(f"  {'struct':>7} {'views':>7}")
    for k in KERNELS:
        if k != "empty":
            print(f"  {s[k] - s['empty']:7.1f} {v[k] - v['empty']:7.1f}  {k}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--number", type=int, default=200_000)
    ap.add_argument("--wasm", action="store_true", help="time the generated code instead")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        wasm_worker(6, 100_000)
        return 0
    if args.wasm:
        wasm_main(args.rounds)
        return 0
    ns = namespace()
    best = {}
    # interleaved: every round times every form once, so load changes hit all alike
    timers = [(label, timeit.Timer(stmt, setup, globals=ns)) for _, label, stmt, setup in FORMS]
    for _ in range(args.repeat):
        for label, timer in timers:
            t = timer.timeit(args.number) / args.number * 1e9
            best[label] = min(best.get(label, t), t)
    base = best["x = a"]
    print(f"# {sys.version.split()[0]}: ns per access above `x = a` ({base:.1f} ns), "
          f"min of {args.repeat} x {args.number}")
    group = None
    for g, label, _, _ in FORMS[1:]:
        if g != group:
            print(f"{g}:")
            group = g
        print(f"  {best[label] - base:6.1f}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run-time and compile-time benchmarks: transpyle against hand-written Python, pwasm
and wasmtime (issue 6).

    python tests/bench/run.py [--bench-dir DIR] [--json OUT] [--quick] [--only K1,K2]
                              [--engines transpyle,python,pwasm,wasmtime]
                              [--repeat N] [--target SECONDS]

The kernels are those of `kernels.json` in the benchmark directory (default `bench/` at
the root of the checkout; `--bench-dir` for another copy): C programs compiled to wasm,
each with a hand-written Python twin in `pure_kernels.py` (same export names).

Run time. For each kernel, the arguments are first *calibrated* on the hand-written
Python (in its own process): the kernel's work-size argument (see `SCALING`) is scaled
until one call takes about `--target` seconds (0.4 s by default; 0.2-2 s is the aim).
Every engine then runs those same arguments, each in its own fresh process (one
process per engine and kernel, so that no engine's warm-up, compiled code or GC state
affects another): set up (compile and instantiate; not timed in the table), one
warm-up call at the kernel's quick arguments (pwasm compiles functions on their first
call), then `--repeat` timed calls (median reported). A call that takes less than the
minimum measurement time (0.2 s; wasmtime's native code) is repeated in a loop and
the time divided. Results must agree with the hand-written Python: integers modulo
2**32 (i32) or 2**64 (i64), since the wasm engines return signed integers and the
Python twins may return unsigned ones; floats (f32, f64) exactly, equal as Python
floats. A disagreement is shown in the table and makes the exit status 1.

`--quick` runs every kernel at its `quick_args`, without calibration, with a short
minimum measurement time (0.02 s) and 3 repetitions unless `--repeat` says otherwise.
It is a check that the harness and the engines work, not a measurement.

Compile time (the second table, for `big500` and `big2500`; select them with `--only
big500` etc.): decode + validate + generate code (`Runtime().compile`) + instantiate
in a fresh process with no cache ("cold"); the same from the disk cache (a first
process fills `Runtime(cache_dir=...)`, the measured ones load from it); the code
section's size divided by the cold compile time; and the time to the first result:
compile + instantiate + the first call of `big_run(seed)` (which calls every function
through the table), so for eager compilation this is the whole module's compilation
plus one call. With lazy compilation (`Runtime(lazy=True)`: decode and validate at
compile, each function translated on its first call) the first result is
`big_count()`'s: compile, then instantiate + first call, then the `big_run` that
translates every function as it goes. pwasm (compile mode; it compiles each function on
its first call, with its own disk cache) and wasmtime (native, no cache) are shown for
comparison. Python start-up and imports are not included in any of these times.

`--json OUT` writes every number (each repetition, the calibrated arguments, results,
versions) as JSON.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_BENCH_DIR = CHECKOUT / "bench"
ENGINES = ("transpyle", "python", "pwasm", "wasmtime")
BIG_MODULES = ("big500", "big2500")
BIG_SEED = 12345
RESULT_MARKER = "@@bench-result@@ "


# -- work size of each kernel ----------------------------------------------------

@dataclass(frozen=True)
class Knob:
    """One argument that sets the amount of work: time grows as value**power (or as
    base**value for an exponential kernel), up to `cap` (the C program clamps it
    there, so scaling further would do nothing)."""
    index: int
    power: float = 1.0
    base: float | None = None
    cap: int | None = None


# Read from the C sources (programs/*.c): scale the first knob up to its cap, then the
# next one (a repetition count).
SCALING: dict[str, tuple[Knob, ...]] = {
    "fib": (Knob(0, base=1.618),),                    # fib(n): calls grow as phi**n
    "sieve": (Knob(0, cap=1 << 21), Knob(1)),         # sieve(n, reps): n <= SIEVE_MAX
    "fnv1a": (Knob(0, cap=1 << 16), Knob(1)),         # fnv1a(len, rounds): len <= BUF_BYTES
    "mix64": (Knob(0, cap=1 << 13), Knob(1)),         # mix64(nwords, rounds): nwords <= 8192
    "mandel": (Knob(1),),                             # mandel(w, h, maxit): h rows
    "nbody": (Knob(0),),                              # nbody(steps)
    "matmul": (Knob(0, power=3, cap=96), Knob(1)),    # matmul(n, reps): n**3, n <= NMAX
    "stencil_f32": (Knob(0, cap=4096), Knob(1)),      # stencil_f32(n, steps): n <= FN
    "dispatch": (Knob(0),),                           # dispatch(n, seed)
}


def scale_args(args: list, knobs: tuple[Knob, ...], factor: float) -> list:
    """`args` with the work multiplied by about `factor` (knob by knob)."""
    args = list(args)
    for knob in knobs:
        if abs(factor - 1.0) < 0.02:
            break
        cur = args[knob.index]
        if knob.cap is not None and cur >= knob.cap and factor > 1:
            continue
        if knob.base is not None:
            new = cur + round(math.log(factor) / math.log(knob.base))
        else:
            new = round(cur * factor ** (1.0 / knob.power))
        new = max(new, 2 if knob.base is not None else 1)
        if knob.cap is not None:
            new = min(new, knob.cap)
        if knob.base is not None:
            factor /= knob.base ** (new - cur)
        else:
            factor /= (new / cur) ** knob.power
        args[knob.index] = new
    return args


# -- result agreement ------------------------------------------------------------

def agree(result_type: str, reference, value) -> tuple[bool, str]:
    """Whether an engine's result equals the hand-written Python's, and how it was
    compared: integers modulo 2**32 / 2**64 (signed or unsigned both fine), floats
    exactly (NaN equals NaN)."""
    if reference is None or value is None:
        return False, "missing"
    if result_type in ("i32", "i64"):
        bits = 32 if result_type == "i32" else 64
        if not isinstance(value, int) or not isinstance(reference, int):
            return False, f"not an int: {value!r}"
        return (reference - value) % (1 << bits) == 0, f"mod 2^{bits}"
    if result_type in ("f32", "f64"):
        if not isinstance(value, float):
            return False, f"not a float: {value!r}"
        if math.isnan(reference) and math.isnan(value):
            return True, "exact"
        return value == reference, "exact"
    raise ValueError(f"unknown result type {result_type!r}")


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


# -- the worker: one process per measurement ------------------------------------

def _load_kernel(engine: str, spec: dict):
    """Set up one kernel on one engine; returns the callable."""
    if engine == "python":
        sys.path.insert(0, spec["bench_dir"])
        import pure_kernels
        return pure_kernels.KERNELS[spec["kernel"]]
    data = Path(spec["wasm"]).read_bytes()
    export = spec["export"]
    if engine == "transpyle":
        import transpyle
        rt = transpyle.Runtime()
        inst = rt.instantiate(rt.compile(data))
        return inst.exports[export]
    if engine == "pwasm":
        import pwasm
        inst = pwasm.instantiate(pwasm.decode_module(data), mode="compile")
        return getattr(inst.exports, export)
    if engine == "wasmtime":
        import wasmtime
        store = wasmtime.Store(wasmtime.Engine())
        inst = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
        func = inst.exports(store)[export]
        return lambda *args: func(store, *args)
    raise ValueError(f"unknown engine {engine!r}")


def _time_call(func, args, number: int):
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(number):
        result = func(*args)
    return (time.perf_counter() - t0) / number, result


def worker_run(spec: dict) -> dict:
    """Time one kernel on one engine: setup, warm-up, `repeat` timed measurements."""
    engine = spec["engine"]
    t0 = time.perf_counter()
    func = _load_kernel(engine, spec)
    setup = time.perf_counter() - t0
    args = spec["args"]
    warm = func(*spec["warmup_args"])
    first, result = _time_call(func, args, 1)
    number = 1 if first >= spec["min_time"] else min(10_000, math.ceil(spec["min_time"] / max(first, 1e-7)))
    times, results = [], []
    for _ in range(spec["repeat"]):
        t, r = _time_call(func, args, number)
        times.append(t)
        results.append(r)
    stable = all(r == result or (r != r and result != result) for r in results)
    return {"engine": engine, "setup_s": setup, "first_s": first, "number": number,
            "times_s": times, "median_s": statistics.median(times), "result": result,
            "warmup_result": warm, "stable": stable}


def worker_calibrate(spec: dict) -> dict:
    """Find arguments for which the hand-written Python takes about `target` s."""
    func = _load_kernel("python", spec)
    knobs = tuple(Knob(**k) for k in spec["knobs"])
    args, target = list(spec["args"]), spec["target"]
    history = []
    for _ in range(8):
        t, result = _time_call(func, args, 1)
        history.append({"args": list(args), "s": t})
        if 0.7 * target <= t <= 1.5 * target:
            break
        new = scale_args(args, knobs, target / max(t, 1e-6))
        if new == args:
            break
        args = new
    else:
        t, result = _time_call(func, args, 1)
        history.append({"args": list(args), "s": t})
    return {"args": args, "s": t, "result": result, "history": history}


def worker_reference(spec: dict) -> dict:
    func = _load_kernel("python", spec)
    t, result = _time_call(func, spec["args"], 1)
    return {"args": spec["args"], "s": t, "result": result}


def worker_compile(spec: dict) -> dict:
    """Compile + instantiate + first call of `big_run` in this fresh process."""
    engine, data = spec["engine"], Path(spec["wasm"]).read_bytes()
    out = {"engine": engine, "cache": spec.get("cache_dir")}
    if engine == "transpyle":
        import warnings
        t0 = time.perf_counter()
        import transpyle
        out["import_s"] = time.perf_counter() - t0
        cache_dir = spec.get("cache_dir")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if cache_dir is not None:
                try:
                    rt = transpyle.Runtime(cache_dir=cache_dir)
                except TypeError:
                    return {**out, "no_disk_cache": True}
                before = sorted(p.name for p in Path(cache_dir).iterdir())
            else:
                rt = transpyle.Runtime(lazy=bool(spec.get("lazy")))
            t0 = time.perf_counter()
            module = rt.compile(data)
            t1 = time.perf_counter()
            inst = rt.instantiate(module)
            t2 = time.perf_counter()
            if spec.get("lazy"):
                # the first result: big_count(), one function translated; then big_run
                # (every function, through the table) for the results check
                out["count"] = inst.exports["big_count"]()
                t3 = time.perf_counter()
                result = inst.exports["big_run"](spec["seed"])
                out["lazy_run_s"] = time.perf_counter() - t3
            else:
                result = inst.exports["big_run"](spec["seed"])
                t3 = time.perf_counter()
        out["warnings"] = [str(w.message) for w in caught]
        if cache_dir is not None:
            out["cache_entries_before"] = len(before)
            out["cache_entries_after"] = len(list(Path(cache_dir).iterdir()))
    elif engine == "pwasm":
        # the cache directory is set through PWASM_CACHE_DIR by the parent
        t0 = time.perf_counter()
        import pwasm
        out["import_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        module = pwasm.decode_module(data)
        t1 = time.perf_counter()
        inst = pwasm.instantiate(module, mode="compile")
        t2 = time.perf_counter()
        result = inst.exports.big_run(spec["seed"])
        t3 = time.perf_counter()
    elif engine == "wasmtime":
        t0 = time.perf_counter()
        import wasmtime
        out["import_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        store = wasmtime.Store(wasmtime.Engine())
        module = wasmtime.Module(store.engine, data)
        t1 = time.perf_counter()
        inst = wasmtime.Instance(store, module, [])
        t2 = time.perf_counter()
        result = inst.exports(store)["big_run"](store, spec["seed"])
        t3 = time.perf_counter()
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return {**out, "compile_s": t1 - t0, "instantiate_s": t2 - t1, "first_call_s": t3 - t2,
            "first_result_s": t3 - t0, "result": result}


WORKERS = {"run": worker_run, "calibrate": worker_calibrate, "reference": worker_reference,
           "compile": worker_compile}


def worker_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    out = WORKERS[spec["mode"]](spec)
    sys.stdout.write(RESULT_MARKER + json.dumps(out) + "\n")
    return 0


def spawn(spec: dict, env: dict | None = None, timeout: float = 1800) -> dict:
    """Run one worker in a fresh interpreter (this one's executable)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    full_env = dict(os.environ)
    full_env.setdefault("PWASM_CACHE_DIR", "")  # no pwasm disk cache unless asked
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    # the exception's own line: the last unindented "Name: message" line (a Trap's
    # message is followed by its indented wasm stack trace)
    lines = [ln for ln in proc.stderr.splitlines() if ln and not ln[0].isspace() and ": " in ln]
    err = lines[-1] if lines else f"exit status {proc.returncode}"
    return {"error": err, "stderr": proc.stderr[-4000:]}


# -- orchestration ----------------------------------------------------------------

def available_engines(requested: list[str]) -> tuple[list[str], dict[str, str]]:
    usable, notes = [], {}
    for engine in requested:
        if engine in ("pwasm", "wasmtime") and importlib.util.find_spec(engine) is None:
            notes[engine] = f"{engine} is not installed for {sys.executable} (pip install {engine}); skipped"
            continue
        usable.append(engine)
    return usable, notes


def engine_version(engine: str) -> str | None:
    from importlib import metadata
    if engine == "python":
        return platform.python_version()
    try:
        return metadata.version(engine)
    except metadata.PackageNotFoundError:
        return None


def git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(CHECKOUT), "status", "--porcelain",
                                "--untracked-files=no", "--", "transpyle"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "") if rev else None
    except (OSError, subprocess.SubprocessError):
        return None


def code_section(data: bytes) -> tuple[int, int]:
    """Size in bytes of the code section (id 10) of a wasm binary, and its number of
    function bodies."""
    def leb(pos):
        result = shift = 0
        while True:
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result, pos
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(pos + 1)
        if sid == 10:
            return size, leb(pos)[0]
        pos += size
    return 0, 0


def run_kernel(name: str, kernel: dict, opts, engines: list[str], log) -> dict:
    wasm = str(opts.bench_dir / kernel["wasm"])
    base = {"kernel": name, "wasm": wasm, "export": kernel["export"],
            "bench_dir": str(opts.bench_dir)}
    knobs = [k.__dict__ for k in SCALING.get(name, ())]
    if opts.quick or not knobs:
        ref = spawn({**base, "mode": "reference", "args": kernel["quick_args"] if opts.quick
                     else kernel["args"]})
    else:
        log(f"  calibrating {name} on hand-written Python ...")
        ref = spawn({**base, "mode": "calibrate", "args": kernel["args"], "knobs": knobs,
                     "target": opts.target})
    entry = {"result_type": kernel["result"], "reference": ref, "engines": {}}
    if "error" in ref:
        entry["error"] = ref["error"]
        return entry
    args = ref["args"]
    entry["args"] = args
    for engine in engines:
        log(f"  {name}{tuple(args)} on {engine} ...")
        r = spawn({**base, "mode": "run", "engine": engine, "args": args,
                   "warmup_args": kernel["quick_args"], "repeat": opts.repeat,
                   "min_time": opts.min_time})
        if "error" not in r:
            ok, how = agree(kernel["result"], ref["result"], r["result"])
            quick_ref = ref["result"] if opts.quick else _quick_reference(opts, kernel, base)
            ok_w, _ = agree(kernel["result"], quick_ref, r["warmup_result"])
            r["agrees"] = ok and ok_w and r["stable"]
            r["compared"] = how
        entry["engines"][engine] = r
    return entry


_QUICK_REFS: dict = {}


def _quick_reference(opts, kernel, base):
    """The hand-written Python's result at the quick arguments (checks warm-up calls)."""
    key = base["kernel"]
    if opts.quick:
        return None  # the reference is already at the quick arguments
    if key not in _QUICK_REFS:
        r = spawn({**base, "mode": "reference", "args": kernel["quick_args"]})
        _QUICK_REFS[key] = r.get("result")
    return _QUICK_REFS[key]


def run_compile(name: str, opts, engines: list[str], log) -> dict:
    wasm = opts.bench_dir / "programs" / f"{name}.wasm"
    data = wasm.read_bytes()
    base = {"mode": "compile", "wasm": str(wasm), "seed": BIG_SEED}
    reps = 1 if opts.quick else max(1, min(opts.repeat, 3))
    code_bytes, functions = code_section(data)
    entry = {"file": wasm.name, "bytes": len(data), "code_bytes": code_bytes,
             "functions": functions, "repeat": reps, "engines": {}}
    if "transpyle" in engines:
        t = {}
        log(f"  {name}: transpyle cold x{reps} ...")
        t["cold"] = [spawn({**base, "engine": "transpyle"}) for _ in range(reps)]
        log(f"  {name}: transpyle lazy x{reps} ...")
        t["lazy"] = [spawn({**base, "engine": "transpyle", "lazy": True}) for _ in range(reps)]
        with tempfile.TemporaryDirectory(prefix="transpyle-bench-cache-") as cache:
            log(f"  {name}: transpyle filling the disk cache ...")
            t["fill"] = spawn({**base, "engine": "transpyle", "cache_dir": cache})
            if t["fill"].get("no_disk_cache"):
                t["cached"] = None
            else:
                log(f"  {name}: transpyle from the disk cache x{reps} ...")
                t["cached"] = [spawn({**base, "engine": "transpyle", "cache_dir": cache})
                               for _ in range(reps)]
        entry["engines"]["transpyle"] = t
    if "pwasm" in engines:
        p = {}
        log(f"  {name}: pwasm cold x{reps} ...")
        p["cold"] = [spawn({**base, "engine": "pwasm"}, env={"PWASM_CACHE_DIR": ""})
                     for _ in range(reps)]
        with tempfile.TemporaryDirectory(prefix="pwasm-bench-cache-") as cache:
            log(f"  {name}: pwasm with its disk cache ...")
            p["fill"] = spawn({**base, "engine": "pwasm"}, env={"PWASM_CACHE_DIR": cache})
            p["cached"] = [spawn({**base, "engine": "pwasm"}, env={"PWASM_CACHE_DIR": cache})
                           for _ in range(reps)]
        entry["engines"]["pwasm"] = p
    if "wasmtime" in engines:
        log(f"  {name}: wasmtime x{reps} ...")
        entry["engines"]["wasmtime"] = {"cold": [spawn({**base, "engine": "wasmtime"})
                                                 for _ in range(reps)]}
    # every first result must agree (mod 2**32) with every other
    results = []
    for per_engine in entry["engines"].values():
        for runs in per_engine.values():
            for r in (runs if isinstance(runs, list) else [runs] if runs else []):
                if "result" in r:
                    results.append(r["result"])
                elif "error" in r:
                    entry.setdefault("errors", []).append(r["error"])
    entry["results_agree"] = bool(results) and all(
        agree("i32", results[0], r)[0] for r in results)
    return entry


def _median(runs, key):
    vals = [r[key] for r in runs or () if key in r]
    return statistics.median(vals) if vals else None


# -- tables -----------------------------------------------------------------------

class Grid:
    """A table as plain data, printed with rich or as Markdown."""

    def __init__(self, title: str, columns: list[str] = (), left=("kernel", "module", "args", "results"),
                 caption: str | None = None):
        self.title, self.columns, self.left, self.caption = title, columns, left, caption
        self.rows: list[list[str]] = []
        self.footer: list[list[str]] = []

    def add_row(self, *cells):
        self.rows.append([str(c) for c in cells])

    def add_footer(self, *cells):
        self.footer.append([str(c) for c in cells])

    def rich(self):
        from rich.table import Table
        t = Table(title=self.title, caption=self.caption)
        for c in self.columns:
            t.add_column(c, justify="left" if c in self.left else "right")
        for r in self.rows:
            t.add_row(*r)
        if self.footer:
            t.add_section()
            for r in self.footer:
                t.add_row(*r)
        return t

    def markdown(self) -> str:
        import re
        plain = lambda c: re.sub(r"\[/?[a-z ]*\]", "", c).replace("|", "\\|")
        out = [f"**{self.title}**", "", "| " + " | ".join(self.columns) + " |",
               "|" + "|".join("---" if c in self.left else "---:" for c in self.columns) + "|"]
        for r in self.rows + [[f"**{c}**" if c else "" for c in r] for r in self.footer]:
            out.append("| " + " | ".join(plain(c) for c in r) + " |")
        if self.caption:
            out += ["", self.caption]
        return "\n".join(out) + "\n"


def _ms(s):
    return "-" if s is None else (f"{s * 1e3:.0f}" if s >= 0.1 else f"{s * 1e3:.1f}" if s >= 0.001
                                  else f"{s * 1e3:.3f}")


def _ratio(x):
    return "-" if x is None else f"{x:.2f}"


def kernel_table(report: dict, engines: list[str]):
    t = Grid(title=f"run time, CPython {platform.python_version()}"
                    f"{' (quick: quick_args, not a measurement)' if report['meta']['quick'] else ''}"
                    f", median of {report['meta']['repeat']}",
             columns=["kernel", "args", "python ms", "transpyle ms", "transpyle/python",
                      "pwasm ms", "pwasm/transpyle", "wasmtime ms", "results"])
    ratios = {"tp": [], "pt": [], "pp": [], "tw": []}
    for name, e in report["kernels"].items():
        med = {k: (v.get("median_s") if "error" not in v else None) for k, v in e["engines"].items()}
        # ratios only between engines whose results agree with the hand-written Python
        good = {k: med[k] if e["engines"][k].get("agrees") else None for k in med}
        py, tp, pw, wt = (good.get(k) for k in ("python", "transpyle", "pwasm", "wasmtime"))
        r_tp = tp / py if tp and py else None
        r_pt = pw / tp if pw and tp else None
        ratios["tp"].append(r_tp)
        ratios["pt"].append(r_pt)
        ratios["pp"].append(pw / py if pw and py else None)
        ratios["tw"].append(tp / wt if tp and wt else None)
        bad = [k for k, v in e["engines"].items() if "error" in v or not v.get("agrees")]
        if "error" in e:
            status = f"[red]error: {e['error']}[/]"
        elif bad:
            def why(k):
                v = e["engines"][k]
                if "error" in v:
                    return v["error"]
                return f"MISMATCH ({v['result']!r}, Python {e['reference']['result']!r})"
            status = "[red]" + ", ".join(f"{k}: {why(k)}" for k in bad) + "[/]"
        else:
            hows = sorted({v.get("compared") for v in e["engines"].values()})
            status = "agree (" + ", ".join(hows) + ")" if hows else "-"
        cell = lambda k: _ms(med.get(k)) if k in engines else "n/a"
        t.add_row(name, ", ".join(map(str, e.get("args", []))), cell("python"), cell("transpyle"),
                  _ratio(r_tp), cell("pwasm"), _ratio(r_pt), cell("wasmtime"), status)
    g = {k: geomean(v) for k, v in ratios.items()}
    t.add_footer("geometric mean", "", "", "", _ratio(g["tp"]), "", _ratio(g["pt"]), "", "")
    report["geomean"] = {"transpyle/python": g["tp"], "pwasm/transpyle": g["pt"],
                         "pwasm/python": g["pp"], "transpyle/wasmtime": g["tw"]}
    return t


def lazy_cells(runs) -> list[str]:
    if not runs:
        return ["n/a"] * 3
    ci = [r["instantiate_s"] + r["first_call_s"] for r in runs if "instantiate_s" in r]
    return [_ms(_median(runs, "compile_s")), _ms(statistics.median(ci)) if ci else "error",
            _ms(_median(runs, "lazy_run_s"))]


def compile_table(report: dict, engines: list[str]):
    t = Grid(title=f"compile time, CPython {platform.python_version()}: a fresh process per"
                    f" measurement, median of {report['meta']['compile_repeat']}",
              caption="cold: decode+validate+codegen+instantiate, no cache; KB/s: code section"
                      " / (decode+validate+codegen); disk cache: the same from Runtime(cache_dir);"
                      " inst+call: instantiate + first big_run() call (every function compiled"
                      " before instantiation); 1st result: compile+instantiate+first call;"
                      " lazy: Runtime(lazy=True), compile (decode+validate only), then"
                      " instantiate + first result (big_count(), one function translated on"
                      " its first call), then big_run() translating every function; pwasm: decode+instantiate(mode='compile')"
                      "+first call, compiling functions as they are first called, without / with"
                      " its disk cache; wasmtime: Module+Instance+first call (native)")
    cols = ["module", "code KB", "funcs", "cold ms", "KB/s", "disk cache ms",
            "inst+call ms", "1st result cold ms", "1st result cached ms",
            "lazy compile ms", "lazy inst+1st result ms", "lazy big_run ms",
            "pwasm cold ms", "pwasm cached ms", "wasmtime ms", "results"]
    t.columns = cols
    for name, e in report["compile"].items():
        kb = e["code_bytes"] / 1024
        tp = e["engines"].get("transpyle", {})
        cold_c = _median(tp.get("cold"), "compile_s")
        cold_i = _median(tp.get("cold"), "instantiate_s")
        cold_f = _median(tp.get("cold"), "first_call_s")
        cold = cold_c + cold_i if cold_c is not None and cold_i is not None else None
        inst_call = cold_i + cold_f if cold_i is not None and cold_f is not None else None
        first_cold = _median(tp.get("cold"), "first_result_s")
        if "transpyle" not in engines:
            cached = first_cached = "n/a"
        elif tp.get("cached") is None:
            cached = first_cached = "n/a (no disk cache)"
        else:
            cc = _median(tp["cached"], "compile_s")
            ci = _median(tp["cached"], "instantiate_s")
            cached = _ms(cc + ci) if cc is not None and ci is not None else "error"
            first_cached = _ms(_median(tp["cached"], "first_result_s"))
            if tp["cached"] and any(r.get("cache_entries_after") != r.get("cache_entries_before")
                                    or r.get("warnings") for r in tp["cached"]):
                cached += " (miss?)"
        pw = e["engines"].get("pwasm", {})
        wt = e["engines"].get("wasmtime", {})
        status = "agree (mod 2^32)" if e["results_agree"] else \
            "[red]" + "; ".join(e.get("errors", ["MISMATCH"])) + "[/]"
        na = "transpyle" not in engines
        t.add_row(e["file"], f"{kb:.0f}", str(e["functions"]),
                  "n/a" if na else _ms(cold), f"{kb / cold_c:.0f}" if cold_c else "-",
                  cached, "n/a" if na else _ms(inst_call), "n/a" if na else _ms(first_cold),
                  first_cached, *lazy_cells(tp.get("lazy")),
                  _ms(_median(pw.get("cold"), "first_result_s")) if pw else "n/a",
                  _ms(_median(pw.get("cached"), "first_result_s")) if pw else "n/a",
                  _ms(_median(wt.get("cold"), "first_result_s")) if wt else "n/a",
                  status)
    return t


# -- main -----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR,
                    help="the benchmark directory (kernels.json, pure_kernels.py, programs/); "
                         "default: bench/ in this checkout")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write every number to OUT")
    ap.add_argument("--quick", action="store_true",
                    help="quick_args, no calibration, 3 repetitions: a check, not a measurement")
    ap.add_argument("--only", metavar="K1,K2",
                    help="kernels (and/or big500, big2500) to run; default all")
    ap.add_argument("--engines", default=",".join(ENGINES), metavar="E1,E2",
                    help=f"engines among {','.join(ENGINES)}; default all that are installed")
    ap.add_argument("--repeat", type=int, help="timed repetitions (default 5; 3 with --quick)")
    ap.add_argument("--target", type=float, default=0.4,
                    help="seconds the hand-written Python should take per call after calibration")
    ap.add_argument("--min-time", type=float,
                    help="shorter calls are looped to last this long (default 0.2 s; 0.02 with --quick)")
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.repeat is None:
        opts.repeat = 3 if opts.quick else 5
    if opts.min_time is None:
        opts.min_time = 0.02 if opts.quick else 0.2
    return ap, opts


def main(argv=None) -> int:
    ap, opts = parse_args(argv)
    if opts.worker:
        return worker_main(opts.worker)
    from rich.console import Console
    console = Console(width=200)
    err = Console(stderr=True)
    log = lambda msg: err.print(msg, style="dim", highlight=False)

    kernels_file = opts.bench_dir / "kernels.json"
    if not kernels_file.is_file():
        err.print(f"no benchmark directory: {kernels_file} not found (--bench-dir DIR)")
        return 1
    kernels = json.loads(kernels_file.read_text())
    requested = [e.strip() for e in opts.engines.split(",") if e.strip()]
    unknown = [e for e in requested if e not in ENGINES]
    if unknown:
        ap.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    engines, notes = available_engines(requested)
    names = list(kernels) + list(BIG_MODULES)
    if opts.only:
        names = [n.strip() for n in opts.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in kernels and n not in BIG_MODULES]
        if unknown:
            ap.error(f"unknown kernel(s) {', '.join(unknown)}; known: "
                     f"{', '.join(list(kernels) + list(BIG_MODULES))}")
    for note in notes.values():
        err.print(note)

    report = {"meta": {
        "python": platform.python_version(), "executable": sys.executable,
        "platform": platform.platform(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "transpyle_git": git_revision(),
        "versions": {e: engine_version(e) for e in engines}, "quick": opts.quick,
        "repeat": opts.repeat, "compile_repeat": 1 if opts.quick else max(1, min(opts.repeat, 3)),
        "min_time_s": opts.min_time, "target_s": None if opts.quick else opts.target,
        "bench_dir": str(opts.bench_dir), "engines": engines, "skipped": notes,
        "environment": {k: v for k, v in os.environ.items()
                        if k.startswith(("TRANSPYLE_", "PWASM_", "PYTHON"))},
        "comparison": "integers modulo 2**32 (i32) / 2**64 (i64); floats exactly",
    }, "kernels": {}, "compile": {}}

    for name in names:
        if name in kernels:
            report["kernels"][name] = run_kernel(name, kernels[name], opts, engines, log)
    def show(grid):
        if opts.markdown:
            print("\n" + grid.markdown(), flush=True)
        else:
            console.print(grid.rich())

    if report["kernels"]:
        show(kernel_table(report, engines))
    for name in names:
        if name in BIG_MODULES:
            report["compile"][name] = run_compile(name, opts, engines, log)
    if report["compile"]:
        show(compile_table(report, engines))
    for note in notes.values():
        console.print(note)
    report["meta"]["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None

    failed = any("error" in e or any("error" in v or not v.get("agrees")
                                     for v in e["engines"].values())
                 for e in report["kernels"].values())
    failed |= any(not e["results_agree"] or e.get("errors") for e in report["compile"].values())
    report["ok"] = not failed
    if opts.json:
        opts.json.write_text(json.dumps(report, indent=1, default=str))
    if failed:
        console.print("[red]some results disagree or a measurement failed (see above)[/]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

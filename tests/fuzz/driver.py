"""The fuzzer's driver and command line: random modules against wasmtime for a time or a
count.

    python -m tests.fuzz --minutes 30                 # both cores, seeds from the clock
    python -m tests.fuzz --modules 20000 --seed 7     # reproducible: seeds 7, 8, 9, ...
    python -m tests.fuzz --replay fuzz-failures/result-123/case.json

Module k of a run with --seed S is generated from seed S + k, so any case can be
regenerated from its seed alone. Each worker is a separate process: a transpyle bug that
crashes the interpreter (a segfault) costs that worker only; the parent records the seed
it was running as a `signal:<name>` mismatch, reduces it with every attempt in a fresh
process, and starts the worker again. Mismatches are reduced (--reduce-seconds) and saved
under --save-dir as `<kind>-<seed>/`: `case.wat` (reduced), `original.wat`, `case.json`
(seed, kind, detail, the reduced choice sequence). The exit status is 1 if any mismatch
was found.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _is_debug(seed: int) -> bool:
    """One module in eight is also compiled with Runtime(debug=True)."""
    return seed % 8 == 7


def _worker(wid: int, first: int, step: int, count: int, deadline: float, current, queue,
            save_dir: str, reduce_seconds: float) -> None:
    from .check import GeneratorError, Oracle, Subject, TooLong, check
    from .choices import Choices
    from .gen import generate

    oracle, subject = Oracle(), Subject()
    modules = calls = skipped = 0
    last = time.monotonic()
    seed = first
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        current.value = seed
        program = generate(Choices(seed))
        try:
            mismatch, n = check(program, oracle, subject, debug=_is_debug(seed))
        except GeneratorError as e:
            queue.put(("generator", wid, seed, str(e)[:2000]))
            mismatch, n = None, 0
        except TooLong:
            skipped += 1
            mismatch, n = None, 0
        modules += 1
        calls += n
        if mismatch is not None:
            queue.put(("mismatch", wid, seed, mismatch.kind, str(mismatch)))
            path = save_case(Path(save_dir), seed, mismatch.kind, str(mismatch), program,
                             reduce_seconds, oracle, subject)
            queue.put(("saved", wid, seed, str(path)))
        now = time.monotonic()
        if now - last > 2.0:
            queue.put(("stats", wid, modules, calls, skipped))
            modules = calls = skipped = 0
            last = now
        seed += step
    current.value = -1
    queue.put(("stats", wid, modules, calls, skipped))
    queue.put(("done", wid, seed))


def save_case(save_dir: Path, seed: int, kind: str, detail: str, program, reduce_seconds,
              oracle=None, subject=None, in_subprocess: bool = False) -> Path:
    """Reduce a failing case and write it under save_dir; returns its folder."""
    from .reduce import reduce

    out = save_dir / f"{kind.replace(':', '-')}-{seed}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "original.wat").write_text(program.wat)
    record = {"seed": seed, "kind": kind, "detail": detail, "debug": _is_debug(seed),
              "python": sys.version.split()[0], "choices": program.choices}
    try:
        if in_subprocess:
            choices, reduced, mismatch = reduce(program.choices, kind, debug=_is_debug(seed),
                                                seconds=reduce_seconds, runner=probe_runner)
        else:
            choices, reduced, mismatch = reduce(program.choices, kind, debug=_is_debug(seed),
                                                seconds=reduce_seconds, oracle=oracle,
                                                subject=subject)
        record.update(choices=choices, detail=str(mismatch) if mismatch else detail,
                      args=[list(a) for a in reduced.args])
        (out / "case.wat").write_text(reduced.wat)
    except ValueError as e:  # did not fail again when replayed (flaky): keep the original
        record["reduce_error"] = str(e)
        (out / "case.wat").write_text(program.wat)
    (out / "case.json").write_text(json.dumps(record, indent=1) + "\n")
    return out


def probe_runner(choices: list[int], debug: bool) -> str | None:
    """Run one case in a fresh interpreter; the kind of its mismatch, or None."""
    env = dict(os.environ)  # `tests.fuzz` importable from any directory, after the path given
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fuzz", "--probe", "--debug" if debug else "--no-debug"],
        input=json.dumps(choices), capture_output=True, text=True, env=env, timeout=120)
    if proc.returncode < 0:
        return f"signal:{signal.Signals(-proc.returncode).name}"
    line = proc.stdout.strip().splitlines()[-1:] or [""]
    return line[0] or None


def probe() -> int:
    """--probe: choices on stdin -> the mismatch kind (or an empty line) on stdout."""
    from .check import GeneratorError, Oracle, Subject, TooLong, check
    from .choices import Choices
    from .gen import generate

    choices = json.loads(sys.stdin.read())
    program = generate(Choices(values=choices))
    try:
        mismatch, _ = check(program, Oracle(), Subject(), debug="--debug" in sys.argv)
    except (GeneratorError, TooLong):
        mismatch = None
    print(mismatch.kind if mismatch else "")
    return 0


def replay(path: Path) -> int:
    from .check import Oracle, Subject, check
    from .choices import Choices
    from .gen import generate

    record = json.loads(path.read_text())
    program = generate(Choices(values=record["choices"]))
    print(program.wat)
    mismatch, _ = check(program, Oracle(), Subject(), debug=record.get("debug", False))
    print(f"# {mismatch}" if mismatch else "# no mismatch: fixed")
    return 1 if mismatch else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=None, help="run for this long")
    ap.add_argument("--modules", type=int, default=None, help="run this many modules")
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: the clock)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    ap.add_argument("--save-dir", default="fuzz-failures", help="where mismatches are saved")
    ap.add_argument("--reduce-seconds", type=float, default=120.0)
    ap.add_argument("--replay", type=Path, help="run a saved case.json again")
    ap.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-debug", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        return probe()
    if args.replay:
        return replay(args.replay)
    if args.minutes is None and args.modules is None:
        args.minutes = 1.0
    seed = args.seed if args.seed is not None else int(time.time()) * 1000
    deadline = time.monotonic() + (args.minutes * 60 if args.minutes else 1e12)
    total = args.modules if args.modules is not None else 1 << 62
    jobs = max(1, min(args.jobs, total))
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    workers: dict[int, tuple] = {}
    per = [total // jobs + (1 if w < total % jobs else 0) for w in range(jobs)]
    done_counts = [0] * jobs

    def start(wid: int, first: int, count: int) -> None:
        current = ctx.Value("q", -1)
        p = ctx.Process(target=_worker, args=(wid, first, jobs, count, deadline, current, queue,
                                              args.save_dir, args.reduce_seconds), daemon=True)
        p.start()
        workers[wid] = (p, current, first, count)

    for w in range(jobs):
        start(w, seed + w, per[w])
    modules = calls = skipped = 0
    mismatches: list[tuple] = []
    generator_errors = 0
    began = time.monotonic()
    last_print = 0.0
    print(f"fuzzing from seed {seed} with {jobs} worker(s); mismatches go to {args.save_dir}/",
          flush=True)
    while workers:
        try:
            msg = queue.get(timeout=1.0)
        except Exception:  # noqa: BLE001 - queue.Empty: look after the workers
            msg = None
        if msg is not None:
            kind = msg[0]
            if kind == "stats":
                _, wid, m, c, s = msg
                modules, calls, skipped = modules + m, calls + c, skipped + s
                done_counts[wid] += m
            elif kind == "mismatch":
                mismatches.append(msg[2:])
                print(f"MISMATCH seed {msg[2]}: {msg[4]}", flush=True)
            elif kind == "saved":
                print(f"  reduced and saved: {msg[3]}", flush=True)
            elif kind == "generator":
                generator_errors += 1
                print(f"GENERATOR ERROR seed {msg[2]}: {msg[3][:300]}", flush=True)
            elif kind == "done":
                p = workers.pop(msg[1])[0]
                p.join()
        for wid, (p, current, first, count) in list(workers.items()):
            if p.is_alive() or p.exitcode is None:
                continue
            if p.exitcode == 0:
                continue  # its "done" message is still in the queue
            crashed = current.value
            workers.pop(wid)
            name = (signal.Signals(-p.exitcode).name if p.exitcode < 0 else f"exit{p.exitcode}")
            kind = f"signal:{name}"
            print(f"MISMATCH seed {crashed}: the worker died ({name})", flush=True)
            mismatches.append((crashed, kind, f"the interpreter died ({name})"))
            modules += 1
            if crashed >= 0:
                from .choices import Choices
                from .gen import generate
                program = generate(Choices(crashed))
                path = save_case(Path(args.save_dir), crashed, kind, f"interpreter died ({name})",
                                 program, args.reduce_seconds, in_subprocess=True)
                print(f"  reduced and saved: {path}", flush=True)
                remaining = count - done_counts[wid] - 1
                if remaining > 0 and time.monotonic() < deadline:
                    done_counts[wid] = 0
                    start(wid, crashed + jobs, remaining)
        now = time.monotonic()
        if now - last_print > 30:
            last_print = now
            print(f"  {modules} modules, {calls} calls, {len(mismatches)} mismatches "
                  f"({now - began:.0f} s)", flush=True)
    elapsed = time.monotonic() - began
    print(f"fuzz: {modules} modules, {calls} calls in {elapsed:.0f} s "
          f"({modules / max(elapsed, 1e-9):.0f} modules/s), {len(mismatches)} mismatches, "
          f"{skipped} discarded (wasmtime out of fuel), {generator_errors} generator errors; "
          f"first seed {seed} (python {sys.version.split()[0]})")
    by_kind: dict[str, int] = {}
    for _, kind, _detail in mismatches:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    for kind, n in sorted(by_kind.items()):
        print(f"  {kind}: {n}")
    return 1 if mismatches or generator_errors else 0

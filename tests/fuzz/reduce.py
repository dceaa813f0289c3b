"""Shrink a failing case to a small module that fails the same way.

The reducer edits the case's choice sequence, not its wasm: every edited sequence
generates a valid module (gen.py), so each candidate only has to be run again. Passes,
repeated until none helps: cut the sequence short, delete runs of 32 .. 1 choices,
lower single choices (to 0, then halved, then minus one). A candidate is kept when it
fails with the same kind of mismatch (`Mismatch.kind`) and is no larger (fewer lines
of text, then fewer choices).
"""

from __future__ import annotations

import time
from typing import Callable

import wasmtime

from .check import GeneratorError, Mismatch, Oracle, Subject, TooLong, check
from .choices import Choices
from .gen import Program, generate


def _size(program: Program) -> tuple[int, int]:
    return program.wat.count("\n"), len(program.choices)


def reduce(choices: list[int], kind: str, *, debug: bool = False, seconds: float = 120.0,
           oracle: Oracle | None = None, subject: Subject | None = None,
           runner: Callable[[list[int], bool], str | None] | None = None,
           ) -> tuple[list[int], Program, Mismatch]:
    """The smallest choice sequence found within `seconds` that still fails with a
    mismatch of `kind`: (choices, its program, its mismatch). `runner(choices, debug)`,
    if given, runs each attempt elsewhere (a fresh process, for cases that crash the
    interpreter) and returns the kind of its mismatch or None."""
    if runner is None:
        oracle = oracle or Oracle()
        subject = subject or Subject()
    deadline = time.monotonic() + seconds

    tried: set[tuple] = set()

    def attempt(values: list[int]):
        key = tuple(values)
        if key in tried:
            return None
        tried.add(key)
        program = generate(Choices(values=values))
        if runner is not None:
            got = runner(program.choices, debug)
            return (program, Mismatch(kind, "(run in a subprocess)")) if got == kind else None
        try:
            wasm = bytes(wasmtime.wat2wasm(program.wat))
            mismatch, _ = check(program, oracle, subject, debug=debug, wasm=wasm)
        except (GeneratorError, TooLong):
            return None
        if mismatch is None or mismatch.kind != kind:
            return None
        return program, mismatch

    first = attempt(choices)
    if first is None:
        raise ValueError(f"the case does not fail with {kind!r} when replayed")
    best_program, best_mismatch = first
    best = best_program.choices

    def better(values: list[int]) -> bool:
        nonlocal best, best_program, best_mismatch
        if values == best or time.monotonic() > deadline:
            return False
        r = attempt(values)
        if r is None or _size(r[0]) > _size(best_program):
            return False
        best_program, best_mismatch = r
        best = best_program.choices
        return True

    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        # cut short: binary search for the shortest prefix that still fails
        lo, hi = 0, len(best)
        while lo < hi and time.monotonic() < deadline:
            mid = (lo + hi) // 2
            if better(best[:mid]):
                improved = True
                hi = min(mid, len(best))
                lo = 0
            else:
                lo = mid + 1
        # delete runs
        for size in (32, 16, 8, 4, 2, 1):
            i = 0
            while i < len(best) and time.monotonic() < deadline:
                if better(best[:i] + best[i + size:]):
                    improved = True
                else:
                    i += size
        # lower values
        i = 0
        while i < len(best) and time.monotonic() < deadline:
            v = best[i]
            for smaller in (0, v // 2, v - 1):
                if 0 <= smaller < v and better(best[:i] + [smaller] + best[i + 1:]):
                    improved = True
                    break
            i += 1
    return best, best_program, best_mismatch

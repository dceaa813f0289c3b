"""Run one generated module in wasmtime and in transpyle and compare everything a user
could observe: each call's results (bits) or trap (its kind), then the memory (size and
every byte) and every global's bits, after every call, each call on a fresh instance.

A difference is a `Mismatch`, whose `kind` ("result", "trap", "memory", "globals",
"crash:<exception>", "compile:<exception>", "hang") the reducer keeps while it shrinks.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass

import wasmtime

import transpyle

from wasm_oracle import TRAP_CODE_MESSAGES  # wasmtime's trap codes -> the spec's messages

from .gen import Program

M = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF}
FUEL = 20_000_000  # wasmtime's budget per call: generated code is bounded far below it
TIMEOUT = 20.0  # seconds one transpyle call may take before it counts as a hang
class GeneratorError(Exception):
    """wasmtime rejected a generated module: a bug of the generator, not of transpyle."""


class TooLong(Exception):
    """wasmtime ran out of fuel: the case is discarded (generated code should not)."""


@dataclass
class Mismatch:
    kind: str
    detail: str
    args: tuple | None = None

    def __str__(self) -> str:
        where = (f"{self.args[0]}{self.args[1]}" if self.args is not None else "compile")
        return f"{self.kind} at {where}: {self.detail}"


class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang()


class Oracle:
    """wasmtime, with fuel so that a generator mistake cannot hang the run."""

    def __init__(self):
        config = wasmtime.Config()
        config.consume_fuel = True
        config.cranelift_opt_level = "none"  # compile speed; semantics do not depend on it
        self.engine = wasmtime.Engine(config)
        self.traps = {getattr(wasmtime.TrapCode, k): v for k, v in TRAP_CODE_MESSAGES.items()
                      if hasattr(wasmtime.TrapCode, k)}

    def module(self, wasm: bytes):
        try:
            return wasmtime.Module(self.engine, wasm)
        except Exception as e:  # noqa: BLE001 - any rejection is the generator's fault
            raise GeneratorError(str(e)) from None

    def run(self, module, program: Program, call: tuple):
        name, args = call
        store = wasmtime.Store(self.engine)
        store.set_fuel(FUEL)
        inst = wasmtime.Instance(store, module, [])
        ex = inst.exports(store)
        try:
            r = ex[name](store, *args)
            if r is None:
                r = ()
            elif not isinstance(r, (list, tuple)):
                r = (r,)
            outcome = ("ok", tuple(v & M[t] for v, t in zip(r, program.results[name])))
        except wasmtime.Trap as trap:
            if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                raise TooLong() from None
            outcome = ("trap", self.traps.get(trap.trap_code, f"wasmtime {trap.trap_code}"))
        mem = ex["mem"]
        memory = bytes(mem.read(store, 0, mem.data_len(store)))
        g = ex["gbits"](store)
        from .gen import CARRIER, GLOBAL_TYPES
        gl = tuple(v & M[CARRIER[t]] for v, t in zip(g, GLOBAL_TYPES))
        return outcome, memory, gl


class Subject:
    """transpyle, in the mode a case asks for (plain or debug), with a fresh Runtime
    every so many modules (a runtime keeps what it compiled)."""

    def __init__(self):
        self.runtimes: dict[bool, transpyle.Runtime] = {}
        self.compiled = 0

    def runtime(self, debug: bool) -> transpyle.Runtime:
        rt = self.runtimes.get(debug)
        if rt is None or self.compiled >= 200:
            if self.compiled >= 200:
                self.runtimes.clear()
                self.compiled = 0
            rt = self.runtimes[debug] = transpyle.Runtime(debug=debug)
        return rt

    def compile(self, wasm: bytes, debug: bool):
        self.compiled += 1
        return self.runtime(debug).compile(wasm)

    def run(self, rt, compiled, call: tuple):
        name, args = call
        inst = rt.instantiate(compiled)
        ex = inst.exports
        try:
            r = ex[name].call_raw(*args)
            outcome = ("ok", tuple(r))
        except transpyle.Trap as trap:
            msg = str(trap).split("\n")[0]
            outcome = ("trap", msg)
        memory = bytes(ex["mem"].data)
        gl = tuple(ex["gbits"].call_raw())
        return outcome, memory, gl


def _trap_kind(outcome) -> str:
    return outcome[1] if outcome[0] == "trap" else ""


def check(program: Program, oracle: Oracle, subject: Subject, *, debug: bool = False,
          wasm: bytes | None = None, only_args=None) -> tuple[Mismatch | None, int]:
    """Compare the engines on `program`; returns (the first mismatch or None, calls made).
    Raises GeneratorError if the module is invalid, TooLong if wasmtime ran out of fuel."""
    if wasm is None:
        wasm = bytes(wasmtime.wat2wasm(program.wat))
    module = oracle.module(wasm)
    try:
        compiled = subject.compile(wasm, debug)
    except Exception as e:  # noqa: BLE001 - a valid module must compile
        return Mismatch(f"compile:{type(e).__name__}", f"{e}"), 0
    rt = subject.runtime(debug)
    calls = 0
    for args in (program.args if only_args is None else only_args):
        expected = oracle.run(module, program, args)
        calls += 1
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
        try:
            got = subject.run(rt, compiled, args)
        except _Hang:
            return Mismatch("hang", f"no result after {TIMEOUT} s", args), calls
        except Exception as e:  # noqa: BLE001 - anything but a Trap is a transpyle bug
            return Mismatch(f"crash:{type(e).__name__}", f"{e!r}", args), calls
        finally:
            if in_main:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
        (eo, em, eg), (go, gm, gg) = expected, got
        if eo[0] != go[0] or (eo[0] == "ok" and eo[1] != go[1]):
            kind = "trap" if "trap" in (eo[0], go[0]) else "result"
            return Mismatch(kind, f"wasmtime {_show(eo)}, transpyle {_show(go)}", args), calls
        if eo[0] == "trap" and not go[1].startswith(eo[1]):
            return Mismatch("trap", f"wasmtime trap {eo[1]!r}, transpyle {go[1]!r}", args), calls
        if em != gm:
            return Mismatch("memory", _memory_diff(em, gm), args), calls
        if eg != gg:
            return Mismatch("globals", f"wasmtime {_hex(eg)}, transpyle {_hex(gg)}", args), calls
    return None, calls


def _hex(values) -> str:
    return "(" + ", ".join(hex(v) for v in values) + ")"


def _show(outcome) -> str:
    return f"trap {outcome[1]!r}" if outcome[0] == "trap" else _hex(outcome[1])


def _memory_diff(a: bytes, b: bytes) -> str:
    if len(a) != len(b):
        return f"memory size: wasmtime {len(a)} bytes, transpyle {len(b)}"
    first = next(i for i in range(len(a)) if a[i] != b[i])
    return (f"first difference at {first:#x}: wasmtime {a[first:first + 8].hex()}, "
            f"transpyle {b[first:first + 8].hex()}")

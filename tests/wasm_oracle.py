"""wasmtime as an oracle for transpyle: run the same module bytes in both engines.

Shared by the differential tests (`test_engine_differential.py`). Only integers cross
either boundary: callers pass and receive raw bit patterns (i32/i64 unsigned, f32/f64 as
their IEEE bits); wasm code reinterprets floats inside, so no engine's Python float
conversion can quiet a signalling NaN on the way.

An outcome is `("ok", (raw results...))` or `("trap", spec message)`; `compare` checks two
outcomes under the specification's NaN freedom.
"""

from __future__ import annotations

import math
import struct

import pytest

import transpyle

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
MASK = {"i32": M32, "i64": M64, "f32": M32, "f64": M64}
# the integer type that carries a value type's bits across the boundary
CARRIER = {"i32": "i32", "i64": "i64", "f32": "i32", "f64": "i64"}

CACHED_MODULES = 400  # compiled modules kept per engine (long random runs stay bounded)

# wasmtime trap code name -> the specification's message (what transpyle's Trap starts with)
TRAP_CODE_MESSAGES = {
    "INTEGER_DIVISION_BY_ZERO": "integer divide by zero",
    "INTEGER_OVERFLOW": "integer overflow",
    "BAD_CONVERSION_TO_INTEGER": "invalid conversion to integer",
    "MEMORY_OUT_OF_BOUNDS": "out of bounds memory access",
    "HEAP_MISALIGNED": "out of bounds memory access",
    "UNREACHABLE": "unreachable",
    "STACK_OVERFLOW": "call stack exhausted",
    "TABLE_OUT_OF_BOUNDS": "undefined element",
    "INDIRECT_CALL_TO_NULL": "uninitialized element",
    "BAD_SIGNATURE": "indirect call type mismatch",
}


# -- bits ------------------------------------------------------------------------------
def is_nan_bits(t: str, u: int) -> bool:
    if t == "f32":
        return (u & 0x7F800000) == 0x7F800000 and (u & 0x7FFFFF) != 0
    return (u & 0x7FF0000000000000) == 0x7FF0000000000000 and (u & 0xFFFFFFFFFFFFF) != 0


def is_quiet_bits(t: str, u: int) -> bool:
    return bool(u & (0x400000 if t == "f32" else 0x8000000000000))


def is_canonical_bits(t: str, u: int) -> bool:
    if t == "f32":
        return (u & 0x7FFFFFFF) == 0x7FC00000
    return (u & 0x7FFFFFFFFFFFFFFF) == 0x7FF8000000000000


def float_of_bits(t: str, u: int) -> float:
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", u))[0]
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def wat_const(t: str, bits: int) -> str:
    """`t.const` with a literal for exactly these bits (NaN payloads included)."""
    bits &= MASK[t]
    if t in ("i32", "i64"):
        return f"{t}.const {bits:#x}"
    if is_nan_bits(t, bits):
        sign = "-" if bits >> (WIDTH[t] - 1) else ""
        payload = bits & (0x7FFFFF if t == "f32" else 0xFFFFFFFFFFFFF)
        return f"{t}.const {sign}nan:{payload:#x}"
    x = float_of_bits(t, bits)
    if math.isinf(x):
        return f"{t}.const {'-' if x < 0 else ''}inf"
    return f"{t}.const {x.hex()}"  # exact: every f32 is a double


def show(bits) -> str:
    return "(" + ", ".join(hex(b) if isinstance(b, int) else repr(b) for b in bits) + ")"


# -- comparing outcomes ----------------------------------------------------------------
EXACT = "exact"  # bit for bit
ARITHMETIC = "arithmetic"  # a NaN result may be any arithmetic NaN (quiet)
CANONICAL_IF = "canonical-if"  # ... and must be canonical if every NaN operand is


def compare(where: str, types, expected, got, nan=EXACT, nan_operands=()) -> None:
    """Assert that transpyle's outcome `got` agrees with wasmtime's `expected`.

    `types`: the result types; `nan` says how free a NaN result is (for single-result
    float ops); `nan_operands`: (type, bits) of the op's float operands (CANONICAL_IF)."""
    if expected[0] == "trap" or got[0] == "trap":
        assert got[0] == expected[0] == "trap", f"{where}: wasmtime {_fmt(expected)}, ours {_fmt(got)}"
        assert got[1].startswith(expected[1]), (
            f"{where}: trap message {got[1]!r}, wasmtime/spec {expected[1]!r}")
        return
    exp, mine = expected[1], got[1]
    assert len(exp) == len(mine) == len(types), f"{where}: wasmtime {_fmt(expected)}, ours {_fmt(got)}"
    for k, (t, e, g) in enumerate(zip(types, exp, mine)):
        assert type(g) is int, f"{where}: result {k} is {type(g).__name__} {g!r}, not an int"
        if nan != EXACT and t in ("f32", "f64") and is_nan_bits(t, e):
            assert is_nan_bits(t, g), f"{where}: ours {g:#x}, wasmtime NaN {e:#x}"
            assert is_quiet_bits(t, g), f"{where}: NaN {g:#x} is not arithmetic (quiet)"
            if nan == CANONICAL_IF and all(is_canonical_bits(ot, ob) for ot, ob in nan_operands
                                           if is_nan_bits(ot, ob)):
                assert is_canonical_bits(t, g), f"{where}: NaN {g:#x} must be canonical"
        else:
            assert g == e, f"{where}: result {k}: ours {g:#x}, wasmtime {e:#x}"


def _fmt(outcome) -> str:
    if outcome[0] == "trap":
        return f"trap {outcome[1]!r}"
    return show(outcome[1])


# -- the engines ---------------------------------------------------------------------------
class Wasmtime:
    """The oracle. One engine; modules cached by their bytes."""

    def __init__(self):
        self.w = pytest.importorskip(
            "wasmtime", reason="wasmtime (a test-only dependency) is not installed: no oracle")
        self.engine = self.w.Engine()
        self.modules: dict[bytes, object] = {}
        self.traps = {getattr(self.w.TrapCode, name): msg for name, msg in TRAP_CODE_MESSAGES.items()
                      if hasattr(self.w.TrapCode, name)}

    def wat2wasm(self, wat: str) -> bytes:
        return bytes(self.w.wat2wasm(wat))

    def module(self, wasm: bytes):
        m = self.modules.get(wasm)
        if m is None:
            if len(self.modules) >= CACHED_MODULES:
                self.modules.clear()
            m = self.modules[wasm] = self.w.Module(self.engine, wasm)
        return m

    def instantiate(self, wasm: bytes) -> "WtInstance":
        store = self.w.Store(self.engine)
        inst = self.w.Instance(store, self.module(wasm), [])
        return WtInstance(self, store, inst.exports(store))

    def trap_message(self, trap) -> str:
        code = trap.trap_code
        return self.traps.get(code, f"unmapped wasmtime trap {code}: {trap.message}")


class WtInstance:
    __slots__ = ("oracle", "store", "exports")

    def __init__(self, oracle, store, exports):
        self.oracle, self.store, self.exports = oracle, store, exports

    def call(self, name: str, args, result_types) -> tuple:
        fn = self.exports[name]
        try:
            r = fn(self.store, *args)
        except self.oracle.w.Trap as trap:
            return "trap", self.oracle.trap_message(trap)
        if r is None:
            r = ()
        elif not isinstance(r, (list, tuple)):
            r = (r,)
        return "ok", tuple(v & MASK[CARRIER[t]] for v, t in zip(r, result_types))

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self.exports["mem"].read(self.store, offset, offset + length))

    def write(self, offset: int, data: bytes) -> None:
        self.exports["mem"].write(self.store, data, offset)

    def global_bits(self, name: str, t: str) -> int:
        v = self.exports[name].value(self.store)
        if t in ("f32", "f64"):  # wasmtime gives a Python float: bits via the C type
            return struct.unpack("<I" if t == "f32" else "<Q",
                                 struct.pack("<f" if t == "f32" else "<d", v))[0]
        return v & MASK[t]


class Transpyle:
    """The engine under test: one Runtime compiles every module."""

    def __init__(self):
        self.rt = transpyle.Runtime()
        self.modules: dict[bytes, object] = {}

    def compile(self, wasm: bytes):
        m = self.modules.get(wasm)
        if m is None:
            if len(self.modules) >= CACHED_MODULES:  # a runtime keeps what it compiled
                self.modules.clear()
                self.rt = transpyle.Runtime()
            m = self.modules[wasm] = self.rt.compile(wasm)
        return m

    def instantiate(self, wasm: bytes) -> "TpInstance":
        return TpInstance(self.rt.instantiate(self.compile(wasm)))


class TpInstance:
    __slots__ = ("inst",)

    def __init__(self, inst):
        self.inst = inst

    def call(self, name: str, args, result_types=None) -> tuple:
        try:
            r = self.inst.exports[name].call_raw(*args)
        except transpyle.Trap as trap:
            return "trap", str(trap)
        return "ok", tuple(r)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self.inst.exports["mem"].read(offset, length))

    def global_bits(self, name: str, t: str) -> int:
        return self.inst.exports[name].raw


_ENGINES: dict[str, object] = {}


def wasmtime_oracle() -> Wasmtime:
    """The process-wide oracle (skips the calling test if wasmtime is missing)."""
    w = _ENGINES.get("wasmtime")
    if w is None:
        w = _ENGINES["wasmtime"] = Wasmtime()
    return w


def transpyle_engine() -> Transpyle:
    t = _ENGINES.get("transpyle")
    if t is None:
        t = _ENGINES["transpyle"] = Transpyle()
    return t


def release() -> None:
    """Drop the wasmtime objects while the interpreter is whole (their finalisers print
    noise when they run after wasmtime's ctypes bindings are gone at exit)."""
    _ENGINES.clear()

"""Run wast2json command files (the official spec suite) against transpyle's public API.

Only the public API of API.md is used: `transpyle.Runtime`, `.compile`,
`.instantiate(module, name=..., imports=...)`, `.register(name, instance)`,
`inst.exports[name]`, `Function.call_raw(*raw_args)`, `Global.raw` and the
exceptions `DecodeError`, `ValidationError`, `LinkError`, `Trap`.

Values are compared in their raw encoding: i32/i64 as unsigned ints, f32/f64 as
IEEE-754 bit patterns, v128 as an unsigned 128-bit int (compared lane by lane),
externref as host objects (`ExternRef(n)`, one object per number), funcref as
"null" (None) or "not None".

Scopes:
  compile-only  runs assert_malformed/assert_invalid (binary) and compiles the
                module of every `module` command (compile must succeed); every
                other command is skipped and counted as skipped (reason "scope").
  full          runs every command.

Text-format cases (module_type "text") are skipped and counted (reason "text").

Usage as a script:
    python tests/spec_runner.py [--scope full|compile-only] [--failures N] PATH...
where PATH is a .json command file or a suite directory (tests/spectest/v1, ...).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

SPECTEST_DIR = Path(__file__).resolve().parent / "spectest"
SUITES = ("v1", "v2", "tail-call", "threads")
SCOPES = ("compile-only", "full")

# --------------------------------------------------------------------------------------
# v1 under Wasm 2.0 semantics (see DESIGN.md, "Spec suites: v1 under 2.0 semantics").
#
# About a dozen commands of the 1.0 suite expect 1.0 behaviour that 2.0 reversed
# (multi-value, several tables, br_table after unreachable, bulk-memory segment
# initialisation, call_indirect's reserved byte as a table index). For exactly the
# commands listed here the runner expects the 2.0 outcome instead, and counts them
# separately (FileResult.reversed), never as skipped.
#
# Key: (json file name inside v1/, line of the command), e.g. ("func.json", 123).
# Value: either a reason string, then the 2.0 outcome is derived from the command
# type (DEFAULT_REVERSED_EXPECTATION below), or (reason, expectation) with one of:
#   "valid"            the module compiles
#   "invalid"          compile raises ValidationError
#   "malformed"        compile raises DecodeError
#   "instantiable"     the module compiles and instantiates        (full scope)
#   "uninstantiable"   instantiation raises Trap                   (full scope)
#   "trap" / "trap:T"  the action raises Trap (whose message has T) (full scope)
#   ("return", [values in wast2json form]) the action returns these (full scope)
#
# One entry per command, each with its reason (45 commands in 8 groups).
# --------------------------------------------------------------------------------------
_MULTI_VALUE = "multi-value: 2.0 allows several results per function and block type"
_TABLES = "reference types: 2.0 allows several tables"
_BR_TABLE = "2.0 types br_table after unreachable with the bottom type: same arity suffices"
_RESERVED = ("reference types: call_indirect's reserved byte is a table index in 2.0; "
             "table 1 does not exist, so the module is invalid, not malformed")
_SEG_TRAP = ("bulk memory: active segments are written one by one at instantiation; an "
             "out-of-bounds segment traps there (uninstantiable) instead of failing to link")
_ELEM_KEPT = ("bulk memory: the earlier element segment's writes are kept when a later one "
              "traps, so the entry is initialised")
_DATA_KEPT = ("bulk memory: the earlier data segment's writes are kept when a later one traps, "
              "so the byte is written")

V1_REVERSED: dict[tuple[str, int], str | tuple[str, Any]] = {
    ("binary.json", 50): (_RESERVED, "invalid"),
    ("func.json", 493): _MULTI_VALUE, ("func.json", 497): _MULTI_VALUE,
    ("type.json", 53): _MULTI_VALUE, ("type.json", 57): _MULTI_VALUE,
    ("imports.json", 310): _TABLES, ("imports.json", 314): _TABLES, ("imports.json", 318): _TABLES,
    ("unreached-invalid.json", 539): _BR_TABLE,
    **{("data.json", line): _SEG_TRAP for line in (
        162, 170, 178, 186, 194, 211, 220, 227, 235, 243, 251, 258, 266, 273)},
    **{("elem.json", line): _SEG_TRAP for line in (
        143, 152, 161, 170, 178, 186, 195, 203, 212, 220, 229, 237)},
    **{("linking.json", line): _SEG_TRAP for line in (207, 228, 239, 299, 335, 345)},
    ("linking.json", 236): (_ELEM_KEPT, ("return", [{"type": "i32", "value": "0"}])),
    ("linking.json", 248): (_ELEM_KEPT, ("return", [{"type": "i32", "value": "0"}])),
    ("linking.json", 342): (_DATA_KEPT, ("return", [{"type": "i32", "value": "97"}])),
    ("linking.json", 354): (_DATA_KEPT, ("return", [{"type": "i32", "value": "97"}])),
}

DEFAULT_REVERSED_EXPECTATION = {
    "assert_invalid": "valid",  # e.g. multi-value results, several tables
    "assert_malformed": "valid",
    "assert_unlinkable": "uninstantiable",  # out-of-bounds segment: trap, earlier writes kept
    "assert_uninstantiable": "instantiable",
}

MODULE_COMMANDS = ("assert_malformed", "assert_invalid", "assert_unlinkable", "assert_uninstantiable")
ACTION_COMMANDS = ("action", "assert_return", "assert_trap", "assert_exhaustion")


# --------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------


class ExternRef:
    """The host object for `(ref.extern n)`: one stable object per number."""

    __slots__ = ("n",)
    _objects: dict[int, "ExternRef"] = {}

    def __new__(cls, n: int) -> "ExternRef":
        obj = cls._objects.get(n)
        if obj is None:
            obj = object.__new__(cls)
            obj.n = n
            cls._objects[n] = obj
        return obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExternRef) and other.n == self.n

    def __hash__(self) -> int:
        return hash(("ExternRef", self.n))

    def __repr__(self) -> str:
        return f"ExternRef({self.n})"


LANE_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
FLOAT_BITS = {"f32": 32, "f64": 64}


class Unsupported(Exception):
    """A value the runner cannot express through the public API."""


def raw_arg(arg: dict) -> Any:
    """wast2json argument -> raw encoding for `Function.call_raw`."""
    t = arg["type"]
    value = arg.get("value")
    if t in ("i32", "i64", "f32", "f64"):
        return int(value)
    if t == "v128":
        bits = LANE_BITS[arg["lane_type"]]
        mask = (1 << bits) - 1
        out = 0
        for i, lane in enumerate(value):
            out |= (int(lane) & mask) << (i * bits)
        return out
    if t == "externref":
        return None if value == "null" else ExternRef(int(value))
    if t == "funcref":
        if value == "null":
            return None
        raise Unsupported(f"non-null funcref argument {value!r}")
    raise Unsupported(f"argument type {t!r}")


def _float_matches(pattern: str, bits: int, width: int) -> bool:
    if not isinstance(bits, int) or isinstance(bits, bool) or not 0 <= bits < (1 << width):
        return False
    if width == 32:
        exp, quiet, sign = 0x7F800000, 0x00400000, 0x80000000
    else:
        exp, quiet, sign = 0x7FF0000000000000, 0x0008000000000000, 0x8000000000000000
    if pattern == "nan:canonical":
        return bits & ~sign == exp | quiet
    if pattern == "nan:arithmetic":
        return bits & (exp | quiet) == exp | quiet
    return bits == int(pattern)


def _lanes(value: int, lane_type: str) -> list[int]:
    bits = LANE_BITS[lane_type]
    mask = (1 << bits) - 1
    return [(value >> (i * bits)) & mask for i in range(128 // bits)]


def value_matches(expected: dict, got: Any) -> bool:
    t = expected["type"]
    value = expected.get("value")
    if t in ("i32", "i64"):
        return isinstance(got, int) and not isinstance(got, bool) and got == int(value)
    if t in FLOAT_BITS:
        return _float_matches(value, got, FLOAT_BITS[t])
    if t == "v128":
        if not isinstance(got, int) or isinstance(got, bool) or not 0 <= got < (1 << 128):
            return False
        lane_type = expected["lane_type"]
        lanes = _lanes(got, lane_type)
        if len(lanes) != len(value):
            return False
        if lane_type in FLOAT_BITS:
            return all(_float_matches(e, g, FLOAT_BITS[lane_type]) for e, g in zip(value, lanes))
        mask = (1 << LANE_BITS[lane_type]) - 1
        return all((int(e) & mask) == g for e, g in zip(value, lanes))
    if t == "externref":
        return got is None if value == "null" else got == ExternRef(int(value))
    if t == "funcref":
        return got is None if value == "null" else got is not None
    raise Unsupported(f"expected type {t!r}")


def describe_value(expected: dict) -> str:
    t = expected["type"]
    if "value" not in expected:
        return t
    if t == "v128":
        return f"v128:{expected['lane_type']}[{' '.join(expected['value'])}]"
    return f"{t}:{expected['value']}"


def describe_got(got: list, expected: list[dict]) -> str:
    parts = []
    for i, g in enumerate(got):
        e = expected[i] if i < len(expected) else {}
        if e.get("type") == "v128" and isinstance(g, int) and "lane_type" in e:
            parts.append(f"v128:{e['lane_type']}[{' '.join(map(str, _lanes(g, e['lane_type'])))}]")
        elif e.get("type") in FLOAT_BITS and isinstance(g, int):
            parts.append(f"{e['type']}:{g} ({g:#x})")
        elif e.get("type"):
            parts.append(f"{e['type']}:{g!r}")
        else:
            parts.append(repr(g))
    return "[" + ", ".join(parts) + "]"


def text_matches(expected: str, actual: str) -> bool:
    """`expected` occurs in `actual`; a trailing index in the reference interpreter's
    text ("uninitialized element 7", "unknown global 1") is optional."""
    if expected in actual:
        return True
    base = re.sub(r"\s+\d+$", "", expected)
    return base != expected and base in actual


def describe_exc(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass
class Failure:
    line: int
    command: str
    expected: str
    got: str
    reversed: bool = False

    def __str__(self) -> str:
        tag = " [v1-reversed]" if self.reversed else ""
        return f"line {self.line}: {self.command}{tag}: expected {self.expected}; got {self.got}"


@dataclass
class FileResult:
    suite: str
    name: str  # json file name without .json
    path: str
    scope: str
    counts: dict[str, Counter] = field(default_factory=dict)  # command type -> passed/failed/skipped
    reversed: Counter = field(default_factory=Counter)  # V1_REVERSED commands: passed/failed/skipped
    skip_reasons: Counter = field(default_factory=Counter)  # "text", "scope", "module skipped", ...
    phrase: Counter = field(default_factory=Counter)  # error-text agreement: matched/mismatched
    phrase_mismatches: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.suite}/{self.name}"

    def _total(self, key: str) -> int:
        return sum(c[key] for c in self.counts.values()) + self.reversed[key]

    @property
    def passed(self) -> int:
        return self._total("passed")

    @property
    def failed(self) -> int:
        return self._total("failed")

    @property
    def skipped(self) -> int:
        return self._total("skipped")

    def count(self, command: str, outcome: str) -> None:
        self.counts.setdefault(command, Counter())[outcome] += 1

    def summary(self) -> str:
        per_type = ", ".join(
            f"{t} {c['passed']}/{c['failed']}/{c['skipped']}" for t, c in sorted(self.counts.items())
        )
        return (
            f"{self.id}: passed {self.passed}, failed {self.failed}, skipped {self.skipped} "
            f"(passed/failed/skipped per type: {per_type})"
        )


# --------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------


class _Outcome(Exception):
    """Internal: ends one command with a failure description."""

    def __init__(self, expected: str, got: str):
        super().__init__(got)
        self.expected = expected
        self.got = got


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_SKIPPED = object()  # stands for a module that was not instantiated (text format, scope)


def _load_api():
    import transpyle

    return transpyle


class ScriptRunner:
    """Runs one wast2json command file. A fresh Runtime per script."""

    def __init__(self, path: Path, *, scope: str = "full", runtime_factory: Callable[[], Any] | None = None,
                 api: Any = None, reversed_table: dict | None = None):
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
        self.path = Path(path)
        self.dir = self.path.parent
        self.scope = scope
        self.api = api if api is not None else _load_api()
        self.runtime_factory = runtime_factory or self.api.Runtime
        if reversed_table is None:
            reversed_table = V1_REVERSED if self.dir.name == "v1" else {}
        self.reversed_table = reversed_table
        self.result = FileResult(suite=self.dir.name, name=self.path.stem, path=str(self.path), scope=scope)
        self.rt = None
        self.current: Any = None  # instance of the last module command (or _SKIPPED / a failure text)
        self.current_line = 0
        self.named: dict[str, Any] = {}

    # -- helpers -------------------------------------------------------------------------

    @property
    def full(self) -> bool:
        return self.scope == "full"

    def _read(self, cmd: dict) -> bytes:
        return (self.dir / cmd["filename"]).read_bytes()

    @staticmethod
    def _is_text(cmd: dict) -> bool:
        return cmd.get("module_type") == "text" or str(cmd.get("filename", "")).endswith((".wat", ".wast"))

    def _compile(self, data: bytes):
        return self.rt.compile(data)

    def _setup_runtime(self) -> None:
        self.rt = self.runtime_factory()
        if self.full:
            # The spectest host module: its print_* functions are plain wasm functions
            # (no imports), so the compiled .wasm provides everything.
            spectest = self.rt.instantiate(self.rt.compile((SPECTEST_DIR / "spectest.wasm").read_bytes()))
            self.rt.register("spectest", spectest)

    def _instance(self, action: dict) -> Any:
        name = action.get("module")
        if name is None:
            inst, where = self.current, f"module at line {self.current_line}"
        else:
            if name not in self.named:
                raise _Outcome(f"module {name}", "no such module in the script")
            inst, where = self.named[name], f"module {name}"
        if inst is _SKIPPED:
            raise _Skip("module skipped")
        if inst is None:
            raise _Outcome("an instance", "no module defined yet")
        if isinstance(inst, _Failed):
            raise _Outcome("an instance", f"{where} failed: {inst.text}")
        return inst

    def _perform(self, action: dict) -> list:
        inst = self._instance(action)
        field_name = action["field"]
        try:
            export = inst.exports[field_name]
        except KeyError:
            raise _Outcome(f"export {field_name!r}", "KeyError: no such export") from None
        if action["type"] == "invoke":
            args = [raw_arg(a) for a in action.get("args", [])]
            return list(export.call_raw(*args))
        if action["type"] == "get":
            return [export.raw]
        raise Unsupported(f"action type {action['type']!r}")

    def _phrase(self, cmd: dict, exc: BaseException) -> None:
        text = cmd.get("text")
        if not text:
            return
        if text_matches(text, str(exc)):
            self.result.phrase["matched"] += 1
        else:
            self.result.phrase["mismatched"] += 1
            self.result.phrase_mismatches.append(f"line {cmd['line']}: {text!r} vs {describe_exc(exc)!r}")

    # -- commands ------------------------------------------------------------------------

    def run(self) -> FileResult:
        start = time.perf_counter()
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self._setup_runtime()
        for cmd in data["commands"]:
            self._run_command(cmd)
        self.result.seconds = time.perf_counter() - start
        return self.result

    def _run_command(self, cmd: dict) -> None:
        ctype = cmd["type"]
        key = (self.path.name, cmd["line"])
        entry = self.reversed_table.get(key)
        try:
            if entry is not None:
                self._run_reversed(cmd, entry)
            else:
                handler = getattr(self, "_cmd_" + ctype, None)
                if handler is None:
                    raise Unsupported(f"command type {ctype!r}")
                handler(cmd)
        except _Skip as skip:
            self._record(cmd, "skipped", entry is not None)
            self.result.skip_reasons[skip.reason] += 1
        except _Outcome as out:
            self._record(cmd, "failed", entry is not None)
            self.result.failures.append(Failure(cmd["line"], ctype, out.expected, out.got, entry is not None))
        except Unsupported as exc:
            self._record(cmd, "failed", entry is not None)
            self.result.failures.append(
                Failure(cmd["line"], ctype, "a command the runner supports", f"unsupported: {exc}", entry is not None))
        else:
            self._record(cmd, "passed", entry is not None)

    def _record(self, cmd: dict, outcome: str, is_reversed: bool) -> None:
        if is_reversed:
            self.result.reversed[outcome] += 1
        else:
            self.result.count(cmd["type"], outcome)

    def _cmd_module(self, cmd: dict) -> None:
        name = cmd.get("name")
        self.current_line = cmd["line"]
        if self._is_text(cmd):
            self._set_current(name, _SKIPPED)
            raise _Skip("text")
        try:
            module = self._compile(self._read(cmd))
        except Exception as exc:  # noqa: BLE001 - any error is a failure here
            self._set_current(name, _Failed(describe_exc(exc)))
            raise _Outcome("module compiles", describe_exc(exc)) from None
        if not self.full:
            self._set_current(name, _SKIPPED)
            return
        try:
            inst = self.rt.instantiate(module)
        except Exception as exc:  # noqa: BLE001
            self._set_current(name, _Failed(describe_exc(exc)))
            raise _Outcome("module instantiates", describe_exc(exc)) from None
        self._set_current(name, inst)

    def _set_current(self, name: str | None, inst: Any) -> None:
        self.current = inst
        if name is not None:
            self.named[name] = inst

    def _cmd_register(self, cmd: dict) -> None:
        if not self.full:
            raise _Skip("scope")
        name = cmd.get("name")
        inst = self._instance({"module": name} if name is not None else {})
        try:
            self.rt.register(cmd["as"], inst)
        except Exception as exc:  # noqa: BLE001
            raise _Outcome(f"register as {cmd['as']!r}", describe_exc(exc)) from None

    def _cmd_action(self, cmd: dict) -> None:
        if not self.full:
            raise _Skip("scope")
        try:
            self._perform(cmd["action"])
        except (_Outcome, _Skip, Unsupported):
            raise
        except Exception as exc:  # noqa: BLE001
            raise _Outcome("the action completes", describe_exc(exc)) from None

    def _check_return(self, action: dict, expected: list[dict]) -> None:
        try:
            got = self._perform(action)
        except (_Outcome, _Skip, Unsupported):
            raise
        except Exception as exc:  # noqa: BLE001
            raise _Outcome(_describe_expected(expected), describe_exc(exc)) from None
        if len(got) != len(expected) or not all(value_matches(e, g) for e, g in zip(expected, got)):
            raise _Outcome(_describe_expected(expected), describe_got(got, expected))

    def _cmd_assert_return(self, cmd: dict) -> None:
        if not self.full:
            raise _Skip("scope")
        self._check_return(cmd["action"], cmd.get("expected", []))

    def _expect_trap(self, cmd: dict, text: str | None, what: str = "Trap") -> None:
        try:
            got = self._perform(cmd["action"])
        except (_Outcome, _Skip, Unsupported):
            raise
        except self.api.Trap as exc:
            message = getattr(exc, "message", None) or str(exc)
            if text and not text_matches(text, message):
                raise _Outcome(f"{what} {text!r}", describe_exc(exc)) from None
            return
        except Exception as exc:  # noqa: BLE001
            raise _Outcome(f"{what} {text!r}", describe_exc(exc)) from None
        raise _Outcome(f"{what} {text!r}", f"returned {got!r}")

    def _cmd_assert_trap(self, cmd: dict) -> None:
        if not self.full:
            raise _Skip("scope")
        if "action" not in cmd:  # assert_trap on a module: instantiation traps
            self._expect_uninstantiable(cmd, cmd.get("text"))
            return
        self._expect_trap(cmd, cmd.get("text"))

    def _cmd_assert_exhaustion(self, cmd: dict) -> None:
        if not self.full:
            raise _Skip("scope")
        self._expect_trap(cmd, cmd.get("text") or "call stack exhausted")

    def _expect_compile_error(self, cmd: dict, cls: type, label: str) -> None:
        if self._is_text(cmd):
            raise _Skip("text")
        expected = f"{label} ({cls.__name__}) {cmd.get('text', '')!r}"
        try:
            self._compile(self._read(cmd))
        except cls as exc:
            self._phrase(cmd, exc)
            return
        except Exception as exc:  # noqa: BLE001
            raise _Outcome(expected, describe_exc(exc)) from None
        raise _Outcome(expected, "compiled")

    def _cmd_assert_malformed(self, cmd: dict) -> None:
        self._expect_compile_error(cmd, self.api.DecodeError, "malformed")

    def _cmd_assert_invalid(self, cmd: dict) -> None:
        self._expect_compile_error(cmd, self.api.ValidationError, "invalid")

    def _compile_for_instantiation(self, cmd: dict):
        if self._is_text(cmd):
            raise _Skip("text")
        if not self.full:
            raise _Skip("scope")
        try:
            return self._compile(self._read(cmd))
        except Exception as exc:  # noqa: BLE001
            raise _Outcome("module compiles", describe_exc(exc)) from None

    def _cmd_assert_unlinkable(self, cmd: dict) -> None:
        module = self._compile_for_instantiation(cmd)
        expected = f"LinkError {cmd.get('text', '')!r}"
        try:
            self.rt.instantiate(module)
        except self.api.LinkError as exc:
            self._phrase(cmd, exc)
            return
        except Exception as exc:  # noqa: BLE001
            raise _Outcome(expected, describe_exc(exc)) from None
        raise _Outcome(expected, "instantiated")

    def _expect_uninstantiable(self, cmd: dict, text: str | None) -> None:
        module = self._compile_for_instantiation(cmd)
        expected = f"Trap at instantiation {text!r}" if text else "Trap at instantiation"
        try:
            self.rt.instantiate(module)
        except self.api.Trap as exc:
            message = getattr(exc, "message", None) or str(exc)
            if text and not text_matches(text, message):
                raise _Outcome(expected, describe_exc(exc)) from None
            return
        except Exception as exc:  # noqa: BLE001
            raise _Outcome(expected, describe_exc(exc)) from None
        raise _Outcome(expected, "instantiated")

    def _cmd_assert_uninstantiable(self, cmd: dict) -> None:
        self._expect_uninstantiable(cmd, cmd.get("text"))

    # -- V1_REVERSED ---------------------------------------------------------------------

    def _run_reversed(self, cmd: dict, entry: str | tuple) -> None:
        if isinstance(entry, tuple):
            _reason, expectation = entry
        else:
            expectation = DEFAULT_REVERSED_EXPECTATION.get(cmd["type"])
        if expectation is None:
            raise _Outcome("an explicit 2.0 expectation in V1_REVERSED", f"none for {cmd['type']}")
        if self._is_text(cmd):
            raise _Skip("text")
        if isinstance(expectation, tuple) and expectation[0] == "return":
            if not self.full:
                raise _Skip("scope")
            self._check_return(cmd["action"], list(expectation[1]))
            return
        if not isinstance(expectation, str):
            raise Unsupported(f"V1_REVERSED expectation {expectation!r}")
        if expectation.startswith("trap"):
            if not self.full:
                raise _Skip("scope")
            text = expectation.partition(":")[2] or None
            if "action" in cmd:
                self._expect_trap(cmd, text)
            else:
                self._expect_uninstantiable(cmd, text)
            return
        if expectation == "valid":
            try:
                self._compile(self._read(cmd))
            except Exception as exc:  # noqa: BLE001
                raise _Outcome("valid under 2.0: compiles", describe_exc(exc)) from None
        elif expectation == "invalid":
            self._expect_compile_error(cmd, self.api.ValidationError, "invalid under 2.0")
        elif expectation == "malformed":
            self._expect_compile_error(cmd, self.api.DecodeError, "malformed under 2.0")
        elif expectation == "instantiable":
            module = self._compile_for_instantiation(cmd)
            try:
                self.rt.instantiate(module)
            except Exception as exc:  # noqa: BLE001
                raise _Outcome("instantiates under 2.0", describe_exc(exc)) from None
        elif expectation == "uninstantiable":
            self._expect_uninstantiable(cmd, None)
        else:
            raise Unsupported(f"V1_REVERSED expectation {expectation!r}")


class _Failed:
    """Stands for a module command that failed (later commands on it fail too)."""

    def __init__(self, text: str):
        self.text = text


def _describe_expected(expected: list[dict]) -> str:
    return "[" + ", ".join(describe_value(e) for e in expected) + "]"


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def run_file(path: str | Path, *, scope: str = "full", runtime_factory: Callable[[], Any] | None = None,
             api: Any = None) -> FileResult:
    """Run one wast2json .json file; returns its FileResult (never raises for a
    failing command, only for an unreadable file or a missing runtime)."""
    return ScriptRunner(Path(path), scope=scope, runtime_factory=runtime_factory, api=api).run()


def suite_files(suites: tuple[str, ...] = SUITES, root: Path = SPECTEST_DIR) -> list[Path]:
    files = []
    for suite in suites:
        files.extend(sorted((root / suite).glob("*.json")))
    return files


def format_table(results: list[FileResult]) -> str:
    """The per-file summary table: suite, file, passed, failed, skipped (+ totals)."""
    rows = [(r.suite, r.name, r.passed, r.failed, r.skipped) for r in results]
    totals = (
        "total",
        f"{len(results)} files",
        sum(r[2] for r in rows),
        sum(r[3] for r in rows),
        sum(r[4] for r in rows),
    )
    header = ("suite", "file", "passed", "failed", "skipped")
    widths = [max(len(str(x[i])) for x in [header, totals, *rows]) for i in range(5)]

    def fmt(row) -> str:
        cells = [str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        return "  ".join(cells).rstrip()

    sep = "  ".join("-" * w for w in widths)
    lines = [fmt(header), sep, *(fmt(r) for r in rows), sep, fmt(totals)]
    reversed_total = Counter()
    phrase = Counter()
    skip_reasons = Counter()
    for r in results:
        reversed_total.update(r.reversed)
        phrase.update(r.phrase)
        skip_reasons.update(r.skip_reasons)
    if skip_reasons:
        lines.append("skipped by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(skip_reasons.items())))
    if phrase:
        lines.append(
            f"error text agreement (class matched): {phrase['matched']} matched the spec's phrase, "
            f"{phrase['mismatched']} did not"
        )
    lines.append(
        f"v1 commands expecting 2.0 outcomes (V1_REVERSED, {len(V1_REVERSED)} listed): "
        f"passed {reversed_total['passed']}, failed {reversed_total['failed']}, skipped {reversed_total['skipped']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help=".json files or suite directories (default: all suites)")
    parser.add_argument("--scope", choices=SCOPES, default="full")
    parser.add_argument("--failures", type=int, default=10, help="failures to print per file (default 10)")
    parser.add_argument("--phrases", action="store_true", help="print error-text mismatches")
    args = parser.parse_args(argv)
    files: list[Path] = []
    for p in map(Path, args.paths) if args.paths else [SPECTEST_DIR / s for s in SUITES]:
        files.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    results = []
    for f in files:
        r = run_file(f, scope=args.scope)
        results.append(r)
        for failure in r.failures[: args.failures]:
            print(f"FAIL {r.id} {failure}")
        if len(r.failures) > args.failures:
            print(f"FAIL {r.id} ... {len(r.failures) - args.failures} more")
        if args.phrases:
            for m in r.phrase_mismatches:
                print(f"PHRASE {r.id} {m}")
    print(format_table(results))
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

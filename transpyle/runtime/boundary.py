"""The Python <-> wasm call boundary.

Everything that crosses between Python code and compiled wasm code goes through here:

* value conversion, generated once per function type (see `Converters`): natural
  values (API.md: signed ints, floats) and the public raw encoding of `call_raw`
  (unsigned ints, IEEE bit patterns) to and from the internal representation the
  generated code uses (unsigned ints, f32 as an exact float);
* `call`, the one entry from Python into wasm: it raises the recursion limit on the
  outermost entry and turns every exception that escapes wasm code into a `Trap`,
  except the ones a host function raised (`HostError`, unwrapped here) and
  `BaseException`s such as `KeyboardInterrupt`;
* host trampolines: the plain-Python closures that generated code calls for an
  imported host `Func`;
* contexts: `call_in_context` runs a call with an explicit `Context` (the running
  call's context lives in `experimental.context._current`);
* listener wrappers (`make_listened`): the plain-Python decorator that replaces a
  listened function's raw callable, generated once per function type like the
  trampolines.

Why generated source: a trampoline sits on the wasm hot path (every WASI call goes
through one); a per-signature closure with the conversions inlined took 290 ns per
call on 3.11 where a generic `*args` closure looping over converter functions took
1,000 ns. Python-level calls only: a C-level callable between two wasm frames
crashes 3.11 at depth (DESIGN.md).
"""

from __future__ import annotations

import linecache
import struct
import sys
from typing import Any, Callable

from transpyle.codegen.listing import frame_label, is_wasm_filename
from transpyle.errors import Trap
from transpyle.runtime.numeric import (
    f32_from_bits,
    f32_round,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
)
from transpyle.wasm.types import FuncType, ValueType

DEFAULT_MAX_CALL_DEPTH = 20000
"""Wasm frames available to one call from Python (`Runtime(max_call_depth=...)`)."""

MAX_NESTED_ENTRIES = 1000
"""How many calls into wasm may be active at once (a host function calling back into
wasm is a nested entry). Every nested entry costs C stack (a call through `__call__`
starts a new C-level evaluation loop). Measured with wasm -> host -> wasm recursion
(8 MiB main-thread stack): 3.11.7 has no C recursion guard and segfaults between
6,000 and 8,000 nested entries; 3.12.1 raises RecursionError (a trap here) past about
450 (its C recursion limit, 1,500, counts three C calls per entry) and 3.13.0 past
about 3,000. Past this count a call traps with "call stack exhausted", so that 3.11
traps too, with a 6x margin."""


class HostError(Exception):
    """Carries an exception raised by a host function through the wasm frames above it.

    The trampoline wraps (`raise HostError(exc) from exc`), `call` unwraps and re-raises
    `exc` itself, so the caller sees the host's exception unchanged. Generated code never
    catches it; it only needs to be told apart from the exceptions that mean a trap
    (`IndexError`, `struct.error`, ...), which a host function may raise too.
    """

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException):
        super().__init__(exc)
        self.exc = exc


# -- call -----------------------------------------------------------------------------

_nesting = 0  # calls into wasm active right now, over all threads
_getrecursionlimit = sys.getrecursionlimit
_setrecursionlimit = sys.setrecursionlimit


def call(fn: Callable, args, max_call_depth: int | None = None) -> Any:
    """Call the raw wasm callable `fn` with raw `args` (a sequence) and return its raw
    result (None, a value or a tuple). Exceptions leave as described in the module
    docstring.

    The recursion limit is raised on the OUTERMOST entry only, by `max_call_depth`
    (default 20,000) above the current limit, and restored when that entry returns.
    The caller's depth is below the current limit, so wasm code gets at least
    `max_call_depth` frames and at most that plus the caller's unused headroom (under
    the default limit of 1,000, at most 1,000 more). Measuring the exact depth instead
    (walking `sys._getframe()`) costs about 100 ns per frame, 5 us per call at the depth
    of a pytest test. Nested entries (host functions calling back in) share the budget;
    they are counted, and past `MAX_NESTED_ENTRIES` the call traps. The counter is
    process-wide, like the recursion limit: with several threads in wasm at once, the
    first one in raises the limit and the last one out restores it.
    """
    global _nesting
    if _nesting:
        if _nesting >= MAX_NESTED_ENTRIES:
            raise Trap("call stack exhausted")
        old_limit = 0
    else:
        old_limit = _getrecursionlimit()
        _setrecursionlimit(old_limit + (max_call_depth or DEFAULT_MAX_CALL_DEPTH))
    _nesting += 1
    try:
        return fn(*args)
    except Trap as trap:
        _attach_stack(trap, trap.__traceback__)
        raise
    except HostError as wrapped:
        exc = wrapped.exc
    except Exception as err:  # noqa: BLE001 - every other exception is a trap or a bug
        exc = translate(err)
    finally:
        _nesting -= 1
        if old_limit:
            _setrecursionlimit(old_limit)
    # raised outside the `except` blocks so that the host's exception is re-raised
    # unchanged (no __context__ pointing at the HostError that carried it)
    raise exc


def translate(err: Exception) -> BaseException:
    """The `Trap` for an exception that escaped generated code (not a Trap, not from a
    host function). A listener wrapper that saw `err` first has already translated it
    (`error_for_listener`): the same `Trap` object is returned, its stack completed."""
    tb = err.__traceback__
    if type(err).__name__ == "BdbQuit" and type(err).__module__ == "bdb":
        return err  # the user quit pdb inside wasm code: not a trap
    cached = getattr(err, "_transpyle_trap", None)
    if cached is not None:
        _attach_stack(cached, tb)
        return cached
    if isinstance(err, RecursionError):
        trap = Trap("call stack exhausted")
        # the cause would keep every frame of the deep stack alive: only the names
        _attach_stack(trap, tb)
        return trap
    if isinstance(err, struct.error):
        text = str(err)
        if text.startswith(("unpack_from requires a buffer", "pack_into requires a buffer")):
            return _trap("out of bounds memory access", err, tb)
        return _internal(err, tb)
    if isinstance(err, IndexError):
        return _trap("out of bounds memory access", err, tb)
    if isinstance(err, OverflowError) and "ssize_t" in str(err):
        return _trap("out of bounds memory access", err, tb)  # an address beyond 2**63
    if isinstance(err, ZeroDivisionError):
        return _trap("integer divide by zero", err, tb)
    if isinstance(err, MemoryError):
        return _trap("out of memory", err, tb)
    if isinstance(err, StopIteration):  # `next(_fuel)` of an exhausted budget
        trap = Trap("all fuel consumed")
        _attach_stack(trap, tb)
        return trap
    return _internal(err, tb)


def _trap(message: str, cause: BaseException, tb) -> Trap:
    trap = Trap(message)
    trap.__cause__ = cause
    _attach_stack(trap, tb)
    return trap


def _internal(err: Exception, tb) -> Trap:
    # a transpyle bug (generated code or a helper raised something unexpected): keep it
    # visible, with the original exception and traceback as the cause
    return _trap(f"internal error: {err!r}", err, tb)


_STACK_LIMIT = 30  # frames shown in a trap's wasm stack trace, as wazero keeps it short


def wasm_stack(tb) -> list[str]:
    """The wasm frames of a traceback, innermost first, in wazero's format:
    `module.function(i32,i32) i32` (names from the name section, `$<index>` otherwise);
    runs of one function are folded, and at most about 30 lines are kept."""
    return fold_frames([frame_label(f) for f, _ in wasm_frames(tb)])


def wasm_frames(tb) -> list[tuple[str, int]]:
    """The wasm frames of a traceback, innermost first: (code filename, listing line)."""
    frames: list[tuple[str, int]] = []
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if is_wasm_filename(filename):
            frames.append((filename, tb.tb_lineno))
        tb = tb.tb_next
    frames.reverse()
    return frames


def fold_frames(names: list[str]) -> list[str]:
    """A trap's frame lines with runs of identical frames folded (`f (x3)`), at most
    _STACK_LIMIT of them, then how many more there were."""
    out: list[str] = []
    i = 0
    while i < len(names) and len(out) < _STACK_LIMIT:
        j = i
        while j < len(names) and names[j] == names[i]:
            j += 1
        out.append(names[i] if j - i == 1 else f"{names[i]} (x{j - i})")
        i = j
    if i < len(names):
        out.append(f"... {len(names) - i} more frames")
    return out


def _attach_stack(trap: Trap, tb) -> None:
    frames = wasm_frames(tb)
    stack = fold_frames([frame_label(f) for f, _ in frames])
    if len(stack) > len(trap.wasm_stack):
        trap.wasm_stack = stack
        # for source positions, resolved only when the trap is formatted (Trap.__str__)
        trap._wasm_frames = frames


# -- value conversion -----------------------------------------------------------------

_I32, _I64, _F32, _F64, _V128 = (ValueType.I32, ValueType.I64, ValueType.F32,
                                 ValueType.F64, ValueType.V128)
_FUNCREF, _EXTERNREF = ValueType.FUNCREF, ValueType.EXTERNREF

_INT_BITS = {_I32: 32, _I64: 64, _V128: 128}


def _int_checker(t: ValueType):
    bits = _INT_BITS[t]
    lo, hi, mask = -(1 << (bits - 1)), (1 << bits) - 1, (1 << bits) - 1
    name = str(t)

    def check(x, where):
        if isinstance(x, int):
            if lo <= x <= hi:
                return x & mask
            raise ValueError(f"{where}: {x} is out of range for {name} "
                             f"(accepted: {lo} .. {hi}, signed or unsigned)")
        raise TypeError(f"{where}: expected an int for {name}, got {type(x).__name__}")

    check.__name__ = f"to_{name}"
    return check


to_i32 = _int_checker(_I32)
to_i64 = _int_checker(_I64)
to_v128 = _int_checker(_V128)


def _bits_checker(bits: int, name: str):
    hi = (1 << bits) - 1

    def check(x, where):
        if isinstance(x, int):
            if 0 <= x <= hi:
                return x
            raise ValueError(f"{where}: {x} is not a {bits}-bit pattern for {name}")
        raise TypeError(f"{where}: expected the {name} bit pattern as an int, "
                        f"got {type(x).__name__}")

    return check


_bits32 = _bits_checker(32, "f32")
_bits64 = _bits_checker(64, "f64")


def to_f32(x, where):
    """A natural number -> the f32 value (rounded to single precision)."""
    if isinstance(x, float):
        return f32_round(x)
    if isinstance(x, int):
        try:
            return f32_round(float(x))
        except OverflowError:
            return f32_round(float("inf") if x > 0 else float("-inf"))
    raise TypeError(f"{where}: expected a float for f32, got {type(x).__name__}")


def to_f64(x, where):
    if isinstance(x, float):
        return x
    if isinstance(x, int):
        try:
            return float(x)
        except OverflowError:
            return float("inf") if x > 0 else float("-inf")
    raise TypeError(f"{where}: expected a float for f64, got {type(x).__name__}")


def to_funcref(x, where):
    from transpyle.runtime.externs import Function

    if x is None or isinstance(x, Function):
        return x
    raise TypeError(f"{where}: expected a Function or None for funcref, "
                    f"got {type(x).__name__}")


def raw_f32(x, where):
    return f32_from_bits(_bits32(x, where))


def raw_f64(x, where):
    return f64_from_bits(_bits64(x, where))


# Per value type, each conversion as an expression of the local name `{x}`, with an
# inline fast path for the common case and a call to a checking function otherwise
# (`{w}`: a string constant naming the place, "argument 0 (i32)"). The names used
# here come from `_CONV_GLOBALS`.
_NAT_TO_INT = {  # natural -> internal
    _I32: "({x} & 0xFFFFFFFF if {x}.__class__ is int and -0x80000000 <= {x} <= 0xFFFFFFFF "
          "else to_i32({x}, {w}))",
    _I64: "({x} & 0xFFFFFFFFFFFFFFFF if {x}.__class__ is int "
          "and -0x8000000000000000 <= {x} <= 0xFFFFFFFFFFFFFFFF else to_i64({x}, {w}))",
    _V128: "to_v128({x}, {w})",
    _F32: "(f32_round({x}) if {x}.__class__ is float else to_f32({x}, {w}))",
    _F64: "({x} if {x}.__class__ is float else to_f64({x}, {w}))",
    _FUNCREF: "to_funcref({x}, {w})", _EXTERNREF: "{x}",
}
_INT_TO_NAT = {  # internal -> natural (the value is normalised; a bool is an i32 0/1)
    _I32: "((({x}) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000",
    _I64: "((({x}) & 0xFFFFFFFFFFFFFFFF) ^ 0x8000000000000000) - 0x8000000000000000",
    _V128: "({x}) & 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    _F32: "{x}", _F64: "{x}", _FUNCREF: "{x}", _EXTERNREF: "{x}",
}
_RAW_TO_INT = {  # public raw (call_raw) -> internal
    _I32: "({x} if {x}.__class__ is int and 0 <= {x} <= 0xFFFFFFFF else to_i32({x}, {w}))",
    _I64: "({x} if {x}.__class__ is int and 0 <= {x} <= 0xFFFFFFFFFFFFFFFF "
          "else to_i64({x}, {w}))",
    _V128: "to_v128({x}, {w})",
    _F32: "(f32_from_bits({x}) if {x}.__class__ is int and 0 <= {x} <= 0xFFFFFFFF "
          "else raw_f32({x}, {w}))",
    _F64: "(f64_from_bits({x}) if {x}.__class__ is int and 0 <= {x} <= 0xFFFFFFFFFFFFFFFF "
          "else raw_f64({x}, {w}))",
    _FUNCREF: "to_funcref({x}, {w})", _EXTERNREF: "{x}",
}
_INT_TO_RAW = {  # internal -> public raw
    _I32: "({x}) & 0xFFFFFFFF", _I64: "({x}) & 0xFFFFFFFFFFFFFFFF",
    _V128: "({x}) & 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    _F32: "f32_to_bits({x})", _F64: "f64_to_bits({x})",
    _FUNCREF: "{x}", _EXTERNREF: "{x}",
}


def _results_arity_error(r, n):
    try:
        got = f"{len(r)} values"
    except TypeError:
        got = f"a single {type(r).__name__}"
    return TypeError(f"host function returned {got}, expected a sequence of {n} results")


def _len_or_none(r):
    try:
        return len(r)
    except TypeError:
        return None


_CONV_GLOBALS = {
    "to_i32": to_i32, "to_i64": to_i64, "to_v128": to_v128, "to_f32": to_f32,
    "to_f64": to_f64, "to_funcref": to_funcref, "raw_f32": raw_f32, "raw_f64": raw_f64,
    "f32_round": f32_round, "f32_from_bits": f32_from_bits, "f64_from_bits": f64_from_bits,
    "f32_to_bits": f32_to_bits, "f64_to_bits": f64_to_bits,
    "Trap": Trap, "HostError": HostError, "call": call,
    "_arity": _results_arity_error, "_len": _len_or_none,
}


def _expr(table, t: ValueType, x: str, where: str = "") -> str:
    return table[t].format(x=x, w=repr(where))


def _define(src: str, name: str, what: str, globals_: dict | None = None):
    """Run generated source; its text goes into `linecache`, so tracebacks through the
    generated function show its lines."""
    filename = f"<transpyle boundary: {what}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    ns = dict(_CONV_GLOBALS if globals_ is None else globals_)
    exec(compile(src, filename, "exec"), ns)  # noqa: S102
    return ns[name]


def _caller(ft: FuncType, args_in, results_out, several: str, name: str):
    """`name(fn, args, max_call_depth)`: check the argument count, convert each argument,
    `call` the raw function, convert the result(s)."""
    n = len(ft.params)
    names = [f"a{i}" for i in range(n)]
    lines = [f"def {name}(fn, args, max_call_depth):",
             f"    if len(args) != {n}:",
             f"        raise TypeError(f'a function of type {ft} takes {n} "
             f"argument{'' if n == 1 else 's'}, {{len(args)}} given')"]
    if n:
        lines.append(f"    {', '.join(names)}, = args")
    conv = ", ".join(_expr(args_in, t, a, f"argument {i} ({t})")
                     for i, (t, a) in enumerate(zip(ft.params, names)))
    lines.append(f"    r = call(fn, ({conv}{',' if n == 1 else ''}), max_call_depth)")
    k = len(ft.results)
    if k == 0:
        lines.append("    return None" if several == "tuple" else "    return []")
    elif k == 1:
        e = _expr(results_out, ft.results[0], "r")
        lines.append(f"    return {e}" if several == "tuple" else f"    return [{e}]")
    else:
        items = ", ".join(_expr(results_out, t, f"r[{i}]") for i, t in enumerate(ft.results))
        lines.append(f"    return ({items})" if several == "tuple" else f"    return [{items}]")
    return _define("\n".join(lines) + "\n", name, f"{name} {ft}")


def _trampoline_maker(ft: FuncType):
    """`make(fn) -> trampoline`: a raw callable for generated code that calls the host
    callable `fn` with natural values and returns raw results."""
    params = [f"a{i}" for i in range(len(ft.params))]
    call_args = ", ".join(_expr(_INT_TO_NAT, t, p) for t, p in zip(ft.params, params))
    n = len(ft.results)
    lines = ["def make(fn):",
             f"    def trampoline({', '.join(params)}):",
             "        try:",
             f"            r = fn({call_args})"]
    if n == 1:
        lines.append("            return " + _expr(_NAT_TO_INT, ft.results[0], "r",
                                                   "host function result"))
    elif n > 1:
        names = [f"r{i}" for i in range(n)]
        items = ", ".join(_expr(_NAT_TO_INT, t, x, f"host function result {i}")
                          for i, (t, x) in enumerate(zip(ft.results, names)))
        lines += [f"            if _len(r) != {n}:",
                  f"                raise _arity(r, {n})",
                  f"            {', '.join(names)} = r",
                  f"            return ({items})"]
    # a Trap raised by the host (or by wasm code it called) stays a trap; a
    # RecursionError means the stack is exhausted, whoever hit the limit
    lines += ["        except (Trap, HostError, RecursionError):",
              "            raise",
              "        except Exception as exc:",
              "            raise HostError(exc) from exc",
              "    return trampoline"]
    return _define("\n".join(lines) + "\n", "make", f"host trampoline {ft}")


class Converters:
    """The conversions of one function type, generated once (`Converters.of(ft)`):

    `natural_call(fn, args, max_call_depth)` and `raw_call(...)` call the raw function
    `fn` from Python with natural / public-raw argument values and return natural
    results (None, a value or a tuple) / the list of public-raw results;
    `make_trampoline(host_fn)` is the raw callable for a host function.
    """

    __slots__ = ("natural_call", "raw_call", "make_trampoline")
    _cache: dict[FuncType, "Converters"] = {}

    def __init__(self, ft: FuncType):
        self.natural_call = _caller(ft, _NAT_TO_INT, _INT_TO_NAT, "tuple", "natural_call")
        self.raw_call = _caller(ft, _RAW_TO_INT, _INT_TO_RAW, "list", "raw_call")
        self.make_trampoline = _trampoline_maker(ft)

    @classmethod
    def of(cls, ft: FuncType) -> "Converters":
        conv = cls._cache.get(ft)
        if conv is None:
            conv = cls._cache[ft] = cls(ft)
        return conv


# single values (globals, tables)
_TO_INTERNAL = {_I32: to_i32, _I64: to_i64, _V128: to_v128, _F32: to_f32, _F64: to_f64,
                _FUNCREF: to_funcref}
_RAW_TO_INTERNAL = {_I32: to_i32, _I64: to_i64, _V128: to_v128, _F32: raw_f32,
                    _F64: raw_f64, _FUNCREF: to_funcref}


def natural_to_internal(t: ValueType, x, where: str = "value"):
    if t is _EXTERNREF:
        return x
    return _TO_INTERNAL[t](x, where)


def internal_to_natural(t: ValueType, x):
    if t is _I32:
        return ((x & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
    if t is _I64:
        return ((x & 0xFFFFFFFFFFFFFFFF) ^ 0x8000000000000000) - 0x8000000000000000
    return x


def raw_to_internal(t: ValueType, x, where: str = "value"):
    if t is _EXTERNREF:
        return x
    return _RAW_TO_INTERNAL[t](x, where)


def internal_to_raw(t: ValueType, x):
    if t is _F32:
        return f32_to_bits(x)
    if t is _F64:
        return f64_to_bits(x)
    if t in _INT_BITS:
        return x & ((1 << _INT_BITS[t]) - 1)
    return x


# -- contexts -------------------------------------------------------------------------

from transpyle.experimental.context import Context, _current  # noqa: E402

_ctx_get = _current.get
_ctx_set = _current.set
_ctx_reset = _current.reset


def call_in_context(ctx, caller: Callable, fn: Callable, args, max_call_depth,
                    interrupter=None):
    """`caller(fn, args, max_call_depth)` (a `Converters` call function) with `ctx` as
    the running context; with an `interrupter` (the runtime closes calls on context
    done) a cancellable `ctx` is watched for the duration of the call, and a `ctx`
    that is already done raises `Interrupted` without calling."""
    if not isinstance(ctx, Context):
        raise TypeError(f"ctx must be a transpyle.Context, got {type(ctx).__name__}")
    watch = None
    if interrupter is not None and ctx.cancellable:
        watch = interrupter.watch(ctx)
    token = _ctx_set(ctx)
    try:
        return caller(fn, args, max_call_depth)
    finally:
        _ctx_reset(token)
        if watch is not None:
            interrupter.unwatch(watch)


def error_for_listener(exc: BaseException) -> BaseException:
    """What `FunctionListener.after` receives for the exception `exc` that is ending a
    wasm call: a `Trap` as it is, a host function's exception unwrapped, anything else
    translated to its `Trap` (remembered on `exc`, so that every listener further out
    and the caller in the end get the same `Trap` object)."""
    if isinstance(exc, Trap):
        return exc
    if isinstance(exc, HostError):
        return exc.exc
    if not isinstance(exc, Exception):
        return exc  # KeyboardInterrupt, SystemExit, ...
    cached = getattr(exc, "_transpyle_trap", None)
    if cached is None:
        cached = translate(exc)
        try:
            exc._transpyle_trap = cached
        except AttributeError:  # pragma: no cover - an exception class with __slots__
            pass
    return cached


_LISTENED_GLOBALS = dict(_CONV_GLOBALS)
_LISTENED_GLOBALS.update({
    "_get": _ctx_get, "_set": _ctx_set, "_reset": _ctx_reset,
    "_PASS": (Trap, HostError, RecursionError), "_error": error_for_listener,
})


def _listened_maker(ft: FuncType):
    """`make(fn, listener, module, definition, interrupter) -> listened`: the raw
    callable that calls `listener.before`, the raw callable `fn` with the context
    `before` returned as the running context, then `listener.after`, exactly once,
    with that same context and the error or the results (raw encodings)."""
    params = [f"a{i}" for i in range(len(ft.params))]
    plist = ", ".join(params)
    raw_params = ", ".join(_expr(_INT_TO_RAW, t, p) for t, p in zip(ft.params, params))
    k = len(ft.results)
    if k == 0:
        raw_results = "[]"
    elif k == 1:
        raw_results = f"[{_expr(_INT_TO_RAW, ft.results[0], 'r')}]"
    else:
        raw_results = "[" + ", ".join(_expr(_INT_TO_RAW, t, f"r[{i}]")
                                      for i, t in enumerate(ft.results)) + "]"
    # Listener code is host code: an exception it raises reaches the caller unchanged
    # (wrapped in HostError on its way through wasm frames), except a Trap, which
    # stays a trap. The context is set only when `before` returned a new one.
    src = f"""
def make(fn, listener, module, definition, interrupter):
    before = listener.before
    after = listener.after
    watch = interrupter.watch if interrupter is not None else None
    unwatch = interrupter.unwatch if interrupter is not None else None

    def listened({plist}):
        caller = _get()
        try:
            ctx = before(caller, module, definition, [{raw_params}])
        except _PASS:
            raise
        except Exception as exc:
            raise HostError(exc) from exc
        if ctx is None:
            ctx = caller
        token = w = None
        try:
            if ctx is not caller:
                token = _set(ctx)
                if watch is not None and ctx.cancellable:
                    w = watch(ctx)
            r = fn({plist})
        except BaseException as exc:
            if token is not None:
                _reset(token)
                if w is not None:
                    unwatch(w)
            try:
                after(ctx, module, definition, _error(exc), None)
            except _PASS:
                raise
            except Exception as exc2:
                raise HostError(exc2) from exc2
            raise
        if token is not None:
            _reset(token)
            if w is not None:
                unwatch(w)
        try:
            after(ctx, module, definition, None, {raw_results})
        except _PASS:
            raise
        except Exception as exc:
            raise HostError(exc) from exc
        return r

    return listened
"""
    return _define(src, "make", f"listener {ft}", _LISTENED_GLOBALS)


_listened_makers: dict[FuncType, Callable] = {}


def make_listened(fn: Callable, ft: FuncType, listener, module, definition,
                  interrupter=None) -> Callable:
    """The listener wrapper of the raw callable `fn` of type `ft` (see
    `_listened_maker`); `module` and `definition` are what the listener is given."""
    make = _listened_makers.get(ft)
    if make is None:
        make = _listened_makers[ft] = _listened_maker(ft)
    return make(fn, listener, module, definition, interrupter)

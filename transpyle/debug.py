"""Stepping through wasm in pdb.

Generated code objects are ordinary Python functions whose source is their listing
(see `transpyle.codegen.listing`), so pdb works on them as on any Python: `step` into a
wasm function from Python, `next`, `until`, `list`, `where`, `p l0`. These helpers find
the code of a wasm function by name:

    from transpyle.debug import break_at, debug_call
    p = pdb.Pdb()
    break_at(p, instance, "fib")          # a breakpoint on fib's first statement
    debug_call(instance.exports["main"])  # run under pdb, stopped in main's first line
"""

from __future__ import annotations

import dis
import pdb
import sys
import types
from typing import Any

from .codegen.listing import is_wasm_filename

__all__ = ["wasm_code", "first_line", "break_at", "debug_call"]


def wasm_code(target: Any, func: str | int | None = None) -> types.CodeType:
    """The generated code object of a wasm function.

    `target` is a `Function` (an export), or an `Instance` with `func` naming a function
    by export name, name-section name or index."""
    if func is not None:
        inst = target
        index = inst.compiled.func_index(func)
        fn = inst.namespace.get(f"b{index}") or inst.namespace[f"f{index}"]
    else:
        fn = getattr(target, "body", None) or getattr(target, "fn", target)
    materialize = getattr(fn, "_transpyle_materialize", None)
    if materialize is not None:  # lazy compilation: not called yet, make it now
        fn = materialize()
    code = getattr(fn, "__code__", None)
    # a listener decorator or boundary wrapper: find the wasm code it calls
    seen = set()
    while code is not None and not is_wasm_filename(code.co_filename) and id(fn) not in seen:
        seen.add(id(fn))
        inner = getattr(fn, "__wrapped__", None)
        if inner is None:
            break
        fn = inner
        code = getattr(fn, "__code__", None)
    if code is None or not is_wasm_filename(code.co_filename):
        raise ValueError(f"{target!r} is not a wasm function compiled by transpyle")
    return code


def first_line(code: types.CodeType) -> int:
    """The first listing line with code after the `def` line (the first statement)."""
    lines = sorted({line for _, line in dis.findlinestarts(code) if line and line > 1})
    return lines[0] if lines else 1


def break_at(debugger: pdb.Pdb, target: Any, func: str | int | None = None,
             line: int | None = None, **kwargs) -> int:
    """Set a breakpoint on a wasm function's first statement (or on listing line
    `line`); returns the line. Extra arguments go to `Pdb.set_break` (e.g. cond=)."""
    code = wasm_code(target, func)
    lineno = first_line(code) if line is None else line
    err = debugger.set_break(code.co_filename, lineno, **kwargs)
    if err:
        raise ValueError(err)
    return lineno


def debug_call(function: Any, *args: Any, debugger: pdb.Pdb | None = None) -> Any:
    """Call a wasm `Function` under pdb, stopped at its first statement: the prompt
    shows the listing line. Returns what the call returns."""
    p = debugger if debugger is not None else pdb.Pdb()
    code = wasm_code(function)
    p.reset()
    lineno = first_line(code)
    p.set_break(code.co_filename, lineno, temporary=True)
    # run until that breakpoint (continue semantics from this frame) ...
    p.botframe = sys._getframe()
    p.set_continue()
    sys.settrace(p.trace_dispatch)
    try:
        return function(*args)
    finally:
        sys.settrace(None)
        p.clear_all_breaks() if debugger is None else None

"""A listener factory that prints the call tree, like wazero's logging listener.

    from transpyle.experimental.logging import LoggingListenerFactory
    rt = transpyle.Runtime(listener_factory=LoggingListenerFactory(sys.stderr))

prints, one indent (a tab) per nesting level of the logged calls::

    --> calc.main(n=3)
    	--> calc.square(x=3)
    	<-- 9
    	==> env.log(2)
    	<==
    <-- 9

`-->`/`<--` mark wasm functions, `==>`/`<==` host functions; parameters are shown
with their name-section names where the module has them; i32/i64 values signed,
floats as floats (NaNs with their bits), v128 in hex. A call that ends with a trap or
an exception shows `<-- error: ...`. `pattern` (fnmatch, several separated by commas)
selects the functions by name, `module.name` or export name; `host_only` (wazero's
host logging) keeps host functions and exported ones. On a terminal (or with
`color=True`) the lines are coloured with rich.
"""

from __future__ import annotations

import fnmatch
import math
import struct
import sys
import threading
from typing import IO, Iterable

from transpyle.experimental.listener import (
    FunctionDefinition,
    FunctionListener,
    FunctionListenerFactory,
)
from transpyle.wasm.types import ValueType

__all__ = ["LoggingListenerFactory", "LoggingListener", "format_value"]


def _f32_text(bits: int) -> str:
    x = struct.unpack("<f", struct.pack("<I", bits))[0]
    if math.isnan(x):
        return f"nan:0x{bits:08x}"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    for digits in range(1, 10):  # the shortest text that reads back as the same f32
        text = f"{x:.{digits}g}"
        if struct.pack("<f", float(text)) == struct.pack("<I", bits):
            return text
    return repr(x)  # pragma: no cover


def _f64_text(bits: int) -> str:
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isnan(x):
        return f"nan:0x{bits:016x}"
    return repr(x)


def format_value(t: ValueType, raw) -> str:
    """The display text of one raw-encoded value of type `t`."""
    if t is ValueType.I32:
        return str(((raw & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000)
    if t is ValueType.I64:
        return str(((raw & 0xFFFFFFFFFFFFFFFF) ^ 0x8000000000000000) - 0x8000000000000000)
    if t is ValueType.F32:
        return _f32_text(raw)
    if t is ValueType.F64:
        return _f64_text(raw)
    if t is ValueType.V128:
        return f"0x{raw:032x}"
    if raw is None:
        return "null"
    if t is ValueType.FUNCREF:
        return f"func:{getattr(raw, 'name', None) or '?'}"
    return repr(raw)


class _Depth(threading.local):
    n = 0


class LoggingListenerFactory(FunctionListenerFactory):
    """Prints every call of the selected functions to `stream` (default: sys.stderr,
    looked up at each write)."""

    def __init__(self, stream: IO[str] | None = None, *, pattern: str | Iterable[str] = "*",
                 host_only: bool = False, color: bool | None = None, indent: str = "\t"):
        self.stream = stream
        if isinstance(pattern, str):
            pattern = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
        self.patterns = list(pattern)
        self.host_only = host_only
        self.color = color
        self.indent = indent
        self.depth = _Depth()  # nesting of the logged calls, per thread
        self._console = None
        self._lock = threading.Lock()

    def selects(self, definition: FunctionDefinition) -> bool:
        if self.host_only and not (definition.is_host or definition.export_names):
            return False
        names = {definition.name, definition.debug_name, *definition.export_names}
        return any(fnmatch.fnmatchcase(n, p) for p in self.patterns for n in names)

    def new_listener(self, definition: FunctionDefinition) -> "LoggingListener | None":
        return LoggingListener(self, definition) if self.selects(definition) else None

    # -- output ---------------------------------------------------------------------

    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stderr

    def _use_color(self, out) -> bool:
        if self.color is not None:
            return self.color
        isatty = getattr(out, "isatty", None)
        try:
            return bool(isatty and isatty())
        except (ValueError, OSError):
            return False

    def write(self, depth: int, parts: list[tuple[str, str]]) -> None:
        """One line: `parts` are (text, rich style) pairs."""
        out = self._out()
        with self._lock:
            if self._use_color(out):
                from rich.console import Console
                from rich.text import Text

                console = self._console
                if console is None or console.file is not out:
                    console = self._console = Console(
                        file=out, force_terminal=True, highlight=False, soft_wrap=True)
                line = Text(self.indent * depth)
                for text, style in parts:
                    line.append(text, style=style or None)
                console.print(line)
            else:
                out.write(self.indent * depth + "".join(t for t, _ in parts) + "\n")
                flush = getattr(out, "flush", None)
                if flush is not None:
                    flush()


class LoggingListener(FunctionListener):
    """The listener of one function (made by `LoggingListenerFactory`)."""

    def __init__(self, factory: LoggingListenerFactory, definition: FunctionDefinition):
        self.factory = factory
        self.definition = definition
        host = definition.is_host
        self.enter = "==> " if host else "--> "
        self.leave = "<==" if host else "<--"
        self.style = "magenta" if host else "cyan"
        self.name = definition.debug_name
        ft = definition.type
        self.params = ft.params
        self.results = ft.results
        names = definition.param_names
        self.param_names = list(names) if names and len(names) == len(ft.params) else None

    def before(self, ctx, module, definition, params):
        f = self.factory
        depth = f.depth.n
        args = [format_value(t, v) for t, v in zip(self.params, params)]
        if self.param_names is not None:
            args = [f"{n}={a}" if n else a for n, a in zip(self.param_names, args)]
        f.write(depth, [(self.enter, self.style), (self.name, "bold"),
                        (f"({','.join(args)})", "")])
        f.depth.n = depth + 1
        return ctx

    def after(self, ctx, module, definition, error, results):
        f = self.factory
        depth = f.depth.n = max(0, f.depth.n - 1)
        if error is not None:
            message = getattr(error, "message", None) if hasattr(error, "wasm_stack") else None
            text = message or f"{type(error).__name__}: {error}"
            f.write(depth, [(self.leave, self.style), (f" error: {text}", "bold red")])
            return
        values = [format_value(t, v) for t, v in zip(self.results, results)]
        if not values:
            shown = ""
        elif len(values) == 1:
            shown = " " + values[0]
        else:
            shown = f" ({','.join(values)})"
        f.write(depth, [(self.leave, self.style), (shown, "")])

"""`Runtime`: compile (through the engine: decode, validate, generate code; cached
by the SHA-256 of the bytes, in memory and optionally on disk), instantiate, and the
namespace of registered instances.

The runtime is thin: compilation and function objects are `transpyle.engine`'s,
instantiation is `transpyle.runtime.instance.instantiate`.
"""

from __future__ import annotations

import os
import sys

from transpyle.engine import (  # noqa: F401 - CompiledModule & co. are public here too
    CompiledModule,
    Engine,
    ExportDescription,
    ImportDescription,
)
from transpyle.runtime.boundary import DEFAULT_MAX_CALL_DEPTH
from transpyle.runtime.instance import Instance, instantiate
from transpyle.wasm.types import MAX_PAGES


class Runtime:
    """One engine, one compiled-module cache, one namespace of registered instances.

    `cache_dir`: also keep compiled modules on disk there, so a later process loads
    them instead of compiling (`transpyle.engine.default_cache_dir()` is the command
    line's default). `close_on_context_done`: compile with termination checks, so a
    call whose context (`Function(..., ctx=...)`) is cancelled or passes its deadline
    stops with `transpyle.Interrupted`, even inside an infinite loop; without it no
    check is compiled in. `max_call_depth`: wasm frames available to a call from
    Python (default 20,000); deeper recursion traps with "call stack exhausted".
    `memory_limit_pages`: no memory this runtime creates grows beyond this many 64 KiB
    pages, and a module whose memory minimum is larger fails to instantiate with
    `LinkError`. `listener_factory`: a `transpyle.experimental.FunctionListenerFactory`
    asked for a listener per function at every instantiation. `debug`: generate code
    in codegen's debugging layout (every operand-stack value in a local, so pdb can
    show it); `transpyle debug` uses it. `lazy`: `compile` decodes and validates
    the whole module (errors are raised there as always) but translates each function
    on its first call, so a large module starts in a fraction of its compile time; a
    compiled module found in the disk cache is used as it is, and lazily compiled
    modules are not written to it. `fuel`: a deterministic budget (wasmtime's fuel):
    every wasm function entry and every loop iteration consumes one unit, and a call
    that needs more than is left traps with "all fuel consumed" (the budget is then
    0); `get_fuel`, `set_fuel` and `add_fuel` read and refill it. Without it no fuel
    code is compiled in. One budget serves every instance of the runtime, and threads
    running wasm at once share it: each unit is taken by one C-level `next()` (atomic
    under the GIL), so the total is exact, though which thread runs out first is not
    determined.
    `source_listings`, `source_dir`: the listings of modules with DWARF debug info
    interleave their source lines (`# prog.c:42: total += a[i];`, the text found under
    `source_dir`, the compilation directory or the recorded path), so pdb's `list`
    shows them; `transpyle debug --source-dir` uses it (such compilations are not
    written to the disk cache). Either one turns it on.
    """

    def __init__(self, *, cache_dir: str | os.PathLike | None = None,
                 close_on_context_done: bool = False, max_call_depth: int | None = None,
                 memory_limit_pages: int | None = None, listener_factory=None,
                 debug: bool = False, lazy: bool = False, fuel: int | None = None,
                 source_listings: bool = False,
                 source_dir: str | os.PathLike | None = None):
        if max_call_depth is None:
            max_call_depth = DEFAULT_MAX_CALL_DEPTH
        if not isinstance(max_call_depth, int) or max_call_depth < 1:
            raise ValueError(f"max_call_depth must be a positive int, got {max_call_depth!r}")
        if memory_limit_pages is not None and (
                not isinstance(memory_limit_pages, int)
                or not 0 <= memory_limit_pages <= MAX_PAGES):
            raise ValueError(f"memory_limit_pages must be an int from 0 to {MAX_PAGES}, "
                             f"got {memory_limit_pages!r}")
        if listener_factory is not None and not (
                callable(getattr(listener_factory, "new_listener", None))
                or callable(listener_factory)):
            raise TypeError(f"listener_factory needs a new_listener(definition) method, "
                            f"got {type(listener_factory).__name__}")
        if fuel is not None:
            _check_fuel(fuel)
        self.max_call_depth = max_call_depth
        self.memory_limit_pages = memory_limit_pages
        self.close_on_context_done = bool(close_on_context_done)
        self.listener_factory = listener_factory
        self.cache_dir = cache_dir
        self.debug = bool(debug)
        self.lazy = bool(lazy)
        self.engine = Engine(cache_dir=cache_dir, listener_factory=listener_factory,
                             max_call_depth=max_call_depth, fuel=fuel)
        self.fuel_enabled = fuel is not None
        # listings of modules with DWARF interleave their source lines (pdb's `list`)
        self.source_listings = (None if not source_listings and source_dir is None
                                else "" if source_dir is None else os.fspath(source_dir))
        self._registered: dict[str, Instance] = {}

    def compile(self, data: bytes | bytearray | memoryview, *,
                progress=None) -> CompiledModule:
        """Decode, validate and generate code; `DecodeError`/`ValidationError` (both
        `CompileError`) for a malformed or invalid module. The same bytes compile once
        per runtime (and once per cache directory). `progress(done, total)`, if given,
        is called after each function code generation translates (a progress bar;
        never on a cache hit)."""
        return self.engine.compile_module(data, None, self.close_on_context_done,
                                          debug=self.debug, progress=progress,
                                          lazy=self.lazy, fuel=self.fuel_enabled,
                                          source_listings=self.source_listings)

    # -- fuel (Runtime(fuel=N)) -------------------------------------------------------

    def _fuel(self):
        fuel = self.engine.fuel
        if fuel is None:
            raise RuntimeError("fuel is not enabled: create the runtime with Runtime(fuel=N)")
        return fuel

    def get_fuel(self) -> int:
        """The fuel left (0 after a trap "all fuel consumed")."""
        return self._fuel().get()

    def set_fuel(self, fuel: int) -> None:
        """Make the budget `fuel` units."""
        self._fuel().set(_check_fuel(fuel))

    def add_fuel(self, fuel: int) -> int:
        """Add `fuel` units to the budget; returns the new budget."""
        f = self._fuel()
        with f.lock:
            total = _check_fuel(f.get() + _check_fuel(fuel))
        f.set(total)
        return total

    def instantiate(self, module: CompiledModule | bytes | bytearray | memoryview, *,
                    name: str | None = None, imports=None) -> Instance:
        """Instantiate; with `name`, also register the instance under that module name.
        `imports`: `{module: {field: Function | Func | Memory | Table | Global}}`,
        consulted before the registered instances. `LinkError` for a missing or
        mismatched import, `Trap` for a trap during instantiation."""
        if not isinstance(module, CompiledModule):
            module = self.compile(module)
        inst = instantiate(self, module, name=name, imports=imports)
        if name is not None:
            self.register(name, inst)
        return inst

    def register(self, name: str, instance: Instance) -> None:
        """Make `instance`'s exports importable under module name `name`."""
        if not isinstance(instance, Instance):
            raise TypeError(f"register needs an Instance, got {type(instance).__name__}")
        self._registered[name] = instance
        if instance.name is None:
            instance.name = name

    def close(self) -> None:
        """Release the compiled-module cache and the registered names; the runtime
        compiles and instantiates nothing more (existing instances keep working)."""
        self.engine.close()
        self._registered.clear()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_fuel(fuel) -> int:
    if not isinstance(fuel, int) or isinstance(fuel, bool) or not 0 <= fuel <= sys.maxsize:
        raise ValueError(f"fuel must be an int from 0 to {sys.maxsize}, got {fuel!r}")
    return fuel

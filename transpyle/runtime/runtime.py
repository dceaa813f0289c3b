"""`Runtime` and `CompiledModule`: compile (decode, validate, generate code; cached by
the SHA-256 of the bytes), instantiate, and the namespace of registered instances.

The runtime is thin: instantiation is `transpyle.runtime.instance.instantiate`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from transpyle.runtime.boundary import DEFAULT_MAX_CALL_DEPTH
from transpyle.runtime.instance import Instance, instantiate
from transpyle.wasm.types import MAX_PAGES


@dataclass(frozen=True)
class ImportDescription:
    module: str
    name: str
    kind: str  # "func" | "table" | "memory" | "global"
    type: Any  # FuncType | TableType | MemoryType | GlobalType


@dataclass(frozen=True)
class ExportDescription:
    name: str
    kind: str
    type: Any


class CompiledModule:
    """A validated module and its generated code, ready to instantiate any number of
    times.

    `sha256` is the hex digest of the module bytes, `module` the decoded `Module`,
    `info` the validator's `ModuleInfo`, `code` codegen's `CompiledCode`; `imports` and
    `exports` describe the module's interface.
    """

    def __init__(self, sha256: str, module, info, code):
        self.sha256 = sha256
        self.module = module
        self.info = info
        self.code = code
        self.imports = [ImportDescription(i.module, i.name, i.kind, i.type)
                        for i in module.imports]
        spaces = {
            "func": info.func_types,
            "table": module.all_tables(),
            "memory": module.all_memories(),
            "global": module.all_global_types(),
        }
        self.exports = [ExportDescription(e.name, e.kind, spaces[e.kind][e.index])
                        for e in module.exports]

    def func_index(self, func: int | str) -> int:
        """The function index of `func`: an index, an export name or a name-section
        name; `KeyError` if there is no such function."""
        n_funcs = len(self.info.func_types)
        if isinstance(func, int) and not isinstance(func, bool):
            if 0 <= func < n_funcs:
                return func
            raise KeyError(f"no function with index {func} (the module has {n_funcs})")
        if isinstance(func, str):
            for e in self.module.exports:
                if e.kind == "func" and e.name == func:
                    return e.index
            for index, name in self.module.names.functions.items():
                if name == func:
                    return index
            for index, name in self.code.func_names.items():
                if name == func:
                    return index
            raise KeyError(f"no function named {func!r} (neither an export nor a "
                           f"name-section name)")
        raise KeyError(f"a function is named by its index or a name, not {func!r}")

    def source(self, func: int | str) -> str:
        """The generated Python source of one function, by export name, name-section
        name or index (`KeyError` if unknown or imported)."""
        index = self.func_index(func)
        try:
            return self.code.sources[index]
        except KeyError:
            raise KeyError(f"function {func!r} (index {index}) is imported: it has no "
                           f"generated source") from None

    def __repr__(self) -> str:
        name = self.module.names.module
        return f"<CompiledModule {name + ' ' if name else ''}{self.sha256[:12]}>"


class Runtime:
    """One engine, one compiled-module cache, one namespace of registered instances.

    `max_call_depth`: wasm frames available to a call from Python (default 20,000);
    deeper recursion traps with "call stack exhausted". `memory_limit_pages`: no memory
    this runtime creates grows beyond this many 64 KiB pages, and a module whose memory
    minimum is larger fails to instantiate with `LinkError`.
    """

    def __init__(self, *, max_call_depth: int | None = None,
                 memory_limit_pages: int | None = None):
        if max_call_depth is None:
            max_call_depth = DEFAULT_MAX_CALL_DEPTH
        if not isinstance(max_call_depth, int) or max_call_depth < 1:
            raise ValueError(f"max_call_depth must be a positive int, got {max_call_depth!r}")
        if memory_limit_pages is not None and (
                not isinstance(memory_limit_pages, int)
                or not 0 <= memory_limit_pages <= MAX_PAGES):
            raise ValueError(f"memory_limit_pages must be an int from 0 to {MAX_PAGES}, "
                             f"got {memory_limit_pages!r}")
        self.max_call_depth = max_call_depth
        self.memory_limit_pages = memory_limit_pages
        self._cache: dict[str, CompiledModule] = {}
        self._registered: dict[str, Instance] = {}

    def compile(self, data: bytes | bytearray | memoryview) -> CompiledModule:
        """Decode, validate and generate code; `DecodeError`/`ValidationError` (both
        `CompileError`) for a malformed or invalid module. The same bytes compile once
        per runtime."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"compile needs bytes, bytearray or memoryview, got "
                            f"{type(data).__name__}")
        data = bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        compiled = self._cache.get(sha)
        if compiled is None:
            from transpyle.codegen import compile_module
            from transpyle.wasm.decoder import decode
            from transpyle.wasm.validator import validate

            module = decode(data)
            info = validate(module)
            code = compile_module(module, info, module_name=module.names.module)
            compiled = self._cache[sha] = CompiledModule(sha, module, info, code)
        return compiled

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

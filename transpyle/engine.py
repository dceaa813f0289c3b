"""The engine: compiles modules (decode -> validate -> generate code), caches the
results in memory and on disk, and builds the per-instance function objects.

Modelled on wazero's `internal/wasm/engine.go`: an `Engine` is runtime-scoped and owns
the compiled-module cache (`compile_module`, `compiled_module_count`,
`delete_compiled_module`, `close`); `new_module_engine` gives each instance a
`ModuleEngine` that makes its function objects, wires its imported functions and
memory, answers `call_indirect`-style lookups, and attaches function listeners.
`Runtime` is built on it; nothing else reaches into codegen.

Compiled cache
--------------
In memory: one `CompiledModule` per (SHA-256 of the bytes, `ensure_termination`,
`debug`, feature set, `lazy`, `fuel`, `source_listings`); compiling the same bytes twice
compiles once. Generated code never
depends on imports or listeners (those are per instance), so one compilation serves
every instance.

On disk (`Engine(cache_dir=...)`, `Runtime(cache_dir=...)`; `default_cache_dir()` is
the command line's default): one file per entry, named by the SHA-256 of every input
that changes what is stored: the module's SHA-256, `ensure_termination`, `debug`,
`fuel` (only when on, so other entries keep their names), the feature set, the
transpyle version, a fingerprint of transpyle's decoder/validator/codegen sources (an
editable checkout changes without a version bump), CPython's bytecode magic number,
the `bytecode` package version and the cache format. A file is

    MAGIC (16 bytes) | format (u32) | payload length (u64) | sha256(payload) (32 bytes)
    | payload

and the payload is `marshal`led: the inputs (checked again on load), the fields of
codegen's `CompiledCode` (the factory code object with every function's code object
inside, the listings, the display names, the tail-call bodies), and the pickled
*declarations*: the decoded module without its code bodies and custom sections, plus
the function types and `ref.func` declarations that instantiation needs. Entries are
written to a temporary file in the cache directory and moved into place with
`os.replace`, so readers (other processes included) see a whole entry or none; two
processes filling the same cache at once each write whole files, and the last rename
wins with identical content. An entry that is unreadable, truncated, fails its
checksum, or records other inputs is recompiled and rewritten, with a `CacheWarning`;
it never crashes the load and never yields code compiled for other inputs.

Why the declarations are pickled rather than re-derived from the bytes (measured on
big2500.wasm, 563 KB, 2,502 functions, CPython 3.11): decoding takes 120 ms and
validation 170-300 ms, while the pickled declarations (128 KB) load in 1.5 ms; the
full module with its validator info would pickle to 3.7 MB and load in 175 ms, and
only code generation needs those parts. `CompiledModule.module` and `.info` are still
there for tools that want them: on an entry loaded from disk they are decoded and
validated from the bytes on first access.

Termination
-----------
A module compiled with `ensure_termination` calls `check_termination()` at each loop
header. When nothing is pending that is one call that reads one module global
(`_pending`) and returns. Calls that run with a cancellable context (a deadline, or a
`with_cancel`) are *watched*: a single daemon watchdog thread keeps their deadlines in
a heap, and a cancellation callback is registered on the context; when either fires,
`_pending` is set and every termination-checked instance's namespace flag
`_interrupt` is set (the cheaper form codegen can test inline). The check then reads
the running call's context (`current_context()`) and raises `Interrupted` if it is
done; a thread whose own context is fine continues. The flag is cleared when the last
watched call whose context is done has ended.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import importlib.util
import itertools
import marshal
import os
import pickle
import struct
import sys
import tempfile
import threading
import time
import types
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from transpyle.errors import Interrupted, Trap
from transpyle.experimental.context import Context, _current
from transpyle.runtime import boundary
from transpyle.runtime.externs import Func, Function, Memory, Table
from transpyle.runtime.support import TailCall, table_entry
from transpyle.wasm.types import FuncType

__all__ = [
    "Engine", "ModuleEngine", "CompiledModule", "InstanceFunction", "CacheWarning",
    "default_cache_dir", "check_termination", "FEATURES",
]

FEATURES = "wasm2.0+simd+threads+tail-call"
"""The feature set code is generated for (part of every cache key; a future
`Runtime(features=...)` changes it)."""

CACHE_FORMAT = 1
_MAGIC = b"transpyle-cache\x00"
_HEADER = struct.Struct("<16sIQ32s")


class CacheWarning(UserWarning):
    """A compiled-cache entry could not be used (corrupt, truncated, stale) or
    written; the module was compiled instead. Never an error."""


def default_cache_dir() -> Path:
    """The command line's default cache directory: `$TRANSPYLE_CACHE_DIR` if set, else
    `$XDG_CACHE_HOME/transpyle`, else `~/.cache/transpyle` (on Windows
    `%LOCALAPPDATA%\\transpyle\\cache`). Not created until something is written."""
    env = os.environ.get("TRANSPYLE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "transpyle" / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "transpyle"


# -- compiled modules -----------------------------------------------------------------


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

    `sha256` is the hex digest of the module bytes; `code` codegen's `CompiledCode`;
    `declarations` the decoded module without code bodies and custom sections (all
    that instantiation reads); `func_types` the type of every function in the index
    space, `declared_refs` the functions `ref.func` may name; `imports` and `exports`
    describe the module's interface; `ensure_termination` whether the code checks for
    termination, `debug` whether it was generated in codegen's debugging layout,
    `fuel` whether it consumes the runtime's fuel (function entries, loop iterations),
    `lazy` (codegen's `ModuleCodegen`, or None) whether functions are translated on
    their first call, `source_listings` (None, or where to look for sources) whether
    the listings interleave DWARF source lines, `source_map` the module's
    `transpyle.sourcemap.SourceMap` when it has DWARF.
    `module` (the full decoded `Module`) and `info` (the validator's `ModuleInfo`) are
    computed from the bytes on first use when the entry came from the disk cache.
    """

    def __init__(self, sha256: str, declarations, func_types, declared_refs, code, *,
                 ensure_termination: bool = False, debug: bool = False, module=None,
                 info=None, data: bytes | None = None, from_disk: bool = False,
                 lazy=None, fuel: bool = False, source_listings: str | None = None,
                 source_map=None):
        self.sha256 = sha256
        self.declarations = declarations
        self.func_types = list(func_types)
        self.declared_refs = frozenset(declared_refs)
        self.code = code
        self.ensure_termination = ensure_termination
        self.debug = debug
        self.fuel = fuel
        self.source_listings = source_listings
        self.from_disk = from_disk
        # codegen's ModuleCodegen when functions are translated on first call
        # (`Runtime(lazy=True)`), else None: `code` then holds no factory and fills
        # its listings as functions are translated
        self.lazy = lazy
        self._module = module
        self._info = info
        self._data = data
        self.num_imported_funcs = sum(1 for i in declarations.imports if i.kind == "func")
        self.imports = [ImportDescription(i.module, i.name, i.kind, i.type)
                        for i in declarations.imports]
        spaces = {
            "func": self.func_types,
            "table": declarations.all_tables(),
            "memory": declarations.all_memories(),
            "global": declarations.all_global_types(),
        }
        self.exports = [ExportDescription(e.name, e.kind, spaces[e.kind][e.index])
                        for e in declarations.exports]
        self._source_map = None
        self._display = None
        if getattr(code, "has_dwarf", False):
            self._register_source_map(source_map)

    def _register_source_map(self, smap) -> None:
        """A module with DWARF: its code filenames find their `SourceMap` (traps, pdb).
        Nothing is parsed here; the map reads the module (decoding it from the bytes
        for a disk-cache entry) on its first question."""
        from transpyle import sourcemap

        if smap is None:
            ref = weakref.ref(self)

            def module():
                c = ref()
                if c is None:
                    raise LookupError("the compiled module is gone")
                return c.module

            smap = sourcemap.SourceMap(module)
        self._source_map = smap
        smap.compiled = weakref.ref(self)
        sourcemap.register(self.code.filenames, smap)

    @property
    def source_map(self):
        """The module's `transpyle.sourcemap.SourceMap` (its DWARF), or None when it
        has no DWARF line table."""
        return self._source_map

    @property
    def module(self):
        """The decoded `Module` (with code bodies)."""
        if self._module is None:
            from transpyle.wasm.decoder import decode

            self._module = decode(self._data)
        return self._module

    @property
    def info(self):
        """The validator's `ModuleInfo`."""
        if self._info is None:
            from transpyle.wasm.validator import validate

            self._info = validate(self.module)
        return self._info

    def func_index(self, func: int | str) -> int:
        """The function index of `func`: an index, an export name or a name-section
        name; `KeyError` if there is no such function."""
        n_funcs = len(self.func_types)
        if isinstance(func, int) and not isinstance(func, bool):
            if 0 <= func < n_funcs:
                return func
            raise KeyError(f"no function with index {func} (the module has {n_funcs})")
        if isinstance(func, str):
            decl = self.declarations
            for e in decl.exports:
                if e.kind == "func" and e.name == func:
                    return e.index
            for index, name in decl.names.functions.items():
                if name == func:
                    return index
            for index, name in self.code.func_names.items():
                if name == func:
                    return index
            raise KeyError(f"no function named {func!r} (neither an export nor a "
                           f"name-section name)")
        raise KeyError(f"a function is named by its index or a name, not {func!r}")

    def source(self, func: int | str, with_source: bool = False,
               source_dir: str | os.PathLike | None = None) -> str:
        """The generated Python source of one function, by export name, name-section
        name or index (`KeyError` if unknown or imported). `with_source`: interleaved
        with the source lines DWARF names (`# prog.c:42: total += a[i];` before the
        first listing line of each source line; the text when the file is found under
        `source_dir`, the compilation directory or the recorded path). The code's own
        listing (what tracebacks and pdb show) is unchanged; a module without DWARF
        gives its plain listing."""
        index = self.func_index(func)
        if with_source and self._source_map is not None and index >= self.num_imported_funcs:
            codegen = self.lazy or self._display_codegen()
            return codegen.source_listing(
                index, self._source_map, None if source_dir is None else os.fspath(source_dir))
        try:
            if self.lazy is not None and index >= self.num_imported_funcs:
                self.lazy.function(index)  # translate it now if it was not yet
            return self.code.sources[index]
        except KeyError:
            raise KeyError(f"function {func!r} (index {index}) is imported: it has no "
                           f"generated source") from None

    def _display_codegen(self):
        """A code generator with this module's options, for listings shown only."""
        if self._display is None:
            from transpyle.codegen import ModuleCodegen

            self._display = ModuleCodegen(
                self.module, self.info, module_name=self.declarations.names.module,
                unique=code_label(self.sha256, self.ensure_termination, self.debug,
                                  self.fuel, self.source_listings),
                ensure_termination=self.ensure_termination,
                debug=self.debug, fuel=self.fuel)
        return self._display

    def __repr__(self) -> str:
        name = self.declarations.names.module
        return f"<CompiledModule {name + ' ' if name else ''}{self.sha256[:12]}>"


def code_label(sha: str, ensure_termination: bool = False, debug: bool = False,
               fuel: bool = False, source_listings: str | None = None) -> str:
    """The unique part of a module's code filenames (`<wasm://name@LABEL/func>`): the
    prefix of its SHA-256, and a tag for each option that changes the code or its
    listing (`_d` debug, `_t` termination checks, `_f` fuel, `_s` source listings), so
    that one module compiled two ways in one process never shares a linecache entry
    (pdb would show one's listing for the other's code)."""
    tag = "".join(c for c, on in (("t", ensure_termination), ("d", debug), ("f", fuel),
                                  ("s", source_listings is not None)) if on)
    return sha[:8] + ("_" + tag if tag else "")


def _declarations(module):
    """The module without what only code generation reads (bodies, custom sections)."""
    return dataclasses.replace(module, codes=[], customs=[])


# -- the disk cache -------------------------------------------------------------------

_fingerprint: str | None = None


def _code_fingerprint() -> str:
    """SHA-256 over the sources that shape the cached data: the decoder and module
    model (pickled declarations), codegen (code objects), and the names of the
    helpers generated code calls."""
    global _fingerprint
    if _fingerprint is None:
        from transpyle.runtime.support import HELPERS

        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for sub in ("wasm", "codegen"):
            for path in sorted((root / sub).glob("*.py")):
                h.update(path.name.encode())
                h.update(path.read_bytes())
        h.update(repr(sorted(HELPERS)).encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def _cache_inputs(sha: str, ensure_termination: bool, debug: bool = False,
                  fuel: bool = False) -> dict:
    import bytecode

    inputs = {
        "format": CACHE_FORMAT,
        "module_sha256": sha,
        "ensure_termination": bool(ensure_termination),
        "debug": bool(debug),
        "features": FEATURES,
        "transpyle": getattr(sys.modules.get("transpyle"), "__version__", "unknown"),
        "fingerprint": _code_fingerprint(),
        "python_magic": importlib.util.MAGIC_NUMBER.hex(),
        "bytecode": bytecode.__version__,
    }
    if fuel:  # only when on: the keys of every other entry stay what they were
        inputs["fuel"] = True
    return inputs


class _Corrupt(Exception):
    pass


class DiskCache:
    """Compiled modules as files in one directory (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory).expanduser()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.tpc"

    @staticmethod
    def key(inputs: dict) -> str:
        return hashlib.sha256(repr(sorted(inputs.items())).encode()).hexdigest()

    def load(self, inputs: dict, data: bytes) -> CompiledModule | None:
        """The cached module for `inputs`, or None (missing: silently; unusable: with a
        `CacheWarning`)."""
        path = self.path(self.key(inputs))
        try:
            blob = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None  # (a directory that cannot exist: writing it will say so)
        except OSError as err:
            _warn(f"cannot read compiled-cache entry {path}: {err}; compiling")
            return None
        try:
            return self._decode(blob, inputs, data)
        except _Corrupt as err:
            _warn(f"compiled-cache entry {path} is {err}; recompiling and rewriting it")
        except Exception as err:  # noqa: BLE001 - whatever a damaged payload raises
            _warn(f"compiled-cache entry {path} is corrupt ({type(err).__name__}: {err}); "
                  f"recompiling and rewriting it")
        return None

    @staticmethod
    def _decode(blob: bytes, inputs: dict, data: bytes) -> CompiledModule:
        if len(blob) < _HEADER.size:
            raise _Corrupt(f"truncated ({len(blob)} bytes, shorter than its header)")
        magic, fmt, length, digest = _HEADER.unpack_from(blob)
        if magic != _MAGIC:
            raise _Corrupt("not a transpyle cache file (bad magic)")
        if fmt != CACHE_FORMAT:
            raise _Corrupt(f"stale (cache format {fmt}, expected {CACHE_FORMAT})")
        payload = memoryview(blob)[_HEADER.size:]
        if len(payload) != length:
            raise _Corrupt(f"truncated ({len(payload)} of {length} payload bytes)")
        if hashlib.sha256(payload).digest() != digest:
            raise _Corrupt("corrupt (checksum mismatch)")
        entry = marshal.loads(payload)
        if not isinstance(entry, dict) or entry.get("inputs") != inputs:
            recorded = entry.get("inputs") if isinstance(entry, dict) else None
            raise _Corrupt(f"stale (compiled for {recorded!r})")
        from transpyle.codegen import CompiledCode

        code = CompiledCode(**entry["code"])
        decl, func_types, declared_refs = pickle.loads(entry["declarations"])
        from transpyle.codegen import listing

        listing.register_listings(code)  # tracebacks and pdb show the listings
        return CompiledModule(inputs["module_sha256"], decl, func_types, declared_refs,
                              code, ensure_termination=inputs["ensure_termination"],
                              debug=inputs["debug"], data=data, from_disk=True,
                              fuel=inputs.get("fuel", False))

    def store(self, inputs: dict, compiled: CompiledModule) -> None:
        """Write the entry atomically; a failure is a `CacheWarning`, never an error."""
        path = self.path(self.key(inputs))
        try:
            code = {f.name: getattr(compiled.code, f.name)
                    for f in dataclasses.fields(compiled.code)}
            decl = pickle.dumps((compiled.declarations, compiled.func_types,
                                 compiled.declared_refs), protocol=pickle.HIGHEST_PROTOCOL)
            payload = marshal.dumps({"inputs": inputs, "code": code, "declarations": decl})
        except (ValueError, TypeError, pickle.PicklingError) as err:
            _warn(f"cannot cache {compiled!r}: {err}")
            return
        header = _HEADER.pack(_MAGIC, CACHE_FORMAT, len(payload),
                              hashlib.sha256(payload).digest())
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:16]}.", suffix=".tmp",
                                       dir=self.directory)
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(payload)
            os.replace(tmp, path)
            tmp = None
        except OSError as err:
            _warn(f"cannot write compiled-cache entry {path}: {err}")
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _warn(message: str) -> None:
    """A `CacheWarning` attributed to the first caller outside transpyle."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, CacheWarning, stacklevel=level)


# -- the engine -----------------------------------------------------------------------


class Engine:
    """Compiles modules and caches them (memory, and disk with `cache_dir`); makes the
    `ModuleEngine` of each instance. `listener_factory` (a
    `transpyle.experimental.FunctionListenerFactory`) is asked, at each instantiation,
    for a listener per function."""

    def __init__(self, *, cache_dir: str | os.PathLike | None = None,
                 listener_factory=None, max_call_depth: int | None = None,
                 fuel: int | None = None):
        self.disk = DiskCache(cache_dir) if cache_dir is not None else None
        # the fuel budget of every instance made by this engine (Runtime(fuel=N)), or None
        self.fuel: Fuel | None = None if fuel is None else Fuel(fuel)
        self.listener_factory = listener_factory
        self.max_call_depth = max_call_depth
        self._compiled: dict[tuple, CompiledModule] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._closed = False

    def compile_module(self, module: bytes | bytearray | memoryview, listeners=None,
                       ensure_termination: bool = False, *,
                       debug: bool = False, progress=None, lazy: bool = False,
                       fuel: bool = False, source_listings: str | None = None) -> CompiledModule:
        """Decode, validate and generate code for the module bytes `module` (cached).

        `listeners` is accepted for the interface's sake (wazero compiles listeners
        in): transpyle's generated code never depends on them; they wrap function
        objects per instance (`new_module_engine`). `ensure_termination`: loop headers
        call `check_termination()`. `debug`: codegen's debugging layout (every operand
        stack value in a local, for pdb). `progress(done, total)` is called after each
        function that code generation translates (not at all on a cache hit).
        `lazy`: decode and validate now, translate each function on its first call (a
        disk-cache entry, if there is one, is used as is; lazy compilations are not
        written to the disk cache). `fuel`: function entries and loop headers consume
        one unit of fuel each (`Runtime(fuel=N)`). `source_listings` (None, or a
        directory to find sources in, "" for none): the listings of a module with DWARF
        interleave its source lines, so pdb's `list` shows them (never on disk).
        """
        self._check_open()
        if not isinstance(module, (bytes, bytearray, memoryview)):
            raise TypeError(f"compile needs bytes, bytearray or memoryview, got "
                            f"{type(module).__name__}")
        data = bytes(module)
        sha = hashlib.sha256(data).hexdigest()
        key = (sha, bool(ensure_termination), bool(debug), FEATURES, bool(lazy), bool(fuel),
               source_listings)
        compiled = self._compiled.get(key)
        if compiled is not None:
            return compiled
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # threads compiling the same bytes: one compiles, all share it
            compiled = self._compiled.get(key)
            if compiled is None:
                compiled = self._load_or_compile(data, sha, bool(ensure_termination),
                                                 bool(debug), progress, bool(lazy),
                                                 bool(fuel), source_listings)
                self._compiled[key] = compiled
        with self._lock:
            self._key_locks.pop(key, None)
        return compiled

    def _load_or_compile(self, data: bytes, sha: str, ensure_termination: bool,
                         debug: bool, progress=None, lazy: bool = False,
                         fuel: bool = False, source_listings: str | None = None):
        inputs = None
        if self.disk is not None and source_listings is None:
            inputs = _cache_inputs(sha, ensure_termination, debug, fuel)
            compiled = self.disk.load(inputs, data)
            if compiled is not None:
                return compiled
        from transpyle.codegen import ModuleCodegen
        from transpyle.wasm.decoder import decode
        from transpyle.wasm.validator import validate

        mod = decode(data)
        info = validate(mod)
        codegen = ModuleCodegen(mod, info, module_name=mod.names.module,
                                unique=code_label(sha, ensure_termination, debug, fuel,
                                                  source_listings),
                                ensure_termination=ensure_termination, debug=debug,
                                fuel=fuel, source_listings=source_listings)
        if lazy:
            return CompiledModule(sha, _declarations(mod), info.func_types,
                                  info.declared_refs, codegen.code,
                                  ensure_termination=ensure_termination, debug=debug,
                                  module=mod, info=info, lazy=codegen, fuel=fuel,
                                  source_listings=source_listings,
                                  source_map=codegen.source_map)
        code = codegen.compile_all(progress)
        compiled = CompiledModule(sha, _declarations(mod), info.func_types,
                                  info.declared_refs, code,
                                  ensure_termination=ensure_termination,
                                  debug=debug, module=mod, info=info, fuel=fuel,
                                  source_listings=source_listings,
                                  source_map=codegen.source_map)
        if self.disk is not None and inputs is not None:
            self.disk.store(inputs, compiled)
        return compiled

    def compiled_module_count(self) -> int:
        """How many compiled modules the in-memory cache holds."""
        return len(self._compiled)

    def delete_compiled_module(self, module) -> None:
        """Drop `module` (a `CompiledModule`, its bytes, or its sha256) from the
        in-memory cache, whatever it was compiled with (the disk cache keeps it).
        Instances already made from it are unaffected."""
        if isinstance(module, CompiledModule):
            sha = module.sha256
        elif isinstance(module, (bytes, bytearray, memoryview)):
            sha = hashlib.sha256(module).hexdigest()
        elif isinstance(module, str):
            sha = module
        else:
            raise TypeError(f"expected a CompiledModule, bytes or a sha256, got "
                            f"{type(module).__name__}")
        with self._lock:
            for key in [k for k in list(self._compiled) if k[0] == sha]:
                self._compiled.pop(key, None)

    def new_module_engine(self, module: CompiledModule, instance) -> "ModuleEngine":
        """The `ModuleEngine` of `instance`, an instance of `module` whose namespace
        already holds the helpers: makes its function objects and attaches listeners."""
        self._check_open()
        return ModuleEngine(self, module, instance)

    def close(self) -> None:
        """Release the in-memory cache; the engine compiles nothing more (instances
        already made keep working)."""
        self._closed = True
        with self._lock:
            self._compiled.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this engine (its Runtime) is closed")


# -- functions and module engines -----------------------------------------------------


class InstanceFunction(Function):
    """The `Function` of an instance's function: a call may give the context it runs
    in (`ctx=`); without one it continues the running call's context (a host function
    calling back in), or runs in `Context.background()`."""

    __slots__ = ()

    def __call__(self, *args, ctx=None):
        """Call with natural values; None, the result, or a tuple of results."""
        if ctx is None:
            return self._conv.natural_call(self.fn, args, self._max_call_depth)
        return boundary.call_in_context(ctx, self._conv.natural_call, self.fn, args,
                                        self._max_call_depth, self._interrupter())

    def call_raw(self, *args, ctx=None) -> list:
        """Call with raw encodings (ints unsigned, floats as IEEE bit patterns); the
        list of raw results."""
        if ctx is None:
            return self._conv.raw_call(self.fn, args, self._max_call_depth)
        return boundary.call_in_context(ctx, self._conv.raw_call, self.fn, args,
                                        self._max_call_depth, self._interrupter())

    def _interrupter(self):
        inst = self.instance
        if inst is not None and inst.compiled.ensure_termination:
            return INTERRUPTER
        return None


class ModuleEngine:
    """The function side of one instance (wazero's ModuleEngine): its raw functions in
    the namespace (`f{i}`, `b{i}`), its `Function` objects, its imported functions and
    memory, and its listeners."""

    def __init__(self, engine: Engine, compiled: CompiledModule, instance):
        self.engine = engine
        self.compiled = compiled
        self.instance = instance
        self.namespace = ns = instance.namespace
        self.listener_factory = engine.listener_factory
        self.interrupter = INTERRUPTER if compiled.ensure_termination else None
        self.functions: list[Function | None] = [None] * len(compiled.func_types)
        self.listeners: dict[int, Any] = {}  # function index -> its listener
        self.done = False
        self._max_call_depth = engine.max_call_depth
        self._private_namespaces: list[_Namespace] = []  # of listened tail-call drivers
        decl = compiled.declarations
        self._func_imports = [i for i in decl.imports if i.kind == "func"]
        self._export_names: dict[int, tuple[str, ...]] = {}
        for e in decl.exports:
            if e.kind == "func":
                self._export_names[e.index] = self._export_names.get(e.index, ()) + (e.name,)

        if compiled.ensure_termination:
            ns["check_termination"] = check_termination
            ns["_interrupt"] = _pending
            INTERRUPTER.register(instance)
        if compiled.fuel:
            if engine.fuel is None:
                from transpyle.errors import LinkError

                raise LinkError("the module was compiled with fuel: instantiate it in a "
                                "Runtime(fuel=...)")
            engine.fuel.register(instance)
        # functions not made yet (lazy compilation): index -> where else the stub of
        # f{index} was copied (the namespaces of instances that import it)
        self._stubs: dict[int, list] = {}
        self._stub_lock = threading.Lock()
        code = compiled.code
        nimp = compiled.num_imported_funcs
        ndef = len(compiled.func_types) - nimp
        if compiled.lazy is not None:
            tail = set(code.tail_bodies)
            for i in range(nimp, nimp + ndef):
                self._stubs[i] = []
                ns[f"f{i}"] = self._stub(i, 0)
                if i in tail:
                    ns[f"b{i}"] = self._stub(i, 1)
        else:
            # the factory only makes function objects (they read the namespace when called)
            raw = eval(code.factory, ns)  # noqa: S307 - our own generated code object
            tail = code.tail_bodies
            if len(raw) != ndef + len(tail):
                raise AssertionError(f"factory made {len(raw)} functions for {ndef}")
            for j, fn in enumerate(raw[:ndef]):
                ns[f"f{nimp + j}"] = fn
            # functions with tail calls: f{i} is the driver, b{i} the body it loops on
            for i, body in zip(tail, raw[ndef:]):
                ns[f"b{i}"] = body
        factory = self.listener_factory
        if factory is not None:
            for i in range(nimp, nimp + ndef):
                definition = self.definition(i)
                listener = _new_listener(factory, definition)
                if listener is not None:
                    self.materialize(i)  # the listener wraps the real function
                    self._listen(i, listener, definition)

    # -- lazy compilation -------------------------------------------------------------

    def _stub(self, index: int, which: int):
        """What the namespace holds for function `index` until its first call: a
        function that makes the real one (`materialize`) and calls it. `which` is 0
        for `f{index}`, 1 for the body `b{index}` of a function with tail calls."""
        materialize = self.materialize

        def stub(*args):
            return materialize(index)[which](*args)

        stub.__name__ = stub.__qualname__ = f"f{index}" if which == 0 else f"b{index}"
        stub._transpyle_materialize = lambda: materialize(index)[which]
        return stub

    def materialize(self, index: int) -> tuple:
        """Make the function object of defined function `index` now (translated by the
        compiled module once, for every instance) and put it everywhere its stub was:
        this namespace, its `Function` (so tables and exports call it directly) and
        the namespaces of instances that import it. Returns `(f, b)`: the namespace's
        `f{index}` and `b{index}` (the body of a function with tail calls, else
        `f{index}` again)."""
        ns = self.namespace
        if index in self._stubs:
            with self._stub_lock:
                aliases = self._stubs.get(index)
                if aliases is not None:
                    made = eval(self.compiled.lazy.factory(index), ns)  # noqa: S307
                    fn = ns[f"f{index}"] = made[0]
                    body = None
                    if len(made) > 1:
                        body = ns[f"b{index}"] = made[1]
                    f = self.functions[index]
                    if f is not None:
                        f.fn = fn
                        if index not in self.listeners:
                            f.body = body
                    for other, key in aliases:
                        other[key] = fn
                    del self._stubs[index]
        fn = ns[f"f{index}"]
        return fn, ns.get(f"b{index}", fn)

    # -- definitions and listeners ----------------------------------------------------

    def definition(self, index: int):
        """The `FunctionDefinition` of function `index` (imports included)."""
        from transpyle.experimental.listener import FunctionDefinition

        decl = self.compiled.declarations
        ft = self.compiled.func_types[index]
        exports = self._export_names.get(index, ())
        local_names = decl.names.locals.get(index, {})
        param_names = tuple(local_names.get(p, "") for p in range(len(ft.params)))
        if not any(param_names):
            param_names = ()
        nimp = self.compiled.num_imported_funcs
        if index < nimp:
            imp = self._func_imports[index]
            host = self._import_is_host(index)
            return FunctionDefinition(index=index, name=imp.name, module_name=imp.module,
                                      export_names=exports, type=ft, is_host=host,
                                      param_names=param_names,
                                      import_name=(imp.module, imp.name))
        name = self.compiled.code.func_names.get(index) or f"${index}"
        return FunctionDefinition(index=index, name=name, module_name=self.instance.name,
                                  export_names=exports, type=ft, is_host=False,
                                  param_names=param_names)

    def _import_is_host(self, index: int) -> bool:
        f = self.functions[index]
        return f is None or f.is_host

    def _listen(self, index: int, listener, definition) -> None:
        ns = self.namespace
        fn = ns[f"f{index}"]
        body = ns.get(f"b{index}")
        if body is not None:
            # A listened function with tail calls: its driver gets a private namespace
            # whose b{index} is the raw body, and the instance's b{index} (what direct
            # `return_call`s of it load) becomes the wrapped driver, so that tail calls
            # to it fire the listener too (nested: each listened tail call is a frame).
            builtins = ns.get("__builtins__", __builtins__)
            private = {"__builtins__": builtins, f"b{index}": body, "TailCall": TailCall}
            if self.compiled.ensure_termination:  # should the driver ever check
                private["check_termination"] = check_termination
                holder = _Namespace(private)
                self._private_namespaces.append(holder)
                INTERRUPTER.register(holder)
            fn = types.FunctionType(fn.__code__, private, fn.__name__)
        wrapped = boundary.make_listened(fn, self.compiled.func_types[index], listener,
                                         self.instance, definition, self.interrupter)
        ns[f"f{index}"] = wrapped
        if body is not None:
            ns[f"b{index}"] = wrapped
        self.listeners[index] = listener

    # -- the wazero interface ---------------------------------------------------------

    def resolve_imported_function(self, index: int, index_in_imported_module: int | None,
                                  imported_module_engine: "ModuleEngine | None", *,
                                  function: Function | Func | None = None) -> None:
        """Import function `index`: function `index_in_imported_module` of the instance
        of `imported_module_engine`, or (with `function=`) a host function or any
        `Function` without a module engine. A host function gets a listener when the
        factory returns one for it."""
        if imported_module_engine is not None:
            f = imported_module_engine.new_function(index_in_imported_module)
        elif isinstance(function, Func):
            f = function.function
        elif isinstance(function, Function):
            f = function
        else:
            raise TypeError(f"import {index}: no module engine and no function given")
        self.functions[index] = f
        # a host function as such (not one another instance already wrapped and
        # re-exported: its listener fires there)
        if (f.is_host and f is f.host.function and self.listener_factory is not None):
            definition = self.definition(index)
            listener = _new_listener(self.listener_factory, definition)
            if listener is not None:
                wrapped = boundary.make_listened(f.fn, f.type, listener, self.instance,
                                                 definition, None)
                f = InstanceFunction(wrapped, f.type, name=f.name, host=f.host,
                                     max_call_depth=self._max_call_depth)
                self.functions[index] = f
                self.listeners[index] = listener
        self.namespace[f"f{index}"] = f.fn
        if imported_module_engine is not None:
            imported_module_engine._alias(index_in_imported_module, self.namespace,
                                          f"f{index}")

    def _alias(self, index: int, namespace: dict, key: str) -> None:
        """Another instance's `namespace[key]` holds the stub of function `index`:
        it gets the real function when the stub is replaced."""
        with self._stub_lock:
            aliases = self._stubs.get(index)
            if aliases is not None:
                aliases.append((namespace, key))
                return
        namespace[key] = self.namespace[f"f{index}"]  # made meanwhile

    def resolve_imported_memory(self, imported_module_engine: "ModuleEngine | None",
                                memory: Memory | None = None) -> None:
        """Import the memory of `imported_module_engine`'s instance, or `memory` (a host
        memory, or one whose exporter is unknown)."""
        if memory is None:
            memory = imported_module_engine.instance.memories[0]
        self.instance.memories.append(memory)

    def new_function(self, index: int) -> Function:
        """The `Function` of function `index` (the same object every time; for an
        import, the imported `Function`, or its listened wrapper for a host function)."""
        f = self.functions[index]
        if f is None:
            ns = self.namespace
            f = self.functions[index] = InstanceFunction(
                ns[f"f{index}"], self.compiled.func_types[index], instance=self.instance,
                name=self.compiled.code.func_names.get(index) or f"${index}", index=index,
                max_call_depth=self._max_call_depth)
            # a listened function has no separate body: indirect tail calls go through
            # the wrapped driver (`call_indirect_tail` falls back to `.fn`)
            if index not in self.listeners:
                f.body = ns.get(f"b{index}")
        return f

    def function_instance_reference(self, func_index: int) -> Function:
        """What a table or a `ref.func` holds for function `func_index`: its
        `Function`, whose `.fn` is what `call_indirect` calls."""
        return self.new_function(func_index)

    def lookup_function(self, table: Table | list, type_id: FuncType | int,
                        table_offset: int):
        """`call_indirect`'s lookup: `(instance, function index)` of the entry at
        `table_offset` of `table` (the instance is None for a host function). Traps
        as `call_indirect` does: "undefined element" past the end, "uninitialized
        element" for a null entry, "indirect call type mismatch" for another type;
        `type_id` is a `FuncType` or a type index of this module."""
        elements = table.elements if isinstance(table, Table) else table
        if isinstance(type_id, int):
            type_id = self.compiled.declarations.types[type_id]
        if table_offset < 0:
            raise Trap("undefined element")
        entry = table_entry(elements, table_offset, type_id)
        return entry.instance, entry.index

    def done_instantiation(self) -> None:
        """The instance is complete (segments applied, exports built; its start
        function runs next)."""
        self.done = True


class _Namespace:
    """A namespace that is not an instance's (registered for the `_interrupt` flag)."""

    __slots__ = ("namespace", "__weakref__")

    def __init__(self, namespace: dict):
        self.namespace = namespace


def _new_listener(factory, definition):
    new = getattr(factory, "new_listener", None)
    listener = new(definition) if new is not None else factory(definition)
    if listener is not None and not (callable(getattr(listener, "before", None))
                                     and callable(getattr(listener, "after", None))):
        raise TypeError(f"the listener factory returned {listener!r} for "
                        f"{definition.debug_name}: a listener needs before() and after()")
    return listener


# -- fuel -----------------------------------------------------------------------------


class Fuel:
    """The fuel budget of an engine (`Runtime(fuel=N)`): code compiled with fuel calls
    `next(_fuel)` at every function entry and loop header, `_fuel` being
    `itertools.repeat(None, units_left)` in the namespace of every instance; the
    StopIteration of an exhausted budget becomes the trap "all fuel consumed"
    (`boundary.translate`). `next` on it is one C call that allocates nothing, atomic
    under the GIL, so threads sharing a budget consume it exactly. Refilling makes a
    new iterator and publishes it in every instance's namespace; running calls see
    it at their next check."""

    def __init__(self, units: int):
        self.it = itertools.repeat(None, units)
        self.instances: weakref.WeakSet = weakref.WeakSet()
        self.lock = threading.Lock()

    def register(self, instance) -> None:
        with self.lock:
            self.instances.add(instance)
            instance.namespace["_fuel"] = self.it

    def get(self) -> int:
        """The units left."""
        return self.it.__length_hint__()

    def set(self, units: int) -> None:
        with self.lock:
            self.it = it = itertools.repeat(None, units)
            for inst in list(self.instances):
                inst.namespace["_fuel"] = it


# -- termination ----------------------------------------------------------------------

_pending = False
"""Some watched call's context is done: loops must look at their own context."""


def check_termination() -> None:
    """Called by code compiled with `ensure_termination` at each loop header: raises
    `Interrupted` when the running call's context is done (cancelled or past its
    deadline). Costs one global read when nothing is pending."""
    if _pending:
        _check_current()


def _check_current() -> None:
    err = _current.get().err()
    if err is not None:
        raise Interrupted(f"interrupted: {err}")


class _Watch:
    __slots__ = ("ctx", "live", "remove", "scheduled", "__weakref__")

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.live = True
        self.remove: Callable[[], None] = _nothing
        self.scheduled = False


def _nothing() -> None:
    pass


class _Interrupter:
    """Watches the contexts of running calls and raises the termination flags when
    one is done (see the module docstring). One per process: a single watchdog thread
    serves every runtime."""

    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self.cv = threading.Condition(threading.Lock())
        self.fired: set[_Watch] = set()
        self.heap: list = []  # (deadline, seq, watch)
        self.dead_in_heap = 0
        self.seq = 0
        self.thread: threading.Thread | None = None
        self.instances: weakref.WeakSet = weakref.WeakSet()

    def register(self, instance) -> None:
        """Keep the flag `_interrupt` of `instance.namespace` in step with `_pending`
        (for as long as `instance` lives)."""
        with self.cv:
            self.instances.add(instance)
            instance.namespace["_interrupt"] = _pending

    def watch(self, ctx: Context) -> _Watch:
        """Watch `ctx` for the duration of a call (`unwatch` when it ends); raises
        `Interrupted` at once if it is already done."""
        err = ctx.err()
        if err is not None:
            raise Interrupted(f"interrupted: {err}")
        w = _Watch(ctx)
        deadline = ctx.deadline
        if deadline is not None:
            with self.cv:
                self.seq += 1
                heapq.heappush(self.heap, (deadline, self.seq, w))
                w.scheduled = True
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, daemon=True,
                                                   name="transpyle-watchdog")
                    self.thread.start()
                elif self.heap[0][2] is w:
                    self.cv.notify()
        w.remove = ctx.on_cancel(lambda: self._fire(w))
        return w

    def unwatch(self, w: _Watch) -> None:
        w.remove()
        with self.cv:
            w.live = False
            if w.scheduled:
                self.dead_in_heap += 1
                if self.dead_in_heap > 256 and self.dead_in_heap * 2 > len(self.heap):
                    self.heap = [e for e in self.heap if e[2].live]
                    heapq.heapify(self.heap)
                    self.dead_in_heap = 0
            if w in self.fired:
                self.fired.discard(w)
                if not self.fired:
                    self._set(False)

    def _fire(self, w: _Watch) -> None:
        with self.cv:
            if w.live and w not in self.fired:
                self.fired.add(w)
                self._set(True)

    def _set(self, flag: bool) -> None:  # with self.cv held
        global _pending
        if _pending is flag:
            return
        _pending = flag
        for inst in list(self.instances):
            inst.namespace["_interrupt"] = flag

    def _run(self) -> None:
        with self.cv:
            while True:
                heap = self.heap
                while heap and not heap[0][2].live:
                    heapq.heappop(heap)
                    self.dead_in_heap = max(0, self.dead_in_heap - 1)
                if not heap:
                    self.cv.wait()
                    continue
                delay = heap[0][0] - time.monotonic()
                if delay > 0:
                    self.cv.wait(delay)
                    continue
                w = heapq.heappop(heap)[2]
                w.scheduled = False
                if w not in self.fired:
                    self.fired.add(w)
                    self._set(True)

    def _after_fork(self) -> None:
        # in a forked child only the forking thread exists: new lock, no watchdog yet
        heap, fired, instances = self.heap, self.fired, self.instances
        self._reset()
        self.heap, self.fired, self.instances = heap, fired, instances
        if heap:
            self.thread = threading.Thread(target=self._run, daemon=True,
                                           name="transpyle-watchdog")
            self.thread.start()


INTERRUPTER = _Interrupter()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=INTERRUPTER._after_fork)

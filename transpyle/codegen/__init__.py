"""Code generation: a validated module -> CPython code objects.

`compile_module` translates every defined function (translate.py) and builds one small
factory code object for the module: evaluated in an instance's namespace it returns the
function objects, made with `MAKE_FUNCTION` (functions made by `types.FunctionType`
never get CPython 3.13's fast call path). Code objects hold no instance state, only
names looked up in the namespace, so one compilation serves every instance.
"""

from __future__ import annotations

import keyword
import re
import threading
import types
from dataclasses import dataclass, field


from ..wasm.module import Module
from ..wasm.opcodes import RETURN_CALL, RETURN_CALL_INDIRECT
from . import listing
from .assemble import assembler
from .emit import I, Ops
from .translate import Translator

__all__ = ["CompiledCode", "ModuleCodegen", "compile_module", "display_name", "cell_globals"]


@dataclass
class CompiledCode:
    factory: types.CodeType  # eval(factory, ns) -> list of functions, one per defined function
    sources: dict[int, str] = field(default_factory=dict)  # function index -> listing
    func_names: dict[int, str] = field(default_factory=dict)  # function index -> display name
    # functions with tail calls, in the order the factory appends their bodies after the
    # drivers: f{i} is the driver, b{i} the body
    tail_bodies: list[int] = field(default_factory=list)
    func_idents: dict[int, str] = field(default_factory=dict)  # index -> listing identifier
    filenames: dict[int, str] = field(default_factory=dict)  # index -> co_filename
    frame_labels: dict[int, str] = field(default_factory=dict)  # index -> `mod.f(i32) i32`
    has_dwarf: bool = False  # the module has a DWARF line table (transpyle.sourcemap)


_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")


def _escape_char(m: re.Match) -> str:
    c = m.group()
    return "_" if ord(c) < 128 else f"_u{ord(c):04x}"


def python_identifier(name: str, fallback: str) -> str:
    """A safe identifier for a wasm name: ASCII punctuation and spaces become `_`, other
    characters `_uXXXX`, so no module can put quotes, newlines or code into a listing
    or a code object name, and non-ASCII names stay distinguishable."""
    ident = _NOT_IDENT.sub(_escape_char, name)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "_"
    return ident or fallback


def display_name(module: Module, index: int) -> str:
    """Name-section name, else first export name, else `$<index>`."""
    name = module.names.functions.get(index)
    if name is None:
        for e in module.exports:
            if e.kind == "func" and e.index == index:
                name = e.name
                break
    return name if name is not None else f"${index}"


def cell_globals(module: Module) -> frozenset:
    """Mutable globals shared with other instances (imported or exported): they live
    in a one-element list; every other global is a plain namespace entry."""
    shared = set()
    n = 0
    for imp in module.imports:
        if imp.kind == "global":
            if imp.type.mutable:
                shared.add(n)
            n += 1
    all_types = module.all_global_types()
    for e in module.exports:
        if e.kind == "global" and all_types[e.index].mutable:
            shared.add(e.index)
    return frozenset(shared)


def function_idents(module: Module) -> dict[int, str]:
    """A unique Python identifier per function, for listings and code object names:
    the name-section name, else an export or import name, else `f<index>`."""
    out: dict[int, str] = {}
    used: set[str] = set()
    nimp = module.num_imported_funcs
    imports = [i for i in module.imports if i.kind == "func"]
    for index in range(nimp + len(module.funcs)):
        name = module.names.functions.get(index)
        if name is None and index < nimp:
            name = imports[index].name
        if name is None:
            name = display_name(module, index)
        ident = f"f{index}" if name.startswith("$") else python_identifier(name, f"f{index}")
        if ident in used:
            ident = f"{ident}_{index}"
        used.add(ident)
        out[index] = ident
    return out


class ModuleCodegen:
    """Translates the functions of one module one at a time: all of them at compile
    time (`compile_module`), or each on its first call (`Runtime(lazy=True)`; the
    engine's module engines call `function(index)` and `factory(index)`).

    Names, filenames and frame labels of every function are known at once (stack
    traces and listeners need them before any code runs); listings and code objects
    appear as functions are translated. Thread-safe: a function is translated once
    even when several threads call it first at the same time."""

    def __init__(self, module: Module, info, *, module_name: str | None = None,
                 ensure_termination: bool = False, debug: bool = False,
                 unique: str | None = None, fuel: bool = False, source_listings=None):
        self.module = module
        self.info = info
        self.ensure_termination = ensure_termination
        self.fuel = fuel
        self.debug = debug
        self.cells = cell_globals(module)
        self.nimp = nimp = module.num_imported_funcs
        self.mod_label = mod_label = python_identifier(
            module_name or module.names.module or "module", "module")
        self.tail = frozenset(nimp + k for k, code in enumerate(module.codes)
                              if any(ins[0] in _TAIL_OPS for ins in code.body))
        self.idents = idents = function_idents(module)
        self.code = code = CompiledCode(factory=None, tail_bodies=sorted(self.tail),
                                        func_idents=idents)
        label = f"{mod_label}@{unique}" if unique else mod_label
        for k, finfo in enumerate(info.funcs):
            index = nimp + k
            code.func_names[index] = shown = display_name(module, index)
            code.filenames[index] = listing.filename(label, idents[index])
            code.frame_labels[index] = f"{mod_label}.{listing.signature_text(shown, finfo.type)}"
        from ..sourcemap import SourceMap, has_dwarf

        code.has_dwarf = has_dwarf(module)  # section names only: nothing is parsed
        # listings interleaved with the DWARF source lines (`source_listings`: None, or
        # the directory to look for sources in, "" for the compilation directories)
        self.source_map = None
        if source_listings is not None and code.has_dwarf:
            self.source_map = SourceMap(module, source_listings or None)
        self._made: dict[int, tuple] = {}
        self._factories: dict[int, types.CodeType] = {}
        self._lock = threading.Lock()

    def function(self, index: int) -> tuple[types.CodeType, types.CodeType | None]:
        """The code objects of defined function `index`: (`f{index}`, None), or for a
        function with tail calls (its driver `f{index}`, its body `b{index}`). Its
        listing is registered for tracebacks and pdb."""
        made = self._made.get(index)
        if made is not None:
            return made
        with self._lock:
            made = self._made.get(index)
            if made is None:
                made = self._made[index] = self._translate(index)
        return made

    def _translate(self, index: int) -> tuple:
        k = index - self.nimp
        finfo, body = self.info.funcs[k], self.module.codes[k]
        ident = self.idents[index]
        local_names = {i: python_identifier(n, f"l{i}")
                       for i, n in self.module.names.locals.get(index, {}).items()}
        code = self.code
        comments = None if self.source_map is None else self.source_map.comment_hook(
            start=body.offset)
        t = Translator(self.module, finfo, body, self.info.func_types, self.cells,
                       name=ident, filename=code.filenames[index],
                       ensure_termination=self.ensure_termination, tail_funcs=self.tail,
                       func_idents=self.idents, local_names=local_names, debug=self.debug,
                       fuel=self.fuel, source_comment=comments)
        tr = t.translate()
        code.sources[index] = tr.listing
        listing.register(code.filenames[index], tr.listing, code.frame_labels[index])
        if index in self.tail:
            return tail_driver(index, len(finfo.type.params), ident), tr.code
        return tr.code, None

    def source_listing(self, index: int, source_map, source_dir: str | None = None) -> str:
        """The listing of defined function `index` interleaved with the source lines
        of `source_map` (for display: translated again, nothing registered or kept)."""
        k = index - self.nimp
        local_names = {i: python_identifier(n, f"l{i}")
                       for i, n in self.module.names.locals.get(index, {}).items()}
        t = Translator(self.module, self.info.funcs[k], self.module.codes[k],
                       self.info.func_types, self.cells, name=self.idents[index],
                       filename=self.code.filenames[index],
                       ensure_termination=self.ensure_termination, tail_funcs=self.tail,
                       func_idents=self.idents, local_names=local_names, debug=self.debug,
                       fuel=self.fuel, source_comment=source_map.comment_hook(
                           source_dir, start=self.module.codes[k].offset))
        return t.translate().listing

    def factory(self, index: int) -> types.CodeType:
        """A factory of function `index` alone: evaluated in an instance's namespace it
        returns `[f]`, or `[driver, body]` for a function with tail calls."""
        factory = self._factories.get(index)
        if factory is None:  # one per function, whichever instance calls it first
            fcode, bcode = self.function(index)
            factory = self._factories[index] = _factory(
                [fcode] if bcode is None else [fcode, bcode], self.mod_label)
        return factory

    def compile_all(self, progress=None) -> CompiledCode:
        """Translate every function; the `CompiledCode` with the module's factory."""
        codes, bodies = [], []
        total = len(self.module.codes)
        for k in range(total):
            fcode, bcode = self.function(self.nimp + k)
            codes.append(fcode)
            if bcode is not None:
                bodies.append(bcode)
            if progress is not None:
                progress(k + 1, total)
        self.code.factory = _factory(codes + bodies, self.mod_label)
        return self.code


def compile_module(module: Module, info, *, module_name: str | None = None,
                   ensure_termination: bool = False, debug: bool = False,
                   progress=None, unique: str | None = None, fuel: bool = False) -> CompiledCode:
    """Translate every defined function. `ensure_termination` adds the termination
    check at loop headers; `debug` keeps each operand-stack value in a local `s<k>`;
    `progress(done, total)` is called after each function (the CLI's progress bar);
    `unique` (the engine passes a prefix of the module's SHA-256) goes into the code
    objects' filenames, `<wasm://name@unique/function>`, so that listings of different
    modules with the same names never overwrite each other in linecache. `fuel`
    consumes one unit of the runtime's fuel at function entry and loop headers."""
    return ModuleCodegen(module, info, module_name=module_name,
                         ensure_termination=ensure_termination, debug=debug,
                         unique=unique, fuel=fuel).compile_all(progress)


_TAIL_OPS = frozenset({RETURN_CALL, RETURN_CALL_INDIRECT})
_DRIVER_ARITY = 8


def tail_driver(index: int, nparams: int, ident: str) -> types.CodeType:
    """The callable of a function with tail calls: run its body `b{index}` and, while
    it returns a `TailCall`, call the target with fixed arity (CALL_FUNCTION_EX would
    put a C frame between wasm frames). Plain Python, compiled from source once per
    function; its filename is not a wasm:// one, so it is no wasm frame in traces."""
    params = ", ".join(f"l{i}" for i in range(nparams))
    lines = [f"def {ident}({params}):", f"    r = b{index}({params})",
             "    while type(r) is TailCall:", "        f = r.fn", "        a = r.args",
             "        n = len(a)"]
    for n in range(_DRIVER_ARITY + 1):
        args = ", ".join(f"a[{k}]" for k in range(n))
        lines.append(f"        {'if' if n == 0 else 'elif'} n == {n}:")
        lines.append(f"            r = f({args})")
    lines += ["        else:", "            r = f(*a)", "    return r"]
    module_code = compile("\n".join(lines) + "\n", "<transpyle tail-call driver>", "exec")
    return next(c for c in module_code.co_consts if isinstance(c, types.CodeType))


def _factory(codes: list, label: str) -> types.CodeType:
    light = Ops.resume() + [I("BUILD_LIST", 0)]
    for code in codes:
        light += [I("LOAD_CONST", code)] + Ops.make_function() + [I("LIST_APPEND", 1)]
    light += Ops.return_value()
    return assembler()(light, name="<factory>", filename=f"<wasm://{label}>", argnames=[],
                       stacksize=3)

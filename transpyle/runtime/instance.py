"""Instances and instantiation (Wasm 2.0 semantics).

`instantiate` resolves the imports, creates memories, tables and globals, builds the
per-instance namespace the generated code reads, has the engine's `ModuleEngine` run
the module's factory to make the raw functions (and wrap the listened ones), then
initialises the active element and data segments in order and calls the start
function. A trap in a segment or in the start function leaves the
writes already made to shared (imported) memories and tables in place, as the
specification requires, and raises `Trap` from `instantiate`.

The namespace (the generated functions' `__globals__`), the contract with codegen:

    f{i}      the raw callable of function i (an imported wasm function: the exporter's
              raw function itself; a host `Func`: its trampoline; a listened function:
              its listener wrapper)
    b{i}      the body of function i when it makes tail calls (f{i} is its driver)
    check_termination, _interrupt   (code compiled with ensure_termination only)
    _fuel     the runtime's fuel, an itertools.repeat (code compiled with fuel only)
    F{i}      the `Function` object of function i, for `ref.func` (declared refs only)
    mem{m}    memory m's bytearray (grows in place)     M{m}   the `Memory` object
    mem{m}_u32, mem{m}_u64, mem{m}_f64, ...   its typed memoryviews (non-shared only;
              replaced on every grow, `externs.VIEW_FORMATS`); `_mem{m}_views` keeps
              the registration that replaces them alive with the namespace
    T{t}      table t's element list (grows in place)   TT{t}  the `Table` object
    g{i}      global i: its raw value, or for a mutable global that is imported or
              exported, the shared one-element cell list (`codegen.cell_globals`)
    ty{k}     the interned `FuncType` of type index k
    D{k}/E{k} data/element segment k as a one-element cell: [bytes] / [list of refs];
              [b""] / [[]] once dropped (active and declarative ones from the start)
    and every name of `support.HELPERS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from transpyle.errors import LinkError, Trap
from transpyle.runtime import boundary
from transpyle.runtime.externs import (
    TABLE_MAX_ELEMENTS,
    Func,
    Function,
    Global,
    Memory,
    Table,
)
from transpyle.runtime.numeric import f32_from_bits, f64_from_bits
from transpyle.runtime.support import HELPERS, data_drop, elem_drop, memory_init, table_init
from transpyle.wasm import opcodes as O
from transpyle.wasm.types import GlobalType, Limits, MemoryType, TableType

if TYPE_CHECKING:  # pragma: no cover
    from transpyle.runtime.runtime import CompiledModule, Runtime

_KIND_CLASS = {"func": (Function, Func), "table": Table, "memory": Memory, "global": Global}


class Exports(Mapping):
    """An instance's exports by name: `Function`, `Memory`, `Table` or `Global`."""

    __slots__ = ("_items", "_owner")

    def __init__(self, items: dict[str, Any], owner: str):
        self._items = items
        self._owner = owner

    def __getitem__(self, name: str):
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"{self._owner} has no export named {name!r}") from None

    def __contains__(self, name) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Exports of {self._owner}: {', '.join(self._items)}>"


class Instance:
    """An instantiated module.

    `exports` maps export names to `Function`/`Memory`/`Table`/`Global` objects, `name`
    is the instance's module name (the `name` it was instantiated or registered with,
    else the name section's), `namespace` the dict the generated code runs in,
    `module_engine` the engine's `ModuleEngine` for it.
    """

    def __init__(self, runtime: "Runtime", compiled: "CompiledModule", name: str | None):
        self.runtime = runtime
        self.compiled = compiled
        self.name = name
        self.namespace: dict[str, Any] = {}
        self.memories: list[Memory] = []
        self.tables: list[Table] = []
        self._globals: list[Global | None] = []  # Global objects, made when needed
        self._cells: frozenset[int] = frozenset()  # globals held in cells (g{i} = [raw])
        self.module_engine = None
        self.exports: Exports = Exports({}, repr(self))

    def function(self, index: int) -> Function:
        """The `Function` of function index `index` (the same object every time; for an
        import, the imported `Function` itself)."""
        return self.module_engine.new_function(index)

    def global_(self, index: int) -> Global:
        """The `Global` of global index `index` (made on first use for a defined one)."""
        g = self._globals[index]
        if g is None:
            gtype = self.compiled.declarations.all_global_types()[index]
            value = self.namespace[f"g{index}"]
            cell = value if index in self._cells else [value]
            g = self._globals[index] = Global._from_cell(gtype, cell)
        return g

    def __repr__(self) -> str:
        return f"<Instance {self.name or '(unnamed)'}>"


# -- linking --------------------------------------------------------------------------


def _describe(ext) -> str:
    if isinstance(ext, (Function, Func)):
        return f"func {ext.type}"
    if isinstance(ext, Table):
        return f"table {_describe_type(ext.type)}"
    if isinstance(ext, Memory):
        return f"memory {_describe_type(ext.type)}"
    if isinstance(ext, Global):
        return f"global {_describe_type(ext.type)}"
    return f"a {type(ext).__name__}, which is not an extern"


def _describe_type(t) -> str:
    if isinstance(t, TableType):
        return f"{t.elem} {_describe_limits(t.limits)}"
    if isinstance(t, MemoryType):
        return _describe_limits(t.limits)
    if isinstance(t, GlobalType):
        return f"{'mut ' if t.mutable else ''}{t.type}"
    return str(t)


def _describe_limits(lim: Limits) -> str:
    return f"{lim.min}.." if lim.max is None else f"{lim.min}..{lim.max}"


def _limits_match(cur_min: int, cur_max: int | None, decl: Limits) -> bool:
    if cur_min < decl.min:
        return False
    if decl.max is not None and (cur_max is None or cur_max > decl.max):
        return False
    return True


def _lookup(runtime: "Runtime", imports, module: str, name: str):
    """The extern for an import and the instance that exports it, if known."""
    if imports:
        fields = imports.get(module)
        if fields is not None and name in fields:
            return fields[name], None
    registered = runtime._registered.get(module)
    if registered is not None and name in registered.exports:
        return registered.exports[name], registered
    raise LinkError(f"unknown import: {module}.{name}")


def _check_import(imp, ext) -> None:
    kind = imp.kind
    ok = isinstance(ext, _KIND_CLASS[kind])
    if ok:
        if kind == "func":
            ok = ext.type is imp.type
        elif kind == "table":
            ok = (ext.elem_type is imp.type.elem
                  and _limits_match(len(ext.elements), ext.max, imp.type.limits))
        elif kind == "memory":
            ok = (_limits_match(ext.size, ext.max_pages, imp.type.limits)
                  and ext.shared == imp.type.limits.shared)
        else:
            ok = ext.type == imp.type
    if not ok:
        hint = ""
        if kind == "func" and callable(ext) and not isinstance(ext, (Function, Func)):
            hint = " (wrap a Python callable as transpyle.Func(fn, params, results))"
        raise LinkError(
            f"incompatible import type for {imp.module}.{imp.name}: expected {kind} "
            f"{imp.type if kind == 'func' else _describe_type(imp.type)}, got "
            f"{_describe(ext)}{hint}")


# -- constant expressions -------------------------------------------------------------

_MASK32, _MASK64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
_BINOPS = {  # extended-const (accepted if the validator lets them through)
    O.BY_NAME["i32.add"].code: (lambda a, b: (a + b) & _MASK32),
    O.BY_NAME["i32.sub"].code: (lambda a, b: (a - b) & _MASK32),
    O.BY_NAME["i32.mul"].code: (lambda a, b: (a * b) & _MASK32),
    O.BY_NAME["i64.add"].code: (lambda a, b: (a + b) & _MASK64),
    O.BY_NAME["i64.sub"].code: (lambda a, b: (a - b) & _MASK64),
    O.BY_NAME["i64.mul"].code: (lambda a, b: (a * b) & _MASK64),
}


def eval_const(expr, global_values: list, inst: Instance):
    """The raw value of a constant expression."""
    stack: list = []
    for op, imm, _off in expr:
        if op == O.I32_CONST or op == O.I64_CONST or op == O.V128_CONST:
            stack.append(imm)
        elif op == O.F32_CONST:
            stack.append(f32_from_bits(imm))
        elif op == O.F64_CONST:
            stack.append(f64_from_bits(imm))
        elif op == O.REF_NULL:
            stack.append(None)
        elif op == O.REF_FUNC:
            stack.append(inst.module_engine.function_instance_reference(imm))
        elif op == O.GLOBAL_GET:
            stack.append(global_values[imm])
        elif op == O.END:
            break
        elif op in _BINOPS:
            b = stack.pop()
            stack.append(_BINOPS[op](stack.pop(), b))
        else:  # the validator admits only constant instructions
            raise AssertionError(f"not a constant instruction: {O.OPS[op].name}")
    (value,) = stack
    return value


# -- instantiation --------------------------------------------------------------------


def instantiate(runtime: "Runtime", compiled: "CompiledModule", *, name: str | None = None,
                imports=None) -> Instance:
    module = compiled.declarations  # the module without code bodies
    inst = Instance(runtime, compiled, name if name is not None else module.names.module)
    ns = inst.namespace

    # 1. imports, in order, each resolved and type-checked
    resolved = []
    for imp in module.imports:
        ext, owner = _lookup(runtime, imports, imp.module, imp.name)
        _check_import(imp, ext)
        resolved.append((imp, ext, owner))

    limit = runtime.memory_limit_pages
    for mt in module.memories:
        if limit is not None and mt.limits.min > limit:
            raise LinkError(f"memory minimum exceeds the runtime's memory limit: the module "
                            f"needs {mt.limits.min} pages, memory_limit_pages is {limit}")
    for tt in module.tables:
        if tt.limits.min > TABLE_MAX_ELEMENTS:
            raise LinkError(f"table minimum size {tt.limits.min} exceeds transpyle's limit "
                            f"of {TABLE_MAX_ELEMENTS} elements")

    ns.update(HELPERS)
    for k, ft in enumerate(module.types):
        ns[f"ty{k}"] = ft

    # 2. the functions: the factory only makes function objects (they read the
    # namespace when called), so globals that hold ref.func can come later
    me = inst.module_engine = runtime.engine.new_module_engine(compiled, inst)
    imported_globals: list[Global] = []
    n_funcs = 0
    for imp, ext, owner in resolved:
        if imp.kind == "func":
            f = ext.function if isinstance(ext, Func) else ext
            src = f.instance
            if src is not None and src.module_engine is not None and f.index is not None:
                me.resolve_imported_function(n_funcs, f.index, src.module_engine)
            else:
                me.resolve_imported_function(n_funcs, None, None, function=f)
            n_funcs += 1
        elif imp.kind == "table":
            inst.tables.append(ext)
        elif imp.kind == "memory":
            src = owner.module_engine if owner is not None else None
            me.resolve_imported_memory(src, memory=ext)
        else:
            imported_globals.append(ext)

    # 3. memories and tables
    for mt in module.memories:
        lim = mt.limits
        try:
            mem = Memory(lim.min, lim.max, shared=lim.shared)
        except MemoryError:
            raise LinkError(f"cannot allocate a memory of {lim.min} pages") from None
        if limit is not None:
            mem.limit_pages = min(mem.limit_pages, limit)
        inst.memories.append(mem)
    for tt in module.tables:
        inst.tables.append(Table(tt.elem, tt.limits.min, tt.limits.max))
    for i, mem in enumerate(inst.memories):
        mem._bind(ns, i)  # mem{i}, M{i} and the typed views mem{i}_u32 ...
    for i, table in enumerate(inst.tables):
        ns[f"T{i}"] = table.elements
        ns[f"TT{i}"] = table

    # `ref.func i` in a body loads `F{i}`, the Function object; the validator admits it
    # only for the functions the module declares as references
    for i in compiled.declared_refs:
        ns[f"F{i}"] = me.function_instance_reference(i)

    # 4. globals, in order (an initialiser may read imported and earlier globals)
    global_values: list = []
    globals_: list[Global | None] = []
    for i, g in enumerate(imported_globals):
        globals_.append(g)
        global_values.append(g.cell[0])
        ns[f"g{i}"] = g.cell if g.type.mutable else g.cell[0]
    inst._globals = globals_
    n_imported_globals = len(imported_globals)
    from transpyle.codegen import cell_globals  # the codegen's rule, so both agree

    inst._cells = cells = cell_globals(module)
    for j, gdef in enumerate(module.globals):
        i = n_imported_globals + j
        value = eval_const(gdef.init, global_values, inst)
        global_values.append(value)
        globals_.append(None)
        ns[f"g{i}"] = [value] if i in cells else value

    # 5. segments as cells: passive ones keep their contents until dropped
    elem_values = []
    for k, seg in enumerate(module.elems):
        items = [eval_const(e, global_values, inst) for e in seg.init]
        elem_values.append(items)
        ns[f"E{k}"] = [items if seg.mode == "passive" else []]
    for k, seg in enumerate(module.datas):
        ns[f"D{k}"] = [seg.data if seg.mode == "passive" else b""]

    # 6. exports
    items: dict[str, Any] = {}
    for exp in module.exports:
        if exp.kind == "func":
            items[exp.name] = inst.function(exp.index)
        elif exp.kind == "table":
            items[exp.name] = inst.tables[exp.index]
        elif exp.kind == "memory":
            items[exp.name] = inst.memories[exp.index]
        else:
            items[exp.name] = inst.global_(exp.index)
    inst.exports = Exports(items, repr(inst))

    # 7. active element segments, then active data segments, in order; each is
    # table.init/memory.init followed by a drop, so an out-of-bounds one traps here
    # (and nothing of it is written) while the earlier ones stay written
    for k, seg in enumerate(module.elems):
        if seg.mode == "active":
            d = eval_const(seg.offset_expr, global_values, inst)
            cell = [elem_values[k]]
            table_init(inst.tables[seg.table].elements, cell, d, 0, len(elem_values[k]))
            elem_drop(cell)
    for seg in module.datas:
        if seg.mode == "active":
            d = eval_const(seg.offset_expr, global_values, inst)
            cell = [seg.data]
            memory_init(inst.memories[seg.memory].data, cell, d, 0, len(seg.data))
            data_drop(cell)

    me.done_instantiation()

    # 8. the start function, through the boundary
    if module.start is not None:
        boundary.call(ns[f"f{module.start}"], (), runtime.max_call_depth)
    return inst

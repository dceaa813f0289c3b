"""The extern objects of the public API: `Memory`, `Table`, `Global`, `Func`, `Function`.

Each wraps the very object the generated code works on, shared by reference: a
memory's `bytearray`, a table's element `list`, a mutable global's one-element cell
`list`. Hosts and instances import and export these objects themselves, so a change
made through one is seen by every instance that shares it.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

from transpyle.runtime import boundary
from transpyle.wasm.types import (
    MAX_PAGES,
    PAGE_SIZE,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    ValueType,
)

TABLE_MAX_ELEMENTS = 10**7
"""No table grows beyond this many elements (a Python list of 10**7 entries is 80 MB):
`table.grow` past it returns -1, as the specification allows, instead of exhausting
memory on a request such as `table.grow (ref.null) (i32.const 0x7fffffff)`."""

_U32 = 0xFFFFFFFF


def _check_int(x, what: str) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise TypeError(f"{what} must be an int, got {type(x).__name__}")
    return x


def _check_count(x, what: str) -> int:
    _check_int(x, what)
    if x < 0:
        raise ValueError(f"{what} must not be negative, got {x}")
    return x


# -- Memory ---------------------------------------------------------------------------


VIEW_FORMATS = {"u16": "H", "s16": "h", "u32": "I", "s32": "i", "u64": "Q", "f64": "d"}
"""The typed views of a non-shared memory, by name suffix: generated code reads view
`x` of memory m as the namespace global `mem{m}_x` (aligned loads and stores, indexed
by address // itemsize; native byte order, which the code generator only relies on
where it is little-endian). No 'f' view: converting a C float to a double would quiet
a signalling NaN."""


class _ViewBinding:
    """Where a memory publishes its views: a namespace and its global names for them.
    The namespace holds the binding (so the binding lives exactly as long as the
    namespace does) and the memory only a weak reference to it."""

    __slots__ = ("namespace", "names", "__weakref__")

    def __init__(self, namespace: dict, prefix: str):
        self.namespace = namespace
        self.names = [(key, prefix + key) for key in VIEW_FORMATS]

    def publish(self, views: dict) -> None:
        ns = self.namespace
        for key, name in self.names:
            ns[name] = views[key]


class Memory:
    """A linear memory: `data` is its `bytearray`, `len(data)` a multiple of 64 KiB.

    `grow` extends `data` in place, so every holder of the bytearray (the generated
    code's `mem0`) keeps seeing the whole memory. A non-shared memory also owns typed
    `memoryview`s of `data` (`VIEW_FORMATS`), published in the namespace of every
    instance that uses it (`_bind`); `grow` releases them, extends `data` and publishes
    new ones. Keep no `memoryview` of `data` of your own alive across a call into wasm:
    an exported buffer cannot be resized, and `memory.grow` then fails (returns -1).
    For the same reason a non-shared memory must not grow while another thread runs
    wasm code on it (the views that code is reading would be released under it);
    shared memories have no views.
    """

    __slots__ = ("data", "max_pages", "limit_pages", "shared", "waiters", "_views",
                 "_bindings", "__weakref__")

    def __init__(self, min_pages: int, max_pages: int | None = None, *, shared: bool = False):
        _check_count(min_pages, "min_pages")
        if max_pages is not None:
            _check_count(max_pages, "max_pages")
            if max_pages < min_pages:
                raise ValueError(f"max_pages ({max_pages}) is less than min_pages "
                                 f"({min_pages})")
            if max_pages > MAX_PAGES:
                raise ValueError(f"max_pages ({max_pages}) exceeds {MAX_PAGES} pages (4 GiB)")
        if min_pages > MAX_PAGES:
            raise ValueError(f"min_pages ({min_pages}) exceeds {MAX_PAGES} pages (4 GiB)")
        if shared and max_pages is None:
            raise ValueError("a shared memory needs max_pages")
        self.data = bytearray(min_pages * PAGE_SIZE)
        self.max_pages = max_pages
        self.shared = shared
        self.waiters = None  # memory.atomic.wait state, made on first wait (atomics.py)
        # the most pages `grow` may reach: the declared max, lowered by the runtime's
        # memory_limit_pages for memories a runtime creates
        self.limit_pages = MAX_PAGES if max_pages is None else max_pages
        # shared memories have no views: another thread may be between loading a view
        # and indexing it when this one grows the memory
        self._views = None if shared else self._make_views()
        self._bindings = None if shared else weakref.WeakSet()

    def _make_views(self) -> dict:
        with memoryview(self.data) as whole:  # the casts keep the buffer exported
            return {key: whole.cast(fmt) for key, fmt in VIEW_FORMATS.items()}

    def _bind(self, namespace: dict, index: int) -> None:
        """Make `namespace` (an instance's) see this memory as memory `index`: `mem{index}`
        is `data`, `M{index}` the Memory, and `mem{index}_<view>` the current typed views
        of a non-shared memory, kept current by `grow` for as long as the namespace
        lives."""
        namespace[f"mem{index}"] = self.data
        namespace[f"M{index}"] = self
        if self._views is None:
            return
        binding = _ViewBinding(namespace, f"mem{index}_")
        namespace[f"_mem{index}_views"] = binding
        self._bindings.add(binding)
        binding.publish(self._views)

    def _extend(self, delta: int) -> None:
        """Append `delta` zeroed pages to `data`, releasing the views first and
        publishing new ones after, also when the extension fails (MemoryError;
        BufferError while someone else holds a view of `data`)."""
        views = self._views
        if views is None:
            self.data.extend(bytes(delta * PAGE_SIZE))
            return
        try:
            for v in views.values():
                v.release()
            self.data.extend(bytes(delta * PAGE_SIZE))
        finally:
            self._views = views = self._make_views()
            for binding in list(self._bindings):
                binding.publish(views)

    @property
    def size(self) -> int:
        """The current size in pages."""
        return len(self.data) // PAGE_SIZE

    @property
    def type(self) -> MemoryType:
        """The memory's current type: its size as the minimum (what import matching
        compares)."""
        return MemoryType(Limits(self.size, self.max_pages, self.shared))

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages, zero-filled; the old size in pages, or -1 if the memory
        would exceed its maximum (or the allocation fails)."""
        _check_count(delta, "delta")
        old = len(self.data) // PAGE_SIZE
        if old + delta > self.limit_pages:
            return -1
        if delta:
            try:
                self._extend(delta)
            except MemoryError:
                return -1
        return old

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes at `offset`; `IndexError` if the range is not inside the
        memory."""
        _check_int(offset, "offset")
        _check_int(length, "length")
        if offset < 0 or length < 0 or offset + length > len(self.data):
            raise IndexError(f"memory read of {length} bytes at {offset} is out of bounds "
                             f"(memory size {len(self.data)} bytes)")
        return bytes(self.data[offset:offset + length])

    def write(self, offset: int, data) -> None:
        """Write the bytes-like `data` at `offset`; `IndexError` (and nothing written) if
        the range is not inside the memory."""
        _check_int(offset, "offset")
        data = memoryview(data).cast("B")
        n = len(data)
        if offset < 0 or offset + n > len(self.data):
            raise IndexError(f"memory write of {n} bytes at {offset} is out of bounds "
                             f"(memory size {len(self.data)} bytes)")
        self.data[offset:offset + n] = data

    def __repr__(self) -> str:
        mx = "" if self.max_pages is None else f", max {self.max_pages}"
        return f"<Memory {self.size} pages{mx}>"


# -- Table ----------------------------------------------------------------------------


def _check_ref(elem_type: ValueType, ref, where: str):
    if elem_type is ValueType.FUNCREF:
        return boundary.to_funcref(ref, where)
    return ref


class Table:
    """A table of references: `elements` is its `list` (a `Function` or None per
    funcref entry, any Python object or None per externref entry)."""

    __slots__ = ("elements", "elem_type", "max", "__weakref__")

    def __init__(self, elem_type: ValueType, size: int, max: int | None = None,
                 init: Any = None):
        elem_type = ValueType(elem_type)
        if not elem_type.is_ref:
            raise ValueError(f"a table holds references (funcref or externref), not {elem_type}")
        _check_count(size, "size")
        if max is not None:
            _check_count(max, "max")
            if max < size:
                raise ValueError(f"max ({max}) is less than size ({size})")
            if max > _U32:
                raise ValueError(f"max ({max}) exceeds 2**32 - 1")
        if size > TABLE_MAX_ELEMENTS:
            raise ValueError(f"size ({size}) exceeds transpyle's limit of "
                             f"{TABLE_MAX_ELEMENTS} table elements")
        self.elem_type = elem_type
        self.max = max
        self.elements = [_check_ref(elem_type, init, "init")] * size

    @property
    def size(self) -> int:
        return len(self.elements)

    @property
    def type(self) -> TableType:
        """The table's current type: its size as the minimum."""
        return TableType(self.elem_type, Limits(len(self.elements), self.max))

    def get(self, i: int):
        _check_int(i, "index")
        if not 0 <= i < len(self.elements):
            raise IndexError(f"table index {i} is out of bounds (table size "
                             f"{len(self.elements)})")
        return self.elements[i]

    def set(self, i: int, ref) -> None:
        _check_int(i, "index")
        ref = _check_ref(self.elem_type, ref, "ref")
        if not 0 <= i < len(self.elements):
            raise IndexError(f"table index {i} is out of bounds (table size "
                             f"{len(self.elements)})")
        self.elements[i] = ref

    def grow(self, delta: int, init=None) -> int:
        """Grow by `delta` entries set to `init`; the old size, or -1 past the maximum."""
        _check_count(delta, "delta")
        init = _check_ref(self.elem_type, init, "init")
        old = len(self.elements)
        new = old + delta
        if new > (_U32 if self.max is None else self.max) or new > TABLE_MAX_ELEMENTS:
            return -1
        if delta:
            self.elements.extend([init] * delta)
        return old

    def __repr__(self) -> str:
        mx = "" if self.max is None else f", max {self.max}"
        return f"<Table {self.elem_type} {len(self.elements)} elements{mx}>"


# -- Global ---------------------------------------------------------------------------


class Global:
    """A global variable. `cell` is the one-element list that holds the internal value:
    generated code of every instance that imports or exports a mutable global reads
    and writes that same list."""

    __slots__ = ("cell", "type", "__weakref__")

    def __init__(self, type: ValueType, value, mutable: bool = False):
        type = ValueType(type)
        self.type = GlobalType(type, bool(mutable))
        self.cell = [boundary.natural_to_internal(type, value, "value")]

    @classmethod
    def _from_cell(cls, gtype: GlobalType, cell: list) -> "Global":
        self = object.__new__(cls)
        self.type = gtype
        self.cell = cell
        return self

    @property
    def mutable(self) -> bool:
        return self.type.mutable

    @property
    def value(self):
        """The natural value (ints signed, floats)."""
        return boundary.internal_to_natural(self.type.type, self.cell[0])

    @value.setter
    def value(self, value) -> None:
        if not self.type.mutable:
            raise AttributeError("cannot set the value of an immutable global")
        self.cell[0] = boundary.natural_to_internal(self.type.type, value, "value")

    @property
    def raw(self):
        """The raw encoding (ints unsigned, floats as IEEE bit patterns)."""
        return boundary.internal_to_raw(self.type.type, self.cell[0])

    @raw.setter
    def raw(self, value) -> None:
        if not self.type.mutable:
            raise AttributeError("cannot set the value of an immutable global")
        self.cell[0] = boundary.raw_to_internal(self.type.type, value, "value")

    def __repr__(self) -> str:
        mut = "mut " if self.type.mutable else ""
        return f"<Global {mut}{self.type.type} {self.value!r}>"


# -- Func and Function ----------------------------------------------------------------


class Func:
    """A host function: a Python callable with its wasm type. It receives natural values
    and returns None, one natural value or a sequence of them."""

    __slots__ = ("fn", "type", "name", "_function")

    def __init__(self, fn: Callable, params=(), results=(), *, name: str | None = None):
        if not callable(fn):
            raise TypeError(f"Func needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.type = FuncType(params, results)
        self.name = name or getattr(fn, "__qualname__", None) or repr(fn)
        self._function: Function | None = None

    @property
    def function(self) -> "Function":
        """The `Function` of this host function (one per `Func`: every instance that
        imports it, exports it or puts it in a table shares it)."""
        f = self._function
        if f is None:
            trampoline = boundary.Converters.of(self.type).make_trampoline(self.fn)
            f = self._function = Function(trampoline, self.type, name=self.name, host=self)
        return f

    def __repr__(self) -> str:
        return f"<Func {self.name} {self.type}>"


class Function:
    """A wasm function (or a host function seen as one) that Python can call.

    `fn` is the raw callable generated code calls (raw values in and out), `type` its
    `FuncType`, `instance` the defining `Instance` (None for a host function), `index`
    its index in that instance's function index space, `name` its display name.
    """

    __slots__ = ("fn", "type", "instance", "name", "index", "host", "body", "_conv",
                 "_max_call_depth", "__weakref__")

    def __init__(self, fn: Callable, type: FuncType, *, instance=None, name: str | None = None,
                 index: int | None = None, host: Func | None = None,
                 max_call_depth: int | None = None):
        self.fn = fn
        self.type = type
        self.instance = instance
        self.name = name
        self.index = index
        self.host = host
        self.body = None  # for a function with tail calls: its body (see support.TailCall)
        self._conv = boundary.Converters.of(type)
        self._max_call_depth = max_call_depth

    @property
    def is_host(self) -> bool:
        return self.host is not None

    def __call__(self, *args, ctx=None):
        """Call with natural values; None, the result, or a tuple of results.

        `ctx` is accepted for the API's sake and not used here: a host function called
        from Python runs no wasm code to watch; an instance's functions are
        `engine.InstanceFunction`s, which run in `ctx`."""
        return self._conv.natural_call(self.fn, args, self._max_call_depth)

    def call_raw(self, *args, ctx=None) -> list:
        """Call with raw encodings (ints unsigned, floats as IEEE bit patterns); the list
        of raw results."""
        return self._conv.raw_call(self.fn, args, self._max_call_depth)

    def __repr__(self) -> str:
        kind = "host function" if self.host is not None else "Function"
        return f"<{kind} {self.name or '?'} {self.type}>"

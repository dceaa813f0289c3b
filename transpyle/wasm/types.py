"""Wasm types: value types, function types, limits and the extern types built on them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ValueType(enum.IntEnum):
    """A value type, numbered by its binary encoding."""

    I32 = 0x7F
    I64 = 0x7E
    F32 = 0x7D
    F64 = 0x7C
    V128 = 0x7B
    FUNCREF = 0x70
    EXTERNREF = 0x6F

    @property
    def is_ref(self) -> bool:
        return self in (ValueType.FUNCREF, ValueType.EXTERNREF)

    @property
    def is_num(self) -> bool:
        return self in (ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64)

    def __str__(self) -> str:
        return self.name.lower()

    __repr__ = __str__


I32 = ValueType.I32
I64 = ValueType.I64
F32 = ValueType.F32
F64 = ValueType.F64
V128 = ValueType.V128
FUNCREF = ValueType.FUNCREF
EXTERNREF = ValueType.EXTERNREF

REF_TYPES = frozenset({FUNCREF, EXTERNREF})


class FuncType:
    """A function type. Instances are interned: equal types are the same object,
    so the runtime compares them with `is` (the `call_indirect` check)."""

    __slots__ = ("params", "results", "__weakref__")
    _interned: dict[tuple, "FuncType"] = {}

    params: tuple[ValueType, ...]
    results: tuple[ValueType, ...]

    def __new__(cls, params=(), results=()):
        key = (tuple(ValueType(p) for p in params), tuple(ValueType(r) for r in results))
        self = cls._interned.get(key)
        if self is None:
            self = object.__new__(cls)
            object.__setattr__(self, "params", key[0])
            object.__setattr__(self, "results", key[1])
            cls._interned[key] = self
        return self

    def __setattr__(self, name, value):
        raise AttributeError("FuncType is immutable")

    def __reduce__(self):
        return (FuncType, (self.params, self.results))

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __repr__(self) -> str:
        return f"FuncType(params={list(self.params)}, results={list(self.results)})"

    def __str__(self) -> str:
        p = ",".join(str(t) for t in self.params)
        r = ",".join(str(t) for t in self.results)
        return f"({p}) -> ({r})" if len(self.results) != 1 else f"({p}) {r}"


@dataclass(frozen=True)
class Limits:
    min: int
    max: int | None = None
    shared: bool = False


@dataclass(frozen=True)
class TableType:
    elem: ValueType
    limits: Limits


@dataclass(frozen=True)
class MemoryType:
    limits: Limits


@dataclass(frozen=True)
class GlobalType:
    type: ValueType
    mutable: bool


PAGE_SIZE = 65536
MAX_PAGES = 65536

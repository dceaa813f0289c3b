"""The decoded module: plain data, produced by the decoder, checked by the validator.

An instruction is a tuple `(op, imm, offset)`: `op` is the opcode number from
`transpyle.wasm.opcodes` (prefixed opcodes are `prefix << 16 | sub`), `imm` its decoded
immediate (see `opcodes.IMM_*` for the shape of each kind), `offset` the byte offset of
the opcode in the module binary. Constants keep exact bits: `i32.const`/`i64.const` as
unsigned ints, `f32.const`/`f64.const` as their IEEE-754 bit patterns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .types import FuncType, GlobalType, MemoryType, TableType, ValueType

Instr = tuple  # (op: int, imm: Any, offset: int)

# Block types are stored as the signed 33-bit integer of the binary format:
BLOCK_EMPTY = -64  # 0x40
# a negative value -n is the value type whose byte is 0x80 - n (0x7F -> -1 is i32);
# a non-negative value is a type index.


def blocktype_valtype(bt: int) -> ValueType:
    return ValueType(0x80 + bt)


@dataclass
class Import:
    module: str
    name: str
    kind: str  # "func" | "table" | "memory" | "global"
    type: Any  # FuncType | TableType | MemoryType | GlobalType
    type_index: int | None = None  # for functions: the index in the type section
    offset: int = 0


@dataclass
class Export:
    name: str
    kind: str
    index: int
    type: Any = None  # filled in by the validator
    offset: int = 0


@dataclass
class Global:
    type: GlobalType
    init: list[Instr]
    offset: int = 0


@dataclass
class ElemSegment:
    mode: str  # "active" | "passive" | "declarative"
    type: ValueType
    init: list[list[Instr]]  # one constant expression per element
    table: int = 0
    offset_expr: list[Instr] | None = None
    offset: int = 0


@dataclass
class DataSegment:
    mode: str  # "active" | "passive"
    data: bytes
    memory: int = 0
    offset_expr: list[Instr] | None = None
    offset: int = 0


@dataclass
class Code:
    locals: list[ValueType]  # the declared locals, expanded (parameters not included)
    body: list[Instr]  # ends with the function's final `end`
    offset: int = 0  # byte offset of the body (after its size) in the module
    size: int = 0


@dataclass
class Names:
    module: str | None = None
    functions: dict[int, str] = field(default_factory=dict)
    locals: dict[int, dict[int, str]] = field(default_factory=dict)


@dataclass
class CustomSection:
    name: str
    data: bytes
    offset: int = 0


@dataclass
class Module:
    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[int] = field(default_factory=list)  # type index of each defined function
    tables: list[TableType] = field(default_factory=list)
    memories: list[MemoryType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[ElemSegment] = field(default_factory=list)
    datas: list[DataSegment] = field(default_factory=list)
    data_count: int | None = None
    codes: list[Code] = field(default_factory=list)
    customs: list[CustomSection] = field(default_factory=list)
    names: Names = field(default_factory=Names)
    start_offset: int = 0
    # where the code section's content starts in the module (after its size): DWARF
    # addresses of wasm code are offsets from here
    code_section_offset: int = 0

    # -- index spaces (imports come first in each) --------------------------------

    def imported(self, kind: str) -> list[Import]:
        return [i for i in self.imports if i.kind == kind]

    @property
    def num_imported_funcs(self) -> int:
        return sum(1 for i in self.imports if i.kind == "func")

    def func_type_indices(self) -> list[int]:
        """Type index of every function in the function index space."""
        return [i.type_index for i in self.imports if i.kind == "func"] + list(self.funcs)

    def all_tables(self) -> list[TableType]:
        return [i.type for i in self.imports if i.kind == "table"] + list(self.tables)

    def all_memories(self) -> list[MemoryType]:
        return [i.type for i in self.imports if i.kind == "memory"] + list(self.memories)

    def all_global_types(self) -> list[GlobalType]:
        return [i.type for i in self.imports if i.kind == "global"] + [g.type for g in self.globals]

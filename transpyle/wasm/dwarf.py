"""A small DWARF reader for WebAssembly modules (DWARF 4 and 5 as clang and zig emit
them for wasm32): the line table (`.debug_line`, with `.debug_line_str`), and from
`.debug_info`/`.debug_abbrev`/`.debug_str`/`.debug_str_offsets`/`.debug_addr` the
functions, inlined calls, lexical blocks and variables with their locations
(`.debug_loc`/`.debug_loclists`, `.debug_ranges`/`.debug_rnglists`).

In wasm DWARF an address is an offset from the start of the code section's content
(`Module.code_section_offset`): the instruction at module byte offset `o` has address
`o - code_section_offset`.

Nothing is parsed until asked: `DebugInfo.from_module` only collects the sections;
the line table is decoded on the first line query, the compile units on the first
function or variable query. Every parse error is a `DwarfError`; callers
(`transpyle.sourcemap`) turn it into one warning and carry on without source info.

Variable locations are reduced to what a wasm debugger can use (`Location`): a wasm
local, a global or an operand-stack slot (`DW_OP_WASM_location`), a constant
(`DW_OP_consts`, `DW_OP_lit*`, ...), an address in linear memory (`DW_OP_fbreg` off
the frame base, `DW_OP_addr`), or something else, described.
"""

from __future__ import annotations

import bisect
import posixpath
import struct
from dataclasses import dataclass, field

__all__ = ["DwarfError", "DebugInfo", "LineRow", "Location", "Variable", "Scope"]


class DwarfError(Exception):
    """Malformed or unsupported DWARF."""


# -- constants (DWARF 5, section 7) ---------------------------------------------------

TAG_COMPILE_UNIT, TAG_SUBPROGRAM, TAG_INLINED, TAG_LEXICAL_BLOCK = 0x11, 0x2E, 0x1D, 0x0B
TAG_VARIABLE, TAG_FORMAL_PARAMETER = 0x34, 0x05
TYPE_TAGS = {0x24: "base", 0x0F: "pointer", 0x16: "typedef", 0x26: "const", 0x35: "volatile",
             0x01: "array", 0x13: "struct", 0x17: "union", 0x04: "enum", 0x10: "reference",
             0x37: "restrict", 0x15: "function"}

AT_LOCATION, AT_NAME, AT_BYTE_SIZE, AT_STMT_LIST = 0x02, 0x03, 0x0B, 0x10
AT_LOW_PC, AT_HIGH_PC = 0x11, 0x12
AT_COMP_DIR, AT_ENCODING, AT_FRAME_BASE, AT_TYPE, AT_ABSTRACT_ORIGIN = 0x1B, 0x3E, 0x40, 0x49, 0x31
AT_SPECIFICATION, AT_RANGES = 0x47, 0x55
AT_CALL_COLUMN, AT_CALL_FILE, AT_CALL_LINE = 0x57, 0x58, 0x59
AT_LINKAGE_NAME, AT_STR_OFFSETS_BASE, AT_ADDR_BASE, AT_RNGLISTS_BASE = 0x6E, 0x72, 0x73, 0x74
AT_LOCLISTS_BASE, AT_MIPS_LINKAGE_NAME = 0x8C, 0x2007

ATE_SIGNED, ATE_SIGNED_CHAR, ATE_FLOAT, ATE_BOOLEAN = 0x05, 0x06, 0x04, 0x02

# forms whose value is an offset into a location or range list section
_SEC_OFFSET_FORMS = {0x17, 0x06, 0x07}
# addresses of code the linker dropped: -1, -2, and 0 (no wasm code starts at 0: the code
# section's content begins with the function count)
_TOMBSTONES = (0xFFFFFFFF, 0xFFFFFFFE, 0)


@dataclass(frozen=True)
class LineRow:
    address: int
    file: str  # the path as DWARF records it (joined with its directory)
    line: int
    column: int
    is_stmt: bool


@dataclass(frozen=True)
class Location:
    """Where a variable is: `kind` is "local", "global", "stack" (an operand-stack slot
    counted as DWARF does), "const" (the value itself), "memory" (an address in linear
    memory: `value` is the offset from the frame base when `frame_base` is True, else
    the address), or "other" (`text` says what)."""

    kind: str
    value: int = 0
    frame_base: bool = False
    text: str = ""


@dataclass
class TypeInfo:
    name: str
    encoding: int | None = None  # DW_ATE_* of the underlying base type
    size: int | None = None
    pointer: bool = False
    element: "TypeInfo | None" = None  # an array's element type
    count: int | None = None  # an array's length


@dataclass
class Variable:
    name: str
    is_param: bool
    # a single location, or a list of (low, high, Location | None) ranges
    location: object = None
    type: TypeInfo | None = None
    decl_line: int = 0

    def location_at(self, address: int) -> Location | None:
        loc = self.location
        if isinstance(loc, list):
            default = None
            for lo, hi, entry in loc:
                if hi == 1 << 64:  # DW_LLE_default_location: where nothing else applies
                    default = entry
                elif lo <= address < hi:
                    return entry
            return default
        return loc


@dataclass
class Scope:
    """A function (`subprogram`), an inlined call of one (`inlined`) or a lexical
    block: its address ranges, variables and nested scopes."""

    kind: str  # "subprogram" | "inlined" | "block"
    name: str | None
    ranges: list[tuple[int, int]] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    children: list["Scope"] = field(default_factory=list)
    call_file: str | None = None  # inlined: where it was inlined
    call_line: int = 0
    call_column: int = 0
    frame_base: Location | None = None

    def contains(self, address: int) -> bool:
        return any(lo <= address < hi for lo, hi in self.ranges)


# -- byte reading ---------------------------------------------------------------------


class _R:
    __slots__ = ("d", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.d = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def need(self, n: int) -> int:
        p = self.pos
        if p + n > self.end:
            raise DwarfError(f"truncated data at offset {p:#x}")
        self.pos = p + n
        return p

    def u8(self) -> int:
        return self.d[self.need(1)]

    def u16(self) -> int:
        return struct.unpack_from("<H", self.d, self.need(2))[0]

    def u24(self) -> int:
        p = self.need(3)
        return int.from_bytes(self.d[p:p + 3], "little")

    def u32(self) -> int:
        return struct.unpack_from("<I", self.d, self.need(4))[0]

    def u64(self) -> int:
        return struct.unpack_from("<Q", self.d, self.need(8))[0]

    def s8(self) -> int:
        return struct.unpack_from("<b", self.d, self.need(1))[0]

    def uleb(self) -> int:
        result = shift = 0
        while True:
            b = self.u8()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result
            if shift > 70:
                raise DwarfError("LEB128 too long")

    def sleb(self) -> int:
        result = shift = 0
        while True:
            b = self.u8()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result
            if shift > 70:
                raise DwarfError("LEB128 too long")

    def cstr(self) -> str:
        p = self.pos
        z = self.d.find(b"\0", p, self.end)
        if z < 0:
            raise DwarfError(f"unterminated string at offset {p:#x}")
        self.pos = z + 1
        return self.d[p:z].decode("utf-8", "replace")

    def take(self, n: int) -> bytes:
        p = self.need(n)
        return self.d[p:p + n]

    def unit_length(self) -> tuple[int, int]:
        """(length, offset size) of a unit header."""
        n = self.u32()
        if n == 0xFFFFFFFF:
            return self.u64(), 8
        if n >= 0xFFFFFFF0:
            raise DwarfError(f"reserved unit length {n:#x}")
        return n, 4

    def offset(self, size: int) -> int:
        return self.u32() if size == 4 else self.u64()


def _cstr_at(data: bytes, offset: int) -> str:
    if not 0 <= offset < len(data):
        raise DwarfError(f"string offset {offset:#x} outside its section")
    return _R(data, offset).cstr()


# -- location expressions -------------------------------------------------------------

_OP_ADDR, _OP_CONST1U, _OP_CONST1S, _OP_CONST2U, _OP_CONST2S = 0x03, 0x08, 0x09, 0x0A, 0x0B
_OP_CONST4U, _OP_CONST4S, _OP_CONST8U, _OP_CONST8S = 0x0C, 0x0D, 0x0E, 0x0F
_OP_CONSTU, _OP_CONSTS = 0x10, 0x11
_OP_FBREG, _OP_STACK_VALUE, _OP_WASM_LOCATION, _OP_PIECE = 0x91, 0x9F, 0xED, 0x93
_OP_PLUS_UCONST = 0x23


def parse_location(expr: bytes) -> Location:
    """The `Location` a DWARF expression describes (the common single-operation forms,
    with `DW_OP_stack_value`/`DW_OP_piece` ignored; anything else is "other")."""
    r = _R(expr)
    if not expr:
        return Location("other", text="empty location (optimised out)")
    op = r.u8()
    if op == _OP_WASM_LOCATION:
        kind = r.uleb()
        index = r.u32() if kind == 3 else r.uleb()
        names = {0: "local", 1: "global", 2: "stack", 3: "global", 4: "stack"}
        loc = Location(names.get(kind, "other"), index,
                       text="" if kind in names else f"DW_OP_WASM_location {kind} {index}")
    elif op == _OP_FBREG:
        loc = Location("memory", r.sleb(), frame_base=True)
    elif op == _OP_ADDR:
        loc = Location("memory", r.u32())
    elif 0x30 <= op <= 0x4F:
        loc = Location("const", op - 0x30)
    elif op in (_OP_CONSTU, _OP_CONSTS):
        loc = Location("const", r.uleb() if op == _OP_CONSTU else r.sleb())
    elif op in (_OP_CONST1U, _OP_CONST1S, _OP_CONST2U, _OP_CONST2S, _OP_CONST4U, _OP_CONST4S,
                _OP_CONST8U, _OP_CONST8S):
        size = {0x08: 1, 0x0A: 2, 0x0C: 4, 0x0E: 8, 0x09: 1, 0x0B: 2, 0x0D: 4, 0x0F: 8}[op]
        loc = Location("const", int.from_bytes(r.take(size), "little", signed=bool(op & 1)))
    else:
        return Location("other", text=f"DWARF expression {expr.hex()}")
    # a memory location used as the address of the value (no DW_OP_stack_value) is
    # what `fbreg`/`addr` mean; for wasm locations and constants the trailing
    # DW_OP_stack_value says the value is the location's content: both read the same.
    # Anything after that other than stack_value/piece makes it "other".
    while r.pos < r.end:
        nxt = r.u8()
        if nxt == _OP_STACK_VALUE:
            continue
        if nxt == _OP_PIECE:
            r.uleb()
            continue
        if nxt == _OP_PLUS_UCONST and loc.kind in ("memory",):
            loc = Location("memory", loc.value + r.uleb(), loc.frame_base)
            continue
        return Location("other", text=f"DWARF expression {expr.hex()}")
    return loc


# -- the reader -----------------------------------------------------------------------


class DebugInfo:
    """The DWARF of one module, parsed on demand (see the module docstring)."""

    def __init__(self, sections: dict[str, bytes]):
        self.sections = sections
        self._rows: list[LineRow] | None = None
        self._addrs: list[int] | None = None
        self._ends: list[int] | None = None  # per row: end of its sequence
        self._subprograms: list[Scope] | None = None
        self._comp_dirs: list[str] = []

    @classmethod
    def from_module(cls, module) -> "DebugInfo | None":
        """The module's DWARF sections, or None if it has no `.debug_line`."""
        sections = {c.name: c.data for c in module.customs if c.name.startswith(".debug_")}
        if ".debug_line" not in sections:
            return None
        return cls(sections)

    def section(self, name: str) -> bytes:
        return self.sections.get(name, b"")

    # -- lines --------------------------------------------------------------------------

    @property
    def rows(self) -> list[LineRow]:
        """Every row of every line table (end-of-sequence rows excluded), by address."""
        if self._rows is None:
            self._parse_lines()
        return self._rows

    def _parse_lines(self) -> None:
        data = self.section(".debug_line")
        rows: list[tuple[int, int, LineRow]] = []  # (address, sequence end, row)
        offset = 0
        while offset < len(data):
            offset = self._line_program(data, offset, rows)
        rows.sort(key=lambda t: t[0])
        self._rows = [t[2] for t in rows]
        self._addrs = [t[0] for t in rows]
        self._ends = [t[1] for t in rows]

    def _line_header(self, data: bytes, offset: int) -> "_LineHeader":
        """The header of the line program at `offset` of `.debug_line`."""
        r = _R(data, offset)
        length, osize = r.unit_length()
        end = r.pos + length
        if end > len(data):
            raise DwarfError(".debug_line unit runs past the section")
        r.end = end
        h = _LineHeader()
        h.r, h.end = r, end
        version = r.u16()
        if not 2 <= version <= 5:
            raise DwarfError(f".debug_line version {version} is not supported")
        h.addr_size = 4
        if version >= 5:
            h.addr_size = r.u8()
            r.u8()  # segment selector size
        header_length = r.offset(osize)
        h.program = r.pos + header_length
        h.min_inst = r.u8()
        if version >= 4:
            r.u8()  # maximum operations per instruction (1 for wasm)
        h.default_is_stmt = bool(r.u8())
        h.line_base = r.s8()
        h.line_range = r.u8()
        h.opcode_base = r.u8()
        if h.line_range == 0:
            raise DwarfError(".debug_line line_range is 0")
        h.std_lengths = [r.u8() for _ in range(h.opcode_base - 1)]
        if version >= 5:  # entries described by (DW_LNCT_*, form) pairs; numbered from 0
            dirs = [e.get(1, "") for e in self._v5_entries(r, osize)]
            files = []
            for e in self._v5_entries(r, osize):
                d = e.get(2, 0)
                base = dirs[d] if isinstance(d, int) and d < len(dirs) else ""
                files.append(_join(base, e.get(1, "")))
        else:
            dirs = [""]
            while True:
                d = r.cstr()
                if not d:
                    break
                dirs.append(d)
            files = [""]  # file numbers start at 1
            while True:
                name = r.cstr()
                if not name:
                    break
                d = r.uleb()
                r.uleb()  # modification time
                r.uleb()  # length
                files.append(_join(dirs[d] if d < len(dirs) else "", name))
        h.files = files
        return h

    def _line_program(self, data: bytes, offset: int, out: list) -> int:
        h = self._line_header(data, offset)
        r, end, files, addr_size, min_inst = h.r, h.end, h.files, h.addr_size, h.min_inst
        default_is_stmt, line_base, line_range = h.default_is_stmt, h.line_base, h.line_range
        opcode_base, std_lengths = h.opcode_base, h.std_lengths
        r.pos = h.program

        def file_name(i: int) -> str:
            return files[i] if 0 <= i < len(files) else f"<file {i}>"

        seq: list[tuple[int, LineRow]] = []
        address, file, line, column, is_stmt = 0, 1, 1, 0, default_is_stmt

        def emit():
            seq.append((address, LineRow(address, file_name(file), line, column, is_stmt)))

        while r.pos < end:
            opcode = r.u8()
            if opcode >= opcode_base:
                adj = opcode - opcode_base
                address += (adj // line_range) * min_inst
                line += line_base + adj % line_range
                emit()
            elif opcode == 0:
                n = r.uleb()
                stop = r.pos + n
                if n == 0 or stop > end:
                    raise DwarfError(f"bad extended opcode length at {r.pos:#x}")
                sub = r.u8()
                if sub == 1:  # end_sequence
                    if seq and seq[0][0] not in _TOMBSTONES and address not in _TOMBSTONES:
                        for a, row in seq:
                            out.append((a, address, row))
                    seq = []
                    address, file, line, column, is_stmt = 0, 1, 1, 0, default_is_stmt
                elif sub == 2:  # set_address
                    address = int.from_bytes(r.take(min(addr_size, stop - r.pos)), "little")
                r.pos = stop
            elif opcode == 1:  # copy
                emit()
            elif opcode == 2:
                address += r.uleb() * min_inst
            elif opcode == 3:
                line += r.sleb()
            elif opcode == 4:
                file = r.uleb()
            elif opcode == 5:
                column = r.uleb()
            elif opcode == 6:
                is_stmt = not is_stmt
            elif opcode == 7 or opcode == 10 or opcode == 11:
                pass
            elif opcode == 8:
                address += ((255 - opcode_base) // line_range) * min_inst
            elif opcode == 9:
                address += r.u16()
            else:  # a standard opcode this reader does not know: skip its operands
                for _ in range(std_lengths[opcode - 1]):
                    r.uleb()
        return end

    def _v5_entries(self, r: _R, osize: int) -> list[dict]:
        nformats = r.u8()
        formats = [(r.uleb(), r.uleb()) for _ in range(nformats)]
        out = []
        for _ in range(r.uleb()):
            entry = {}
            for content, form in formats:
                entry[content] = self._line_form(r, form, osize)
            out.append(entry)
        return out

    def _line_form(self, r: _R, form: int, osize: int):
        if form == 0x08:  # string
            return r.cstr()
        if form == 0x1F:  # line_strp
            return _cstr_at(self.section(".debug_line_str"), r.offset(osize))
        if form == 0x0E:  # strp
            return _cstr_at(self.section(".debug_str"), r.offset(osize))
        if form == 0x0B:
            return r.u8()
        if form == 0x05:
            return r.u16()
        if form == 0x06:
            return r.u32()
        if form == 0x07:
            return r.u64()
        if form == 0x0F:
            return r.uleb()
        if form == 0x1E:  # data16 (MD5)
            return r.take(16)
        if form == 0x09:
            return r.take(r.uleb())
        raise DwarfError(f"unsupported form {form:#x} in a .debug_line header")

    def row_at(self, address: int) -> LineRow | None:
        """The line-table row that covers `address` (the last row at or before it,
        within its sequence), or None."""
        rows = self.rows
        i = bisect.bisect_right(self._addrs, address) - 1
        if i < 0 or address >= self._ends[i]:
            return None
        return rows[i]

    def rows_between(self, low: int, high: int) -> list[LineRow]:
        """The rows covering addresses `low` to `high` (inclusive), by address: the row
        at `low`, then every row that starts after it up to `high`."""
        first = self.row_at(low)
        rows = self.rows
        i = bisect.bisect_right(self._addrs, low)
        j = bisect.bisect_right(self._addrs, high)
        return ([first] if first is not None else []) + rows[i:j]

    def addresses(self, file: str, line: int) -> list[int]:
        """Addresses of the rows of `file:line` (`file` matched by its full recorded
        path, or by its trailing path components), statement rows first."""
        stmt, other = [], []
        for row in self.rows:
            if row.line == line and file_matches(row.file, file):
                (stmt if row.is_stmt else other).append(row.address)
        return sorted(stmt) or sorted(other)

    def line_starts(self, file: str, line: int) -> list[int]:
        """Where the code of `file:line` starts, lowest first: the address of each run
        of rows of that line (a loop unrolled or a line duplicated by the compiler has
        several), rows of line 0 (compiler-made code) not breaking a run."""
        out = []
        inside = False
        seq_end = None
        for row, end in zip(self.rows, self._ends):
            if end != seq_end:
                seq_end, inside = end, False
            if row.line == 0:
                continue
            match = row.line == line and file_matches(row.file, file)
            if match and not inside:
                out.append(row.address)
            inside = match
        return sorted(out)

    def files(self) -> list[str]:
        return sorted({row.file for row in self.rows})

    # -- compile units ------------------------------------------------------------------

    @property
    def comp_dirs(self) -> list[str]:
        """The compilation directories of the compile units."""
        self.subprograms
        return self._comp_dirs

    @property
    def subprograms(self) -> list[Scope]:
        if self._subprograms is None:
            self._subprograms = []
            if ".debug_info" in self.sections:
                self._parse_info()
        return self._subprograms

    def scopes_at(self, address: int) -> list[Scope]:
        """The chain of scopes containing `address`, outermost (the function) first."""
        for sp in self.subprograms:
            if sp.contains(address):
                chain = [sp]
                node = sp
                while True:
                    for child in node.children:
                        if child.contains(address):
                            chain.append(child)
                            node = child
                            break
                    else:
                        return chain
        return []

    def function_at(self, address: int) -> Scope | None:
        chain = self.scopes_at(address)
        return chain[0] if chain else None

    def frames_at(self, address: int) -> list[tuple[str | None, str, int, int, bool]]:
        """The source frames at `address`, innermost first, as (function name, file,
        line, column, inlined): the line table's row, then one frame per inlined call
        (its function's name, the place it was inlined at)."""
        row = self.row_at(address)
        if row is None:
            return []
        chain = self.scopes_at(address)
        funcs = [s for s in chain if s.kind in ("subprogram", "inlined")]
        out = []
        file, line, col = row.file, row.line, row.column
        for s in reversed(funcs):
            out.append((s.name, file, line, col, s.kind == "inlined"))
            if s.kind == "inlined":
                file, line, col = s.call_file or file, s.call_line, s.call_column
        if not funcs:
            out.append((None, file, line, col, False))
        return out

    def variables_at(self, address: int) -> list[Variable]:
        """The variables visible at `address`, innermost scope first (stopping at the
        innermost function: an inlined function's caller's locals are not in scope)."""
        chain = self.scopes_at(address)
        out = []
        for s in reversed(chain):
            out.extend(s.variables)
            if s.kind in ("inlined", "subprogram"):
                break
        return out

    def frame_base_at(self, address: int) -> Location | None:
        for s in self.scopes_at(address)[:1]:
            return s.frame_base
        return None

    # -- .debug_info --------------------------------------------------------------------

    def _parse_info(self) -> None:
        info = self.section(".debug_info")
        offset = 0
        while offset < len(info):
            offset = self._unit(info, offset)

    def _abbrevs(self, offset: int) -> dict:
        data = self.section(".debug_abbrev")
        r = _R(data, offset)
        table = {}
        while True:
            code = r.uleb()
            if code == 0:
                return table
            tag = r.uleb()
            children = r.u8() != 0
            specs = []
            while True:
                at, form = r.uleb(), r.uleb()
                if at == 0 and form == 0:
                    break
                implicit = r.sleb() if form == 0x21 else None
                specs.append((at, form, implicit))
            table[code] = (tag, children, specs)

    def _unit(self, info: bytes, offset: int) -> int:
        r = _R(info, offset)
        length, osize = r.unit_length()
        end = r.pos + length
        if end > len(info):
            raise DwarfError(".debug_info unit runs past the section")
        r.end = end
        version = r.u16()
        if version >= 5:
            unit_type = r.u8()
            addr_size = r.u8()
            abbrev_offset = r.offset(osize)
            if unit_type in (0x02, 0x06):  # type units: skip their signature and offset
                r.u64()
                r.offset(osize)
            elif unit_type in (0x04, 0x05):  # skeleton/split: their dwo id
                r.u64()
        elif 2 <= version <= 4:
            abbrev_offset = r.offset(osize)
            addr_size = r.u8()
        else:
            raise DwarfError(f".debug_info version {version} is not supported")
        u = _Unit(self, info, offset, version, osize, addr_size, self._abbrevs(abbrev_offset))
        dies = u.read_dies(r, end)
        if dies:
            self._build(u, dies)
        return end

    def _build(self, u: "_Unit", root: "_Die") -> None:
        cu = root.attrs
        u.str_offsets_base = cu.get(AT_STR_OFFSETS_BASE, (0, 8))[0]
        u.addr_base = cu.get(AT_ADDR_BASE, (0, 8))[0]
        u.rnglists_base = cu.get(AT_RNGLISTS_BASE, (0, 0))[0]
        u.loclists_base = cu.get(AT_LOCLISTS_BASE, (0, 0))[0]
        low = cu.get(AT_LOW_PC)
        u.base = u.addr(low) if low is not None else 0
        comp_dir = u.string(cu.get(AT_COMP_DIR))
        if comp_dir:
            self._comp_dirs.append(comp_dir)
        u.line_files = self._unit_files(cu.get(AT_STMT_LIST), u)

        def walk(die: _Die, parent: Scope | None, top: list) -> None:
            tag = die.tag
            if tag in (TAG_SUBPROGRAM, TAG_INLINED, TAG_LEXICAL_BLOCK):
                ranges = u.die_ranges(die)
                kind = {TAG_SUBPROGRAM: "subprogram", TAG_INLINED: "inlined"}.get(tag, "block")
                scope = Scope(kind, u.die_name(die) if kind != "block" else None, ranges)
                if kind == "inlined":
                    cf = die.attrs.get(AT_CALL_FILE)
                    scope.call_file = u.file_name(cf[0]) if cf else None
                    scope.call_line = die.attrs.get(AT_CALL_LINE, (0, 0))[0]
                    scope.call_column = die.attrs.get(AT_CALL_COLUMN, (0, 0))[0]
                fb = die.attrs.get(AT_FRAME_BASE)
                if fb is not None and isinstance(fb[0], bytes):
                    scope.frame_base = parse_location(fb[0])
                if ranges:  # abstract (out-of-line-less) definitions have no code
                    (parent.children if parent is not None else top).append(scope)
                for child in die.children:
                    walk(child, scope, top)
            elif tag in (TAG_VARIABLE, TAG_FORMAL_PARAMETER):
                if parent is not None:
                    name = u.die_name(die)
                    if name:
                        parent.variables.append(Variable(
                            name, tag == TAG_FORMAL_PARAMETER, u.die_location(die),
                            u.die_type(die), die.attrs.get(0x3B, (0, 0))[0]))
            else:
                for child in die.children:
                    walk(child, parent, top)

        top: list[Scope] = []
        walk(root, None, top)
        self._subprograms.extend(top)

    def _unit_files(self, stmt_list, u: "_Unit") -> list[str]:
        """The file table of the unit's line program (for DW_AT_call_file)."""
        if stmt_list is None:
            return []
        return self._line_header(self.section(".debug_line"), stmt_list[0]).files


class _LineHeader:
    __slots__ = ("r", "end", "addr_size", "program", "min_inst", "default_is_stmt",
                 "line_base", "line_range", "opcode_base", "std_lengths", "files")


class _Die:
    __slots__ = ("offset", "tag", "attrs", "children")

    def __init__(self, offset, tag, attrs):
        self.offset = offset
        self.tag = tag
        self.attrs = attrs  # attribute -> (value, form)
        self.children: list[_Die] = []


class _Unit:
    def __init__(self, dwarf: DebugInfo, info: bytes, offset: int, version: int, osize: int,
                 addr_size: int, abbrevs: dict):
        self.dwarf = dwarf
        self.info = info
        self.offset = offset
        self.version = version
        self.osize = osize
        self.addr_size = addr_size
        self.abbrevs = abbrevs
        self.by_offset: dict[int, _Die] = {}
        self.str_offsets_base = 8
        self.addr_base = 8
        self.rnglists_base = 0
        self.loclists_base = 0
        self.base = 0
        self.line_files: list[str] = []

    def read_dies(self, r: _R, end: int) -> _Die | None:
        root = None
        stack: list[_Die] = []
        while r.pos < end:
            off = r.pos
            code = r.uleb()
            if code == 0:
                if stack:
                    stack.pop()
                continue
            entry = self.abbrevs.get(code)
            if entry is None:
                raise DwarfError(f"unknown abbreviation {code} at .debug_info {off:#x}")
            tag, has_children, specs = entry
            attrs = {}
            for at, form, implicit in specs:
                attrs[at] = (self.form(r, form, implicit), form)
            die = _Die(off, tag, attrs)
            self.by_offset[off] = die
            if stack:
                stack[-1].children.append(die)
            elif root is None:
                root = die
            if has_children:
                stack.append(die)
            if root is not None and not stack and die is root and not has_children:
                break
        return root

    def form(self, r: _R, form: int, implicit):
        osize = self.osize
        if form == 0x01:
            return int.from_bytes(r.take(self.addr_size), "little")
        if form in (0x0B, 0x11):
            return r.u8()
        if form in (0x05, 0x12):
            return r.u16()
        if form in (0x06, 0x13):
            return r.u32()
        if form in (0x07, 0x14, 0x20):
            return r.u64()
        if form in (0x0F, 0x15):
            return r.uleb()
        if form == 0x0D:
            return r.sleb()
        if form == 0x08:
            return r.cstr()
        if form in (0x0E, 0x1F, 0x17, 0x1D):  # strp, line_strp, sec_offset, strp_sup
            return r.offset(osize)
        if form == 0x10:  # ref_addr
            return r.offset(osize) if self.version >= 3 else r.offset(self.addr_size)
        if form == 0x0C:
            return r.u8()
        if form == 0x19:  # flag_present
            return 1
        if form in (0x18, 0x09):  # exprloc, block
            return r.take(r.uleb())
        if form == 0x0A:
            return r.take(r.u8())
        if form == 0x03:
            return r.take(r.u16())
        if form == 0x04:
            return r.take(r.u32())
        if form == 0x1E:
            return r.take(16)
        if form in (0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02):  # strx, addrx, loclistx, rnglistx
            return r.uleb()
        if form in (0x25, 0x29):
            return r.u8()
        if form in (0x26, 0x2A):
            return r.u16()
        if form in (0x27, 0x2B):
            return r.u24()
        if form in (0x28, 0x2C, 0x1C):
            return r.u32()
        if form == 0x24:
            return r.u64()
        if form == 0x21:
            return implicit
        if form == 0x16:  # indirect
            return self.form(r, r.uleb(), implicit)
        raise DwarfError(f"unsupported attribute form {form:#x}")

    # -- attribute values ---------------------------------------------------------------

    def string(self, attr) -> str | None:
        if attr is None:
            return None
        value, form = attr
        if form == 0x08:
            return value
        if form == 0x0E:
            return _cstr_at(self.dwarf.section(".debug_str"), value)
        if form == 0x1F:
            return _cstr_at(self.dwarf.section(".debug_line_str"), value)
        if form in (0x1A, 0x25, 0x26, 0x27, 0x28, 0x1F02):
            offs = self.dwarf.section(".debug_str_offsets")
            at = self.str_offsets_base + value * self.osize
            if at + self.osize > len(offs):
                raise DwarfError(f"string index {value} outside .debug_str_offsets")
            off = _R(offs, at).offset(self.osize)
            return _cstr_at(self.dwarf.section(".debug_str"), off)
        return None

    def addr(self, attr) -> int:
        value, form = attr
        if form in (0x1B, 0x29, 0x2A, 0x2B, 0x2C, 0x1F01):
            data = self.dwarf.section(".debug_addr")
            at = self.addr_base + value * self.addr_size
            if at + self.addr_size > len(data):
                raise DwarfError(f"address index {value} outside .debug_addr")
            return int.from_bytes(data[at:at + self.addr_size], "little")
        return value

    def ref(self, attr) -> "_Die | None":
        value, form = attr
        if form == 0x10:
            return self.by_offset.get(value)
        return self.by_offset.get(self.offset + value)

    def origin(self, die: _Die) -> _Die | None:
        for at in (AT_ABSTRACT_ORIGIN, AT_SPECIFICATION):
            a = die.attrs.get(at)
            if a is not None:
                return self.ref(a)
        return None

    def die_name(self, die: _Die, depth: int = 0) -> str | None:
        name = self.string(die.attrs.get(AT_NAME))
        if name is None and depth < 8:
            o = self.origin(die)
            if o is not None:
                return self.die_name(o, depth + 1)
        return name

    def die_type(self, die: _Die, depth: int = 0) -> TypeInfo | None:
        a = die.attrs.get(AT_TYPE)
        if a is None:
            o = self.origin(die) if depth < 8 else None
            return self.die_type(o, depth + 1) if o is not None else None
        return self.type_info(self.ref(a))

    def type_info(self, t: "_Die | None", depth: int = 0) -> TypeInfo | None:
        if t is None or depth > 16:
            return None
        kind = TYPE_TAGS.get(t.tag)
        name = self.string(t.attrs.get(AT_NAME))
        inner_attr = t.attrs.get(AT_TYPE)
        inner = self.type_info(self.ref(inner_attr), depth + 1) if inner_attr else None
        if kind == "base":
            return TypeInfo(name or "?", t.attrs.get(AT_ENCODING, (None, 0))[0],
                            t.attrs.get(AT_BYTE_SIZE, (None, 0))[0])
        if kind == "pointer" or kind == "reference":
            return TypeInfo(f"{inner.name if inner else 'void'} *", None, self.addr_size, True)
        if kind in ("typedef",):
            base = inner or TypeInfo("?")
            return TypeInfo(name or base.name, base.encoding, base.size, base.pointer)
        if kind in ("const", "volatile", "restrict"):
            base = inner or TypeInfo("void")
            return TypeInfo(f"{kind} {base.name}", base.encoding, base.size, base.pointer)
        if kind == "array":
            count = ""
            for c in t.children:
                if c.tag == 0x21:
                    n = c.attrs.get(0x37) or c.attrs.get(0x2F)
                    if n is not None and isinstance(n[0], int):
                        count = str(n[0] + (1 if 0x2F in c.attrs and 0x37 not in c.attrs else 0))
            n = int(count) if count else None
            size = inner.size * n if inner is not None and inner.size and n else None
            return TypeInfo(f"{inner.name if inner else '?'}[{count}]", None, size,
                            element=inner, count=n)
        if kind in ("struct", "union", "enum"):
            size = t.attrs.get(AT_BYTE_SIZE, (None, 0))[0]
            enc = ATE_SIGNED if kind == "enum" else None
            return TypeInfo(f"{kind} {name or '(anonymous)'}", enc,
                            size if kind == "enum" else None)
        return TypeInfo(name or kind or "?")

    def die_ranges(self, die: _Die) -> list[tuple[int, int]]:
        attrs = die.attrs
        low = attrs.get(AT_LOW_PC)
        if low is not None and AT_HIGH_PC in attrs:
            lo = self.addr(low)
            hv, hform = attrs[AT_HIGH_PC]
            is_address = hform in (0x01, 0x1B, 0x29, 0x2A, 0x2B, 0x2C)
            hi = self.addr((hv, hform)) if is_address else lo + hv
            return [] if lo in _TOMBSTONES or (lo == 0 and hi <= 0) else [(lo, hi)]
        rng = attrs.get(AT_RANGES)
        if rng is not None:
            return self.range_list(rng)
        return []

    def range_list(self, attr) -> list[tuple[int, int]]:
        value, form = attr
        out = []
        if self.version < 5:
            r = _R(self.dwarf.section(".debug_ranges"), value)
            return [(lo, hi) for lo, hi in self._v4_list(r)
                    if lo not in _TOMBSTONES and lo != hi]
        data = self.dwarf.section(".debug_rnglists")
        if form == 0x23:  # rnglistx
            at = self.rnglists_base + value * self.osize
            value = self.rnglists_base + _R(data, at).offset(self.osize)
        r = _R(data, value)
        base = self.base
        while True:
            kind = r.u8()
            if kind == 0:
                return out
            if kind == 1:
                base = self.addr((r.uleb(), 0x1B))
            elif kind == 2:
                lo, hi = self.addr((r.uleb(), 0x1B)), self.addr((r.uleb(), 0x1B))
                out.append((lo, hi))
            elif kind == 3:
                lo = self.addr((r.uleb(), 0x1B))
                out.append((lo, lo + r.uleb()))
            elif kind == 4:
                lo, hi = r.uleb(), r.uleb()
                out.append((base + lo, base + hi))
            elif kind == 5:
                base = int.from_bytes(r.take(self.addr_size), "little")
            elif kind == 6:
                lo = int.from_bytes(r.take(self.addr_size), "little")
                hi = int.from_bytes(r.take(self.addr_size), "little")
                out.append((lo, hi))
            elif kind == 7:
                lo = int.from_bytes(r.take(self.addr_size), "little")
                out.append((lo, lo + r.uleb()))
            else:
                raise DwarfError(f"unknown range list entry {kind}")
            if out and (out[-1][0] in _TOMBSTONES or out[-1][0] == out[-1][1]):
                out.pop()

    def die_location(self, die: _Die):
        a = die.attrs.get(AT_LOCATION)
        if a is None:
            return None
        value, form = a
        if isinstance(value, bytes):
            return parse_location(value)
        if form in _SEC_OFFSET_FORMS or form == 0x22:
            return self.location_list(value, form)
        return None

    def _v4_list(self, r):
        """The ranges of a DWARF 4 range or location list read from `r`, made absolute
        (base address selection entries applied), up to its end-of-list entry; a
        location list's caller reads each entry's expression before the next range."""
        base = self.base
        while True:
            lo, hi = r.u32(), r.u32()
            if lo == 0 and hi == 0:
                return
            if lo == 0xFFFFFFFF:
                base = hi
                continue
            yield base + lo, base + hi

    def location_list(self, value: int, form: int) -> list:
        out = []
        if self.version < 5:
            r = _R(self.dwarf.section(".debug_loc"), value)
            for lo, hi in self._v4_list(r):
                expr = r.take(r.u16())  # each entry's expression follows its range
                if lo not in _TOMBSTONES:
                    out.append((lo, hi, parse_location(expr)))
            return out
        data = self.dwarf.section(".debug_loclists")
        if form == 0x22:  # loclistx
            at = self.loclists_base + value * self.osize
            value = self.loclists_base + _R(data, at).offset(self.osize)
        r = _R(data, value)
        base = self.base
        while True:
            kind = r.u8()
            if kind == 0:
                return out
            lo = hi = None
            if kind == 1:
                base = self.addr((r.uleb(), 0x1B))
                continue
            if kind == 2:
                lo, hi = self.addr((r.uleb(), 0x1B)), self.addr((r.uleb(), 0x1B))
            elif kind == 3:
                lo = self.addr((r.uleb(), 0x1B))
                hi = lo + r.uleb()
            elif kind == 4:
                lo, hi = base + r.uleb(), base + r.uleb()
            elif kind == 5:  # default location: everywhere no other entry applies
                out.append((0, 1 << 64, parse_location(r.take(r.uleb()))))
                continue
            elif kind == 6:
                base = int.from_bytes(r.take(self.addr_size), "little")
                continue
            elif kind == 7:
                lo = int.from_bytes(r.take(self.addr_size), "little")
                hi = int.from_bytes(r.take(self.addr_size), "little")
            elif kind == 8:
                lo = int.from_bytes(r.take(self.addr_size), "little")
                hi = lo + r.uleb()
            else:
                raise DwarfError(f"unknown location list entry {kind}")
            expr = r.take(r.uleb())
            if lo not in _TOMBSTONES:
                out.append((lo, hi, parse_location(expr)))

    def file_name(self, index: int) -> str | None:
        files = self.line_files
        return files[index] if 0 <= index < len(files) else None


def _join(directory: str, name: str) -> str:
    if not directory or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return name
    return posixpath.join(directory, name)


def file_matches(recorded: str, wanted: str) -> bool:
    """Whether `wanted` (what a user types: `prog.c`, `src/prog.c`, a full path) names
    the recorded path `recorded` (`./prog.c`, `/home/me/src/prog.c`)."""
    rec = posixpath.normpath(recorded.replace("\\", "/"))
    want = posixpath.normpath(wanted.replace("\\", "/"))
    if rec == want:
        return True
    return rec.endswith("/" + want.lstrip("./")) or posixpath.basename(rec) == want

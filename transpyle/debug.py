"""Stepping through wasm in pdb.

Generated code objects are ordinary Python functions whose source is their listing
(see `transpyle.codegen.listing`), so pdb works on them as on any Python: `step` into a
wasm function from Python, `next`, `until`, `list`, `where`, `p l0`. These helpers find
the code of a wasm function by name:

    from transpyle.debug import break_at, debug_call
    p = pdb.Pdb()
    break_at(p, instance, "fib")          # a breakpoint on fib's first statement
    debug_call(instance.exports["main"])  # run under pdb, stopped in main's first line
"""

from __future__ import annotations

import dis
import linecache
import pdb
import re
import sys
import types
from typing import Any

from .codegen.listing import is_wasm_filename

__all__ = ["wasm_code", "first_line", "break_at", "debug_call", "SourcePdb", "break_source",
           "source_breakpoint", "source_breakpoints", "source_position", "c_variable",
           "c_variables"]


def wasm_code(target: Any, func: str | int | None = None) -> types.CodeType:
    """The generated code object of a wasm function.

    `target` is a `Function` (an export), or an `Instance` with `func` naming a function
    by export name, name-section name or index."""
    if func is not None:
        inst = target
        index = inst.compiled.func_index(func)
        fn = inst.namespace.get(f"b{index}") or inst.namespace[f"f{index}"]
    else:
        fn = getattr(target, "body", None) or getattr(target, "fn", target)
    materialize = getattr(fn, "_transpyle_materialize", None)
    if materialize is not None:  # lazy compilation: not called yet, make it now
        fn = materialize()
    code = getattr(fn, "__code__", None)
    # a listener decorator or boundary wrapper: find the wasm code it calls
    seen = set()
    while code is not None and not is_wasm_filename(code.co_filename) and id(fn) not in seen:
        seen.add(id(fn))
        inner = getattr(fn, "__wrapped__", None)
        if inner is None:
            break
        fn = inner
        code = getattr(fn, "__code__", None)
    if code is None or not is_wasm_filename(code.co_filename):
        raise ValueError(f"{target!r} is not a wasm function compiled by transpyle")
    return code


def first_line(code: types.CodeType) -> int:
    """The first listing line with code after the `def` line (the first statement)."""
    lines = sorted({line for _, line in dis.findlinestarts(code) if line and line > 1})
    return lines[0] if lines else 1


def break_at(debugger: pdb.Pdb, target: Any, func: str | int | None = None,
             line: int | None = None, **kwargs) -> int:
    """Set a breakpoint on a wasm function's first statement (or on listing line
    `line`); returns the line. Extra arguments go to `Pdb.set_break` (e.g. cond=)."""
    code = wasm_code(target, func)
    lineno = first_line(code) if line is None else line
    err = debugger.set_break(code.co_filename, lineno, **kwargs)
    if err:
        raise ValueError(err)
    return lineno


def debug_call(function: Any, *args: Any, debugger: pdb.Pdb | None = None) -> Any:
    """Call a wasm `Function` under pdb, stopped at its first statement: the prompt
    shows the listing line. Returns what the call returns."""
    p = debugger if debugger is not None else pdb.Pdb()
    code = wasm_code(function)
    p.reset()
    lineno = first_line(code)
    p.set_break(code.co_filename, lineno, temporary=True)
    # run until that breakpoint (continue semantics from this frame) ...
    p.botframe = sys._getframe()
    p.set_continue()
    sys.settrace(p.trace_dispatch)
    try:
        return function(*args)
    finally:
        sys.settrace(None)
        p.clear_all_breaks() if debugger is None else None


# -- source-level debugging (DWARF) ---------------------------------------------------
#
# A module built with -g carries DWARF: `transpyle.sourcemap` maps each listing line
# (by the wasm offset it ends with) to a source line. pdb still steps listing lines;
# these helpers and `SourcePdb`'s commands work in source lines on top of them.


def _frame_source(frame):
    """(source map, function index, wasm offset of the current listing line) of a wasm
    frame whose module has DWARF, else None."""
    from .sourcemap import listing_offset, lookup

    fname = frame.f_code.co_filename
    found = lookup(fname)
    if found is None:
        return None
    smap, index = found
    offset = listing_offset(linecache.getline(fname, frame.f_lineno))
    if offset is None:
        return None
    return smap, index, offset


def source_position(frame) -> tuple[str, int, int] | None:
    """(file, line, column) of the source line a wasm frame is at, or None (no DWARF,
    or compiler-made code with no line)."""
    here = _frame_source(frame)
    if here is None:
        return None
    smap, _, offset = here
    row = smap.row(offset)
    if row is None:
        return None
    return smap.display_name(row.file), row.line, row.column


def _source_maps(target):
    from . import sourcemap

    if target is None:
        return sourcemap.maps()
    compiled = getattr(target, "compiled", target)  # an Instance, or a CompiledModule
    smap = getattr(compiled, "source_map", None)
    if smap is None:
        raise ValueError(f"{target!r} has no DWARF debug info (build it with -g)")
    return [smap]


def source_breakpoints(target: Any, file: str, line: int, search: int = 20,
                       prefer=None) -> tuple[list[tuple[str, int]], int]:
    """Where `break file:line` stops: ([(code filename, listing line), ...], the source
    line used). The first location is the listing line of the line's first instruction
    (its lowest address); the others are where further runs of its code start (a loop
    the compiler unrolled, a line it duplicated), as gdb sets one breakpoint with
    several locations. A line without code moves to the next line that has some (up
    to `search` lines further), as gdb does. `target`: an `Instance`, a
    `CompiledModule`, or None for every module with DWARF loaded so far (`prefer`, a
    `SourceMap`, is searched first: the debugger passes the current frame's).
    `ValueError` if there is no code there."""
    from .sourcemap import listing_offset

    maps = _source_maps(target)
    if prefer is not None and prefer in maps:
        maps.remove(prefer)
        maps.insert(0, prefer)
    known = False
    for wanted in range(line, line + search + 1):
        for smap in maps:
            if not smap.has_file(file):
                continue
            known = True
            starts = smap.offsets_of(file, wanted)[:1] + smap.line_starts(file, wanted)
            found: list[tuple[str, int]] = []
            for offset in starts:
                index = smap.function_of(offset)
                if index is None:
                    continue
                fname, lines = smap.listing_of(index)
                if fname is None:
                    continue
                with_code = _code_lines(smap, index, fname)
                best = None  # the first listing line with code that reaches this offset
                for n, text in enumerate(lines, 1):
                    off = listing_offset(text)
                    if (off is not None and off >= offset and (best is None or off < best[0])
                            and (with_code is None or n in with_code)):
                        best = (off, n)
                if best is not None and (fname, best[1]) not in found:
                    found.append((fname, best[1]))
            if found:
                return found, wanted
    if not known:
        raise ValueError(f"no source file {file!r} in the DWARF of "
                         f"{'any loaded module' if target is None else repr(target)}")
    raise ValueError(f"no code for {file}:{line} (nor the {search} lines after it)")


def _code_lines(smap, index: int, fname: str) -> set[int] | None:
    """The listing lines of function `index` that have bytecode (a `while True:` or
    `else:` line has none: a breakpoint there never stops), or None if unknown."""
    compiled = smap.compiled() if smap.compiled is not None else None
    if compiled is None:
        return None
    code = None
    if compiled.lazy is not None:
        fcode, bcode = compiled.lazy.function(index)
        code = bcode or fcode
    elif compiled.code.factory is not None:
        for const in compiled.code.factory.co_consts:
            if isinstance(const, types.CodeType) and const.co_filename == fname:
                code = const
                break
    if code is None:
        return None
    return {line for _, line in dis.findlinestarts(code) if line}


def source_breakpoint(target: Any, file: str, line: int, search: int = 20,
                      prefer=None) -> tuple[str, int, int]:
    """The first location of `source_breakpoints`: (code filename, listing line, the
    source line used)."""
    found, used = source_breakpoints(target, file, line, search, prefer)
    return found[0][0], found[0][1], used


def break_source(debugger: pdb.Pdb, target: Any, file: str, line: int,
                 **kwargs) -> list[tuple[str, int]]:
    """Set a breakpoint at source line `file:line`, at each of its locations (see
    `source_breakpoints`; the first is the line's first instruction); returns the
    (code filename, listing line) of each. Extra arguments go to `Pdb.set_break`."""
    found, _ = source_breakpoints(target, file, line)
    for fname, lineno in found:
        err = debugger.set_break(fname, lineno, **kwargs)
        if err:
            raise ValueError(err)
    return found


def _local_idents(module, index: int) -> list[str]:
    """The Python names of a function's wasm locals, as codegen gives them."""
    from .codegen import python_identifier
    from .codegen.translate import Translator

    k = index - module.num_imported_funcs
    ftype = module.types[module.funcs[k]]
    local_types = list(ftype.params) + list(module.codes[k].locals)
    names = {i: python_identifier(n, f"l{i}")
             for i, n in module.names.locals.get(index, {}).items()}
    holder = types.SimpleNamespace(local_types=local_types, local_names=names)
    return Translator.local_idents(holder)


def _typed(value: int | float, t) -> Any:
    """A raw wasm value as its C type says (signed ints, pointers in hex)."""
    from .wasm.dwarf import ATE_SIGNED, ATE_SIGNED_CHAR

    if t is None or not isinstance(value, int):
        return value
    size = t.size or 4
    if t.encoding in (ATE_SIGNED, ATE_SIGNED_CHAR):
        bits = 8 * size
        value &= (1 << bits) - 1
        return value - (1 << bits) if value >> (bits - 1) else value
    return value


def _read_memory(frame, address: int, t):
    """The value of C type `t` at `address` of memory 0, or None if not readable."""
    import struct

    from .wasm.dwarf import ATE_FLOAT, ATE_SIGNED, ATE_SIGNED_CHAR

    mem = frame.f_globals.get("mem0")
    if mem is None or t is None:
        return None
    if t.element is not None and t.count and t.element.size:
        n = min(t.count, 64)
        items = [_read_memory(frame, address + i * t.element.size, t.element) for i in range(n)]
        return items if None not in items else None
    size = t.size
    if size not in (1, 2, 4, 8) or address < 0 or address + size > len(mem):
        return None
    raw = bytes(mem[address:address + size])
    if t.encoding == ATE_FLOAT and size in (4, 8):
        return struct.unpack("<f" if size == 4 else "<d", raw)[0]
    signed = t.encoding in (ATE_SIGNED, ATE_SIGNED_CHAR)
    return int.from_bytes(raw, "little", signed=signed)


def _show(value, t) -> str:
    """A value as the debugger prints it: pointers in hex."""
    if t is not None and t.pointer and isinstance(value, int):
        return hex(value)
    if isinstance(value, list) and t is not None and t.element is not None:
        return "[" + ", ".join(_show(v, t.element) for v in value) + "]"
    return repr(value)


def _global_value(frame, index: int):
    v = frame.f_globals.get(f"g{index}")
    return v[0] if isinstance(v, list) else v


def c_variables(frame) -> list[str]:
    """The names of the source variables visible at a wasm frame's current line."""
    here = _frame_source(frame)
    if here is None:
        return []
    smap, _, offset = here
    seen, out = set(), []
    for v in smap.variables(offset):
        if v.name not in seen:
            seen.add(v.name)
            out.append(v.name)
    return out


def c_variable(frame, name: str) -> tuple[Any, str]:
    """The value of source variable `name` (a C, Rust or Zig local or parameter) in a
    wasm frame, from its DWARF location at the frame's current line: (value, text)
    where text is `name = value` with where it lives, or, with value None, says why
    it cannot be shown (in linear memory and unreadable, on the operand stack,
    optimised out here, unknown)."""
    here = _frame_source(frame)
    if here is None:
        return None, ("no DWARF source information for this frame (not a wasm frame, "
                      "or a module built without -g)")
    smap, index, offset = here
    candidates = [v for v in smap.variables(offset) if v.name == name]
    if not candidates:
        visible = ", ".join(c_variables(frame)) or "none"
        return None, f"no source variable {name!r} in scope here (visible: {visible})"
    var = candidates[0]
    tname = var.type.name if var.type is not None else "?"
    loc = var.location_at(offset - smap.code_start)
    if loc is None:
        return None, f"{name} ({tname}) is optimised out here (no location at this line)"
    if loc.kind == "local":
        idents = _local_idents(smap.module, index)
        if loc.value >= len(idents):
            return None, f"{name}: DWARF names wasm local {loc.value}, which does not exist"
        py = idents[loc.value]
        if py not in frame.f_locals:
            return None, f"{name} is wasm local {loc.value} ({py}), not set in this frame"
        value = _typed(frame.f_locals[py], var.type)
        return value, (f"{name} = {_show(value, var.type)}  ({tname}, wasm local {loc.value}: "
                       f"Python local {py})")
    if loc.kind == "global":
        value = _typed(_global_value(frame, loc.value), var.type)
        return value, f"{name} = {_show(value, var.type)}  ({tname}, wasm global {loc.value})"
    if loc.kind == "const":
        value = _typed(loc.value, var.type)
        return value, f"{name} = {_show(value, var.type)}  ({tname}, a constant at this line)"
    if loc.kind == "memory":
        where = f"DW_OP_fbreg {loc.value:+d}" if loc.frame_base else f"address {loc.value:#x}"
        address = None
        if loc.frame_base:
            fb = smap.frame_base(offset)
            base = None
            if fb is not None and fb.kind == "local":
                idents = _local_idents(smap.module, index)
                if fb.value < len(idents):
                    base = frame.f_locals.get(idents[fb.value])
            elif fb is not None and fb.kind == "global":
                base = _global_value(frame, fb.value)
            if isinstance(base, int):
                address = (base + loc.value) & 0xFFFFFFFF
        else:
            address = loc.value
        if address is None:
            return None, (f"{name} ({tname}) is in linear memory ({where}), at an address "
                          f"this frame cannot compute (unknown frame base)")
        value = _read_memory(frame, address, var.type)
        text = f"{name} ({tname}) is in linear memory at {address:#x} ({where})"
        if value is None:
            return None, text + "; its value is not readable as that type"
        return value, f"{text}: {_show(value, var.type)}"
    if loc.kind == "stack":
        # slots count from the bottom of the function's operand stack, as codegen's
        # s<k>; code compiled with debug=True (transpyle debug) keeps each in a local
        slot = f"s{loc.value}"
        if slot in frame.f_locals:
            value = _typed(frame.f_locals[slot], var.type)
            return value, (f"{name} = {_show(value, var.type)}  ({tname}, wasm operand stack slot "
                           f"{loc.value}: Python local {slot})")
        return None, (f"{name} ({tname}) is on the wasm operand stack here (slot "
                      f"{loc.value}), not in a local: compile with Runtime(debug=True) "
                      f"to see stack slots, or step to a later line")
    return None, f"{name} ({tname}): location not supported ({loc.text})"


class SourcePdb(pdb.Pdb):
    """pdb with source-level commands for wasm built with DWARF (-g):

    - `break FILE:LINE` (e.g. `break prog.c:42`) for a source file named in the DWARF
      of a loaded module: a breakpoint on the listing line of that line's first
      instruction (other `break` arguments work as in pdb);
    - `snext` (`sn`) / `sstep` (`ss`): step listing lines until the source line
      changes, over calls / into them;
    - `cp NAME`: print a C (Rust, Zig) variable through its DWARF location; `clocals`:
      all of those visible; `cwhere`: the source position of each wasm frame.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sstep = None  # ("next" | "step", start frame, (file, line))

    # -- breakpoints ----------------------------------------------------------------

    _SOURCE_BREAK = re.compile(r"^\s*(?P<file>[^\s:,]+):(?P<line>\d+)\s*(?:,\s*(?P<cond>.*))?$")

    def do_break(self, arg, temporary=0):
        m = self._SOURCE_BREAK.match(arg or "")
        if m and not m.group("file").endswith((".py", ".pyw")):
            file, line, cond = m.group("file"), int(m.group("line")), m.group("cond")
            here = _frame_source(self.curframe) if self.curframe is not None else None
            try:
                found, used = source_breakpoints(None, file, line,
                                                 prefer=here[0] if here else None)
            except ValueError as err:
                if "no source file" not in str(err):
                    self.error(str(err))
                    return
            else:
                moved = f" (no code at line {line}: line {used})" if used != line else ""
                for fname, lineno in found:
                    err = self.set_break(fname, lineno, temporary, cond)
                    if err:
                        self.error(err)
                        return
                    bp = self.get_breaks(fname, lineno)[-1]
                    self.message(f"Breakpoint {bp.number} at {file}:{used}{moved}: "
                                 f"{fname}:{lineno}")
                return
        return super().do_break(arg, temporary)

    do_b = do_break

    def do_tbreak(self, arg):
        return self.do_break(arg, True)

    def print_stack_entry(self, frame_lineno, prompt_prefix=pdb.line_prefix):
        super().print_stack_entry(frame_lineno, prompt_prefix)
        frame = frame_lineno[0]
        here = _frame_source(frame)
        pos = source_position(frame) if here is not None else None
        if pos is not None and pos[1]:
            row = here[0].row(here[2])
            text = here[0].source_text(row.file, row.line) if row is not None else None
            self.message(f"   {pos[0]}:{pos[1]}" + (f": {text}" if text else ""))

    # -- source-line stepping -------------------------------------------------------

    def _source_key(self, frame):
        pos = source_position(frame)
        return None if pos is None else (pos[0], pos[1])

    def do_snext(self, arg):
        """snext (sn): run to the next source line in this frame, over calls."""
        return self._source_step("next")

    def do_sstep(self, arg):
        """sstep (ss): run to the next source line, into called functions."""
        return self._source_step("step")

    do_sn = do_snext
    do_ss = do_sstep

    def _source_step(self, mode: str):
        frame = self.curframe
        key = self._source_key(frame)
        if key is None:
            self.message("no source line here (no DWARF): stepping one listing line")
        self._sstep = (mode, frame, key)
        if mode == "next":
            self.set_next(frame)
        else:
            self.set_step()
        return 1

    def user_call(self, frame, argument_list):
        st = self._sstep
        if st is not None and st[0] == "step" and is_wasm_filename(frame.f_code.co_filename):
            self.set_step()  # sstep into a wasm function: on to its first source line
            return
        return super().user_call(frame, argument_list)

    def user_line(self, frame):
        st = self._sstep
        if st is not None:
            mode, start, key = st
            if not self.get_breaks(frame.f_code.co_filename, frame.f_lineno):
                here = self._source_key(frame)
                no_line = here is None or here[1] == 0  # line 0: compiler-made code
                if frame is start:
                    keep = key is not None and (no_line or here == key)
                else:  # another wasm function (sstep): stop at its first source line
                    keep = no_line and is_wasm_filename(frame.f_code.co_filename)
                if keep:
                    if mode == "next":
                        self.set_next(start)
                    else:
                        self.set_step()
                    return
            self._sstep = None
        return super().user_line(frame)

    def user_return(self, frame, return_value):
        self._sstep = None
        return super().user_return(frame, return_value)

    def user_exception(self, frame, exc_info):
        self._sstep = None
        return super().user_exception(frame, exc_info)

    # -- source variables and frames --------------------------------------------------

    def do_cp(self, arg):
        """cp NAME: print a C (Rust, Zig) variable of the current frame from DWARF."""
        name = arg.strip()
        if not name:
            self.error("usage: cp NAME")
            return
        _, text = c_variable(self.curframe, name)
        self.message(text)

    def do_clocals(self, arg):
        """clocals: every source variable visible here, with its value or why not."""
        names = c_variables(self.curframe)
        if not names:
            self.message("no source variables here")
        for name in names:
            self.message(c_variable(self.curframe, name)[1])

    def do_cwhere(self, arg):
        """cwhere: the source position of each wasm frame, innermost last."""
        frames = []
        f = self.curframe
        while f is not None:
            if is_wasm_filename(f.f_code.co_filename):
                frames.append(f)
            f = f.f_back
        for f in reversed(frames):
            pos = source_position(f)
            where = f"{pos[0]}:{pos[1]}:{pos[2]}" if pos else "(no source position)"
            self.message(f"{f.f_code.co_name}  {where}")

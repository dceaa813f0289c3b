"""Source positions of wasm code from its DWARF: what listings with source, trap stack
traces and the source-level debugger (`transpyle.debug`) share.

A `SourceMap` belongs to one compiled module that has a `.debug_line` section (codegen
notes that at compile time by looking at the custom sections' names; nothing is
parsed then). It maps module byte offsets, the `@0x..` at the end of every listing
line, to DWARF rows, finds the listing line of a `file:line`, and the source text
of a line. The DWARF itself (`transpyle.wasm.dwarf`) is parsed on the first question;
malformed DWARF gives one `DwarfWarning` and the module goes on without source info.

Every code filename of such a module is registered (`register`), so that a trap or a
pdb frame, which only has a code object's filename and a listing line, finds its
`SourceMap` and function index (`lookup`).
"""

from __future__ import annotations

import linecache
import os
import posixpath
import re
import threading
import warnings

from .runtime.boundary import fold_frames
from .wasm import opcodes as O
from .wasm.dwarf import DebugInfo, LineRow, file_matches

__all__ = ["DwarfWarning", "SourceMap", "register", "lookup", "listing_offset",
           "source_stack", "has_dwarf"]


class DwarfWarning(UserWarning):
    """A module's DWARF could not be read; it runs without source positions."""


_OFFSET = re.compile(r"@0x([0-9a-f]+)$")
_MAPS: dict[str, tuple["SourceMap", int]] = {}  # code filename -> (map, function index)
_lock = threading.Lock()


def has_dwarf(module) -> bool:
    """Whether a decoded module carries a DWARF line table (a look at section names)."""
    return any(c.name == ".debug_line" for c in module.customs)


def listing_offset(text: str) -> int | None:
    """The wasm byte offset a listing line ends with (`# ... @0x2d`), else None."""
    m = _OFFSET.search(text.rstrip())
    return int(m.group(1), 16) if m else None


def _printable(text: str) -> str:
    """Text safe to put in a listing comment: one line, no control characters (a
    source file or a DWARF name must not be able to add listing lines)."""
    text = text.replace("\t", "    ")
    return "".join(c if c.isprintable() else "?" for c in text)


class SourceMap:
    """The DWARF of one module as offsets, rows, functions and source text. `module`
    is the decoded `Module`, or a callable returning it (a module loaded from the disk
    cache is decoded only when its DWARF is first needed)."""

    def __init__(self, module, source_dir: str | os.PathLike | None = None):
        self._module = module
        self.source_dir = None if source_dir is None else os.fspath(source_dir)
        self._dwarf = None
        self._broken = False
        self._loaded = False
        self._lock = threading.Lock()
        self.code_start = 0
        self.filenames: dict[int, str] = {}  # function index -> code filename
        self.compiled = None  # a weak reference to the CompiledModule, when known

    # -- the DWARF, guarded ---------------------------------------------------------------

    @property
    def module(self):
        m = self._module
        return m() if callable(m) else m

    @property
    def dwarf(self) -> DebugInfo | None:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    try:
                        self._dwarf = DebugInfo.from_module(self.module)
                        self.code_start = self.module.code_section_offset
                    except Exception as err:  # noqa: BLE001 - never break a run
                        self._fail(err)
                    self._loaded = True
        return None if self._broken else self._dwarf

    def _fail(self, err: BaseException) -> None:
        if not self._broken:
            self._broken = True
            warnings.warn(f"cannot read the module's DWARF ({type(err).__name__}: {err}); "
                          f"going on without source positions", DwarfWarning, stacklevel=3)

    def _ask(self, question, default=None):
        d = self.dwarf
        if d is None:
            return default
        try:
            return question(d)
        except Exception as err:  # noqa: BLE001 - malformed DWARF: warn once, go on
            self._fail(err)
            return default

    # -- positions ----------------------------------------------------------------------

    def row(self, offset: int) -> LineRow | None:
        """The DWARF row of the instruction at module byte offset `offset`."""
        return self._ask(lambda d: d.row_at(offset - self.code_start))

    def frames(self, offset: int) -> list:
        """Source frames at `offset`, innermost first: (function, file, line, column,
        inlined)."""
        return self._ask(lambda d: d.frames_at(offset - self.code_start), [])

    def variables(self, offset: int) -> list:
        return self._ask(lambda d: d.variables_at(offset - self.code_start), [])

    def frame_base(self, offset: int):
        return self._ask(lambda d: d.frame_base_at(offset - self.code_start))

    def files(self) -> list[str]:
        return self._ask(lambda d: d.files(), [])

    def has_file(self, file: str) -> bool:
        return any(file_matches(f, file) for f in self.files())

    def offsets_of(self, file: str, line: int) -> list[int]:
        """Module byte offsets of the code of `file:line`, lowest first."""
        return self._ask(lambda d: [a + self.code_start for a in d.addresses(file, line)], [])

    def line_starts(self, file: str, line: int) -> list[int]:
        """Module byte offsets where runs of the code of `file:line` start."""
        return self._ask(lambda d: [a + self.code_start for a in d.line_starts(file, line)], [])

    def function_of(self, offset: int) -> int | None:
        """The function index whose body holds module byte offset `offset`."""
        m = self.module
        for k, code in enumerate(m.codes):
            if code.offset <= offset < code.offset + code.size:
                return m.num_imported_funcs + k
        return None

    def listing_of(self, index: int) -> tuple[str | None, list[str]]:
        """(code filename, listing lines) of function `index` (translated now if the
        module is compiled lazily)."""
        fname = self.filenames.get(index)
        if fname is None:
            return None, []
        lines = linecache.cache.get(fname, (0, 0, []))[2]
        if not lines and self.compiled is not None:
            c = self.compiled()
            if c is not None:
                try:
                    c.source(index)
                except KeyError:
                    pass
                lines = linecache.cache.get(fname, (0, 0, []))[2]
        return fname, lines

    # -- source text --------------------------------------------------------------------

    def display_name(self, file: str) -> str:
        return _printable(posixpath.normpath(file.replace("\\", "/")))

    def find_file(self, file: str, source_dir: str | None = None) -> str | None:
        """The path of `file` (as DWARF records it) on this machine: under `source_dir`
        (as recorded, then by its base name), under each compilation directory, or as
        recorded (absolute, or relative to the working directory)."""
        dirs = [d for d in (source_dir, self.source_dir) if d]
        candidates = []
        for d in dirs:
            candidates += [os.path.join(d, file), os.path.join(d, os.path.basename(file))]
        for comp_dir in self._ask(lambda d: d.comp_dirs, []) or ():
            if not os.path.isabs(file):
                candidates.append(os.path.join(comp_dir, file))
        candidates.append(file)
        for path in candidates:
            if os.path.isfile(path):
                return path
        return None

    def source_text(self, file: str, line: int, source_dir: str | None = None) -> str | None:
        path = self.find_file(file, source_dir)
        if path is None:
            return None
        text = linecache.getline(path, line)
        return _printable(text.strip()) if text else None

    def comment(self, row: LineRow, source_dir: str | None = None) -> str:
        """`# prog.c:42: total += a[i];` (the source text when the file is found)."""
        text = self.source_text(row.file, row.line, source_dir)
        where = f"{self.display_name(row.file)}:{row.line}"
        return f"# {where}: {text}" if text else f"# {where}"

    def comment_hook(self, source_dir: str | None = None, start: int | None = None):
        """A translator `source_comment` hook: before a listing line, a comment for each
        source line whose code starts since the previous listing line's offset (a
        statement that folds code of several source lines gets them all, in address
        order), unless it is the source line already shown; rows of line 0
        (compiler-made code) show nothing. `start`: the function body's offset (the
        first listing line's window starts there)."""
        state = {"last": None, "prev": None if start is None else start - 1}

        def comment(offset: int) -> list[str]:
            prev, state["prev"] = state["prev"], offset
            if prev is not None and prev < offset:
                rows = self._ask(lambda d: d.rows_between(prev + 1 - self.code_start,
                                                          offset - self.code_start), [])
            else:
                rows = [self.row(offset)]
            out = []
            for row in rows:
                if row is None or row.line == 0:
                    continue
                key = (row.file, row.line)
                if key == state["last"]:
                    continue
                state["last"] = key
                out.append(self.comment(row, source_dir))
            return out

        return comment

    # -- trap frames --------------------------------------------------------------------

    def trap_offset(self, index: int, listing: list[str], lineno: int, message: str,
                    callee: int | None) -> int | None:
        """The wasm offset of what a frame was doing at listing line `lineno`: a call
        of `callee` (the next frame's function) for a caller, the instruction that can
        raise `message` for the innermost frame, among the instructions of that
        line's statement (after the previous listing line's offset, up to its own);
        else the line's own offset."""
        if not 0 < lineno <= len(listing):
            return None
        hi = listing_offset(listing[lineno - 1])
        if hi is None:
            return None
        lo = -1
        for k in range(lineno - 2, 0, -1):
            off = listing_offset(listing[k])
            if off is not None and off < hi:
                lo = off
                break
        m = self.module
        k = index - m.num_imported_funcs
        if not 0 <= k < len(m.codes):
            return hi
        window = [ins for ins in m.codes[k].body if lo < ins[2] <= hi]
        if callee is not None:
            calls = [ins[2] for ins in window if ins[0] == O.CALL and ins[1] == callee]
            calls = calls or [ins[2] for ins in window
                              if ins[0] in (O.CALL, O.CALL_INDIRECT)]
            if calls:
                return calls[-1]
            return hi
        names = _TRAPPING.get(message.split(":")[0].strip())
        if names:
            hits = [ins[2] for ins in window
                    if (O.OPS.get(ins[0]) is not None and any(
                        n in O.OPS[ins[0]].name for n in names))]
            if hits:
                return hits[0]
        return hi


# the instructions (by name part) that raise each trap, to find a trap's instruction
_TRAPPING = {
    "integer divide by zero": ("div_", "rem_"),
    "integer overflow": ("div_s", "trunc_f", "trunc_s", "trunc_u"),
    "invalid conversion to integer": ("trunc_",),
    "out of bounds memory access": ("load", "store", "memory.", "atomic"),
    "unreachable": ("unreachable",),
    "undefined element": ("call_indirect", "table."),
    "uninitialized element": ("call_indirect",),
    "indirect call type mismatch": ("call_indirect",),
}


def register(filenames: dict[int, str], smap: SourceMap) -> None:
    """Make `smap` the source map of these code filenames (function index -> name)."""
    with _lock:
        for index, fname in filenames.items():
            _MAPS[fname] = (smap, index)
        smap.filenames.update(filenames)


def lookup(fname: str) -> tuple[SourceMap, int] | None:
    return _MAPS.get(fname)


def maps() -> list[SourceMap]:
    """Every registered source map (for `break file.c:42` in pdb)."""
    seen, out = set(), []
    for smap, _ in list(_MAPS.values()):
        if id(smap) not in seen:
            seen.add(id(smap))
            out.append(smap)
    return out


def source_stack(frames: list[tuple[str, int]], labels: list[str],
                 message: str) -> list[str] | None:
    """A trap's wasm stack trace with source positions: for each frame (innermost
    first, `(code filename, listing line)`), its label and, when its module has DWARF,
    one `\\t\\tfile:line:col` line per source frame there (inlined calls marked
    `(inlined)`), as wazero prints it. None when no frame has DWARF (the caller keeps
    the plain trace). Runs of identical frames are folded as in the plain trace."""
    if not any(f in _MAPS for f, _ in frames):
        return None
    entries = []
    for i, ((fname, lineno), label) in enumerate(zip(frames, labels)):
        text = label
        found = _MAPS.get(fname)
        if found is not None:
            smap, index = found
            callee = None
            if i > 0:
                inner = _MAPS.get(frames[i - 1][0])
                callee = inner[1] if inner is not None and inner[0] is smap else None
            lines = linecache.getlines(fname)
            try:
                offset = smap.trap_offset(index, lines, lineno, message if i == 0 else "",
                                          callee if i > 0 else None)
            except Exception:  # noqa: BLE001 - a stack trace must never fail
                offset = None
            if offset is not None:
                for _name, file, line, col, inlined in smap.frames(offset):
                    text += (f"\n\t\t{smap.display_name(file)}:{line}:{col}"
                             + (" (inlined)" if inlined else ""))
        entries.append(text)
    return fold_frames(entries)


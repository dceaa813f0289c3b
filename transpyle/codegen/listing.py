"""Listings as source files: what makes tracebacks, pdb and coverage tools see wasm.

Every generated code object is named `<wasm://MODULE/FUNCTION>` (the angle brackets
matter: pdb turns a bare `wasm://...` into a path and then shows no source). Its
listing is put in `linecache` under that name with mtime None, which
`linecache.checkcache` leaves alone, so tracebacks print the statement of each wasm
frame and pdb's `list`, `step` and breakpoints work. The registry also keeps each
frame's wasm signature for wazero-style stack traces (`module.function(i32) i32`).
"""

from __future__ import annotations

import linecache

from ..wasm.types import FuncType

_SIGNATURES: dict[str, str] = {}


def filename(module_label: str, ident: str) -> str:
    return f"<wasm://{module_label}/{ident}>"


def is_wasm_filename(name: str) -> bool:
    return name.startswith("<wasm://") and name.endswith(">")


def signature_text(name: str, ftype: FuncType) -> str:
    """wazero's frame format: `name(i32,i64) f32`, `name()`, `name(i32) (i32,i32)`."""
    params = ",".join(str(t) for t in ftype.params)
    results = [str(t) for t in ftype.results]
    tail = "" if not results else " " + (results[0] if len(results) == 1 else f"({','.join(results)})")
    return f"{name}({params}){tail}"


def register(fname: str, source: str, frame_label: str | None = None) -> None:
    """Make `source` the text of file `fname` for linecache (and so for tracebacks and
    pdb), and remember the frame's label for wasm stack traces."""
    lines = source.splitlines(keepends=True)
    linecache.cache[fname] = (len(source), None, lines, fname)
    if frame_label is not None:
        _SIGNATURES[fname] = frame_label


def frame_label(fname: str) -> str:
    """`module.function(i32) i32` for a registered wasm code filename."""
    label = _SIGNATURES.get(fname)
    if label is not None:
        return label
    return fname[8:-1].replace("/", ".", 1)


def register_listings(code) -> None:
    """Register every listing of a `CompiledCode` (after compiling or loading it)."""
    for index, fname in code.filenames.items():
        register(fname, code.sources[index], code.frame_labels.get(index))

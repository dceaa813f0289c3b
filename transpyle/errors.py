"""The exceptions of the public API.

Every failure a user can cause is one of these: a malformed binary (`DecodeError`),
an invalid module (`ValidationError`), an import that does not fit (`LinkError`), or a
failure while wasm code runs (`Trap`).
"""

from __future__ import annotations


class CompileError(Exception):
    """A module could not be compiled: it is malformed or invalid."""


class DecodeError(CompileError):
    """The binary is malformed. `offset` is the byte offset where decoding failed."""

    def __init__(self, message: str, offset: int | None = None):
        self.reason = message
        self.offset = offset
        if offset is not None:
            message = f"{message} (at byte offset {offset:#x})"
        super().__init__(message)


class ValidationError(CompileError):
    """The module is well-formed but invalid.

    `func_index` is the function whose body failed (None for module-level rules),
    `offset` the byte offset of the offending instruction or section entry.
    """

    def __init__(self, message: str, func_index: int | None = None, offset: int | None = None):
        self.reason = message
        self.func_index = func_index
        self.offset = offset
        where = []
        if func_index is not None:
            where.append(f"function {func_index}")
        if offset is not None:
            where.append(f"byte offset {offset:#x}")
        if where:
            message = f"{message} (in {', at '.join(where)})"
        super().__init__(message)


class LinkError(Exception):
    """An import is missing or does not match the type the module declares."""


class Trap(Exception):
    """Wasm code failed. `str(trap)` starts with the specification's message.

    `wasm_stack` lists the wasm frames (innermost first) as `module.function` strings
    when known.
    """

    def __init__(self, message: str, *, wasm_stack: list[str] | None = None):
        self.message = message
        self.wasm_stack = wasm_stack or []
        super().__init__(message)

    _wasm_frames: list | None = None  # (code filename, listing line), innermost first

    def __str__(self) -> str:
        if not self.wasm_stack:
            return self.message
        stack = self.wasm_stack
        if self._wasm_frames:  # frames of modules with DWARF: add their source lines
            from transpyle.codegen.listing import frame_label
            from transpyle.sourcemap import source_stack

            detailed = source_stack(self._wasm_frames,
                                    [frame_label(f) for f, _ in self._wasm_frames],
                                    self.message)
            if detailed is not None:
                stack = detailed
        frames = "\n".join("\t" + f for f in stack)
        return f"{self.message}\nwasm stack trace:\n{frames}"


class Interrupted(Trap):
    """A call stopped because its context was cancelled or passed its deadline."""

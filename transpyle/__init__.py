"""transpyle: a pure-Python WebAssembly runtime whose engine compiles every wasm function
to a CPython code object. The public API is documented in docs/API.md."""

__version__ = "0.1.0"  # keep in step with pyproject.toml; part of the compiled-cache key

from transpyle.errors import (
    CompileError,
    DecodeError,
    Interrupted,
    LinkError,
    Trap,
    ValidationError,
)
from transpyle.experimental.context import Context
from transpyle.runtime.externs import Func, Function, Global, Memory, Table
from transpyle.runtime.instance import Instance
from transpyle.runtime.runtime import CompiledModule, Runtime
from transpyle.wasm.types import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    V128,
    FuncType,
    ValueType,
)

__all__ = [
    "Runtime", "CompiledModule", "Instance", "Function", "Memory", "Table", "Global",
    "FuncType", "ValueType", "I32", "I64", "F32", "F64", "V128", "FUNCREF", "EXTERNREF",
    "Func", "Context", "Trap", "Interrupted", "CompileError", "DecodeError", "ValidationError",
    "LinkError",
]

"""Function listeners: `FunctionListenerFactory`, `FunctionListener`,
`FunctionDefinition` (the contract is in `transpyle.experimental`'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from transpyle.experimental.context import Context
    from transpyle.wasm.types import FuncType

__all__ = ["FunctionDefinition", "FunctionListener", "FunctionListenerFactory"]


@dataclass(frozen=True)
class FunctionDefinition:
    """What a listener is told about the function it listens to.

    `index`: the function index in its module's index space (for a host function, the
    index of the import in the importing module); `name`: the name-section name, else
    the first export name, else `$index` (for a host function: the import's field
    name); `module_name`: the instance's module name (for a host function: the
    import's module name); `export_names`: the names the module exports it under;
    `type`: its `FuncType`; `is_host`: a Python host function (`transpyle.Func`);
    `param_names`: parameter names from the name section, or `()`;
    `import_name`: `(module, field)` for an imported function, else None.
    """

    index: int
    name: str
    module_name: str | None
    export_names: tuple[str, ...]
    type: "FuncType"
    is_host: bool = False
    param_names: tuple[str, ...] = ()
    import_name: tuple[str, str] | None = None

    @property
    def debug_name(self) -> str:
        """`module.name` (just `name` when the module has no name)."""
        return f"{self.module_name}.{self.name}" if self.module_name else self.name


class FunctionListener:
    """Notified before and after every call of one function. Subclass it (or write
    any object with these two methods); the defaults do nothing."""

    def before(self, ctx: "Context", module: Any, definition: FunctionDefinition,
               params: list) -> "Context":
        """Called before the function runs, with the caller's context and the raw
        parameters; returns the context of this call (nested calls see it as their
        caller's; returning `ctx` itself costs nothing extra)."""
        return ctx

    def after(self, ctx: "Context", module: Any, definition: FunctionDefinition,
              error: BaseException | None, results: list | None) -> None:
        """Called once per `before`, with the context `before` returned; `error` is the
        `Trap` or exception that ended the call (then `results` is None), else None
        and `results` the raw results."""


class FunctionListenerFactory:
    """Asked once per function at each instantiation (`Runtime(listener_factory=...)`).
    Subclass it, or pass any object with `new_listener`, or a plain callable
    `definition -> FunctionListener | None`."""

    def new_listener(self, definition: FunctionDefinition) -> FunctionListener | None:
        """The listener of the function `definition`, or None to leave it unwrapped
        (it then costs nothing extra)."""
        return None

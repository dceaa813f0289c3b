"""Contexts, function listeners and the logging listener.

Listeners
---------
`Runtime(listener_factory=factory)` asks `factory.new_listener(definition)` once per
function at each instantiation (wasm functions, and host functions the module
imports: `definition.is_host`). A function that gets a listener has its namespace
entry and its table entries replaced by a plain-Python wrapper, so every call fires
it: direct calls, `call_indirect`, `return_call`, calls from Python, from host
functions and from other instances. A function without one runs as before and costs
nothing extra. For each call:

* `listener.before(ctx, module, definition, params) -> Context`: `ctx` is the
  caller's context, `module` the `Instance` (for a host function, the importing
  instance), `params` the raw parameters (ints unsigned, floats as bit patterns). The
  context it returns is the context of this call: the calls it makes see it as their
  caller's, and `current_context()` returns it (host functions calling back into wasm
  without a `ctx` continue it).
* `listener.after(ctx, module, definition, error, results)`: exactly once per
  `before`, with the very context `before` returned; `error` is the `Trap` (or the
  host function's exception) that ended the call, innermost frame first, with
  `results` None; else `error` is None and `results` the raw results.

An exception raised by a listener reaches the caller like a host function's. Each
listened call is a Python frame more: a listened function reached by tail calls
(`return_call`) fires its listener on each of them, nested, so deep tail recursion
through a listened function uses stack that it would not use unlistened.

Example: time per function, nested correctly (inclusive and exclusive time), with
the timing frame carried in the context::

    import time
    from collections import Counter
    from transpyle.experimental import FunctionListener, FunctionListenerFactory

    class Timing(FunctionListenerFactory, FunctionListener):
        def __init__(self):
            self.calls, self.total, self.own = Counter(), Counter(), Counter()

        def new_listener(self, definition):
            return self  # one listener serves every function

        def before(self, ctx, module, definition, params):
            # this call's frame: [start, time spent in its callees, the caller's frame]
            return ctx.with_value(self, [time.perf_counter(), 0.0, ctx.value(self)])

        def after(self, ctx, module, definition, error, results):
            start, in_callees, parent = ctx.value(self)
            elapsed = time.perf_counter() - start
            name = definition.debug_name
            self.calls[name] += 1
            self.total[name] += elapsed
            self.own[name] += elapsed - in_callees
            if parent is not None:
                parent[1] += elapsed

    timing = Timing()
    rt = transpyle.Runtime(listener_factory=timing)
    inst = rt.instantiate(wasm_bytes)
    inst.exports["main"]()
    for name, own in timing.own.most_common(10):
        print(f"{name:30} {timing.calls[name]:8} calls {own * 1e3:9.3f} ms own "
              f"{timing.total[name] * 1e3:9.3f} ms total")

`transpyle.experimental.logging.LoggingListenerFactory` prints the call tree.

Contexts and termination
------------------------
`Function(*args, ctx=...)` and `call_raw(..., ctx=...)` run a call in a context;
`Runtime(close_on_context_done=True)` stops a call whose context is cancelled or
passes its deadline with `transpyle.Interrupted`, even inside an infinite loop.
"""

from transpyle.experimental.context import Context, current_context
from transpyle.experimental.listener import (
    FunctionDefinition,
    FunctionListener,
    FunctionListenerFactory,
)

__all__ = [
    "Context", "current_context", "FunctionDefinition", "FunctionListener",
    "FunctionListenerFactory",
]

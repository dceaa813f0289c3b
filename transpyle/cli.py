"""The `transpyle` command line (also `python -m transpyle`).

    transpyle run FILE.wasm [--dir HOST[:GUEST][:ro]] [--env K=V] [--timeout S]
                            [--trace[=PATTERN]] [--] ARGS...      a WASI command
    transpyle run FILE.wasm --invoke NAME [ARGS...]              call one export
    transpyle inspect FILE.wasm [--func NAME]                     summary and listings
    transpyle compile FILE.wasm [--cache-dir DIR]                 fill the disk cache
    transpyle debug FILE.wasm --invoke NAME [ARGS...]             pdb, in NAME's first line

Errors (a missing file, a malformed module, an unknown export, wrong arguments) print
one line on stderr and exit with status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Sequence

from .errors import CompileError, Interrupted, LinkError, Trap
from .wasm.types import FuncType, ValueType

DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "transpyle"


class CliError(Exception):
    """A one-line error for the user."""


def parse_value(text: str, t: ValueType):
    """A command-line argument as a natural value of type `t`."""
    try:
        if t in (ValueType.I32, ValueType.I64, ValueType.V128):
            return int(text, 0)
        if t in (ValueType.F32, ValueType.F64):
            return float(text)
    except ValueError:
        raise CliError(f"argument {text!r} is not a valid {t}") from None
    raise CliError(f"cannot pass a {t} on the command line")


def format_value(v) -> str:
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return repr(v)
    return str(v)


# -- common ---------------------------------------------------------------------------

def read_module(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except OSError as e:
        raise CliError(f"{path}: {e.strerror or e}") from None


def make_runtime(args, **extra):
    from . import Runtime

    cache_dir = None if getattr(args, "no_cache", False) else getattr(args, "cache_dir", None)
    kwargs = dict(extra)
    if getattr(args, "lazy", False):
        kwargs["lazy"] = True
    if getattr(args, "fuel", None) is not None:
        kwargs["fuel"] = args.fuel
    if cache_dir is not None:
        kwargs["cache_dir"] = str(cache_dir)
    return Runtime(**kwargs)


PROGRESS_MIN_FUNCTIONS = 200  # below this, compiling is too quick to need a bar


def compile_file(rt, path: str):
    """Compile, with a rich progress bar on a terminal for modules with many functions
    (code generation of a few thousand functions takes seconds)."""
    data = read_module(path)
    try:
        if not sys.stderr.isatty():
            return rt.compile(data)
        from rich.progress import Progress

        with Progress(transient=True, console=None) as bar:
            task = None

            def progress(done: int, total: int) -> None:
                nonlocal task
                if total < PROGRESS_MIN_FUNCTIONS:
                    return
                if task is None:
                    task = bar.add_task(f"compiling {Path(path).name}", total=total)
                bar.update(task, completed=done)

            return rt.compile(data, progress=progress)
    except CompileError as e:
        raise CliError(f"{path}: {e}") from None


def export_function(inst, name: str):
    try:
        f = inst.exports[name]
    except KeyError:
        names = ", ".join(n for n in inst.exports if hasattr(inst.exports[n], "type")
                          and isinstance(inst.exports[n].type, FuncType)) or "none"
        raise CliError(f"no exported function {name!r} (exported functions: {names})") from None
    if not isinstance(getattr(f, "type", None), FuncType):
        raise CliError(f"export {name!r} is not a function")
    return f


def call_args(f, values: Sequence[str], name: str) -> list:
    params = f.type.params
    if len(values) != len(params):
        sig = ", ".join(str(p) for p in params) or "no arguments"
        raise CliError(f"{name} takes {len(params)} argument(s) ({sig}), got {len(values)}")
    return [parse_value(v, t) for v, t in zip(values, params)]


def print_results(result, ftype: FuncType) -> None:
    if not ftype.results:
        return
    values = result if len(ftype.results) > 1 else (result,)
    for v in values:
        print(format_value(v))


def instantiate(rt, module, path: str, imports=None):
    try:
        return rt.instantiate(module, imports=imports)
    except LinkError as e:
        raise CliError(f"{path}: {e}") from None
    except Trap as e:
        raise CliError(f"{path}: instantiation trapped: {e}") from None


# -- commands -------------------------------------------------------------------------

def cmd_run(args) -> int:
    if args.invoke is None:
        return run_wasi(args)
    extra = {}
    if args.timeout is not None:
        extra["close_on_context_done"] = True
    rt = make_runtime(args, **extra)
    module = compile_file(rt, args.file)
    inst = instantiate(rt, module, args.file)
    f = export_function(inst, args.invoke)
    values = call_args(f, args.args, args.invoke)
    kwargs = {}
    if args.timeout is not None:
        from .experimental.context import Context
        kwargs["ctx"] = Context.background().with_timeout(args.timeout)
    try:
        result = f(*values, **kwargs)
    except Trap as e:
        print(f"error: wasm trap: {e}", file=sys.stderr)
        return 1
    finally:
        report_fuel(rt, args)
    print_results(result, f.type)
    return 0


def report_fuel(rt, args) -> None:
    """With --fuel: the fuel left, on stderr (after the run, trapped or not)."""
    if getattr(args, "fuel", None) is not None:
        print(f"fuel: {rt.get_fuel()} of {args.fuel} left", file=sys.stderr)


def run_wasi(args) -> int:
    try:
        from . import wasi
    except ImportError:  # pragma: no cover - the package ships with transpyle
        raise CliError("WASI support is not installed") from None
    extra = {}
    if args.timeout is not None:
        extra["close_on_context_done"] = True
    if args.trace is not None:
        from .experimental.logging import LoggingListenerFactory
        extra["listener_factory"] = LoggingListenerFactory(
            sys.stderr, pattern=None if args.trace == "*" else args.trace)
    rt = make_runtime(args, **extra)
    module = compile_file(rt, args.file)
    preopens, read_only = {}, set()
    for spec in args.dir or ():
        host, guest, ro = parse_dir(spec)
        preopens[guest] = host
        if ro:
            read_only.add(guest)
    env = {}
    for item in args.env or ():
        if "=" not in item:
            raise CliError(f"--env {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        env[k] = v
    config = wasi.WasiConfig(args=[Path(args.file).name, *args.args], env=env,
                             preopens=preopens, read_only=read_only)
    kwargs = {}
    if args.timeout is not None:
        from .experimental.context import Context
        kwargs["ctx"] = Context.background().with_timeout(args.timeout)
    try:
        code = wasi.run(rt, module, config, **kwargs)
    except LinkError as e:
        raise CliError(f"{args.file}: {e}") from None
    except Trap as e:
        print(f"error: wasm trap: {e}", file=sys.stderr)
        return 124 if isinstance(e, Interrupted) else 134
    finally:
        report_fuel(rt, args)
    return code & 0xFF  # the exit status the OS keeps


def parse_dir(spec: str) -> tuple[str, str, bool]:
    """--dir HOST[:GUEST][:ro] -> (host, guest, read_only)."""
    parts = spec.split(":")
    ro = parts[-1] == "ro" and len(parts) > 1
    if ro:
        parts = parts[:-1]
    host = parts[0]
    guest = parts[1] if len(parts) > 1 else host
    if not host:
        raise CliError(f"--dir {spec!r}: empty host directory")
    if not Path(host).is_dir():
        raise CliError(f"--dir {spec!r}: {host} is not a directory")
    return host, guest, ro


def cmd_inspect(args) -> int:
    rt = make_runtime(args)
    module = compile_file(rt, args.file)
    out = sys.stdout
    tty = out.isatty()
    if args.func is None:
        print_summary(module, args.file)
        indices = sorted(module.code.sources)
    else:
        try:
            indices = [module.func_index(int(args.func) if args.func.isdigit() else args.func)]
        except KeyError as e:
            raise CliError(str(e.args[0]) if e.args else str(e)) from None
    with_source = args.source or args.source_dir is not None
    for index in indices:
        source = (module.source(index, with_source=True, source_dir=args.source_dir)
                  if with_source else module.code.sources[index])
        if tty:
            from rich.console import Console
            from rich.syntax import Syntax
            Console().print(Syntax(source, "python", theme="ansi_dark", background_color="default"))
        else:
            out.write(source + "\n")
    return 0


def type_text(kind: str, t) -> str:
    """A compact description of an import's or export's type."""
    if kind == "func":
        return str(t)
    if kind == "memory":
        lim = t.limits
        return f"memory [{lim.min}..{'' if lim.max is None else lim.max}] pages" + (" shared" if lim.shared else "")
    if kind == "table":
        lim = t.limits
        return f"table {t.elem} [{lim.min}..{'' if lim.max is None else lim.max}]"
    return f"global {'mut ' if t.mutable else ''}{t.type}"


def print_summary(module, path: str) -> None:
    m = module.module
    size = Path(path).stat().st_size
    print(f"# {path}: {size} bytes, sha256 {module.sha256}")
    code_size = sum(c.size for c in m.codes)
    print(f"# {len(m.imports)} imports, {len(m.exports)} exports, {len(m.codes)} functions "
          f"({code_size} bytes of code), {len(m.all_memories())} memories, "
          f"{len(m.all_tables())} tables, {len(m.all_global_types())} globals")
    for imp in module.imports:
        print(f"# import {imp.module}.{imp.name}: {type_text(imp.kind, imp.type)}")
    for exp in module.exports:
        print(f"# export {exp.name}: {type_text(exp.kind, exp.type)}")
    print()


def cmd_compile(args) -> int:
    rt = make_runtime(args)
    module = compile_file(rt, args.file)
    where = args.cache_dir if not args.no_cache else "memory only (--no-cache)"
    print(f"compiled {args.file}: {len(module.module.codes)} functions, sha256 {module.sha256}, "
          f"cache {where}")
    return 0


def cmd_debug(args) -> int:
    import bdb

    from .debug import SourcePdb, debug_call

    extra = {}
    if args.source_dir is not None:  # listings show the source lines (pdb's `list`)
        extra["source_dir"] = args.source_dir
    rt = make_runtime(args, debug=True, **extra)
    module = compile_file(rt, args.file)
    inst = instantiate(rt, module, args.file)
    f = export_function(inst, args.invoke)
    values = call_args(f, args.args, args.invoke)
    try:
        result = debug_call(f, *values, debugger=SourcePdb())
    except Trap as e:
        print(f"error: wasm trap: {e}", file=sys.stderr)
        return 1
    except bdb.BdbQuit:  # `quit` (or the end of the commands)
        return 0
    print_results(result, f.type)
    return 0


# -- argument parsing -------------------------------------------------------------------

def fuel_count(text: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        n = -1
    if not 0 <= n <= sys.maxsize:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="transpyle", description="Run and read WebAssembly as Python.")
    sub = p.add_subparsers(dest="command", required=True)

    def cache_options(sp):
        sp.add_argument("--cache-dir", default=str(DEFAULT_CACHE_DIR),
                        help=f"compiled-code cache (default {DEFAULT_CACHE_DIR})")
        sp.add_argument("--no-cache", action="store_true", help="do not use the disk cache")

    run = sub.add_parser("run", help="run a WASI command, or call one export with --invoke")
    run.add_argument("file")
    run.add_argument("--invoke", metavar="NAME", help="call this exported function")
    run.add_argument("--dir", action="append", metavar="HOST[:GUEST][:ro]",
                     help="preopen a host directory for the guest")
    run.add_argument("--env", action="append", metavar="K=V", help="set a guest environment variable")
    run.add_argument("--timeout", type=float, metavar="S", help="stop the run after S seconds")
    run.add_argument("--trace", nargs="?", const="*", metavar="PATTERN",
                     help="log calls (of functions matching PATTERN) to stderr")
    run.add_argument("--lazy", action="store_true",
                     help="translate each function on its first call: a large module starts "
                          "sooner (a cached module is used; lazy ones are not cached)")
    run.add_argument("--fuel", type=fuel_count, metavar="N",
                     help="trap with 'all fuel consumed' after N function entries and loop "
                          "iterations (deterministic); prints the fuel left on stderr")
    cache_options(run)
    run.set_defaults(handler=cmd_run)

    ins = sub.add_parser("inspect", help="print a module summary and the generated Python")
    ins.add_argument("file")
    ins.add_argument("--func", metavar="NAME", help="only this function (name or index)")
    ins.add_argument("--source", action="store_true",
                     help="interleave the source lines named by the module's DWARF (-g)")
    ins.add_argument("--source-dir", metavar="DIR",
                     help="like --source, looking for the source files in DIR first")
    ins.set_defaults(handler=cmd_inspect, no_cache=True, cache_dir=None)

    comp = sub.add_parser("compile", help="compile into the disk cache")
    comp.add_argument("file")
    cache_options(comp)
    comp.set_defaults(handler=cmd_compile)

    dbg = sub.add_parser("debug", help="call an export under pdb, stopped at its first line "
                         "(with `break FILE.c:LINE`, `snext`, `sstep`, `cp NAME` for "
                         "modules built with -g)")
    dbg.add_argument("file")
    dbg.add_argument("--invoke", metavar="NAME", required=True)
    dbg.add_argument("--source-dir", metavar="DIR",
                     help="show the source lines named by the module's DWARF (-g) in the "
                          "listings, looking for the files in DIR first")
    dbg.set_defaults(handler=cmd_debug, no_cache=True, cache_dir=None)
    return p


# options of `run` and `debug` that take a value (the others are flags)
_FLAG_OPTIONS = ("--no-cache", "--trace", "--lazy", "--help")  # options without a value
_VALUE_OPTIONS = {"--invoke", "--dir", "--env", "--timeout", "--cache-dir", "--fuel",
                  "--source-dir"}


def split_guest_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """For `run`/`debug`: the tokens argparse should see, and the guest's arguments.
    Options may come before or after FILE; the guest's arguments start at the first
    other token after FILE, or after `--` (so `-5` is an argument, not an option)."""
    ours, seen_file, i = argv[:1], False, 1
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return ours, argv[i + 1:]
        name = tok.split("=", 1)[0]
        if tok.startswith("--") and (name in _VALUE_OPTIONS or name in _FLAG_OPTIONS):
            ours.append(tok)
            if name in _VALUE_OPTIONS and "=" not in tok and i + 1 < len(argv):
                ours.append(argv[i + 1])
                i += 1
        elif tok in ("-h",):
            ours.append(tok)
        elif not seen_file:
            ours.append(tok)
            seen_file = True
        else:
            return ours, argv[i:]
        i += 1
    return ours, []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    guest: list[str] = []
    if argv and argv[0] in ("run", "debug"):
        argv, guest = split_guest_args(argv)
    args = parser.parse_args(argv)
    args.args = guest
    try:
        return args.handler(args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

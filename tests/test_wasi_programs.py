"""Real WASI programs (C, built with zig's wasi-libc by tests/wasi_programs/build.py)
run under transpyle and under wasmtime with the same arguments, environment, stdin
and a copy of the same preopened directory; stdout, stderr, the exit code and the
directory afterwards must be identical.

Each program also declares the WASI functions it must call; transpyle's run records
the calls, so the coverage of the 46 functions is checked, not assumed (see
test_every_wasi_function_is_exercised, which adds the direct tests of test_wasi.py).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import sys
import threading
from pathlib import Path

import pytest

from transpyle import Func, Runtime, Trap
from transpyle.wasi import FUNCTION_NAMES, Wasi, WasiConfig

wasmtime = pytest.importorskip("wasmtime")

PROGRAMS = Path(__file__).resolve().parent / "wasi_programs"
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# the functions each program calls over its tests here (transpyle's runs record the
# calls; test_every_wasi_function_is_exercised checks these sets)
EXPECTED_CALLS = {
    "stdio": {"fd_read", "fd_write", "fd_fdstat_get", "proc_exit"},
    "args_env": {"args_get", "args_sizes_get", "environ_get", "environ_sizes_get"},
    "exit": {"proc_exit"},
    "random": {"random_get"},
    "clocks": {"clock_time_get", "clock_res_get"},
    "sleep": {"poll_oneoff", "sched_yield", "path_open", "fd_close", "fd_prestat_get",
              "fd_prestat_dir_name"},
    "files": {"fd_advise", "fd_close", "fd_datasync", "fd_fdstat_get",
              "fd_fdstat_set_flags", "fd_filestat_get", "fd_filestat_set_size",
              "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_read", "fd_readdir",
              "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write",
              "path_create_directory", "path_filestat_get", "path_filestat_set_times",
              "path_link", "path_open", "path_readlink", "path_remove_directory",
              "path_rename", "path_symlink", "path_unlink_file", "fd_prestat_get",
              "fd_prestat_dir_name"},
    "sandbox": {"path_open", "path_filestat_get", "path_symlink", "path_create_directory",
                "path_rename", "path_unlink_file"},
    "sockets": {"sock_accept", "sock_recv", "sock_send", "sock_shutdown"},
}

_RUNTIME = Runtime()
_CALLED: dict[str, set[str]] = {}


def called_functions() -> set[str]:
    """Every WASI function some program called so far in this session."""
    out: set[str] = set()
    for names in _CALLED.values():
        out |= names
    return out


class RecordingWasi(Wasi):
    """A Wasi whose imports record which functions the guest calls."""

    def __init__(self, config, record: set[str]):
        super().__init__(config)
        self._record = record

    def imports(self):
        out = {}
        for module, funcs in super().imports().items():
            wrapped = {}
            for name, func in funcs.items():
                wrapped[name] = Func(self._recorder(name, func.fn), func.type.params,
                                     func.type.results, name=name)
            out[module] = wrapped
        return out

    def _recorder(self, name, fn):
        record = self._record

        def call(*args):
            record.add(name)
            return fn(*args)

        return call


def open_fd_count() -> int | None:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


def make_tree(root: Path) -> Path:
    """The directory every program starts with: root/sandbox is preopened as
    /sandbox; root/secret.txt is outside it, with symlinks inside pointing at it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "secret.txt").write_text("SECRET\n")
    sandbox = root / "sandbox"
    sandbox.mkdir()
    (sandbox / "input.txt").write_text("some input\n")
    (sandbox / "ok.txt").write_text("fine\n")
    (sandbox / "inner").mkdir()
    os.symlink("../../secret.txt", sandbox / "inner" / "deep-up")
    os.symlink(str(root / "secret.txt"), sandbox / "abs-link")
    os.symlink("../secret.txt", sandbox / "up-link")
    os.symlink("..", sandbox / "dir-up")
    return sandbox


def snapshot(path: Path) -> dict[str, tuple]:
    """A comparable picture of a directory tree: kind and content of every entry."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = str(p.relative_to(path))
            if p.is_symlink():
                target = os.readlink(p)
                if os.path.isabs(target):
                    target = "<abs>" + os.path.basename(target)
                out[rel] = ("symlink", target)
            elif p.is_dir():
                out[rel] = ("dir",)
            else:
                st = p.stat()
                out[rel] = ("file", p.read_bytes(), st.st_nlink)
    return out


def run_transpyle(name, args, env, sandbox, stdin: bytes, sockets=()):
    stdout, stderr = io.BytesIO(), io.BytesIO()
    preopens = {"/sandbox": str(sandbox)} if sandbox else {}
    config = WasiConfig(args=[f"{name}.wasm", *args], env=env, preopens=preopens,
                        stdin=stdin, stdout=stdout, stderr=stderr, sockets=sockets)
    record = _CALLED.setdefault(name, set())
    module = _RUNTIME.compile((PROGRAMS / f"{name}.wasm").read_bytes())
    calls: set[str] = set()
    fds_before = open_fd_count()
    with RecordingWasi(config, calls) as wasi:
        instance = _RUNTIME.instantiate(module, imports=wasi.imports())
        try:
            code = wasi.start(instance)
        except Trap as trap:
            code = ("trap", str(trap).split("\n")[0])
    after = open_fd_count()
    assert after is None or after <= fds_before, "the run leaked host fds"
    record |= calls
    return code, stdout.getvalue(), stderr.getvalue(), calls


def run_wasmtime(name, args, env, sandbox, stdin: bytes, tmp: Path, wasm: Path | None = None):
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    config = wasmtime.WasiConfig()
    config.argv = [f"{name}.wasm", *args]
    config.env = list((env or {}).items())
    if sandbox:
        config.preopen_dir(str(sandbox), "/sandbox")
    stdin_path, out_path, err_path = tmp / "wt.stdin", tmp / "wt.stdout", tmp / "wt.stderr"
    stdin_path.write_bytes(stdin)
    config.stdin_file = str(stdin_path)
    config.stdout_file = str(out_path)
    config.stderr_file = str(err_path)
    store.set_wasi(config)
    module = wasmtime.Module.from_file(engine, str(wasm or PROGRAMS / f"{name}.wasm"))
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
        code = 0
    except wasmtime.ExitTrap as exit_trap:
        code = exit_trap.code
    except wasmtime.Trap as trap:
        code = ("trap", "unreachable" if "unreachable" in str(trap) else str(trap))
    return code, out_path.read_bytes(), err_path.read_bytes()


def compare(tmp_path: Path, name: str, args=(), env=None, stdin=b"", tree=True):
    """Run `name` under both runtimes; assert identical results; return transpyle's."""
    sandboxes = {}
    for which in ("tp", "wt"):
        sandboxes[which] = make_tree(tmp_path / which) if tree else None
    (tmp_path / "wt_io").mkdir()
    tp = run_transpyle(name, list(args), env, sandboxes["tp"], stdin)
    wt = run_wasmtime(name, list(args), env, sandboxes["wt"], stdin, tmp_path / "wt_io")
    code, out, err, calls = tp
    assert out.decode(errors="replace") == wt[1].decode(errors="replace")
    assert err == wt[2]
    assert code == wt[0]
    if tree:
        assert snapshot(tmp_path / "tp") == snapshot(tmp_path / "wt")
    return code, out, err


# -- the programs -------------------------------------------------------------------


def test_stdio_echo_printf_stderr(tmp_path):
    code, out, err = compare(tmp_path, "stdio", stdin=b"hello\nworld\nsecond line\n")
    assert code == 0
    assert out.startswith(b"  1: HELLO\n  2: WORLD\n  3: SECOND LINE\nlines: 3\n")
    assert out.count(b"\n") == 4 + 2000
    assert err == b"stderr: sum=2664667000\nstderr: done\n"


def test_stdio_exit_code_from_input(tmp_path):
    code, out, _ = compare(tmp_path, "stdio", stdin=b"ok\nfail here\n")
    assert code == 3
    assert b"  2: FAIL HERE\n" in out


def test_stdio_empty_stdin(tmp_path):
    code, out, _ = compare(tmp_path, "stdio", stdin=b"", tree=False)
    assert code == 0 and out.startswith(b"lines: 0\n")


def test_args_and_env(tmp_path):
    code, out, _ = compare(tmp_path, "args_env", args=["one", "two words", "", "ünï"],
                           env={"HOME": "/home/guest", "LANG": "C", "EMPTY": ""},
                           tree=False)
    assert code == 0
    text = out.decode()
    assert "argc=5\n" in text and "argv[2]=[two words]" in text and "argv[3]=[]" in text
    assert "argv[4]=[ünï] (5 bytes)" in text
    assert "env: HOME=/home/guest\nenv: LANG=C\nenv: EMPTY=\nenviron count=3\n" in text


def test_no_args_no_env(tmp_path):
    code, out, _ = compare(tmp_path, "args_env", tree=False)
    assert b"environ count=0\nHOME=(unset)\n" in out


@pytest.mark.parametrize("args, expected", [
    (["return", "0"], 0), (["return", "7"], 7), (["exit", "0"], 0), (["exit", "42"], 42),
    (["exit", "125"], 125), (["trap"], ("trap", "unreachable")),
])
def test_exit_codes(tmp_path, args, expected):
    code, out, _ = compare(tmp_path, "exit", args=args, tree=False)
    assert code == expected


def test_random(tmp_path):
    code, out, _ = compare(tmp_path, "random", tree=False)
    assert code == 0 and b"=no" not in out


def test_clocks(tmp_path):
    code, out, _ = compare(tmp_path, "clocks", tree=False)
    assert code == 0 and b": no" not in out


def test_sleep_poll_yield(tmp_path):
    code, out, _ = compare(tmp_path, "sleep")
    assert code == 0 and b"=no" not in out


def test_files(tmp_path):
    code, out, err = compare(tmp_path, "files")
    assert code == 0, out.decode()
    assert out.endswith(b"done\n")
    assert b"FAIL" not in out


def test_sandbox_escapes(tmp_path):
    code, out, _ = compare(tmp_path, "sandbox")
    assert code == 0, out.decode()
    assert b"ESCAPED" not in out and out.endswith(b"sandbox held\n")
    assert (tmp_path / "tp" / "secret.txt").read_text() == "SECRET\n"
    assert not (tmp_path / "tp" / "created-outside.txt").exists()


def test_sockets_server(tmp_path):
    """transpyle only: the wasmtime package cannot preopen a socket. A Python client
    talks to the guest server through a real TCP connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    reply = []

    def client():
        with socket.create_connection(listener.getsockname(), timeout=30) as c:
            c.sendall(b"hello")
            c.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := c.recv(100):
                data += chunk
            reply.append(data)

    thread = threading.Thread(target=client)
    thread.start()
    try:
        code, out, err, calls = run_transpyle("sockets", [], None, None, b"",
                                              sockets=[listener])
    finally:
        thread.join(30)
        listener.close()
    assert code == 0, out
    assert reply == [b"echo:hello"]
    assert out.decode() == (
        "accepted fd 4\npeeked 5: [hello]\nreceived 5: [hello]\nsent 10\n"
        "after shutdown, recv got 0 (peer closed)\nshutdown stdout: errno 8\n")
    assert EXPECTED_CALLS["sockets"] <= calls


def test_every_wasi_function_is_exercised():
    """The 46 functions: each is called by a program (EXPECTED_CALLS, enforced per
    run above) or exercised by a direct test in test_wasi.py (DIRECT_TESTS there)."""
    from test_wasi import DIRECT_TESTS

    assert len(FUNCTION_NAMES) == 46
    by_programs = set().union(*EXPECTED_CALLS.values())
    missing = set(FUNCTION_NAMES) - by_programs - set(DIRECT_TESTS)
    assert not missing, f"not exercised: {sorted(missing)}"
    assert set(DIRECT_TESTS) <= set(FUNCTION_NAMES)
    # the programs that ran in this session really called what they claim
    for name, calls in _CALLED.items():
        missing = EXPECTED_CALLS[name] - calls
        assert not missing, f"{name} never called {sorted(missing)}"
    if set(_CALLED) != set(EXPECTED_CALLS):
        pytest.skip(f"programs not run in this session: "
                    f"{sorted(set(EXPECTED_CALLS) - set(_CALLED))}")


def test_make_tree_helper_is_sane(tmp_path):
    sandbox = make_tree(tmp_path)
    assert (sandbox / "up-link").resolve() == (tmp_path / "secret.txt").resolve()
    shutil.rmtree(tmp_path / "sandbox")


def test_example_hello(tmp_path):
    """examples/hello.wasm (built by examples/build.py) under both runtimes."""
    from transpyle.wasi import run

    example = Path(__file__).resolve().parent.parent / "examples" / "hello.wasm"
    out = io.BytesIO()
    code = run(_RUNTIME, example.read_bytes(), WasiConfig(args=["hello", "x", "y z"],
                                                          stdout=out))
    assert (code, out.getvalue()) == (0, b"hello from wasm\narg 1: x\narg 2: y z\n")
    assert run_wasmtime("hello", ["x", "y z"], None, None, b"", tmp_path,
                        wasm=example) == (0, out.getvalue(), b"")

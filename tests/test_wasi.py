"""Direct tests of transpyle.wasi: what the C programs of test_wasi_programs.py do
not reach (sandbox escapes, EFAULT, errno choices, fd_renumber, poll_oneoff,
sockets, read-only preopens, wasi_unstable layouts, the API itself).

Most tests call the host functions of a `Wasi` bound to a bare `Memory`, the way a
guest would (natural i32/i64 arguments, pointers into that memory); a few run small
wat modules to check the wiring through the runtime (ProcExit through wasm frames).
"""

from __future__ import annotations

import io
import os
import select
import socket
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from transpyle import Func, I32, Memory, Runtime
from transpyle.wasi import FUNCTION_NAMES, ProcExit, Wasi, WasiConfig, abi, run
from transpyle.wasi.fs import resolve

# Which direct tests exercise the functions that no program calls (the programs'
# coverage is recorded in test_wasi_programs.EXPECTED_CALLS; both are checked
# against the 46 names there).
DIRECT_TESTS = {
    "fd_allocate": ["test_fd_allocate"],
    "fd_fdstat_set_rights": ["test_stubs"],
    "proc_raise": ["test_stubs"],
    "poll_oneoff": ["test_poll_*"],
    "fd_renumber": ["test_fd_renumber_*"],
    "sock_accept": ["test_socket_*"],
    "sock_recv": ["test_socket_*"],
    "sock_send": ["test_socket_*"],
    "sock_shutdown": ["test_socket_*"],
    "clock_res_get": ["test_clocks_all_four"],
    "clock_time_get": ["test_clocks_all_four"],
    "proc_exit": ["test_proc_exit_*"],
}

M32 = 0xFFFFFFFF


class Guest:
    """A fake guest: a Wasi bound to a 2-page memory with a bump allocator."""

    def __init__(self, wasi: Wasi, pages: int = 2):
        self.wasi = wasi
        self.memory = Memory(pages)
        wasi.bind(memory=self.memory)
        self.top = 64

    @property
    def mem(self) -> bytearray:
        return self.memory.data

    def alloc(self, data: bytes | int) -> int:
        if isinstance(data, int):
            data = bytes(data)
        ptr = self.top
        self.mem[ptr:ptr + len(data)] = data
        self.top = (ptr + len(data) + 7) & ~7
        return ptr

    def s(self, text: str | bytes) -> tuple[int, int]:
        data = text.encode() if isinstance(text, str) else text
        return self.alloc(data), len(data)

    def u32(self, ptr: int) -> int:
        return struct.unpack_from("<I", self.mem, ptr)[0]

    def u64(self, ptr: int) -> int:
        return struct.unpack_from("<Q", self.mem, ptr)[0]

    def __getattr__(self, name):  # guest.fd_write(...) calls the host function
        if name in FUNCTION_NAMES:
            return getattr(self.wasi, name)
        raise AttributeError(name)

    # conveniences ---------------------------------------------------------------

    def open(self, path: str, *, dirfd: int = 3, oflags: int = 0, write: bool = False,
             follow: bool = True, fdflags: int = 0) -> tuple[int, int]:
        """(errno, fd) of path_open."""
        p, n = self.s(path)
        out = self.alloc(4)
        rights = abi.RIGHT_FD_READ | (abi.RIGHT_FD_WRITE if write else 0)
        e = self.wasi.path_open(dirfd, 1 if follow else 0, p, n, oflags, rights, 0, fdflags,
                                out)
        return e, (self.u32(out) if e == 0 else -1)

    def write(self, fd: int, data: bytes) -> tuple[int, int]:
        buf = self.alloc(data)
        iov = self.alloc(struct.pack("<II", buf, len(data)))
        out = self.alloc(4)
        e = self.wasi.fd_write(fd, iov, 1, out)
        return e, self.u32(out)

    def read(self, fd: int, n: int) -> tuple[int, bytes]:
        buf = self.alloc(n)
        iov = self.alloc(struct.pack("<II", buf, n))
        out = self.alloc(4)
        e = self.wasi.fd_read(fd, iov, 1, out)
        return e, bytes(self.mem[buf:buf + self.u32(out)]) if e == 0 else b""

    def stat(self, path: str, *, dirfd: int = 3, follow: bool = True) -> tuple[int, tuple]:
        p, n = self.s(path)
        out = self.alloc(64)
        e = self.wasi.path_filestat_get(dirfd, 1 if follow else 0, p, n, out)
        return e, abi.FILESTAT.unpack_from(self.mem, out) if e == 0 else ()


@pytest.fixture
def sandbox(tmp_path) -> Path:
    """tmp/box is the preopen; tmp/secret.txt is outside it."""
    (tmp_path / "secret.txt").write_text("SECRET\n")
    box = tmp_path / "box"
    box.mkdir()
    (box / "file.txt").write_text("hello file\n")
    (box / "sub").mkdir()
    (box / "sub" / "inner.txt").write_text("inner\n")
    return box


@pytest.fixture
def guest(sandbox):
    out, err = io.BytesIO(), io.BytesIO()
    with Wasi(WasiConfig(args=["prog"], preopens={"/box": str(sandbox)}, stdin=b"in",
                         stdout=out, stderr=err)) as wasi:
        g = Guest(wasi)
        g.stdout, g.stderr = out, err
        yield g


# -- the API ----------------------------------------------------------------------------


def test_function_names_and_signatures():
    wasi = Wasi()
    imports = wasi.imports()
    assert set(imports) == {"wasi_snapshot_preview1", "wasi_unstable"}
    assert list(imports["wasi_snapshot_preview1"]) == list(FUNCTION_NAMES)
    assert len(FUNCTION_NAMES) == 46
    assert set(imports["wasi_unstable"]) == set(FUNCTION_NAMES)
    for name, func in imports["wasi_snapshot_preview1"].items():
        assert isinstance(func, Func)
        assert func.type.results == (() if name == "proc_exit" else (I32,))
        assert func.type == imports["wasi_unstable"][name].type
    # one Func per Wasi: imports() twice gives the same objects
    assert imports["wasi_snapshot_preview1"]["fd_write"] is \
        wasi.imports()["wasi_snapshot_preview1"]["fd_write"]
    wasi.close()


def test_config_validation(tmp_path):
    with pytest.raises(ValueError, match="NUL"):
        WasiConfig(args=["a\0b"])
    with pytest.raises(ValueError, match="invalid environment variable name"):
        WasiConfig(env={"A=B": "c"})
    with pytest.raises(ValueError, match="not NAME=value"):
        WasiConfig(env=["novalue"])
    with pytest.raises(TypeError):
        WasiConfig(args="single string")
    with pytest.raises(ValueError, match="not a preopen"):
        WasiConfig(preopens={"/a": str(tmp_path)}, read_only={"/b"})
    with pytest.raises(TypeError, match="text stream"):
        WasiConfig(stdout=io.StringIO())
    with pytest.raises(TypeError, match="only stdin"):
        WasiConfig(stdout=b"x")
    config = WasiConfig(args=["x", b"raw\xff"], env=["A=1", "B=2=3"],
                        preopens={"/a/": str(tmp_path), ".": str(tmp_path)},
                        read_only=True, stdout=sys.stdout)
    assert config.args == [b"x", b"raw\xff"]
    assert config.env == [b"A=1", b"B=2=3"]
    assert [g for g, _ in config.preopens] == ["/a", "."]
    assert config.read_only == {"/a", "."}
    assert config.stdout is sys.stdout.buffer
    with pytest.raises(FileNotFoundError):
        Wasi(WasiConfig(preopens={"/x": str(tmp_path / "missing")}))


def test_bind_needs_a_memory():
    rt = Runtime()
    wat = '(module (func (export "_start")))'
    module = rt.compile(_wat(wat))
    with Wasi() as wasi:
        inst = rt.instantiate(module, imports=wasi.imports())
        with pytest.raises(ValueError, match="memory"):
            wasi.bind(inst)
    with pytest.raises(ValueError, match="no _start"):
        run(rt, _wat('(module (memory (export "memory") 1))'))


def test_calls_before_bind_are_efault():
    with Wasi(WasiConfig(stdout=io.BytesIO())) as wasi:
        assert wasi.fd_write(1, 0, 1, 0) == abi.EFAULT
        assert wasi.args_sizes_get(0, 4) == abi.EFAULT


def _wat(text: str) -> bytes:
    wasmtime = pytest.importorskip("wasmtime")
    return wasmtime.wat2wasm(text)


HELLO_WAT = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "callback" (func $callback (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wat\\n")
  (func $write (export "write")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $deep (param i32)
    (if (i32.eqz (local.get 0))
      (then (call $callback (i32.const 7)) (unreachable)))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))
  (func (export "exit_from_wasm") (param i32) (call $proc_exit (local.get 0)) (unreachable))
  (func (export "_start") (call $write) (call $deep (i32.const 500))))
"""


def test_proc_exit_through_host_and_wasm_frames():
    """_start -> 500 wasm frames -> host callback -> wasm export -> proc_exit: the
    ProcExit passes through all of them and `start` returns the code."""
    rt = Runtime()
    out = io.BytesIO()
    with Wasi(WasiConfig(stdout=out)) as wasi:
        holder = {}
        imports = wasi.imports()
        imports["env"] = {"callback": Func(lambda code: holder["inst"].exports[
            "exit_from_wasm"](code * 6), [I32], [])}
        inst = holder["inst"] = rt.instantiate(_wat(HELLO_WAT), imports=imports)
        assert wasi.start(inst) == 42
        assert out.getvalue() == b"hi from wat\n"
        # the instance stays usable after the exit
        inst.exports["write"]()
        assert out.getvalue() == b"hi from wat\n" * 2
        with pytest.raises(ProcExit) as info:
            inst.exports["exit_from_wasm"](-1)
        assert info.value.code == 0xFFFFFFFF


def test_proc_exit_with_run_and_plain_return():
    rt = Runtime()
    wat = """(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 3))))"""
    assert run(rt, _wat(wat), WasiConfig()) == 3
    assert run(rt, _wat('(module (memory (export "memory") 1) (func (export "_start")))')) == 0


def test_proc_exit_in_a_start_function():
    wat = """(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func $s (call $exit (i32.const 9)))
      (start $s)
      (func (export "_start") (unreachable)))"""
    assert run(Runtime(), _wat(wat)) == 9


def test_wasi_unstable_module_name(tmp_path):
    """A module importing wasi_unstable links and gets the snapshot-00 whence."""
    (tmp_path / "f").write_bytes(b"0123456789")
    wat = """(module
      (import "wasi_unstable" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
      (import "wasi_unstable" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        ;; whence 1 is END in wasi_unstable: seek(fd 3 is the file? no: a dir) -> EISDIR
        (call $exit (call $seek (i32.const 3) (i64.const -2) (i32.const 1) (i32.const 8)))))"""
    code = run(Runtime(), _wat(wat), WasiConfig(preopens={"/": str(tmp_path)}))
    assert code == abi.EISDIR


def test_inherited_stdio_in_a_subprocess(tmp_path):
    """stdin/stdout/stderr None: the guest uses the process's own fds 0, 1, 2."""
    wasm = Path(__file__).parent / "wasi_programs" / "stdio.wasm"
    script = textwrap.dedent(f"""
        import sys
        print("python first", flush=False)
        from transpyle import Runtime
        from transpyle.wasi import WasiConfig, run
        code = run(Runtime(), open({str(wasm)!r}, "rb").read(), WasiConfig())
        print("python after", code)
        sys.exit(code)
    """)
    proc = subprocess.run([sys.executable, "-c", script], input=b"one\nfail\n",
                          capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[:3] == ["python first", "  1: ONE", "  2: FAIL"]
    assert lines[-1] == "python after 3"
    assert proc.stderr.decode() == "stderr: sum=2664667000\nstderr: done\n"


def test_stdio_file_objects(tmp_path):
    """stdin/stdout as real binary files (Python buffered objects)."""
    wasm = (Path(__file__).parent / "wasi_programs" / "stdio.wasm").read_bytes()
    (tmp_path / "in").write_bytes(b"abc\n")
    with open(tmp_path / "in", "rb") as fin, open(tmp_path / "out", "wb") as fout:
        err = io.BytesIO()
        code = run(Runtime(), wasm, WasiConfig(stdin=fin, stdout=fout, stderr=err))
    assert code == 0
    assert (tmp_path / "out").read_bytes().startswith(b"  1: ABC\nlines: 1\n")
    assert err.getvalue().startswith(b"stderr: sum=")


# -- args, environ, clocks, random, stubs -------------------------------------------------


def test_args_environ_layout():
    with Wasi(WasiConfig(args=["a", "bc"], env={"K": "V"})) as wasi:
        g = Guest(wasi)
        assert g.args_sizes_get(0, 4) == 0
        assert (g.u32(0), g.u32(4)) == (2, 5)
        assert g.args_get(100, 200) == 0
        assert (g.u32(100), g.u32(104)) == (200, 202)
        assert bytes(g.mem[200:205]) == b"a\0bc\0"
        assert g.environ_sizes_get(0, 4) == 0 and (g.u32(0), g.u32(4)) == (1, 4)
        assert g.environ_get(100, 300) == 0 and bytes(g.mem[300:304]) == b"K=V\0"
        size = len(g.mem)
        assert g.args_get(size - 4, 200) == abi.EFAULT  # 8 bytes of pointers
        assert g.args_get(100, size - 4) == abi.EFAULT  # 5 bytes of strings
        assert g.args_sizes_get(size - 2, 0) == abi.EFAULT
        assert g.environ_get(-4, 300) == abi.EFAULT


def test_clocks_all_four():
    with Wasi() as wasi:
        g = Guest(wasi)
        for clock in range(4):
            assert g.clock_res_get(clock, 8) == 0
            assert 0 < g.u64(8) <= 1_000_000
            assert g.clock_time_get(clock, 1, 16) == 0
            first = g.u64(16)
            sum(range(20000))
            assert g.clock_time_get(clock, 1, 16) == 0
            assert g.u64(16) >= first > 0
        assert g.clock_time_get(0, 0, 16) == 0
        assert abs(g.u64(16) - time.time_ns()) < 10**9
        assert g.clock_res_get(4, 8) == abi.EINVAL
        assert g.clock_time_get(-1, 0, 8) == abi.EINVAL
        assert g.clock_time_get(1, 0, len(g.mem) - 4) == abi.EFAULT


def test_random_get():
    with Wasi() as wasi:
        g = Guest(wasi)
        assert g.random_get(100, 64) == 0
        assert bytes(g.mem[100:164]) != bytes(64)
        assert g.random_get(100, 0) == 0
        size = len(g.mem)
        assert g.random_get(size - 10, 11) == abi.EFAULT
        assert len(g.mem) == size


def test_stubs(guest):
    assert guest.proc_raise(9) == abi.ENOSYS
    assert guest.fd_fdstat_set_rights(1, 0, 0) == abi.ENOSYS
    assert guest.sched_yield() == 0


# -- EFAULT: pointers and lengths outside memory ------------------------------------------


def _efault_cases(g: Guest):
    size = len(g.mem)
    end = size - 2  # a pointer whose object runs off the end
    far = 0xFFFFFFF0  # and one far outside (also -16 as a signed i32)
    p, n = g.s("file.txt")
    good_iov = g.alloc(struct.pack("<II", g.alloc(16), 16))
    bad_iov = g.alloc(struct.pack("<II", size - 8, 16))
    out = g.alloc(64)
    return [
        ("fd_write iovs", lambda: g.fd_write(1, far, 1, out)),
        ("fd_write iovec buffer", lambda: g.fd_write(1, bad_iov, 1, out)),
        ("fd_write iovs_len", lambda: g.fd_write(1, good_iov, 0x10000000, out)),
        ("fd_write result", lambda: g.fd_write(1, good_iov, 1, end)),
        ("fd_read iovec buffer", lambda: g.fd_read(0, bad_iov, 1, out)),
        ("fd_read result", lambda: g.fd_read(0, good_iov, 1, -1)),
        ("fd_pread", lambda: g.fd_pread(0, far, 1, 0, out)),
        ("fd_pwrite", lambda: g.fd_pwrite(3, bad_iov, 1, 0, out)),
        ("fd_fdstat_get", lambda: g.fd_fdstat_get(1, end)),
        ("fd_filestat_get", lambda: g.fd_filestat_get(1, size - 63)),
        ("fd_prestat_get", lambda: g.fd_prestat_get(3, end)),
        ("fd_prestat_dir_name", lambda: g.fd_prestat_dir_name(3, end, 4)),
        ("fd_readdir buf", lambda: g.fd_readdir(3, size - 30, 4096, 0, out)),
        ("fd_readdir result", lambda: g.fd_readdir(3, out, 64, 0, far)),
        ("fd_seek", lambda: g.fd_seek(0, 0, 0, end)),
        ("fd_tell", lambda: g.fd_tell(0, far)),
        ("path_open path", lambda: g.path_open(3, 0, end, 8, 0, 2, 0, 0, out)),
        ("path_open result", lambda: g.path_open(3, 0, p, n, 0, 2, 0, 0, end)),
        ("path_filestat_get path", lambda: g.path_filestat_get(3, 0, far, 4, out)),
        ("path_filestat_get result", lambda: g.path_filestat_get(3, 0, p, n, end)),
        ("path_create_directory", lambda: g.path_create_directory(3, end, 10)),
        ("path_remove_directory", lambda: g.path_remove_directory(3, far, 1)),
        ("path_unlink_file", lambda: g.path_unlink_file(3, end, 3)),
        ("path_rename", lambda: g.path_rename(3, p, n, 3, end, 3)),
        ("path_link", lambda: g.path_link(3, 0, far, 2, 3, p, n)),
        ("path_symlink", lambda: g.path_symlink(end, 8, 3, p, n)),
        ("path_readlink", lambda: g.path_readlink(3, end, 3, out, 8, out)),
        ("path_filestat_set_times", lambda: g.path_filestat_set_times(3, 0, far, 3, 0, 0, 0)),
        ("poll_oneoff in", lambda: g.poll_oneoff(end, out, 1, out)),
        ("poll_oneoff out", lambda: g.poll_oneoff(out, end, 1, out)),
        ("poll_oneoff result", lambda: g.poll_oneoff(out, out, 1, end)),
        ("random_get", lambda: g.random_get(end, 3)),
        ("clock_res_get", lambda: g.clock_res_get(0, end)),
        ("environ_sizes_get", lambda: g.environ_sizes_get(end, out)),
        ("args_get", lambda: g.args_get(far, out)),
    ]


def test_efault_everywhere(guest):
    """A bad pointer or length is EFAULT: no exception, memory neither grown nor
    written past its end."""
    size = len(guest.mem)
    tail = bytes(guest.mem[size - 64:])
    for what, call in _efault_cases(guest):
        assert call() == abi.EFAULT, what
        assert len(guest.mem) == size, what
        assert bytes(guest.mem[size - 64:]) == tail, what
    assert guest.stdout.getvalue() == b""  # nothing half-written either
    p, n = guest.s("created.txt")
    assert guest.path_open(3, 0, p, n, abi.OFLAGS_CREAT, 0, 0, 0, size - 1) == abi.EFAULT
    assert guest.stat("created.txt")[0] == abi.ENOENT  # no side effect


def test_fd_write_efault_writes_nothing(guest):
    """With one good and one bad iovec, nothing is written (wazero would write the
    first)."""
    good = guest.alloc(b"abc")
    iovs = guest.alloc(struct.pack("<IIII", good, 3, len(guest.mem) - 1, 2))
    assert guest.fd_write(1, iovs, 2, guest.alloc(4)) == abi.EFAULT
    assert guest.stdout.getvalue() == b""


# -- the sandbox ----------------------------------------------------------------------------


def test_sandbox_dotdot_and_absolute(guest, sandbox):
    assert guest.open("../secret.txt")[0] == abi.EPERM
    assert guest.open("sub/../../secret.txt")[0] == abi.EPERM
    assert guest.open("/etc/passwd")[0] == abi.EPERM
    assert guest.open(str(sandbox.parent / "secret.txt"))[0] == abi.EPERM
    assert guest.stat("..")[0] == abi.EPERM
    assert guest.open("sub/../file.txt")[0] == 0  # inside: fine
    assert guest.open("./sub/./inner.txt")[0] == 0
    assert guest.open("")[0] == abi.EINVAL
    # relative to a directory fd that is not a preopen: it cannot leave that directory
    e, subfd = guest.open("sub", oflags=abi.OFLAGS_DIRECTORY)
    assert e == 0
    assert guest.open("inner.txt", dirfd=subfd)[0] == 0
    assert guest.open("../file.txt", dirfd=subfd)[0] == abi.EPERM
    p, n = guest.s("../escape")
    for call in (lambda: guest.path_create_directory(3, p, n),
                 lambda: guest.path_unlink_file(3, p, n),
                 lambda: guest.path_remove_directory(3, p, n),
                 lambda: guest.path_symlink(*guest.s("x"), 3, p, n),
                 lambda: guest.path_rename(3, *guest.s("file.txt"), 3, p, n),
                 lambda: guest.path_link(3, 0, *guest.s("file.txt"), 3, p, n),
                 lambda: guest.path_filestat_set_times(3, 0, p, n, 0, 0, 0)):
        assert call() == abi.EPERM
    assert sorted(os.listdir(sandbox.parent)) == ["box", "secret.txt"]


def test_sandbox_symlinks(guest, sandbox):
    secret = sandbox.parent / "secret.txt"
    os.symlink(str(secret), sandbox / "abs")
    os.symlink("../secret.txt", sandbox / "rel")
    os.symlink("..", sandbox / "up")
    os.symlink("sub/../../secret.txt", sandbox / "sneaky")
    os.symlink("rel", sandbox / "chain")
    os.symlink("loop2", sandbox / "loop1")
    os.symlink("loop1", sandbox / "loop2")
    os.symlink("sub/inner.txt", sandbox / "good")
    os.symlink("sub", sandbox / "subdir")
    for name in ("abs", "rel", "up/secret.txt", "sneaky", "chain", "subdir/../rel"):
        assert guest.open(name)[0] == abi.EPERM, name
        assert guest.stat(name)[0] == abi.EPERM, name
    assert guest.open("loop1")[0] == abi.ELOOP
    # not following the final symlink: opening the link itself is ELOOP (O_NOFOLLOW)
    assert guest.open("rel", follow=False)[0] == abi.ELOOP
    e, st = guest.stat("rel", follow=False)
    assert e == 0 and st[2] == abi.FILETYPE_SYMBOLIC_LINK
    # inside the sandbox symlinks work, through directories too
    e, fd = guest.open("good")
    assert e == 0 and guest.read(fd, 100) == (0, b"inner\n")
    e, fd = guest.open("subdir/inner.txt")
    assert e == 0 and guest.read(fd, 100) == (0, b"inner\n")
    # writing through an escaping symlink does not touch the file outside
    e, _ = guest.open("rel", oflags=abi.OFLAGS_TRUNC, write=True)
    assert e == abi.EPERM
    assert secret.read_text() == "SECRET\n"
    # a symlink made by the guest to outside is harmless; an absolute one is refused
    p, n = guest.s("made")
    assert guest.path_symlink(*guest.s("../secret.txt"), 3, p, n) == 0
    assert guest.open("made")[0] == abi.EPERM
    assert guest.path_symlink(*guest.s(str(secret)), 3, *guest.s("made2")) == abi.EPERM
    # a hard link needs the source inside
    assert guest.path_link(3, 1, *guest.s("rel"), 3, *guest.s("hl")) == abi.EPERM
    assert not (sandbox / "hl").exists()


def test_sandbox_resolve_unit(sandbox):
    fd = os.open(sandbox, os.O_RDONLY)
    try:
        with resolve(fd, b"sub/inner.txt", True) as r:
            assert r.name == b"inner.txt" and r.dirfd != fd
        with resolve(fd, b"file.txt", False) as r:
            assert (r.dirfd, r.name) == (fd, b"file.txt")
        with resolve(fd, b"sub/..", False) as r:
            assert (r.dirfd, r.name) == (fd, b".")
        from transpyle.wasi.fs import WasiError
        with pytest.raises(WasiError) as info:
            resolve(fd, b"file.txt/x", False)
        assert info.value.errno == abi.ENOTDIR
        with pytest.raises(WasiError) as info:
            resolve(fd, b"file.txt/", False)
        assert info.value.errno == abi.ENOTDIR
        with pytest.raises(WasiError) as info:
            resolve(fd, b"a\0b", False)
        assert info.value.errno == abi.EINVAL
    finally:
        os.close(fd)


def test_trailing_slash_and_path_errors(guest, sandbox):
    assert guest.path_unlink_file(3, *guest.s("file.txt/")) == abi.ENOTDIR
    assert guest.path_create_directory(3, *guest.s("newdir/")) == 0
    assert (sandbox / "newdir").is_dir()
    assert guest.path_create_directory(3, *guest.s("file.txt/x")) == abi.ENOENT  # wazero
    assert guest.path_remove_directory(3, *guest.s("newdir/")) == 0
    assert guest.open("sub", oflags=abi.OFLAGS_CREAT | abi.OFLAGS_DIRECTORY)[0] == abi.EINVAL
    assert guest.open("file.txt", oflags=abi.OFLAGS_DIRECTORY)[0] == abi.ENOTDIR
    assert guest.path_open(1, 0, *guest.s("x"), 0, 0, 0, 0, 0) == abi.ENOTDIR
    assert guest.path_open(99, 0, *guest.s("x"), 0, 0, 0, 0, 0) == abi.EBADF
    assert guest.path_readlink(3, *guest.s("file.txt"), 0, 10, 0) == abi.EINVAL
    os.symlink("sub/inner.txt", sandbox / "ln")
    out = guest.alloc(4)
    buf = guest.alloc(32)
    assert guest.path_readlink(3, *guest.s("ln"), buf, 5, out) == abi.ERANGE
    assert guest.path_readlink(3, *guest.s("ln"), buf, 32, out) == 0
    assert bytes(guest.mem[buf:buf + guest.u32(out)]) == b"sub/inner.txt"


# -- read-only preopens ------------------------------------------------------------------


def test_read_only_preopen(tmp_path, sandbox):
    rw = tmp_path / "rw"
    rw.mkdir()
    config = WasiConfig(preopens={"/ro": str(sandbox), "/rw": str(rw)}, read_only={"/ro"},
                        stdout=io.BytesIO())
    before = {p.name: p.stat().st_mtime_ns for p in sandbox.iterdir()}
    with Wasi(config) as wasi:
        g = Guest(wasi)
        e, fd = g.open("file.txt")
        assert e == 0 and g.read(fd, 5) == (0, b"hello")
        assert g.open("file.txt", write=True)[0] == abi.EROFS
        assert g.open("new.txt", oflags=abi.OFLAGS_CREAT)[0] == abi.EROFS
        assert g.open("file.txt", oflags=abi.OFLAGS_TRUNC)[0] == abi.EROFS
        assert g.open("sub", oflags=abi.OFLAGS_DIRECTORY, write=True)[0] == abi.EISDIR
        assert g.path_create_directory(3, *g.s("d")) == abi.EROFS
        assert g.path_unlink_file(3, *g.s("file.txt")) == abi.EROFS
        assert g.path_remove_directory(3, *g.s("sub")) == abi.EROFS
        assert g.path_rename(3, *g.s("file.txt"), 3, *g.s("x")) == abi.EROFS
        assert g.path_rename(3, *g.s("file.txt"), 4, *g.s("x")) == abi.EROFS
        assert g.path_rename(4, *g.s("x"), 3, *g.s("x")) == abi.EROFS
        assert g.path_symlink(*g.s("file.txt"), 3, *g.s("ln")) == abi.EROFS
        assert g.path_link(3, 0, *g.s("file.txt"), 4, *g.s("hard")) == abi.EROFS
        assert g.path_filestat_set_times(3, 0, *g.s("file.txt"), 0, 0,
                                         abi.FSTFLAGS_MTIM_NOW) == abi.EROFS
        # through the fd opened for reading: writes are EBADF (as wazero)
        assert g.write(fd, b"x")[0] == abi.EBADF
        assert g.fd_pwrite(fd, g.alloc(struct.pack("<II", 0, 1)), 1, 0, g.alloc(4)) == \
            abi.EBADF
        assert g.fd_filestat_set_size(fd, 0) == abi.EBADF
        assert g.fd_filestat_set_times(fd, 0, 0, abi.FSTFLAGS_MTIM_NOW) == abi.EBADF
        assert g.fd_allocate(fd, 0, 100) == abi.EBADF
        assert g.fd_sync(fd) == abi.EBADF
        # the read-write preopen next to it works
        e, wfd = g.open("w.txt", dirfd=4, oflags=abi.OFLAGS_CREAT, write=True)
        assert e == 0 and g.write(wfd, b"data") == (0, 4)
    assert {p.name: p.stat().st_mtime_ns for p in sandbox.iterdir()} == before
    assert (rw / "w.txt").read_bytes() == b"data"
    assert not (rw / "hard").exists()


def test_read_only_all(sandbox):
    with Wasi(WasiConfig(preopens={"/a": str(sandbox)}, read_only=True)) as wasi:
        g = Guest(wasi)
        assert g.path_unlink_file(3, *g.s("file.txt")) == abi.EROFS
    assert (sandbox / "file.txt").exists()


# -- fd_* specifics ------------------------------------------------------------------------


def test_fd_renumber_rules(guest, sandbox):
    e, a = guest.open("file.txt")
    e2, b = guest.open("sub/inner.txt")
    assert (e, e2, a, b) == (0, 0, 4, 5)
    assert guest.fd_renumber(a, b) == 0
    assert guest.read(b, 5) == (0, b"hello")
    assert guest.read(a, 5)[0] == abi.EBADF
    assert guest.fd_renumber(b, 20) == 0  # to a free number: like dup2
    assert guest.read(20, 3) == (0, b" fi")
    assert guest.fd_renumber(20, 20) == 0  # itself: nothing happens
    assert guest.read(20, 3) == (0, b"le\n")
    assert guest.fd_renumber(20, 1) == abi.ENOTSUP  # stdio is a preopen
    assert guest.fd_renumber(3, 20) == abi.ENOTSUP  # so is the directory
    assert guest.fd_renumber(0, 20) == abi.ENOTSUP
    assert guest.fd_renumber(99, 20) == abi.EBADF
    assert guest.fd_renumber(20, -1) == abi.EBADF
    assert guest.fd_close(20) == 0
    assert guest.fd_close(20) == abi.EBADF


def test_fd_renumber_closes_the_target(guest):
    e, a = guest.open("file.txt")
    e, b = guest.open("sub/inner.txt")
    host_b = guest.wasi.fds[b].fd
    assert guest.fd_renumber(a, b) == 0
    with pytest.raises(OSError):
        os.fstat(host_b)


def test_fd_allocate(guest, sandbox):
    e, fd = guest.open("file.txt", write=True)
    assert guest.fd_allocate(fd, 0, 4) == 0  # already large enough: unchanged
    assert (sandbox / "file.txt").stat().st_size == 11
    assert guest.fd_allocate(fd, 10, 90) == 0
    assert (sandbox / "file.txt").stat().st_size == 100
    assert guest.fd_allocate(fd, 1 << 62, 1 << 62) == abi.EINVAL  # past int64
    assert guest.fd_allocate(99, 0, 1) == abi.EBADF
    assert guest.fd_allocate(3, 0, 1) == abi.EISDIR
    assert guest.fd_allocate(1, 0, 1) == abi.EBADF  # a stream


def test_times_and_advise(guest, sandbox):
    e, fd = guest.open("file.txt", write=True)
    both = abi.FSTFLAGS_ATIM | abi.FSTFLAGS_ATIM_NOW
    assert guest.fd_filestat_set_times(fd, 0, 0, both) == abi.EINVAL
    assert guest.fd_filestat_set_times(fd, 0, 0, abi.FSTFLAGS_MTIM | abi.FSTFLAGS_MTIM_NOW) \
        == abi.EINVAL
    assert guest.fd_filestat_set_times(fd, 5 * 10**9, 0, abi.FSTFLAGS_ATIM) == 0
    st = os.stat(sandbox / "file.txt")
    assert st.st_atime_ns == 5 * 10**9 and st.st_mtime_ns > 10**18  # mtime kept
    assert guest.fd_filestat_set_times(fd, 0, 0, abi.FSTFLAGS_MTIM_NOW) == 0
    assert abs(os.stat(sandbox / "file.txt").st_mtime_ns - time.time_ns()) < 5 * 10**9
    assert guest.fd_filestat_set_times(99, 0, 0, 0) == abi.EBADF
    # a symlink's own times, not following it
    os.symlink("file.txt", sandbox / "ln")
    p, n = guest.s("ln")
    assert guest.path_filestat_set_times(3, 0, p, n, 0, 7 * 10**9, abi.FSTFLAGS_MTIM) == 0
    assert os.lstat(sandbox / "ln").st_mtime_ns == 7 * 10**9
    assert os.stat(sandbox / "file.txt").st_mtime_ns != 7 * 10**9
    assert guest.path_filestat_set_times(3, 1, p, n, 0, 8 * 10**9, abi.FSTFLAGS_MTIM) == 0
    assert os.stat(sandbox / "file.txt").st_mtime_ns == 8 * 10**9
    assert guest.path_filestat_set_times(3, 0, p, n, 0, 0, both) == abi.EINVAL
    assert guest.fd_advise(fd, 0, 10, 5) == 0
    assert guest.fd_advise(fd, 0, 10, 6) == abi.EINVAL
    assert guest.fd_advise(99, 0, 10, 0) == abi.EBADF
    assert guest.fd_sync(fd) == 0 and guest.fd_datasync(fd) == 0
    assert guest.fd_sync(99) == abi.EBADF and guest.fd_datasync(99) == abi.EBADF
    assert guest.fd_filestat_set_size(fd, -1) == abi.EINVAL
    assert guest.fd_filestat_set_size(fd, 3) == 0
    assert (sandbox / "file.txt").read_bytes() == b"hel"
    assert guest.fd_filestat_set_size(3, 0) == abi.EISDIR
    assert guest.fd_filestat_set_size(1, 0) == abi.EBADF


def test_fd_read_write_errors(guest):
    e, d = guest.open("sub", oflags=abi.OFLAGS_DIRECTORY)
    assert guest.read(d, 10)[0] == abi.EISDIR  # wazero (wasmtime: EBADF)
    assert guest.read(3, 10)[0] == abi.EISDIR
    assert guest.write(3, b"x")[0] == abi.EISDIR
    assert guest.read(1, 10)[0] == abi.EBADF  # stdout is not readable
    assert guest.write(0, b"x")[0] == abi.EBADF
    assert guest.write(77, b"x")[0] == abi.EBADF
    assert guest.read(0, 10) == (0, b"in")
    assert guest.read(0, 10) == (0, b"")  # EOF
    assert guest.write(1, b"out") == (0, 3)
    assert guest.stdout.getvalue() == b"out"
    assert guest.fd_seek(1, 0, 0, guest.alloc(8)) == abi.ESPIPE
    assert guest.fd_seek(3, 0, 0, guest.alloc(8)) == abi.EISDIR
    e, f = guest.open("file.txt")
    assert guest.fd_seek(f, 0, 3, guest.alloc(8)) == abi.EINVAL
    assert guest.fd_pread(1, guest.alloc(8), 1, 0, guest.alloc(4)) == abi.ESPIPE
    assert guest.fd_pread(f, guest.alloc(struct.pack("<II", 100, 4)), 1, -1,
                          guest.alloc(4)) == abi.EINVAL


def test_fdstat_filestat_prestat(guest, sandbox):
    out = guest.alloc(64)
    assert guest.fd_fdstat_get(1, out) == 0
    ft, flags, base, inh = abi.FDSTAT.unpack_from(guest.mem, out)
    # a BytesIO is no terminal: it looks like a pipe, so libc buffers stdout fully
    assert ft == abi.FILETYPE_UNKNOWN and flags == abi.FDFLAGS_APPEND
    assert guest.fd_fdstat_get(3, out) == 0
    assert abi.FDSTAT.unpack_from(guest.mem, out)[0] == abi.FILETYPE_DIRECTORY
    assert guest.fd_fdstat_get(50, out) == abi.EBADF
    assert guest.fd_filestat_get(1, out) == 0
    assert abi.FILESTAT.unpack_from(guest.mem, out)[2:4] == (abi.FILETYPE_UNKNOWN, 1)
    e, fd = guest.open("file.txt")
    assert guest.fd_filestat_get(fd, out) == 0
    st = abi.FILESTAT.unpack_from(guest.mem, out)
    host = os.stat(sandbox / "file.txt")
    assert st == (host.st_dev, host.st_ino, abi.FILETYPE_REGULAR_FILE, host.st_nlink,
                  host.st_size, host.st_atime_ns, host.st_mtime_ns, host.st_ctime_ns)
    assert guest.fd_prestat_get(3, out) == 0
    assert struct.unpack_from("<BxxxI", guest.mem, out) == (0, 4)
    assert guest.fd_prestat_dir_name(3, out, 4) == 0 and bytes(guest.mem[out:out + 4]) == b"/box"
    assert guest.fd_prestat_dir_name(3, out, 2) == 0 and bytes(guest.mem[out:out + 2]) == b"/b"
    assert guest.fd_prestat_dir_name(3, out, 5) == abi.ENAMETOOLONG
    assert guest.fd_prestat_get(fd, out) == abi.EBADF  # not a preopen
    assert guest.fd_prestat_get(1, out) == abi.EBADF
    assert guest.fd_prestat_get(4 + 10, out) == abi.EBADF


def test_terminal_streams_are_character_devices():
    class Terminal(io.BytesIO):
        def isatty(self):
            return True

    with Wasi(WasiConfig(stdout=Terminal())) as wasi:
        g = Guest(wasi)
        out = g.alloc(24)
        assert g.fd_fdstat_get(1, out) == 0
        ft, flags, base, inh = abi.FDSTAT.unpack_from(g.mem, out)
        assert ft == abi.FILETYPE_CHARACTER_DEVICE
        assert base & (abi.RIGHT_FD_SEEK | abi.RIGHT_FD_TELL) == 0  # wasi-libc's isatty()


def test_fdstat_set_flags(guest, sandbox):
    e, fd = guest.open("file.txt", write=True)
    assert guest.fd_fdstat_set_flags(fd, abi.FDFLAGS_SYNC) == abi.EINVAL
    assert guest.fd_fdstat_set_flags(fd, abi.FDFLAGS_APPEND) == 0
    assert guest.write(fd, b"++") == (0, 2)
    assert (sandbox / "file.txt").read_bytes() == b"hello file\n++"
    out = guest.alloc(24)
    assert guest.fd_fdstat_get(fd, out) == 0
    assert abi.FDSTAT.unpack_from(guest.mem, out)[1] == abi.FDFLAGS_APPEND
    assert guest.fd_fdstat_set_flags(fd, 0) == 0
    assert guest.fd_fdstat_set_flags(1, abi.FDFLAGS_NONBLOCK) == abi.ENOSYS  # a stream
    assert guest.fd_fdstat_set_flags(99, 0) == abi.EBADF


def test_fd_readdir_paging(guest, sandbox):
    for i in range(30):
        (sandbox / f"entry-{i:02d}-{'x' * i}").write_text("")
    names = []
    cookie = 0
    buf = guest.alloc(100)  # small: most calls end in a partial entry
    out = guest.alloc(4)
    for _ in range(1000):
        assert guest.fd_readdir(3, buf, 100, cookie, out) == 0
        used = guest.u32(out)
        data = bytes(guest.mem[buf:buf + used])
        pos = 0
        while pos + 24 <= len(data):
            d_next, ino, namlen, dtype = abi.DIRENT.unpack_from(data, pos)
            if pos + 24 + namlen > len(data):
                break  # truncated: read again from this cookie
            names.append(data[pos + 24:pos + 24 + namlen].decode())
            cookie = d_next
            pos += 24 + namlen
        if used < 100:
            break
    expected = {".", "..", "file.txt", "sub"} | {f"entry-{i:02d}-{'x' * i}" for i in range(30)}
    assert sorted(names) == sorted(expected)
    assert guest.fd_readdir(3, buf, 23, 0, out) == abi.EINVAL
    assert guest.fd_readdir(3, buf, 100, 10**6, out) == abi.ENOENT
    e, fd = guest.open("file.txt")
    assert guest.fd_readdir(fd, buf, 100, 0, out) == abi.EBADF
    assert guest.fd_readdir(1, buf, 100, 0, out) == abi.EBADF


def test_fd_close_keeps_process_stdio():
    with Wasi(WasiConfig()) as wasi:  # inherited stdio
        assert wasi.fd_close(1) == 0
        assert wasi.fd_close(1) == abi.EBADF
    os.fstat(1)  # still open
    assert os.write(1, b"") == 0


# -- poll_oneoff -----------------------------------------------------------------------------


def _clock_sub(userdata: int, timeout_ns: int, flags: int = 0, clock: int = 1) -> bytes:
    return struct.pack("<QB7x", userdata, abi.EVENTTYPE_CLOCK) + \
        struct.pack("<I4xQQH6x", clock, timeout_ns, 0, flags)


def _fd_sub(userdata: int, kind: int, fd: int) -> bytes:
    return struct.pack("<QB7x", userdata, kind) + struct.pack("<i28x", fd)


def _poll(g: Guest, subs: list[bytes]) -> tuple[int, list[tuple]]:
    inp = g.alloc(b"".join(subs))
    out = g.alloc(32 * len(subs))
    n = g.alloc(4)
    e = g.poll_oneoff(inp, out, len(subs), n)
    events = [abi.EVENT.unpack_from(g.mem, out + 32 * i) for i in range(g.u32(n))] \
        if e == 0 else []
    return e, events


def test_poll_clock_sleeps_and_reports_the_first(guest):
    t0 = time.monotonic()
    e, events = _poll(guest, [_clock_sub(1, 200_000_000), _clock_sub(2, 30_000_000)])
    elapsed = time.monotonic() - t0
    assert e == 0
    assert [(ev[0], ev[1], ev[2]) for ev in events] == [(2, 0, abi.EVENTTYPE_CLOCK)]
    assert elapsed >= 0.03  # slept for the first clock; the events show it was the 30 ms one
    # an absolute realtime deadline
    deadline = time.time_ns() + 40_000_000
    t0 = time.monotonic()
    e, events = _poll(guest, [_clock_sub(5, deadline, abi.SUBCLOCKFLAGS_ABSTIME, clock=0)])
    assert e == 0 and events[0][0] == 5 and time.monotonic() - t0 >= 0.035


def test_poll_fd_events(guest):
    t0 = time.monotonic()
    e, events = _poll(guest, [_clock_sub(1, 5 * 10**9), _fd_sub(7, abi.EVENTTYPE_FD_READ, 0),
                              _fd_sub(8, abi.EVENTTYPE_FD_WRITE, 1),
                              _fd_sub(9, abi.EVENTTYPE_FD_READ, 42)])
    assert e == 0 and time.monotonic() - t0 < 2
    assert sorted((ev[0], ev[1], ev[2]) for ev in events) == [
        (7, 0, abi.EVENTTYPE_FD_READ), (8, 0, abi.EVENTTYPE_FD_WRITE),
        (9, abi.EBADF, abi.EVENTTYPE_FD_READ)]
    # a regular file is always ready; nbytes says how much is left
    e, fd = guest.open("file.txt")
    e, events = _poll(guest, [_fd_sub(3, abi.EVENTTYPE_FD_READ, fd)])
    assert events == [(3, 0, abi.EVENTTYPE_FD_READ, 11, 0)]


def test_poll_pipe_waits(guest, sandbox):
    os.mkfifo(sandbox / "fifo")
    e, fd = guest.open("fifo", fdflags=abi.FDFLAGS_NONBLOCK)
    assert e == 0
    writer = os.open(sandbox / "fifo", os.O_WRONLY | os.O_NONBLOCK)
    try:
        t0 = time.monotonic()
        e, events = _poll(guest, [_fd_sub(1, abi.EVENTTYPE_FD_READ, fd),
                                  _clock_sub(2, 50_000_000)])
        assert e == 0 and [ev[0] for ev in events] == [2]  # nothing to read: the clock
        assert time.monotonic() - t0 >= 0.045
        os.write(writer, b"ping")
        e, events = _poll(guest, [_fd_sub(1, abi.EVENTTYPE_FD_READ, fd),
                                  _clock_sub(2, 5 * 10**9)])
        assert e == 0 and [ev[0] for ev in events] == [1]
        assert guest.read(fd, 10) == (0, b"ping")
        assert guest.read(fd, 10)[0] == abi.EAGAIN  # non-blocking and empty
    finally:
        os.close(writer)


def test_poll_errors(guest):
    assert _poll(guest, [])[0] == abi.EINVAL
    assert _poll(guest, [_fd_sub(1, abi.EVENTTYPE_FD_READ, -1)])[0] == abi.EBADF
    assert _poll(guest, [_clock_sub(1, 0, flags=2)])[0] == abi.EINVAL
    bad = struct.pack("<QB7x", 1, 9) + bytes(32)
    assert _poll(guest, [bad])[0] == abi.EINVAL
    e, events = _poll(guest, [_clock_sub(1, 10**9, abi.SUBCLOCKFLAGS_ABSTIME, clock=2)])
    assert e == 0 and events[0][1] == abi.EINVAL  # CPU-time deadlines: not supported


# -- sockets ---------------------------------------------------------------------------------


@pytest.fixture
def listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    yield sock
    sock.close()


def test_socket_errnos_on_non_sockets(guest):
    out = guest.alloc(8)
    iov = guest.alloc(struct.pack("<II", guest.alloc(8), 8))
    e, fd = guest.open("file.txt")
    for target in (0, 1, 3, fd, 99, -1):
        assert guest.sock_accept(target, 0, out) == abi.EBADF
        assert guest.sock_recv(target, iov, 1, 0, out, out + 4) == abi.EBADF
        assert guest.sock_send(target, iov, 1, 0, out) == abi.EBADF
        assert guest.sock_shutdown(target, abi.SDFLAGS_WR) == abi.EBADF
    assert guest.sock_send(1, iov, 1, 1, out) == abi.ENOTSUP  # no flags are defined


def test_socket_roundtrip(listener):
    peer = socket.create_connection(listener.getsockname())
    with Wasi(WasiConfig(sockets=[listener])) as wasi:
        g = Guest(wasi)
        out = g.alloc(8)
        assert g.sock_accept(3, 0xF0, out) == abi.EINVAL
        assert g.sock_accept(3, abi.FDFLAGS_NONBLOCK, out) == 0
        conn = g.u32(out)
        assert conn == 4
        assert g.fd_fdstat_get(conn, out) == 0
        assert g.mem[out] == abi.FILETYPE_SOCKET_STREAM
        buf = g.alloc(16)
        iov = g.alloc(struct.pack("<II", buf, 16))
        res = g.alloc(8)
        assert g.sock_recv(conn, iov, 1, 0, res, res + 4) == abi.EAGAIN  # non-blocking
        peer.sendall(b"abcdef")
        time.sleep(0.05)
        assert g.sock_recv(conn, iov, 1, 0x10, res, res + 4) == abi.ENOTSUP
        assert g.sock_recv(conn, iov, 1, abi.RIFLAGS_RECV_PEEK, res, res + 4) == 0
        assert bytes(g.mem[buf:buf + g.u32(res)]) == b"abcdef"
        assert g.sock_recv(conn, iov, 1, 0, res, res + 4) == 0
        assert bytes(g.mem[buf:buf + g.u32(res)]) == b"abcdef"
        assert g.sock_recv(conn, iov, 1, 0, res, len(g.mem) - 1) == abi.EFAULT
        data = g.alloc(b"reply")
        assert g.sock_send(conn, g.alloc(struct.pack("<II", data, 5)), 1, 0, res) == 0
        assert g.u32(res) == 5
        assert peer.recv(10) == b"reply"
        assert g.sock_shutdown(conn, 0) == abi.EINVAL
        assert g.sock_shutdown(conn, abi.SDFLAGS_RD | abi.SDFLAGS_WR) == 0
        assert peer.recv(10) == b""
        assert g.sock_accept(conn, 0, out) == abi.EBADF  # a connection is no listener
        assert g.sock_shutdown(3, abi.SDFLAGS_WR) == abi.EBADF  # nor the other way
        assert g.fd_close(conn) == 0
        # the caller's listener stays open when the guest closes it
        assert g.fd_close(3) == 0
    assert listener.fileno() >= 0
    peer.close()


# -- wasi_unstable layouts -----------------------------------------------------------------


def test_unstable_filestat_and_whence(guest, sandbox):
    e, fd = guest.open("file.txt")
    out = guest.alloc(64)
    guest.mem[out:out + 64] = b"\xee" * 64
    assert guest.wasi.fd_filestat_get_unstable(fd, out) == 0
    dev, ino, ft, nlink, size, atim, mtim, ctim = abi.FILESTAT_UNSTABLE.unpack_from(
        guest.mem, out)
    host = os.stat(sandbox / "file.txt")
    assert (ino, ft, nlink, size, mtim) == (host.st_ino, abi.FILETYPE_REGULAR_FILE, 1, 11,
                                             host.st_mtime_ns)
    assert bytes(guest.mem[out + 56:out + 64]) == b"\xee" * 8  # 56 bytes, no more
    assert guest.wasi.fd_filestat_get_unstable(fd, len(guest.mem) - 55) == abi.EFAULT
    p, n = guest.s("file.txt")
    assert guest.wasi.path_filestat_get_unstable(3, 0, p, n, out) == 0
    assert abi.FILESTAT_UNSTABLE.unpack_from(guest.mem, out)[4] == 11
    res = guest.alloc(8)
    assert guest.wasi.fd_seek_unstable(fd, -3, 1, res) == 0  # 1 = END in snapshot-00
    assert guest.u64(res) == 8
    assert guest.wasi.fd_seek_unstable(fd, 2, 2, res) == 0  # 2 = SET
    assert guest.u64(res) == 2
    assert guest.wasi.fd_seek_unstable(fd, 1, 0, res) == 0  # 0 = CUR
    assert guest.u64(res) == 3
    assert guest.wasi.fd_seek_unstable(fd, 0, 3, res) == abi.EINVAL


def test_unstable_poll_subscription_layout(guest):
    sub = struct.pack("<QB7x", 77, abi.EVENTTYPE_CLOCK) + \
        struct.pack("<QI4xQQH6x", 1234, 1, 20_000_000, 0, 0)  # identifier, id, ...
    assert len(sub) == 56
    inp = guest.alloc(sub * 2)
    out = guest.alloc(64)
    n = guest.alloc(4)
    t0 = time.monotonic()
    assert guest.wasi.poll_oneoff_unstable(inp, out, 2, n) == 0
    assert time.monotonic() - t0 >= 0.015
    assert guest.u32(n) == 2
    assert abi.EVENT.unpack_from(guest.mem, out)[:3] == (77, 0, abi.EVENTTYPE_CLOCK)


def test_select_poll_available():
    assert hasattr(select, "poll")

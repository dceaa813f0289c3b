"""`Wasi`: one guest's WASI state (its file table, arguments, environment) and the 46
host functions of `wasi_snapshot_preview1`, also importable as `wasi_unstable`.

Calling convention. Each function is a `transpyle.Func` whose Python callable is a
bound method of the `Wasi`: it receives natural values (i32/i64 signed), so fds are
compared as signed ints (as wazero's `int32(fd)`), pointers and lengths are masked to
u32 before use, and every function returns a WASI errno (`abi.E*`), never raises for
anything the guest passes: a pointer or length outside memory is EFAULT, checked
before anything is written (no partial write past the end: a slice assignment past
the end would grow the bytearray, so every write is bounds-checked or a
`struct.pack_into`, which checks). The only exception that leaves on purpose is
`ProcExit`, raised by `proc_exit` and carried through the wasm frames unchanged by
the runtime's host-exception rule.

Memory. A host function has no caller argument: `bind(instance)` gives the `Wasi` the
instance's exported memory (its `bytearray`, which grows in place, so binding once is
enough). Calls made before `bind` (from a start function) see an empty memory: any
pointer is EFAULT.

Semantics and errno choices follow wazero (`imports/wasi_snapshot_preview1`) unless a
comment says otherwise; the differences are listed in the package docstring.
"""

from __future__ import annotations

import io
import os
import select
import socket as _socket
import struct
import sys
import time
from typing import Any

from transpyle.runtime.externs import Func, Memory
from transpyle.wasi import abi
from transpyle.wasi.abi import (
    EBADF,
    EFAULT,
    EINVAL,
    EISDIR,
    ENOSYS,
    ENOTDIR,
    ENOTSUP,
    EROFS,
    ESPIPE,
)
from transpyle.wasi.config import WasiConfig
from transpyle.wasi.fs import Entry, Root, WasiError, filetype_of, resolve
from transpyle.wasm.types import I32, I64

try:  # POSIX
    import fcntl as _fcntl
except ImportError:  # pragma: no cover
    _fcntl = None

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
_U32 = abi.U32
_U64 = abi.U64
_IOVEC = abi.IOVEC
_iov_unpack = _IOVEC.unpack_from
_u32_pack = _U32.pack_into
_u64_pack = _U64.pack_into
_writev = os.writev
_readv = os.readv
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_DSYNC = getattr(os, "O_DSYNC", 0)
_O_RSYNC = getattr(os, "O_RSYNC", 0)
_O_SYNC = getattr(os, "O_SYNC", 0)
_FILE_MODE = 0o666  # new files and directories: 0o666/0o777 less the umask, like open(2)
_DIR_MODE = 0o777
_MAX_SLEEP_S = 86400.0


class ProcExit(Exception):
    """Raised by `proc_exit`: the guest ended with exit code `code` (0-4294967295). It
    propagates through the wasm frames to the code that called into wasm; `run` and
    `Wasi.start` catch it and return the code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"proc_exit({self.code})"


def _stream_filetype(stream) -> int:
    """A stream is a character device if it says it is a terminal, else it looks like
    a pipe (FILETYPE_UNKNOWN, as wazero reports pipes). wazero calls every stream a
    character device, which wasi-libc's isatty() takes for a terminal: stdout becomes
    line-buffered, one fd_write per line instead of one per 1 KiB."""
    try:
        isatty = stream.isatty()
    except (AttributeError, OSError, ValueError):
        isatty = False
    return abi.FILETYPE_CHARACTER_DEVICE if isatty else abi.FILETYPE_UNKNOWN


class Wasi:
    """The WASI state of one guest: file table, arguments, environment, and the host
    functions that act on them. See the package docstring for the life cycle."""

    def __init__(self, config: WasiConfig | None = None):
        if config is None:
            config = WasiConfig()
        if not isinstance(config, WasiConfig):
            raise TypeError(f"Wasi needs a WasiConfig, got {type(config).__name__}")
        self.config = config
        self.memory: Memory | None = None
        self.mem = bytearray()  # the bound memory's bytearray (empty until bind)
        self.args = list(config.args)
        self.environ = list(config.env)
        self.fds: dict[int, Entry] = {}
        self.roots: list[Root] = []
        self._restore_blocking: dict[int, bool] = {}
        self._closed = False
        try:
            self._open_stdio(config)
            for guest, host in config.preopens:
                root = Root(host, guest, guest in config.read_only)
                self.roots.append(root)
                self.fds[self._free_fd()] = Entry(
                    root.fd, root=root, filetype=abi.FILETYPE_DIRECTORY, preopen=True,
                    name=guest, owns_fd=False)
            for sock in config.sockets:
                self.fds[self._free_fd()] = Entry(
                    sock.fileno(), sock=sock, filetype=abi.FILETYPE_SOCKET_STREAM,
                    preopen=True, owns_fd=False, listener=True)
        except BaseException:
            self.close()
            raise
        self._imports: dict[str, dict[str, Func]] | None = None

    # -- life cycle -----------------------------------------------------------------

    def _open_stdio(self, config: WasiConfig) -> None:
        for fd, value, reading in ((0, config.stdin, True), (1, config.stdout, False),
                                   (2, config.stderr, False)):
            if value is None:  # inherit the process's own fd
                if not reading:
                    stream = sys.stdout if fd == 1 else sys.stderr
                    try:  # what Python printed so far comes first
                        if stream is not None:
                            stream.flush()
                    except (OSError, ValueError):
                        pass
                try:
                    mode = os.fstat(fd).st_mode
                    ft = filetype_of(mode)
                except OSError:
                    ft = abi.FILETYPE_UNKNOWN
                self.fds[fd] = Entry(fd, filetype=ft, preopen=True, owns_fd=False,
                                     append=True)
            else:
                if isinstance(value, bytes):
                    value = io.BytesIO(value)
                self.fds[fd] = Entry(stream=value, filetype=_stream_filetype(value),
                                     readable=reading, writable=not reading, preopen=True,
                                     owns_fd=False, append=True)

    def close(self) -> None:
        """Close every fd the guest still has open and the preopened directories (never
        the caller's streams and sockets, nor the process's stdio), and restore the
        blocking mode of inherited stdio the guest changed. Idempotent."""
        if self._closed:
            return
        self._closed = True
        fds, self.fds = self.fds, {}
        for entry in fds.values():
            try:
                entry.close()
            except OSError:
                pass
        for root in self.roots:
            root.close()
        for fd, blocking in self._restore_blocking.items():
            try:
                os.set_blocking(fd, blocking)
            except OSError:
                pass

    def __enter__(self) -> "Wasi":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def bind(self, instance=None, *, memory: Memory | None = None) -> "Wasi":
        """Use `memory`, or `instance`'s export named "memory", as the guest memory
        every host function reads and writes. Call after instantiation, before the
        guest runs (`start` does it)."""
        if memory is None:
            if instance is None:
                raise TypeError("bind needs an instance or memory=")
            exports = instance.exports
            if "memory" not in exports or not isinstance(exports["memory"], Memory):
                raise ValueError(f"{instance!r} exports no memory named 'memory' "
                                 f"(pass memory= to bind)")
            memory = exports["memory"]
        if not isinstance(memory, Memory):
            raise TypeError(f"memory must be a transpyle.Memory, got {type(memory).__name__}")
        self.memory = memory
        self.mem = memory.data
        return self

    def start(self, instance, *, ctx=None) -> int:
        """Bind `instance`, call its `_start` and return the exit code: 0 when `_start`
        returns, the `proc_exit` code otherwise. Traps and host exceptions propagate."""
        if "_start" not in instance.exports:
            raise ValueError(f"{instance!r} is not a WASI command: it exports no _start")
        self.bind(instance)
        start = instance.exports["_start"]
        try:
            if ctx is None:
                start()
            else:
                start(ctx=ctx)
        except ProcExit as exc:
            return exc.code
        return 0

    def imports(self) -> dict[str, dict[str, Func]]:
        """`{"wasi_snapshot_preview1": {...}, "wasi_unstable": {...}}`, for
        `Runtime.instantiate(..., imports=...)` (merge it with your own modules)."""
        if self._imports is None:
            preview1 = {name: Func(getattr(self, name), params, results, name=name)
                        for name, params, results in _SIGNATURES}
            unstable = dict(preview1)
            for name, method in _UNSTABLE_OVERRIDES.items():
                params, results = _SIGNATURE_OF[name]
                unstable[name] = Func(getattr(self, method), params, results, name=name)
            self._imports = {"wasi_snapshot_preview1": preview1, "wasi_unstable": unstable}
        return {module: dict(funcs) for module, funcs in self._imports.items()}

    # -- helpers --------------------------------------------------------------------

    def _free_fd(self) -> int:
        fd = 0
        fds = self.fds
        while fd in fds:
            fd += 1
        return fd

    def _read_bytes(self, ptr: int, length: int) -> bytes:
        mem = self.mem
        ptr &= M32
        length &= M32
        if ptr + length > len(mem):
            raise WasiError(EFAULT)
        return bytes(mem[ptr:ptr + length])

    def _write_bytes(self, ptr: int, data) -> None:
        mem = self.mem
        ptr &= M32
        if ptr + len(data) > len(mem):
            raise WasiError(EFAULT)
        mem[ptr:ptr + len(data)] = data

    def _check(self, ptr: int, length: int) -> None:
        if (ptr & M32) + length > len(self.mem):
            raise WasiError(EFAULT)

    def _iovecs(self, iovs: int, count: int) -> list[tuple[int, int]]:
        """The (pointer, length) pairs of an iovec array, each checked to be inside
        memory (EFAULT otherwise)."""
        mem = self.mem
        iovs &= M32
        count &= M32
        size = len(mem)
        if iovs + 8 * count > size:
            raise WasiError(EFAULT)
        out = []
        for pos in range(iovs, iovs + 8 * count, 8):
            p, n = _iov_unpack(mem, pos)
            if p + n > size:
                raise WasiError(EFAULT)
            out.append((p, n))
        return out

    def _entry(self, fd: int) -> Entry:
        entry = self.fds.get(fd)
        if entry is None:
            raise WasiError(EBADF)
        return entry

    def _dir(self, fd: int) -> Entry:
        """The directory entry a path is relative to (wazero's atPath checks)."""
        entry = self.fds.get(fd)
        if entry is None:
            raise WasiError(EBADF)
        if not entry.is_dir:
            raise WasiError(ENOTDIR)
        return entry

    def _path(self, fd: int, ptr: int, length: int) -> tuple[Entry, bytes]:
        """wazero's atPath order: read the path (EFAULT), then the fd (EBADF, ENOTDIR)."""
        path = self._read_bytes(ptr, length)
        return self._dir(fd), path

    @staticmethod
    def _io_errno(entry: Entry, err: Exception) -> int:
        if entry.is_dir and entry.stream is None:
            return EISDIR  # reading or writing a directory (wazero: EISDIR)
        if isinstance(err, ValueError):  # a closed stream, io.UnsupportedOperation
            return EBADF
        return abi.from_oserror(err)

    def _write_filestat(self, ptr: int, st: os.stat_result | None, filetype: int,
                        unstable: bool) -> None:
        if st is None:  # a stream: a character device with one link (as wazero)
            fields = (0, 0, filetype, 1, 0, 0, 0, 0)
        else:
            fields = (st.st_dev & M64, st.st_ino & M64, filetype, st.st_nlink,
                      st.st_size & M64, st.st_atime_ns & M64, st.st_mtime_ns & M64,
                      st.st_ctime_ns & M64)
        try:
            if unstable:
                fields = fields[:3] + (fields[3] & M32,) + fields[4:]
                abi.FILESTAT_UNSTABLE.pack_into(self.mem, ptr & M32, *fields)
            else:
                abi.FILESTAT.pack_into(self.mem, ptr & M32, *fields)
        except struct.error:
            raise WasiError(EFAULT) from None

    # -- args, environ ----------------------------------------------------------------

    def _sizes_get(self, values: list[bytes], count_ptr: int, size_ptr: int) -> int:
        try:
            _u32_pack(self.mem, count_ptr & M32, len(values))
            _u32_pack(self.mem, size_ptr & M32, sum(len(v) + 1 for v in values))
        except struct.error:
            return EFAULT
        return 0

    def _values_get(self, values: list[bytes], ptrs: int, buf: int) -> int:
        mem = self.mem
        ptrs &= M32
        buf &= M32
        total = sum(len(v) + 1 for v in values)
        if ptrs + 4 * len(values) > len(mem) or buf + total > len(mem):
            return EFAULT
        pos = buf
        for i, v in enumerate(values):
            _u32_pack(mem, ptrs + 4 * i, pos)
            mem[pos:pos + len(v) + 1] = v + b"\0"
            pos += len(v) + 1
        return 0

    def args_get(self, argv: int, argv_buf: int) -> int:
        return self._values_get(self.args, argv, argv_buf)

    def args_sizes_get(self, argc_ptr: int, argv_buf_size_ptr: int) -> int:
        return self._sizes_get(self.args, argc_ptr, argv_buf_size_ptr)

    def environ_get(self, environ: int, environ_buf: int) -> int:
        return self._values_get(self.environ, environ, environ_buf)

    def environ_sizes_get(self, count_ptr: int, size_ptr: int) -> int:
        return self._sizes_get(self.environ, count_ptr, size_ptr)

    # -- clocks -------------------------------------------------------------------------

    def clock_res_get(self, clock_id: int, result: int) -> int:
        res = _CLOCK_RES.get(clock_id)
        if res is None:
            return EINVAL
        try:
            _u64_pack(self.mem, result & M32, res)
        except struct.error:
            return EFAULT
        return 0

    def clock_time_get(self, clock_id: int, precision: int, result: int) -> int:
        now = _CLOCKS.get(clock_id)
        if now is None:
            return EINVAL
        try:
            _u64_pack(self.mem, result & M32, now() & M64)
        except struct.error:
            return EFAULT
        return 0

    # -- fd_* ---------------------------------------------------------------------------

    def fd_advise(self, fd: int, offset: int, length: int, advice: int) -> int:
        if fd not in self.fds:
            return EBADF
        if not 0 <= advice <= abi.ADVICE_MAX:
            return EINVAL
        return 0  # advisory only (as wazero)

    def fd_allocate(self, fd: int, offset: int, length: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        tail = (offset + length) & M64
        if tail >= 1 << 63:
            return EINVAL
        if entry.stream is not None or entry.read_only:
            return EBADF
        if entry.is_dir:
            return EISDIR
        try:
            if os.fstat(entry.fd).st_size >= tail:
                return 0
            os.ftruncate(entry.fd, tail)
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def fd_close(self, fd: int) -> int:
        entry = self.fds.pop(fd, None)
        if entry is None:
            return EBADF
        try:  # the host's stdio, the caller's streams and sockets: forgotten, not closed
            entry.close()
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def _sync(self, fd: int, sync) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        if entry.read_only:
            return EBADF  # wazero's read-only files
        try:
            if entry.stream is not None:
                flush = getattr(entry.stream, "flush", None)
                if flush is not None:
                    flush()
            else:
                sync(entry.fd)
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def fd_datasync(self, fd: int) -> int:
        return self._sync(fd, getattr(os, "fdatasync", os.fsync))

    def fd_sync(self, fd: int) -> int:
        return self._sync(fd, os.fsync)

    def fd_fdstat_get(self, fd: int, result: int) -> int:
        if (result & M32) + 24 > len(self.mem):
            return EFAULT
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        ft = entry.filetype
        flags = abi.FDFLAGS_APPEND if entry.append else 0
        if entry.stream is None and _fcntl is not None:
            try:
                fl = _fcntl.fcntl(entry.fd, _fcntl.F_GETFL)
            except OSError as err:
                return abi.from_oserror(err)
            if fl & os.O_APPEND:
                flags |= abi.FDFLAGS_APPEND
            if fl & _O_NONBLOCK:
                flags |= abi.FDFLAGS_NONBLOCK
        if ft == abi.FILETYPE_DIRECTORY:
            base, inheriting = abi.DIR_RIGHTS, abi.FILE_RIGHTS | abi.DIR_RIGHTS
        elif ft == abi.FILETYPE_CHARACTER_DEVICE:
            base, inheriting = abi.TTY_RIGHTS, 0
        elif ft == abi.FILETYPE_SOCKET_STREAM:
            base, inheriting = abi.SOCKET_RIGHTS, 0
        else:
            base, inheriting = abi.FILE_RIGHTS, 0
        abi.FDSTAT.pack_into(self.mem, result & M32, ft, flags, base, inheriting)
        return 0

    def fd_fdstat_set_flags(self, fd: int, flags: int) -> int:
        flags &= 0xFFFF
        if flags & (abi.FDFLAGS_DSYNC | abi.FDFLAGS_RSYNC | abi.FDFLAGS_SYNC):
            return EINVAL  # only APPEND and NONBLOCK can change (as wazero)
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        nonblock = bool(flags & abi.FDFLAGS_NONBLOCK)
        if entry.stream is not None:
            return ENOSYS if nonblock else 0
        try:
            if entry.sock is not None:
                entry.sock.setblocking(not nonblock)
                return 0
            if entry.preopen and entry.fd in (0, 1, 2) and entry.fd not in \
                    self._restore_blocking:
                self._restore_blocking[entry.fd] = os.get_blocking(entry.fd)
            os.set_blocking(entry.fd, not nonblock)
            if entry.filetype == abi.FILETYPE_REGULAR_FILE and _fcntl is not None:
                fl = _fcntl.fcntl(entry.fd, _fcntl.F_GETFL)
                if flags & abi.FDFLAGS_APPEND:
                    fl |= os.O_APPEND
                else:
                    fl &= ~os.O_APPEND
                _fcntl.fcntl(entry.fd, _fcntl.F_SETFL, fl)
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def fd_fdstat_set_rights(self, fd: int, base: int, inheriting: int) -> int:
        return ENOSYS  # rights were removed from WASI (wazero's stub)

    def _fd_filestat_get(self, fd: int, result: int, unstable: bool) -> int:
        size = 56 if unstable else 64
        if (result & M32) + size > len(self.mem):
            return EFAULT
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        try:
            st = None if entry.stream is not None else os.fstat(entry.fd)
            self._write_filestat(result, st, entry.filetype, unstable)
        except OSError as err:
            return abi.from_oserror(err)
        except WasiError as err:
            return err.errno
        return 0

    def fd_filestat_get(self, fd: int, result: int) -> int:
        return self._fd_filestat_get(fd, result, False)

    def fd_filestat_get_unstable(self, fd: int, result: int) -> int:
        return self._fd_filestat_get(fd, result, True)

    def fd_filestat_set_size(self, fd: int, size: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        if entry.stream is not None or entry.read_only:
            return EBADF
        if entry.is_dir:
            return EISDIR
        if size < 0:
            return EINVAL
        try:
            os.ftruncate(entry.fd, size)
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def fd_filestat_set_times(self, fd: int, atim: int, mtim: int, fst_flags: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        try:
            times = _times(atim, mtim, fst_flags)
            if entry.stream is not None or entry.read_only:
                return EBADF
            if times is not None:
                a, m = times
                if a is None or m is None:
                    st = os.fstat(entry.fd)
                    a = st.st_atime_ns if a is None else a
                    m = st.st_mtime_ns if m is None else m
                os.utime(entry.fd, ns=(a, m))
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def fd_pread(self, fd: int, iovs: int, iovs_len: int, offset: int, result: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        try:
            vecs = self._iovecs(iovs, iovs_len)
            self._check(result, 4)
            if entry.stream is not None or entry.sock is not None:
                return ESPIPE
            if offset < 0:
                return EINVAL
            n = self._readv(entry, vecs, offset)
            _u32_pack(self.mem, result & M32, n)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return self._io_errno(entry, err)
        except struct.error:
            return EFAULT
        return 0

    def fd_prestat_get(self, fd: int, result: int) -> int:
        entry = self.fds.get(fd)
        if entry is None or entry.name is None:
            return EBADF
        try:
            abi.PRESTAT.pack_into(self.mem, result & M32, 0, len(entry.name.encode()))
        except struct.error:
            return EFAULT
        return 0

    def fd_prestat_dir_name(self, fd: int, path: int, path_len: int) -> int:
        entry = self.fds.get(fd)
        if entry is None or entry.name is None:
            return EBADF
        name = entry.name.encode()
        path_len &= M32
        if len(name) < path_len:
            return abi.ENAMETOOLONG  # wazero's choice (see its RATIONALE.md)
        try:
            self._write_bytes(path, name[:path_len])
        except WasiError as err:
            return err.errno
        return 0

    def fd_pwrite(self, fd: int, iovs: int, iovs_len: int, offset: int, result: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        try:
            vecs = self._iovecs(iovs, iovs_len)
            self._check(result, 4)
            if entry.stream is not None or entry.sock is not None:
                return ESPIPE
            if entry.read_only:
                return EBADF
            if offset < 0:
                return EINVAL
            mem = self.mem
            bufs = [mem[p:p + n] for p, n in vecs]
            if hasattr(os, "pwritev"):
                n = os.pwritev(entry.fd, bufs, offset) if bufs else 0
            else:  # pragma: no cover
                n = os.pwrite(entry.fd, b"".join(bufs), offset)
            _u32_pack(mem, result & M32, n)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return self._io_errno(entry, err)
        except struct.error:
            return EFAULT
        return 0

    def _readv(self, entry: Entry, vecs: list[tuple[int, int]], offset: int | None) -> int:
        """Read into the iovecs (already bounds-checked) straight into memory."""
        vecs = [v for v in vecs if v[1]]
        if not vecs:
            return 0
        mem = self.mem
        if entry.stream is not None:
            if not entry.readable:
                raise WasiError(EBADF)
            read = getattr(entry.stream, "read1", None) or entry.stream.read
            total = 0
            for p, n in vecs:
                data = read(n)
                if not data:
                    break
                k = len(data)
                if k > n:  # a misbehaving stream: never write past the iovec
                    data, k = data[:n], n
                mem[p:p + k] = data
                total += k
                if k < n:
                    break
            return total
        with memoryview(mem) as view:
            views = [view[p:p + n] for p, n in vecs]
            try:
                if offset is None:
                    return _readv(entry.fd, views)
                if hasattr(os, "preadv"):
                    return os.preadv(entry.fd, views, offset)
                total = 0  # pragma: no cover
                for v in views:  # pragma: no cover
                    data = os.pread(entry.fd, len(v), offset + total)
                    v[:len(data)] = data
                    total += len(data)
                    if len(data) < len(v):
                        break
                return total
            finally:
                for v in views:
                    v.release()

    def fd_read(self, fd: int, iovs: int, iovs_len: int, result: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        try:
            vecs = self._iovecs(iovs, iovs_len)
            self._check(result, 4)
            n = self._readv(entry, vecs, None)
            _u32_pack(self.mem, result & M32, n)
        except WasiError as err:
            return err.errno
        except (OSError, ValueError) as err:
            return self._io_errno(entry, err)
        except struct.error:
            return EFAULT
        return 0

    def fd_readdir(self, fd: int, buf: int, buf_len: int, cookie: int, result: int) -> int:
        buf &= M32
        buf_len &= M32
        cookie &= M64
        if buf_len < abi.DIRENT.size:
            return EINVAL  # too small for one header (wazero)
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        if not entry.is_dir or entry.stream is not None:
            return EBADF  # wazero: EBADF, not ENOTDIR (Rust's std crashes on ENOTDIR)
        try:
            if cookie == 0 or entry.dirents is None:
                entry.dirents = _list_dir(entry.fd)
            dirents = entry.dirents
            if cookie > len(dirents):
                return abi.ENOENT
            out = bytearray()
            pack = abi.DIRENT.pack
            for i in range(cookie, len(dirents)):
                name, ino, dtype = dirents[i]
                out += pack(i + 1, ino, len(name), dtype)
                out += name
                if len(out) >= buf_len:
                    break
            n = min(len(out), buf_len)  # a partial last entry tells libc to grow buf
            self._check(result, 4)
            self._write_bytes(buf, out[:n] if n < len(out) else out)
            _u32_pack(self.mem, result & M32, n)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        except struct.error:
            return EFAULT
        return 0

    def fd_renumber(self, fd: int, to: int) -> int:
        fds = self.fds
        entry = fds.get(fd)
        if entry is None or to < 0:
            return EBADF
        if entry.preopen:
            return ENOTSUP  # stdio and preopens stay where they are (wazero)
        if fd == to:
            return 0  # wazero would close the entry here; POSIX dup2 does nothing
        target = fds.get(to)
        if target is not None:
            if target.preopen:
                return ENOTSUP
            try:
                target.close()
            except OSError:
                pass
        del fds[fd]
        fds[to] = entry
        return 0

    def _seek(self, fd: int, offset: int, whence: int, result: int) -> int:
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        if entry.is_dir:
            return EISDIR  # wasi-testsuite forbids seeking a directory (wazero)
        if not 0 <= whence <= 2:
            return EINVAL
        if (result & M32) + 8 > len(self.mem):
            return EFAULT
        if entry.stream is not None or entry.sock is not None:
            return ESPIPE
        try:
            pos = os.lseek(entry.fd, offset, whence)
        except OSError as err:
            return abi.from_oserror(err)
        _u64_pack(self.mem, result & M32, pos)
        return 0

    def fd_seek(self, fd: int, offset: int, whence: int, result: int) -> int:
        return self._seek(fd, offset, whence, result)

    def fd_seek_unstable(self, fd: int, offset: int, whence: int, result: int) -> int:
        return self._seek(fd, offset, abi.UNSTABLE_WHENCE.get(whence, -1), result)

    def fd_tell(self, fd: int, result: int) -> int:
        return self._seek(fd, 0, abi.WHENCE_CUR, result)

    def fd_write(self, fd: int, iovs: int, iovs_len: int, result: int) -> int:
        # the hot path of printf-heavy programs: everything checked before anything is
        # written (a fault has no side effect), one write or writev, no helper calls
        entry = self.fds.get(fd)
        if entry is None:
            return EBADF
        mem = self.mem
        size = len(mem)
        iovs &= M32
        result &= M32
        if iovs_len == 1:
            if iovs + 8 > size or result + 4 > size:
                return EFAULT
            p, n = _iov_unpack(mem, iovs)
            if p + n > size:
                return EFAULT
            data = mem[p:p + n]
        else:
            iovs_len &= M32
            end = iovs + 8 * iovs_len
            if end > size or result + 4 > size:
                return EFAULT
            bufs = []
            for pos in range(iovs, end, 8):
                p, n = _iov_unpack(mem, pos)
                if p + n > size:
                    return EFAULT
                bufs.append(mem[p:p + n])
            if entry.stream is None:
                try:
                    n = _writev(entry.fd, bufs) if bufs else 0
                except OSError as err:
                    return self._io_errno(entry, err)
                _u32_pack(mem, result, n)
                return 0
            data = b"".join(bufs)
        try:
            n = entry.write(data)  # a read-only preopen's files are O_RDONLY: EBADF
        except (OSError, ValueError) as err:
            return self._io_errno(entry, err)
        except WasiError as err:
            return err.errno
        _u32_pack(mem, result, len(data) if n is None else n)
        return 0

    # -- path_* -----------------------------------------------------------------------

    def path_create_directory(self, fd: int, path: int, path_len: int) -> int:
        try:
            entry, p = self._path(fd, path, path_len)
            if entry.read_only:
                return EROFS
            with resolve(entry.fd, p, False) as r:
                os.mkdir(r.name, _DIR_MODE, dir_fd=r.dirfd)
        except WasiError as err:
            return abi.ENOENT if err.errno == ENOTDIR else err.errno
        except OSError as err:
            e = abi.from_oserror(err)
            return abi.ENOENT if e == ENOTDIR else e  # wazero maps ENOTDIR to ENOENT
        return 0

    def _path_filestat_get(self, fd: int, flags: int, path: int, path_len: int,
                           result: int, unstable: bool) -> int:
        try:
            entry, p = self._path(fd, path, path_len)
            with resolve(entry.fd, p, bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)) as r:
                st = os.stat(r.name, dir_fd=r.dirfd, follow_symlinks=False)
            self._write_filestat(result, st, filetype_of(st.st_mode), unstable)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def path_filestat_get(self, fd: int, flags: int, path: int, path_len: int,
                          result: int) -> int:
        return self._path_filestat_get(fd, flags, path, path_len, result, False)

    def path_filestat_get_unstable(self, fd: int, flags: int, path: int, path_len: int,
                                   result: int) -> int:
        return self._path_filestat_get(fd, flags, path, path_len, result, True)

    def path_filestat_set_times(self, fd: int, flags: int, path: int, path_len: int,
                                atim: int, mtim: int, fst_flags: int) -> int:
        try:
            times = _times(atim, mtim, fst_flags)
            entry, p = self._path(fd, path, path_len)
            if entry.read_only:
                return EROFS
            with resolve(entry.fd, p, bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)) as r:
                st = os.stat(r.name, dir_fd=r.dirfd, follow_symlinks=False)
                if times is not None:
                    a, m = times
                    a = st.st_atime_ns if a is None else a
                    m = st.st_mtime_ns if m is None else m
                    os.utime(r.name, ns=(a, m), dir_fd=r.dirfd, follow_symlinks=False)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def path_link(self, old_fd: int, old_flags: int, old_path: int, old_path_len: int,
                  new_fd: int, new_path: int, new_path_len: int) -> int:
        try:
            old_entry, old = self._path(old_fd, old_path, old_path_len)
            new_entry, new = self._path(new_fd, new_path, new_path_len)
            if old_entry.read_only or new_entry.read_only:
                # a link out of a read-only preopen would make its file writable
                return EROFS
            follow = bool(old_flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
            with resolve(old_entry.fd, old, follow) as ro, \
                    resolve(new_entry.fd, new, False) as rn:
                os.link(ro.name, rn.name, src_dir_fd=ro.dirfd, dst_dir_fd=rn.dirfd,
                        follow_symlinks=False)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def path_open(self, fd: int, dirflags: int, path: int, path_len: int, oflags: int,
                  rights_base: int, rights_inheriting: int, fdflags: int,
                  result: int) -> int:
        try:
            entry, p = self._path(fd, path, path_len)
        except WasiError as err:
            return err.errno
        if not p:
            return EINVAL
        if (result & M32) + 4 > len(self.mem):
            return EFAULT  # before anything is created or truncated
        oflags &= 0xFFFF
        fdflags &= 0xFFFF
        flags = _O_CLOEXEC | _O_NOFOLLOW  # symlinks are resolved by `resolve`
        want_dir = bool(oflags & abi.OFLAGS_DIRECTORY)
        if want_dir:
            if oflags & abi.OFLAGS_CREAT:
                return EINVAL  # path_create_directory makes directories
            flags |= _O_DIRECTORY
        elif oflags & abi.OFLAGS_EXCL:
            flags |= os.O_EXCL
        write_default = False
        if oflags & abi.OFLAGS_TRUNC:
            flags |= os.O_TRUNC
            write_default = True
        if oflags & abi.OFLAGS_CREAT:
            flags |= os.O_CREAT
            write_default = True
        if fdflags & abi.FDFLAGS_NONBLOCK:
            flags |= _O_NONBLOCK
        if fdflags & abi.FDFLAGS_APPEND:
            flags |= os.O_APPEND
            write_default = True
        if fdflags & abi.FDFLAGS_DSYNC:
            flags |= _O_DSYNC
        if fdflags & abi.FDFLAGS_RSYNC:
            flags |= _O_RSYNC
        if fdflags & abi.FDFLAGS_SYNC:
            flags |= _O_SYNC
        # rights are gone from WASI, but they are the only sign that a plain open
        # wants to write (as wazero)
        r = bool(rights_base & abi.RIGHT_FD_READ)
        w = bool(rights_base & abi.RIGHT_FD_WRITE)
        if r and w:
            access = os.O_RDWR
        elif w:
            access = os.O_WRONLY
        elif r:
            access = os.O_RDONLY
        else:
            access = os.O_RDWR if write_default else os.O_RDONLY
        flags |= access
        if entry.read_only and (access != os.O_RDONLY
                                or oflags & (abi.OFLAGS_CREAT | abi.OFLAGS_TRUNC)):
            return EISDIR if want_dir else EROFS
        follow = bool(dirflags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        try:
            with resolve(entry.fd, p, follow) as res:
                hfd = os.open(res.name, flags, _FILE_MODE, dir_fd=res.dirfd)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        try:
            st = os.fstat(hfd)
        except OSError as err:
            os.close(hfd)
            return abi.from_oserror(err)
        ft = filetype_of(st.st_mode)
        if want_dir and ft != abi.FILETYPE_DIRECTORY:
            os.close(hfd)
            return ENOTDIR
        new = Entry(hfd, root=entry.root, filetype=ft, readable=access != os.O_WRONLY,
                    writable=access != os.O_RDONLY)
        newfd = self._free_fd()
        _u32_pack(self.mem, result & M32, newfd)
        self.fds[newfd] = new
        return 0

    def path_readlink(self, fd: int, path: int, path_len: int, buf: int, buf_len: int,
                      result: int) -> int:
        if path_len & M32 == 0 or buf_len & M32 == 0:
            return EINVAL
        try:
            entry, p = self._path(fd, path, path_len)
            with resolve(entry.fd, p, False) as r:
                target = os.readlink(r.name, dir_fd=r.dirfd)
            if len(target) > buf_len & M32:
                return abi.ERANGE  # wazero; POSIX readlink would truncate
            self._check(result, 4)
            self._write_bytes(buf, target)
            _u32_pack(self.mem, result & M32, len(target))
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        except struct.error:
            return EFAULT
        return 0

    def path_remove_directory(self, fd: int, path: int, path_len: int) -> int:
        try:
            entry, p = self._path(fd, path, path_len)
            if entry.read_only:
                return EROFS
            with resolve(entry.fd, p, False) as r:
                os.rmdir(r.name, dir_fd=r.dirfd)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def path_rename(self, fd: int, old_path: int, old_path_len: int, new_fd: int,
                    new_path: int, new_path_len: int) -> int:
        try:
            old_entry, old = self._path(fd, old_path, old_path_len)
            new_entry, new = self._path(new_fd, new_path, new_path_len)
            if old_entry.read_only or new_entry.read_only:
                return EROFS
            with resolve(old_entry.fd, old, False) as ro, \
                    resolve(new_entry.fd, new, False) as rn:
                os.rename(ro.name, rn.name, src_dir_fd=ro.dirfd, dst_dir_fd=rn.dirfd)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def path_symlink(self, old_path: int, old_path_len: int, fd: int, new_path: int,
                     new_path_len: int) -> int:
        try:
            entry = self._dir(fd)
            if old_path_len & M32 == 0 or new_path_len & M32 == 0:
                return EINVAL
            target = self._read_bytes(old_path, old_path_len)
            entry, new = self._path(fd, new_path, new_path_len)
            if entry.read_only:
                return EROFS
            if target[:1] == b"/":
                return abi.EPERM  # an absolute target could only point outside (wazero)
            if b"\0" in target:
                return EINVAL
            with resolve(entry.fd, new, False) as r:
                os.symlink(target, r.name, dir_fd=r.dirfd)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def path_unlink_file(self, fd: int, path: int, path_len: int) -> int:
        try:
            entry, p = self._path(fd, path, path_len)
            if entry.read_only:
                return EROFS
            with resolve(entry.fd, p, False) as r:
                os.unlink(r.name, dir_fd=r.dirfd)
        except WasiError as err:
            return err.errno
        except OSError as err:
            e = abi.from_oserror(err)
            return EISDIR if e == abi.EPERM else e  # macOS says EPERM for a directory
        return 0

    # -- poll_oneoff --------------------------------------------------------------------

    def _poll_oneoff(self, in_: int, out: int, nsubs: int, result: int,
                     unstable: bool) -> int:
        in_ &= M32
        out &= M32
        nsubs &= M32
        if nsubs == 0:
            return EINVAL
        mem = self.mem
        sub_size = abi.SUBSCRIPTION_UNSTABLE_SIZE if unstable else abi.SUBSCRIPTION_SIZE
        if in_ + nsubs * sub_size > len(mem) or out + nsubs * 32 > len(mem):
            return EFAULT
        if (result & M32) + 4 > len(mem):
            return EFAULT
        clock = abi.SUB_CLOCK_UNSTABLE if unstable else abi.SUB_CLOCK
        now = time.monotonic_ns()
        # per subscription: (userdata, type, errno, deadline, fd, poll mask, entry)
        subs = []
        for i in range(nsubs):
            base = in_ + i * sub_size
            userdata = _U64.unpack_from(mem, base)[0]
            tag = mem[base + 8]
            if tag == abi.EVENTTYPE_CLOCK:
                fields = clock.unpack_from(mem, base + 16)
                clock_id, timeout, _precision, flags = fields[-4:]
                if flags == 0:
                    deadline = now + timeout
                elif flags == abi.SUBCLOCKFLAGS_ABSTIME:
                    # wazero answers ENOTSUP; an absolute time is a relative one here
                    source = _CLOCKS.get(clock_id)
                    if source is None or clock_id > abi.CLOCK_MONOTONIC:
                        subs.append((userdata, tag, EINVAL, None, -1, 0, None))
                        continue
                    deadline = now + max(0, timeout - source())
                else:
                    return EINVAL
                subs.append((userdata, tag, 0, deadline, -1, 0, None))
            elif tag == abi.EVENTTYPE_FD_READ or tag == abi.EVENTTYPE_FD_WRITE:
                fd = struct.unpack_from("<i", mem, base + 16)[0]
                if fd < 0:
                    return EBADF
                entry = self.fds.get(fd)
                if entry is None:
                    subs.append((userdata, tag, EBADF, None, -1, 0, None))
                    continue
                mask = select.POLLIN if tag == abi.EVENTTYPE_FD_READ else select.POLLOUT
                subs.append((userdata, tag, 0, None, fd, mask, entry))
            else:
                return EINVAL
        ready = _wait(subs)
        nevents = 0
        pack = abi.EVENT.pack_into
        mem[out:out + 32 * nsubs] = bytes(32 * nsubs)
        for i in ready:
            userdata, tag, errno, _d, _fd, _m, (nbytes, rflags) = subs[i]
            pack(mem, out + 32 * nevents, userdata, errno, tag, nbytes, rflags)
            nevents += 1
        _u32_pack(mem, result & M32, nevents)
        return 0

    def poll_oneoff(self, in_: int, out: int, nsubscriptions: int, result: int) -> int:
        return self._poll_oneoff(in_, out, nsubscriptions, result, False)

    def poll_oneoff_unstable(self, in_: int, out: int, nsubscriptions: int,
                             result: int) -> int:
        return self._poll_oneoff(in_, out, nsubscriptions, result, True)

    # -- proc, sched, random ----------------------------------------------------------

    def proc_exit(self, code: int) -> None:
        raise ProcExit(code & M32)

    def proc_raise(self, sig: int) -> int:
        return ENOSYS  # removed from WASI; a stub in wazero

    def sched_yield(self) -> int:
        _yield()
        return 0

    def random_get(self, buf: int, buf_len: int) -> int:
        buf &= M32
        buf_len &= M32
        if buf + buf_len > len(self.mem):
            return EFAULT
        self.mem[buf:buf + buf_len] = os.urandom(buf_len)
        return 0

    # -- sockets ----------------------------------------------------------------------

    def _conn(self, fd: int) -> Entry:
        entry = self.fds.get(fd)
        if entry is None or entry.sock is None or entry.listener:
            raise WasiError(EBADF)  # not open / not a connection (wazero: EBADF)
        return entry

    def sock_accept(self, fd: int, flags: int, result: int) -> int:
        entry = self.fds.get(fd)
        if entry is None or not entry.listener:
            return EBADF  # not a preopened listener (wazero)
        if flags & ~abi.FDFLAGS_NONBLOCK & 0xFFFF:
            return EINVAL
        try:
            self._check(result, 4)
            conn, _addr = entry.sock.accept()
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        try:
            conn.setblocking(not flags & abi.FDFLAGS_NONBLOCK)
        except OSError as err:
            conn.close()
            return abi.from_oserror(err)
        newfd = self._free_fd()
        self.fds[newfd] = Entry(conn.fileno(), sock=conn,
                                filetype=abi.FILETYPE_SOCKET_STREAM)
        _u32_pack(self.mem, result & M32, newfd)
        return 0

    def sock_recv(self, fd: int, ri_data: int, ri_data_len: int, ri_flags: int,
                  ro_datalen: int, ro_flags: int) -> int:
        try:
            entry = self._conn(fd)
            if ri_flags & ~(abi.RIFLAGS_RECV_PEEK | abi.RIFLAGS_RECV_WAITALL) & 0xFFFF:
                return ENOTSUP
            vecs = self._iovecs(ri_data, ri_data_len)
            self._check(ro_datalen, 4)
            self._check(ro_flags, 2)
            if ri_flags & abi.RIFLAGS_RECV_PEEK:
                # the first iovec only (as wazero)
                p, n = vecs[0] if vecs else (0, 0)
                data = entry.sock.recv(n, _socket.MSG_PEEK) if n else b""
                self.mem[p:p + len(data)] = data
                total = len(data)
            else:
                total = self._readv(entry, vecs, None)
            _u32_pack(self.mem, ro_datalen & M32, total)
            struct.pack_into("<H", self.mem, ro_flags & M32, 0)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def sock_send(self, fd: int, si_data: int, si_data_len: int, si_flags: int,
                  so_datalen: int) -> int:
        try:
            if si_flags & 0xFFFF:
                return ENOTSUP  # no send flags are defined
            entry = self._conn(fd)
            vecs = self._iovecs(si_data, si_data_len)
            self._check(so_datalen, 4)
            mem = self.mem
            bufs = [mem[p:p + n] for p, n in vecs]
            n = entry.sock.sendmsg(bufs) if bufs else 0
            _u32_pack(mem, so_datalen & M32, n)
        except WasiError as err:
            return err.errno
        except OSError as err:
            return abi.from_oserror(err)
        return 0

    def sock_shutdown(self, fd: int, how: int) -> int:
        try:
            entry = self._conn(fd)
        except WasiError as err:
            return err.errno
        how &= 0xFF
        if how == abi.SDFLAGS_RD | abi.SDFLAGS_WR:
            sys_how = _socket.SHUT_RDWR
        elif how == abi.SDFLAGS_RD:
            sys_how = _socket.SHUT_RD
        elif how == abi.SDFLAGS_WR:
            sys_how = _socket.SHUT_WR
        else:
            return EINVAL
        try:
            entry.sock.shutdown(sys_how)
        except OSError as err:
            return abi.from_oserror(err)
        return 0


# -- module-level helpers ---------------------------------------------------------------

def _times(atim: int, mtim: int, fst_flags: int):
    """fstflags -> None (change nothing) or (atime_ns | None, mtime_ns | None), None
    meaning "keep"; EINVAL when a time is both given and "now" (as wazero)."""
    fst_flags &= 0xFFFF
    if fst_flags & abi.FSTFLAGS_ATIM and fst_flags & abi.FSTFLAGS_ATIM_NOW:
        raise WasiError(EINVAL)
    if fst_flags & abi.FSTFLAGS_MTIM and fst_flags & abi.FSTFLAGS_MTIM_NOW:
        raise WasiError(EINVAL)
    now = None
    if fst_flags & (abi.FSTFLAGS_ATIM_NOW | abi.FSTFLAGS_MTIM_NOW):
        now = time.time_ns()
    a = atim if fst_flags & abi.FSTFLAGS_ATIM else now if fst_flags & abi.FSTFLAGS_ATIM_NOW \
        else None
    m = mtim if fst_flags & abi.FSTFLAGS_MTIM else now if fst_flags & abi.FSTFLAGS_MTIM_NOW \
        else None
    if a is None and m is None:
        return None
    return a, m


def _dirent_type(entry: os.DirEntry) -> int:
    try:
        if entry.is_symlink():
            return abi.FILETYPE_SYMBOLIC_LINK
        if entry.is_dir(follow_symlinks=False):
            return abi.FILETYPE_DIRECTORY
        if entry.is_file(follow_symlinks=False):
            return abi.FILETYPE_REGULAR_FILE
        return filetype_of(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return abi.FILETYPE_UNKNOWN


def _list_dir(fd: int) -> list[tuple[bytes, int, int]]:
    """A directory's entries as (name, inode, filetype), "." and ".." first (as
    wasi-testsuite requires; ".." has inode 0, as wazero: its inode may be outside)."""
    out = [(b".", os.fstat(fd).st_ino & M64, abi.FILETYPE_DIRECTORY),
           (b"..", 0, abi.FILETYPE_DIRECTORY)]
    with os.scandir(fd) as it:
        for e in it:
            out.append((os.fsencode(e.name), e.inode() & M64, _dirent_type(e)))
    return out


def _fd_ready_info(entry: Entry, tag: int) -> tuple[int, int]:
    """(nbytes, flags) of a ready fd event: for a regular file being read, the bytes
    left after the current offset; 0 otherwise."""
    if tag == abi.EVENTTYPE_FD_READ and entry.filetype == abi.FILETYPE_REGULAR_FILE \
            and entry.stream is None:
        try:
            left = os.fstat(entry.fd).st_size - os.lseek(entry.fd, 0, os.SEEK_CUR)
            return max(0, left), 0
        except OSError:
            return 0, 0
    return 0, 0


def _wait(subs: list) -> list[int]:
    """Block until at least one subscription is ready; the indexes of the ready ones.
    Replaces each sub's last field by its event's (nbytes, flags)."""
    poller = None
    fd_index: dict[int, list[int]] = {}
    ready: list[int] = []
    deadlines = []
    for i, (userdata, tag, errno, deadline, fd, mask, entry) in enumerate(subs):
        if errno:  # an error event is ready at once
            subs[i] = subs[i][:6] + ((0, 0),)
            ready.append(i)
        elif deadline is not None:
            deadlines.append(deadline)
        elif entry.stream is not None or entry.filetype in (abi.FILETYPE_REGULAR_FILE,
                                                             abi.FILETYPE_DIRECTORY):
            subs[i] = subs[i][:6] + (_fd_ready_info(entry, tag),)
            ready.append(i)  # streams and files never block
        else:
            if poller is None:
                poller = select.poll()
            host_fd = entry.fd
            if host_fd not in fd_index:
                fd_index[host_fd] = []
            fd_index[host_fd].append(i)
    if poller is not None:
        masks: dict[int, int] = {}
        for host_fd, idx in fd_index.items():
            masks[host_fd] = 0
            for i in idx:
                masks[host_fd] |= subs[i][5]
            poller.register(host_fd, masks[host_fd])
    earliest = min(deadlines) if deadlines else None
    while True:
        now = time.monotonic_ns()
        if ready:
            timeout_ms = 0
        elif earliest is None:
            timeout_ms = None
        else:
            timeout_ms = max(0, (earliest - now + 999_999) // 1_000_000)
        if poller is not None:
            if timeout_ms is not None and timeout_ms > _MAX_SLEEP_S * 1000:
                timeout_ms = int(_MAX_SLEEP_S * 1000)
            events = poller.poll(timeout_ms)
            for host_fd, revents in events:
                for i in fd_index.get(host_fd, ()):
                    want = subs[i][5]
                    if revents & (want | select.POLLHUP | select.POLLERR | select.POLLNVAL):
                        if i in ready:
                            continue
                        errno = EBADF if revents & select.POLLNVAL else 0
                        flags = 1 if revents & select.POLLHUP else 0  # fdreadwrite hangup
                        subs[i] = subs[i][:2] + (errno,) + subs[i][3:6] + ((0, flags),)
                        ready.append(i)
        elif not ready and earliest is not None:
            remaining = (earliest - now) / 1e9
            if remaining > 0:
                time.sleep(min(remaining, _MAX_SLEEP_S))
        now = time.monotonic_ns()
        for i, sub in enumerate(subs):
            if sub[3] is not None and sub[3] <= now and i not in ready:
                subs[i] = sub[:6] + ((0, 0),)
                ready.append(i)
        if ready:
            ready.sort()
            return ready


def _yield() -> None:
    sched = getattr(os, "sched_yield", None)
    if sched is not None:
        sched()
    else:  # pragma: no cover
        time.sleep(0)


def _clock_res(clock: int, fallback: int) -> int:
    try:
        return max(1, round(time.clock_getres(clock) * 1e9))
    except (AttributeError, OSError):  # pragma: no cover
        return fallback


_CLOCKS = {
    abi.CLOCK_REALTIME: time.time_ns,
    abi.CLOCK_MONOTONIC: time.monotonic_ns,
    abi.CLOCK_PROCESS_CPUTIME_ID: time.process_time_ns,
    abi.CLOCK_THREAD_CPUTIME_ID: time.thread_time_ns,
}
_CLOCK_RES = {
    abi.CLOCK_REALTIME: _clock_res(getattr(time, "CLOCK_REALTIME", 0), 1000),
    abi.CLOCK_MONOTONIC: _clock_res(getattr(time, "CLOCK_MONOTONIC", 1), 1),
    abi.CLOCK_PROCESS_CPUTIME_ID: _clock_res(getattr(time, "CLOCK_PROCESS_CPUTIME_ID", 2),
                                             1000),
    abi.CLOCK_THREAD_CPUTIME_ID: _clock_res(getattr(time, "CLOCK_THREAD_CPUTIME_ID", 3),
                                            1000),
}

_i, _I = I32, I64
_SIGNATURES: list[tuple[str, list, list]] = [
    ("args_get", [_i, _i], [_i]),
    ("args_sizes_get", [_i, _i], [_i]),
    ("environ_get", [_i, _i], [_i]),
    ("environ_sizes_get", [_i, _i], [_i]),
    ("clock_res_get", [_i, _i], [_i]),
    ("clock_time_get", [_i, _I, _i], [_i]),
    ("fd_advise", [_i, _I, _I, _i], [_i]),
    ("fd_allocate", [_i, _I, _I], [_i]),
    ("fd_close", [_i], [_i]),
    ("fd_datasync", [_i], [_i]),
    ("fd_fdstat_get", [_i, _i], [_i]),
    ("fd_fdstat_set_flags", [_i, _i], [_i]),
    ("fd_fdstat_set_rights", [_i, _I, _I], [_i]),
    ("fd_filestat_get", [_i, _i], [_i]),
    ("fd_filestat_set_size", [_i, _I], [_i]),
    ("fd_filestat_set_times", [_i, _I, _I, _i], [_i]),
    ("fd_pread", [_i, _i, _i, _I, _i], [_i]),
    ("fd_prestat_get", [_i, _i], [_i]),
    ("fd_prestat_dir_name", [_i, _i, _i], [_i]),
    ("fd_pwrite", [_i, _i, _i, _I, _i], [_i]),
    ("fd_read", [_i, _i, _i, _i], [_i]),
    ("fd_readdir", [_i, _i, _i, _I, _i], [_i]),
    ("fd_renumber", [_i, _i], [_i]),
    ("fd_seek", [_i, _I, _i, _i], [_i]),
    ("fd_sync", [_i], [_i]),
    ("fd_tell", [_i, _i], [_i]),
    ("fd_write", [_i, _i, _i, _i], [_i]),
    ("path_create_directory", [_i, _i, _i], [_i]),
    ("path_filestat_get", [_i, _i, _i, _i, _i], [_i]),
    ("path_filestat_set_times", [_i, _i, _i, _i, _I, _I, _i], [_i]),
    ("path_link", [_i, _i, _i, _i, _i, _i, _i], [_i]),
    ("path_open", [_i, _i, _i, _i, _i, _I, _I, _i, _i], [_i]),
    ("path_readlink", [_i, _i, _i, _i, _i, _i], [_i]),
    ("path_remove_directory", [_i, _i, _i], [_i]),
    ("path_rename", [_i, _i, _i, _i, _i, _i], [_i]),
    ("path_symlink", [_i, _i, _i, _i, _i], [_i]),
    ("path_unlink_file", [_i, _i, _i], [_i]),
    ("poll_oneoff", [_i, _i, _i, _i], [_i]),
    ("proc_exit", [_i], []),
    ("proc_raise", [_i], [_i]),
    ("sched_yield", [], [_i]),
    ("random_get", [_i, _i], [_i]),
    ("sock_accept", [_i, _i, _i], [_i]),
    ("sock_recv", [_i, _i, _i, _i, _i, _i], [_i]),
    ("sock_send", [_i, _i, _i, _i, _i], [_i]),
    ("sock_shutdown", [_i, _i], [_i]),
]
_SIGNATURE_OF = {name: (params, results) for name, params, results in _SIGNATURES}
FUNCTION_NAMES: tuple[str, ...] = tuple(name for name, _, _ in _SIGNATURES)
"""The 46 functions of wasi_snapshot_preview1, in the order of the specification."""

# wasi_unstable (snapshot-00) shares the signatures but lays out three things
# differently: filestat (nlink is a u32: 56 bytes), whence (cur, end, set) and the
# clock subscription of poll_oneoff (an extra identifier field: 56-byte subscriptions)
_UNSTABLE_OVERRIDES = {
    "fd_filestat_get": "fd_filestat_get_unstable",
    "path_filestat_get": "path_filestat_get_unstable",
    "fd_seek": "fd_seek_unstable",
    "poll_oneoff": "poll_oneoff_unstable",
}


def run(runtime, module, config: WasiConfig | None = None, *, ctx: Any = None) -> int:
    """Instantiate the WASI command `module` (a `CompiledModule` or bytes) in
    `runtime` with `config`, run its `_start` and return the exit code (0 if `_start`
    returns, the `proc_exit` code otherwise). Traps (`transpyle.Trap`) and exceptions
    raised by other host functions propagate. Every fd the guest opened is closed on
    return."""
    with Wasi(config) as wasi:
        try:
            instance = runtime.instantiate(module, imports=wasi.imports())
        except ProcExit as exc:  # proc_exit from a start function
            return exc.code
        return wasi.start(instance, ctx=ctx)

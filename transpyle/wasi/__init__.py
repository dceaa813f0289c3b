"""WASI preview1 for transpyle: the 46 host functions of `wasi_snapshot_preview1`
(also importable as `wasi_unstable`), modelled on wazero's implementation.

Running a command
-----------------

```python
from transpyle import Runtime
from transpyle.wasi import WasiConfig, run

config = WasiConfig(
    args=["prog.wasm", "--flag"],          # argv, argv[0] included
    env={"HOME": "/home/guest"},           # nothing is inherited
    preopens={"/out": "build/out", "/data": "/srv/data"},    # guest path: host dir
    read_only={"/data"},                   # or True for every preopen
    stdin=b"input bytes",                  # None: inherit; bytes; a binary file object
    stdout=None, stderr=None,              # None: inherit fd 1/2; a binary file object
)
exit_code = run(Runtime(), wasm_bytes_or_compiled_module, config)   # -> int
```

`run` instantiates the module with the WASI imports, binds its exported memory,
calls `_start` and returns the exit code: 0 when `_start` returns, the code passed
to `proc_exit` otherwise. `proc_exit` raises `ProcExit(code)`, which travels through
the wasm frames unchanged (a host function's exception propagates to the code that
called into wasm) and is caught by `run`. Traps propagate as `transpyle.Trap`.
`run(..., ctx=context)` passes a `transpyle.Context` to the `_start` call.

Library use
-----------

```python
from transpyle.wasi import Wasi, WasiConfig, ProcExit

with Wasi(WasiConfig(args=["x"])) as wasi:        # one guest's fd table and state
    imports = {**wasi.imports(), "env": {...}}     # wasi_snapshot_preview1, wasi_unstable
    inst = runtime.instantiate(module, imports=imports)
    wasi.bind(inst)                   # its exported "memory" (or bind(memory=...))
    inst.exports["_initialize"]()     # a reactor; or: code = wasi.start(inst)
    ...                               # call exports; ProcExit if the guest exits
```                                   # leaving the block closes the guest's fds

A `Wasi` serves one instance (its memory, its file table); make one per instance.
A `WasiConfig` is plain data and can serve any number of them. Host functions called
before `bind` (from a module's start function) see an empty memory (EFAULT).

What the guest sees
-------------------

* fds 0, 1, 2: stdio. Inherited stdio is the process's own fds 0/1/2 (written with
  `os.write`, so Python's buffered `sys.stdout` is flushed first; the blocking mode
  is restored if the guest changed it); streams given as objects are written with
  `.write` and read with `.read1`/`.read`. The guest closing them never closes the
  host's.
* fds 3, 4, ...: the preopened directories in the order given, then the sockets of
  `WasiConfig(sockets=[...])` (listening sockets for `sock_accept`).
* clocks: the host's realtime, monotonic, process and thread CPU clocks
  (wazero implements only the first two); `random_get`: `os.urandom`.

Sandbox
-------

A guest reaches host files only under its preopened directories. Paths are
resolved component by component from the directory fd, opening each directory with
`O_NOFOLLOW` and reading symlinks ourselves (`transpyle.wasi.fs.resolve`): absolute
paths, `..` above the directory the path is relative to and symlinks that lead out
(absolute targets, too many `..`) give EPERM (as wazero and wasmtime), and the final
component is used with `dir_fd=` and no symlink following. Read-only preopens refuse
creating, writing, truncating, renaming, linking, unlinking and time changes with
EROFS (path functions) or EBADF (fd functions, as wazero). Pointers and lengths from
the guest are checked against memory: EFAULT, never a write past the buffer.

Where this differs from wazero
------------------------------

* symlinks cannot leave a preopen (wazero lets the host follow them);
* `wasi_unstable` uses the snapshot-00 layouts where they differ (filestat with a
  32-bit nlink, whence numbered cur/end/set, 56-byte clock subscriptions); wazero
  exports the preview1 functions unchanged under that name;
* `poll_oneoff` reports only the subscriptions that are ready (wazero reports every
  clock subscription after sleeping the shortest timeout), waits on fds of any kind
  for reading and writing (wazero: stdin for reading only, ENOTSUP for writing) and
  accepts absolute realtime/monotonic deadlines (wazero: ENOTSUP);
* a stdio stream that is not a terminal (`isatty()` false) is reported like a pipe,
  FILETYPE_UNKNOWN (wazero: a character device, which wasi-libc takes for a terminal
  and line-buffers: one fd_write per line instead of one per 1 KiB);
* fd_write and fd_read check every iovec and the result pointer before any I/O, so
  EFAULT has no side effect (wazero writes what it can, then reports EFAULT);
* clock ids 2 and 3 (process and thread CPU time) work (wazero: EINVAL);
* opening for writing in a read-only preopen is EROFS (wazero: ENOSYS), and so is
  `O_CREAT` there (wazero lets a read-only-rights open create the file);
* `path_rename` and `path_link` work across preopens (wazero: ENOSYS), except out of
  or into a read-only one (EROFS);
* `fd_renumber(fd, fd)` does nothing (wazero closes the file);
* streams (stdio given as objects) cannot seek, pread or pwrite: ESPIPE, like a pipe
  (wazero: ENOSYS, reported as EBADF by fd_pread);
* host errnos without a wazero mapping keep their meaning (EXDEV, ENOSPC, ...)
  instead of all becoming EIO;
* new files get mode 0o666 and directories 0o777, less the umask (wazero: 0o600 and
  0o700).
"""

from transpyle.wasi import abi
from transpyle.wasi.config import WasiConfig
from transpyle.wasi.host import FUNCTION_NAMES, ProcExit, Wasi, run

__all__ = ["WasiConfig", "Wasi", "ProcExit", "run", "abi", "FUNCTION_NAMES"]

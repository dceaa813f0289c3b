"""The guest's file descriptors and the sandbox its paths are resolved in.

Every open guest fd is an `Entry`: a host OS fd (files, directories, the inherited
stdio, sockets) or a Python binary stream (stdio given as a file object or bytes).

Sandbox. A path is always resolved relative to a directory entry's host fd, one
component at a time (`resolve`), never by handing the host a joined path:

* an absolute guest path is refused with EPERM (as wazero);
* every directory on the way is opened with `O_NOFOLLOW | O_DIRECTORY` relative to
  the previous one, so a directory cannot be swapped for a symlink between the check
  and the use; a symlink met on the way (or as the final component when it is to be
  followed) is read with `readlink` and its target spliced into the remaining
  components, so it is resolved by the same rules;
* `..` pops the stack of opened directories; popping the starting directory, or a
  symlink with an absolute target, is an escape: EPERM, as an absolute guest path
  (wazero and wasmtime both answer EPERM; the old WASI docs suggested ENOTCAPABLE);
* the final component is then used with `dir_fd=` and no symlink following
  (`O_NOFOLLOW`, `follow_symlinks=False`), so nothing the host resolves on its own
  can leave the directory.

The rule is the one cap-std (wasmtime) applies: a path relative to a directory fd
stays under that directory. wazero joins the cleaned path to the preopen's host path
and lets the host follow symlinks, so a symlink inside a preopen can point outside
it; here it cannot.
"""

from __future__ import annotations

import errno as _host_errno
import functools
import os
import stat as _stat
from collections import deque

from transpyle.wasi import abi

_O_SEARCH = getattr(os, "O_PATH", os.O_RDONLY)  # enough for dir_fd= (Linux: no read right)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = _O_SEARCH | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
MAX_SYMLINKS = 40  # Linux's limit (ELOOP past it)
_EINVAL = _host_errno.EINVAL
_ENOENT = _host_errno.ENOENT
_SYMLINK_ERRNOS = (_host_errno.ELOOP, _host_errno.EMLINK, _host_errno.ENOTDIR)


class WasiError(Exception):
    """An errno for the guest, raised inside the host functions and returned by them."""

    __slots__ = ("errno",)

    def __init__(self, errno: int):
        super().__init__(abi.ERRNO_NAMES.get(errno, errno))
        self.errno = errno


def filetype_of(mode: int) -> int:
    if _stat.S_ISREG(mode):
        return abi.FILETYPE_REGULAR_FILE
    if _stat.S_ISDIR(mode):
        return abi.FILETYPE_DIRECTORY
    if _stat.S_ISLNK(mode):
        return abi.FILETYPE_SYMBOLIC_LINK
    if _stat.S_ISCHR(mode):
        return abi.FILETYPE_CHARACTER_DEVICE
    if _stat.S_ISBLK(mode):
        return abi.FILETYPE_BLOCK_DEVICE
    if _stat.S_ISSOCK(mode):
        return abi.FILETYPE_SOCKET_STREAM
    return abi.FILETYPE_UNKNOWN  # a FIFO: WASI has no type for it (wazero: unknown)


class Root:
    """A preopened host directory: its host fd (owned by the `Wasi` that opened it, kept
    open while any entry under it may be in use) and whether it is read-only."""

    __slots__ = ("fd", "host_path", "guest_path", "read_only")

    def __init__(self, host_path: str, guest_path: str, read_only: bool):
        self.host_path = host_path
        self.guest_path = guest_path
        self.read_only = read_only
        self.fd = os.open(host_path, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        if not _stat.S_ISDIR(os.fstat(self.fd).st_mode):
            os.close(self.fd)
            raise NotADirectoryError(f"preopen {host_path!r} is not a directory")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Entry:
    """One open guest file descriptor.

    `fd`: the host OS fd, or -1 for a stream; `stream`: the Python binary file object
    (stdio given as objects); `sock`: the socket object of a socket entry;
    `root`: the `Root` a file or directory was opened under (its read-only flag
    applies); `filetype`: the WASI file type; `readable`/`writable`: the access mode
    it was opened with; `preopen`: True for the entries the guest starts with (stdio,
    preopened directories and sockets: fd_renumber refuses them, as wazero does);
    `name`: the guest path of a preopened directory (fd_prestat_dir_name);
    `owns_fd`: close the host fd when the guest closes the entry; `append`:
    fd_fdstat_get reports FDFLAGS_APPEND (stdio, as wazero); `dirents`: fd_readdir's
    snapshot of the directory; `listener`: a preopened listening socket; `write`:
    `write(data) -> int | None`, bound once (fd_write's hot path calls it).
    """

    __slots__ = ("fd", "stream", "sock", "root", "filetype", "readable", "writable",
                 "preopen", "name", "owns_fd", "append", "dirents", "listener", "write")

    def __init__(self, fd: int = -1, *, stream=None, sock=None, root: Root | None = None,
                 filetype: int = abi.FILETYPE_UNKNOWN, readable: bool = True,
                 writable: bool = True, preopen: bool = False, name: str | None = None,
                 owns_fd: bool = True, append: bool = False, listener: bool = False):
        self.fd = fd
        self.stream = stream
        self.sock = sock
        self.root = root
        self.filetype = filetype
        self.readable = readable
        self.writable = writable
        self.preopen = preopen
        self.name = name
        self.owns_fd = owns_fd
        self.append = append
        self.dirents = None
        self.listener = listener
        if stream is not None:
            self.write = stream.write if writable else _not_writable
        else:
            self.write = functools.partial(os.write, fd)

    @property
    def is_dir(self) -> bool:
        return self.filetype == abi.FILETYPE_DIRECTORY

    @property
    def read_only(self) -> bool:
        return self.root is not None and self.root.read_only

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if self.sock is not None:
            if self.owns_fd:
                self.sock.close()
        elif fd >= 0 and self.owns_fd:
            os.close(fd)

    def __repr__(self) -> str:
        what = self.name or (self.stream and type(self.stream).__name__) or self.fd
        return f"<wasi Entry {what} type {self.filetype}>"


def _not_writable(data) -> int:
    raise WasiError(abi.EBADF)


class Resolved:
    """The result of `resolve`: `dirfd` and `name` for the `*at` call (name is b"." for
    the directory itself). A context manager: leaving it closes the directories the
    walk opened."""

    __slots__ = ("dirfd", "name", "_opened")

    def __init__(self, dirfd: int, name: bytes, opened: list[int]):
        self.dirfd = dirfd
        self.name = name
        self._opened = opened

    def __enter__(self) -> "Resolved":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        opened, self._opened = self._opened, []
        for fd in opened:
            os.close(fd)


def resolve(start_fd: int, path: bytes, follow: bool) -> Resolved:
    """Resolve the guest `path` under the directory `start_fd`, component by component.

    `follow`: a symlink as the final component is resolved too (lookupflags
    SYMLINK_FOLLOW); a trailing slash implies it and requires a directory. Raises
    `WasiError` (ENOENT for an empty path, EPERM for an absolute one or an escape,
    ELOOP past 40 symlinks, ENOTDIR) or `OSError`.
    """
    if not path:
        raise WasiError(abi.ENOENT)
    if path[0] == 0x2F:  # "/"
        raise WasiError(abi.EPERM)
    if b"\0" in path:
        raise WasiError(abi.EINVAL)
    must_dir = path[-1] == 0x2F
    comps = [c for c in path.split(b"/") if c and c != b"."]
    if len(comps) == 1 and comps[0] != b".." and not follow and not must_dir:
        return Resolved(start_fd, comps[0], [])  # the common case: no walking at all
    if must_dir:
        follow = True
    pending = deque(comps)
    stack = [start_fd]
    links = 0
    try:
        while pending:
            c = pending.popleft()
            if c == b"..":
                if len(stack) == 1:
                    raise WasiError(abi.EPERM)
                os.close(stack.pop())
                continue
            last = not pending
            dirfd = stack[-1]
            if last:
                if not follow:
                    return Resolved(dirfd, c, stack[1:])
                try:
                    target = os.readlink(c, dir_fd=dirfd)
                except OSError as err:
                    if err.errno == _EINVAL or err.errno == _ENOENT:  # not a symlink / none
                        if must_dir and err.errno == _EINVAL:
                            if not _stat.S_ISDIR(os.stat(c, dir_fd=dirfd,
                                                         follow_symlinks=False).st_mode):
                                raise WasiError(abi.ENOTDIR) from None
                        return Resolved(dirfd, c, stack[1:])
                    raise
            else:
                try:
                    stack.append(os.open(c, _DIR_FLAGS, dir_fd=dirfd))
                    continue
                except OSError as err:
                    # a symlink opened with O_NOFOLLOW: ELOOP on Linux, EMLINK on
                    # FreeBSD, ENOTDIR with O_DIRECTORY | O_PATH
                    if err.errno not in _SYMLINK_ERRNOS:
                        raise
                    try:
                        target = os.readlink(c, dir_fd=dirfd)
                    except OSError:
                        raise WasiError(abi.ENOTDIR) from None  # a file, not a directory
            links += 1
            if links > MAX_SYMLINKS:
                raise WasiError(abi.ELOOP)
            if not target or target[0] == 0x2F:
                raise WasiError(abi.EPERM if target else abi.ENOENT)
            if last and target[-1] == 0x2F:
                must_dir = True
            pending.extendleft(reversed([t for t in target.split(b"/") if t and t != b"."]))
        return Resolved(stack[-1], b".", stack[1:])
    except BaseException:
        for fd in stack[1:]:
            os.close(fd)
        raise

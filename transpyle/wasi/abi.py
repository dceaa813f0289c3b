"""The numbers of the WASI preview1 ABI (`wasi_snapshot_preview1`) and of its
predecessor `wasi_unstable` where they differ: errno values, flags, rights, file
types and the byte layouts of the structures guests pass by pointer.

Source: the witx of snapshot-01 and snapshot-00 (WebAssembly/WASI, `legacy/`), as
wasi-libc and wazero (`internal/wasip1`) spell them.
"""

from __future__ import annotations

import errno as _errno
import struct

# -- errno ----------------------------------------------------------------------------

ESUCCESS = 0
E2BIG = 1
EACCES = 2
EADDRINUSE = 3
EADDRNOTAVAIL = 4
EAFNOSUPPORT = 5
EAGAIN = 6
EALREADY = 7
EBADF = 8
EBADMSG = 9
EBUSY = 10
ECANCELED = 11
ECHILD = 12
ECONNABORTED = 13
ECONNREFUSED = 14
ECONNRESET = 15
EDEADLK = 16
EDESTADDRREQ = 17
EDOM = 18
EDQUOT = 19
EEXIST = 20
EFAULT = 21
EFBIG = 22
EHOSTUNREACH = 23
EIDRM = 24
EILSEQ = 25
EINPROGRESS = 26
EINTR = 27
EINVAL = 28
EIO = 29
EISCONN = 30
EISDIR = 31
ELOOP = 32
EMFILE = 33
EMLINK = 34
EMSGSIZE = 35
EMULTIHOP = 36
ENAMETOOLONG = 37
ENETDOWN = 38
ENETRESET = 39
ENETUNREACH = 40
ENFILE = 41
ENOBUFS = 42
ENODEV = 43
ENOENT = 44
ENOEXEC = 45
ENOLCK = 46
ENOLINK = 47
ENOMEM = 48
ENOMSG = 49
ENOPROTOOPT = 50
ENOSPC = 51
ENOSYS = 52
ENOTCONN = 53
ENOTDIR = 54
ENOTEMPTY = 55
ENOTRECOVERABLE = 56
ENOTSOCK = 57
ENOTSUP = 58
ENOTTY = 59
ENXIO = 60
EOVERFLOW = 61
EOWNERDEAD = 62
EPERM = 63
EPIPE = 64
EPROTO = 65
EPROTONOSUPPORT = 66
EPROTOTYPE = 67
ERANGE = 68
EROFS = 69
ESPIPE = 70
ESRCH = 71
ESTALE = 72
ETIMEDOUT = 73
ETXTBSY = 74
EXDEV = 75
ENOTCAPABLE = 76

ERRNO_NAMES = {v: k for k, v in list(globals().items())
               if k.startswith("E") and isinstance(v, int) and k != "ESUCCESS"}
ERRNO_NAMES[ESUCCESS] = "ESUCCESS"


def _host_errno_table() -> dict[int, int]:
    """Host errno (this platform's `errno` module) -> WASI errno, by name: every host
    errno that WASI also names keeps its meaning; any other becomes EIO."""
    table = {}
    for wasi_value, name in ERRNO_NAMES.items():
        host = getattr(_errno, name, None)
        if host is not None and wasi_value:
            table.setdefault(host, wasi_value)
    # aliases some platforms define as separate numbers
    for alias, wasi_value in (("EWOULDBLOCK", EAGAIN), ("EOPNOTSUPP", ENOTSUP),
                              ("EDEADLOCK", EDEADLK)):
        host = getattr(_errno, alias, None)
        if host is not None:
            table.setdefault(host, wasi_value)
    return table


HOST_ERRNO = _host_errno_table()


def from_oserror(exc: OSError) -> int:
    """The WASI errno for a host `OSError` (EIO when the host errno has no WASI
    counterpart)."""
    return HOST_ERRNO.get(exc.errno, EIO)


# -- file types, flags, rights --------------------------------------------------------

FILETYPE_UNKNOWN = 0
FILETYPE_BLOCK_DEVICE = 1
FILETYPE_CHARACTER_DEVICE = 2
FILETYPE_DIRECTORY = 3
FILETYPE_REGULAR_FILE = 4
FILETYPE_SOCKET_DGRAM = 5
FILETYPE_SOCKET_STREAM = 6
FILETYPE_SYMBOLIC_LINK = 7

FDFLAGS_APPEND = 1
FDFLAGS_DSYNC = 2
FDFLAGS_NONBLOCK = 4
FDFLAGS_RSYNC = 8
FDFLAGS_SYNC = 16

OFLAGS_CREAT = 1
OFLAGS_DIRECTORY = 2
OFLAGS_EXCL = 4
OFLAGS_TRUNC = 8

LOOKUPFLAGS_SYMLINK_FOLLOW = 1

FSTFLAGS_ATIM = 1
FSTFLAGS_ATIM_NOW = 2
FSTFLAGS_MTIM = 4
FSTFLAGS_MTIM_NOW = 8

WHENCE_SET = 0
WHENCE_CUR = 1
WHENCE_END = 2
# wasi_unstable (snapshot-00) numbered whence differently
UNSTABLE_WHENCE = {0: WHENCE_CUR, 1: WHENCE_END, 2: WHENCE_SET}

CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1
CLOCK_PROCESS_CPUTIME_ID = 2
CLOCK_THREAD_CPUTIME_ID = 3

EVENTTYPE_CLOCK = 0
EVENTTYPE_FD_READ = 1
EVENTTYPE_FD_WRITE = 2
SUBCLOCKFLAGS_ABSTIME = 1

ADVICE_MAX = 5  # normal, sequential, random, willneed, dontneed, noreuse

RIFLAGS_RECV_PEEK = 1
RIFLAGS_RECV_WAITALL = 2
SDFLAGS_RD = 1
SDFLAGS_WR = 2

RIGHT_FD_DATASYNC = 1 << 0
RIGHT_FD_READ = 1 << 1
RIGHT_FD_SEEK = 1 << 2
RIGHT_FD_FDSTAT_SET_FLAGS = 1 << 3
RIGHT_FD_SYNC = 1 << 4
RIGHT_FD_TELL = 1 << 5
RIGHT_FD_WRITE = 1 << 6
RIGHT_FD_ADVISE = 1 << 7
RIGHT_FD_ALLOCATE = 1 << 8
RIGHT_PATH_CREATE_DIRECTORY = 1 << 9
RIGHT_PATH_CREATE_FILE = 1 << 10
RIGHT_PATH_LINK_SOURCE = 1 << 11
RIGHT_PATH_LINK_TARGET = 1 << 12
RIGHT_PATH_OPEN = 1 << 13
RIGHT_FD_READDIR = 1 << 14
RIGHT_PATH_READLINK = 1 << 15
RIGHT_PATH_RENAME_SOURCE = 1 << 16
RIGHT_PATH_RENAME_TARGET = 1 << 17
RIGHT_PATH_FILESTAT_GET = 1 << 18
RIGHT_PATH_FILESTAT_SET_SIZE = 1 << 19
RIGHT_PATH_FILESTAT_SET_TIMES = 1 << 20
RIGHT_FD_FILESTAT_GET = 1 << 21
RIGHT_FD_FILESTAT_SET_SIZE = 1 << 22
RIGHT_FD_FILESTAT_SET_TIMES = 1 << 23
RIGHT_PATH_SYMLINK = 1 << 24
RIGHT_PATH_REMOVE_DIRECTORY = 1 << 25
RIGHT_PATH_UNLINK_FILE = 1 << 26
RIGHT_POLL_FD_READWRITE = 1 << 27
RIGHT_SOCK_SHUTDOWN = 1 << 28
RIGHT_SOCK_ACCEPT = 1 << 29

# Rights are not enforced (WASI dropped them); fd_fdstat_get reports these sets, as
# wazero does (wasi-libc's isatty() looks for a character device without SEEK/TELL).
FILE_RIGHTS = (RIGHT_FD_DATASYNC | RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_FDSTAT_SET_FLAGS
               | RIGHT_FD_SYNC | RIGHT_FD_TELL | RIGHT_FD_WRITE | RIGHT_FD_ADVISE
               | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_GET | RIGHT_FD_FILESTAT_SET_SIZE
               | RIGHT_FD_FILESTAT_SET_TIMES | RIGHT_POLL_FD_READWRITE)
DIR_RIGHTS = (RIGHT_FD_DATASYNC | RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_SYNC
              | RIGHT_PATH_CREATE_DIRECTORY | RIGHT_PATH_CREATE_FILE | RIGHT_PATH_LINK_SOURCE
              | RIGHT_PATH_LINK_TARGET | RIGHT_PATH_OPEN | RIGHT_FD_READDIR
              | RIGHT_PATH_READLINK | RIGHT_PATH_RENAME_SOURCE | RIGHT_PATH_RENAME_TARGET
              | RIGHT_PATH_FILESTAT_GET | RIGHT_PATH_FILESTAT_SET_SIZE
              | RIGHT_PATH_FILESTAT_SET_TIMES | RIGHT_FD_FILESTAT_GET
              | RIGHT_FD_FILESTAT_SET_TIMES | RIGHT_PATH_SYMLINK
              | RIGHT_PATH_REMOVE_DIRECTORY | RIGHT_PATH_UNLINK_FILE)
TTY_RIGHTS = FILE_RIGHTS & ~(RIGHT_FD_SEEK | RIGHT_FD_TELL)
SOCKET_RIGHTS = (RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_FDSTAT_SET_FLAGS
                 | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE | RIGHT_SOCK_SHUTDOWN
                 | RIGHT_SOCK_ACCEPT)

# -- layouts (little-endian) ----------------------------------------------------------

U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
IOVEC = struct.Struct("<II")                  # buf, buf_len
FDSTAT = struct.Struct("<BxHxxxxQQ")          # 24: filetype, flags, rights base, inheriting
PRESTAT = struct.Struct("<BxxxI")             # 8: tag (0 = dir), name length
FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")  # 64: dev ino filetype nlink size atim mtim ctim
# wasi_unstable: nlink is a u32 right after the file type, so the struct is 56 bytes
FILESTAT_UNSTABLE = struct.Struct("<QQBxxxIQQQQ")
DIRENT = struct.Struct("<QQIBxxx")            # 24: d_next, d_ino, d_namlen, d_type
EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")    # 32: userdata errno type, nbytes flags
SUBSCRIPTION_SIZE = 48                        # userdata u64, tag u8, union at 8
SUBSCRIPTION_UNSTABLE_SIZE = 56               # the clock member has an extra identifier
SUB_CLOCK = struct.Struct("<IxxxxQQH")        # at 16: id, timeout, precision, flags
SUB_CLOCK_UNSTABLE = struct.Struct("<QIxxxxQQH")  # at 16: identifier, id, timeout, ...
assert FDSTAT.size == 24 and FILESTAT.size == 64 and FILESTAT_UNSTABLE.size == 56
assert DIRENT.size == 24 and EVENT.size == 32 and PRESTAT.size == 8

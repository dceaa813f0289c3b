"""`WasiConfig`: what a guest sees (arguments, environment, preopened directories and
sockets, standard streams). A config is plain data and can be reused: every `Wasi`
made from it starts from a fresh file table."""

from __future__ import annotations

import io
import os
from collections.abc import Collection, Iterable, Mapping
from typing import Any


def _to_bytes(value: str | bytes, what: str) -> bytes:
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError(f"{what} must be str or bytes, got {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what} contains a NUL character: {value!r}")
    return data


def _check_stream(value: Any, what: str, *, reading: bool) -> Any:
    """None (inherit), bytes (stdin only) or a binary file object."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        if not reading:
            raise TypeError(f"{what} cannot be bytes (only stdin can)")
        return bytes(value)
    if isinstance(value, io.TextIOBase):
        buffer = getattr(value, "buffer", None)
        if buffer is None:
            raise TypeError(f"{what} must be a binary file object; {type(value).__name__} "
                            f"is a text stream without a binary buffer")
        value = buffer
    method = "read" if reading else "write"
    if not callable(getattr(value, method, None)):
        raise TypeError(f"{what} must be a binary file object with a {method}() method, "
                        f"got {type(value).__name__}")
    return value


def normalize_guest_path(guest: str) -> str:
    """A preopen's guest name as fd_prestat_dir_name reports it: trailing slashes
    stripped; empty, "/" and "./" spellings of the root become "/" (as wazero)."""
    if not isinstance(guest, str):
        raise TypeError(f"a preopen's guest path must be a str, got {type(guest).__name__}")
    if "\0" in guest:
        raise ValueError(f"guest path contains a NUL character: {guest!r}")
    stripped = guest.rstrip("/")
    if stripped in ("", ".") and guest.startswith("/"):
        return "/"
    if stripped == "":
        return "/"
    return stripped


class WasiConfig:
    """The world a WASI guest runs in.

    `args`: the command line, `args[0]` being the program name by convention (nothing
    is added: pass it yourself). `env`: a mapping of variables, or an iterable of
    `"NAME=value"` strings (the guest sees exactly these; nothing is inherited).
    `preopens`: `{guest_path: host_directory}` (or an iterable of such pairs),
    preopened in order as fds 3, 4, ...
    `read_only`: True for every preopen, or a collection of guest paths (keys of
    `preopens`) that are read-only: the guest can read there but not create, write,
    truncate, rename, link, unlink or change times (EROFS; EBADF for writes through
    an fd, as wazero). `stdin`: None (inherit the process's fd 0), bytes, or a binary
    file object; `stdout`/`stderr`: None (inherit fd 1/2) or a binary file object (a
    text stream with a `.buffer` is accepted and its buffer used). `sockets`:
    listening `socket.socket` objects preopened after the directories (sock_accept;
    they stay owned by the caller).
    """

    __slots__ = ("args", "env", "preopens", "read_only", "stdin", "stdout", "stderr",
                 "sockets")

    def __init__(self, args: Iterable[str | bytes] = (), env=None,
                 preopens: Mapping[str, str | os.PathLike]
                 | Iterable[tuple[str, str | os.PathLike]] | None = None,
                 read_only: bool | Collection[str] = False, stdin=None, stdout=None,
                 stderr=None, sockets: Iterable[Any] = ()):
        if isinstance(args, (str, bytes)):
            raise TypeError("args must be a sequence of strings, not a single string")
        self.args: list[bytes] = [_to_bytes(a, f"args[{i}]") for i, a in enumerate(args)]
        self.env: list[bytes] = self._env(env)
        self.preopens: list[tuple[str, str]] = []
        pairs = (preopens or {}).items() if isinstance(preopens, Mapping) or not preopens \
            else preopens
        for guest, host in pairs:
            self.preopens.append((normalize_guest_path(guest), os.fspath(host)))
        if isinstance(read_only, bool):
            ro = {g for g, _ in self.preopens} if read_only else set()
        else:
            if isinstance(read_only, str):
                raise TypeError("read_only must be a bool or a collection of guest paths")
            ro = set()
            known = {g for g, _ in self.preopens}
            for guest in read_only:
                name = normalize_guest_path(guest)
                if name not in known:
                    raise ValueError(f"read_only names {guest!r}, which is not a preopen "
                                     f"(preopens: {sorted(known)})")
                ro.add(name)
        self.read_only: frozenset[str] = frozenset(ro)
        self.stdin = _check_stream(stdin, "stdin", reading=True)
        self.stdout = _check_stream(stdout, "stdout", reading=False)
        self.stderr = _check_stream(stderr, "stderr", reading=False)
        self.sockets = list(sockets)
        for s in self.sockets:
            if not callable(getattr(s, "accept", None)) or not callable(
                    getattr(s, "fileno", None)):
                raise TypeError(f"sockets must be listening socket objects, got "
                                f"{type(s).__name__}")

    @staticmethod
    def _env(env) -> list[bytes]:
        if env is None:
            return []
        items: list[bytes] = []
        if isinstance(env, Mapping):
            for k, v in env.items():
                kb = _to_bytes(k, "an environment variable name")
                if not kb or b"=" in kb:
                    raise ValueError(f"invalid environment variable name {k!r}")
                items.append(kb + b"=" + _to_bytes(v, f"the value of {k!r}"))
        elif isinstance(env, (str, bytes)):
            raise TypeError("env must be a mapping or an iterable of 'NAME=value' strings")
        else:
            for entry in env:
                eb = _to_bytes(entry, "an environment entry")
                if b"=" not in eb[1:]:
                    raise ValueError(f"environment entry {entry!r} is not NAME=value")
                items.append(eb)
        return items

    def __repr__(self) -> str:
        return (f"WasiConfig(args={self.args!r}, env={len(self.env)} variables, "
                f"preopens={self.preopens!r}, read_only={sorted(self.read_only)!r})")

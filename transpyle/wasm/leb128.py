"""LEB128 readers and writers with the WebAssembly binary format's exact rules.

Every reader takes `(data, pos)` and returns `(value, new_pos)`. A value of N bits may
use at most ceil(N/7) bytes ("integer representation too long"), and the unused bits of
its last byte must be zero for unsigned and a sign extension for signed integers
("integer too large"). Running off the end of `data` gives "unexpected end of section
or function". The phrases and the checking order are those of the spec interpreter
(`vuN`/`vsN` in `interpreter/binary/decode.ml`), which the official test suite expects.

The readers are the slow paths of the decoder: its instruction loop reads single-byte
values inline and calls these only for longer encodings.
"""

from __future__ import annotations

from ..errors import DecodeError

UNEXPECTED_END = "unexpected end of section or function"
TOO_LONG = "integer representation too long"
TOO_LARGE = "integer too large"


def _eof(data) -> DecodeError:
    return DecodeError(UNEXPECTED_END, len(data))


def read_u32(data, pos: int) -> tuple[int, int]:
    """An unsigned 32-bit LEB128 (at most 5 bytes; the 5th byte's top 3 value bits zero)."""
    try:
        b = data[pos]
        if b < 0x80:
            return b, pos + 1
        result = b & 0x7F
        b = data[pos + 1]
        result |= (b & 0x7F) << 7
        if b < 0x80:
            return result, pos + 2
        b = data[pos + 2]
        result |= (b & 0x7F) << 14
        if b < 0x80:
            return result, pos + 3
        b = data[pos + 3]
        result |= (b & 0x7F) << 21
        if b < 0x80:
            return result, pos + 4
        b = data[pos + 4]
    except IndexError:
        raise _eof(data) from None
    if b & 0x70:
        raise DecodeError(TOO_LARGE, pos + 4)
    if b & 0x80:
        raise DecodeError(TOO_LONG, pos + 5)
    return result | (b << 28), pos + 5


def read_s32(data, pos: int) -> tuple[int, int]:
    """A signed 32-bit LEB128, returned as a signed Python int."""
    try:
        b = data[pos]
        if b < 0x80:
            return (b - 0x80 if b & 0x40 else b), pos + 1
        result = b & 0x7F
        b = data[pos + 1]
        if b < 0x80:
            result |= b << 7
            return (result - 0x4000 if b & 0x40 else result), pos + 2
        result |= (b & 0x7F) << 7
        b = data[pos + 2]
        if b < 0x80:
            result |= b << 14
            return (result - 0x200000 if b & 0x40 else result), pos + 3
        result |= (b & 0x7F) << 14
        b = data[pos + 3]
        if b < 0x80:
            result |= b << 21
            return (result - 0x10000000 if b & 0x40 else result), pos + 4
        result |= (b & 0x7F) << 21
        b = data[pos + 4]
    except IndexError:
        raise _eof(data) from None
    m = b & 0x78
    if m != 0 and m != 0x78:
        raise DecodeError(TOO_LARGE, pos + 4)
    if b & 0x80:
        raise DecodeError(TOO_LONG, pos + 5)
    result |= b << 28
    return (result - 0x800000000 if b & 0x40 else result), pos + 5


def read_uleb(data, pos: int, bits: int) -> tuple[int, int]:
    """An unsigned LEB128 of at most `bits` bits."""
    result = 0
    shift = 0
    p = pos
    try:
        while True:
            n = bits - shift
            if n <= 0:
                raise DecodeError(TOO_LONG, p)
            b = data[p]
            p += 1
            if n < 7 and (b & 0x7F) >> n:
                raise DecodeError(TOO_LARGE, p - 1)
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result, p
            shift += 7
    except IndexError:
        raise _eof(data) from None


def read_sleb(data, pos: int, bits: int) -> tuple[int, int]:
    """A signed LEB128 of at most `bits` bits, returned as a signed Python int."""
    result = 0
    shift = 0
    p = pos
    try:
        while True:
            n = bits - shift
            if n <= 0:
                raise DecodeError(TOO_LONG, p)
            b = data[p]
            p += 1
            if n < 7:
                mask = (-1 << (n - 1)) & 0x7F
                m = b & mask
                if m != 0 and m != mask:
                    raise DecodeError(TOO_LARGE, p - 1)
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result, p
    except IndexError:
        raise _eof(data) from None


def read_u64(data, pos: int) -> tuple[int, int]:
    return read_uleb(data, pos, 64)


def read_s33(data, pos: int) -> tuple[int, int]:
    return read_sleb(data, pos, 33)


def read_s64(data, pos: int) -> tuple[int, int]:
    return read_sleb(data, pos, 64)


# -- writers (for tests and tools) ----------------------------------------------------


def encode_unsigned(value: int, min_len: int = 1) -> bytes:
    """The LEB128 encoding of a non-negative int, padded to at least `min_len` bytes."""
    if value < 0:
        raise ValueError("negative value")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        out.append(b)
        if value == 0 and len(out) >= min_len:
            break
        out[-1] |= 0x80
    return bytes(out)


def encode_signed(value: int, min_len: int = 1) -> bytes:
    """The signed LEB128 encoding of an int, padded (sign-extended) to `min_len` bytes."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        done = (value == 0 and not b & 0x40) or (value == -1 and b & 0x40)
        out.append(b)
        if done and len(out) >= min_len:
            break
        out[-1] |= 0x80
    return bytes(out)

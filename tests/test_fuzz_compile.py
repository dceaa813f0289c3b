"""Mutation fuzzing of `Runtime().compile()`.

Valid modules from the spec suite are mutated (byte flips, truncations, inserted and
deleted bytes, LEB128s re-encoded with padding bytes or given other values, section
sizes overwritten, sections dropped, duplicated or swapped). Whatever the bytes,
`compile` must either succeed or raise DecodeError/ValidationError, never any other
exception, and must take less than a second per module (a count of 2**32-1 must not
make the decoder allocate or loop that many times).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from spec_runner import SPECTEST_DIR

import transpyle
from transpyle import DecodeError, ValidationError

# A fixed corpus: 40 small valid modules (47 B to 3 KB) covering control flow,
# memory, tables, globals, names/custom sections, bulk memory, reference types,
# SIMD, LEB128 edge cases, linking, tail calls and threads.
CORPUS = (
    "v1/address.2.wasm", "v1/block.0.wasm", "v1/br.0.wasm", "v1/call_indirect.0.wasm",
    "v1/conversions.0.wasm", "v1/float_exprs.62.wasm", "v1/func.0.wasm", "v1/globals.0.wasm",
    "v1/if.0.wasm", "v1/loop.0.wasm", "v1/memory_grow.4.wasm", "v1/names.3.wasm",
    "v1/start.4.wasm", "v1/switch.0.wasm", "v1/traps.3.wasm", "v1/unwind.0.wasm",
    "v1/custom.1.wasm", "v1/local_tee.0.wasm", "v1/select.0.wasm", "v1/stack.1.wasm",
    "v2/bulk.10.wasm", "v2/memory_copy.89.wasm", "v2/memory_init.3.wasm", "v2/table_copy.50.wasm",
    "v2/table_init.98.wasm", "v2/elem.0.wasm", "v2/data.0.wasm", "v2/ref_func.1.wasm",
    "v2/table_grow.0.wasm", "v2/global.0.wasm", "v2/simd_load.4.wasm", "v2/simd_lane.0.wasm",
    "v2/simd_const.385.wasm", "v2/simd_i32x4_arith.12.wasm", "v2/simd_bitwise.17.wasm",
    "v2/binary-leb128.81.wasm", "v2/linking.6.wasm", "v2/imports.1.wasm",
    "tail-call/return_call_indirect.0.wasm", "threads/atomic.3.wasm",
)
MODULES = {name: (SPECTEST_DIR / name).read_bytes() for name in CORPUS}

MAX_SECONDS = 1.0
EXAMPLES = 300


# --------------------------------------------------------------------------------------
# LEB128 and section helpers
# --------------------------------------------------------------------------------------


def read_leb(data: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """(value, length) of the unsigned LEB128 at pos, or None if there is none."""
    value = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            return None
        b = data[pos + i]
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i + 1
    return None


def encode_leb(value: int, pad: int = 0) -> bytes:
    """Unsigned LEB128 of value, with `pad` redundant bytes (0x80 ... 0x00) appended."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value == 0:
            out.append(b)
            break
        out.append(b | 0x80)
    if pad:
        out[-1] |= 0x80
        out.extend(b"\x80" * (pad - 1))
        out.append(0)
    return bytes(out)


class Section:
    def __init__(self, start, sid, size_pos, size_len, size):
        self.start, self.id, self.size_pos, self.size_len, self.size = start, sid, size_pos, size_len, size

    @property
    def content(self) -> int:
        return self.size_pos + self.size_len

    @property
    def end(self) -> int:
        return self.content + self.size


def sections(data: bytes | bytearray) -> list[Section]:
    out, pos = [], 8
    while pos < len(data):
        sid = data[pos]
        leb = read_leb(data, pos + 1)
        if leb is None:
            break
        s = Section(pos, sid, pos + 1, leb[1], leb[0])
        if s.end > len(data):
            break
        out.append(s)
        pos = s.end
    return out


def leb_sites(data: bytes | bytearray) -> list[tuple[int, Section | None]]:
    """Positions of real LEB128s: section sizes (container None), the vector count
    that opens each non-custom section, and each function body size (container: the
    section, whose size must change with them to keep the module well-formed)."""
    sites: list[tuple[int, Section | None]] = []
    for s in sections(data):
        sites.append((s.size_pos, None))
        if s.id in (0, 8) or s.size == 0:
            continue
        sites.append((s.content, s))
        if s.id == 10:
            leb = read_leb(data, s.content)
            if leb is None:
                continue
            pos = s.content + leb[1]
            for _ in range(min(leb[0], 1000)):
                body = read_leb(data, pos)
                if body is None or pos + body[1] + body[0] > s.end:
                    break
                sites.append((pos, s))
                pos += body[1] + body[0]
    return sites


def replace_leb(data: bytearray, pos: int, container: Section | None, new: bytes, fix: bool) -> bytearray:
    old_len = read_leb(data, pos)[1]
    out = data[:pos] + new + data[pos + old_len:]
    if fix and container is not None:  # the container's size LEB comes before pos
        size = encode_leb(max(container.size + len(new) - old_len, 0))
        out = out[:container.size_pos] + size + out[container.size_pos + container.size_len:]
    return out


# --------------------------------------------------------------------------------------
# Mutations: each takes hypothesis' draw and the bytes, returns (bytes, description)
# --------------------------------------------------------------------------------------


def position(draw, data: bytearray, end: int = 0) -> int:
    """A position past the 8-byte header (mutating the header only ever gives "magic
    header not detected"), half the time inside the code section, where the
    validator's work is."""
    last = len(data) - 1 + end
    code = [s for s in sections(data) if s.id == 10 and s.size]
    if code and draw(st.booleans()):
        return draw(st.integers(code[0].content, min(code[0].end - 1 + end, last)))
    return draw(st.integers(min(8, last), last))


def flip(draw, data: bytearray):
    pos = position(draw, data)
    x = draw(st.integers(1, 255))
    data[pos] ^= x
    return data, f"flip {pos} ^ {x:#04x}"


def truncate(draw, data: bytearray):
    pos = position(draw, data)
    return data[:pos], f"truncate at {pos}"


def insert(draw, data: bytearray):
    pos = position(draw, data, end=1)
    blob = draw(st.binary(min_size=1, max_size=8))
    return data[:pos] + blob + data[pos:], f"insert {blob.hex()} at {pos}"


def delete(draw, data: bytearray):
    pos = position(draw, data)
    n = draw(st.integers(1, 8))
    return data[:pos] + data[pos + n:], f"delete {n} at {pos}"


def pad_leb(draw, data: bytearray):
    sites = leb_sites(data)
    if not sites:
        return flip(draw, data)
    pos, container = draw(st.sampled_from(sites))
    value = read_leb(data, pos)[0]
    pad = draw(st.integers(1, 6))  # 5 bytes in all is still a valid u32; more is malformed
    fix = draw(st.booleans())
    new = encode_leb(value, pad)
    return replace_leb(data, pos, container, new, fix), f"pad LEB at {pos} to {new.hex()} (fix size: {fix})"


def set_leb(draw, data: bytearray):
    sites = leb_sites(data)
    if not sites:
        return flip(draw, data)
    pos, container = draw(st.sampled_from(sites))
    value = read_leb(data, pos)[0]
    new_value = draw(st.sampled_from(
        [0, 1, value + 1, max(value - 1, 0), value * 2 + 7, len(data), 0x7FFFFFFF, 0xFFFFFFFF, 1 << 32, 1 << 35]))
    fix = draw(st.booleans())
    new = encode_leb(new_value)
    return replace_leb(data, pos, container, new, fix), f"set LEB at {pos} from {value} to {new_value} (fix size: {fix})"


def section_size(draw, data: bytearray):
    secs = sections(data)
    if not secs:
        return truncate(draw, data)
    s = draw(st.sampled_from(secs))
    new_size = draw(st.sampled_from([0, s.size - 1 if s.size else 1, s.size + 1, s.size + 100, 0xFFFFFFFF]))
    pad = draw(st.integers(0, 4))
    new = encode_leb(new_size, pad)
    return data[:s.size_pos] + new + data[s.size_pos + s.size_len:], f"section {s.id} size {s.size} -> {new_size} as {new.hex()}"


def reorder(draw, data: bytearray):
    secs = sections(data)
    if len(secs) < 2:
        return insert(draw, data)
    parts = [bytes(data[s.start:s.end]) for s in secs]
    tail = bytes(data[secs[-1].end:])
    how = draw(st.sampled_from(["drop", "duplicate", "swap"]))
    i = draw(st.integers(0, len(parts) - 1))
    if how == "drop":
        del parts[i]
    elif how == "duplicate":
        parts.insert(i, parts[i])
    else:
        j = draw(st.integers(0, len(parts) - 1))
        parts[i], parts[j] = parts[j], parts[i]
    return bytearray(data[:8] + b"".join(parts) + tail), f"{how} section #{i} (id {secs[i].id})"


MUTATIONS = (flip, truncate, insert, delete, pad_leb, set_leb, section_size, reorder)


@st.composite
def mutated_modules(draw):
    name = draw(st.sampled_from(CORPUS))
    data = bytearray(MODULES[name])
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        mutation = draw(st.sampled_from(MUTATIONS))
        data, what = mutation(draw, data)
        steps.append(what)
    return name, steps, bytes(data)


def _compile_timed(data: bytes):
    rt = transpyle.Runtime()
    start = time.perf_counter()
    try:
        rt.compile(data)
        outcome = "compiled"
    except (DecodeError, ValidationError) as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    return outcome, time.perf_counter() - start


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_compiles(name):
    """The unmutated corpus is valid: mutations start from modules that compile."""
    outcome, seconds = _compile_timed(MODULES[name])
    assert outcome == "compiled", f"{name}: {outcome}"
    assert seconds < MAX_SECONDS, f"{name}: compile took {seconds:.2f} s"


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # timing is asserted per compile call below, not per example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_modules())
def test_mutated_modules_compile_or_raise_compile_errors(case):
    name, steps, data = case
    note(f"{name} mutated by {steps}: {len(data)} bytes {data[:64].hex()}...")
    outcome, seconds = _compile_timed(data)
    note(f"outcome: {outcome}")
    assert seconds < MAX_SECONDS, f"{name} {steps}: compile took {seconds:.2f} s ({outcome})"


def test_leb_helpers():
    assert encode_leb(0) == b"\x00"
    assert encode_leb(624485) == bytes([0xE5, 0x8E, 0x26])
    assert encode_leb(3, pad=2) == bytes([0x83, 0x80, 0x00])
    assert read_leb(encode_leb(0xFFFFFFFF, pad=1), 0) == (0xFFFFFFFF, 6)
    data = MODULES["v1/func.0.wasm"]
    secs = sections(data)
    assert secs and secs[-1].end == len(data)
    for pos, container in leb_sites(data):
        value, n = read_leb(data, pos)
        same = replace_leb(bytearray(data), pos, container, encode_leb(value, 2), True)
        assert len(same) >= len(data) + 2

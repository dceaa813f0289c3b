"""Typed memoryviews of memory: aligned loads and stores through `mem0_u32` & co.

A non-shared memory owns memoryview casts of its bytearray (`externs.VIEW_FORMATS`)
and publishes them in the namespace of every instance that uses it; generated code
indexes them for aligned accesses (`mem0_u32[a // 4] if not a & 3 else
unpack_i32(mem0, a)[0]`, `mem0_u32[1024 // 4]`). A bytearray with live views cannot be
resized, so `grow` releases them, extends the bytearray and publishes new ones. These
tests cover the listing forms, growth from wasm and from Python with the memory shared
between instances, out-of-bounds accesses at the last bytes, and calls that grow the
memory in the middle of an access.
"""

from __future__ import annotations

import gc
import struct
import sys
from pathlib import Path

import pytest

from transpyle import I32, Func, Memory, Runtime, Trap
from transpyle.runtime.externs import VIEW_FORMATS

wasmtime = pytest.importorskip("wasmtime")

PAGE = 65536
LITTLE = sys.byteorder == "little"


def compile_wat(wat: str, rt: Runtime | None = None):
    rt = rt or Runtime()
    return rt, rt.compile(wasmtime.wat2wasm(wat))


def load(wat: str, rt: Runtime | None = None, imports=None):
    rt, compiled = compile_wat(wat, rt)
    return rt.instantiate(compiled, imports=imports)


# A module whose accesses take every form: variable, offset, constant (aligned or not),
# and the load and store of every width that has a view.
ACCESS = """(module
  (memory (export "mem") {pages} {max})
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  (func (export "ld32") (param i32) (result i32) local.get 0 i32.load)
  (func (export "ld32_off") (param i32) (result i32) local.get 0 i32.load offset=8)
  (func (export "ld64") (param i32) (result i64) local.get 0 i64.load)
  (func (export "ldf64") (param i32) (result f64) local.get 0 f64.load)
  (func (export "ld16u") (param i32) (result i32) local.get 0 i32.load16_u)
  (func (export "ld16s") (param i32) (result i32) local.get 0 i32.load16_s)
  (func (export "ld32s") (param i32) (result i64) local.get 0 i64.load32_s)
  (func (export "ld32u") (param i32) (result i64) local.get 0 i64.load32_u)
  (func (export "st32") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "st64") (param i32 i64) local.get 0 local.get 1 i64.store)
  (func (export "stf64") (param i32 f64) local.get 0 local.get 1 f64.store)
  (func (export "st16") (param i32 i32) local.get 0 local.get 1 i32.store16)
  (func (export "ld32_k") (result i32) i32.const 1024 i32.load)
  (func (export "ld32_k_off") (result i32) i32.const 1000 i32.load offset=24)
  (func (export "ld32_k_odd") (result i32) i32.const 1026 i32.load)
  (func (export "ld64_k") (result i64) i32.const 2048 i64.load)
  (func (export "st32_k") (param i32) i32.const 1024 local.get 0 i32.store)
  (func (export "st64_k") (param i64) i32.const 2048 local.get 0 i64.store)
  (func (export "st32_k_odd") (param i32) i32.const 1026 local.get 0 i32.store)
  (func (export "ld32_last_k") (result i32) i32.const {last4} i32.load)
  (func (export "ld32_past_k") (result i32) i32.const {past4} i32.load)
  (func (export "st32_past_k") (param i32) i32.const {past4} local.get 0 i32.store)
)"""


def access_module(pages=1, max_pages=4, rt=None, imports=None):
    size = pages * PAGE
    wat = ACCESS.format(pages=pages, max=max_pages, last4=size - 4, past4=size)
    return load(wat, rt=rt, imports=imports)


# -- the listing ----------------------------------------------------------------------


@pytest.mark.skipif(not LITTLE, reason="views are used on little-endian hosts only")
def test_listing_forms():
    _, compiled = compile_wat(ACCESS.format(pages=1, max=4, last4=PAGE - 4, past4=PAGE))
    text = "\n".join(compiled.source(i) for i in sorted(compiled.code.sources))
    for form in [
        "return (mem0_u32[l0 // 4] if not l0 & 3 else unpack_i32(mem0, l0)[0])",
        # an address that is not a plain name is named once, with :=
        "return (mem0_u32[_t0 // 4] if not (_t0 := l0 + 8) & 3 else unpack_i32(mem0, _t0)[0])",
        "return (mem0_u64[l0 // 8] if not l0 & 7 else unpack_i64(mem0, l0)[0])",
        "return (mem0_f64[l0 // 8] if not l0 & 7 else unpack_f64(mem0, l0)[0])",
        "return (mem0_u16[l0 // 2] if not l0 & 1 else unpack_i16u(mem0, l0)[0])",
        "return (mem0_s16[l0 // 2] if not l0 & 1 else unpack_i16s(mem0, l0)[0]) & 0xFFFFFFFF",
        "(mem0_s32[l0 // 4] if not l0 & 3 else unpack_i32s(mem0, l0)[0]) & 0xFFFFFFFFFFFFFFFF",
        # stores at a variable address stay struct calls (the test costs what the view saves)
        "pack_i32(mem0, l0, l1)", "pack_i64(mem0, l0, l1)", "pack_f64(mem0, l0, l1)",
        "pack_i16(mem0, l0, l1 & 0xffff)",
        # constant addresses: the view directly when aligned (offset folded in)
        "def ld32_k():  # () -> (i32)\n    return mem0_u32[1024 // 4]",
        "def ld32_k_off():  # () -> (i32)\n    return mem0_u32[1024 // 4]",
        "return mem0_u64[2048 // 8]", "mem0_u32[1024 // 4] = l0", "mem0_u64[2048 // 8] = l0",
        # ... and the call when not
        "return unpack_i32(mem0, 1026)[0]", "pack_i32(mem0, 1026, l0)",
    ]:
        assert form in text, form
    # f32 keeps its helpers (a C float -> double conversion would quiet a signalling NaN)
    _, compiled = compile_wat("""(module (memory 1)
      (func (export "f") (param i32) (result f32) local.get 0 f32.load)
      (func (export "g") (param f32) i32.const 64 local.get 0 f32.store))""")
    assert "load_f32(mem0, l0)" in compiled.source(0)
    assert "store_f32(mem0, 64, l0)" in compiled.source(1)


def test_shared_memory_has_no_views():
    """Shared memories keep the struct calls: another thread could be between loading
    a view and indexing it when this one grows the memory."""
    _, compiled = compile_wat("""(module (memory 1 2 shared)
      (func (export "f") (param i32) (result i32) local.get 0 i32.load)
      (func (export "g") (result i32) i32.const 64 i32.load))""")
    assert compiled.source(0).count("unpack_i32(mem0, l0)[0]") == 1
    assert "mem0_" not in compiled.source(0) + compiled.source(1)
    m = Memory(1, 2, shared=True)
    assert m._views is None
    assert m.grow(1) == 1 and m.size == 2


# -- loads and stores, aligned and not ---------------------------------------------------


def test_loads_and_stores_all_widths():
    inst = access_module()
    e = inst.exports
    mem = e["mem"]
    mem.write(16, bytes(range(1, 17)))
    for a in (16, 17, 18, 19, 20):
        assert e["ld32"](a) == struct.unpack_from("<I", mem.data, a)[0]
        assert e["ld64"](a) == struct.unpack_from("<q", mem.data, a)[0]
        assert e["ld16u"](a) == struct.unpack_from("<H", mem.data, a)[0]
        assert e["ld32u"](a) == struct.unpack_from("<I", mem.data, a)[0]
    mem.write(32, struct.pack("<hhi", -2, 7, -5))
    assert e["ld16s"](32) == -2 and e["ld16s"](34) == 7 and e["ld32s"](36) == -5
    assert e["ld16s"](33) == struct.unpack_from("<h", mem.data, 33)[0]
    for a in (40, 41, 44):
        e["st32"](a, 0xDEADBEEF)
        assert struct.unpack_from("<I", mem.data, a)[0] == 0xDEADBEEF
        e["st64"](a + 16, -3)
        assert struct.unpack_from("<q", mem.data, a + 16)[0] == -3
        e["stf64"](a + 32, -1.5)
        assert struct.unpack_from("<d", mem.data, a + 32)[0] == -1.5 and e["ldf64"](a + 32) == -1.5
        e["st16"](a + 48, 0x12345)
        assert struct.unpack_from("<H", mem.data, a + 48)[0] == 0x2345
    # a NaN payload passes through the f64 view unchanged
    mem.write(128, struct.pack("<Q", 0x7FF0000000000001))
    v = e["ldf64"](128)
    e["stf64"](136, v)
    assert mem.read(136, 8) == struct.pack("<Q", 0x7FF0000000000001)
    e["st32_k"](0x01020304)
    assert e["ld32_k"]() == 0x01020304 and e["ld32_k_off"]() == 0x01020304
    e["st32_k_odd"](0xA0B0C0D0)
    assert e["ld32_k_odd"]() == 0xA0B0C0D0 - 2**32 and mem.read(1026, 4) == b"\xd0\xc0\xb0\xa0"
    e["st64_k"](-1)
    assert e["ld64_k"]() == -1


def test_out_of_bounds_at_the_last_bytes():
    """The last aligned word is in bounds, every address past it traps, aligned or not,
    and a trapping store writes nothing."""
    inst = access_module()
    e = inst.exports
    mem = e["mem"]
    mem.write(PAGE - 8, bytes(range(8)))
    assert e["ld32"](PAGE - 4) == 0x07060504 and e["ld32_last_k"]() == 0x07060504
    assert e["ld64"](PAGE - 8) == 0x0706050403020100
    assert e["ld16u"](PAGE - 2) == 0x0706
    assert e["ld32_off"](PAGE - 12) == 0x07060504
    before = bytes(mem.data)
    oob = [
        lambda: e["ld32"](PAGE), lambda: e["ld32"](PAGE - 3), lambda: e["ld32"](PAGE - 2),
        lambda: e["ld32"](PAGE - 1), lambda: e["ld32"](0xFFFFFFFC), lambda: e["ld32"](-4),
        lambda: e["ld32_off"](PAGE - 8), lambda: e["ld32_off"](PAGE - 11),
        lambda: e["ld32_off"](0xFFFFFFF8),  # effective address 2**32: no wrap-around
        lambda: e["ld64"](PAGE - 4), lambda: e["ld64"](PAGE), lambda: e["ld64"](PAGE - 7),
        lambda: e["ldf64"](PAGE - 4), lambda: e["ldf64"](0xFFFFFFF8),
        lambda: e["ld16u"](PAGE), lambda: e["ld16u"](PAGE - 1), lambda: e["ld16s"](PAGE),
        lambda: e["ld32s"](PAGE), lambda: e["ld32u"](PAGE - 2),
        lambda: e["ld32_past_k"](),
        lambda: e["st32"](PAGE, 1), lambda: e["st32"](PAGE - 2, 1),
        lambda: e["st32"](0xFFFFFFFC, 1), lambda: e["st64"](PAGE - 4, 1),
        lambda: e["st64"](PAGE, 1), lambda: e["stf64"](PAGE - 4, 1.0),
        lambda: e["st16"](PAGE, 1), lambda: e["st16"](PAGE - 1, 1),
        lambda: e["st32_past_k"](1),
    ]
    for i, f in enumerate(oob):
        with pytest.raises(Trap, match="^out of bounds memory access"):
            f()
    assert bytes(mem.data) == before


def test_addresses_are_never_negative():
    """A memoryview accepts negative indices: an address that is a negative Python int
    (a difference before wrapping) must be wrapped first, here to 0xFFFFFFFC (a trap)
    or, through an overflowing sum, to a small in-bounds address."""
    inst = load("""(module (memory (export "mem") 1)
      (func (export "neg") (param i32) (result i32)
        i32.const 0 local.get 0 i32.sub i32.load)
      (func (export "neg64") (param i32) (result i64)
        i32.const 0 local.get 0 i32.sub i64.load)
      (func (export "wrap") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.add i32.load)
      (func (export "store_neg") (param i32)
        i32.const 0 local.get 0 i32.sub i32.const 7 i32.store))""")
    e = inst.exports
    mem = e["mem"]
    mem.write(PAGE - 8, b"\xff" * 8)
    mem.write(4, b"\x01\x02\x03\x04")
    for k in (4, 8):
        with pytest.raises(Trap, match="out of bounds memory access"):
            e["neg"](k)
        with pytest.raises(Trap, match="out of bounds memory access"):
            e["neg64"](k)
        with pytest.raises(Trap, match="out of bounds memory access"):
            e["store_neg"](k)
    assert e["wrap"](0xFFFFFFFC, 8) == 0x04030201  # (2**32 - 4 + 8) mod 2**32 = 4
    assert mem.read(PAGE - 8, 8) == b"\xff" * 8


def test_empty_memory():
    m = Memory(0, 2)
    assert all(len(v) == 0 for v in m._views.values())
    inst = access_module(pages=0, max_pages=2, imports=None)
    e = inst.exports
    with pytest.raises(Trap, match="out of bounds memory access"):
        e["ld32"](0)
    with pytest.raises(Trap, match="out of bounds memory access"):
        e["st32"](0, 1)
    assert e["grow"](1) == 0
    e["st32"](PAGE - 4, 99)
    assert e["ld32"](PAGE - 4) == 99


# -- growth ---------------------------------------------------------------------------


def test_grow_from_wasm_then_access_the_new_page():
    inst = access_module()
    e = inst.exports
    e["st32"](8, 5)
    assert e["ld32"](8) == 5
    assert e["grow"](1) == 1 and e["size"]() == 2
    e["st32"](PAGE + 4, 0x11223344)  # aligned, in the new page
    assert e["ld32"](PAGE + 4) == 0x11223344 and e["ld32"](8) == 5
    e["st32"](PAGE + 9, 0x55667788)  # unaligned
    assert e["ld32"](PAGE + 9) == 0x55667788
    e["st64"](2 * PAGE - 8, -9)
    assert e["ld64"](2 * PAGE - 8) == -9
    with pytest.raises(Trap, match="out of bounds memory access"):
        e["ld32"](2 * PAGE)
    assert e["grow"](5) == -1 and e["size"]() == 2  # past the max: the views stay usable
    assert e["ld32"](PAGE + 4) == 0x11223344


def test_grow_from_python_then_access():
    inst = access_module()
    e = inst.exports
    mem = e["mem"]
    data = mem.data
    assert mem.grow(2) == 1 and mem.data is data and len(data) == 3 * PAGE
    e["st32"](3 * PAGE - 4, 42)
    assert e["ld32"](3 * PAGE - 4) == 42 and mem.read(3 * PAGE - 4, 4) == b"\x2a\0\0\0"
    e["st64"](2 * PAGE + 3, 1 << 40)
    assert e["ld64"](2 * PAGE + 3) == 1 << 40
    assert mem.grow(0) == 3


def test_memory_shared_between_instances_sees_every_grow():
    """Memory exported by one instance and imported by another, and a host memory
    imported by two: a grow by either (wasm or Python) gives both the new views."""
    rt = Runtime()
    a = access_module(rt=rt)
    importer = ACCESS.replace('(memory (export "mem") {pages} {max})',
                              '(import "a" "mem" (memory {pages} {max}))')
    wat = importer.format(pages=1, max=4, last4=PAGE - 4, past4=PAGE)
    b = load(wat, rt=rt, imports={"a": {"mem": a.exports["mem"]}})
    assert a.exports["grow"](1) == 1
    b.exports["st32"](PAGE + 8, 77)
    assert a.exports["ld32"](PAGE + 8) == 77
    assert b.exports["grow"](1) == 2
    a.exports["st64"](2 * PAGE + 16, 123)
    assert b.exports["ld64"](2 * PAGE + 16) == 123 and b.exports["ld32"](2 * PAGE + 17) == 0
    assert a.exports["mem"].grow(1) == 3
    b.exports["st32"](4 * PAGE - 4, 5)
    assert a.exports["ld32"](4 * PAGE - 4) == 5 and a.exports["size"]() == 4

    host = Memory(1, 3)
    c = load(wat, rt=rt, imports={"a": {"mem": host}})
    d = load(wat, rt=rt, imports={"a": {"mem": host}})
    assert host.grow(1) == 1
    c.exports["st32"](PAGE, 1)
    assert d.exports["ld32"](PAGE) == 1
    assert d.exports["grow"](1) == 2
    d.exports["stf64"](3 * PAGE - 8, 2.5)
    assert c.exports["ldf64"](3 * PAGE - 8) == 2.5


def test_dropped_instances_are_forgotten():
    """The memory refers to the namespaces it updates only weakly."""
    host = Memory(1, 3)
    wat = ACCESS.replace('(memory (export "mem") {pages} {max})',
                         '(import "a" "mem" (memory {pages} {max}))').format(
        pages=1, max=3, last4=PAGE - 4, past4=PAGE)
    rt, compiled = compile_wat(wat)
    keep = rt.instantiate(compiled, imports={"a": {"mem": host}})
    for _ in range(5):
        rt.instantiate(compiled, imports={"a": {"mem": host}})
    gc.collect()
    assert len(host._bindings) == 1
    assert host.grow(1) == 1
    keep.exports["st32"](PAGE, 3)
    assert keep.exports["ld32"](PAGE) == 3


def test_views_are_published_and_replaced():
    inst = access_module()
    ns = inst.namespace
    mem = inst.exports["mem"]
    old = {k: ns[f"mem0_{k}"] for k in VIEW_FORMATS}
    for k, fmt in VIEW_FORMATS.items():
        assert old[k].format == fmt and old[k].obj is mem.data
    mem.grow(1)
    for k in VIEW_FORMATS:
        new = ns[f"mem0_{k}"]
        assert new is not old[k] and new.nbytes == 2 * PAGE
        with pytest.raises(ValueError):  # released
            old[k][0]


def test_a_foreign_view_makes_grow_fail_cleanly():
    """A memoryview of the memory held by the host: memory.grow returns -1 (Memory.grow
    raises BufferError) and the memory keeps working; once released, it grows."""
    inst = access_module()
    e = inst.exports
    mem = e["mem"]
    view = memoryview(mem.data)
    assert e["grow"](1) == -1
    with pytest.raises(BufferError):
        mem.grow(1)
    e["st32"](64, 9)
    assert e["ld32"](64) == 9 and view[64] == 9 and mem.size == 1
    view.release()
    assert e["grow"](1) == 1
    e["st32"](PAGE, 10)
    assert e["ld32"](PAGE) == 10


def test_calls_that_grow_in_the_middle_of_an_access():
    """The view is read after the address and the value are computed: a call computing
    either may grow the memory (replacing the views) without breaking the access."""
    inst = load("""(module (memory (export "mem") 1 8)
      (func $grow (result i32) i32.const 1 memory.grow drop i32.const 0)
      (func $addr (result i32) i32.const 1 memory.grow drop i32.const 64)
      (func (export "load_after_grow") (param i32) (result i32)
        local.get 0 call $grow i32.add i32.load)
      (func (export "load_addr_from_call") (result i32)
        call $addr i32.load)
      (func (export "load_const_then_call") (result i32)
        i32.const 64 call $grow drop i32.load)
      (func (export "store_value_from_call") (param i32)
        local.get 0 call $addr i32.store)
      (func (export "store_const_value_from_call")
        i32.const 128 call $addr i32.store)
      (func (export "sum_two_loads_call_between") (param i32) (result i32)
        local.get 0 i32.load call $grow local.get 0 i32.add i32.load i32.add))""")
    e = inst.exports
    mem = e["mem"]
    mem.write(64, struct.pack("<I", 1234))
    assert e["load_after_grow"](64) == 1234 and mem.size == 2
    assert e["load_addr_from_call"]() == 1234 and mem.size == 3
    assert e["load_const_then_call"]() == 1234 and mem.size == 4
    e["store_value_from_call"](256)
    assert mem.read(256, 4) == struct.pack("<I", 64) and mem.size == 5
    e["store_const_value_from_call"]()
    assert mem.read(128, 4) == struct.pack("<I", 64) and mem.size == 6
    assert e["sum_two_loads_call_between"](64) == 2468 and mem.size == 7


def test_host_function_grows_during_a_load():
    """A host function called from wasm grows the memory through the Python API."""
    box = {}

    def grow_and_return(x):
        box["mem"].grow(1)
        return x

    rt, compiled = compile_wat("""(module
      (import "h" "f" (func $f (param i32) (result i32)))
      (memory (export "mem") 1 4)
      (func (export "g") (param i32) (result i32)
        local.get 0 call $f i32.load local.get 0 i32.load offset=4 i32.add))""")
    inst = rt.instantiate(compiled, imports={"h": {"f": Func(grow_and_return, [I32], [I32])}})
    box["mem"] = mem = inst.exports["mem"]
    mem.write(PAGE - 8, struct.pack("<II", 5, 6))
    assert inst.exports["g"](PAGE - 8) == 11 and mem.size == 2
    mem.write(2 * PAGE - 8, struct.pack("<II", 7, 8))
    assert inst.exports["g"](2 * PAGE - 8) == 15 and mem.size == 3


# -- addresses proven aligned (codegen/facts.py): the view with no run-time test -----------
GOLDEN_ALIGNED = Path(__file__).resolve().parents[1] / "golden" / "aligned_facts.wasm"


def _wasmtime_run(wasm: bytes, name: str, args):
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    try:
        return "ok", inst.exports(store)[name](store, *args)
    except wasmtime.Trap as t:
        return "trap", "out of bounds memory access" if "out of bounds" in str(t) else str(t)


@pytest.mark.parametrize("name,args", [
    ("sum", (0, 5)), ("sum", (13, 40)), ("sum", (PAGE - 64, 8)), ("sum", (PAGE - 8, 2)),
    ("fill", (3,)), ("fill", (4080,)), ("fill", (4081,)),
    ("unproven", (0, 0)), ("unproven", (3, 1)), ("unproven", (PAGE - 8, 0)),
    ("unproven", (PAGE - 7, 0)),
])
def test_proven_aligned_accesses_agree_with_wasmtime(name, args):
    """The golden module's proven accesses (no alignment test) and unproven ones give
    wasmtime's results and traps, at the last bytes of memory too."""
    wasm = GOLDEN_ALIGNED.read_bytes()
    source = Runtime().compile(wasm).source(name)
    if name in ("sum", "fill"):
        assert "unpack_" not in source and "pack_" not in source  # all proven aligned
    rt = Runtime()
    inst = rt.instantiate(rt.compile(wasm))
    try:
        got = ("ok", inst.exports[name](*args))
    except Trap as t:
        got = ("trap", str(t).split("\n")[0])
    expected = _wasmtime_run(wasm, name, args)
    if expected[0] == "ok" and isinstance(expected[1], float):
        assert got[0] == "ok" and struct.pack("<d", got[1]) == struct.pack("<d", expected[1])
    else:
        assert got == expected

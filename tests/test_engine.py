"""The engine: the compiled-module cache (memory and disk) and the Engine/ModuleEngine
interface.

Disk-cache tests damage entries on purpose (truncate, flip a byte, replace the magic,
record other inputs) and expect a `CacheWarning`, a recompilation and a rewritten
entry; the concurrency test runs several processes that compile into one directory at
the same moment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

import transpyle
from transpyle import Func, I32, Runtime, Table, Trap
from transpyle import engine as engine_mod
from transpyle.engine import (
    CacheWarning,
    CompiledModule,
    Engine,
    InstanceFunction,
    ModuleEngine,
    default_cache_dir,
)

wasmtime = pytest.importorskip("wasmtime")

REPO = Path(__file__).resolve().parent.parent

SIMPLE = """(module $simple
  (memory (export "mem") 1)
  (data (i32.const 16) "hi")
  (global $g (mut i32) (i32.const 5))
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a local.get $b i32.add)
  (func $sum (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    local.get $s)
  (func $fac (export "fac") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $fac (i64.sub (local.get 0) (i64.const 1))
                              (i64.mul (local.get 0) (local.get 1))))))
)"""


def wasm(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


def big_wat(n: int, salt: int = 0) -> str:
    """A module of `n` functions with loops (slow enough to compile that processes
    started together overlap), exporting `run(x)`."""
    funcs = []
    for k in range(n):
        funcs.append(f"""(func $f{k} (param $x i32) (result i32) (local $i i32)
    (local.set $i (i32.const {k % 7 + 1}))
    (block $b (loop $l
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const {k + salt + 3}))
                             (i32.xor (local.get $i) (i32.const {k}))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $l (local.get $i))))
    {f"(call $f{k - 1} (local.get $x))" if k else "(local.get $x)"})""")
    return f"""(module {' '.join(funcs)}
  (func (export "run") (param i32) (result i32) (call $f{n - 1} (local.get 0))))"""


@pytest.fixture
def count_codegen(monkeypatch):
    """Counts whole-module code generations (`ModuleCodegen.compile_all`)."""
    from transpyle.codegen import ModuleCodegen

    calls = []
    real = ModuleCodegen.compile_all

    def counting(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ModuleCodegen, "compile_all", counting)
    return calls


def no_codegen(monkeypatch):
    from transpyle.codegen import ModuleCodegen

    def fail(*args, **kwargs):
        raise AssertionError("compiled although the entry should come from the cache")

    monkeypatch.setattr(ModuleCodegen, "__init__", fail)


# -- the in-memory cache ------------------------------------------------------------------


def test_same_bytes_compile_once(count_codegen):
    rt = Runtime()
    data = wasm(SIMPLE)
    a = rt.compile(data)
    b = rt.compile(bytearray(data))
    c = rt.compile(memoryview(data))
    assert a is b is c and len(count_codegen) == 1
    assert rt.engine.compiled_module_count() == 1
    assert a.sha256 == __import__("hashlib").sha256(data).hexdigest()
    # instantiating bytes goes through the same cache
    rt.instantiate(data)
    assert len(count_codegen) == 1
    # another runtime has its own engine and cache
    assert Runtime().compile(data) is not a and len(count_codegen) == 2


def test_progress_is_reported_while_compiling_only(tmp_path):
    data = wasm(SIMPLE)
    seen = []
    rt = Runtime(cache_dir=tmp_path)
    rt.compile(data, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    rt.compile(data, progress=lambda *a: seen.append(a))  # memory cache: no codegen
    Runtime(cache_dir=tmp_path).compile(data, progress=lambda *a: seen.append(a))  # disk
    assert len(seen) == 3


def test_threads_compiling_the_same_bytes_compile_once(count_codegen):
    rt = Runtime()
    data = wasm(big_wat(30))
    results = []
    barrier = threading.Barrier(4)

    def work():
        barrier.wait()
        results.append(rt.compile(data))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(count_codegen) == 1 and all(r is results[0] for r in results)


def test_ensure_termination_is_part_of_the_key(count_codegen):
    data = wasm(SIMPLE)
    eng = Engine()
    plain = eng.compile_module(data)
    checked = eng.compile_module(data, None, True)
    assert plain is not checked and len(count_codegen) == 2
    assert eng.compiled_module_count() == 2
    assert "check_termination" not in plain.source("sum")
    assert "check_termination" in checked.source("sum")
    assert not plain.ensure_termination and checked.ensure_termination
    assert eng.compile_module(data, None, True) is checked
    debug = eng.compile_module(data, None, False, debug=True)
    assert debug not in (plain, checked) and debug.debug and len(count_codegen) == 3


def test_delete_compiled_module_and_close():
    data = wasm(SIMPLE)
    eng = Engine()
    a = eng.compile_module(data)
    eng.compile_module(data, None, True)
    other = eng.compile_module(wasm("(module)"))
    assert eng.compiled_module_count() == 3
    eng.delete_compiled_module(a)  # every entry of those bytes
    assert eng.compiled_module_count() == 1
    eng.delete_compiled_module(a)  # idempotent
    assert eng.compile_module(data) is not a
    eng.delete_compiled_module(data)
    eng.delete_compiled_module(other.sha256)
    assert eng.compiled_module_count() == 0
    with pytest.raises(TypeError):
        eng.delete_compiled_module(42)
    eng.close()
    assert eng.compiled_module_count() == 0
    with pytest.raises(RuntimeError, match="closed"):
        eng.compile_module(data)


def test_instances_outlive_a_deleted_module():
    rt = Runtime()
    data = wasm(SIMPLE)
    inst = rt.instantiate(data)
    rt.engine.delete_compiled_module(data)
    assert inst.exports["add"](2, 3) == 5
    with Runtime() as rt2:
        inst2 = rt2.instantiate(data)
    assert inst2.exports["sum"](10) == 55
    with pytest.raises(RuntimeError, match="closed"):
        rt2.compile(data)


def test_compile_errors_and_type_errors():
    rt = Runtime()
    with pytest.raises(transpyle.DecodeError):
        rt.compile(b"\0asm\2\0\0\0")
    with pytest.raises(transpyle.ValidationError):
        rt.compile(wasm("(module (func (result i32)))")[:-3] + b"\x02\x00\x0b")
    with pytest.raises(TypeError):
        rt.compile("(module)")
    assert rt.engine.compiled_module_count() == 0


def test_compiled_module_description_and_lazy_parts(tmp_path):
    data = wasm(SIMPLE)
    fresh = Runtime().compile(data)
    loaded = Runtime(cache_dir=tmp_path).compile(data)  # written
    loaded = Runtime(cache_dir=tmp_path).compile(data)  # read back
    assert loaded.from_disk and not fresh.from_disk
    assert loaded.imports == fresh.imports and loaded.exports == fresh.exports
    assert [e.name for e in loaded.exports] == ["mem", "add", "sum", "fac"]
    assert loaded.source("add") == fresh.source("add") == fresh.source(0)
    assert loaded.func_index("sum") == 1
    assert repr(loaded) == repr(fresh) and "simple" in repr(loaded)
    assert loaded.declarations.codes == [] and loaded._module is None
    # the full module and the validator's info are rebuilt from the bytes on demand
    assert len(loaded.module.codes) == 3
    assert loaded.info.func_types == fresh.info.func_types
    with pytest.raises(KeyError):
        loaded.source("nope")


# -- the disk cache -----------------------------------------------------------------------


def entries(d: Path) -> list[Path]:
    return sorted(p for p in d.iterdir() if p.suffix == ".tpc")


def check_simple(inst) -> None:
    assert inst.exports["add"](2, 3) == 5
    assert inst.exports["sum"](100) == 5050
    assert inst.exports["fac"](20, 1) == 2432902008176640000
    assert inst.exports["mem"].read(16, 2) == b"hi"


def test_disk_cache_round_trip(tmp_path, monkeypatch, recwarn):
    data = wasm(SIMPLE)
    rt = Runtime(cache_dir=tmp_path / "cache")  # created on first write
    check_simple(rt.instantiate(data))
    (entry,) = entries(tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.suffix == ".tmp"]
    no_codegen(monkeypatch)
    rt2 = Runtime(cache_dir=str(tmp_path / "cache"))
    compiled = rt2.compile(data)
    assert compiled.from_disk
    check_simple(rt2.instantiate(compiled))
    check_simple(rt2.instantiate(compiled))  # one cached compilation, many instances
    assert entries(tmp_path / "cache") == [entry]
    assert not [w for w in recwarn if issubclass(w.category, CacheWarning)]


def test_listings_of_cached_modules_reach_linecache(tmp_path):
    import linecache

    data = wasm(SIMPLE)
    fresh = Runtime(cache_dir=tmp_path).compile(data)
    filenames = list(fresh.code.filenames.values())
    assert filenames and all(linecache.getline(f, 1) for f in filenames)
    for f in filenames:  # as in a new process
        linecache.cache.pop(f, None)
    loaded = Runtime(cache_dir=tmp_path).compile(data)
    assert loaded.from_disk
    for index, f in loaded.code.filenames.items():
        assert "".join(linecache.getlines(f)) == loaded.source(index)


def test_disk_cache_keys_by_every_input(tmp_path, monkeypatch):
    data = wasm(SIMPLE)
    Runtime(cache_dir=tmp_path).compile(data)
    Runtime(cache_dir=tmp_path, close_on_context_done=True).compile(data)
    Runtime(cache_dir=tmp_path).compile(wasm("(module)"))
    Runtime(cache_dir=tmp_path, debug=True).compile(wasm("(module)"))
    assert len(entries(tmp_path)) == 4
    # a new transpyle version, CPython magic number or bytecode version is a new entry
    monkeypatch.setattr(transpyle, "__version__", "999.0")
    Runtime(cache_dir=tmp_path).compile(data)
    assert len(entries(tmp_path)) == 5
    monkeypatch.setattr(engine_mod.importlib.util, "MAGIC_NUMBER", b"\xff\xff\r\n")
    Runtime(cache_dir=tmp_path).compile(data)
    assert len(entries(tmp_path)) == 6
    inputs = engine_mod._cache_inputs("x" * 64, False)
    assert set(inputs) == {"format", "module_sha256", "ensure_termination", "debug", "features",
                           "transpyle", "fingerprint", "python_magic", "bytecode"}
    assert inputs["python_magic"] == "ffff0d0a" and inputs["transpyle"] == "999.0"


def damage_truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:-100])


def damage_header(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:20])


def damage_flip(p: Path) -> None:
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0x40
    p.write_bytes(bytes(b))


def damage_magic(p: Path) -> None:
    b = bytearray(p.read_bytes())
    b[0:4] = b"JUNK"
    p.write_bytes(bytes(b))


def damage_format(p: Path) -> None:
    b = bytearray(p.read_bytes())
    b[16] ^= 0x7F
    p.write_bytes(bytes(b))


def damage_empty(p: Path) -> None:
    p.write_bytes(b"")


def damage_garbage_payload(p: Path) -> None:
    # a consistent header and checksum around a payload that is not an entry
    import hashlib

    payload = b"\xff\xfe not marshal data"
    header = engine_mod._HEADER.pack(engine_mod._MAGIC, engine_mod.CACHE_FORMAT,
                                     len(payload), hashlib.sha256(payload).digest())
    p.write_bytes(header + payload)


@pytest.mark.parametrize("damage,reason", [
    (damage_truncate, "truncated"), (damage_header, "truncated"),
    (damage_empty, "truncated"), (damage_flip, "checksum"),
    (damage_magic, "bad magic"), (damage_format, "stale"),
    (damage_garbage_payload, "corrupt"),
])
def test_damaged_entry_is_recompiled_and_rewritten(tmp_path, damage, reason, count_codegen):
    data = wasm(SIMPLE)
    Runtime(cache_dir=tmp_path).compile(data)
    (entry,) = entries(tmp_path)
    good = entry.read_bytes()
    damage(entry)
    with pytest.warns(CacheWarning, match=reason):
        compiled = Runtime(cache_dir=tmp_path).compile(data)
    assert not compiled.from_disk and len(count_codegen) == 2
    check_simple(Runtime().instantiate(compiled))
    # rewritten: the next process loads it without a warning
    assert entry.read_bytes() == good
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert Runtime(cache_dir=tmp_path).compile(data).from_disk
    assert len(count_codegen) == 2


def test_stale_entry_for_other_inputs_is_recompiled(tmp_path):
    """An entry whose recorded inputs are not the ones asked for (here: another
    module's entry under this module's name) is never used."""
    data, other = wasm(SIMPLE), wasm("(module (func (export \"add\") (param i32 i32) "
                                     "(result i32) i32.const 7))")
    Runtime(cache_dir=tmp_path).compile(data)
    (entry,) = entries(tmp_path)
    Runtime(cache_dir=tmp_path).compile(other)
    (other_entry,) = [p for p in entries(tmp_path) if p != entry]
    entry.write_bytes(other_entry.read_bytes())
    with pytest.warns(CacheWarning, match="stale"):
        inst = Runtime(cache_dir=tmp_path).instantiate(data)
    check_simple(inst)


def test_unwritable_cache_dir_warns_and_compiles(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.warns(CacheWarning, match="cannot write"):
        inst = Runtime(cache_dir=blocker / "cache").instantiate(wasm(SIMPLE))
    check_simple(inst)


def test_unreadable_entry_warns(tmp_path):
    data = wasm(SIMPLE)
    Runtime(cache_dir=tmp_path).compile(data)
    (entry,) = entries(tmp_path)
    entry.unlink()
    entry.mkdir()  # reading a directory fails with an OSError that is not "not found"
    with pytest.warns(CacheWarning):
        check_simple(Runtime(cache_dir=tmp_path).instantiate(data))


CONCURRENT_SCRIPT = """
import sys, time, warnings
sys.path.insert(0, {repo!r})
warnings.simplefilter("error")
import wasmtime
from transpyle import Runtime
data = wasmtime.wat2wasm(open({wat!r}).read())
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
rt = Runtime(cache_dir={cache!r})
compiled = rt.compile(data)
inst = rt.instantiate(compiled)
print(inst.exports["run"](12345), compiled.from_disk)
"""


def test_processes_fill_one_cache_at_once(tmp_path):
    wat = tmp_path / "big.wat"
    wat.write_text(big_wat(120, salt=int(time.time()) % 1000))
    cache = tmp_path / "cache"
    script = tmp_path / "worker.py"
    script.write_text(CONCURRENT_SCRIPT.format(repo=str(REPO), wat=str(wat),
                                               cache=str(cache)))
    expected = Runtime().instantiate(wasm(wat.read_text())).exports["run"](12345)
    start = time.time() + 2.0  # every worker imports transpyle, then they start together
    procs = [subprocess.Popen([sys.executable, str(script), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert out.split()[0] == str(expected)
    (entry,) = entries(cache)
    assert not [p for p in cache.iterdir() if p.suffix == ".tmp"]
    # a later process loads the entry; no warnings (the script makes them errors)
    out = subprocess.run([sys.executable, str(script), "0"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(expected), "True"]


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("TRANSPYLE_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert default_cache_dir() == Path.home() / ".cache" / "transpyle"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "transpyle"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == Path.home() / ".cache" / "transpyle"
    monkeypatch.setenv("TRANSPYLE_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"


# -- Engine / ModuleEngine ------------------------------------------------------------------

LINKED = """(module $user
  (import "lib" "double" (func $double (param i32) (result i32)))
  (import "lib" "mem" (memory 1))
  (import "host" "neg" (func $neg (param i32) (result i32)))
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table (export "table") 4 funcref)
  (elem (i32.const 0) $double $inc $neg)
  (func $inc (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "peek") (result i32) i32.const 0 i32.load)
)"""

LIB = """(module $lib
  (memory (export "mem") 1)
  (func (export "double") (param i32) (result i32)
    i32.const 0 local.get 0 i32.store
    local.get 0 i32.const 2 i32.mul))"""


def test_module_engine_interface():
    rt = Runtime()
    lib = rt.instantiate(wasm(LIB), name="lib")
    neg = Func(lambda x: -x, [I32], [I32])
    user = rt.instantiate(wasm(LINKED), imports={"host": {"neg": neg}})
    me = user.module_engine
    assert isinstance(me, ModuleEngine) and me.done
    assert me.instance is user and me.compiled is user.compiled
    # resolve_imported_function: the exporter's own Function and raw callable
    assert me.new_function(0) is lib.exports["double"]
    assert user.namespace["f0"] is lib.exports["double"].fn
    assert me.new_function(1) is neg.function
    # resolve_imported_memory: the very same memory
    assert user.memories[0] is lib.exports["mem"]
    lib.exports["double"](77)
    assert user.exports["peek"]() == 77
    # new_function: the same object every time, an InstanceFunction
    inc = me.new_function(2)
    assert inc is me.new_function(2) is user.exports["inc"] is user.function(2)
    assert isinstance(inc, InstanceFunction) and isinstance(inc, transpyle.Function)
    # function_instance_reference: what the table holds
    table = user.exports["table"]
    assert table.get(1) is me.function_instance_reference(2)
    # lookup_function: call_indirect's checks
    ii = user.compiled.declarations.types[0]
    assert me.lookup_function(table, ii, 0) == (lib, 0)
    assert me.lookup_function(table, ii, 1) == (user, 2)
    assert me.lookup_function(table.elements, 0, 2) == (None, None)  # a host function
    with pytest.raises(Trap, match="uninitialized element"):
        me.lookup_function(table, ii, 3)
    with pytest.raises(Trap, match="undefined element"):
        me.lookup_function(table, ii, 4)
    with pytest.raises(Trap, match="indirect call type mismatch"):
        me.lookup_function(table, 1, 1)


def test_engine_new_module_engine_and_compile_module():
    eng = Engine()
    compiled = eng.compile_module(wasm(SIMPLE), None, False)
    assert isinstance(compiled, CompiledModule)
    assert isinstance(compiled, transpyle.CompiledModule)  # the public name
    rt = Runtime()
    rt.engine = eng  # a runtime is a thin layer over its engine
    inst = rt.instantiate(compiled)
    check_simple(inst)
    assert inst.module_engine.engine is eng


def test_runtime_options():
    rt = Runtime(cache_dir=None, close_on_context_done=True, max_call_depth=1000,
                 memory_limit_pages=3, listener_factory=None)
    assert rt.close_on_context_done and rt.engine.max_call_depth == 1000
    with pytest.raises(TypeError):
        Runtime(listener_factory=42)
    with pytest.raises(ValueError):
        Runtime(max_call_depth=-1)


def test_tail_calls_stay_flat_through_the_engine():
    inst = Runtime().instantiate(wasm(SIMPLE))
    assert inst.exports["fac"](100000, 1) == 0  # 100,000 tail calls, one frame


def test_cached_modules_run_the_same(tmp_path):
    data = wasm(big_wat(40))
    fresh = Runtime().instantiate(data).exports["run"]
    Runtime(cache_dir=tmp_path).compile(data)
    cached_rt = Runtime(cache_dir=tmp_path)
    assert cached_rt.compile(data).from_disk
    cached = cached_rt.instantiate(data).exports["run"]
    for x in (0, 1, 12345, -7, 2**31 - 1):
        assert cached(x) == fresh(x)

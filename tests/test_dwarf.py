"""DWARF: the reader (transpyle.wasm.dwarf) on the C test programs of
tests/dwarf_programs (built with -g -O1 by their build.py, DWARF 4 and 5), source
positions in trap stack traces, listings interleaved with the source, laziness, and
malformed DWARF."""

from __future__ import annotations

import re
import shutil
import subprocess
import traceback
import warnings
from pathlib import Path

import pytest

import transpyle
from transpyle.sourcemap import DwarfWarning
from transpyle.wasm.decoder import decode
from transpyle.wasm.dwarf import DebugInfo, file_matches, parse_location

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "dwarf_programs"
SOURCE = PROGRAMS / "prog.c"
VARIANTS = ["prog.wasm", "prog_dwarf5.wasm"]


def source_line(n: int) -> str:
    return SOURCE.read_text().splitlines()[n - 1].strip()


def line_of(text: str) -> int:
    """The line of prog.c that contains `text` (so tests name lines by their code)."""
    for n, line in enumerate(SOURCE.read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(text)


@pytest.fixture(params=VARIANTS)
def wasm(request) -> bytes:
    return (PROGRAMS / request.param).read_bytes()


def dwarf_of(data: bytes) -> DebugInfo:
    d = DebugInfo.from_module(decode(data))
    assert d is not None
    return d


# -- the reader -----------------------------------------------------------------------


def test_versions_are_4_and_5():
    for name, version in zip(VARIANTS, (4, 5)):
        d = dwarf_of((PROGRAMS / name).read_bytes())
        assert int.from_bytes(d.section(".debug_line")[4:6], "little") == version
        assert int.from_bytes(d.section(".debug_info")[4:6], "little") == version


def test_line_table_rows(wasm):
    d = dwarf_of(wasm)
    assert [file_matches(f, "prog.c") for f in d.files()] == [True]
    assert len(d.rows) == 108  # as llvm-dwarfdump --debug-line lists them
    # addresses are offsets in the code section's content
    q_line = line_of("int q = a / b;")
    row = d.row_at(min(d.addresses("prog.c", q_line)))
    assert (row.line, row.column, row.is_stmt) == (q_line, 15, True)
    assert d.row_at(0x3).line == line_of("int sq = x * x;")
    assert d.row_at(0) is None  # before the first function's code
    assert d.row_at(0x10000) is None


def test_functions_and_their_ranges(wasm):
    d = dwarf_of(wasm)
    names = [s.name for s in d.subprograms]
    assert names == ["step", "sum_steps", "divide", "ratio", "fill", "buffer_sum", "peek",
                     "spin", "modulo"]  # checked_mod exists only inlined
    m = decode(wasm)
    for sp, code in zip(d.subprograms, m.codes):
        lo, hi = sp.ranges[0]
        # a function's range starts at its body (after the body size) in the code section
        assert lo == code.offset - m.code_section_offset
        assert hi <= code.offset + code.size - m.code_section_offset
    divide = d.subprograms[2]
    assert d.function_at(divide.ranges[0][0]).name == "divide"


def test_variables_and_locations(wasm):
    d = dwarf_of(wasm)
    divide = next(s for s in d.subprograms if s.name == "divide")
    a, b = [v for v in divide.variables if v.is_param]
    assert (a.name, a.location.kind, a.location.value) == ("a", "local", 0)
    assert (b.name, b.location.kind, b.location.value) == ("b", "local", 1)
    assert a.type.name == "int" and a.type.size == 4
    buffer_sum = next(s for s in d.subprograms if s.name == "buffer_sum")
    buf = next(v for v in buffer_sum.variables if v.name == "buf")
    assert buf.location.kind == "memory" and buf.location.frame_base
    assert buf.type.name == "int[16]" and buf.type.count == 16 and buf.type.size == 64
    assert buffer_sum.frame_base.kind == "local"
    total = next(v for v in d.subprograms[1].variables if v.name == "total")
    assert isinstance(total.location, list)  # a location list: constant, stack, local
    kinds = {entry.kind for _, _, entry in total.location}
    assert kinds == {"const", "stack", "local"}
    fill = next(s for s in d.subprograms if s.name == "fill")
    p = next(v for v in fill.variables if v.name == "p")
    assert p.type.pointer and p.type.name == "int *"


def test_inlined_frames(wasm):
    d = dwarf_of(wasm)
    modulo = next(s for s in d.subprograms if s.name == "modulo")
    inlined = [c for c in modulo.children if c.kind == "inlined"]
    assert [c.name for c in inlined] == ["checked_mod"]
    assert inlined[0].call_line == line_of("int r = checked_mod(a, b);")
    address = min(d.addresses("prog.c", line_of("int m = a % b;")))
    frames = d.frames_at(address)
    assert [(f[0], f[2], f[4]) for f in frames] == [
        ("checked_mod", line_of("int m = a % b;"), True),
        ("modulo", line_of("int r = checked_mod(a, b);"), False)]
    assert {v.name for v in d.variables_at(address)} >= {"a", "b"}


def test_location_expressions():
    assert parse_location(bytes([0xED, 0x00, 0x05, 0x9F])).kind == "local"
    assert parse_location(bytes([0xED, 0x03, 1, 0, 0, 0, 0x9F])).value == 1  # global, u32
    loc = parse_location(bytes([0x91, 0x7C]))  # DW_OP_fbreg -4
    assert (loc.kind, loc.value, loc.frame_base) == ("memory", -4, True)
    assert parse_location(bytes([0x35, 0x9F])).value == 5  # DW_OP_lit5
    assert parse_location(bytes([0x11, 0x7F, 0x9F])).value == -1  # DW_OP_consts -1
    assert parse_location(bytes([0x50, 0x51])).kind == "other"
    assert parse_location(b"").kind == "other"


@pytest.mark.skipif(shutil.which("llvm-dwarfdump") is None, reason="needs llvm-dwarfdump")
@pytest.mark.parametrize("name", VARIANTS + ["zigprog.wasm"])
def test_rows_agree_with_llvm_dwarfdump(name):
    path = PROGRAMS / name
    out = subprocess.run(["llvm-dwarfdump", "--debug-line", str(path)], capture_output=True,
                         text=True, check=True).stdout
    ref = []
    for line in out.splitlines():
        m = re.match(r"0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s*(.*)", line)
        if m and "end_sequence" not in m.group(4):
            ref.append((int(m.group(1), 16), int(m.group(2)), int(m.group(3)),
                        "is_stmt" in m.group(4)))
    ours = [(r.address, r.line, r.column, r.is_stmt) for r in dwarf_of(path.read_bytes()).rows]
    assert sorted(ours) == sorted(ref)


# -- traps ----------------------------------------------------------------------------


def test_trap_names_source_lines_of_each_frame(wasm):
    rt = transpyle.Runtime()
    inst = rt.instantiate(wasm)
    with pytest.raises(transpyle.Trap) as info:
        inst.exports["ratio"](1, 0)
    text = str(info.value)
    label = "prog_wasm" if wasm == (PROGRAMS / "prog.wasm").read_bytes() else "prog_dwarf5_wasm"
    assert text == (f"integer divide by zero\nwasm stack trace:\n"
                    f"\t{label}.divide(i32,i32) i32\n\t\tprog.c:{line_of('int q = a / b;')}:15\n"
                    f"\t{label}.ratio(i32,i32) i32\n"
                    f"\t\tprog.c:{line_of('int r = divide(a, b);')}:13")
    # the plain frames are what they always were
    assert info.value.wasm_stack == [f"{label}.divide(i32,i32) i32", f"{label}.ratio(i32,i32) i32"]
    with pytest.raises(transpyle.Trap) as info:
        inst.exports["peek"](-4)
    assert str(info.value).startswith("out of bounds memory access")
    assert f"\t\tprog.c:{line_of('return *(volatile int *)address;')}:12" in str(info.value)
    with pytest.raises(transpyle.Trap) as info:
        inst.exports["modulo"](7, 0)
    assert (f"modulo(i32,i32) i32\n\t\tprog.c:{line_of('int m = a % b;')}:15 (inlined)\n"
            f"\t\tprog.c:{line_of('int r = checked_mod(a, b);')}:13") in str(info.value)


def test_trap_source_lines_lazy_debug_and_from_the_disk_cache(tmp_path):
    data = (PROGRAMS / "prog.wasm").read_bytes()
    expected = f"\t\tprog.c:{line_of('int q = a / b;')}:15"
    for kw in ({"lazy": True}, {"debug": True}, {"cache_dir": tmp_path},
               {"cache_dir": tmp_path}, {"source_dir": PROGRAMS, "debug": True}):
        rt = transpyle.Runtime(**kw)
        module = rt.compile(data)
        with pytest.raises(transpyle.Trap) as info:
            rt.instantiate(module).exports["ratio"](1, 0)
        assert expected in str(info.value), kw
    assert module is not None
    assert transpyle.Runtime(cache_dir=tmp_path).compile(data).from_disk


def test_module_without_dwarf_pays_nothing():
    rt = transpyle.Runtime()
    plain = rt.compile((HERE.parent / "examples" / "add.wasm").read_bytes())
    assert plain.source_map is None and not plain.code.has_dwarf
    assert plain.source("add", with_source=True) == plain.source("add")


def test_nothing_is_parsed_until_asked():
    rt = transpyle.Runtime()
    module = rt.compile((PROGRAMS / "prog.wasm").read_bytes())
    smap = module.source_map
    assert smap is not None and not smap._loaded  # compiling read section names only
    total = 0
    for i in range(4):
        total = (total + i * i + 1) ^ i
    assert rt.instantiate(module).exports["sum_steps"](4) == total
    assert not smap._loaded  # running neither
    with pytest.raises(transpyle.Trap) as info:
        rt.instantiate(module).exports["ratio"](1, 0)
    assert not smap._loaded  # nor trapping: only formatting the trap
    str(info.value)
    assert smap._loaded and smap._dwarf._subprograms is not None


def corrupt(data: bytes, section: str) -> bytes:
    """The module with the payload of custom section `section` overwritten by 0xFF."""
    m = decode(data)
    c = next(c for c in m.customs if c.name == section)
    start = data.index(section.encode(), c.offset) + len(section)
    return data[:start] + b"\xff" * len(c.data) + data[start + len(c.data):]


@pytest.mark.parametrize("section", [".debug_line", ".debug_info", ".debug_abbrev"])
def test_malformed_dwarf_warns_once_and_runs(section):
    data = corrupt((PROGRAMS / "prog.wasm").read_bytes(), section)
    rt = transpyle.Runtime()
    module = rt.compile(data)
    inst = rt.instantiate(module)
    assert inst.exports["ratio"](7, 2) == 8
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            with pytest.raises(transpyle.Trap) as info:
                inst.exports["ratio"](1, 0)
            text = str(info.value)
            assert text.startswith("integer divide by zero\nwasm stack trace:\n")
            module.source("divide", with_source=True)
    dwarf_warnings = [w for w in caught if issubclass(w.category, DwarfWarning)]
    assert len(dwarf_warnings) <= 1
    if section == ".debug_line":
        assert len(dwarf_warnings) == 1 and "prog.c" not in text
        assert module.source("divide", with_source=True) == module.source("divide")


# -- listings with source -------------------------------------------------------------


def test_listing_with_source(wasm, monkeypatch, tmp_path):
    rt = transpyle.Runtime()
    module = rt.compile(wasm)
    plain = module.source("divide")
    listing = module.source("divide", with_source=True, source_dir=PROGRAMS)
    q, ret = line_of("int q = a / b;"), line_of("return q + 1;")
    assert listing.splitlines() == [
        plain.splitlines()[0],
        f"    # prog.c:{q}: int q = a / b;",
        f"    # prog.c:{ret}: return q + 1;",
        *plain.splitlines()[1:]]
    assert module.source("divide") == plain  # the code's own listing is unchanged
    monkeypatch.chdir(tmp_path)  # the compilation directory is "." : nothing found
    assert f"    # prog.c:{q}\n" in module.source("divide", with_source=True)
    monkeypatch.chdir(PROGRAMS)  # found through the compilation directory
    assert f"# prog.c:{q}: int q = a / b;" in module.source("divide", with_source=True)
    loop = module.source("sum_steps", with_source=True, source_dir=PROGRAMS)
    assert f"# prog.c:{line_of('total += step(i);')}: total += step(i);" in loop
    assert loop.count(f"# prog.c:{line_of('for (int i = 0; i < n; i++) {')}:") == 2


def test_source_listings_in_the_code_keep_the_line_table_right():
    rt = transpyle.Runtime(source_dir=PROGRAMS)
    inst = rt.instantiate((PROGRAMS / "prog.wasm").read_bytes())
    listing = inst.compiled.source("divide")
    assert f"# prog.c:{line_of('int q = a / b;')}: int q = a / b;" in listing
    with pytest.raises(transpyle.Trap) as info:
        inst.exports["ratio"](1, 0)
    tb = "".join(traceback.format_exception(info.value))
    assert "return (i32_div_s(l0, l1) + 1) & 0xFFFFFFFF  # @0x" in tb  # not a comment line
    assert "return (divide(l0, l1) << 1) & 0xFFFFFFFF" in tb


def test_source_text_cannot_add_listing_lines(tmp_path):
    # a source file whose line holds characters that split lines in Python
    (tmp_path / "prog.c").write_text("\n" * (line_of("int q = a / b;") - 1)
                                     + "int q\x0c = a\x1c / b;\u2028 x\n")
    module = transpyle.Runtime().compile((PROGRAMS / "prog.wasm").read_bytes())
    listing = module.source("divide", with_source=True, source_dir=tmp_path)
    assert len(listing.splitlines()) == len(module.source("divide").splitlines()) + 2
    assert "int q? = a? / b;? x" in listing


def test_file_matches():
    assert file_matches("./prog.c", "prog.c")
    assert file_matches("/home/me/src/prog.c", "src/prog.c")
    assert file_matches("/home/me/src/prog.c", "/home/me/src/prog.c")
    assert not file_matches("/home/me/src/prog.c", "rog.c")
    assert not file_matches("prog.c", "other.c")


# -- Zig ------------------------------------------------------------------------------

ZIG = PROGRAMS / "zigprog.wasm"


def zig_line(text: str) -> int:
    for n, line in enumerate((PROGRAMS / "zigprog.zig").read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(text)


def test_zig_program_traps_at_its_source_lines():
    inst = transpyle.Runtime().instantiate(ZIG.read_bytes())
    assert inst.exports["triangle"](10) == 45
    with pytest.raises(transpyle.Trap) as info:
        inst.exports["quotient"](7, 0)
    assert str(info.value).endswith(
        f"quotient(i32,i32) i32\n\t\tzigprog.zig:{zig_line('return @divTrunc(a, b);')}:12 "
        f"(inlined)\n\t\tzigprog.zig:{zig_line('return check(a, b) + 1;')}:17")
    listing = inst.compiled.source("quotient", with_source=True, source_dir=PROGRAMS)
    div = zig_line("return @divTrunc(a, b);")
    assert f"# zigprog.zig:{div}: return @divTrunc(a, b);" in listing


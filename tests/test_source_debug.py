"""Source-level debugging in pdb, driven non-interactively as tests/test_debug.py does:
`break prog.c:LINE`, `snext`/`sstep` by source line, `cp NAME` for C locals through
their DWARF locations (wasm locals, the operand stack, constants, linear memory), and
`transpyle debug --source-dir` on the command line."""

from __future__ import annotations

import bdb
import io
import pdb
import re
import subprocess
import sys
from pathlib import Path

import pytest

import transpyle
from transpyle.debug import SourcePdb, break_source, debug_call, source_breakpoint

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "dwarf_programs"
WASM = PROGRAMS / "prog.wasm"


def line_of(text: str) -> int:
    for n, line in enumerate((PROGRAMS / "prog.c").read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(text)


def instance(**kw):
    rt = transpyle.Runtime(**kw)
    return rt.instantiate(rt.compile(WASM.read_bytes()))


@pytest.fixture(scope="module")
def inst():
    return instance(debug=True, source_dir=PROGRAMS)


@pytest.fixture(autouse=True)
def no_breakpoints_left():
    # pdb.Pdb() loads every breakpoint another instance set (bdb's class-level list)
    bdb.Breakpoint.clearBreakpoints()
    yield
    bdb.Breakpoint.clearBreakpoints()


def run_pdb(commands: list[str], fn, *args):
    out = io.StringIO()
    p = SourcePdb(stdin=io.StringIO("\n".join(commands) + "\n"), stdout=out)
    p.use_rawinput = False
    result = debug_call(fn, *args, debugger=p)
    return result, out.getvalue()


def test_break_at_a_source_line_and_print_c_locals(inst):
    q = line_of("int q = a / b;")
    result, out = run_pdb([f"break prog.c:{q}", "continue", "cp a", "cp b", "cwhere",
                           "continue"], inst.exports["ratio"], 7, 2)
    assert result == 8
    assert re.search(rf"Breakpoint 2 at prog.c:{q}: <wasm://prog_wasm@\w+/divide>:\d+", out)
    assert re.search(r"<wasm://prog_wasm@\w+/divide>\(\d+\)divide\(\)", out)
    assert "a = 7  (int, wasm local 0: Python local l0)" in out
    assert "b = 2  (int, wasm local 1: Python local l1)" in out
    assert f"ratio  prog.c:{line_of('int r = divide(a, b);')}:13" in out
    assert f"divide  prog.c:{q}:15" in out


def test_list_shows_the_source_lines(inst):
    _, out = run_pdb([f"break prog.c:{line_of('int q = a / b;')}", "continue", "list",
                      "continue"], inst.exports["ratio"], 7, 2)
    assert "# prog.c:25: int q = a / b;" in out and "# prog.c:26: return q + 1;" in out


def test_snext_steps_source_lines(inst):
    start = line_of("total ^= i;")
    cmds = [f"tbreak prog.c:{start}", "continue", "cwhere", "snext", "cwhere", "snext",
            "cwhere", "snext", "cwhere", "continue"]
    result, out = run_pdb(cmds, inst.exports["sum_steps"], 3)
    total = 0
    for i in range(3):
        total = (total + i * i + 1) ^ i
    assert result == total
    lines = [int(m) for m in re.findall(r"sum_steps  prog\.c:(\d+):", out)]
    # line 19, then the loop's increment (17), the next iteration's body (18), 19 again
    assert lines == [start, line_of("for (int i = 0; i < n; i++) {"),
                     line_of("total += step(i);"), start]
    # each snext covered several listing lines: no stop shows a line of the same source
    # line twice in a row
    stops = re.findall(r"\(Pdb\) > <wasm://[^>]+>\((\d+)\)", out)
    assert len(stops) == 3 and len(set(stops)) == 3


def test_sstep_enters_the_called_function(inst):
    # debug_call stops at ratio's first listing line: `int r = divide(a, b);`
    _, out = run_pdb(["cwhere", "sstep", "cwhere", "continue"], inst.exports["ratio"], 9, 3)
    assert f"ratio  prog.c:{line_of('int r = divide(a, b);')}:" in out
    assert re.search(rf"divide  prog\.c:{line_of('int q = a / b;')}:15", out)


def test_break_stops_in_every_copy_of_a_line(inst):
    # buffer_sum(3) runs only the remainder loop of the unrolled `s += buf[j];`
    s_line = line_of("s += buf[j];")
    result, out = run_pdb([f"break prog.c:{s_line}", "continue", "cp buf", "continue",
                           "continue", "continue"], inst.exports["buffer_sum"], 3)
    assert result == 9
    assert out.count(f"   prog.c:{s_line}: s += buf[j];") == 3  # one stop per iteration
    assert "[0, 3, 6, 0," in out


def test_quit_in_transpyle_debug_is_not_a_trap():
    r = subprocess.run([sys.executable, "-m", "transpyle", "debug", str(WASM), "--invoke",
                        "ratio", "7", "2"], input="quit\n", capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "Trap" not in r.stderr and "error" not in r.stderr


def test_c_locals_in_each_kind_of_place(inst):
    s_line = line_of("s += buf[j];")
    cmds = [f"tbreak prog.c:{s_line}", "continue", "cp buf", "cp nothing", "continue"]
    result, out = run_pdb(cmds, inst.exports["buffer_sum"], 4)  # (the unrolled loop only)
    assert result == sum(k * 3 for k in range(4))
    assert re.search(r"buf \(int\[16\]\) is in linear memory at 0x[0-9a-f]+ \(DW_OP_fbreg \+0\): "
                     r"\[0, 3, 6, 9, 0, ", out)
    assert "no source variable 'nothing' in scope here (visible: " in out
    # the operand stack (readable with debug=True) and a variable with no location
    cmds = [f"tbreak prog.c:{line_of('total ^= i;')}", "continue", "cp total", "cp i",
            "continue"]
    _, out = run_pdb(cmds, inst.exports["sum_steps"], 2)
    assert "total = 1  (int, wasm operand stack slot 0: Python local s0)" in out
    assert "i (int) is optimised out here (no location at this line)" in out


def test_stack_values_without_debug_layout_say_so():
    inst = instance()
    cmds = [f"tbreak prog.c:{line_of('total ^= i;')}", "continue", "cp total", "cp n",
            "continue"]
    _, out = run_pdb(cmds, inst.exports["sum_steps"], 2)
    assert "cp total" not in out  # (commands are not echoed)
    assert "n = 2  (int, wasm local 0: Python local l0)" in out
    assert re.search(r"total \(int\) is (on the wasm operand stack here|optimised out)", out)


def test_helpers_with_a_plain_pdb(inst):
    [(fname, lineno)] = break_source(pdb.Pdb(), inst, "prog.c", line_of("int q = a / b;"))
    assert fname.endswith("/divide>")
    # a line whose code the compiler duplicated (an unrolled loop and its remainder
    # loop) gets a breakpoint at each copy, the first at its lowest address
    found = break_source(pdb.Pdb(), inst, "prog.c", line_of("s += buf[j];"))
    assert len(found) == 2 and found[0][1] < found[1][1]
    assert source_breakpoint(inst, "prog.c", line_of("s += buf[j];"))[:2] == found[0]
    # a line without code moves to the next one with code, as gdb does
    assert source_breakpoint(inst, "prog.c", line_of("NOINLINE int divide"))[2] == line_of(
        "int q = a / b;")
    with pytest.raises(ValueError, match="no source file 'other.c'"):
        source_breakpoint(inst, "other.c", 3)
    with pytest.raises(ValueError, match="no code for prog.c:500"):
        source_breakpoint(inst, "prog.c", 500)
    plain = transpyle.Runtime().instantiate((HERE.parent / "examples" / "add.wasm").read_bytes())
    with pytest.raises(ValueError, match="no DWARF"):
        source_breakpoint(plain, "prog.c", 3)
    out = io.StringIO()
    # runcall stops in the Python caller first; `continue` runs to the breakpoint
    p = pdb.Pdb(stdin=io.StringIO("continue\np l1\ncontinue\n"), stdout=out)
    p.use_rawinput = False
    break_source(p, inst, "prog.c", line_of("int q = a / b;"))
    assert p.runcall(inst.exports["ratio"], 5, 1) == 12
    assert re.search(r"<wasm://prog_wasm@\w+/divide>\(\d+\)divide\(\)", out.getvalue()), out.getvalue()
    assert "(Pdb) 1\n" in out.getvalue()


def test_non_source_breakpoints_still_work(inst):
    result, out = run_pdb(["break nofile.c:3", "break 4", "continue", "continue"],
                          inst.exports["ratio"], 4, 2)
    assert result == 6
    assert "*** 'nofile.c' not found from sys.path" in out  # pdb's own message
    assert re.search(r"\(Pdb\) Breakpoint \d+ at <wasm://prog_wasm@\w+/ratio>:4", out)
    assert re.search(r"\(Pdb\) > <wasm://prog_wasm@\w+/ratio>\(4\)ratio\(\)", out)


def test_cli_debug_with_source_dir():
    q = line_of("int q = a / b;")
    cmds = f"break prog.c:{q}\ncontinue\ncp a\ncp b\nlist\ncontinue\n"
    r = subprocess.run([sys.executable, "-m", "transpyle", "debug", str(WASM), "--source-dir",
                        str(PROGRAMS), "--invoke", "ratio", "7", "2"], input=cmds,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("8\n")
    assert "a = 7  (int, wasm local 0: Python local l0)" in r.stdout
    assert f"# prog.c:{q}: int q = a / b;" in r.stdout  # pdb's `list`


def test_cli_inspect_with_source_and_run_trap():
    r = subprocess.run([sys.executable, "-m", "transpyle", "inspect", str(WASM), "--func",
                        "divide", "--source-dir", str(PROGRAMS)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0
    assert r.stdout.startswith("def divide(l0, l1):  # (i32, i32) -> (i32)\n"
                               f"    # prog.c:{line_of('int q = a / b;')}: int q = a / b;\n")
    r = subprocess.run([sys.executable, "-m", "transpyle", "run", "--no-cache", str(WASM),
                        "--invoke", "ratio", "1", "0"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    assert (f"divide(i32,i32) i32\n\t\tprog.c:{line_of('int q = a / b;')}:15\n") in r.stderr

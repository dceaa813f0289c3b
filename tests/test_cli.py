"""The command line, run as a user runs it: `python -m transpyle ...` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADD = ROOT / "examples" / "add.wasm"
HELLO = ROOT / "examples" / "hello.wasm"
LOOP = ROOT / "golden" / "loop_sum.wasm"


def transpyle(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transpyle", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 1, r
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_run_invoke_prints_results():
    r = transpyle("run", ADD, "--no-cache", "--invoke", "add", "2", "-5")
    assert r.returncode == 0 and r.stdout == "-3\n"


def test_run_wasi_command(tmp_path):
    r = transpyle("run", HELLO, "--no-cache", "x", "-y")
    assert r.returncode == 0
    assert r.stdout == "hello from wasm\narg 1: x\narg 2: -y\n"


def test_run_lazy_gives_the_same_output(tmp_path):
    r = transpyle("run", "--lazy", "--cache-dir", tmp_path, HELLO, "x")
    assert r.returncode == 0 and r.stdout == "hello from wasm\narg 1: x\n"
    assert list(tmp_path.iterdir()) == []  # lazily compiled modules are not cached
    r = transpyle("run", ADD, "--lazy", "--no-cache", "--invoke", "add", "2", "-5")
    assert r.returncode == 0 and r.stdout == "-3\n"


def test_inspect_prints_summary_and_listing():
    r = transpyle("inspect", LOOP)
    assert r.returncode == 0
    assert "# 0 imports, 1 exports, 1 functions" in r.stdout
    assert "def sum(n):  # (i32) -> (i32)" in r.stdout
    assert "\x1b[" not in r.stdout  # plain text when not a terminal
    r = transpyle("inspect", LOOP, "--func", "sum")
    assert r.stdout.startswith("def sum(n):")


def test_compile_fills_the_cache(tmp_path):
    r = transpyle("compile", LOOP, "--cache-dir", tmp_path)
    assert r.returncode == 0 and "sha256" in r.stdout
    assert any(tmp_path.rglob("*")), "nothing written to the cache directory"


@pytest.mark.parametrize("args, message", [
    (("run", "missing.wasm", "--invoke", "f"), "missing.wasm: no such file"),
    (("run", ADD, "--invoke", "nope"), "no exported function 'nope'"),
    (("run", ADD, "--invoke", "add", "1"), "add takes 2 argument(s)"),
    (("run", ADD, "--invoke", "add", "1", "x"), "not a valid i32"),
    (("inspect", ROOT / "README.md"), "magic header not detected"),
    (("inspect", LOOP, "--func", "nope"), "no function named 'nope'"),
])
def test_errors_are_one_clear_line(args, message):
    line = one_line_error(transpyle(*args))
    assert message in line


def test_debug_starts_pdb_in_the_function():
    r = transpyle("debug", LOOP, "--invoke", "sum", "4", stdin="p n\nnext\np i\ncontinue\n")
    assert r.returncode == 0, r.stderr
    assert "> <wasm://" in r.stdout and "sum()" in r.stdout
    assert "-> i, acc = 0, 0" in r.stdout
    assert "(Pdb) 4" in r.stdout
    assert r.stdout.rstrip().endswith("6")  # the result, printed after the session

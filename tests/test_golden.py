"""Golden listings: the exact Python source generated for the small modules in golden/.

Each golden/NAME.wat (built into NAME.wasm by golden/build.py) has its expected listing
in golden/NAME.listing: every defined function's source, in index order. A change to
the code generator that changes a listing shows up here as a diff to review like code;
`python -m pytest tests/test_golden.py --update-golden` rewrites the files.
"""

from __future__ import annotations

import dis
from pathlib import Path

import pytest

import transpyle

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MODULES = sorted(GOLDEN.glob("*.wasm"))


def listing_of(compiled) -> str:
    return "\n".join(compiled.source(i) for i in sorted(compiled.code.sources))


def test_enough_golden_modules():
    assert len(MODULES) >= 25
    for wasm in MODULES:
        assert wasm.with_suffix(".wat").exists(), f"{wasm.name} has no .wat beside it"


@pytest.mark.parametrize("wasm", MODULES, ids=lambda p: p.stem)
def test_golden_listing(wasm: Path, request):
    compiled = transpyle.Runtime().compile(wasm.read_bytes())
    got = listing_of(compiled)
    expected_file = wasm.with_suffix(".listing")
    if request.config.getoption("update_golden"):
        expected_file.write_text(got)
        return
    assert expected_file.exists(), f"no {expected_file.name}: run with --update-golden"
    assert got == expected_file.read_text()


@pytest.mark.parametrize("wasm", MODULES, ids=lambda p: p.stem)
def test_line_table_points_into_listing(wasm: Path):
    """Every instruction of every generated code object carries a line of its listing,
    and the statement lines it points at are not blank."""
    rt = transpyle.Runtime()
    compiled = rt.compile(wasm.read_bytes())
    imports = {imp.module: {} for imp in compiled.imports}
    for imp in compiled.imports:
        imports[imp.module][imp.name] = transpyle.Func(lambda *a: None, list(imp.type.params),
                                                       list(imp.type.results))
    inst = rt.instantiate(compiled, imports=imports)
    for index, source in compiled.code.sources.items():
        lines = source.splitlines()
        fn = inst.namespace.get(f"b{index}") or inst.namespace[f"f{index}"]
        code = fn.__code__
        assert code.co_filename.startswith("<wasm://")
        used = {line for _, line in dis.findlinestarts(code) if line is not None}
        assert used, "no line table"
        for line in used:
            assert 1 <= line <= len(lines), (index, line)
            assert lines[line - 1].strip(), (index, line)


def test_hostile_names_cannot_inject_text():
    compiled = transpyle.Runtime().compile((GOLDEN / "hostile_names.wasm").read_bytes())
    text = listing_of(compiled)
    for line in text.splitlines():
        assert "\\n" not in line and '"' not in line
    # a name-section name that is a keyword gets a trailing `_`; a duplicate or reserved
    # one (`l0` is what an unnamed local would be called) its index's name
    assert text.splitlines()[0].startswith("def quote_s_and_newlines(class_, l1):")
    compile_check = text.replace("break L", "break  # L").replace("continue L", "continue  # L")
    compile(compile_check, "<listing>", "exec")  # the listing is valid Python

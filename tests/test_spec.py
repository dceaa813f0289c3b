"""The official spec suite (tests/spectest/<suite>/*.json), one test per command file.

Each group of files runs in a scope (see spec_runner.py): "full" runs every command;
"compile-only" runs the binary assert_malformed/assert_invalid commands and compiles
every `module` command's module, and skips (and counts) the rest. SCOPES below says,
with the reason, which groups are not yet "full".

Subsets: `python -m pytest tests/test_spec.py --spec-filter=v2/simd_` (substring) or
`--spec-filter='v1/br*'` (glob). The session ends with a per-file summary table.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from spec_runner import SPECTEST_DIR, SUITES, run_file, suite_files

# Scope per group of files. A group below "full" skips its execution commands, counted
# in the summary table; the reason says what its execution still needs.
SCOPES = {
    "v1": "full",
    "v2": "full",
    "v2/simd": "full",
    "tail-call": "full",
    "threads": "full",
}


def scope_of(path) -> str:
    suite = path.parent.name
    if suite == "v2" and path.stem.startswith("simd_"):
        return SCOPES["v2/simd"]
    return SCOPES[suite]

MAX_REPORTED_FAILURES = 25


def spec_id(path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _selected(pattern: str | None, file_id: str) -> bool:
    if not pattern:
        return True
    if any(c in pattern for c in "*?["):
        return fnmatchcase(file_id, pattern)
    return pattern in file_id


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "spec_file" not in metafunc.fixturenames:
        return
    pattern = metafunc.config.getoption("spec_filter")
    params = []
    for path in suite_files(SUITES, SPECTEST_DIR):
        file_id = spec_id(path)
        if not _selected(pattern, file_id):
            continue
        marks = [pytest.mark.simd] if path.parent.name == "v2" and path.stem.startswith("simd_") else []
        params.append(pytest.param(path, id=file_id, marks=marks))
    metafunc.parametrize("spec_file", params)


def test_spec_file(spec_file, spec_results):
    result = run_file(spec_file, scope=scope_of(spec_file))
    spec_results.append(result)
    if result.failures:
        shown = "\n".join(f"  {f}" for f in result.failures[:MAX_REPORTED_FAILURES])
        more = len(result.failures) - MAX_REPORTED_FAILURES
        if more > 0:
            shown += f"\n  ... and {more} more"
        pytest.fail(f"{result.summary()}\n{shown}", pytrace=False)


# Lazy compilation (`Runtime(lazy=True)`): the files where how functions are made and
# found matters (calls, tables, imports across instances, tail calls, start functions,
# recursion), run again with every function translated on its first call.
LAZY_FILES = [
    "v2/call", "v2/call_indirect", "v2/imports", "v2/linking", "v2/func", "v2/func_ptrs",
    "v2/exports", "v2/start", "v2/elem", "v2/ref_func", "v2/table_get", "v2/table_set",
    "v2/table_grow", "v2/table_copy", "v2/table_init", "v2/fac", "v2/left-to-right",
    "v2/br_table", "v2/loop", "v2/unreachable", "v2/global", "v2/memory_grow",
    "tail-call/return_call", "tail-call/return_call_indirect",
]


@pytest.mark.parametrize("file_id", LAZY_FILES)
def test_spec_file_lazy(file_id):
    import transpyle

    suite, stem = file_id.split("/")
    path = SPECTEST_DIR / suite / f"{stem}.json"
    result = run_file(path, scope="full", runtime_factory=lambda: transpyle.Runtime(lazy=True))
    assert result.passed > 0
    if result.failures:
        shown = "\n".join(f"  {f}" for f in result.failures[:MAX_REPORTED_FAILURES])
        pytest.fail(f"lazy: {result.summary()}\n{shown}", pytrace=False)

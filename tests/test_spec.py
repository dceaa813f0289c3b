"""The official spec suite (tests/spectest/<suite>/*.json), one test per command file.

SCOPE is "compile-only" while the runtime cannot instantiate: each file's binary
assert_malformed/assert_invalid commands run and every `module` command's module must
compile; the rest is skipped and counted. It becomes "full" when instantiation lands.
SIMD_SCOPE lets the v2/simd_* files stay at decode/validate while SCOPE is "full"
(they are also marked `simd`: `-m "not simd"` deselects them).

Subsets: `python -m pytest tests/test_spec.py --spec-filter=v2/simd_` (substring) or
`--spec-filter='v1/br*'` (glob). The session ends with a per-file summary table.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from spec_runner import SPECTEST_DIR, SUITES, run_file, suite_files

SCOPE = "compile-only"
SIMD_SCOPE = SCOPE

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
    is_simd = spec_file.stem.startswith("simd_")
    result = run_file(spec_file, scope=SIMD_SCOPE if is_simd else SCOPE)
    spec_results.append(result)
    if result.failures:
        shown = "\n".join(f"  {f}" for f in result.failures[:MAX_REPORTED_FAILURES])
        more = len(result.failures) - MAX_REPORTED_FAILURES
        if more > 0:
            shown += f"\n  ... and {more} more"
        pytest.fail(f"{result.summary()}\n{shown}", pytrace=False)

"""Shared pytest configuration: the spec-suite options, results and summary table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:  # `import spec_runner` from any rootdir / import mode
    sys.path.insert(0, str(TESTS_DIR))

SPEC_RESULTS = pytest.StashKey[list]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--spec-filter",
        action="store",
        default=None,
        metavar="PATTERN",
        help="run only the spec-suite files whose id (suite/file, e.g. v1/address) matches "
        "PATTERN: a glob if it contains * ? or [, else a substring (e.g. --spec-filter=simd_)",
    )
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden/*.listing from the current code generator instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SPEC_RESULTS] = []
    config.addinivalue_line("markers", "simd: spec-suite files of the SIMD proposal (v2/simd_*)")


@pytest.fixture(scope="session")
def spec_results(pytestconfig: pytest.Config) -> list:
    """The FileResults of the spec files run in this session (for the summary table)."""
    return pytestconfig.stash[SPEC_RESULTS]


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    results = config.stash.get(SPEC_RESULTS, [])
    if not results:
        return
    from spec_runner import SUITES, format_table

    order = {s: i for i, s in enumerate(SUITES)}
    results = sorted(results, key=lambda r: (order.get(r.suite, len(order)), r.suite, r.name))
    scopes = sorted({r.scope for r in results})
    terminalreporter.section(f"spec suite summary (scope: {', '.join(scopes)})")
    for line in format_table(results).splitlines():
        terminalreporter.write_line(line)

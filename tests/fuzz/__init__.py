"""The random-program differential fuzzer: whole modules, valid by construction, run in
transpyle and in wasmtime and compared bit for bit (results, traps, memory, globals);
a mismatch is reduced automatically to a small module and saved.

    python -m tests.fuzz --minutes 30          # from the repository root
    python -m tests.fuzz --replay DIR/case.json

`tests/test_fuzz_programs.py` runs a bounded, seeded slice of it in the test suite.
"""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:  # `import wasm_oracle` (the tests' shared oracle) from here too
    sys.path.append(_TESTS)

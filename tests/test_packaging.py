"""The distributions: the sdist and the wheel built from it (what `python -m build`
makes) hold the right files and metadata, and the wheel, installed (not editable) into
a fresh virtual environment, runs `transpyle run examples/hello.wasm` from another
directory.

How, and why this way (one test, about 20-30 s):

- A fresh venv *without* system site-packages: it must not see the editable install
  of this checkout that the test suite itself runs from (`--system-site-packages`
  would), nor anything else of the test environment.
- The sdist is made by the project's own build backend (setuptools, installed into
  that venv at the version pyproject.toml's build-system requires), the wheel by
  `pip wheel` from the sdist, in pip's isolated build environment: the same two steps
  as `python -m build`, without the `build` package, which would be a new dependency.
- pip gets setuptools, bytecode and rich from wherever it got them for `pip install
  -e '.[test]'` (its index or its cache): the test needs nothing that the README's
  test command did not already need.
- The checkout is not written to, except the `transpyle.egg-info/` the build backend
  keeps beside pyproject.toml (ignored by git; the editable install made it already).
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import transpyle

REPO = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"
NAME = f"transpyle-{transpyle.__version__}"


def _run(cmd, *, cwd, env, timeout=300):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _clean_env(tmp: Path) -> dict:
    """The environment without this test run's virtual environment or Python paths,
    and with the command line's disk cache in `tmp`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                        "PYTHONUSERBASE", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp / "cache")  # `transpyle run` keeps a disk cache
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _build_requirement() -> str:
    import tomllib

    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    (setuptools,) = [r for r in requires if r.startswith("setuptools")]
    return setuptools


@pytest.mark.slow
def test_sdist_and_wheel_install_and_run(tmp_path: Path):
    env = _clean_env(tmp_path)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=env, timeout=120)
    python = venv / BIN / "python"
    dist = tmp_path / "dist"
    dist.mkdir()

    # the sdist, by the build backend (PEP 517's build_sdist, from the checkout) ...
    _run([python, "-m", "pip", "install", "-q", _build_requirement()], cwd=tmp_path, env=env)
    _run([python, "-c", "import sys; from setuptools import build_meta as b; "
                        "print(b.build_sdist(sys.argv[1]))", dist], cwd=REPO, env=env)
    sdist = dist / f"{NAME}.tar.gz"
    with tarfile.open(sdist) as tar:
        sdist_files = {m.name.removeprefix(f"{NAME}/") for m in tar.getmembers() if m.isfile()}
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "docs/API.md",
            "transpyle/__init__.py", "transpyle/py.typed"} <= sdist_files
    assert not [f for f in sdist_files if f.startswith(("tests/", "golden/", "bench/", "examples/"))]

    # ... and the wheel from the sdist, as `python -m build` does
    _run([python, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", dist, sdist],
         cwd=tmp_path, env=env)
    wheel = dist / f"{NAME}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        files = zf.namelist()
        metadata = email.parser.Parser().parsestr(zf.read(f"{NAME}.dist-info/METADATA").decode())
    packaged = {f for f in files if not f.startswith(f"{NAME}.dist-info/")}
    assert packaged == {str(p.relative_to(REPO)).replace(os.sep, "/")
                        for p in (REPO / "transpyle").rglob("*")
                        if p.is_file() and (p.suffix == ".py" or p.name == "py.typed")
                        and "__pycache__" not in p.parts}, \
        "the wheel holds exactly the transpyle package's modules and py.typed"
    assert f"{NAME}.dist-info/licenses/LICENSE" in files
    assert metadata["License-Expression"] == "Apache-2.0"
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Source", "Issues", "Documentation"}
    assert all(u.startswith("https://github.com/transpyle/transpyle") for u in urls.values())
    assert {r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r} == \
        {"bytecode<0.20,>=0.19.1", "rich>=13"}

    # installed (not editable) with its dependencies, run from another directory
    _run([python, "-m", "pip", "install", "-q", wheel], cwd=tmp_path, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([python, "-c", "import transpyle, importlib.resources as r; "
                                "print(transpyle.__file__); "
                                "print(r.files('transpyle').joinpath('py.typed').is_file())"],
                 cwd=elsewhere, env=env).stdout.split()
    assert Path(where[0]).resolve().is_relative_to(venv.resolve()), where
    assert where[1] == "True"
    hello = _run([venv / BIN / "transpyle", "run", REPO / "examples" / "hello.wasm", "--", "a"],
                 cwd=elsewhere, env=env, timeout=120)
    assert hello.stdout == "hello from wasm\narg 1: a\n", hello

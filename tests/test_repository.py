"""The checkout is the whole project: every relative link of its documents resolves
inside it, nothing reaches for a directory beside it, and docs/API.md covers the public
names. (Data the tests need is bundled too; the tests that read it fail, never skip,
when it is missing.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import transpyle
import transpyle.debug

REPO = Path(__file__).resolve().parent.parent

_FENCED = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INDENTED_CODE = re.compile(r"^(?: {4}|\t).*$", re.M)
# [text](target) and ![alt](target), with an optional "title"
_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)


def links(text: str) -> list[str]:
    """The link targets of a Markdown text, outside code blocks and code spans."""
    text = _FENCED.sub("", text)
    text = _INDENTED_CODE.sub("", text)
    text = _CODE_SPAN.sub("", text)
    return _LINK.findall(text) + _REFERENCE.findall(text)


def is_external(target: str) -> bool:
    return bool(re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("#")


def test_link_parser():
    text = ("See [API](docs/API.md) and [x](https://example.org), [top](#usage),\n"
            "![img](a/b.png \"title\") `[not](a link)`\n```\n[nor](this)\n```\n"
            "    [indented](code)\n[ref]: ../elsewhere.md\n")
    assert links(text) == ["docs/API.md", "https://example.org", "#usage", "a/b.png",
                           "../elsewhere.md"]
    assert [t for t in links(text) if not is_external(t)] == ["docs/API.md", "a/b.png",
                                                              "../elsewhere.md"]


def test_readme_links_to_the_api_contract():
    readme_links = links((REPO / "README.md").read_text(encoding="utf-8"))
    assert "docs/API.md" in readme_links
    assert "RATIONALE.md" in readme_links


# Where code or documents once reached outside the checkout: the directory beside it,
# and one machine's absolute paths.
OUTSIDE = ("../shared", "/work/", "/root/")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".c", ".h", ".wat", ".json", ".cfg", ".ini", ".txt",
                 ".in", ".yml", ".yaml"}
SKIPPED_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist",
                "node_modules"}


def _repository_text_files():
    """The project's own text files: not git's, caches, build output, virtual
    environments (any directory with a pyvenv.cfg) or the official spec suite."""
    for root, dirs, files in os.walk(REPO):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs
                         if d not in SKIPPED_DIRS and not d.startswith(".venv")
                         and not d.endswith(".egg-info")
                         and not (here / d / "pyvenv.cfg").exists()
                         and (here / d) != REPO / "tests" / "spectest")
        for name in sorted(files):
            path = here / name
            if path.suffix in TEXT_SUFFIXES or path == REPO / ".ci" / "run":
                yield path


DOCUMENTS = [p for p in _repository_text_files() if p.suffix == ".md"]


def test_documents_are_found():
    names = {str(p.relative_to(REPO)).replace("\\", "/") for p in DOCUMENTS}
    assert {"README.md", "RATIONALE.md", "docs/API.md", "bench/README.md"} <= names


def test_nothing_reaches_outside_the_checkout():
    this = Path(__file__).resolve()
    found = []
    for path in _repository_text_files():
        if path == this:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for needle in OUTSIDE:
                if needle in line:
                    found.append(f"{path.relative_to(REPO)}:{n}: {needle}")
    assert not found, "\n".join(found)


def test_api_contract_covers_the_public_names():
    api = (REPO / "docs" / "API.md").read_text(encoding="utf-8")
    missing = [name for name in transpyle.__all__ if not re.search(rf"\b{name}\b", api)]
    assert not missing, f"docs/API.md does not mention {missing}"
    # what README once listed as "beyond API.md"
    for text in ("debug=True", "lazy=True", "progress=None", "rt.close()", "with Runtime(",
                 "CompiledModule.source(func)", "transpyle.engine.CacheWarning",
                 *(f"`{name}(" for name in transpyle.debug.__all__)):
        assert text in api, f"docs/API.md does not document {text}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve_inside_the_repository(document: Path):
    assert document.is_file(), f"{document} is missing"
    bad = []
    for target in links(document.read_text(encoding="utf-8")):
        if is_external(target):
            continue
        path = (document.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(REPO):
            bad.append(f"{target}: outside the repository")
        elif not path.exists():
            bad.append(f"{target}: no such file")
    assert not bad, f"{document.relative_to(REPO)}: " + "; ".join(bad)

"""Every citation of the layout specification in the repository names something in it, and
every repository path the sources and docs mention exists.

Comments cite docs/spec.md (and docs/spec/*.md) as "§3.3", "spec 3.11", "spec section 2.5",
"§10.2.4" (item 4 of §10.2), bug ids "B1-7"/"B2-1" and example ids "V1-E6"/"V2-E11". A
section resolves to a heading that starts with it ("### §3.3 Grammar ..."); an item, bug or
example id to a bold label ("**§10.2.4**", "**B1-7**", "**V2-E11**"). The first tests run the
scanner on small synthetic trees, so a scanner that finds nothing cannot pass unnoticed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Where citations and paths are looked for: the sources, tests, build files and docs.
SCAN_DIRS = ("pybridge", "vol", "include", "tests", "bench", "examples", "cmake", "scripts",
             "docs", ".ci")
SCAN_FILES = ("CMakeLists.txt", "README.md")
TEXT_SUFFIXES = {".c", ".h", ".py", ".md", ".cmake", ".txt", ".sh", ".toml", ".cfg", ""}
SKIP_DIRS = {"build", "__pycache__", ".venv", ".compat", ".git"}

SECTION = r"\d+(?:\.\d+)*"
CITATION_PATTERNS = (
    # §3.3, § 3.3, ranges "§3.3-§3.4" (each end is a citation of its own)
    re.compile(r"§\s?(" + SECTION + r")"),
    # "spec 3.11", "spec section 2.5", "spec sections 2 and 3"
    re.compile(r"\bspec(?:\s+sections?)?\s+(" + SECTION + r")(?:\s+and\s+(" + SECTION + r"))?\b"),
)
ID_PATTERN = re.compile(r"\b(B[1-3]-\d+|V[12]-E\d+)\b")
# A table row must say which table it is in ("§3.2 row 4"), not just "spec row 4".
VAGUE_ROW = re.compile(r"\bspec\s+row\s+\d+")

HEADING = re.compile(r"^#{1,6}\s+§(" + SECTION + r")\b", re.M)
BOLD_LABEL = re.compile(r"\*\*(§" + SECTION + r"|B[1-3]-\d+|V[12]-E\d+)\*\*")

# Repository paths as the sources and docs write them, e.g. scripts/setup.sh,
# docs/spec.md, tests/python/v1_writer.py, pybridge/src/memo.h.
PATH_PATTERN = re.compile(
    r"(?<![\w/.-])((?:scripts|docs|tests|bench|examples|cmake|pybridge|vol|include)/"
    r"[\w./-]*\w\.(?:sh|md|py|c|h|cmake|txt|png|json))\b")
MD_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# The specification used to live outside the repository; it is docs/spec.md now.
OUTSIDE_SPEC = re.compile(r"jaxon-layout\.md")


def spec_files(root: Path) -> list[Path]:
    files = [root / "docs" / "spec.md"]
    files += sorted((root / "docs" / "spec").glob("*.md"))
    return [f for f in files if f.is_file()]


def spec_labels(root: Path) -> set[str]:
    """Section numbers of headings and bold labels ("3.3", "10.2.4", "B1-7", "V1-E6")."""
    labels: set[str] = set()
    for f in spec_files(root):
        text = f.read_text(encoding="utf-8")
        labels.update(HEADING.findall(text))
        labels.update(lab.lstrip("§") for lab in BOLD_LABEL.findall(text))
    return labels


def source_files(root: Path, this_file: Path | None = None):
    for name in SCAN_FILES:
        if (root / name).is_file():
            yield root / name
    for d in SCAN_DIRS:
        base = root / d
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [n for n in dirnames if n not in SKIP_DIRS]
            for fn in filenames:
                p = Path(dirpath) / fn
                if p.suffix in TEXT_SUFFIXES and p != this_file:
                    yield p


def read_text(p: Path) -> str | None:
    try:
        return p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def citations(text: str):
    """(line number, cited label) for every citation in text."""
    for pat in CITATION_PATTERNS:
        for m in pat.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            for g in m.groups():
                if g:
                    yield line, g.rstrip(".")
    for m in ID_PATTERN.finditer(text):
        yield text.count("\n", 0, m.start()) + 1, m.group(1)


def unresolved_citations(root: Path, this_file: Path | None = None):
    """(problems, number of citations checked)."""
    labels = spec_labels(root)
    problems, count = [], 0
    for p in source_files(root, this_file):
        text = read_text(p)
        if text is None:
            continue
        rel = p.relative_to(root)
        for line, label in citations(text):
            count += 1
            if label not in labels:
                problems.append(f"{rel}:{line}: '{label}' is not a heading or label of docs/spec*.md")
        for m in VAGUE_ROW.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{rel}:{line}: '{m.group(0)}' does not say which table (write §3.2 row N)")
    return problems, count


def missing_paths(root: Path, this_file: Path | None = None):
    problems = []
    for p in source_files(root, this_file):
        text = read_text(p)
        if text is None:
            continue
        rel = p.relative_to(root)
        reported = set()
        for m in PATH_PATTERN.finditer(text):
            target = m.group(1).rstrip(".")
            if not (root / target).exists():
                line = text.count("\n", 0, m.start()) + 1
                reported.add((line, target))
                problems.append(f"{rel}:{line}: '{target}' does not exist")
        if p.suffix == ".md":
            for m in MD_LINK.finditer(text):
                target = m.group(1)
                if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                if not (p.parent / target).exists() and (line, target) not in reported:
                    problems.append(f"{rel}:{line}: link '{target}' does not exist")
        for m in OUTSIDE_SPEC.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{rel}:{line}: the layout spec is docs/spec.md, not {m.group(0)}")
    return problems


# ---- the scanner itself, on synthetic trees ------------------------------------------------

def make_tree(tmp_path: Path, source: str, spec: str) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "spec.md").write_text(spec, encoding="utf-8")
    (tmp_path / "vol").mkdir()
    (tmp_path / "vol" / "x.c").write_text(source, encoding="utf-8")
    return tmp_path


SPEC = "## §3 Layout\n### §3.3 Grammar\n* **§10.2.4** numbers\n* **B1-7** identity\n"


@pytest.mark.parametrize("comment", [
    "/* spec §3.3 */", "/* (§3.3-§3) */", "/* spec 3 */", "/* spec section 3.3. */",
    "/* §10.2.4 */", "/* bug B1-7 */",
])
def test_scanner_accepts_citations_of_headings_and_labels(tmp_path, comment):
    root = make_tree(tmp_path, comment, SPEC)
    problems, count = unresolved_citations(root)
    assert problems == []
    assert count >= 1


@pytest.mark.parametrize("comment, bogus", [
    ("/* spec §3.4 */", "3.4"), ("/* spec 3.11 */", "3.11"), ("/* §3.3-§9 */", "9"),
    ("/* §10.2.5 */", "10.2.5"), ("/* bug B1-8 */", "B1-8"), ("/* V1-E6 */", "V1-E6"),
    ("/* spec sections 3 and 4 */", "4"),
])
def test_scanner_reports_citations_that_name_nothing(tmp_path, comment, bogus):
    root = make_tree(tmp_path, comment, SPEC)
    problems, _ = unresolved_citations(root)
    assert len(problems) == 1 and f"'{bogus}'" in problems[0] and "vol/x.c:1" in problems[0]


def test_scanner_reports_a_table_row_without_its_table(tmp_path):
    root = make_tree(tmp_path, "/* (spec row 4) */", SPEC)
    problems, _ = unresolved_citations(root)
    assert len(problems) == 1 and "spec row 4" in problems[0]


def test_scanner_reports_missing_paths_and_links(tmp_path):
    root = make_tree(tmp_path, "/* run scripts/build.sh, see docs/spec.md */", SPEC)
    (root / "README.md").write_text("[spec](docs/spec.md) [gone](docs/gone.md)\n"
                                    "see shared/spec/jaxon-layout.md\n", encoding="utf-8")
    problems = missing_paths(root)
    assert len(problems) == 3, problems
    assert any("scripts/build.sh" in p for p in problems)
    assert any("docs/gone.md" in p for p in problems)
    assert any("jaxon-layout.md" in p for p in problems)


# ---- the repository --------------------------------------------------------------------

def test_the_spec_is_in_the_repository():
    assert (ROOT / "docs" / "spec.md").is_file()
    labels = spec_labels(ROOT)
    # every top-level section of the layout, and the bug catalogues of §9
    assert {str(n) for n in range(1, 12)} <= labels
    assert {f"B1-{n}" for n in range(1, 17)} <= labels
    assert {f"B2-{n}" for n in range(1, 17)} <= labels


def test_every_spec_citation_in_the_repository_resolves():
    problems, count = unresolved_citations(ROOT, Path(__file__).resolve())
    assert count > 100, f"only {count} citations found: is the scanner looking in the right place?"
    assert problems == [], "\n".join(problems)


def test_every_repository_path_mentioned_exists():
    problems = missing_paths(ROOT, Path(__file__).resolve())
    assert problems == [], "\n".join(problems)

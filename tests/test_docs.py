"""The documentation: a README of one screen, docs/ pages whose links resolve, and the tables of
docs/workflow.md that `spacy project document` generates from project.yml, kept current."""
import difflib
import re
import shutil
from pathlib import Path
from typing import List, Tuple

import pytest
import srsly

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
WORKFLOW_PAGE = DOCS / "workflow.md"
PAGES = [README] + sorted(DOCS.glob("*.md"))
MAX_README_LINES = 250
# The block `spacy project document --output FILE` (weasel) replaces in place. Weasel writes it
# for a README in the project folder, so its links are relative to the project folder.
GENERATED = re.compile(
    r"<!-- (?:WEASEL|SPACY PROJECT): AUTO-GENERATED DOCS START \(do not remove\) -->"
    r".*?<!-- (?:WEASEL|SPACY PROJECT): AUTO-GENERATED DOCS END \(do not remove\) -->",
    re.S,
)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def blank(match: re.Match) -> str:
    """Code is not markdown: blank it out, keeping line breaks so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def relative_links(page: Path) -> List[Tuple[int, str, Path]]:
    """(line, target, folder it is relative to) of every relative link of a markdown page."""
    text = page.read_text(encoding="utf8")
    generated = [(m.start(), m.end()) for m in GENERATED.finditer(text)]
    text = CODE_SPAN.sub(lambda m: "`" + " " * (len(m.group(0)) - 2) + "`", FENCE.sub(blank, text))
    links = []
    for match in LINK.finditer(text):
        target = match.group(1).split("#")[0].split("?")[0]
        if not target or SCHEME.match(target):
            continue
        inside = any(start <= match.start() < end for start, end in generated)
        links.append((text.count("\n", 0, match.start()) + 1, target, ROOT if inside else page.parent))
    return links


def test_readme_is_one_screen():
    n_lines = len(README.read_text(encoding="utf8").splitlines())
    assert n_lines <= MAX_README_LINES, (
        f"README.md: {n_lines} lines, at most {MAX_README_LINES}. Move the manual part to a page of "
        f"docs/ and link it from README's map of the docs."
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files(page):
    broken = [
        f"{page.relative_to(ROOT)}:{line}: ({target}) -> {(folder / target).resolve()} does not exist"
        for line, target, folder in relative_links(page)
        if not (folder / target).exists()
    ]
    assert not broken, "Links to nothing; fix the path (relative to the page's folder):\n" + "\n".join(broken)


def test_link_checker_sees_broken_and_skips_code(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](page.md) [gone](missing.md#part) [web](https://example.org) [top](#anchor)\n"
        "`[code](nothing.md)`\n```\n[fenced](nothing.md)\n```\n",
        encoding="utf8",
    )
    assert [(line, target) for line, target, _ in relative_links(page)] == [(1, "page.md"), (1, "missing.md")]


def test_readme_maps_every_docs_page():
    linked = {(README.parent / target).resolve() for _, target, _ in relative_links(README)}
    missing = [str(p.relative_to(ROOT)) for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"README.md: add these pages to the map of the docs (## Documentation): {missing}"


def test_generated_tables_are_current(tmp_path):
    """`spacy project document` reads project.yml only: regenerate into a copy and compare."""
    from spacy.cli.project.document import project_document

    current = WORKFLOW_PAGE.read_text(encoding="utf8")
    assert GENERATED.search(current), (
        "docs/workflow.md has no generated block; run `make docs` (spacy project document "
        "writes it between its markers)"
    )
    copy = tmp_path / "workflow.md"
    shutil.copyfile(WORKFLOW_PAGE, copy)
    project_document(ROOT, copy)
    fresh = copy.read_text(encoding="utf8")
    diff = "".join(list(difflib.unified_diff(
        current.splitlines(True), fresh.splitlines(True), "docs/workflow.md", "generated from project.yml"
    ))[:40])
    assert fresh == current, f"docs/workflow.md: the generated tables are not current with project.yml; run `make docs`.\n{diff}"


def test_every_var_is_documented():
    """The vars table of docs/workflow.md is written by hand: every var of project.yml is in it."""
    variables = srsly.read_yaml(ROOT / "project.yml").get("vars", {})
    page = WORKFLOW_PAGE.read_text(encoding="utf8")
    missing = [name for name in variables if f"`{name}`" not in page]
    assert not missing, f"docs/workflow.md, \"Variables\": document these vars of project.yml: {missing}"

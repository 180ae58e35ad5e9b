"""The README stays a guide and the documentation stays connected: README.md is at most 300 lines,
every relative link and image in README.md and docs/*.md points at a file that exists (and an
``#anchor`` into a Markdown file at one of its headings, slugged as GitHub does), and every page of
docs/ is linked from the README."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PAGES = sorted((REPO / "docs").glob("*.md"))
MAX_README_LINES = 300

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)   # https:, mailto:, ...


def prose(markdown: str) -> str:
    """The text outside fenced code blocks and inline code, where a link is a link."""
    return INLINE_CODE.sub("", FENCE.sub("", markdown))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lower case, punctuation dropped
    (letters, digits, '_' and '-' stay), each space a '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # a link's text only
    text = re.sub(r"[*`]|<[^>]+>", "", text)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(markdown_file: Path) -> set[str]:
    """Every heading's anchor, the second and later of the same text numbered -1, -2... as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", markdown_file.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(markdown_file: Path) -> list[str]:
    return [target for target in LINK.findall(prose(markdown_file.read_text(encoding="utf-8")))
            if not EXTERNAL.match(target)]


def resolve(markdown_file: Path, target: str) -> tuple[Path, str]:
    path, _, anchor = target.partition("#")
    return (markdown_file.parent / unquote(path)).resolve() if path else markdown_file, anchor


def test_the_helpers_slug_and_find_links_as_github_does(tmp_path):
    assert slug("Cold start (`python -m tools.bench.cold_start --runs 3`)") == \
        "cold-start-python--m-toolsbenchcold_start---runs-3"
    assert slug("Check and correct **the** result") == "check-and-correct-the-result"
    assert slug("Schöne Grüße, 2×") == "schöne-grüße-2"
    page = tmp_path / "page.md"
    page.write_text("# A\n## A\n[x](other.md#b) ![p](pic.png) `[no](code.md)`\n```\n[no](block.md)\n```\n"
                    "[web](https://example.org) [here](#a-1)\n", encoding="utf-8")
    assert anchors(page) == {"a", "a-1"}
    assert links(page) == ["other.md#b", "pic.png", "#a-1"]


def test_the_readme_is_a_guide_of_at_most_300_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


@pytest.mark.parametrize("markdown_file", [README, *PAGES], ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(markdown_file):
    broken = []
    for target in links(markdown_file):
        path, anchor = resolve(markdown_file, target)
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.relative_to(REPO)}")
    assert not broken, "\n".join(broken)


def test_every_docs_page_is_linked_from_the_readme():
    assert PAGES, "docs/ holds no pages"
    linked = {resolve(README, target)[0] for target in links(README)}
    unlinked = [page.name for page in PAGES if page.resolve() not in linked]
    assert not unlinked, f"not linked from README.md: {', '.join(unlinked)}"

"""Every relative link in README.md and docs/*.md names a file that exists (anchors are not checked)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCED = re.compile(r"^```.*?^```", re.S | re.M)  # code blocks: their brackets are not links
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def relative_links(text: str) -> list[str]:
    """The targets of the page's Markdown links that point into the repository, without their anchors."""
    text = CODE.sub("", FENCED.sub("", text))
    targets = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
            continue  # https:, mailto:, an anchor on the same page, a path on the running site
        targets.append(target.split("#", 1)[0])
    return targets


def test_the_link_finder_skips_urls_anchors_and_code():
    text = ("[a](docs/a.md) [b](b.md#part) ![c](img.png) [d](https://example.org) [e](#here) "
            "`[f](g.md)`\n```\n[h](i.md)\n```\n")
    assert relative_links(text) == ["docs/a.md", "b.md", "img.png"]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_point_to_existing_files(page):
    missing = [target for target in relative_links(page.read_text(encoding="utf-8"))
               if not (page.parent / target).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"

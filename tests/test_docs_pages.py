"""The Markdown pages of the documentation: their links and figures resolve, every benchmark
page is in the benchmarks' table of contents and says how and when it was measured."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
MARKDOWN = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
BENCHMARKS = sorted((DOCS / "benchmarks").glob("*.md"))
LINK = re.compile(r"!?\[[^\]]*\]\(((?!https?:)[^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", MARKDOWN, ids=[str(p.relative_to(DOCS)) for p in MARKDOWN])
def test_links_and_figures_resolve(page):
    targets = LINK.findall(page.read_text())
    assert [target for target in targets if not (page.parent / target).exists()] == []


def test_every_benchmark_page_is_in_the_toctree():
    index = (DOCS / "benchmarks" / "index.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", index.split(".. toctree::", 1)[1], flags=re.M))
    assert listed == {page.stem for page in BENCHMARKS}


@pytest.mark.parametrize("page", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_page_gives_its_command_and_date(page):
    text = page.read_text()
    assert re.search(r"python -m scalars (bench|demo) ", text), f"{page.name} gives no command"
    assert re.search(r"\b2\d{3}-\d{2}-\d{2}\b", text), f"{page.name} gives no date of measurement"

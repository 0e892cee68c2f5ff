"""The examples of the documentation pages run and print what the pages say."""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts and "generated" not in p.parts
               and "_templates" not in p.parts)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS, raise_on_error=False,
                              report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {page.name} failed (see above)"


def test_every_guide_page_has_examples():
    guide = [page for page in PAGES if page.parent.name == "guide" and page.name != "index.rst"]
    assert guide
    for page in guide:
        assert ">>> " in page.read_text(), f"{page.name} has no example"

"""The built documentation, seen in a browser: headless Chromium opens an index page, an
API page and a gallery page, takes a screenshot of each into ``out/docs/`` and reads the
page it rendered. Needs the site (``make docs``) and Chromium; skipped otherwise."""

import base64
import html.parser
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
OUT = ROOT / "out" / "docs"

# page, words its <title> and first heading must contain, whether it must show a figure
PAGES = [
    ("index.html", "scalars", False),
    ("generated/scalars.preprocessing.InvariantFeatures.html", "InvariantFeatures", False),
    ("gallery/double_pendulum.html", "springy double pendulum", True),
]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1280,2000", "--virtual-time-budget=10000",
]

pytestmark = pytest.mark.docs


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def chromium():
    if not (SITE / "index.html").exists():
        pytest.skip(f"the documentation is not built ({SITE} is missing): run `make docs`")
    path = browser()
    if path is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the pages were not opened")

    def run(url, *args):
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [path, *FLAGS, f"--user-data-dir={profile}", *args, url],
                capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
            )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    return run


class Page(html.parser.HTMLParser):
    """The title, the first h1 and the images of a rendered page."""

    def __init__(self):
        super().__init__()
        self.title, self.h1, self.images = "", None, []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "h1") and (tag == "title" or self.h1 is None):
            self._in = tag
            if tag == "h1":
                self.h1 = ""
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


def image_bytes(src, page):
    """The bytes an <img src> points to: a data URI or a file of the site."""
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    target = (page.parent / src.split("#")[0].split("?")[0]).resolve()
    return target.read_bytes() if target.is_file() and SITE.resolve() in target.parents else b""


def png_pixels(data):
    import matplotlib.image

    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        file.write(data)
        file.flush()
        return matplotlib.image.imread(file.name)


@pytest.mark.parametrize("page, words, figure", PAGES, ids=[p[0].split("/")[-1] for p in PAGES])
def test_page_renders(chromium, page, words, figure):
    path = SITE / page
    assert path.exists(), f"{page} was not built"
    url = path.as_uri()

    parsed = Page()
    parsed.feed(chromium(url, "--dump-dom"))
    assert words.lower() in parsed.title.lower(), f"title of {page}: {parsed.title!r}"
    assert parsed.h1 is not None and words.lower() in parsed.h1.lower(), f"first heading of {page}: {parsed.h1!r}"

    OUT.mkdir(parents=True, exist_ok=True)
    shot = OUT / (page.replace("/", "_").removesuffix(".html") + ".png")
    shot.unlink(missing_ok=True)
    chromium(url, f"--screenshot={shot}")
    pixels = png_pixels(shot.read_bytes())
    assert pixels.shape[:2] == (2000, 1280)
    assert np.ptp(pixels[..., :3]) > 0.5, f"{shot} is blank"  # text and figures, not a flat colour

    if figure:
        figures = [image_bytes(img.get("src", ""), path) for img in parsed.images]
        figures = [data for data in figures if data.startswith(b"\x89PNG")]
        assert figures, f"{page} shows no figure: {[img.get('src', '')[:60] for img in parsed.images]}"
        plot = png_pixels(figures[0])
        assert min(plot.shape[:2]) > 100 and np.ptp(plot[..., :3]) > 0.5, "the figure is empty"

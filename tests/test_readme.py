"""The README's Python snippets run as written and print what their comments say.

The convention (stated in the README above its examples): the comment of a ``print(...)``
line is what that line prints. Whitespace is free. A number matches to 6 significant digits;
``27.323...`` is a number that starts with those digits; ``~2e-17`` is rounding noise of that
size, within a factor of 10; ``...`` alone stands for any text. Every ``print`` of a snippet
carries such a comment, so a printed value that drifts fails here.

The README's table of what the package does links each row to a documentation page; every
number of its headline column must be on that page, and every relative link must resolve.
"""

import io
import math
import re
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)

NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
TOKEN = re.compile(rf"(?P<approx>~)?(?P<number>{NUMBER})(?P<truncated>\.\.\.)?|(?P<ellipsis>\.\.\.)|(?P<char>\S)")
RELATIVE = 1e-6  # "to 6 significant digits"


def expected_outputs(snippet):
    """``{line number: comment}`` of the snippet's ``print(...)`` lines."""
    comments = {token.start[0]: token.string[1:].strip()
                for token in tokenize.generate_tokens(io.StringIO(snippet).readline)
                if token.type == tokenize.COMMENT}
    prints = [number for number, line in enumerate(snippet.splitlines(), 1) if line.lstrip().startswith("print(")]
    return {number: comments.get(number) for number in prints}


def pattern(expected):
    """A regex for the printed text and, per number group, how to compare it."""
    parts, checks = [], []
    for match in TOKEN.finditer(expected):
        if match["number"] and match["truncated"]:
            parts.append(re.escape(match["number"]) + r"\d*(?:[eE][-+]?\d+)?")
        elif match["number"]:
            parts.append(f"({NUMBER})")
            checks.append((float(match["number"]), bool(match["approx"])))
        elif match["ellipsis"]:
            parts.append(".*?")
        else:
            parts.append(re.escape(match["char"]))
    return re.compile(r"\s*" + r"\s*".join(parts) + r"\s*", flags=re.S), checks


def same_number(printed, written, approx):
    if approx:
        return written != 0 and printed != 0 and abs(math.log10(abs(printed / written))) <= 1
    return math.isclose(printed, written, rel_tol=RELATIVE, abs_tol=0.0)


def mismatch(printed, expected):
    """Why ``printed`` does not match the comment ``expected`` (None when it does)."""
    regex, checks = pattern(expected)
    match = regex.fullmatch(printed)
    if match is None:
        return f"prints {printed.strip()!r}, the comment says {expected!r}"
    for group, (written, approx) in zip(match.groups(), checks):
        if not same_number(float(group), written, approx):
            return f"prints {group} where the comment {expected!r} says {'~' if approx else ''}{written:g}"
    return None


def run(snippet):
    """Execute a snippet; what each line printed, ``{line number: text}``."""
    printed = {}

    def recording_print(*args, sep=" ", end="\n", file=None, flush=False):
        if file not in (None, sys.stdout):
            return print(*args, sep=sep, end=end, file=file, flush=flush)
        line = sys._getframe(1).f_lineno
        printed[line] = printed.get(line, "") + sep.join(map(str, args)) + end

    exec(compile(snippet, str(README), "exec"), {"print": recording_print, "__name__": "__main__"})
    return printed


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_prints_what_its_comments_say(snippet):
    expected = expected_outputs(snippet)
    missing = [line for line, comment in expected.items() if not comment]
    assert not missing, f"print(...) without its output as a comment, lines {missing} of:\n{snippet}"
    printed = run(snippet)
    errors = [f"line {line}: {mismatch(printed.get(line, ''), comment)}" for line, comment in expected.items()
              if mismatch(printed.get(line, ""), comment)]
    assert not errors, "\n".join(errors)


def test_readme_has_snippets_with_checked_output():
    assert len(SNIPPETS) >= 8
    assert sum(map(len, map(expected_outputs, SNIPPETS))) >= 10


@pytest.mark.parametrize("printed, expected", [
    ("[27.323007351008286, 16.603121873473434, 12.292816470275152]\n", "[27.323..., 16.603..., 12.292...]"),
    ("[ 0.5 -0.5  0.   0. ]\n", "[0.5 -0.5 0. 0.]"),
    ("0.9999999999999996\n", "1.0"),
    ("2.246327313912635e-17\n", "~2e-17"),
    ("dask.array<f, shape=(100000, 20), dtype=float64>\n", "dask.array<f, shape=(100000, 20), ...>"),
    ("['L*D^-1', 'p*D*mu^-1*v^-1']\n", "['L*D^-1', 'p*D*mu^-1*v^-1']"),
])
def test_the_convention_accepts(printed, expected):
    assert mismatch(printed, expected) is None


@pytest.mark.parametrize("printed, expected, reason", [
    ("[27.323007351008286, 16.603121873473434]\n", "[27.396..., 15.220...]", "prints"),  # the stale torchrun losses
    ("['L*D^-1', 'p*D*mu^-1*v^-1']\n", "['L*D^-1', 'p*L*mu^-1*v^-1']", "prints"),  # p L/(mu v) for p D/(mu v)
    ("0.99\n", "1.0", "says 1"),
    ("3e-15\n", "~2e-17", "says ~2e-17"),
    ("0.0\n", "~1e-16", "says ~1e-16"),
])
def test_the_convention_refuses(printed, expected, reason):
    assert reason in mismatch(printed, expected)


# ---------------------------------------------------------------------------------------
# The table of what the package does: each row links to its page, which holds its numbers.
ROWS = re.findall(r"^\| \[[^\]]+\]\((docs/[^)#]+)\) \| [^|]+ \| (.+) \|$", TEXT, flags=re.M)
HEADLINE_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)*(?:e[-+]?\d+)?")


def test_the_table_has_a_row_per_family():
    assert len(ROWS) >= 8


@pytest.mark.parametrize("page, headline", ROWS, ids=[page for page, _ in ROWS])
def test_headline_numbers_are_on_the_linked_page(page, headline):
    text = (ROOT / page).read_text()
    missing = [number for number in HEADLINE_NUMBER.findall(headline.replace("**", ""))
               if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text)]
    assert not missing, f"{page} does not state {missing} (README: {headline})"


def test_relative_links_resolve():
    links = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", TEXT)
    assert links
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_readme_stays_short():
    # 17 KiB: the idea, the commands, one table row per family (twelve) and one example each
    assert len(TEXT.encode()) < 17_408, "move the long narratives and tables to docs/ (see docs/benchmarks/)"

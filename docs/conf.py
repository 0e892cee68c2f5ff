"""Sphinx configuration of the scalars documentation (``make docs``).

The API reference follows the code: the public modules are the ones listed in
``api.rst``, and each module page documents exactly the names of that module's
``__all__``. A name that several modules export (``scalars.InvariantFeatures`` is
``scalars.preprocessing.InvariantFeatures``) gets one page, in the module where it is
defined; the other modules link to it. The gallery is ``notebooks/`` itself (``gallery``
is a link to it), executed at build time.
"""

import importlib
import inspect
import os
import re
import sys
from collections import Counter
from pathlib import Path

from sphinx.util.nodes import make_refnode

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout, not whatever `scalars` is installed

import scalars  # noqa: E402

project = "scalars"
author = "the scalars developers"
copyright = "the scalars developers"
release = version = scalars.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "sphinx-mathjax-offline",  # MathJax served from _static: the pages need no network
]

# The overview and the benchmark pages are Markdown (MyST): their tables are the README's as measured.
source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb", ".md": "myst-nb"}
# laws.ipynb fits the 500-chunk pendulum set (about 8 minutes here): over the gallery's budget,
# so it is run by its own test (tests/test_notebooks.py) and not executed for the site.
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "gallery/laws.ipynb"]
templates_path = ["_templates"]
html_theme = "pydata_sphinx_theme"
html_title = f"scalars {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "about": []}
html_static_path = []

# Single backticks are references, as in the docstrings (`get_group`, `~scalars.reps.Rep`).
default_role = "py:obj"

# ---------------------------------------------------------------------------------------
# Cross-references. No intersphinx inventory can be fetched here, so none is configured:
# a reference to numpy, scikit-learn, torch, pint, ... (or to a private helper) that
# cannot be resolved is rendered as plain code text, without a link and without a
# warning (nitpicky stays off). References to documented names of scalars are links. The
# references that fell back to text are counted at the end of the build.
nitpicky = False
numpydoc_xref_param_type = False
numpydoc_show_class_members = False  # the class template lists members with autodoc
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

_unresolved = Counter()


def _resolve_loosely(app, env, node, contnode):
    """Resolve what the Python domain could not, else count it and let it be text.

    ``scalars.InvariantFeatures`` (a re-export) goes to the page of the object; a short
    name such as `Group` written in another module's docstring goes to the one
    documented object whose name ends with it (none or several: plain text).
    """
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    target = ALIASES.get(node["reftarget"], node["reftarget"])
    modname, clsname = node.get("py:module"), node.get("py:class")
    for searchmode in (0, 1):
        matches = domain.find_obj(env, modname, clsname, target, node["reftype"], searchmode)
        if len(matches) > 1:
            matches = [match for match in matches if not match[1].aliased]
        if len(matches) == 1:
            name, obj = matches[0]
            return make_refnode(app.builder, node["refdoc"], obj.docname, obj.node_id, [contnode], name)
    _unresolved[node["reftarget"]] += 1
    return None


def _report_unresolved(app, exception):
    """Say how many references fell back to text, and list them in the build folder."""
    if exception is None and _unresolved:
        listing = Path(app.outdir).parent / "unresolved-references.txt"
        listing.write_text("".join(f"{count} {target}\n" for target, count in sorted(_unresolved.items())))
        packages = Counter()
        for target, count in _unresolved.items():
            packages[target.split(".")[0]] += count
        top = ", ".join(f"{name} ({count})" for name, count in packages.most_common(8))
        print(f"{sum(_unresolved.values())} cross-references rendered as plain text (no inventory, or "
              f"private names): {top}, ...; all of them in {listing}")


# Plain-text words that end in an underscore (``n_features_in_`` in a type such as
# "shape (n_samples, n_features_in_)") are reST hyperlink references, and the star of
# "shape (..., *output_shape)" starts an emphasis; escape both outside literals, roles,
# emphasis, directives, literal blocks and doctests.
_SPANS = re.compile(r"(``.+?``|:[\w:.-]+:`[^`]*`|`[^`]*`_{0,2}|\*\*.+?\*\*|\*[^*\s][^*]*\*|\$[^$]+\$)")
_TRAILING = re.compile(r"(?<=\w)_(?=\W|$)")
_UNPACKING = re.compile(r"(?<=[(,] )\*(?=\w)|(?<=\()\*(?=\w)")


def _escape_markup(app, what, name, obj, options, lines):
    block, doctest = None, False
    for i, line in enumerate(lines):
        text = line.lstrip()
        indent = len(line) - len(text)
        if block is not None and (not text or indent > block):
            continue
        block = None
        if text.startswith(">>>") or (doctest and text):
            doctest = True
            continue
        doctest = False
        if text.startswith(".."):
            block = indent if line.rstrip().endswith("::") else None
            continue
        parts = _SPANS.split(line)
        lines[i] = "".join(part if k % 2 else _escape(part) for k, part in enumerate(parts))
        if line.rstrip().endswith("::"):
            block = indent


def _escape(text):
    return _UNPACKING.sub(r"\\*", _TRAILING.sub(r"\\_", text))


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only members written here, not the ``set_fit_request`` methods that
    scikit-learn generates on every estimator (their docstrings refer to its own site)."""
    module = getattr(inspect.unwrap(getattr(obj, "fget", obj)), "__module__", None)
    if what == "class" and module is not None and not module.startswith("scalars"):
        return True
    return None


def _fixed_extract_summary(original):
    """autosummary's first sentence, extended while it cuts inline markup in two.

    Sphinx 9 checks the whole paragraph instead of the cut, so a summary such as
    "Check ``func(g . X) == func(X)`` ..." would end inside the literal.
    """
    from docutils import nodes
    from sphinx.ext.autosummary import _parse_summary, periods_re

    def extract_summary(doc, settings):
        summary = original(doc, settings)
        if not any(_parse_summary([summary], settings).findall(nodes.system_message)):
            return summary
        stanza = []
        for line in doc:
            if line.strip():
                stanza.append(line.strip())
            elif stanza:
                break
        sentences = periods_re.split(" ".join(stanza))
        for end in range(1, len(sentences) + 1):
            candidate = ". ".join(sentences[:end]).rstrip(".") + "."
            if not any(_parse_summary([candidate], settings).findall(nodes.system_message)):
                return candidate
        return " ".join(stanza)

    return extract_summary


# ---------------------------------------------------------------------------------------
# API reference: which module documents which name.
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_inherit_docstrings = False


def public_modules():
    """The module names listed in api.rst's autosummary block."""
    text = (DOCS / "api.rst").read_text()
    block = text.split(".. autosummary::", 1)[1]
    return re.findall(r"^\s{3,}(scalars(?:\.\w+)*)\s*$", block, flags=re.M)


def api_index(modules):
    """For every public module: its own names (documented there) and its re-exports.

    A name's home is the public module that is the longest prefix of the module where
    the object is defined (``scalars.groups.classical.Orthogonal`` lives in
    ``scalars.groups``); a name that no such module exports lives where it is listed.
    """
    index = {}
    for name in modules:
        module = importlib.import_module(name)
        missing = [item for item in module.__all__ if not hasattr(module, item)]
        if missing:
            raise ValueError(f"{name}.__all__ names {missing}, which the module does not define")
        index[name] = {"own": [], "elsewhere": []}
    for name in modules:
        module = importlib.import_module(name)
        for item in module.__all__:
            obj = inspect.unwrap(getattr(module, item))
            defined = getattr(obj, "__module__", None) or name
            candidates = [m for m in modules if (defined == m or defined.startswith(m + "."))
                          and item in importlib.import_module(m).__all__]
            home = max(candidates, key=len) if candidates else name
            if home == name:
                index[name]["own"].append((item, _kind(obj)))
            else:
                target = f"{home}.{item}"  # autosummary wants it relative to this module
                index[name]["elsewhere"].append((target.removeprefix(name + "."), target))
    for entry in index.values():
        kinds = ("Classes", "Exceptions", "Functions", "Other")
        own = entry.pop("own")
        sections = [(kind, [item for item, k in own if k == kind]) for kind in kinds]
        entry["sections"] = [(kind, items) for kind, items in sections if items]
    return index


def _kind(obj):
    if inspect.isclass(obj):
        return "Exceptions" if issubclass(obj, BaseException) else "Classes"
    return "Functions" if callable(obj) else "Other"


def remove_stale_pages(index):
    """Delete generated pages of names no longer in an ``__all__`` (else: toctree warnings)."""
    expected = {f"{module}.rst" for module in index}
    expected |= {f"{module}.{item}.rst" for module, entry in index.items()
                 for _, items in entry["sections"] for item in items}
    for page in (DOCS / "generated").glob("*.rst"):
        if page.name not in expected:
            page.unlink()


API_MODULES = public_modules()
autosummary_context = {"api": api_index(API_MODULES)}
remove_stale_pages(autosummary_context["api"])
ALIASES = {  # re-exported name -> where it is documented
    f"{module}.{target.rsplit('.', 1)[-1]}": target
    for module, entry in autosummary_context["api"].items()
    for _, target in entry["elsewhere"]
}

# ---------------------------------------------------------------------------------------
# Gallery: the notebooks, executed during the build in their own folder (they read
# ../data). Their cached data sets go to the build folder, not the user's cache.
nb_execution_mode = os.environ.get("SCALARS_DOCS_EXECUTE", "force")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_output_stderr = "remove"  # kernel chatter and progress bars, not results
os.environ.setdefault("SCALARS_CACHE", str(DOCS / "_build" / "cache"))
# The kernels import this checkout too, whichever copy of scalars the environment installed.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
# A notebook too slow for the gallery's budget reads this to pick smaller sizes.
os.environ["SCALARS_DOCS_BUILD"] = "1"
myst_enable_extensions = ["dollarmath", "amsmath"]
suppress_warnings = ["mystnb.unknown_mime_type"]


GALLERY_BUDGET = float(os.environ.get("SCALARS_DOCS_BUDGET", 300))  # seconds for all notebooks


def _check_gallery_time(app, env):
    """Report the notebooks' execution times; over the budget is a warning (an error with -W)."""
    from myst_nb.sphinx_ import NbMetadataCollector
    from sphinx.util import logging

    times = {}
    for docname, data in NbMetadataCollector.get_doc_data(env).items():
        runtime = (data.get("exec_data") or {}).get("runtime")
        if runtime is not None and data["exec_data"].get("method") != "cache":
            times[docname] = runtime
    if not times:
        return
    total = sum(times.values())
    each = ", ".join(f"{name.split('/')[-1]} {seconds:.0f} s" for name, seconds in sorted(times.items()))
    print(f"gallery: {len(times)} notebooks executed in {total:.0f} s ({each})")
    if total > GALLERY_BUDGET:
        logging.getLogger(__name__).warning(
            f"the gallery took {total:.0f} s to execute, over its budget of {GALLERY_BUDGET:.0f} s: "
            "make the slow notebook smaller (an environment variable it reads) or move it to the benchmarks")


def setup(app):
    import sphinx.ext.autosummary

    sphinx.ext.autosummary.extract_summary = _fixed_extract_summary(sphinx.ext.autosummary.extract_summary)
    app.connect("missing-reference", _resolve_loosely)
    app.connect("autodoc-process-docstring", _escape_markup, priority=600)  # after numpydoc
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("env-updated", _check_gallery_time)
    app.connect("build-finished", _report_unresolved)

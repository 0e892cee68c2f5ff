# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv if needed and install into it: torch pinned to the CPU build first
# (an unpinned torch would pull a multi-GB CUDA build), then the package with its extras
# (dev for the tests, dask for scalars.parallel and its tests).
# `make docs` adds the docs extra and builds the site into docs/_build/html.
# `make peers` creates a second environment, .venv-peers, with the peer packages the
# benchmarks run beside ours (emlp, pint, pysindy, e2cnn; pinned in peers/requirements.txt).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
PEERS ?= .venv-peers
PEERS_STAMP := $(PEERS)/.installed

.PHONY: install demo test docs bench peers clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,dask]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m scalars demo

test: $(STAMP)
	$(PY) -m pytest -n 2 --durations=10

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,docs]"
	touch $(DOCS_STAMP)

# Warnings are errors; the notebooks of the gallery run during the build. Then headless
# Chromium opens three pages and writes screenshots to out/docs (skipped without Chromium).
docs: $(DOCS_STAMP)
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html
	$(PY) -m pytest -m docs tests/test_docs.py -p no:cacheprovider -rs

# Only the benchmarks read it (scalars/bench/peers.py; SCALARS_PEERS_PYTHON overrides the path);
# peers/check.py runs a small problem with each package and prints their versions.
$(PEERS_STAMP): peers/requirements.txt
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS)/bin/python -m pip install --quiet torch==2.13.0
	$(PEERS)/bin/python -m pip install --quiet -r peers/requirements.txt
	$(PEERS)/bin/python peers/check.py
	touch $(PEERS_STAMP)

peers: $(PEERS_STAMP)

bench: $(STAMP)
	$(PY) -m scalars bench featurize
	OMP_NUM_THREADS=1 $(PY) -m scalars bench units
	$(PY) -m scalars bench regression
	$(PY) -m scalars bench pendulum

clean:
	rm -rf $(VENV) $(PEERS) out build *.egg-info docs/_build docs/generated

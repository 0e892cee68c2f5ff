# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv if needed and install into it: torch pinned to the CPU build first
# (an unpinned torch would pull a multi-GB CUDA build), then the package with its extras
# (dev for the tests, dask for scalars.parallel and its tests).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

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

bench: $(STAMP)
	$(PY) -m scalars bench featurize
	OMP_NUM_THREADS=1 $(PY) -m scalars bench units
	$(PY) -m scalars bench regression
	$(PY) -m scalars bench pendulum

clean:
	rm -rf $(VENV) out build *.egg-info

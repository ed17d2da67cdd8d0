# twolayer: set-up, demo, tests, figures, benchmarks, lint.
# `make demo` and `make test` install everything they need into .venv from scratch.

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: setup demo test test-slow test-all figures figures-quick bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt setup.py twolayer/net/_cpu_kernels.c
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/twolayer simulate --d 50 --noise 0.1

# The tests run in pytest-xdist worker processes, one per core (auto), each test file in one
# worker (module fixtures built once); `make test TEST_WORKERS=0` runs them in this process.
TEST_WORKERS ?= auto
PYTEST = $(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile
# Byte-compile the package once first: where PYTHONDONTWRITEBYTECODE is set (as on the machines
# this project is developed on) each of the suite's 150-odd subprocesses compiled from source again
# every module it imports (~0.35 s of CPU each: docs/testing.md).
COMPILE = $(PY) -m compileall -q -j 0 twolayer examples benchmarks > /dev/null

test: $(STAMP)
	$(COMPILE)
	$(PYTEST)

test-slow: $(STAMP)
	$(COMPILE)
	$(PYTEST) -m slow

test-all: $(STAMP)
	$(COMPILE)
	$(PYTEST) -m "slow or not slow"

# Every registered figure, and the Barak example plugin's, into figures/ (PNGs + README.md); Frei Fig. 2 runs to the paper's 10^7 steps (exact GD to step 100, then the gradient flow: docs/integrators.md).
figures: $(STAMP)
	$(VENV)/bin/twolayer figures --all --out figures/ examples/barak2022

# Smoke test: tiny settings into a fresh temporary directory (never over figures/).
figures-quick: $(STAMP)
	$(VENV)/bin/twolayer figures --quick --out "$$(mktemp -d -t twolayer-figures-quick.XXXXXX)"

bench: $(STAMP)
	$(VENV)/bin/twolayer bench --out benchmarks/results.json --doc docs/benchmarks.md

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

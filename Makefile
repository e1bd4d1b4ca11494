# The two set-up commands a new user runs: `make demo` and `make test`. Both create .venv,
# install the project with its extras, and make sure graphviz's `dot` is on the machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint bench dot clean

demo: $(INSTALLED) dot
	$(PY) -m demos

# Lint first, then the tests with line and branch coverage of autograd and nn; the report fails under the
# floor in pyproject.toml ([tool.coverage.report]). coverage starts before pytest here, not through pytest-cov's
# --cov: pytest loads chaingrad's own pytest plugin (autograd.pytest_plugin), which imports autograd and nn,
# before pytest-cov would start, and every line run at import would count as missed.
test: lint dot
	$(PY) -m coverage erase
	$(PY) -m coverage run -m pytest -q --doctest-modules autograd nn tests
	$(PY) -m coverage report

# The rule set and format settings are in pyproject.toml ([tool.ruff], [tool.mypy]: strict on autograd and nn).
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(INSTALLED)
	$(PY) benchmarks/bench_floor.py
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_compile.py
	$(PY) benchmarks/bench_vmap.py
	$(PY) benchmarks/bench_threads.py
	$(PY) benchmarks/bench_state_dict.py
	$(PY) benchmarks/bench_playground.py
	$(PY) benchmarks/bench_constants.py

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e ".[test,demos,batch,bench,dev]"
	touch $@

# graphviz's `dot` renders the graph images. Installed with apt when we are root on Debian/Ubuntu;
# otherwise we stop and say what to run.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing graphviz (for the dot binary) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "graphviz's 'dot' binary is missing. Install it, then run make again:"; \
	    echo "  Debian/Ubuntu: sudo apt-get install -y graphviz"; \
	    echo "  macOS:         brew install graphviz"; \
	    echo "  conda:         conda install -c conda-forge graphviz"; \
	    echo "  Windows:       winget install graphviz"; \
	    exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) out build dist *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache .coverage

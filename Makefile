# Two entry points (see README): `make book` and `make test`. Both set up .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= quick

# caches live in the project: numba's compiled Tomtom (memelite), matplotlib's font cache
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export MPLCONFIGDIR    := $(CURDIR)/.cache/matplotlib
export MPLBACKEND      := Agg
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS  := ignore::DeprecationWarning
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup book notebooks html test unit nbtest bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@mkdir -p .cache/numba .cache/matplotlib
	@touch $@

book: setup notebooks html

notebooks: setup
	$(BIN)/seqlib notebooks --profile $(PROFILE) --out book/chapters

html: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@test -f _build/html/index.html && echo "book: _build/html/index.html"

test: setup
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider -q

bench: setup
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_filters.py
	$(BIN)/python benchmarks/bench_training.py

clean:
	rm -rf _build book/chapters .cache

# Two entry points (see README): `make book` and `make test`. Both set up .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= quick
CHAPTERS ?= book/chapters

# caches live in the project: numba's compiled Tomtom (memelite), matplotlib's font cache
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export MPLCONFIGDIR    := $(CURDIR)/.cache/matplotlib
export MPLBACKEND      := Agg
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS  := ignore::DeprecationWarning
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup book notebooks status html browser test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@mkdir -p .cache/numba .cache/matplotlib
	@touch $@

book: setup notebooks html

notebooks: setup
	$(BIN)/seqlib notebooks --profile $(PROFILE) --out $(CHAPTERS)

# the Status page is generated from the executed chapters (profiles, wall times, runs, environment)
status: setup
	$(BIN)/python -m seqlib.status $(CHAPTERS)

html: setup status
	$(BIN)/jupyter-book build . -W -n --keep-going
	@test -f _build/html/index.html && echo "book: _build/html/index.html"

# the browser test loads every page in Debian's headless Chromium (installed here when missing, as root)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "could not install chromium and chromium-driver: the browser test will fail (install them and rerun)"

test: setup browser
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider -q

bench: setup
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_filters.py
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_fast_training.py
	$(BIN)/python benchmarks/bench_ism.py
	$(BIN)/python benchmarks/bench_executors.py

clean:
	rm -rf _build book/chapters .cache

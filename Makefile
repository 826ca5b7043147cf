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

.PHONY: setup book notebooks status claims html browser test bench publish clean

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
	$(BIN)/seqlib status $(CHAPTERS)

# the Claims page judges the paper's claims from the executed chapters (seqlib.book.claims)
claims: setup
	$(BIN)/seqlib claims $(CHAPTERS) $(wildcard benchmarks/gpu/*.csv)

html: setup status claims
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

# publish the built book the Jupyter Book way: _build/html onto the gh-pages branch (.nojekyll included);
# PUSH=1 also pushes it to $(REMOTE). GitHub Pages then serves https://<owner>.github.io/<repository>/
BOOK_HTML ?= _build/html
REMOTE    ?= origin
publish: setup
	@test -f $(BOOK_HTML)/index.html || { echo "no built book in $(BOOK_HTML): run 'make book' first"; exit 1; }
	$(BIN)/ghp-import --no-jekyll --force --no-history --branch gh-pages --remote $(REMOTE) \
	  --message "book built from $$(git rev-parse --short HEAD)" $(if $(PUSH),--push) $(BOOK_HTML)
	@echo "gh-pages holds the book$(if $(PUSH),, (not pushed: make publish PUSH=1, or git push $(REMOTE) gh-pages))"

clean:
	rm -rf _build book/chapters .cache

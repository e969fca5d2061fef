# The course's commands. `make help` lists them.
#   make book   build the executed site into _build/html
#   make test   unit tests for dlcourse + every chapter run by nbval, browser checks of the site
#   make bench  time each chapter and a warm rebuild against the budgets
#   make sync   (re)render the launch notebooks (_build/launch) from a current build
#   make venv   install only (the student's local entry point); make lab: JupyterLab on book/
# They create .venv from requirements.txt first when needed.

PYTHON  ?= $(shell command -v python3.11 || command -v python3)
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-requirements
BUILD   := _build
WORKERS ?= auto
PORT    ?= 8000
BOOK_ARGS ?=
BENCH_ARGS ?=
LAB_ARGS ?=
LAUNCH_ARGS ?=
LAB_STAMP := $(VENV)/.installed-lab
JUPYTERLAB := jupyterlab==4.6.6

# The book's execution cache (jupyter-cache) re-runs a chapter when its code changes;
# _ext/cache_rule.py also re-runs it when the dlcourse modules it uses, the pins
# (requirements.txt, pyproject.toml) or DLCOURSE_SEED change. Only that chapter runs.

# Progress bars are for people watching; the site and the test logs show the
# per-epoch lines that dlcourse.fit prints instead. OMP_WAIT_POLICY=PASSIVE stops
# PyTorch's idle threads from spinning, which slows training badly on a busy machine.
# PYTHONPATH puts this checkout's dlcourse ahead of any other installed copy.
RUN_ENV := OMP_WAIT_POLICY=PASSIVE DLCOURSE_PROGRESS=off PYDEVD_DISABLE_FILE_VALIDATION=1 MPLBACKEND= \
	PYTHONPATH=$(CURDIR)

.PHONY: help venv book test test-launch bench bench-seeds bench-site sync student lab pdf serve clean distclean

help:
	@echo "make book       build the executed site into $(BUILD)/html"
	@echo "make test       run the dlcourse unit tests, every chapter (nbval) and the browser checks"
	@echo "make bench      time each chapter and a warm rebuild; write $(BUILD)/bench.md and .json"
	@echo "make bench-seeds  run every chapter at seeds 0, 1, 2; each hidden assert's margin"
	@echo "make sync       make book, then the launch notebooks are in $(BUILD)/launch/book"
	@echo "make student    solution-free copies of the launch notebooks in $(BUILD)/student"
	@echo "make test-launch  run each launch notebook alone in a fresh Colab-like environment"
	@echo "make venv       only install the requirements into $(VENV) (to run chapters locally)"
	@echo "make lab        JupyterLab (installed into $(VENV) on first use) on book/"
	@echo "make pdf        the whole course as one PDF, $(BUILD)/pdf/course.pdf (after make book)"
	@echo "make bench-site weight and Lighthouse score of every page; $(BUILD)/bench-site.md"
	@echo "  Working on one chapter (see CONTRIBUTING.md):"
	@echo "  make test CHAPTER=<name>     the unit tests, the chapter lint and book/<name>.md only"
	@echo "  make preview CHAPTER=<name>  build the site (re-runs changed chapters only), print the page"
	@echo "  make new-chapter NAME=<name> TITLE=\"...\"  a new chapter from templates/chapter.md"
	@echo "  make lint                    ruff and the chapter lint, without running anything"
	@echo "make serve      serve $(BUILD)/html on http://localhost:$(PORT)"
	@echo "make clean      remove $(BUILD) (the site and the execution cache)"
	@echo "make distclean  also remove the virtual environment $(VENV)"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

book: $(STAMP)
	@mkdir -p $(BUILD)
	@# After a failed build, forget Sphinx's saved environment: otherwise the next
	@# build skips the unchanged pages and passes without repeating their warnings.
	$(RUN_ENV) $(BIN)/jupyter-book build . -W --keep-going $(BOOK_ARGS) || \
	  { rm -f $(BUILD)/.doctrees/environment.pickle; exit 1; }
	@touch $(BUILD)/.book-built  # tools/book.py: the site is newer than its inputs
	@echo "The site is in $(BUILD)/html/index.html (or run: make serve)"

# Tests never build the book: plain `make test` builds it first (the tests that read the
# site fail, naming `make book`, when it is missing or stale); `make test CHAPTER=` does not.
test: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# A benchmark, not a test: fails (exit 1) when a chapter breaks its time or memory budget.
# One chapter, without the rebuild: make bench BENCH_ARGS="regression --skip-rebuild"
bench: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m benchmarks.book $(BENCH_ARGS)

# Does every hidden assert hold for other seeds? Runs each chapter at DLCOURSE_SEED=0, 1, 2
# and writes each assert's margin to _build/bench-seeds.md. One chapter: make bench-seeds ARGS=cnn
bench-seeds: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m benchmarks.seeds $(ARGS)

# The whole course as one PDF, printed from the built site by the system's Chromium
# (again only when the site changed since the last one).
pdf: book
	$(RUN_ENV) $(BIN)/python -m tools.pdf

# A benchmark, not a test: bytes and Lighthouse mobile score per page of _build/html
# (installs lighthouse with npm into $(BUILD)/lighthouse on first use).
bench-site: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m benchmarks.site $(BENCH_ARGS)

# The launch notebooks (what Colab, Binder, JupyterHub and the download button give
# students) are build products: make book renders them at the end of the build, from the
# .md files and this build's outputs (_ext/launch_notebooks.py, tools/notebooks.py).
sync: book
	@$(BIN)/python -m tools.notebooks check

# Notebooks without the exercises' solutions, for instructors to hand out.
student: book
	$(BIN)/python -m tools.notebooks student $(BUILD)/student

# Each launch notebook, alone, in a fresh virtual environment with only what Colab has
# (tools/standalone.py). Reads the notebooks of the last make book; builds nothing.
test-launch: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m tools.standalone $(LAUNCH_ARGS)

# JupyterLab and jupytext (so that a chapter's .md opens as a notebook), installed into
# .venv on first use. `make lab LAB_ARGS=--version` only prints the version.
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --notebook-dir=book $(LAB_ARGS)

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet $(JUPYTERLAB) $$(grep '^jupytext==' requirements.txt)
	$(BIN)/jupytext-config --settings-file $(VENV)/share/jupyter/lab/settings/overrides.json \
	  set-default-viewer markdown myst
	@touch $@

# ---- Working on one chapter (CONTRIBUTING.md: "The edit, check, preview loop") ----
.PHONY: check-chapter preview new-chapter lint

# make test CHAPTER=<name>: the unit tests (which include the chapter lint) and
# book/<name>.md only, instead of every chapter, without the site. The checks of the
# built site (tests marked `site`) belong to the whole book: plain `make test` builds it
# and runs them.
ifdef CHAPTER
override PYTEST_ARGS += --ignore=tests/test_site.py -m "not site" tests book/$(CHAPTER).md
test: check-chapter
else
test: pdf
endif

check-chapter: $(STAMP)
	@$(BIN)/python -m tools.book check "$(CHAPTER)"

# make preview CHAPTER=<name>: `make book` (which re-executes only the chapters whose
# code changed), then the path of the chapter's page.
preview: $(STAMP)
	@MAKE="$(MAKE)" $(BIN)/python -m tools.preview "$(CHAPTER)"

# make new-chapter NAME=<name> TITLE="...": passed through the environment, so that
# any title (quotes, apostrophes) arrives intact.
new-chapter: export NEW_CHAPTER_NAME = $(NAME)
new-chapter: export NEW_CHAPTER_TITLE = $(TITLE)
new-chapter: $(STAMP)
	@$(BIN)/python -m tools.new_chapter "$$NEW_CHAPTER_NAME" "$$NEW_CHAPTER_TITLE"

LINTED := dlcourse tests tools benchmarks _ext conftest.py
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/python -m tools.lint

serve:
	@test -f $(BUILD)/html/index.html || { echo "No site yet: run 'make book' first."; exit 1; }
	$(BIN)/python -m http.server --directory $(BUILD)/html $(PORT)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(VENV) *.egg-info

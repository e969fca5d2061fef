# The course's commands. `make help` lists them.
#   make book   build the executed site into _build/html
#   make test   unit tests for dlcourse + every chapter run by nbval, browser checks of the site
#   make bench  time each chapter and a warm rebuild against the budgets
#   make sync   regenerate the paired book/*.ipynb from the chapters' .md (after editing a chapter)
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

# The book's execution cache (jupyter-cache) only notices changes to a chapter's
# own code. A chapter's outputs also depend on the helper package and on the
# pinned versions, so a change to either clears the cache, and Sphinx's saved
# environment (.doctrees) with it: otherwise Sphinx would not re-read (and so
# not re-execute) the chapters whose text did not change.
CACHE_KEY = $(shell cat dlcourse/*.py requirements.txt pyproject.toml | sha256sum | cut -c1-16)

# Progress bars are for people watching; the site and the test logs show the
# per-epoch lines that dlcourse.fit prints instead. OMP_WAIT_POLICY=PASSIVE stops
# PyTorch's idle threads from spinning, which slows training badly on a busy machine.
# PYTHONPATH puts this checkout's dlcourse ahead of any other installed copy.
RUN_ENV := OMP_WAIT_POLICY=PASSIVE DLCOURSE_PROGRESS=off PYDEVD_DISABLE_FILE_VALIDATION=1 MPLBACKEND= \
	PYTHONPATH=$(CURDIR)

.PHONY: help venv book test bench sync student serve clean distclean pdf bench-site

help:
	@echo "make book       build the executed site into $(BUILD)/html"
	@echo "make test       run the dlcourse unit tests, every chapter (nbval) and the browser checks"
	@echo "make bench      time each chapter and a warm rebuild; write $(BUILD)/bench.md and .json"
	@echo "make pdf        the whole course as one PDF, $(BUILD)/pdf/course.pdf (after make book)"
	@echo "make bench-site weight and Lighthouse score of every page; $(BUILD)/bench-site.md"
	@echo "make sync       regenerate the paired book/*.ipynb from the chapters' .md files"
	@echo "make student    write solution-free notebooks for students to $(BUILD)/student"
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
	@if [ "$$(cat $(BUILD)/.cache-key 2>/dev/null)" != "$(CACHE_KEY)" ]; then \
	  echo "dlcourse/ or the requirements changed: clearing the execution cache"; \
	  rm -rf $(BUILD)/.jupyter_cache $(BUILD)/.doctrees; fi
	@# After a failed build, forget Sphinx's saved environment: otherwise the next
	@# build skips the unchanged pages and passes without repeating their warnings.
	$(RUN_ENV) $(BIN)/jupyter-book build . -W --keep-going $(BOOK_ARGS) || \
	  { rm -f $(BUILD)/.doctrees/environment.pickle; exit 1; }
	@echo "$(CACHE_KEY)" > $(BUILD)/.cache-key
	@touch $(BUILD)/.book-built  # tools/book.py: the site is newer than its inputs
	@echo "The site is in $(BUILD)/html/index.html (or run: make serve)"

test: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# A benchmark, not a test: fails (exit 1) when a chapter breaks its time or memory budget.
# One chapter, without the rebuild: make bench BENCH_ARGS="regression --skip-rebuild"
bench: $(STAMP)
	$(RUN_ENV) $(BIN)/python benchmarks/book.py $(BENCH_ARGS)

# The whole course as one PDF, printed from the built site by the system's Chromium.
pdf: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m tools.pdf

# A benchmark, not a test: bytes and Lighthouse mobile score per page of _build/html
# (installs lighthouse with npm into $(BUILD)/lighthouse on first use).
bench-site: $(STAMP)
	$(RUN_ENV) $(BIN)/python benchmarks/site.py $(BENCH_ARGS)

# The .md files are the chapters' source; each has a committed, output-free .ipynb twin
# that the site's Colab and Binder buttons open. Run after editing or adding a chapter.
sync: $(STAMP)
	$(BIN)/python -m tools.notebooks sync

# Notebooks without the exercises' solutions, for instructors to hand out.
student: $(STAMP)
	$(BIN)/python -m tools.notebooks student $(BUILD)/student

# ---- Working on one chapter (CONTRIBUTING.md: "The edit, check, preview loop") ----
.PHONY: check-chapter preview new-chapter lint

# make test CHAPTER=<name>: the unit tests (which include the chapter lint) and
# book/<name>.md only, instead of every chapter. It first regenerates the paired
# .ipynb of any edited chapter (make sync), which the unit tests compare. The
# browser checks of the built site (tests/test_site.py) belong to the whole book
# and would rebuild it: plain `make test` runs them.
ifdef CHAPTER
override PYTEST_ARGS += --ignore=tests/test_site.py tests book/$(CHAPTER).md
test: check-chapter
endif

check-chapter: $(STAMP)
	@$(BIN)/python tools/chapters.py check "$(CHAPTER)"
	@$(BIN)/python -m tools.notebooks sync | grep -v "notebook(s) updated" || true

# make preview CHAPTER=<name>: `make book` (which re-executes only the chapters whose
# code changed), then the path of the chapter's page.
preview: $(STAMP)
	@MAKE="$(MAKE)" $(BIN)/python tools/preview.py "$(CHAPTER)"

# make new-chapter NAME=<name> TITLE="...": passed through the environment, so that
# any title (quotes, apostrophes) arrives intact.
new-chapter: export NEW_CHAPTER_NAME = $(NAME)
new-chapter: export NEW_CHAPTER_TITLE = $(TITLE)
new-chapter: $(STAMP)
	@$(BIN)/python tools/new_chapter.py "$$NEW_CHAPTER_NAME" "$$NEW_CHAPTER_TITLE"

LINTED := dlcourse tests tools benchmarks _ext conftest.py
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/python tools/lint_chapters.py

serve:
	@test -f $(BUILD)/html/index.html || { echo "No site yet: run 'make book' first."; exit 1; }
	$(BIN)/python -m http.server --directory $(BUILD)/html $(PORT)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(VENV) *.egg-info

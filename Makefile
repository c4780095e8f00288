# Every target sets up .venv first when needed, so each is one command on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast fuzz lint typecheck bench schemas clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[all,models,dev,bench,trainers,ray]"
	# LLaMA-Factory's own pins do not install beside our torch; its converter (which the
	# LLaMA-Factory profile tests import) needs none of them.
	$(BIN)/pip install --quiet --no-deps "llamafactory==0.9.5"
	touch $(STAMP)

setup: $(STAMP)

# Quick start 1: run `dataprep chat` on the bundled fixtures.
demo: $(STAMP)
	mkdir -p out
	$(BIN)/dataprep chat fixtures/chat/ --me "Colin" --out out/train.jsonl --rejects out/rejects.jsonl

# Quick start 2: the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not model and not fuzz"

# The fuzz suite alone; nightly: DATAPREP_FUZZ_EXAMPLES=5000 make fuzz (CI runs 200 in `test`).
fuzz: $(STAMP)
	$(BIN)/python -m pytest -m fuzz tests/fuzz

# ruff, mypy, and the duplicate-code check (pylint's similarity checker at 6 lines on src/,
# exceptions listed with their reason in duplicate-code-exceptions.txt).
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_duplicate_code.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

schemas: $(STAMP)
	$(BIN)/dataprep schemas --out validators/

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

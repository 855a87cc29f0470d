# Two commands a person needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test install check-python lock sample-data benchmarks clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: Python 3.11 is required (tensorflow-privacy 0.9.0 needs <3.12; TensorFlow 2.15)."; \
	  echo "       '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing). Install 3.11 or run: make PYTHON=/path/to/python3.11 ..."; \
	  exit 1; }

$(STAMP): requirements.txt pyproject.toml | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: check-python $(STAMP)

run: install
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lock: check-python
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	.lock-venv/bin/pip check
	{ head -2 requirements.txt; .lock-venv/bin/pip freeze; } > requirements.txt.new && mv requirements.txt.new requirements.txt
	rm -rf .lock-venv

sample-data: install
	$(BIN)/python scripts/make_sample_data.py

benchmarks: install
	for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# Two commands a person needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (tests/e2e/conftest.py reads CHROMIUM_PATH).
CHROMIUM_PATH ?= /usr/bin/chromium
# Privacy-relevant Streamlit settings on the command line, so they hold wherever the app starts from.
STREAMLIT_FLAGS := --server.headless true --server.address localhost --browser.gatherUsageStats false

.PHONY: run test install check-python chromium lock sample-data benchmarks clean

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
	$(BIN)/python -m dashboard.serve --server.port $(PORT) $(STREAMLIT_FLAGS)

# Chromium for the browser tests: Debian's package when missing and running as root, else how to get it.
chromium:
	@if [ -x "$(CHROMIUM_PATH)" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "error: the browser tests need Chromium at $(CHROMIUM_PATH): run 'sudo apt-get install -y chromium' (Debian) or set CHROMIUM_PATH, then make test"; \
	  exit 2; \
	fi; \
	echo "installing Debian's chromium for the browser tests (apt-get)"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || { echo "error: apt-get could not install chromium"; exit 2; }; \
	[ -x "$(CHROMIUM_PATH)" ] || { echo "error: chromium installed, but $(CHROMIUM_PATH) is still missing; set CHROMIUM_PATH"; exit 2; }

test: install chromium
	CHROMIUM_PATH=$(CHROMIUM_PATH) $(BIN)/python -m pytest $(PYTEST_ARGS)

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

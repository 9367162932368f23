# formcheck: `make run` starts the app on 127.0.0.1; `make test` installs what the tests need and runs them.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test lint bench models clean fixtures

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# Debian's chromium drives the browser tests (never `playwright install`); the browser test runs the app
# in a network namespace of its own (unshare, ip); the traffic tests watch formcheck's own sockets (strace).
BROWSER_DEPS := /usr/bin/chromium /usr/bin/unshare /usr/sbin/ip /usr/bin/strace

$(BROWSER_DEPS) &:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium iproute2 util-linux strace >/dev/null

test: $(STAMP) $(BROWSER_DEPS)
	$(VENV)/bin/ruff check src tests bench scripts app.py
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/bench_analyze.py
	$(PY) bench/bench_live.py --model auto
	$(PY) bench/bench_live.py --model full
	$(PY) bench/bench_soak.py --source trace --session
	$(PY) bench/bench_soak.py --model full --session --minutes 10 --every-min 2

models: $(STAMP)
	$(PY) scripts/build_models.py --check ../shared/models/SHA256SUMS

fixtures: $(STAMP)
	$(PY) scripts/make_fixtures.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache

# The two commands a newcomer needs: `make run` and `make test`. Both make the venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Three workers on two cores: many tests wait on a subprocess, a server or NATS for part of
# their time, and a third worker fills those waits.
PYTEST_WORKERS ?= 3

.PHONY: run test test-fast chaos soak fuzz bench lint format clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/teacherpool up

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q -ra

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q -m "not slow"

# Many seeded rounds of the chaos test (tests/chaos): TP_CHAOS_SEEDS=7 make chaos runs one again.
# The SQLite and the PostgreSQL rounds run side by side, each on its own worker and system.
TP_CHAOS_SEEDS ?= 1-50
TP_CHAOS_STEPS ?= 12
chaos: $(STAMP)
	TP_CHAOS_SEEDS=$(TP_CHAOS_SEEDS) TP_CHAOS_STEPS=$(TP_CHAOS_STEPS) \
		$(BIN)/python -m pytest tests/chaos -n 2 --dist loadgroup -q -ra --durations=5

# The races of tests/staffing/test_concurrency.py at length: 100 clients against 20 posts, for
# TP_RACE_ROUNDS rounds on each database (the normal suite runs 5).
TP_RACE_ROUNDS ?= 40
soak: $(STAMP)
	TP_RACE_ROUNDS=$(TP_RACE_ROUNDS) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q -ra \
		tests/staffing/test_concurrency.py

# The schemathesis run of tests/gateway/test_schemathesis.py at full strength: every operation
# fuzzed, then the stateful phase, 40 examples per operation (the normal suite runs a few).
fuzz: $(STAMP)
	TP_FUZZ_EXAMPLES=$${TP_FUZZ_EXAMPLES:-40} TP_FUZZ_PHASES=fuzzing,stateful \
		$(BIN)/python -m pytest -q -s --timeout=3600 tests/gateway/test_schemathesis.py

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy common contracts services gateway teacherpool tests bench
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache

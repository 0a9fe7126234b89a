# Shaml: two commands. `make demo` runs the demo, `make test` runs every check. Both set themselves up.
.PHONY: demo test setup lint system-deps rasa-check fuzz

VENV := .venv
BIN := $(VENV)/bin

setup:
	@scripts/bootstrap.sh

demo: setup
	@scripts/demo.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy nlu matching
	"$$(scripts/bootstrap.sh --print-uv)" pip check --python $(BIN)/python

system-deps:
	@scripts/system_deps.sh

# The assistant: train if its inputs changed (a few minutes on 2 cores), `rasa data validate`,
# the test stories with --fail-on-prediction-errors, and the held-out NLU split's macro-F1.
rasa-check: setup
	$(BIN)/shaml check-assistant

# The resilience suite last: the whole stack under load, faults and abuse (under five minutes);
# it exits non-zero on any lost message or leaked secret.
test: lint system-deps rasa-check
	$(BIN)/pytest -q --durations=15
	$(BIN)/shaml bench resilience --quick

# Property tests with fresh random examples, ROUNDS times (`make test` always draws the same ones).
ROUNDS ?= 5
fuzz: setup
	@for round in $$(seq $(ROUNDS)); do \
		SHAML_HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -p no:cacheprovider tests/fuzz || exit 1; \
	done

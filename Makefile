# Shaml: two commands. `make demo` runs the demo, `make test` runs every check. Both set themselves up.
.PHONY: demo test setup lint system-deps

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

test: lint system-deps
	$(BIN)/pytest -q

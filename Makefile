# Madoguchi: `make run` (demo on http://127.0.0.1:8000) and `make test` are the two set-up commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: install bootstrap-test run serve demo test test-fast lint format bench bench-nursery bench-faq bench-platform bench-residents bench-audit bench-forms bench-counter bench-rules bench-rules-engines bench-faults bench-ocr bench-benefits bench-booking bench-startup clean docs

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@bash scripts/bootstrap.sh run
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip uv
	@$(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode -r requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@# Byte-compile Madoguchi too: with PYTHONDONTWRITEBYTECODE set, nothing else would, and every command
	@# would compile ~600 modules from source before doing anything (0.6 s of a 1.1 s start; docs/operations.md).
	@$(BIN)/python -m compileall -q -j 0 src > /dev/null
	@touch $@

bootstrap-test:
	@bash scripts/bootstrap.sh test

run: install
	@$(BIN)/madoguchi migrate --noinput -v 0
	@$(BIN)/madoguchi demo
	@$(BIN)/madoguchi serve

serve: install
	@$(BIN)/madoguchi serve

demo: install
	@$(BIN)/madoguchi migrate --noinput -v 0
	@$(BIN)/madoguchi demo

test: install bootstrap-test
	@$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

test-fast: install
	@$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"

lint: install
	@$(BIN)/ruff check src tests bench
	@$(BIN)/ruff format --check src tests bench
	@$(BIN)/lint-imports
	@$(BIN)/madoguchi makemigrations --check --dry-run -v 1
	@$(BIN)/madoguchi settings_reference --check

format: install
	@$(BIN)/ruff check --fix src tests bench
	@$(BIN)/ruff format src tests bench

docs: install
	@$(BIN)/madoguchi settings_reference > docs/settings.md

bench: bench-platform bench-residents bench-audit bench-nursery bench-faq bench-forms bench-counter bench-rules

bench-platform: install
	@$(BIN)/python -m bench.platform.run

bench-residents: install
	@$(BIN)/python -m bench.residents.run

bench-audit: install
	@$(BIN)/python -m bench.audit.run

bench-nursery: install
	@$(BIN)/python -m bench.nursery.run

bench-faq: install
	@$(BIN)/python -m bench.faq.run

bench-forms: install
	@$(BIN)/python -m bench.forms.run

bench-counter: install
	@$(BIN)/python -m bench.counter.run

bench-rules: install
	@$(BIN)/python -m bench.rules.run $(ARGS)
# CEL engines side by side (docs/rules.md "Performance"); common-expression-language is measured when installed
bench-rules-engines: install
	@$(BIN)/python -m bench.rules.engines $(ARGS)
# Paper intake OCR (docs/intake.md "Engine and figures"): make bench-ocr ARGS="--forms 24 --hand 8 --seed 1"
bench-ocr: install
	@bash scripts/bootstrap.sh bench
	@$(BIN)/python -m bench.ocr.run $(ARGS)
# Not part of `make bench` (it takes minutes): 160,000 vaccination bookings over HTTP, then the waiting room.
bench-booking: install
	@$(BIN)/python -m bench.booking.run $(ARGS)
bench-startup: install
	@$(BIN)/python -m bench.startup.run --importtime
# Not part of `make bench`: it kills processes and restarts (a private) PostgreSQL. docs/operations.md "Failure drills".
bench-benefits: install
	@$(BIN)/python -m bench.benefits.run $(ARGS)

bench-faults: install
	@$(BIN)/python -m bench.faults.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

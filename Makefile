# The README's commands. `make run` and `make test` work on a fresh machine.
.PHONY: bootstrap run test lint format contracts

UV := $(HOME)/.cache/patronage/tools/bin/uv

bootstrap:
	./scripts/bootstrap.sh

run: bootstrap ## the whole system locally: Kafka + FerretDB, all services, demo data
	.venv/bin/python -m patronage_devinfra.run

test: bootstrap ## lint, type-check and the full test suite against real Kafka and FerretDB
	./scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy -p patronage_contracts -p patronage_common -p patronage_devinfra \
	  -p patronage_passport -p patronage_requests -p patronage_notifications \
	  -p patronage_reporting -p patronage_gateway

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

contracts: ## refresh the checked-in JSON Schemas and the AsyncAPI document
	.venv/bin/python -m patronage_contracts write

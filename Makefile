# Two commands on a fresh machine: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
PIP := $(BIN)/python -m pip install --disable-pip-version-check --no-input -q

.PHONY: run test samples templates preview bench bench-scale mutants bundle contract clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

## Process the bundled sample workbooks (examples/input) into examples/output/ (never the real output/).
run: $(RUNTIME_STAMP)
	$(BIN)/python process.py run --input examples/input

## Run the whole test suite.
test: $(DEV_STAMP)
	$(BIN)/python -m pytest

## Regenerate the bundled sample workbooks from rules.yaml.
samples: $(RUNTIME_STAMP)
	rm -rf examples/input
	$(BIN)/python -m scorecard.forms.samples examples/input

## Regenerate the default Word templates in templates/.
templates: $(RUNTIME_STAMP)
	$(BIN)/python tools/build_templates.py

## Render every Word report under examples/output/ to PNG pages in preview/ (needs LibreOffice and poppler-utils).
preview: $(RUNTIME_STAMP)
	$(BIN)/python tools/preview.py examples/output

## Print reading/validation and report-rendering timings.
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_datasets.py

## The whole pipeline, a rerun and the afternoon baseline on N generated departments (docs/performance.md).
## Inputs are generated once into /tmp/scorecard-bench (10,000 workbooks take a while). SIZES="200 1000" to choose.
SIZES ?= 100 1000 10000
bench-scale: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_scale.py --sizes $(SIZES)

## Mutation testing (mutmut) of the core modules, one after another; slow (about an hour a module on
## two busy cores), so not part of `make test` or CI (docs/testing.md). One module:
## make mutants MODULE=scorecard/scoring/score.py; one function in minutes: ONLY='scorecard.scoring.score.x__gaps*'.
## MUTANT_JOBS=1 on a busy machine; results stay in build/mutants/ (a rerun only tries what is new).
CORE_MODULES := scorecard/scoring/score.py scorecard/intake/validation.py scorecard/intake/checking.py scorecard/office/apply.py \
	scorecard/office/read.py scorecard/office/store.py scorecard/office/write.py scorecard/mail/outbox.py \
	scorecard/mail/delivery.py scorecard/operations/unchanged.py scorecard/intake/datasets.py \
	scorecard/followup/due.py scorecard/followup/remind.py scorecard/scoring/lights.py \
	scorecard/scoring/extensions.py scorecard/office/extensions.py \
	scorecard/evidence/judge.py scorecard/evidence/find.py scorecard/evidence/inspect.py scorecard/scoring/evidence.py
MODULE ?= $(CORE_MODULES)
MUTANT_JOBS ?= 2
mutants: $(DEV_STAMP)
	$(BIN)/python tools/mutants.py $(MODULE) --jobs $(MUTANT_JOBS) $(if $(ONLY),--only '$(ONLY)')

## dist/scorecard-<version>-offline.zip: program, samples and wheels for Windows x64 and Linux x86_64
## (CPython 3.11, 3.12), to install on a machine with no internet (安装说明.txt inside). The wheels
## (~200 MB) are downloaded once into ~/.cache/scorecard/wheels (SCORECARD_WHEEL_CACHE to choose).
bundle: $(RUNTIME_STAMP)
	$(BIN)/python tools/bundle.py

## The shared contract smoke check.
contract: $(RUNTIME_STAMP)
	$(BIN)/python ../shared/contract_check.py

clean:
	rm -rf $(VENV) preview .pytest_cache build/mutants

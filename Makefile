# `make test` and `make demo` each set up .venv themselves on a fresh machine.
# The ray extra (annotate --ray and its tests) installs from the registry in about 30 s here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The demo trains the transformers on the demo budget (configs/budgets/demo.cfg: 150 steps
# on 3,000 training sentences, with the token head: F1 55 on BC2GM devel) so that all of it
# fits in 20 minutes on 2 cores (17.5 minutes measured: benchmarks/notes/peft.md, "`make demo`
# timed on a quiet machine"): the study is `spacy project run all` without these overrides
# (see docs/transformers.md and docs/workflow.md).
DEMO_VARS ?= --vars.regimes full,none --vars.head token --vars.trf_budget configs/budgets/demo.cfg --vars.dapt_max_steps 20
# One seed in the demo (the study's default is vars.seeds 0,1,2: mean +- std per cell).
DEMO_VARS += --vars.seeds 0
# PEFT in the demo: LoRA r=8 on one encoder (MiniLM), no prompt tuning (see docs/peft.md, "Workflow").
DEMO_PEFT_VARS ?= --vars.peft_encoders assets/encoders/minilm --vars.peft_ranks 8 --vars.peft_lengths none

.PHONY: test test-slow demo venv benchmark docs clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,transformers,ray,analysis,llm]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The tests marked slow: workflow runs, fresh-venv packaging, Ray, subprocess-heavy LLM and
# analysis tests. CI runs them after `make test`, on both cores (pytest-xdist; a module's tests
# stay on one worker so that its fixtures are built once): 8 minutes instead of 14 on 2 cores.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow --runslow -n 2 --dist loadfile $(PYTEST_ARGS)

demo: $(STAMP)
	cd . && PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m spacy project run all . $(DEMO_VARS) $(DEMO_PEFT_VARS)
	@echo "Report: $(CURDIR)/reports/index.html (tables: $(CURDIR)/reports/results.md)"

benchmark: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_baselines.py

# The tables of commands, workflows and assets in docs/workflow.md, from project.yml (only the
# block between the markers is replaced; tests/test_docs.py fails when it is not current).
docs: $(STAMP)
	$(BIN)/python -m spacy project document . --output docs/workflow.md

clean:
	rm -rf $(VENV) corpus/*.spacy training/* reports/* packages

# `make test` and `make demo` each set up .venv themselves on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The demo trains every transformer regime for a few steps only (CPU): the full study is
# `spacy project run all` without these overrides (see README, "Transformer pipelines").
DEMO_VARS ?= --vars.regimes full,none --vars.trf_max_steps 30 --vars.trf_eval_frequency 30 --vars.dapt_max_steps 20
# PEFT in the demo: LoRA r=8 on one encoder (MiniLM), no prompt tuning (see README, "PEFT").
DEMO_PEFT_VARS ?= --vars.peft_encoders assets/encoders/minilm --vars.peft_lengths none

.PHONY: test demo venv benchmark clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,transformers]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

demo: $(STAMP)
	cd . && PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m spacy project run all . $(DEMO_VARS) $(DEMO_PEFT_VARS)

benchmark: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_baselines.py

clean:
	rm -rf $(VENV) corpus/*.spacy training/* reports/* packages

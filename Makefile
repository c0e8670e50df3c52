# What CNNs See: the two commands are `make course` and `make test`.
# Both create .venv on first use and install the course into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export COURSE_OFFLINE ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2
# The model switch: MODEL=shapes|vgg16|inception_v3|path.keras, WEIGHTS=imagenet|random
# (random: test the code path offline, nothing downloads). Unset: the lessons' "auto".
SWITCH := $(if $(MODEL),COURSE_MODEL=$(MODEL)) $(if $(WEIGHTS),COURSE_WEIGHTS=$(WEIGHTS))

.PHONY: course test install train-shapes notebooks explore clean help

help:
	@echo "make course        run every notebook (FAST=1 for the quick version) -> build/"
	@echo "                   SEED=1: every lesson with SEED = 1 (claims must still hold); ONLY=05: one lesson"
	@echo "                   MODEL=shapes|vgg16|inception_v3|file.keras WEIGHTS=imagenet|random: run on another model"
	@echo "make test          run the test suite (includes every notebook in fast mode)"
	@echo "make train-shapes  retrain the offline shapes CNNs -> data/models/"
	@echo "make notebooks     rebuild notebooks/*.ipynb from notebooks/src/*.py"
	@echo "make explore       serve the instructor explorer on http://127.0.0.1:8866"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

course: $(STAMP)
	COURSE_FAST=$(if $(FAST),1,$${COURSE_FAST:-0}) $(SWITCH) $(PY) -m helpers.course.runner $(if $(SEED),--seed $(SEED)) $(if $(ONLY),--only $(ONLY))

test: $(STAMP)
	$(PY) -m pytest

train-shapes: $(STAMP)
	$(PY) -m helpers.course.train --shortcut

notebooks: $(STAMP)
	$(PY) tools/nbbuild.py

# The instructor explorer (Voila, no code showing), offline on 127.0.0.1.
# make explore [MODEL=shapes|vgg16|...] [WEIGHTS=imagenet|random] [PROJECTOR=1] [PORT=8866]
explore: $(STAMP)
	@echo "Instructor explorer: http://127.0.0.1:$(or $(PORT),8866)/  (Ctrl-C stops it)"
	$(SWITCH) COURSE_PROJECTOR=$(or $(PROJECTOR),0) \
	  $(VENV)/bin/voila apps/explorer.ipynb --no-browser --port=$(or $(PORT),8866) --Voila.ip=127.0.0.1 \
	  --show_tracebacks=True

clean:
	rm -rf build

# Two entry points on a fresh machine: `make demo` and `make test`. Everything else is set-up they call.
SHELL := /bin/bash
VENV  ?= .venv
BIN   := $(VENV)/bin
PYTHON ?= python3
export INVOICE_LAB_DATA ?= $(abspath ../shared/data)
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test install sysdeps lint clean-check

# The Python environment: a venv with the package (editable) and its dev tools, one kernel for papermill.
install: $(VENV)/.installed
$(VENV)/.installed: settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,pod,paddle,cpu]'
	$(BIN)/python -m ipykernel install --sys-prefix --name invoice-lab --display-name "invoice-lab" >/dev/null
	$(BIN)/python -c "from invoice_lab.ocr import get_engine; get_engine('rapidocr')"  # OCR models made on this machine: the int8 detector where the CPU has no bfloat16
	touch $@

# System packages: a browser, shellcheck and tesseract that tests drive for real, and libGL/glib that the
# paddle extra's OpenCV needs; installed when missing and we are root.
sysdeps:
	@missing=""; for c in chromium:chromium chromedriver:chromium-driver shellcheck:shellcheck tesseract:tesseract-ocr; do \
	  command -v $${c%%:*} >/dev/null || missing="$$missing $${c##*:}"; done; \
	for p in libgl1 libglib2.0-0; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (install them with apt-get)"; fi; fi

# Main job on the bundled samples: OCR + fields of a receipt photo and a PDF invoice.
demo: sysdeps install
	$(BIN)/invoice-lab demo

# Every test: notebooks are clean and in sync with the package, then the notebook tests, then pytest.
test: sysdeps install clean-check
	$(BIN)/nbdev_test --n_workers 2 --do_print --timing
	$(BIN)/pytest -q tests

clean-check:
	@snap() { find nbs invoice_lab -name '*.ipynb' -o -name '*.py' | sort | xargs cat | sha1sum; }; \
	before=$$(snap); $(BIN)/nbdev_clean; $(BIN)/nbdev_export; \
	if [ "$$before" != "$$(snap)" ]; then git --no-pager diff --stat -- nbs invoice_lab; \
	  echo "notebooks were not clean, or invoice_lab/ was out of sync with nbs/ (now fixed in the work tree: commit it)"; exit 1; fi

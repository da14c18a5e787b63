#!/bin/bash
# pip install --no-index of a local wheel ($WHEEL, built by the runner)
# into a fresh venv in $WORK.
cd "$WORK" || exit 1
"$PY" -m venv venv >venv.log 2>&1; echo "venv rc=$?"
venv/bin/python -m pip install -q --no-index --disable-pip-version-check "$WHEEL" >pip.log 2>&1; echo "pip rc=$?"
echo "import $(venv/bin/python -c 'import hmcorpus; print(hmcorpus.VALUE)' 2>&1)"
venv/bin/hmcorpus-tool >tool.log 2>&1; echo "script rc=$? $(cat tool.log)"

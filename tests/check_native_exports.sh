#!/bin/sh
# The CPython extension hermetic._native exports one symbol, its module
# init function: every other function and table of its files (pybind/*.c,
# shared through the private pybind/native_int.h) is hidden.
# usage: check_native_exports.sh _native.so
set -eu
got=$(nm -D --defined-only "$1" | awk '$2 != "A" {print $NF}' | sort -u)
if [ "$got" != "PyInit__native" ]; then
	echo "exports of $1 are not exactly PyInit__native:" >&2
	echo "$got" >&2
	exit 1
fi
echo "ok - $1 exports PyInit__native only"

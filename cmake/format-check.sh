#!/bin/sh
# usage: format-check.sh CLANG_FORMAT — run from the source tree; fails on
# any formatting difference in a tracked C file.
set -eu
git ls-files -z '*.c' '*.h' | xargs -0 "$1" --dry-run --Werror

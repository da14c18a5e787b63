#!/bin/sh
# Compare the shim's dynamic exports with the names listed in symbols.def.
# usage: check_exports.sh libhermetic.so expected_exports.txt
set -eu
lib=$1
want=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u >"$tmp/got"
grep -v '^[[:space:]]*$' "$want" | tr -d ' \t' | sort -u >"$tmp/want"
if ! diff -u "$tmp/want" "$tmp/got"; then
	echo "exports of $lib differ from symbols.def (- expected, + exported)" >&2
	exit 1
fi
echo "ok - $(wc -l <"$tmp/got") exported names match symbols.def"

#!/bin/sh
# Compare the shim's dynamic exports, with their symbol versions, with the
# expected list generated from symbols.def and libc's own versions
# (libhermetic/gen_versions.sh): every interposed name must be exported
# under each version glibc gives it (name@@DEFAULT, and name@OLD for
# older ones), and nothing else may be exported.
# usage: check_exports.sh libhermetic.so expected_exports.txt
set -eu
lib=$1
want=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Type "A" entries are the version nodes themselves (GLIBC_2.2.5 ...).
nm -D --defined-only "$lib" | awk '$2 != "A" {print $NF}' | sort -u >"$tmp/got"
grep -v '^[[:space:]]*$' "$want" | tr -d ' \t' | sort -u >"$tmp/want"
if ! diff -u "$tmp/want" "$tmp/got"; then
	echo "exports of $lib differ from symbols.def + libc versions" \
		"(- expected, + exported)" >&2
	exit 1
fi
if grep -qv '@' "$tmp/got"; then
	echo "unversioned exports in $lib:" >&2
	grep -v '@' "$tmp/got" >&2
	exit 1
fi
echo "ok - $(wc -l <"$tmp/got") exported name@version pairs match"

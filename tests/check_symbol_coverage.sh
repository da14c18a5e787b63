#!/bin/sh
# Every interposed symbol (a row of shim/sym_*.def) must be named by some
# test in tests/ (fixtures, pytest files, unit tests), or be listed with a
# reason in tests/uncovered_symbols.txt. A listed name that a test does
# name, or that is no longer in the table, is an error too, so the list
# only shrinks. usage: check_symbol_coverage.sh NAMES TESTS_DIR EXCEPTIONS
set -eu
names=$1
tests=$2
exceptions=$3
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tr -d ' \t' <"$names" | grep -v '^$' | sort -u >"$tmp/names"
grep -v '^#' "$exceptions" | awk 'NF {print $1}' | sort -u >"$tmp/except"
for n in $(cat "$tmp/names"); do
	if grep -rqw --include='*.c' --include='*.py' --include='*.h' -- \
		"$n" "$tests/fixtures" "$tests/py" "$tests/unit"; then
		echo "$n" >>"$tmp/covered"
	fi
done
touch "$tmp/covered"
sort -u -o "$tmp/covered" "$tmp/covered"
comm -23 "$tmp/names" "$tmp/covered" >"$tmp/uncovered"
for n in $(comm -23 "$tmp/uncovered" "$tmp/except"); do
	echo "not ok - $n: no test names it and it is not in $exceptions"
	status=1
done
for n in $(comm -12 "$tmp/covered" "$tmp/except"); do
	echo "not ok - $n is tested now: remove it from $exceptions"
	status=1
done
for n in $(comm -23 "$tmp/except" "$tmp/names"); do
	echo "not ok - $n is listed in $exceptions but is not in the table"
	status=1
done
echo "# $(wc -l <"$tmp/covered") of $(wc -l <"$tmp/names") interposed" \
	"symbols are named by a test; $(wc -l <"$tmp/uncovered") listed as exceptions"
[ $status -eq 0 ] && echo "ok - symbol table coverage"
exit $status

#!/bin/sh
# The allow path of dlopen/dlmopen must be a sibling call: glibc finds the
# caller's RUNPATH and namespace from the return address, so a wrapper
# that calls the real function and returns breaks $ORIGIN plugins.
# Checks that each function reaches the real one through an indirect jmp
# and never through an indirect call. usage: check_tailcall.sh libhermetic.so
set -eu
lib=$1
status=0
for fn in dlopen dlmopen; do
	body=$(objdump -d --no-show-raw-insn "$lib" |
		awk -v f="<$fn>:" '$2 == f {p = 1; next} p && NF == 0 {exit} p')
	if [ -z "$body" ]; then
		echo "not ok - $fn not found in $lib"
		status=1
		continue
	fi
	if ! printf '%s\n' "$body" | grep -q 'jmp  *\*.*hm_real'; then
		echo "not ok - $fn does not tail-jump to the real function"
		status=1
	elif printf '%s\n' "$body" | grep -q 'call  *\*'; then
		echo "not ok - $fn calls a function pointer (not a tail call)"
		status=1
	else
		echo "ok - $fn ends its allow path in a jmp to the real function"
	fi
done
exit $status

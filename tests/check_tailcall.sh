#!/bin/sh
# dlopen, dlmopen, dlsym and dlvsym must reach the real function by a jump
# with the caller's return address still on the stack: glibc finds the
# caller's RUNPATH, namespace and RTLD_NEXT position from it. They are
# assembly stubs (shim/dl.c, HM_DL_ENTRY) that call only their C filter
# and end in an indirect jmp, whatever the optimisation level; this checks
# the built object. usage: check_tailcall.sh libhermetic.so...
set -eu
status=0
for lib in "$@"; do
	for fn in dlopen dlmopen dlsym dlvsym; do
		body=$(objdump -d --no-show-raw-insn "$lib" |
			awk -v f="<$fn>:" '$2 == f {p = 1; next} p && NF == 0 {exit} p')
		if [ -z "$body" ]; then
			echo "not ok - $fn not found in $lib"
			status=1
			continue
		fi
		calls=$(printf '%s\n' "$body" | grep -c 'call' || true)
		if ! printf '%s\n' "$body" | grep -q "call .*<hm_dl_filter_$fn>" ||
			[ "$calls" -ne 1 ]; then
			echo "not ok - $fn ($lib) calls something besides its filter"
			status=1
		elif ! printf '%s\n' "$body" | grep -q 'jmp  *\*%rax'; then
			echo "not ok - $fn ($lib) does not jump to the real function"
			status=1
		else
			echo "ok - $fn ($lib) ends its allow path in a jmp"
		fi
	done
done
exit $status

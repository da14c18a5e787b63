#!/bin/sh
# The pure policy core links nothing but memory, string and inet helpers.
# usage: check_pure.sh OBJECT...   (every object of hermetic_core; the pure
# ones are picked by name below). An undefined symbol of a pure object must
# be mem*/str*/inet_* (or their _FORTIFY_SOURCE __*_chk forms, or bcmp, which
# clang emits for an equality-only memcmp), the stack
# protector's __stack_chk_fail, or an hm_* function another pure object
# defines. Anything else (I/O, allocation, errno, syscall) fails the test.
set -eu
pure="policy.c.o addr.c.o addrfmt.c.o path.c.o wire.c.o hosts.c.o prov.c.o childenv.c.o"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/objs"
for o in "$@"; do
	for p in $pure; do
		[ "$(basename "$o")" = "$p" ] && echo "$o" >>"$tmp/objs"
	done
done
n=$(wc -l <"$tmp/objs")
if [ "$n" -ne "$(echo $pure | wc -w)" ]; then
	echo "expected the objects $pure, found:" >&2
	cat "$tmp/objs" >&2
	exit 1
fi
xargs nm --defined-only <"$tmp/objs" | awk 'NF == 3 {print $3}' | sort -u >"$tmp/defined"
fail=0
while read -r o; do
	nm -u "$o" | awk '{print $NF}' | while read -r sym; do
		case "$sym" in
		mem* | str* | inet_* | __mem*_chk | __str*_chk | __stack_chk_fail) ;;
		bcmp) ;; # clang lowers an equality-only memcmp to bcmp
		hm_*)
			grep -qx "$sym" "$tmp/defined" || {
				echo "$(basename "$o"): $sym is not a pure core function"
			}
			;;
		*) echo "$(basename "$o"): references $sym" ;;
		esac
	done
done <"$tmp/objs" >"$tmp/bad"
if [ -s "$tmp/bad" ]; then
	cat "$tmp/bad" >&2
	exit 1
fi
echo "ok - $n pure core objects reference only mem*/str*/inet_* and each other"

#!/bin/sh
# Configuring for an unsupported architecture must stop with a clear
# message (docs/hacking.md, "Supported platforms").
# usage: check_arch.sh CMAKE SOURCE_DIR
set -u
cmake=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$("$cmake" -S "$src" -B "$tmp/b" -DCMAKE_SYSTEM_NAME=Linux \
	-DCMAKE_SYSTEM_PROCESSOR=aarch64 -DHERMETIC_PYTHON=OFF \
	-DBUILD_TESTING=OFF 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" |
	grep -q "unsupported architecture 'aarch64'"; then
	echo "ok - aarch64 is refused at configure time"
	exit 0
fi
echo "not ok - configuring for aarch64 gave rc=$rc:"
printf '%s\n' "$out" | tail -5
exit 1

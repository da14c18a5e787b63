#!/bin/bash
# make + gcc on a small project (fixtures/cproj) copied into $WORK.
# Prints one "step result" line per step; the runner compares them.
cp -r "$CORPUS/fixtures/cproj" "$WORK/cproj" && cd "$WORK/cproj" || exit 1
make -s >make.log 2>&1; echo "make rc=$?"
out=$(./prog 5 2>prog.err); rc=$?
echo "prog out=$out rc=$rc err=$(head -c 60 prog.err | tr '\n' ' ')"
make -s clean >/dev/null 2>&1; echo "clean rc=$?"
[ -e prog ] && echo "clean left prog" || echo "clean removed prog"

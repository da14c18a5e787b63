#!/bin/bash
# The runner's self-test case (tests/py/test_corpus_selftest.py): one step
# that needs loopback networking, one that needs nothing.
cd "$WORK" || exit 1
curl -sS --max-time 20 -o s.txt "http://127.0.0.1:$PORT/hello.txt" 2>/dev/null
echo "curl-ip rc=$? $(cat s.txt 2>/dev/null)"
echo "echo ok"

#!/bin/bash
# curl and wget against the runner's loopback http.server ($PORT).
cd "$WORK" || exit 1
curl -sS -o c1.txt "http://127.0.0.1:$PORT/hello.txt"; echo "curl-ip rc=$? $(cat c1.txt 2>/dev/null)"
curl -sS -o c2.txt "http://localhost:$PORT/hello.txt"; echo "curl-localhost rc=$? $(cat c2.txt 2>/dev/null)"
curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/missing" ; echo " curl-404 rc=$?"
wget -q -O w1.txt "http://127.0.0.1:$PORT/hello.txt"; echo "wget-ip rc=$? $(cat w1.txt 2>/dev/null)"
wget -q -O w2.txt "http://localhost:$PORT/hello.txt"; echo "wget-localhost rc=$? $(cat w2.txt 2>/dev/null)"

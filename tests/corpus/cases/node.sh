#!/bin/bash
# node: fs read/write in $WORK and an http request to the loopback server.
cd "$WORK" || exit 1
node -e '
const fs = require("fs"), http = require("http");
fs.writeFileSync("n.txt", "node-wrote");
console.log("fs " + fs.readFileSync("n.txt", "utf8"));
http.get("http://127.0.0.1:" + process.env.PORT + "/hello.txt", r => {
  let d = ""; r.on("data", c => d += c);
  r.on("end", () => console.log("http " + r.statusCode + " " + d.trim()));
}).on("error", e => console.log("http error " + e.code));
'
echo "node rc=$?"

#!/usr/bin/env bash
# The upstream client's memory against its CPU (bench/upstream-client.ts): undici's WebAssembly parser
# vs node:http's native one, alternated ROUNDS times (default 3) against one bench/upstream.js, each
# run a fresh process. Prints one JSON line per run. Run from anywhere; builds bench/ first.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-50000}
node node_modules/typescript/bin/tsc -p bench/tsconfig.json
B=bench/.build/bench
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
node $B/upstream.js h1 "$PORT" a >/dev/null &
UP=$!
trap 'kill $UP 2>/dev/null' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
for r in $(seq "$ROUNDS"); do
  for c in undici http; do node $B/upstream-client.js --client $c --port "$PORT" --requests "$REQUESTS"; done
done

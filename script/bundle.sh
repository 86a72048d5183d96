#!/usr/bin/env bash
# Builds the action into the folder given (default dist/): the stage itself, then the jq worker
# as a bundle of its own in jq-worker/, since a worker thread runs a file of its own and ncc
# would copy one named by `new URL(..., import.meta.url)` unbundled (see src/smoke/jq.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
rm -rf "$out"
npx ncc build src/index.ts -o "$out" --license licenses.txt
npx ncc build src/smoke/jq-worker.ts -o "$out/jq-worker" --license licenses.txt

#!/usr/bin/env bash
# Fails when the committed dist/ differs from a fresh build of src/.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
bash script/bundle.sh "$fresh" >/dev/null
if ! diff -r -q dist "$fresh" >/dev/null; then
  echo "dist/ is not what src/ builds to; run 'npm run bundle' and commit dist/." >&2
  diff -r -q dist "$fresh" >&2 || true
  exit 1
fi
echo "dist/ is current"

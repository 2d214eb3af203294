#!/usr/bin/env bash
# proto.sh          regenerates proto/**/*.pb.go from the .proto files
# proto.sh --check  fails when the committed generated code is stale
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh
export PATH="$(go env GOPATH)/bin:$PATH"
buf lint
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  cp -r proto "$tmp/committed"
  buf generate
  if ! diff -r "$tmp/committed" proto >/dev/null; then
    diff -r "$tmp/committed" proto | head -40 >&2 || true
    rm -rf proto && cp -r "$tmp/committed" proto
    echo "proto: the committed generated code is stale; run 'make proto' and commit" >&2
    exit 1
  fi
  echo "proto: generated code is fresh"
else
  buf generate
fi

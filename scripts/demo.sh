#!/usr/bin/env bash
# make demo: host + vendorsim + a demo customer with one integration per
# simulated vendor. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./scripts/demo "$@"

#!/usr/bin/env bash
# make bench: builds release binaries and prints the benchmark figures (no assertions).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -warnings-as-errors >/dev/null
exec python3 scripts/bench.py "$(swift build -c release --show-bin-path)" "$@"

#!/usr/bin/env bash
# Checks that run after `swift test`: things that are not XCTest cases but must hold.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/debug

# The CLIs print real usage.
"$bin/labctl" --help >/dev/null
"$bin/labsvc" --help >/dev/null
echo "checks: CLI usage ok"

# Files derived from lab manifests are up to date (every manifest parses, nothing is stale).
"$bin/labctl" gen --check
echo "checks: generated files ok"

#!/usr/bin/env bash
# make lab WEEK=n: with a Docker engine, the compose path; without, the native path.
set -euo pipefail
cd "$(dirname "$0")/.."
week="${1:-}"
labctl=.build/release/labctl
if [[ -z "$week" ]]; then
  exec "$labctl" list
fi
exec "$labctl" compare "$week"

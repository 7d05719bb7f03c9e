#!/usr/bin/env bash
# What starting a lab's RabbitMQ node costs: a fresh database vs the copied template
# (RabbitMQNodeTemplate), wall time and CPU time of the node's processes. ROUNDS=3 by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --build-tests >/dev/null
RABBITMQ_STARTUP_BENCHMARK="${ROUNDS:-3}" swift test --skip-build --filter RabbitMQStartupBenchmark 2>&1 \
  | sed -n '/^| round/,/^$/p'

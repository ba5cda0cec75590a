#!/usr/bin/env bash
# npm run bench: installs what the benchmarks need on a fresh Debian machine (the peers Millrace is
# compared with, librdkafka's Python binding, iperf3), then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_npm_packages
ensure_debian_packages kcat python3-confluent-kafka redis-server nats-server rabbitmq-server iperf3 etcd-server postgresql
exec node --conditions=development bench/main.ts

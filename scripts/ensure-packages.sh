#!/usr/bin/env bash
# The tests drive real Debian packages: Chromium (/usr/bin/chromium) for the browser tests,
# redis-server for the Redis engine, mosquitto and postgresql for the source bridges. Install
# whichever is missing when we can (root with apt: one `apt-get update`, then one
# `apt-get install`); otherwise say how.
set -euo pipefail
CHROMIUM="${PULSE_CHROMIUM:-/usr/bin/chromium}"
REDIS_SERVER="${PULSE_REDIS_SERVER:-redis-server}"

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
command -v "$REDIS_SERVER" >/dev/null 2>&1 || missing+=(redis-server)
[ -x "${PULSE_MOSQUITTO:-/usr/sbin/mosquitto}" ] || missing+=(mosquitto)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PULSE_PG_BIN:-}" ] || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]}..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing for the tests: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}), or set PULSE_CHROMIUM / PULSE_REDIS_SERVER / PULSE_MOSQUITTO / PULSE_PG_BIN." >&2
  exit 1
fi

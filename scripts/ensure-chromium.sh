#!/usr/bin/env bash
# Debian's Chromium for the browser test (test/docs-browser.e2e-spec.ts): installed when missing.
# Used by .ci/run and by the test run itself, so that `npm ci && npm test` works on a fresh machine.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The browser test needs Chromium at $CHROMIUM: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser test..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }

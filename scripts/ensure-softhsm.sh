#!/usr/bin/env bash
# Debian's SoftHSM2 (a PKCS#11 token in software) and OpenSC's pkcs11-tool for the HSM tests
# (test/hsm-custody.e2e-spec.ts): installed when missing, as ensure-chromium.sh does Chromium.
set -euo pipefail
MODULE="${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
[ -e "$MODULE" ] && command -v softhsm2-util >/dev/null 2>&1 && command -v pkcs11-tool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The HSM tests need SoftHSM2 and pkcs11-tool: apt-get install -y softhsm2 opensc (or set SOFTHSM2_MODULE)" >&2
  exit 1
fi
echo "Installing Debian's softhsm2 and opensc for the HSM tests..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq softhsm2 opensc >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq softhsm2 opensc >/dev/null; }

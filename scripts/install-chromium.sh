#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it by executable_path;
# Playwright's own browser download cannot work here). Installs only if missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: /usr/bin/chromium is missing; run as root: apt-get install -y chromium" >&2
  exit 1
fi
echo "install-chromium: installing Debian's chromium"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

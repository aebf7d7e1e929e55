#!/usr/bin/env bash
# Make sure a Chromium is available for the browser tests and image export.
# Installs Debian's package when missing and we are root with apt; otherwise says what to do.
set -u
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium (browser tests, image export)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && \
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null && exit 0
  echo "warning: apt-get could not install chromium; browser tests will be skipped" >&2
  exit 0
fi
echo "note: no chromium found; browser tests will be skipped (install your distribution's chromium or set CHROMIUM_PATH)" >&2
exit 0

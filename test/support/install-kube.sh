#!/usr/bin/env bash
# Builds a real kube-apiserver and etcd from the Go module proxy for the cluster tests, and prints the
# folder holding them. Cached in .kube-bin/ by version: the first build takes about 11 minutes on 2 cores,
# later runs none. Progress goes to stderr.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the staging modules (k8s.io/api,
# k8s.io/apiserver, ...) with ./staging/... paths. A throwaway module requires it and replaces each staging
# module with its published v0.<minor>.<patch>. etcd likewise: go.etcd.io/etcd/server/v3 replaces its sibling
# modules with ../ paths, so they are required at the same version.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}
here=$(cd "$(dirname "$0")/../.." && pwd)
out="$here/.kube-bin"
stamp="$out/versions"
say() { echo "splitplane: $*" >&2; }

recipe="$K8S_VERSION $ETCD_VERSION r2"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$recipe" ]; then
  echo "$out"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  say "Go is needed to build kube-apiserver and etcd (https://go.dev/dl/, or apt-get install golang)"
  exit 1
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local}

# The staging modules a Kubernetes release replaces, read from its own go.mod.
staging_minor="v0.${K8S_VERSION#v1.}"
say "reading k8s.io/kubernetes@$K8S_VERSION's go.mod from the Go module proxy ..."
gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
mapfile -t staged < <(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | sort -u)
say "${#staged[@]} staging modules, each at $staging_minor"

build() { # name package ldflags [go mod edits...]
  local name=$1 package=$2 ldflags=$3
  mkdir -p "$work/$name"
  (
    cd "$work/$name"
    go mod init "splitplane.local/build-$name" >/dev/null 2>&1
    # A program is imported only under a build tag, so that go mod tidy records its modules.
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >tools.go
    shift 3
    for edit in "$@"; do go mod edit "$edit"; done
    say "$name: resolving modules ..."
    go mod tidy >&2
    say "$name: compiling $package (minutes on 2 cores) ..."
    go build -trimpath -ldflags="-s $ldflags" -o "$out/$name.new" "$package" >&2
  )
  mv "$out/$name.new" "$out/$name"
}

edits=("-require=k8s.io/kubernetes@$K8S_VERSION")
for m in "${staged[@]}"; do edits+=("-replace=$m=$m@$staging_minor"); done
# The version it reports (/version, its logs), as a release build stamps it.
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
stampv="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
stampv="$stampv -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$stampv" "${edits[@]}"

etcd_edits=("-require=go.etcd.io/etcd/server/v3@$ETCD_VERSION")
for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do etcd_edits+=("-replace=go.etcd.io/etcd/$m=go.etcd.io/etcd/$m@$ETCD_VERSION"); done
build etcd go.etcd.io/etcd/server/v3 "" "${etcd_edits[@]}"

echo "$recipe" >"$stamp"
say "kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION built in $out"
echo "$out"

#!/usr/bin/env bash
# Installs the code generators `make proto` needs, at pinned versions, into
# $(go env GOPATH)/bin when they are missing or at another version. They
# come from the Go module proxy like any module.
set -euo pipefail
gobin="$(go env GOPATH)/bin"
mkdir -p "$gobin"
need() { # name version module
  local bin="$gobin/$1"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "${2#v}"; then return; fi
  echo "installing $1 $2" >&2
  GOBIN="$gobin" GOFLAGS=-mod=mod go install "$3@$2"
}
need buf v1.75.0 github.com/bufbuild/buf/cmd/buf
need protoc-gen-go v1.36.12 google.golang.org/protobuf/cmd/protoc-gen-go
need protoc-gen-go-grpc v1.6.2 google.golang.org/grpc/cmd/protoc-gen-go-grpc

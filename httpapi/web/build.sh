#!/bin/sh
# Rebuilds the committed WebAssembly assets of the web interface:
# static/amana.wasm (package ../../cmd/amana-wasm) and static/wasm_exec.js (the loader of
# the Go toolchain that built it). The flags are fixed so that the same Go
# version gives the same bytes; .ci/web.sh checks that it does. The Go
# version that built them is recorded in GO_VERSION.
set -eu
cd "$(dirname "$0")"
GOOS=js GOARCH=wasm CGO_ENABLED=0 GOFLAGS=-mod=readonly \
	go build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o static/amana.wasm ../../cmd/amana-wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" static/wasm_exec.js
chmod 0644 static/amana.wasm static/wasm_exec.js
go env GOVERSION > GO_VERSION

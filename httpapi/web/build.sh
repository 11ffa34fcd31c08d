#!/bin/sh
# Rebuilds the committed WebAssembly assets of the web interface:
# static/amana.wasm (package ../../cmd/amana-wasm) and static/wasm_exec.js (the loader of
# the Go toolchain that built it). The Go linker's output is then shrunk by
# Binaryen's wasm-opt (npm package binaryen, pinned in package-lock.json):
# about 9% smaller, same behaviour. The flags and both tools' versions are
# fixed so that the same Go version gives the same bytes; .ci/web.sh checks
# that it does. The Go version that built them is recorded in GO_VERSION.
set -eu
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/wasm-opt ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOOS=js GOARCH=wasm CGO_ENABLED=0 GOFLAGS=-mod=readonly \
	go build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$tmp/amana.wasm" ../../cmd/amana-wasm
# Go's WebAssembly uses sign extension, saturating conversions and bulk
# memory; every browser the interface supports has them.
node_modules/.bin/wasm-opt -Oz --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
	"$tmp/amana.wasm" -o static/amana.wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" static/wasm_exec.js
chmod 0644 static/amana.wasm static/wasm_exec.js
go env GOVERSION > GO_VERSION

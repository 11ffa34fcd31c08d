#!/bin/sh
# Web interface checks: Debian's chromium for the browser tests, and the
# committed WebAssembly rebuilt to the same bytes.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi
# The same Go version gives the same bytes; another one cannot be compared.
built=$(cat httpapi/web/GO_VERSION)
have=$(go env GOVERSION)
if [ "$built" != "$have" ]; then
	echo "web.sh: assets were built with $built, this is $have: not comparing bytes" >&2
	exit 0
fi
./httpapi/web/build.sh
if ! git diff --exit-code --stat -- httpapi/web/static/amana.wasm httpapi/web/static/wasm_exec.js httpapi/web/GO_VERSION; then
	echo "web.sh: httpapi/web/static differs from a rebuild: run httpapi/web/build.sh and commit the result" >&2
	exit 1
fi

#!/bin/sh
# Web interface checks: Debian's chromium for the browser tests, the type
# check of the page's ES modules (tsc from httpapi/web/package-lock.json),
# and the committed WebAssembly rebuilt to the same bytes.
set -eu
cd "$(dirname "$0")/.."
need=""
{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || need="chromium chromium-driver"
command -v npm >/dev/null 2>&1 || need="$need nodejs npm"
if [ -n "$need" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086 # a list of packages
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
fi
# The tools of package-lock.json: TypeScript's compiler and Binaryen's wasm-opt.
(cd httpapi/web && npm ci --no-audit --no-fund --loglevel=error)
# JSDoc types of every module against each other and amana-wasm.d.ts;
# tsconfig.json says what is checked and how strictly. Any error fails.
echo "+ (cd httpapi/web && tsc --noEmit --checkJs)"
(cd httpapi/web && node_modules/.bin/tsc --noEmit --checkJs)
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

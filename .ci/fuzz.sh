#!/usr/bin/env bash
# Run every Go fuzz target in the repository for a short time each.
#
#   FUZZTIME=5s bash .ci/fuzz.sh            # all targets, 5 s each (default)
#   FUZZTIME=45s FUZZ_FILTER=Deposit bash .ci/fuzz.sh   # only names matching a regexp
#   FUZZMINIMIZETIME=60s bash .ci/fuzz.sh   # longer minimization (default 300x: 300 runs)
#
# Targets are discovered with grep (func FuzzXxx(f *testing.F) in *_test.go),
# so a new target runs here without editing this file. Every target runs
# even after a failure; the script exits non-zero if any target found a
# failing input (go test writes it to the package's testdata/fuzz/FuzzXxx/,
# where it then runs as a regression test with plain go test) or did not
# build.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-5s}
# Minimizing each new input runs for up to this long (a duration or a count
# like 300x); stateful targets (a growing vault) find "new" coverage often,
# and the default 60 s would leave them no time to fuzz.
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-300x}
FUZZ_FILTER=${FUZZ_FILTER:-.}

targets=$(grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
	| grep -v '^\./vendor/' \
	| while IFS=: read -r file decl; do
		name=${decl#func }
		echo "$(dirname "$file") ${name%%(*}"
	done | sort -u)

if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

failed=()
ran=0
while read -r dir name; do
	[[ "$name" =~ $FUZZ_FILTER ]] || continue
	ran=$((ran + 1))
	echo "=== fuzz $dir $name ($FUZZTIME)"
	for attempt in 1 2 3; do
		out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime="$FUZZMINIMIZETIME" "$dir" 2>&1)
		status=$?
		printf '%s\n' "$out"
		# The fuzzing engine can give up with "context deadline exceeded"
		# when its time ends in the middle of minimizing an input, on a busy
		# machine; that writes no failing input. Run such a target again (twice at most);
		# a real finding always leaves a file under testdata/fuzz.
		if [ $status -ne 0 ] && [ $attempt -lt 3 ] && grep -q 'context deadline exceeded' <<<"$out" &&
			[ -z "$(git status --porcelain -- "$dir/testdata/fuzz/$name")" ]; then
			echo "fuzz.sh: $name stopped on the engine's deadline without a finding; again"
			continue
		fi
		[ $status -eq 0 ] || failed+=("$dir $name")
		break
	done
done <<<"$targets"

echo
echo "fuzz.sh: $ran targets run for $FUZZTIME each"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: FAILED:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	echo "failing inputs are under each package's testdata/fuzz/<FuzzName>/" >&2
	exit 1
fi
echo "fuzz.sh: no findings"

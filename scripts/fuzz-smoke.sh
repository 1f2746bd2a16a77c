#!/bin/sh
# A short run of every libFuzzer harness over its seed corpus (docs/fuzzing.md has longer runs).
set -eu
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-10}
found=0
# Crashing or slow inputs land here, never in the source tree.
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
for f in $(find "$build/fuzz" -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | sort); do
	name=$(basename "$f")
	corpus="fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	echo "fuzz-smoke: $name for ${secs}s"
	"$f" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$artifacts/$name-" \
		"$work" >"$work.log" 2>&1 || {
		tail -40 "$work.log"
		echo "fuzz-smoke: $name FAILED (inputs kept in $artifacts)"
		exit 1
	}
	rm -rf "$work" "$work.log"
	found=$((found + 1))
done
echo "fuzz-smoke: $found harnesses ran clean"

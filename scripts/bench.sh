#!/bin/sh
# Run every benchmark of a build directory; each prints its own figures and ratio.
set -eu
build=${1:-build}
for b in $(find "$build/bench" -type f -name 'bench_*' -perm -u+x 2>/dev/null | sort); do
	echo "== $b"
	"$b"
done

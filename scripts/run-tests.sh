#!/bin/sh
# Run the meson test suite of one build directory; print failing tests' logs.
set -eu
build=${1:-build}
meson test -C "$build" --print-errorlogs --num-processes 2

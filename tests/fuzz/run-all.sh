#!/bin/sh
# CI entry for the fuzz targets: configure build-fuzz with clang when it does not exist
# yet, build the targets, run each for ${FUZZ_SECONDS:-60} s one after the other, and print
# one TAP line per target. Exits non-zero when a target crashed (its input is left under
# build-fuzz/tests/fuzz/work/<target>/artifacts/) or when the build failed.
#
#   tests/fuzz/run-all.sh                  # every target, 60 s each
#   FUZZ_SECONDS=600 tests/fuzz/run-all.sh jsonrpc inspector
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
targets=${*:-framer jsonrpc inspector policy paths urls commands redact}

if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" "$top" -Dfuzzing=true
fi
exes=
specs=
for t in $targets; do
        exes="$exes tests/fuzz/fuzz-$t"
        specs="$specs $t=$build/tests/fuzz/fuzz-$t"
done
# shellcheck disable=SC2086
ninja -C "$build" $exes
# shellcheck disable=SC2086
exec "$top/tests/fuzz/fuzz.sh" --src "$top/tests/fuzz" --work "$build/tests/fuzz/work" $specs

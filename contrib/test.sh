#!/bin/bash
# The whole test suite, from a fresh clone: install what is missing, build twice (build/
# plain, build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer and the test-only
# hooks that make the relay attempt escapes for test_selfconfine), run every meson
# test of both (the integration tests run each case as root and again as nobody), run
# test_basics under valgrind memcheck, then the libFuzzer targets for a bounded time, then
# count TAP results over all of it. The last line is `tests: N passed, N failed, N skipped`;
# the exit status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

contrib/setup.sh </dev/null

configure() { # DIR [meson options...]
        local dir=$1; shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@"
        fi
}

status=0
for spec in "build" "build-asan -Dsanitize=true -Db_lundef=false -Dtest_hooks=true"; do
        read -r -a args <<<"$spec"
        dir=${args[0]}
        configure "${args[@]}"
        ninja -C "$dir"
        # Test logs land in $dir/meson-logs/testlog.{txt,json}; failures print their log.
        meson test -C "$dir" --print-errorlogs --num-processes 2 </dev/null || status=1
done

# test_basics under valgrind memcheck (~1.5 min), with mcpcage itself under valgrind: a
# guard that mcpcage still runs there (its spawn once did not, and only the whole valgrind
# setup, ~13 min here and not part of this script, would have said so; README, Tests).
meson test -C build --setup valgrind --print-errorlogs test_basics </dev/null || status=1

# The libFuzzer targets (clang), each for FUZZ_SECONDS (60 by default) over its seed
# corpus; a crash fails the run and leaves its input under build-fuzz/tests/fuzz/work/.
if command -v clang >/dev/null; then
        CC=clang configure build-fuzz -Dfuzzing=true
        ninja -C build-fuzz
        FUZZ_SECONDS="${FUZZ_SECONDS:-60}" meson test -C build-fuzz --suite fuzz --print-errorlogs \
                --num-processes 1 </dev/null || status=1
        fuzz_dir=build-fuzz
else
        echo "test.sh: clang is missing, the fuzz targets are not run" >&2
        fuzz_dir=
fi

python3 tests/summarize.py build build-asan build:valgrind $fuzz_dir || status=1
exit $status

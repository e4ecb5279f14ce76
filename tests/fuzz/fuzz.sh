#!/bin/sh
# Run libFuzzer targets one after the other, each for FUZZ_SECONDS (default 60), and print
# one TAP point per target. New inputs go to WORK/<name>/corpus (never the source tree);
# a crash leaves its input in WORK/<name>/artifacts and fails the point.
#
#   fuzz.sh --src tests/fuzz --work DIR NAME=EXECUTABLE...
#
# Environment: FUZZ_SECONDS (run time per target), FUZZ_ARGS (extra libFuzzer flags, e.g.
# "-jobs=2 -workers=2" on a machine with cores to spare).
set -u

src= work=
while [ $# -gt 0 ]; do
        case $1 in
        --src) src=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        *) break ;;
        esac
done
if [ -z "$src" ] || [ -z "$work" ] || [ $# -eq 0 ]; then
        echo "usage: $0 --src SRC --work DIR NAME=EXECUTABLE..." >&2
        exit 2
fi
seconds=${FUZZ_SECONDS:-60}

# Per-target libFuzzer flags: the framer needs lines longer than its 4 KiB head to reach
# the discard path; the JSON targets get a dictionary of the protocol's tokens.
target_flags() {
        case $1 in
        framer) echo "-max_len=20000" ;;
        jsonrpc|inspector|redact) echo "-dict=$src/dicts/jsonrpc.dict" ;;
        policy) echo "-dict=$src/dicts/policy.dict -max_len=8192" ;;
        paths) echo "-dict=$src/dicts/paths.dict" ;;
        urls) echo "-dict=$src/dicts/urls.dict" ;;
        commands) echo "-dict=$src/dicts/commands.dict" ;;
        *) ;;
        esac
}

echo "1..$#"
n=0 failed=0
for spec in "$@"; do
        n=$((n + 1))
        name=${spec%%=*}
        exe=${spec#*=}
        dir=$work/$name
        mkdir -p "$dir/corpus" "$dir/artifacts"
        log=$dir/fuzz.log
        start=$(date +%s)
        # shellcheck disable=SC2046,SC2086
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$dir/artifacts/" $(target_flags "$name") ${FUZZ_ARGS:-} \
                "$dir/corpus" "$src/corpus/$name" "$src/crashes/$name" >"$log" 2>&1
        rc=$?
        took=$(( $(date +%s) - start ))
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        # -fork mode prints no final stats: take the last "#<runs>" status line
        [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\)[: ].*/\1/p' "$log" | tail -n 1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        if [ $rc -eq 0 ]; then
                echo "ok $n - fuzz-$name: ${took}s, ${runs:-?} runs, ${cov:-cov: ?}"
        else
                failed=$((failed + 1))
                echo "not ok $n - fuzz-$name: exit $rc after ${took}s (log: $log)"
                grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*runtime error)|Test unit written to' \
                        "$log" | head -n 20 | sed 's/^/#   /'
                echo "#   minimise: $exe -minimize_crash=1 -runs=100000 -exact_artifact_path=$src/crashes/$name/<name> <artifact>"
        fi
done
[ $failed -eq 0 ]

#!/bin/sh
# Runs every test and ends with "N passed, N failed[, N skipped]".
#
#   unit:        $BUILD/tests/test_*  (cmocka; each test case counts)
#   fuzz:        $BUILD/fuzz/fuzz_*   run over tests/fuzz/corpus/fuzz_*/,
#                beside the static and integration tests (one core each)
#   static:      tests/static/*.sh, the tree's rules and style, read
#                from the sources and objects, printing lines as below
#   integration: tests/integration/*.sh, each printing lines
#                  ok NAME | not ok NAME | skip NAME: reason
#                and exiting non-zero when a case failed.
# TESTS=pattern limits the run to files whose name matches the pattern.
set -u
BUILD=${PIRACK_BUILD:-build}
export PIRACK_BUILD="$BUILD"
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
pattern=${TESTS:-}
log_dir="$BUILD/test-logs"
mkdir -p "$log_dir"
passed=0 failed=0 skipped=0
failures=""

want() { [ -z "$pattern" ] || case "$1" in *$pattern*) return 0 ;; *) return 1 ;; esac; }

run_unit() {
    bin=$1 name=$(basename "$1") out="$log_dir/$name.log"
    "$bin" >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    p=${p:-0} f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed
    passed=$((passed + p)) failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        failures="$failures $name"
        echo "FAIL $name ($f failed, log: $out)"; tail -n 30 "$out"
    else
        echo "ok   $name ($p cases)"
    fi
}

# One fuzz target: its committed corpus as a regression suite, then a
# short fresh run (FUZZ_SMOKE_S seconds, 3 by default: depth is `make
# fuzz-long`'s job, and the whole suite must stay under 20 minutes on 2
# cores).  Prints "ok NAME ..." or "FAIL NAME ..." and the log's tail.
fuzz_one() {
    bin=$1 name=$(basename "$1") corpus="tests/fuzz/corpus/$(basename "$1")"
    out="$log_dir/$name.log"
    if [ ! -d "$corpus" ]; then
        echo "FAIL $name: no corpus at $corpus"; return
    fi
    if nice -n 10 "$bin" -runs=0 "$corpus" >"$out" 2>&1 &&
       nice -n 10 "$bin" -max_total_time="${FUZZ_SMOKE_S:-3}" -timeout=5 -rss_limit_mb=2048 \
           -artifact_prefix="$log_dir/$name-" >>"$out" 2>&1; then
        echo "ok   $name (corpus + ${FUZZ_SMOKE_S:-3} s)"
    else
        echo "FAIL $name (log: $out)"; tail -n 30 "$out"
    fi
}

# The fuzzers use one core while the integration tests, which mostly
# wait on timers and peers, use the other: they run beside each other,
# niced, and their results are counted at the end.
start_fuzz() {
    fuzz_report="$log_dir/fuzz-report.txt"
    : >"$fuzz_report"
    (
        for t in "$BUILD"/fuzz/fuzz_*; do
            [ -x "$t" ] && want "$t" && fuzz_one "$t"
        done
    ) >"$fuzz_report" 2>&1 </dev/null &
    fuzz_pid=$!
}

finish_fuzz() {
    wait "$fuzz_pid"
    cat "$fuzz_report"
    p=$(grep -c '^ok ' "$fuzz_report") f=$(grep -c '^FAIL ' "$fuzz_report")
    passed=$((passed + p)) failed=$((failed + f))
    [ "$f" -eq 0 ] || failures="$failures $(sed -n 's/^FAIL \([^ :]*\).*/\1/p' "$fuzz_report" | tr '\n' ' ')"
}

run_integration() {
    script=$1 name=$(basename "$1" .sh) out="$log_dir/$name.log"
    echo "---- $name"
    started=$(date +%s)
    timeout --kill-after=10 900 sh "$script" >"$out" 2>&1 </dev/null
    rc=$?
    took=$(($(date +%s) - started))
    echo "$took $name" >>"$times"
    p=$(grep -c '^ok ' "$out") f=$(grep -c '^not ok ' "$out") s=$(grep -c '^skip ' "$out")
    grep -E '^(ok|not ok|skip) ' "$out" | sed 's/^/     /'
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1; echo "     not ok $name: exited $rc (timeout or crash)"
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    echo "     ($took s)"
    if [ "$f" -ne 0 ]; then
        failures="$failures $name"
        echo "     log: $out"; tail -n 40 "$out" | sed 's/^/     | /'
    fi
}

# Caches that slow tests build (a debootstrapped root) are made from the
# start, beside the unit tests; what fails here is made again, or
# reported, by the test itself.
prefetch_names=""
for t in tests/integration/*.sh; do
    want "$t" && prefetch_names="$prefetch_names $(basename "$t" .sh)"
done
# shellcheck disable=SC2086 # the names are words
sh tests/lib/prefetch.sh $prefetch_names >"$log_dir/prefetch.log" 2>&1 </dev/null &

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && want "$t" && run_unit "$t"
done
start_fuzz
times="$log_dir/times.txt"   # seconds per static/integration test
: >"$times"
for t in tests/static/*.sh tests/integration/*.sh; do
    [ -f "$t" ] && want "$t" && run_integration "$t"
done
finish_fuzz
echo "slowest tests (seconds, all in $times):"
sort -rn "$times" | head -n 8 | sed 's/^/     /'

[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

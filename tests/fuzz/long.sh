#!/bin/sh
# make fuzz-long: every libFuzzer target for FUZZ_RUNS executions (10
# million by default) from its committed corpus.  New inputs go to
# $BUILD/fuzz-long/NAME/corpus (the committed corpus is only read), a
# crash or leak to $BUILD/fuzz-long/NAME/crash-* etc.  Prints one line
# per target and writes the same table to $BUILD/fuzz-long/summary.md,
# ready for docs/testing.md:
#
#   | target | runs | seconds | exec/s | cov | ft | corpus | findings |
#
# A finding becomes a corpus file under tests/fuzz/corpus/NAME/ and a
# unit test (docs/testing.md).  Exits non-zero when any target found
# something.  FUZZ_TARGETS="fuzz_dhcp fuzz_tftp" runs only those.
# FUZZ_MAX_TIME=SECONDS stops each target after that long even short of
# FUZZ_RUNS (libFuzzer's -max_total_time): the table then shows the runs
# made, so a cut run is recorded as partial rather than lost.
set -u
BUILD=${PIRACK_BUILD:-build}
RUNS=${FUZZ_RUNS:-10000000}
MAX_TIME=${FUZZ_MAX_TIME:-0}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
out="$BUILD/fuzz-long"
mkdir -p "$out"
summary="$out/summary.md"
{
    echo "FUZZ_RUNS=$RUNS, $(date -u +%Y-%m-%d), $(git rev-parse --short HEAD 2>/dev/null), $(nproc) CPUs"
    echo
    echo "| target | runs | seconds | exec/s | cov | ft | corpus | findings |"
    echo "|---|---|---|---|---|---|---|---|"
} >"$summary"
found=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    case " ${FUZZ_TARGETS:-$name} " in *" $name "*) ;; *) continue ;; esac
    dir="$out/$name"
    mkdir -p "$dir/corpus"
    t0=$(date +%s)
    "$bin" -runs="$RUNS" -max_total_time="$MAX_TIME" -print_final_stats=1 -artifact_prefix="$dir/" \
        "$dir/corpus" "tests/fuzz/corpus/$name" >"$dir/log" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    last=$(grep -E '^#[0-9]+' "$dir/log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
    findings=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) | wc -l)
    [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ] && findings="exit $rc"
    [ "$findings" != 0 ] && found=1
    line="| $name | ${runs:-?} | $secs | ${eps:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $findings |"
    echo "$line" >>"$summary"
    echo "$line"
done
echo "summary: $summary"
exit $found

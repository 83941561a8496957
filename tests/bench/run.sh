#!/bin/sh
# `make bench`: runs every tests/bench/bench_*.sh.  Each one runs pirack and
# its peer on the same work in the same run and prints the ratio.  Results
# worth keeping go to docs/PERFORMANCE.md with the command that made them.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
rc=0
for b in tests/bench/bench_*.sh; do
    [ -f "$b" ] || continue
    case "$b" in *${BENCH:-}*) ;; *) continue ;; esac
    echo "==== $(basename "$b" .sh)"
    sh "$b" || rc=1
done
exit $rc

#!/bin/sh
# `make demo`'s story, on a small rack: tests/rack/demo.sh with 4 slots
# (the fault act has 4 Pis of its own).  Bring-up learns every board with
# none assigned by hand and all boot; in the fault act Pi 2, which stops
# answering after every boot, is cycled, reimaged and quarantined with its
# port off, and Pi 3, faulty once, recovers at its first cycle.  The demo
# is what an operator runs first: this keeps it true.
. "$(dirname "$0")/../lib/common.sh"
need_root demo_story
for t in jq snmpd; do
    command -v $t >/dev/null || { skip demo_story "$t is not installed (make deps)"; exit 0; }
done
[ -x "$BIN/pisim" ] || { skip demo_story "the Pi simulator is not built"; exit 0; }

log=$TEST_TMP/demo.log
DEMO_SLOTS=4 DEMO_TIMEOUT=120 DEMO_FAULT_TIMEOUT=180 PIRACK_BUILD="$BUILD" \
    timeout -k 10 400 sh "$TOP/tests/rack/demo.sh" >"$log" 2>&1 </dev/null
rc=$?
check "the demo exits 0 (rc $rc)" test "$rc" -eq 0
check "bring-up learns all 4 boards, none assigned by hand" \
    grep -q '^bring-up 1: 4 slots: 4 new, 0 same, 0 moved (0 swapped pairs), 0 replaced, 0 empty, 0 failed' "$log"
check "all 4 boot" grep -q '^4 Pis: 4 booted, 0 failed, 0 still booting, 0 off' "$log"
check "Pi 2 is cycled max_cycles (2) times" sh -c "test \$(grep -cE '^[0-9]+ +[0-9-]+ [0-9:]+ +2 +health.cycle ' '$log') -eq 2"
check "then reimaged" sh -c "grep -qE '^[0-9]+ +[0-9-]+ [0-9:]+ +2 +health.reimage ' '$log'"
check "then quarantined" sh -c "grep -qE '^[0-9]+ +[0-9-]+ [0-9:]+ +2 +health.quarantined ' '$log'"
check "Pi 3 recovers at its first cycle" \
    sh -c "grep -E '^[0-9]+ +[0-9-]+ [0-9:]+ +3 +health.recovered ' '$log' | grep -q '\"cycles\":1,\"reimages\":0' &&
           test \$(grep -cE '^[0-9]+ +[0-9-]+ [0-9:]+ +3 +health.cycle ' '$log') -eq 1"
check "the rack at the end: 2 quarantined with its port off, 1, 3 and 4 up" \
    sh -c "grep -qx 'slot 1: up' '$log' && grep -qx 'slot 2: quarantined' '$log' &&
           grep -qx 'slot 3: up' '$log' && grep -qx 'slot 4: up' '$log' &&
           grep -qE '^2 +quarantined +off ' '$log'"
[ "$PR_FAILED" = 0 ] || tail -n 60 "$log"

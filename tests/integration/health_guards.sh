#!/bin/sh
# The ladder's rack-wide guard against a sick host: when more than
# max(2, 20%) of the rack is unhealthy at once, automatic remediation
# pauses, with an event and a metric saying why, and no Pi is touched
# until it resumes.  Three Pis of three stop answering after they boot:
# either all three fail within one tick of the ladder, which then stays
# paused, or two are cycled first (max_remediating), which counts them as
# unhealthy too, so the third pauses the ladder until the two recover.  Then the switch
# stops answering: the self-check pauses it again.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root health_guards
command -v jq >/dev/null || { skip health_guards "jq not installed"; exit 0; }
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip health_guards "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"

health_rack health_guards 3 || exit 1
rack_bootfiles "$TEST_TMP/boot/default"
rack_slot_files "$TEST_TMP/boot" 3
cat >>"$CONF" <<EOF
[health]
probe = yes
port = 22
interval = 1s
probe_timeout = 500ms
unhealthy_after = 1
remediation = yes
power_gap = 1s
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "health_guards: pirackd starts"; exit 1; }
V6=""
for i in $(seq 1 3); do
    V6="$V6 --v6 $i=$(cli --json show "$i" | jq -r .addresses.v6.pi)"
done
state_is() { [ "$(cli --json show "$1" | jq -r .state)" = "$2" ]; }
# Each stops answering 8 s after its boot: all three are up before any
# is unhealthy, so they fail within a second or two of each other.
# shellcheck disable=SC2086
ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 1000 --timeout 120 \
    --health-port 22 $V6 --hang-ms 8000 --fault 1:hang-after-boot --fault 2:hang-after-boot \
    --fault 3:hang-after-boot pi001 pi002 pi003 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"

rack_event() { cli --json events | jq -e --arg k "$1" 'any(.events[]; .kind == $k)' >/dev/null; }
all_up() { state_is 1 up && state_is 2 up && state_is 3 up; }
paused_metric() {
    ip netns exec "$HOST" curl -s --unix-socket "$PIRACK_SOCK" http://x/metrics |
        grep -q '^pirack_health_remediation_paused{reason="too-many-unhealthy"} 1'
}
# health.* kinds in order, one per line
ladder() { cli --json events | jq -r '.events[] | select(.kind | startswith("health.")) | .kind'; }

cli power on all >/dev/null 2>&1
check "guards: all three come up" wait_for 60 all_up
if command -v curl >/dev/null; then
    check "guards: while paused, the metric says why" wait_for 30 paused_metric
fi
check "guards: remediation pauses: health.paused" wait_for 30 rack_event health.paused
check "guards: the event says why" sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events | jq -e 'any(.events[]; .kind == \"health.paused\" and .detail.reason == \"too-many-unhealthy\")' >/dev/null"
ladder >"$TEST_TMP/ladder"
before=$(sed '/^health.paused$/q' "$TEST_TMP/ladder" | grep -c '^health.cycle$')
check "guards: at most max_remediating (2) cycles before the pause" test "$before" -le 2
if [ "$before" -gt 0 ]; then
    # the Pis being cycled come back (for 8 s): fewer unhealthy, it resumes
    check "guards: remediation resumes once the Pis being cycled recover" \
        wait_for 60 rack_event health.resumed
else
    # all three failed within one tick: nothing is being repaired, and
    # nothing will be while the rack stays this sick
    sleep 5
    check "guards: the whole rack failed at once: it stays paused, no cycle" \
        sh -c "! $BUILD/pirack --socket $PIRACK_SOCK --json events | jq -e 'any(.events[]; .kind == \"health.cycle\" or .kind == \"health.resumed\")' >/dev/null"
fi
ladder >"$TEST_TMP/ladder"
check "guards: no cycle between health.paused and health.resumed" \
    sh -c "! sed -n '/^health.paused$/,/^health.resumed$/p' '$TEST_TMP/ladder' | grep -q '^health.cycle$'"

# The host's own fault: the switch stops answering.  The next power action
# fails and the self-check pauses remediation again, saying why.
snmp_sim_stop
self_check_paused() {
    cli --json events | jq -e 'any(.events[]; .kind == "health.paused" and .detail.reason == "self-check")' >/dev/null
}
check "guards: an unreachable switch pauses remediation (self-check)" wait_for 90 self_check_paused
check "guards: GET /v1/status says why" sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json status | jq -e '.remediation.paused == \"self-check\"' >/dev/null"
[ "$PR_FAILED" -eq 0 ] || cli events | grep -v ' boot\.\(dhcp\|firmware\|kernel\|powered\)'
pirackd_stop

#!/bin/sh
# The ladder when the fault is not the Pi's.  Two Pis behind a simulated
# SNMP switch: Pi 1 fetches its kernel and stops (its root is never
# mounted), Pi 2 boots, answers, then stops answering after 10 s.  Once
# Pi 2 is up the switch (snmpd) is stopped: the self-check's poll finds
# it unreachable and pauses all remediation, with an event and metrics
# naming the switch; both Pis fail meanwhile and nothing is asked of the
# switch.  snmpd starts again: remediation resumes, both are cycled.  Pi
# 1, which never mounted its root, is then quarantined without a reimage
# (a Pi that cannot reach its root points at the network or the switch,
# not at its root).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root health_selfcheck
command -v jq >/dev/null || { skip health_selfcheck "jq not installed"; exit 0; }
command -v snmpd >/dev/null || { skip health_selfcheck "snmpd not installed"; exit 0; }
command -v curl >/dev/null || { skip health_selfcheck "curl not installed"; exit 0; }
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip health_selfcheck "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"

health_rack health_selfcheck 2 || exit 1
rack_bootfiles "$TEST_TMP/boot/default"
rack_slot_files "$TEST_TMP/boot" 2
# An unanswered request fails after 300 ms; the self-check asks every second.
cat >>"$CONF" <<EOF
timeout = 300ms
retries = 0
[health]
probe = yes
port = 22
interval = 1s
probe_timeout = 500ms
unhealthy_after = 2
remediation = yes
max_cycles = 1
power_gap = 1s
switch_check = 1s
dhcp_deadline = 10s
tftp_deadline = 20s
root_deadline = 8s
up_deadline = 10s
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "health_selfcheck: pirackd starts"; exit 1; }
V6=""
for i in 1 2; do
    V6="$V6 --v6 $i=$(cli --json show "$i" | jq -r .addresses.v6.pi)"
done
# shellcheck disable=SC2086
ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 1000 --timeout 120 \
    --health-port 22 $V6 --hang-ms 10000 --fault 1:stop-after-tftp --fault 2:hang-after-boot \
    pi001 pi002 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"

state_is() { [ "$(cli --json show "$1" | jq -r .state)" = "$2" ]; }
metric() { ip netns exec "$HOST" curl -s --unix-socket "$PIRACK_SOCK" http://x/metrics | grep -qx "$1"; }
# every event as "KIND SLOT ACTOR", in order
timeline() {
    cli --json events | jq -r '.events[] | "\(.kind) \(.slot // 0) \(.actor // "")"' \
        >"$TEST_TMP/timeline"
}
paused_by_switch() {
    cli --json events | jq -e 'any(.events[]; .kind == "health.paused" and
        .detail.reason == "self-check" and .detail.check == "switch" and .detail.switch == "a")' \
        >/dev/null
}
rack_event() { cli --json events | jq -e --arg k "$1" 'any(.events[]; .kind == $k)' >/dev/null; }
has_event() { cli --json events --slot "$1" | jq -e --arg k "$2" 'any(.events[]; .kind == $k)' >/dev/null; }
health_kinds() {
    cli --json events --slot "$1" | jq -r '.events[].kind' | grep '^health\.' | tr '\n' ' '
}

cli power on all >/dev/null 2>&1
check "selfcheck: Pi 2 comes up" wait_for 30 state_is 2 up
check "selfcheck: the switch answers: reachable" metric 'pirack_power_switch_reachable{switch="a"} 1'

# ---- the switch stops answering ----
snmp_sim_stop
check "selfcheck: the unreachable switch pauses remediation: health.paused names it" \
    wait_for 10 paused_by_switch
check "selfcheck: pirack_power_switch_reachable{switch=a} 0" \
    metric 'pirack_power_switch_reachable{switch="a"} 0'
check "selfcheck: pirack_health_remediation_paused{reason=self-check} 1" \
    metric 'pirack_health_remediation_paused{reason="self-check"} 1'
check "selfcheck: GET /v1/status says why, and what failed" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json status | jq -e '.remediation.paused == \"self-check\" and (.remediation.self_check | startswith(\"switch a: \"))' >/dev/null"
check "selfcheck: pirack status says so" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK status | grep -q 'remediation.*paused: self-check (switch a: '"
check "selfcheck: Pi 1 fails meanwhile (root stage)" wait_for 30 state_is 1 failed
check "selfcheck: Pi 2 stops answering meanwhile: unhealthy" wait_for 30 state_is 2 unhealthy
sleep 3
timeline
check "selfcheck: while paused, no health step and no power request" \
    sh -c "! sed -n '/^health.paused /,\$p' '$TEST_TMP/timeline' | grep -q '^health\.cycle \|^power\.requested '"

# ---- it answers again ----
snmp_sim_restart || not_ok "selfcheck: snmpd starts again"
check "selfcheck: the switch answers again: health.resumed" wait_for 15 rack_event health.resumed
check "selfcheck: GET /v1/status: the self-check passes again" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json status | jq -e '.remediation.self_check == null' >/dev/null"
check "selfcheck: pirack_power_switch_reachable{switch=a} 1 again" \
    metric 'pirack_power_switch_reachable{switch="a"} 1'
check "selfcheck: remediation resumes: Pi 1 is cycled" wait_for 10 has_event 1 health.cycle
check "selfcheck: and Pi 2" wait_for 10 has_event 2 health.cycle

# ---- a root never mounted is not reimaged ----
check "root never mounted: Pi 1 fails again and is quarantined" wait_for 40 state_is 1 quarantined
kinds=$(health_kinds 1)
check "root never mounted: cycled, then quarantined, no reimage (saw: $kinds)" \
    sh -c "echo '$kinds' | grep -q 'health.cycle .*health.quarantined' && ! echo '$kinds' | grep -q health.reimage"
check "root never mounted: the quarantine names the root stage" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 1 | jq -e 'any(.events[]; .kind == \"health.quarantined\" and .detail.after == \"root\" and .detail.reimages == 0)' >/dev/null"
[ "$PR_FAILED" -eq 0 ] || { timeline; cat "$TEST_TMP/timeline"; }
pirackd_stop

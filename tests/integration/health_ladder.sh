#!/bin/sh
# Health probes and the remediation ladder against pirackd, a simulated
# SNMP switch and pisim.  Three Pis answer ssh banners on their IPv6
# addresses: Pi 1 is healthy, Pi 2 stops answering after every boot
# (hang-after-boot), Pi 3 only after its first.  pirackd probes, marks 2
# and 3 unhealthy and climbs the ladder: 3 recovers at its first cycle;
# 2 is cycled max_cycles times, its reimage cannot be done (it has no
# image), so it is quarantined: port off, state quarantined until pirack
# release.  pirackd is killed (-9) in the middle of Pi 2's ladder: the
# restarted daemon neither repeats a finished cycle nor forgets the one in
# flight.  A Pi healthy for healthy_reset has its counters reset; one the
# operator powers off is not repaired.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root health_ladder
command -v jq >/dev/null || { skip health_ladder "jq not installed"; exit 0; }
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip health_ladder "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"

health_rack health_ladder 3 || exit 1
rack_bootfiles "$TEST_TMP/boot/default"
rack_slot_files "$TEST_TMP/boot" 3
cat >>"$CONF" <<EOF
[health]
probe = yes
port = 22
interval = 1s
probe_timeout = 500ms
unhealthy_after = 2
remediation = yes
max_cycles = 2
power_gap = 1s
healthy_reset = 10s
dhcp_deadline = 10s
tftp_deadline = 30s
root_deadline = 15s
up_deadline = 15s
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "health_ladder: pirackd starts"; exit 1; }

V6=""
for i in 1 2 3; do
    V6="$V6 --v6 $i=$(cli --json show "$i" | jq -r .addresses.v6.pi)"
done
J=$TEST_TMP/pisim.json
# shellcheck disable=SC2086
ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 1000 --timeout 300 \
    --health-port 22 $V6 --fault 2:hang-after-boot --fault 3:hang-after-boot,once \
    --hang-ms 4000 --json "$J" pi001 pi002 pi003 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"

state_is() { [ "$(cli --json show "$1" | jq -r .state)" = "$2" ]; }
kinds() { cli --json events --slot "$1" | jq -r '.events[].kind' | grep '^health\.' | tr '\n' ' '; }
has_event() { cli --json events --slot "$1" | jq -e --arg k "$2" 'any(.events[]; .kind == $k)' >/dev/null; }
cycle_numbers() { cli --json events --slot "$1" | jq -r '[.events[] | select(.kind == "health.cycle") | .detail.cycle] | map(tostring) | join(",")'; }

cli power on all >/dev/null 2>&1
check "health: Pi 1 answers its probe: state up" wait_for 60 state_is 1 up
check "health: the up step is an event on the timeline" has_event 1 boot.up

# Pi 2 climbs the ladder; kill -9 once its first cycle is handed over.
check "health: Pi 2 stops answering: unhealthy, then cycled" wait_for 60 has_event 2 health.cycle
kill -9 "$PIRACKD_PID"
wait "$PIRACKD_PID" 2>/dev/null
PIRACKD_PID=""
pirackd_start "$HOST" "$CONF" || { not_ok "health_ladder: pirackd restarts"; exit 1; }

check "health: Pi 3 (faulty once) recovers at its first cycle" wait_for 90 has_event 3 health.recovered
check "health: Pi 3 was cycled exactly once" test "$(cycle_numbers 3)" = "1"
check "health: Pi 3 is up again" wait_for 20 state_is 3 up
check "health: healthy for healthy_reset (10 s), Pi 3's counters reset" wait_for 30 has_event 3 health.reset

check "health: Pi 2 ends quarantined" wait_for 150 state_is 2 quarantined
check "health: Pi 2 was cycled max_cycles (2) times, each once, across the kill -9" \
    test "$(cycle_numbers 2)" = "1,2"
check "health: its reimage was tried (no image: refused) before the quarantine" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 2 | jq -e '
        [.events[] | select(.kind | startswith(\"health.\")) | .kind]
        | (index(\"health.reimage\") < index(\"health.quarantined\"))' >/dev/null"
port_off() { test "$(port_byte "$1")" = 0; }
check "health: the quarantine turned its port off" wait_for 10 port_off 2
check "health: pirack slots says quarantined" sh -c "$BUILD/pirack --socket $PIRACK_SOCK slots | grep -q quarantined"
check "health: Pi 1 was never remediated" test -z "$(kinds 1)"
check "health: Pi 2's short healthy spells (4 s) never reset its counters" sh -c "! echo '$(kinds 2)' | grep -q health.reset"

# Power is not a way out of quarantine; release is.
cli power on 2 >/dev/null 2>&1
sleep 2
check "quarantine: a power-on leaves it quarantined" state_is 2 quarantined
cli power off 2 >/dev/null 2>&1
out=$(cli release 1 2>&1)
check "release: a slot that is not quarantined is refused (409)" \
    sh -c "echo '$out' | grep -q 'not quarantined'"
check "release: pirack release 2" cli release 2
check "release: state off" state_is 2 off
check "release: an event records who released it" has_event 2 health.released

# A customer's (or operator's) power-off is not repaired.
cli power off 1 >/dev/null 2>&1
check "power-off: Pi 1 goes off" wait_for 20 state_is 1 off
sleep 4
check "power-off: nothing tries to repair it" test -z "$(kinds 1)"

# The metrics say what was done.
command -v curl >/dev/null &&
check "metrics: remediations by step" sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json status >/dev/null; \
    ip netns exec $HOST curl -s --unix-socket $PIRACK_SOCK http://x/metrics | grep -q '^pirack_health_remediations_total{step=\"quarantine\"} 1'"
pirackd_stop

#!/bin/sh
# pirackd's power service end to end: API, CLI, store, events, against
# the switch simulators (snmpd v2c and v3, sshd with the procurve CLI),
# all inside one test namespace; and a pirackd killed between off and on.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root power_daemon
cd "$TOP"
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BUILD/pirack" ]; then
    skip power_daemon "pirackd or pirack not built"; exit 0
fi

NS=$(ns_new power) || { not_ok "namespace"; exit 1; }
SIM_NS=$NS
. "$TOP/tests/lib/poe_sim.sh"

sim_state_new 8
printf '11111111\n' >"$SIM_STATE"
snmp_sim_start || { not_ok "snmpd starts"; exit 1; }
ssh_sim_start procurve || { not_ok "sshd starts"; exit 1; }

CONF="$TEST_TMP/pirackd.conf"
write_conf() {   # HOLD
    rack_conf "$CONF" 8 flat lo
    cat >>"$CONF" <<EOF
[health]
boot_timeout = 5s
[power]
hold = $1
stagger = 0ms
max_booting = 8
profiles = $TOP/poe/profiles
[switch v2]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-2
port_base = 1
community = private
timeout = 500ms
retries = 1
[switch v3]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = cisco-ios
slots = 3-4
port_base = 3
snmp_version = 3
v3_user = $SNMP_V3_USER
v3_auth_key = $SNMP_V3_AUTH
v3_priv_key = $SNMP_V3_PRIV
timeout = 1s
[switch cli]
driver = ssh
address = 127.0.0.1:$SSH_PORT
profile = procurve
slots = 5-6
port_base = 5
ssh_user = root
ssh_key = $SSH_KEY
hostkey = $SSH_HOSTKEY_FP
timeout = 5s
EOF
}
write_conf 400ms
pirackd_start "$NS" "$CONF" || { not_ok "pirackd starts"; exit 1; }

api() {   # METHOD PATH [BODY] -> prints "STATUS BODY"
    ip netns exec "$NS" curl -s --unix-socket "$PIRACK_SOCK" -X "$1" -o "$TEST_TMP/api.body" \
        -w '%{http_code}' -H 'Content-Type: application/json' ${3:+-d "$3"} "http://pirack$2"
    printf ' '; cat "$TEST_TMP/api.body"
}
events_have() { cli --json events --slot "$1" | grep -q "$2"; }
out_has() { printf '%s' "$out" | grep -q -- "$1"; }
port_is() { [ "$(port_byte "$1")" = "$2" ]; }

# --- a cycle per driver, through the CLI; the port goes 1 -> 0 -> 1
for case in "2 SNMP-v2c" "3 SNMP-v3" "5 SSH"; do
    slot=${case%% *} name=${case#* }
    trace_start "$slot"
    cli power cycle "$slot" >"$TEST_TMP/cli.out" 2>&1
    rc=$?
    seen=$(trace_stop)
    check "$name: pirack power cycle $slot exits 0" test "$rc" -eq 0
    check "$name: port $slot went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"
    check "$name: event power.off for slot $slot" events_have "$slot" power.off
    check "$name: event power.on for slot $slot" events_have "$slot" power.on
done

out=$(api GET /metrics)
check "metrics: 3 cycles ok" out_has 'pirack_power_ops_total{action="cycle",outcome="ok"} 3'
check "metrics: round trips per switch" out_has 'pirack_power_switch_round_trips_total{switch="v3"} [1-9]'

# --- the API's answers
out=$(api POST /v1/slots/2/power '{"action":"off"}')
check "POST power off -> 202 with an op id" out_has '^202 .*"op"'
wait_for 5 port_is 2 0
check "slot 2 off on the switch" test "$(port_byte 2)" = 0
out=$(api GET /v1/slots/2/power)
check "GET power: store says off" out_has '"power": *"off"'
out=$(api POST /v1/slots/2/power '{"action":"dance"}')
check "bad action -> 400" out_has '^400 '
out=$(api POST /v1/slots/99/power '{"action":"on"}')
check "no such slot -> 404 no-such-slot" out_has '^404 .*no-such-slot'
out=$(api POST /v1/slots/8/power '{"action":"on"}')
check "slot without a switch -> 409 no-switch" out_has '^409 .*no-switch'
api POST /v1/slots/1/power '{"action":"cycle"}' >/dev/null
out=$(api POST /v1/slots/1/power '{"action":"off"}')
check "op in flight -> 409 busy" out_has '^409 .*busy'
wait_for 10 port_is 1 1

# --- a batch: off then on for slots 1-6, one command
cli power off all --yes </dev/null >"$TEST_TMP/cli.out" 2>&1
check "pirack power off all --yes (the 6 slots with a switch)" grep -q "6 of 6 slots done, 0 failed" "$TEST_TMP/cli.out"
check "ports 1-6 off" test "$(head -c 6 "$SIM_STATE")" = "000000"
t0=$(date +%s%N)
cli power on 1-3 --stagger 0.5 --max-booting 8 >"$TEST_TMP/cli.out" 2>&1
t1=$(date +%s%N)
check "pirack power on 1-3 --stagger 0.5" grep -q "3 of 3 slots done, 0 failed" "$TEST_TMP/cli.out"
check "staggered: 3 power-ons took at least 1 s" test $(( (t1 - t0) / 1000000 )) -ge 1000
# Slots 1-3 boot for 5 s (boot_timeout; no boot service here): with at
# most 4 booting rack-wide, only one of 4-6 may go on now.
cli power on 4-6 --stagger 0 --max-booting 4 --no-wait >/dev/null 2>&1
sleep 1.5
on_count() { head -c 6 "$SIM_STATE" | tail -c 3 | tr -d 0 | wc -c; }
check "max-booting 4: one of slots 4-6 on while 1-3 boot" test "$(on_count)" -eq 1
wait_for 15 test "$(on_count)" -eq 3
check "max-booting 4: the others follow as boots end" test "$(on_count)" -eq 3
# --json waits too, and says what each op came to in one document
cli --json power cycle 5-6 --stagger 0 >"$TEST_TMP/cli.json" 2>"$TEST_TMP/cli.err"
check "pirack --json power cycle 5-6: exit 0, one JSON document" \
    sh -c "jq -e '.action == \"cycle\" and .slots == \"5-6\" and .done == 2 and .failed == 0
           and (.ops | length) == 2 and all(.ops[]; .ok == true and .op > 0)' '$TEST_TMP/cli.json' >/dev/null"
check "... and nothing but it on stdout" test "$(wc -l <"$TEST_TMP/cli.json")" -eq 1
cli -q power cycle 6 >"$TEST_TMP/cli.out" 2>&1
check "pirack -q power cycle 6: exit 0, silent" sh -c "test $? -eq 0 && test ! -s '$TEST_TMP/cli.out'"
cli power status all >"$TEST_TMP/cli.out" 2>&1
check "pirack power status all lists live state" grep -q "delivering" "$TEST_TMP/cli.out"

# --- faults through the daemon
echo 'fault 4' >"$SIM_CTL"
cli power cycle 4 >"$TEST_TMP/cli.out" 2>&1
check "port fault: pirack power cycle fails" test $? -ne 0
check "port fault: the reason is shown" grep -q "power fault" "$TEST_TMP/cli.out"
: >"$SIM_CTL"
cli power on 4 >/dev/null 2>&1

snmp_sim_stop
t0=$(date +%s)
cli power off 1 >"$TEST_TMP/cli.out" 2>&1
rc=$?
t1=$(date +%s)
check "snmpd stopped: power off fails" test "$rc" -ne 0
check "snmpd stopped: clear error" grep -q "no answer" "$TEST_TMP/cli.out"
check "snmpd stopped: within 10 s" test $((t1 - t0)) -le 10
power_is() { cli --json power status "$1" | grep -q "\"power\": *\"$2\""; }
# The off got no answer: the switch may have applied it, so the store
# says neither on nor off until the port is read back.
check "snmpd stopped: store says unknown, not the old on" power_is 1 unknown
snmp_sim_start || { not_ok "snmpd restarts"; exit 1; }

# --- SIGHUP with changed [switch] sections: the workers are rebuilt
# (once the work at the switches is done).  snmpd came back on a new port.
reloads() { [ "$(cli --json events --slot 0 | grep -o power.switches | wc -l)" -ge "$1" ]; }
write_conf 400ms
kill -HUP "$PIRACKD_PID"
wait_for 10 reloads 1
cli power off 2 >"$TEST_TMP/cli.out" 2>&1
check "reload: the switch's new address is used" test $? -eq 0
sed -i 's/^community = private$/community = wrong/' "$CONF"
kill -HUP "$PIRACKD_PID"
wait_for 10 reloads 2
cli power on 2 >"$TEST_TMP/cli.out" 2>&1
check "reload: the new (wrong) community is used" grep -q "no answer" "$TEST_TMP/cli.out"
sed -i 's/^community = wrong$/community = private/' "$CONF"
kill -HUP "$PIRACKD_PID"
wait_for 10 reloads 3
cli power on 2 >"$TEST_TMP/cli.out" 2>&1
check "reload: back to the right community" test $? -eq 0

# --- pirackd killed between off and on: the next start turns the port on
pirackd_stop
write_conf 30s
# Switch v3 feeds one 30 W port from a 30 W budget: slot 4 is on, so 3 may not be.
sed -i '/^\[switch v3\]/a power_budget = 30\nport_power = 30' "$CONF"
pirackd_start "$NS" "$CONF" || { not_ok "pirackd restarts"; exit 1; }
api POST /v1/slots/3/power '{"action":"off"}' >/dev/null
wait_for 5 port_is 3 0
out=$(api POST /v1/slots/3/power '{"action":"on"}')
check "power budget full -> 409 power-budget" out_has '^409 .*power-budget'
check "power budget: port 3 stays off" port_is 3 0
cli power cycle 1 --no-wait >/dev/null 2>&1
wait_for 10 port_is 1 0
check "long hold: port 1 is off" test "$(port_byte 1)" = 0
# The switch turns the port off a moment before pirackd records the hold:
# kill only once the store says "holding", the phase this case is about.
holding() {
    sqlite3 "$TEST_TMP/state/pirack.db" \
        "select phase from power_ops where slot = 1 and finished_ms is null" | grep -qx holding
}
check "long hold: the store says holding" wait_for 10 holding
kill -9 "$PIRACKD_PID"
wait "$PIRACKD_PID" 2>/dev/null
PIRACKD_PID=""
sleep 0.5
check "pirackd killed while holding: port 1 still off" test "$(port_byte 1)" = 0
pirackd_start "$NS" "$CONF" || { not_ok "pirackd starts after the kill"; exit 1; }
wait_for 15 port_is 1 1
check "after restart: port 1 is on again" test "$(port_byte 1)" = 1
check "after restart: an event says why" events_have 1 "power.recovered"
check "after restart: the event names the interrupted phase" events_have 1 holding
pirackd_stop

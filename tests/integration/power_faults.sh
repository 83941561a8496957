#!/bin/sh
# Switch faults are bounded and the power state stays honest:
#   - a dead switch (timeout 2 s, retries 1) is reported within
#     (retries + 1) x timeout + 1 s, and its failure is logged once;
#   - a set that got no answer leaves the port "unknown" (not the last
#     value read), and the port is read back as soon as the switch answers;
#   - a switch that accepts TCP but never sends an SSH banner is named so;
#   - a one-slot answer counts that slot's port, not the batch's.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"

need_root power_faults
command -v snmpd >/dev/null || { skip power_faults "snmpd is not installed (make deps)"; exit 0; }
command -v python3 >/dev/null || { skip power_faults "python3 is not installed"; exit 0; }
command -v jq >/dev/null || { skip power_faults "jq is not installed (make deps)"; exit 0; }
NS=$(ns_new faults) || { not_ok "namespace"; exit 1; }
SIM_NS=$NS
. "$TOP/tests/lib/poe_sim.sh"

sim_state_new 4
snmp_sim_start || { not_ok "snmpd starts"; exit 1; }
DEAD_PORT=$(free_port)
SILENT_PORT=$(free_port)
# Accepts TCP and never says a word, like a hung SSH server.
ip netns exec "$NS" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
end = time.time() + 120
s.settimeout(1)
while time.time() < end:
    try: conns.append(s.accept()[0])
    except OSError: pass
' "$SILENT_PORT" &
silent_pid=$!
at_exit "kill $silent_pid"

CONF="$TEST_TMP/pirackd.conf"
power_rack_conf "$CONF" 8
cat >>"$CONF" <<EOF
[switch sim]
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-4
community = private
timeout = 1s
retries = 1
[switch dead]
address = 127.0.0.1:$DEAD_PORT
community = private
slots = 5-6
timeout = 2s
retries = 1
[switch silent]
driver = ssh
address = 127.0.0.1:$SILENT_PORT
hostkey = SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
ssh_user = u
ssh_password = p
profile = procurve
slots = 7-8
timeout = 2s
retries = 0
EOF
pirackd_start "$NS" "$CONF" >/dev/null || { not_ok "pirackd starts"; cat "$PIRACKD_LOG"; exit 1; }
ok "pirackd starts with a live, a dead and a silent switch"
sleep 1 # the start-up read of the dead switch is still waiting on it

# ---- a dead switch ----
start=$(date +%s%N)
cli power on 5 >"$TEST_TMP/out" 2>&1
took=$((($(date +%s%N) - start) / 1000000))
echo "# power on 5 (dead switch) took $took ms: $(cat "$TEST_TMP/out")"
check "a dead switch is reported within (1 + 1) x 2 s + 1 s" test "$took" -le 5000
check "and the failure says no answer" grep -q "no answer" "$TEST_TMP/out"
check "its failure is logged once" test "$(grep -c 'slot 5: power on failed' "$PIRACKD_LOG")" -eq 1

# ---- one slot's answer counts one port ----
cli power on 1-2 >/dev/null 2>&1
cli --json power status 1 >"$TEST_TMP/out" 2>&1
check "a slot's answer counts its own port, not the batch's" \
    sh -c "grep -q 'on: port 1 ok' '$TEST_TMP/out' && ! grep -q '2 ports ok' '$TEST_TMP/out'"

# ---- a set with no answer ----
cli power off 3 >/dev/null 2>&1
kill -STOP "$SNMPD_PID"
cli power on 3 >/dev/null 2>&1
# The switch applied it after all (its answer was lost).
sed -i 's/^\(..\)./\11/' "$SIM_STATE"
cli --json power status 3 >"$TEST_TMP/out" 2>&1
echo "# after a set with no answer: $(tr -d '\n' <"$TEST_TMP/out" | head -c 600)"
check "after a set with no answer the port is unknown, not off" \
    sh -c "! grep -q '\"admin\": *\"off\"' '$TEST_TMP/out' && grep -q 'unknown' '$TEST_TMP/out'"
kill -CONT "$SNMPD_PID"
cli power status 3 >/dev/null 2>&1
wait_for 3 sh -c "'$BUILD/pirack' --socket '$PIRACK_SOCK' --json power status 3 | grep -q '\"admin\": *\"on\"'"
check "once the switch answers again the port is read back at once (on)" test $? -eq 0

# ---- a silent SSH server ----
cli power on 7 >"$TEST_TMP/out" 2>&1
echo "# power on 7 (silent ssh): $(cat "$TEST_TMP/out")"
check "a switch that never sends an SSH banner is named so" grep -q "SSH banner never came" "$TEST_TMP/out"

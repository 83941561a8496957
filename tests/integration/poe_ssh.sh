#!/bin/sh
# PoE over SSH: the poe library (through build/bin/poectl) against
# OpenSSH's sshd whose ForceCommand plays a switch CLI (procurve and
# cisco-ios dialects), 108 ports.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/poe_sim.sh"
need_root poe_ssh
cd "$TOP"

sim_state_new 108
PROF="poe/profiles"

ssh_opts() {
    echo "-o driver=ssh -o address=127.0.0.1:$SSH_PORT -o ssh_user=root -o ssh_key=$SSH_KEY" \
         "-o timeout=3000 -o profile=$PROF/$1.profile"
}

# --- procurve: pinned host key; "Press any key", logout questions
ssh_sim_start procurve || { not_ok "sshd starts"; exit 1; }
PC="$(ssh_opts procurve) -o hostkey=$SSH_HOSTKEY_FP"
printf '1' | dd of="$SIM_STATE" bs=1 seek=4 conv=notrunc 2>/dev/null
trace_start 5
poectl $PC -o hold_ms=400 cycle 5
seen=$(trace_stop)
check "procurve cycle succeeds" result_has "ok"
check "procurve cycle: port 5 went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"
check "procurve: the configuration was never saved" sh -c "! grep -q 'saved configuration' '$SIM_CLI_LOG'"

sessions=$(ssh_sim_sessions)
poectl $PC on 1-20
check "20 ports on in one session" test "$(ssh_sim_sessions)" -eq $((sessions + 1))
check "20 ports on" test "$(head -c 20 "$SIM_STATE")" = "11111111111111111111"

snapshot=$(cat "$SIM_STATE")
echo refuse >"$SIM_CTL"
poectl $PC off 3
check "switch answers an error: reported" result_has "failed.*switch answered \"Module not present"
check "switch answers an error: port unchanged" test "$(cat "$SIM_STATE")" = "$snapshot"

echo drop-once >"$SIM_CTL"
poectl $PC -o retries=2 off 3
check "connection dropped mid-command: retried and done" result_has "ok .*attempts=2"
check "connection dropped mid-command: port 3 off" test "$(port_byte 3)" = 0
echo drop >"$SIM_CTL"
poectl $PC -o retries=1 on 3
check "connection always dropped: clear error" result_has "failed.*closed the connection"
: >"$SIM_CTL"

printf 'fault 30\nsearching 31\n' >"$SIM_CTL"
poectl $PC -o settle_ms=800 on 30-31
check "fault and never-powering ports reported" result_has "failed.*2 of 2 ports failed; port 30: port reports a power fault"
: >"$SIM_CTL"
ssh_sim_stop

# --- cisco-ios: known_hosts instead of a pin
ssh_sim_start cisco-ios || { not_ok "sshd starts (cisco-ios)"; exit 1; }
CI="$(ssh_opts cisco-ios) -o known_hosts=$SSH_KNOWN_HOSTS"
trace_start 6
poectl $CI -o hold_ms=400 cycle 6
seen=$(trace_stop)
check "cisco-ios cycle succeeds" result_has "ok"
check "cisco-ios cycle: port 6 went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"
poectl $CI status 5-7
check "cisco-ios status" grep -q "port 6 admin on detect delivering" "$OUT"

# --- the switch's host key changes: refused, nothing touched
old_fp=$SSH_HOSTKEY_FP
ssh_sim_stop
old_key=$(cut -d' ' -f1,2 "$SIM_DIR/ssh/host_ed25519.pub")
rm -f "$SIM_DIR/ssh/host_ed25519" "$SIM_DIR/ssh/host_ed25519.pub"
ssh_sim_start cisco-ios || { not_ok "sshd restarts"; exit 1; }
echo "[127.0.0.1]:$SSH_PORT $old_key" >"$TEST_TMP/known_hosts.old"
snapshot=$(cat "$SIM_STATE")
sessions=$(ssh_sim_sessions)
poectl $(ssh_opts cisco-ios) -o hostkey="$old_fp" off 6
check "host key changed (pinned): refused" result_has "failed.*does not match the pinned hostkey"
poectl $(ssh_opts cisco-ios) -o known_hosts="$TEST_TMP/known_hosts.old" off 6
check "host key changed (known_hosts): refused" result_has "failed.*CHANGED"
: >"$TEST_TMP/empty_known_hosts"
poectl $(ssh_opts cisco-ios) -o known_hosts="$TEST_TMP/empty_known_hosts" off 6
check "unknown host key: refused" result_has "failed.*unknown host key"
check "refused keys: no session reached the CLI" test "$(ssh_sim_sessions)" -eq "$sessions"
check "refused keys: ports unchanged" test "$(cat "$SIM_STATE")" = "$snapshot"

# --- sshd gone: bounded, clear
ssh_sim_stop
t0=$(date +%s%N)
poectl $CI -o retries=1 off 6
t1=$(date +%s%N)
check "sshd stopped: clear error" result_has "failed.*ssh connect"
check "sshd stopped: bounded (< 5 s)" test $(( (t1 - t0) / 1000000 )) -lt 5000

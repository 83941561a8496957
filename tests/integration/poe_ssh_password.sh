#!/bin/sh
# PoE over SSH with password login: sshd lets in one user, with one
# password, and nothing else (no keys, no root); the account exists only
# inside sshd's private mount namespace.  The poe library through
# build/bin/poectl, then pirackd with the password in a credentials file:
# the right password switches ports, a wrong one is a clear error that
# changes nothing, is not retried, and is never shown.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root poe_ssh_password
cd "$TOP"
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BUILD/pirack" ] || [ ! -x "$BIN/poectl" ]; then
    skip poe_ssh_password "pirackd, pirack or poectl not built"; exit 0
fi
command -v openssl >/dev/null || { skip poe_ssh_password "no openssl (scripts/deps.sh)"; exit 0; }

NS=$(ns_new sshpw) || { not_ok "namespace"; exit 1; }
SIM_NS=$NS
. "$TOP/tests/lib/poe_sim.sh"

SW_USER=pirack-sw$$
# Blanks, '#', '=' and ';' inside: the config must pass them through whole.
SW_PASS='Corr3ct horse#battery=staple;x'
sim_state_new 8
printf '11111111\n' >"$SIM_STATE"
ssh_sim_start_password procurve "$SW_USER" "$SW_PASS" || { not_ok "sshd starts"; exit 1; }

check "the test user exists only in sshd's namespace" sh -c "! grep -q '^$SW_USER:' /etc/passwd /etc/shadow"
state_is() { [ "$(cat "$SIM_STATE")" = "$1" ]; }

# --- the library, through poectl (in the namespace, where sshd listens)
poectl() { ip netns exec "$NS" "$BIN/poectl" "$@" >"$OUT" 2>&1; }
PW="-o driver=ssh -o address=127.0.0.1:$SSH_PORT -o ssh_user=$SW_USER -o hostkey=$SSH_HOSTKEY_FP
    -o timeout=3000 -o profile=poe/profiles/procurve.profile"

poectl $PW -o "ssh_password=$SW_PASS" off 2
check "poectl, right password: off succeeds" result_has "ok .*logins=1"
check "poectl, right password: only port 2 went off" state_is 10111111
check "poectl, right password: one CLI session" test "$(ssh_sim_sessions)" -eq 1
trace_start 2
poectl $PW -o "ssh_password=$SW_PASS" -o hold_ms=300 cycle 2
check "poectl, right password: cycle of an off port succeeds" result_has "ok"
check "poectl, right password: port 2 ends on (saw $(trace_stop))" test "$(port_byte 2)" = 1

sessions=$(ssh_sim_sessions)
poectl $PW -o "ssh_password=${SW_PASS}y" -o retries=2 off 1-8
check "poectl, wrong password: fails" result_has "failed err=13 "
check "poectl, wrong password: says so" result_has "ssh authentication failed for user $SW_USER"
check "poectl, wrong password: not retried (one login)" result_has "attempts=1 .*logins=1 "
check "poectl, wrong password: no port changed" state_is 11111111
check "poectl, wrong password: no CLI session" test "$(ssh_sim_sessions)" -eq "$sessions"
poectl $PW -o "ssh_password=$SW_PASS" status 1-2
check "poectl: status through the same password" grep -q "port 2 admin on detect delivering" "$OUT"
poectl -o driver=ssh -o address="127.0.0.1:$SSH_PORT" -o ssh_user="$SW_USER" -o ssh_key="$SSH_KEY" \
    -o hostkey="$SSH_HOSTKEY_FP" -o timeout=3000 -o profile=poe/profiles/procurve.profile off 1
check "poectl, a key instead of the password: refused" result_has "failed.*authentication failed"
check "poectl, a key instead: port 1 unchanged" test "$(port_byte 1)" = 1

# --- pirackd: the password comes from credentials files (root-only)
cred() {   # FILE PASSWORD
    printf 'ssh_user = %s\nssh_password = %s\n' "$SW_USER" "$2" >"$1"
    chmod 0600 "$1"
}
cred "$TEST_TMP/good.cred" "$SW_PASS"
cred "$TEST_TMP/bad.cred" "not-$SW_PASS"
CONF="$TEST_TMP/pirackd.conf"
power_rack_conf "$CONF" 4
cat >>"$CONF" <<EOF
[switch good]
driver = ssh
address = 127.0.0.1:$SSH_PORT
profile = procurve
slots = 1-2
port_base = 1
hostkey = $SSH_HOSTKEY_FP
credentials = $TEST_TMP/good.cred
timeout = 3s
[switch bad]
driver = ssh
address = 127.0.0.1:$SSH_PORT
profile = procurve
slots = 3-4
port_base = 3
hostkey = $SSH_HOSTKEY_FP
credentials = $TEST_TMP/bad.cred
timeout = 3s
retries = 2
EOF
failed_logins() { grep -c "Failed password for $SW_USER" "$SIM_DIR/sshd.log"; }
failed_before=$(failed_logins)   # poectl's wrong password above
pirackd_start "$NS" "$CONF" || { not_ok "pirackd starts"; exit 1; }
events_have() { cli --json events --slot "$1" | grep -q "$2"; }
power_is() { cli --json power status "$1" | grep -q "\"power\": *\"$2\""; }
not_power() { ! power_is "$@"; }

trace_start 1
cli power cycle 1 >"$TEST_TMP/cli.out" 2>&1
rc=$?
seen=$(trace_stop)
check "pirackd, right password: pirack power cycle 1 exits 0" test "$rc" -eq 0
check "pirackd, right password: port 1 went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"
check "pirackd, right password: event power.on ok" events_have 1 '"outcome": *"ok"'
cli power off 2 >"$TEST_TMP/cli.out" 2>&1
check "pirackd, right password: power off 2 exits 0" test $? -eq 0
check "pirackd, right password: port 2 off" test "$(port_byte 2)" = 0
check "pirackd, right password: store says slot 2 off" power_is 2 off

sessions=$(ssh_sim_sessions)
snapshot=$(cat "$SIM_STATE")
cli power off 3 >"$TEST_TMP/cli.out" 2>&1
rc=$?
check "pirackd, wrong password: pirack power off 3 fails" test "$rc" -ne 0
check "pirackd, wrong password: the reason is shown" grep -q "authentication failed for user $SW_USER" "$TEST_TMP/cli.out"
check "pirackd, wrong password: no port changed" state_is "$snapshot"
check "pirackd, wrong password: no CLI session" test "$(ssh_sim_sessions)" -eq "$sessions"
check "pirackd, wrong password: event power.off failed" events_have 3 '"outcome": *"failed"'
check "pirackd, wrong password: one attempt despite retries = 2" events_have 3 '"attempts": *1[,}]'
check "pirackd, wrong password: store does not say off" not_power 3 off
# pirackd reads every switch when it starts, each minute, and on "power
# status": a refused password must not be sent again by any of those.
pirackd_failed() { echo $(( $(failed_logins) - failed_before )); }
cli power status 3 >/dev/null 2>&1
cli power off 4 >"$TEST_TMP/cli.out" 2>&1
check "pirackd, wrong password: a later op fails without logging in again" \
    grep -q "is not sent the password again until ssh_password changes" "$TEST_TMP/cli.out"
check "pirackd, wrong password: port 4 unchanged" test "$(port_byte 4)" = 1
check "pirackd, wrong password: the switch saw one failed login from pirackd (saw $(pirackd_failed))" \
    test "$(pirackd_failed)" -eq 1

secret_shown() {
    { cat "$PIRACKD_LOG"; cli --json events; cli --json power status all; } 2>&1 | grep -qF "$1"
}
secret_hidden() { ! secret_shown "$1"; }
check "the right password is in no log, event or status" secret_hidden "$SW_PASS"
check "the wrong password is in no log, event or status" secret_hidden "not-$SW_PASS"
pirackd_stop
ssh_sim_stop
check "sshd and its namespace are gone" sh -c "! kill -0 $SSHD_PID 2>/dev/null"

# --- a switch that takes the password only by keyboard-interactive (PAM)
SSH_SIM_KBDINT=1 ssh_sim_start_password procurve "$SW_USER" "$SW_PASS" || { not_ok "sshd (kbdint) starts"; exit 1; }
PW="-o driver=ssh -o address=127.0.0.1:$SSH_PORT -o ssh_user=$SW_USER -o hostkey=$SSH_HOSTKEY_FP
    -o timeout=3000 -o profile=poe/profiles/procurve.profile"
poectl $PW -o "ssh_password=$SW_PASS" off 5
check "keyboard-interactive, right password: off succeeds" result_has "ok .*logins=1"
check "keyboard-interactive, right password: port 5 off" test "$(port_byte 5)" = 0
snapshot=$(cat "$SIM_STATE")
poectl $PW -o "ssh_password=${SW_PASS}y" -o retries=2 on 5
check "keyboard-interactive, wrong password: fails" result_has "failed.*authentication failed for user $SW_USER"
check "keyboard-interactive, wrong password: no port changed" state_is "$snapshot"
check "keyboard-interactive, wrong password: tried once (one PAM failure)" \
    test "$(grep -c 'PAM: Authentication failure' "$SIM_DIR/sshd.log")" -eq 1
ssh_sim_stop

# --- a switch that takes keys only: the password is not sent, and we say why
ssh_sim_start procurve || { not_ok "sshd (keys only) starts"; exit 1; }
poectl -o driver=ssh -o address="127.0.0.1:$SSH_PORT" -o ssh_user=root -o "ssh_password=$SW_PASS" \
    -o hostkey="$SSH_HOSTKEY_FP" -o timeout=3000 -o profile=poe/profiles/procurve.profile on 5
check "keys-only switch: a password config fails clearly" result_has "failed.*takes no password login (it offers publickey only)"
check "keys-only switch: port 5 unchanged" test "$(port_byte 5)" = 0
ssh_sim_stop

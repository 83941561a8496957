#!/bin/sh
# PoE over SSH to switches with an enable password: switch-cli with
# SWITCH_CLI_ENABLE_PASSWORD starts cisco-ios unprivileged (">") and makes
# the FASTPATH dialects (netgear, edgeswitch) check what "enable" is
# given.  The poe library (build/bin/poectl) with the shipped profiles:
# the right enable_password switches ports and reads them back; a wrong
# one fails at once with the switch's refusal, is given once and not
# retried, and changes nothing; none configured where the switch asks is
# an error naming the key.  Then pirackd, with enable_password in a
# credentials file.  The password is in no output, log or event.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root poe_enable_password
cd "$TOP"
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BUILD/pirack" ] || [ ! -x "$BIN/poectl" ] ||
   [ ! -x "$BIN/switch-cli" ]; then
    skip poe_enable_password "pirackd, pirack, poectl or switch-cli not built"; exit 0
fi

NS=$(ns_new enable) || { not_ok "namespace"; exit 1; }
SIM_NS=$NS
. "$TOP/tests/lib/poe_sim.sh"

# ';' and '=' inside: passed through whole by the config and poectl.
EN_PASS='En4ble-s3cret;x=y'
BAD_PASS="not-$EN_PASS"
sim_state_new 8
state_is() { [ "$(cat "$SIM_STATE")" = "$1" ]; }
# The simulator logs "enable attempt N ok|wrong" per password it is given.
given() { grep -c "^enable attempt [0-9]* $1" "$SIM_CLI_LOG"; }
poectl() { ip netns exec "$NS" "$BIN/poectl" "$@" >"$OUT" 2>&1; }
out_lacks() { ! grep -qF "$1" "$OUT"; }

for d in cisco-ios netgear edgeswitch; do
    printf '11111111\n' >"$SIM_STATE"
    : >"$SIM_CTL"
    SSH_SIM_ENABLE_PASSWORD=$EN_PASS ssh_sim_start "$d" || { not_ok "$d: sshd starts"; continue; }
    C="-o driver=ssh -o address=127.0.0.1:$SSH_PORT -o ssh_user=root -o ssh_key=$SSH_KEY
       -o hostkey=$SSH_HOSTKEY_FP -o timeout=2000 -o profile=poe/profiles/$d.profile"

    poectl $C -o "enable_password=$EN_PASS" off 2
    check "$d, right enable password: off 2 succeeds in one login" result_has "ok .*logins=1 "
    check "$d, right enable password: only port 2 went off" state_is 10111111
    poectl $C -o "enable_password=$EN_PASS" status 1-2
    check "$d, right enable password: status reads port 2 off" \
        grep -q "^port 2 admin off detect disabled" "$OUT"
    poectl $C -o "enable_password=$EN_PASS" on 2
    check "$d, right enable password: on 2 succeeds" result_has "ok "
    check "$d, right enable password: all ports on again" state_is 11111111
    check "$d, right enable password: given once per login, never wrong" \
        test "$(given ok) $(given wrong)" = "3 0"

    : >"$SIM_CLI_LOG"
    poectl $C -o "enable_password=$BAD_PASS" -o retries=2 off 3
    check "$d, wrong enable password: fails with EACCES" result_has "failed err=13 "
    case $d in
    cisco-ios)   # IOS asks again (three times in all): pirackd does not answer twice
        check "$d, wrong enable password: the switch's asking again is the refusal" \
            result_has "switch poectl asked again for the enable password after enable" ;;
    *)
        check "$d, wrong enable password: the switch's error is shown" \
            result_has "refused the enable password after enable: \"Incorrect Password!\"" ;;
    esac
    check "$d, wrong enable password: not retried (one attempt, one login)" \
        result_has "attempts=1 .*logins=1 "
    check "$d, wrong enable password: given to the switch once" test "$(given wrong)" -eq 1
    check "$d, wrong enable password: no port changed" state_is 11111111
    check "$d, wrong enable password: it is not in poectl's output" out_lacks "$BAD_PASS"

    : >"$SIM_CLI_LOG"
    poectl $C -o retries=2 off 3
    check "$d, no enable_password: fails at once" result_has "failed err=13 attempts=1 "
    case $d in
    cisco-ios)   # nothing to answer with: nothing is sent
        check "$d, no enable_password: the error names the switch and the key" \
            result_has "switch poectl asks for an enable password after enable, and none is configured: set enable_password in \[switch poectl\]"
        check "$d, no enable_password: no password given" test "$(given '')" -eq 0 ;;
    *)           # FASTPATH takes an empty answer when the switch has none
        check "$d, no enable_password: the switch's error and the key" \
            result_has "\"Incorrect Password!\"; no enable_password is configured"
        check "$d, no enable_password: an empty answer given once" test "$(given wrong)" -eq 1 ;;
    esac
    check "$d, no enable_password: no port changed" state_is 11111111
    check "$d: the configuration was never saved" sh -c "! grep -q 'saved configuration' '$SIM_CLI_LOG'"
    ssh_sim_stop
done

# A privilege-15 login (the switch has no enable password): "enable" asks
# nothing, and a configured enable_password is simply not used.
ssh_sim_start cisco-ios || { not_ok "cisco-ios (privilege 15): sshd starts"; exit 1; }
poectl -o driver=ssh -o address="127.0.0.1:$SSH_PORT" -o ssh_user=root -o ssh_key="$SSH_KEY" \
    -o hostkey="$SSH_HOSTKEY_FP" -o timeout=2000 -o profile=poe/profiles/cisco-ios.profile \
    -o "enable_password=$EN_PASS" off 4
check "cisco-ios, privilege 15: off 4 succeeds" result_has "ok "
check "cisco-ios, privilege 15: no password asked" test "$(given '')" -eq 0
check "cisco-ios, privilege 15: port 4 off" test "$(port_byte 4)" = 0
printf '11111111\n' >"$SIM_STATE"
ssh_sim_stop

# --- pirackd: enable_password from credentials files (root-only)
SSH_SIM_ENABLE_PASSWORD=$EN_PASS ssh_sim_start cisco-ios || { not_ok "sshd starts (pirackd)"; exit 1; }
cred() {   # FILE PASSWORD
    printf 'ssh_user = root\nenable_password = %s\n' "$2" >"$1"
    chmod 0600 "$1"
}
cred "$TEST_TMP/good.cred" "$EN_PASS"
cred "$TEST_TMP/bad.cred" "$BAD_PASS"
CONF="$TEST_TMP/pirackd.conf"
power_rack_conf "$CONF" 6
sw() {   # NAME SLOTS PORT_BASE [KEY = VALUE]
    printf '[switch %s]\ndriver = ssh\naddress = 127.0.0.1:%s\nprofile = cisco-ios\n' "$1" "$SSH_PORT"
    printf 'slots = %s\nport_base = %s\nhostkey = %s\nssh_key = %s\ntimeout = 3s\nretries = 2\n' \
        "$2" "$3" "$SSH_HOSTKEY_FP" "$SSH_KEY"
    [ -z "${4:-}" ] || printf '%s\n' "$4"
}
{
    sw good 1-2 1 "credentials = $TEST_TMP/good.cred"
    sw bad 3-4 3 "credentials = $TEST_TMP/bad.cred"
    sw none 5-6 5 "ssh_user = root"
} >>"$CONF"
: >"$SIM_CLI_LOG"
pirackd_start "$NS" "$CONF" || { not_ok "pirackd starts"; exit 1; }
events_have() { cli --json events --slot "$1" | grep -q "$2"; }
power_is() { cli --json power status "$1" | grep -q "\"power\": *\"$2\""; }
not_power() { ! power_is "$@"; }

trace_start 1
cli power cycle 1 >"$TEST_TMP/cli.out" 2>&1
rc=$?
seen=$(trace_stop)
check "pirackd, right enable password: pirack power cycle 1 exits 0" test "$rc" -eq 0
check "pirackd, right enable password: port 1 went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"
cli power off 2 >"$TEST_TMP/cli.out" 2>&1
check "pirackd, right enable password: power off 2 exits 0" test $? -eq 0
check "pirackd, right enable password: port 2 off" test "$(port_byte 2)" = 0
check "pirackd, right enable password: store says slot 2 off" power_is 2 off

# pirackd reads every switch a second after it starts: that read may be
# the one that meets the refusal, and then "power off 3" fails at once.
snapshot=$(cat "$SIM_STATE")
cli power off 3 >"$TEST_TMP/cli.out" 2>&1
rc=$?
check "pirackd, wrong enable password: pirack power off 3 fails" test "$rc" -ne 0
check "pirackd, wrong enable password: the reason is shown" \
    grep -Eq "switch bad (asked again for|refused) the enable password" "$TEST_TMP/cli.out"
check "pirackd, wrong enable password: no port changed" state_is "$snapshot"
check "pirackd, wrong enable password: given to the switch once" test "$(given wrong)" -eq 1
check "pirackd, wrong enable password: event power.off failed" events_have 3 '"outcome": *"failed"'
check "pirackd, wrong enable password: one attempt despite retries = 2" \
    events_have 3 '"attempts": *1[,}]'
check "pirackd, wrong enable password: store does not say off" not_power 3 off
# Status reads (each "power status" refreshes the slot, and pirackd polls
# every switch each minute) must not try the refused password again.
cli power status 3 >/dev/null 2>&1
cli power off 4 >"$TEST_TMP/cli.out" 2>&1
check "pirackd, wrong enable password: a later op fails without trying it again" \
    grep -q "switch bad refused the enable password before: it is not sent again" "$TEST_TMP/cli.out"
cli power status 3 >/dev/null 2>&1
check "pirackd, wrong enable password: later reads never give it again (given $(given wrong))" \
    test "$(given wrong)" -eq 1
check "pirackd, wrong enable password: port 4 unchanged" test "$(port_byte 4)" = 1

cli power off 5 >"$TEST_TMP/cli.out" 2>&1
rc=$?
check "pirackd, no enable_password: pirack power off 5 fails" test "$rc" -ne 0
check "pirackd, no enable_password: the error names the switch and the key" \
    grep -q "set enable_password in \[switch none\]" "$TEST_TMP/cli.out"
check "pirackd, no enable_password: no port changed" state_is "$snapshot"
check "pirackd, no enable_password: store does not say off" not_power 5 off

secret_shown() {
    { cat "$PIRACKD_LOG" "$TEST_TMP/cli.out"; cli --json events; cli --json power status all; } 2>&1 |
        grep -qF "$1"
}
secret_hidden() { ! secret_shown "$1"; }
check "the right enable password is in no log, event or status" secret_hidden "$EN_PASS"
check "the wrong enable password is in no log, event or status" secret_hidden "$BAD_PASS"
pirackd_stop
ssh_sim_stop
check "sshd and its namespace are gone" sh -c "! kill -0 $SSHD_PID 2>/dev/null"

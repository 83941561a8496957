#!/bin/sh
# PoE over SSH in every CLI dialect the switch emulator speaks (cisco-ios,
# procurve, aruba-cx, netgear, edgeswitch, juniper, mikrotik): the real
# driver (build/bin/poectl) with each profile from poe/profiles cycles,
# switches and reads ports, and the port-state file must show exactly
# that; the switch's own errors, a refusing controller and a faulty port
# come back as clear failures that change nothing; no configuration is
# ever saved.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/poe_sim.sh"
need_root poe_dialects
cd "$TOP"
[ -x "$BIN/poectl" ] && [ -x "$BIN/switch-cli" ] || { skip poe_dialects "poectl or switch-cli not built"; exit 0; }

sim_state_new 8

# The state with some bytes changed: state_with 3=0 5=F -> 11011F11
state_with() {
    _s=11111111
    for _b in "$@"; do _s=$(echo "$_s" | sed "s/./${_b#*=}/${_b%=*}"); done
    echo "$_s"
}
state_is() { [ "$(cat "$SIM_STATE")" = "$1" ]; }
not_in_log() { ! grep -q "$1" "$SIM_CLI_LOG"; }

for d in cisco-ios procurve aruba-cx netgear edgeswitch juniper mikrotik; do
    # Junos counts ge-0/0/N from 0: driver port N is the state file's N + 1.
    off=0; [ "$d" = juniper ] && off=1
    b2=$((2 + off)) b3=$((3 + off)) b4=$((4 + off)) b5=$((5 + off))
    printf '11111111\n' >"$SIM_STATE"
    : >"$SIM_CTL"
    ssh_sim_start "$d" || { not_ok "$d: sshd starts"; continue; }
    C="-o driver=ssh -o address=127.0.0.1:$SSH_PORT -o ssh_user=root -o ssh_key=$SSH_KEY
       -o hostkey=$SSH_HOSTKEY_FP -o timeout=2000 -o profile=poe/profiles/$d.profile"

    trace_start "$b3"
    poectl $C -o hold_ms=150 cycle 3
    seen=$(trace_stop)
    check "$d: cycle 3 succeeds" result_has "ok "
    check "$d: cycle 3: its port went 1 -> 0 -> 1 (saw $seen)" test "$seen" = 101

    poectl $C off 2,4
    check "$d: off 2,4 in one login" result_has "ok .*logins=1 "
    check "$d: off 2,4: exactly those ports off" state_is "$(state_with $b2=0 $b4=0)"
    poectl $C status 1-4
    check "$d: status reads port 2 off" grep -q "^port 2 admin off detect disabled" "$OUT"
    check "$d: status reads port 3 delivering" grep -q "^port 3 admin on detect delivering" "$OUT"
    poectl $C on 2,4
    check "$d: on 2,4" result_has "ok "
    check "$d: on 2,4: all ports on again" state_is 11111111

    poectl $C off 99
    check "$d: a port the switch lacks: its error reported" result_has "failed .*switch answered"
    check "$d: a port the switch lacks: nothing changed" state_is 11111111
    echo refuse >"$SIM_CTL"
    poectl $C off 2
    check "$d: controller refuses: reported" result_has "failed .*switch answered"
    check "$d: controller refuses: nothing changed" state_is 11111111
    # A command the switch does not know: each dialect's error line is
    # one its profile recognises.
    sed '/^cli.off.port \(interface\|exit\)/!s/^cli.off.port .*/& bogus/' "poe/profiles/$d.profile" \
        >"$TEST_TMP/bad.profile"
    poectl $C -o profile="$TEST_TMP/bad.profile" off 2
    check "$d: a command the switch does not know: its error reported" result_has "failed .*switch answered"
    check "$d: a command the switch does not know: nothing changed" state_is 11111111
    printf 'fault %s\n' "$b5" >"$SIM_CTL"
    poectl $C off 5
    poectl $C -o settle_ms=300 on 5
    check "$d: a port that faults: reported" result_has "failed.*port 5: port reports a power fault"
    check "$d: a port that faults: only it is in fault" state_is "$(state_with $b5=F)"
    : >"$SIM_CTL"

    check "$d: the configuration was never saved" not_in_log "saved configuration"
    case $d in netgear|edgeswitch)
        check "$d: logout's save question answered n" grep -q "save question answered n" "$SIM_CLI_LOG" ;;
    esac
    ssh_sim_stop
done

# --- paging left on: the pager's question is answered and the whole
# table read (a profile copy without its paging-off line, 48 ports)
sim_state_new 48
printf '%048d\n' 0 | tr 0 1 >"$SIM_STATE"
for d in procurve aruba-cx netgear edgeswitch juniper; do
    grep -v '^cli.init \(no page\|terminal length\|set cli screen-length\)' \
        "poe/profiles/$d.profile" >"$TEST_TMP/$d.profile"
    ssh_sim_start "$d" || { not_ok "$d (paging): sshd starts"; continue; }
    poectl -o driver=ssh -o address="127.0.0.1:$SSH_PORT" -o ssh_user=root -o ssh_key="$SSH_KEY" \
        -o hostkey="$SSH_HOSTKEY_FP" -o timeout=2000 -o profile="$TEST_TMP/$d.profile" status 1-45
    check "$d, paging on: status of 45 ports read past the pager" \
        test "$(grep -c 'admin on detect delivering' "$OUT")" -eq 45
    check "$d, paging on: paging was never turned off" \
        not_in_log 'no page\|terminal length\|screen-length'
    ssh_sim_stop
done

#!/bin/sh
# A power cycle reboots the Pi: pirackd drives the switch simulators
# (snmpd v2c, snmpd v3, sshd with the procurve CLI), they write the
# port-state file, pisim powers its Pis from it, and each Pi netboots from
# pirackd's DHCP and TFTP again, as the slot's timeline shows.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root power_boot
command -v jq >/dev/null || { skip power_boot "jq not installed"; exit 0; }
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip power_boot "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"

HOST=$(ns_new host) && PIS=$(ns_new pis) || { not_ok "power_boot: namespaces"; exit 1; }
rack_create "$HOST" "$PIS" 3 isolated 'pi%03d' || { not_ok "power_boot: rack"; exit 1; }
SIM_NS=$HOST
. "$TOP/tests/lib/poe_sim.sh"
sim_state_new 3
snmp_sim_start || { not_ok "power_boot: snmpd starts"; exit 1; }
ssh_sim_start procurve || { not_ok "power_boot: sshd starts"; exit 1; }

CONF="$TEST_TMP/pirackd.conf"
rack_conf "$CONF" 3 isolated 'pi%03d'
rack_bootfiles "$TEST_TMP/boot/default"
rack_slot_files "$TEST_TMP/boot" 3
cat >>"$CONF" <<EOF
[power]
hold = 1s
stagger = 0ms
profiles = $TOP/poe/profiles
[switch a]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1
port_base = 1
community = private
[switch b]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = cisco-ios
slots = 2
port_base = 2
snmp_version = 3
v3_user = $SNMP_V3_USER
v3_auth_key = $SNMP_V3_AUTH
v3_priv_key = $SNMP_V3_PRIV
[switch c]
driver = ssh
address = 127.0.0.1:$SSH_PORT
profile = procurve
slots = 3
port_base = 3
ssh_user = root
ssh_key = $SSH_KEY
hostkey = $SSH_HOSTKEY_FP
timeout = 5s
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "power_boot: pirackd starts"; exit 1; }
if ! ip netns exec "$HOST" ss -Hlun 'sport = :67' | grep -q . ||
   ! ip netns exec "$HOST" ss -Hlun 'sport = :69' | grep -q .; then
    skip power_boot "this pirackd does not serve both DHCP and TFTP"; exit 0
fi

J=$TEST_TMP/pisim.json
ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 1000 --timeout 150 \
    --json "$J" pi001 pi002 pi003 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"
pi_field() {   # $1 = Pi, $2 = field: from a fresh report (SIGUSR1 writes it)
    rm -f "$J"
    kill -USR1 "$SIM" 2>/dev/null || return 1
    _n=20
    while [ ! -s "$J" ] && [ $_n -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
    jq -r ".pis[$(($1 - 1))].$2" "$J" 2>/dev/null
}
pi_is() { [ "$(pi_field "$1" state)" = "$2" ]; }
sleep 0.5
check "power_boot: unpowered Pis are off" pi_is 1 off

cli power on all >"$TEST_TMP/cli.out" 2>&1
check "power_boot: pirack power on all" grep -q "3 of 3 slots done, 0 failed" "$TEST_TMP/cli.out"
for i in 1 2 3; do
    check "power_boot: Pi $i boots from pirackd" wait_for 40 pi_is "$i" booted
done

# The slot's timeline after its last power.on: the boot steps, to booted.
booted_after_power_on() {
    cli --json events --slot "$1" | jq -e '
        .events | (map(.kind) | rindex("power.on")) as $on
        | $on != null and (.[$on:] | map(.kind) | index("boot.booted") != null)' >/dev/null
}

for case in "1 SNMP-v2c" "2 SNMP-v3" "3 SSH"; do
    i=${case%% *} name=${case#* }
    boots=$(pi_field "$i" boots)
    cli power cycle "$i" >"$TEST_TMP/cli.out" 2>&1
    check "power_boot $name: pirack power cycle $i" grep -q "slot $i: ok" "$TEST_TMP/cli.out"
    check "power_boot $name: Pi $i boots again" wait_for 40 pi_is "$i" booted
    check "power_boot $name: it was a new boot" test "$(pi_field "$i" boots)" -eq $((boots + 1))
    check "power_boot $name: the timeline shows power.off, power.on, then boot.booted" \
        booted_after_power_on "$i"
done
check "power_boot: the other Pis stayed up" pi_is 1 booted
pirackd_stop

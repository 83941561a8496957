#!/bin/sh
# pisim's power comes from the port-state file (tests/sim/PORTSTATE.md):
# a port turning '1' boots its Pi from the ROM, leaving '1' kills it at
# once (sockets, address, link), and a ROM that went to sleep after five
# unanswered DISCOVERs boots only after a power cycle.  dnsmasq, set up as
# the Pi netboot tutorial says, is the server; the ROM's waits are halved
# only, as dnsmasq holds a new address's first OFFER for a ~3 s ping check.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/rack/rack_lib.sh"
need_root pisim_power
command -v dnsmasq >/dev/null || { skip pisim_power "dnsmasq not installed"; exit 0; }
command -v jq >/dev/null || { skip pisim_power "jq not installed"; exit 0; }

HOST=$(ns_new host) && PIS=$(ns_new pis) || { not_ok "pisim_power: namespaces"; exit 1; }
rack_create "$HOST" "$PIS" 2 isolated 'pi%03d' || { not_ok "pisim_power: rack"; exit 1; }
rack_bootfiles "$TEST_TMP/set"
rack_serial_tree "$TEST_TMP/tftp" "$TEST_TMP/set" 2
rack_dnsmasq_conf "$TEST_TMP/dnsmasq.conf" "$TEST_TMP/tftp" 2 "Raspberry Pi Boot   "

PORTS=$TEST_TMP/ports
printf '00\n' >"$PORTS"
set_port() {   # $1 = port, $2 = state byte; as the switch simulators write it
    flock "$PORTS" sh -c "printf '$2' | dd of='$PORTS' bs=1 seek=$(($1 - 1)) conv=notrunc 2>/dev/null"
}

J=$TEST_TMP/pisim.json
ip netns exec "$PIS" "$BIN/pisim" --ports "$PORTS" --fast 2 --kernel-ms 4000 \
    --json "$J" --timeout 120 pi001 pi002 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"
# Ready (signals handled) once it has given the NIC the board's MAC.
sim_ready() { ip -n "$PIS" link show pi002 | grep -q "$(rack_pi_mac 3b 2)"; }
wait_for 5 sim_ready || { not_ok "pisim_power: pisim did not start"; cat "$TEST_TMP/pisim.err"; exit 1; }

# The state of Pi $1 in a fresh report (SIGUSR1 writes it).
pi_field() {
    rm -f "$J"
    kill -USR1 "$SIM" 2>/dev/null || return 1
    _n=20
    while [ ! -s "$J" ] && [ $_n -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
    jq -r ".pis[$(($1 - 1))].$2" "$J" 2>/dev/null
}
jqt() { jq -e "$@" >/dev/null 2>&1; }
pi_is() { [ "$(pi_field "$1" state)" = "$2" ]; }
discovers() { jq "[.pis[$(($1 - 1))].events[] | select(.what == \"dhcp_discover\")] | length" "$J"; }
link_state() { ip -n "$1" -br link show "$2" | awk '{print $2}'; }
pi_addr() { ip -n "$PIS" -4 -br addr show "$1" | awk '{print $3}'; }

check "pisim_power: unpowered Pis stay off" wait_for 3 pi_is 1 off
check "pisim_power: no power, no link on the switch side" \
    test "$(link_state "$HOST" pi001)" = LOWERLAYERDOWN -o "$(link_state "$HOST" pi001)" = DOWN

# No server yet: the ROM sends its five DISCOVERs and goes to sleep.
set_port 1 1
check "pisim_power: port 1 on: Pi 1 boots from the ROM" wait_for 3 pi_is 1 dhcp
check "pisim_power: link up on the switch side" wait_for 3 test "$(link_state "$HOST" pi001)" = UP
check "pisim_power: without a server the ROM sleeps" wait_for 16 pi_is 1 failed
check "pisim_power: the sleeping ROM names why" \
    jqt '.pis[0].reason | test("asleep")' "$J"

ip netns exec "$HOST" dnsmasq --keep-in-foreground --conf-file="$TEST_TMP/dnsmasq.conf" \
    --pid-file="$TEST_TMP/dnsmasq.pid" &
at_exit "kill $!"
sleep 2
pi_field 1 state >/dev/null
check "pisim_power: a sleeping ROM sends nothing more" test "$(discovers 1)" = 5
check "pisim_power: Pi 2 stays off on its own port" pi_is 2 off

# A power cycle wakes it.
set_port 1 0
check "pisim_power: port 1 off: Pi 1 off" wait_for 2 pi_is 1 off
set_port 1 1
check "pisim_power: after a power cycle Pi 1 boots" wait_for 40 pi_is 1 booted
check "pisim_power: that was its second boot" test "$(pi_field 1 boots)" = 2
check "pisim_power: the booted Pi holds its address" test "$(pi_addr pi001)" = "$(rack_ip 1 2)/30"

# Power cut mid-boot, while the firmware reads its files.
set_port 2 1
check "pisim_power: Pi 2 reaches TFTP" wait_for 30 pi_is 2 tftp
set_port 2 0
check "pisim_power: cut mid-boot: Pi 2 off" wait_for 2 pi_is 2 off
check "pisim_power: cut mid-boot: its address is gone" test -z "$(pi_addr pi002)"
check "pisim_power: cut mid-boot: its link is down" test "$(link_state "$PIS" pi002)" = DOWN
set_port 2 F
sleep 0.3
check "pisim_power: a faulted port gives no power" pi_is 2 off
set_port 2 1
check "pisim_power: power back: Pi 2 boots" wait_for 40 pi_is 2 booted

kill -TERM "$SIM"
wait "$SIM"
check "pisim_power: exits 0 on SIGTERM with every Pi booted" test $? -eq 0
check "pisim_power: the final report is written" jqt '.summary.booted == 2' "$J"

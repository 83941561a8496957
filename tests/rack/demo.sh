#!/bin/sh
# make demo: a rack of simulated Pi 3s netboots from pirackd.
#
# 108 slots in isolated mode (one veth per slot), every Pi powered at the
# same moment, each one the boot ROM, bootcode.bin, start.elf and the OS as
# tests/sim/pisim plays them (docs/pi-boot.md).  Prints each Pi's
# timeline and a summary.  Knobs (environment):
#   DEMO_SLOTS=108  DEMO_MODE=isolated|flat  DEMO_MODEL=3b|3b+|4
#   DEMO_SERVER=pirackd|dnsmasq   (dnsmasq: the tutorial's setup, as a baseline)
#   DEMO_TIMEOUT=180 (seconds)
#   DEMO_BRINGUP=yes|no  (pirackd: the Pis start unpowered behind a simulated
#                  SNMP PoE switch and `pirack bringup` powers them and learns
#                  every board, none assigned by hand; no: all powered at once)
#   DEMO_FAULTS=1   (0: leave out the last act, the fault story: tests/rack/demo_faults.sh)
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/rack/rack_lib.sh"
. "$TOP/tests/rack/report.sh"
. "$TOP/tests/rack/demo_faults.sh"

SLOTS=${DEMO_SLOTS:-108} MODE=${DEMO_MODE:-isolated} MODEL=${DEMO_MODEL:-3b}
SERVER=${DEMO_SERVER:-pirackd} TIMEOUT=${DEMO_TIMEOUT:-180}
BRINGUP=${DEMO_BRINGUP:-yes}
[ "$SERVER" = pirackd ] || BRINGUP=no
if [ "$BRINGUP" = yes ] && { ! command -v snmpd >/dev/null || [ ! -x "$BIN/poe-passpersist" ]; }; then
    echo "demo: no snmpd or poe-passpersist: every Pi powered at once instead of pirack bringup"
    BRINGUP=no
fi
need_root demo
command -v jq >/dev/null || { echo "demo: needs jq (make deps)"; exit 1; }

HOST=$(ns_new host) && PIS=$(ns_new pis) || exit 1
rack_create "$HOST" "$PIS" "$SLOTS" "$MODE" 'pi%03d' || exit 1
rack_bootfiles "$TEST_TMP/boot/default"
echo "demo: $SLOTS Pi $MODEL in $MODE mode, served by $SERVER"

if [ "$SERVER" = dnsmasq ]; then
    rack_serial_tree "$TEST_TMP/tftp" "$TEST_TMP/boot/default" "$SLOTS"
    rack_dnsmasq_conf "$TEST_TMP/dnsmasq.conf" "$TEST_TMP/tftp" "$SLOTS" "Raspberry Pi Boot   "
    ip netns exec "$HOST" dnsmasq --keep-in-foreground --conf-file="$TEST_TMP/dnsmasq.conf" \
        --pid-file="$TEST_TMP/dnsmasq.pid" &
    at_exit "kill $!"
    sleep 1
else
    rack_slot_files "$TEST_TMP/boot" "$SLOTS"
    if [ "$MODE" = flat ]; then
        rack_conf "$TEST_TMP/pirackd.conf" "$SLOTS" flat rackbr
    else
        rack_conf "$TEST_TMP/pirackd.conf" "$SLOTS" isolated 'pi%03d'
    fi
    if [ "$BRINGUP" = yes ]; then
        SIM_NS=$HOST
        . "$TOP/tests/lib/poe_sim.sh"
        sim_state_new "$SLOTS"
        snmp_sim_start || { echo "demo: the simulated switch did not start"; exit 1; }
        cat >>"$TEST_TMP/pirackd.conf" <<EOF
[power]
# Pi 3s boot 16 at a time (8 by default), one power-on every 100 ms
stagger = 100ms
max_booting_pi3 = 16
profiles = $TOP/poe/profiles
[switch rack]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-$SLOTS
port_base = 1
community = private
EOF
    fi
    pirackd_start "$HOST" "$TEST_TMP/pirackd.conf" || exit 1
    if [ "$MODE" = flat ] && [ "$BRINGUP" = no ]; then
        i=1
        while [ $i -le "$SLOTS" ]; do
            cli assign "$i" "$(rack_pi_mac "$MODEL" "$i")" >/dev/null || exit 1
            i=$((i + 1))
        done
    fi
fi

J=$TEST_TMP/pisim.json
if [ "$BRINGUP" = yes ]; then
    echo "demo: $SLOTS unpowered Pis, no board known: pirack bringup"
    ip netns exec "$PIS" "$BIN/pisim" --pattern 'pi%03d' --count "$SLOTS" --model "$MODEL" \
        --ports "$SIM_STATE" --until-booted --timeout "$TIMEOUT" --json "$J" &
    PISIM=$!
    at_exit "kill $PISIM"
    cli bringup || echo "demo: pirack bringup says some slots failed"
    echo "demo: every board learned; waiting for the last boots"
    wait "$PISIM"
else
    echo "demo: powering $SLOTS Pis on at once"
    ip netns exec "$PIS" "$BIN/pisim" --pattern 'pi%03d' --count "$SLOTS" --model "$MODEL" \
        --until-booted --timeout "$TIMEOUT" --progress --json "$J"
fi
echo
rack_report "$J"
[ "$SERVER" = pirackd ] && pirackd_stop
if [ "$SERVER" = pirackd ] && [ "${DEMO_FAULTS:-1}" != 0 ]; then
    demo_faults || echo "demo: the fault story did not play to its end"
fi
exit 0

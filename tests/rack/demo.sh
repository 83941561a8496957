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
#   DEMO_FAULTS=1   (0: leave out the last act, the fault story: tests/rack/demo_faults.sh)
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/rack/rack_lib.sh"
. "$TOP/tests/rack/report.sh"
. "$TOP/tests/rack/demo_faults.sh"

SLOTS=${DEMO_SLOTS:-108} MODE=${DEMO_MODE:-isolated} MODEL=${DEMO_MODEL:-3b}
SERVER=${DEMO_SERVER:-pirackd} TIMEOUT=${DEMO_TIMEOUT:-180}
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
    pirackd_start "$HOST" "$TEST_TMP/pirackd.conf" || exit 1
    if [ "$MODE" = flat ]; then
        i=1
        while [ $i -le "$SLOTS" ]; do
            cli assign "$i" "$(rack_pi_mac "$MODEL" "$i")" >/dev/null || exit 1
            i=$((i + 1))
        done
    fi
fi

J=$TEST_TMP/pisim.json
echo "demo: powering $SLOTS Pis on at once"
ip netns exec "$PIS" "$BIN/pisim" --pattern 'pi%03d' --count "$SLOTS" --model "$MODEL" \
    --until-booted --timeout "$TIMEOUT" --progress --json "$J"
echo
rack_report "$J"
[ "$SERVER" = pirackd ] && pirackd_stop
if [ "$SERVER" = pirackd ] && [ "${DEMO_FAULTS:-1}" != 0 ]; then
    demo_faults || echo "demo: the fault story did not play to its end"
fi
exit 0

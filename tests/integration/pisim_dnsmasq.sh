#!/bin/sh
# The Pi simulator against a real Pi netboot server: dnsmasq configured as
# the official network-boot tutorial says (pxe-service=0,"Raspberry Pi
# Boot", enable-tftp, tftp-root, a dhcp-range per interface), in its own
# namespace.  Proves pisim boots from a server that real Pis boot from,
# independently of pirackd, and that it refuses what a real 3B refuses.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/rack/rack_lib.sh"
need_root pisim_dnsmasq
command -v dnsmasq >/dev/null || { skip pisim_dnsmasq "dnsmasq not installed"; exit 0; }
command -v jq >/dev/null || { skip pisim_dnsmasq "jq not installed"; exit 0; }
[ -x "$BIN/pisim" ] || { not_ok "pisim_dnsmasq: $BIN/pisim not built"; exit 1; }

HOST=$(ns_new host) && PIS=$(ns_new pis) || { not_ok "pisim_dnsmasq: namespaces"; exit 1; }
N=3
rack_create "$HOST" "$PIS" $N isolated 'pi%03d' || { not_ok "pisim_dnsmasq: rack"; exit 1; }

ROOT=$TEST_TMP/tftp
rack_bootfiles "$TEST_TMP/set"
rack_serial_tree "$ROOT" "$TEST_TMP/set" $N || { not_ok "pisim_dnsmasq: tftp tree"; exit 1; }

start_dnsmasq() {   # $1 = menu text
    conf=$TEST_TMP/dnsmasq.conf
    rack_dnsmasq_conf "$conf" "$ROOT" $N "$1"
    rm -f "$TEST_TMP/dnsmasq.leases"
    ip netns exec "$HOST" dnsmasq --keep-in-foreground --conf-file="$conf" \
        --pid-file="$TEST_TMP/dnsmasq.pid" &
    DNSMASQ=$!
    at_exit "kill $DNSMASQ"
    wait_for 5 dhcp_listening
}
dhcp_listening() { ip netns exec "$HOST" ss -Hlun 'sport = :67' | grep -q .; }

jqt() { jq -e "$@" >/dev/null 2>&1; }   # a jq test, quiet
stop_dnsmasq() {
    kill "$DNSMASQ"; wait "$DNSMASQ" 2>/dev/null
    [ "$PR_FAILED" -eq 0 ] || tail -n 60 "$TEST_TMP/dnsmasq.log"   # into the log
}

run_pisim() {   # $1 = json, rest = pisim args
    json=$1; shift
    timeout 90 ip netns exec "$PIS" "$BIN/pisim" --json "$json" --until-booted \
        --timeout 60 --power-up-ms 100 --kernel-ms 500 "$@" 2>"$json.err"
    jq -c '.pis[] | {iface, model, state, reason}' "$json"    # into the log
}

# 1. The tutorial's configuration for a 3B (three spaces after "Boot"):
#    a 3B, a 3B+ and a Pi 4 all boot.  Real DHCP timing: dnsmasq pings an
#    address before its first OFFER, the kernel's ARP for it is then in
#    progress and the unicast OFFER waits behind it and is lost, so a fresh
#    Pi takes its second DISCOVER, 5 s later (as on a real rack).
J=$TEST_TMP/boot.json
start_dnsmasq "Raspberry Pi Boot   "
run_pisim "$J" pi001:3b pi002:3b+ pi003:4
check "pisim_dnsmasq: 3b, 3b+ and 4 boot from dnsmasq" \
    test "$(jq '.summary.booted' "$J")" = 3
i=1
while [ $i -le $N ]; do
    check "pisim_dnsmasq: pi $i has its slot's address" \
        test "$(jq -r ".pis[$((i - 1))].address" "$J")" = "$(rack_ip $i 2)"
    check "pisim_dnsmasq: pi $i read its own cmdline.txt" \
        jqt ".pis[$((i - 1))].cmdline | test(\"pirack.slot=$i\$\")" "$J"
    i=$((i + 1))
done
check "pisim_dnsmasq: the 3B ROM sent no REQUEST" \
    test "$(jq '[.pis[0].events[] | select(.what == "dhcp_request" and .client != "os")] | length' "$J")" = 0
check "pisim_dnsmasq: the 3B ROM used xid 0x26f30339" \
    jqt '[.pis[0].events[] | select(.what == "dhcp_discover" and .client == "rom-3b")][0].xid == "0x26f30339"' "$J"
check "pisim_dnsmasq: bootcode.bin and bootsig.bin from port 49152, 512-byte blocks" \
    jqt '[.pis[0].events[] | select(.what == "tftp")][0:2] | map(.port == 49152 and .blksize == 512) | all' "$J"
check "pisim_dnsmasq: bootsig.bin absent" \
    jqt '[.pis[0].events[] | select(.what == "tftp")][1] | .file == "bootsig.bin" and .result == "absent"' "$J"
check "pisim_dnsmasq: start.elf from the serial directory after a probe" \
    jqt '[.pis[0].events[] | select(.what == "tftp" and .file == "5ca1ab01/start.elf")] | map(.result) == ["probed", "probed", "ok"]' "$J"
check "pisim_dnsmasq: the Pi 3 moved the whole boot set" \
    jqt '.pis[0].tftp_bytes > 8000000' "$J"
check "pisim_dnsmasq: the Pi 4 used blksize 1468 and start4.elf" \
    jqt '[.pis[2].events[] | select(.what == "tftp" and .file == "5ca1ab03/start4.elf" and .result == "ok")][0].blksize == 1468' "$J"
check "pisim_dnsmasq: dnsmasq saw the OS's own DHCP (no PXEClient)" \
    grep -q 'vendor class: dhcpcd' "$TEST_TMP/dnsmasq.log"
stop_dnsmasq

# 2. The menu without the three spaces: a 3B ignores every OFFER and goes
#    to sleep after five DISCOVERs; a 3B+ boots.  DHCP waits halved: dnsmasq
#    holds the first DISCOVER of an address for its ~3 s ping check.
J=$TEST_TMP/nospaces.json
start_dnsmasq "Raspberry Pi Boot"
run_pisim "$J" --fast 2 pi001:3b pi002:3b+
check "pisim_dnsmasq: a 3B refuses the menu without three spaces" \
    jqt '.pis[0].state == "failed" and (.pis[0].reason | test("three spaces"))' "$J"
check "pisim_dnsmasq: the 3B sent exactly five DISCOVERs" \
    test "$(jq '[.pis[0].events[] | select(.what == "dhcp_discover")] | length' "$J")" = 5
check "pisim_dnsmasq: a 3B+ boots with it" jqt '.pis[1].state == "booted"' "$J"
stop_dnsmasq

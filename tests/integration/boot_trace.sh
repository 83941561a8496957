#!/bin/sh
# A boot that stops after DHCP: the slot's timeline records the dhcp step,
# then, after boot_timeout, a failure that names the step that did not
# come (firmware) and a pcap trace saved beside it; the API serves the
# slot's trace too.  The "boot ROM" is busybox udhcpc sending the Pi's
# PXE vendor class, so pirackd treats it as a ROM.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root boot_trace
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BUILD/pirack" ]; then
    skip boot_trace "pirackd or pirack not built"; exit 0
fi
for p in busybox tcpdump curl base64; do
    command -v "$p" >/dev/null || { skip boot_trace "no $p"; exit 0; }
done

host=$(ns_new host) || exit 1
pi=$(ns_new pi) || exit 1
ip link add pi001 netns "$host" type veth peer name eth0 netns "$pi"
ip -n "$host" addr add 10.99.0.1/30 dev pi001
ip -n "$host" link set pi001 up
ip -n "$pi" link set eth0 up

conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 1
printf '[health]\nboot_timeout = 5\n' >>"$conf"
pirackd_start "$host" "$conf" || { not_ok "pirackd starts"; exit 1; }

events() { cli --json events --slot 1 2>/dev/null; }
has_event() { events | grep -q "\"$1\""; }

ip netns exec "$pi" busybox udhcpc -f -q -n -i eth0 -t 3 -T 1 -s /bin/true \
    -V PXEClient:Arch:00000:UNDI:002001 >"$TEST_TMP/udhcpc.log" 2>&1
check "the PXE client got a lease" test $? -eq 0
check "the ROM's DHCP is the dhcp step" wait_for 5 has_event boot.dhcp
rom_seen() { events | grep -q '"rom": *true'; }
check "the OFFER went to a ROM (PXE options)" rom_seen

check "no firmware in time: the boot failed" wait_for 12 has_event boot.failed
events >"$TEST_TMP/events.json"
check "the failure names the firmware step" grep -q '"step": *"firmware"' "$TEST_TMP/events.json"
trace=$(sed -n 's/.*"trace": *"\([^"]*\.pcap\)".*/\1/p' "$TEST_TMP/events.json" | head -n 1)
check "a trace was saved under the traces path" test -s "$trace"
case "$trace" in "$TEST_TMP/traces/"*) ok "trace path is in traces" ;; *) not_ok "trace path is in traces" ;; esac
tcpdump -nr "$trace" >"$TEST_TMP/trace.txt" 2>&1
check "tcpdump reads the saved trace" grep -q "BOOTP/DHCP" "$TEST_TMP/trace.txt"
check "the trace holds the DISCOVER and the OFFER" \
    test "$(grep -c 'BOOTP/DHCP' "$TEST_TMP/trace.txt")" -ge 2

curl -sf --unix-socket "$PIRACK_SOCK" http://pirackd/v1/slots/1/trace >"$TEST_TMP/trace.json"
check "GET /v1/slots/1/trace answers" test -s "$TEST_TMP/trace.json"
sed -n 's/.*"pcap_base64": *"\([^"]*\)".*/\1/p' "$TEST_TMP/trace.json" | base64 -d >"$TEST_TMP/api.pcap"
check "the API's trace is a pcap file tcpdump reads" sh -c "tcpdump -nr '$TEST_TMP/api.pcap' 2>/dev/null | grep -q BOOTP/DHCP"
if cli trace 1 >"$TEST_TMP/cli.pcap" 2>"$TEST_TMP/cli.err"; then
    check "pirack trace 1 > boot.pcap: tcpdump reads it" \
        sh -c "tcpdump -nr '$TEST_TMP/cli.pcap' 2>/dev/null | grep -q BOOTP/DHCP"
else
    skip "pirack trace" "no trace command in this pirack: $(head -n 1 "$TEST_TMP/cli.err")"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$PIRACK_SOCK" http://pirackd/v1/slots/9/trace)
check "a slot that does not exist is a 404" test "$code" = 404

check "pirackd stops cleanly" pirackd_stop

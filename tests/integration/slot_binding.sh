#!/bin/sh
# slot_binding: in isolated mode a slot is its link.  A Pi on slot 2's
# link that takes slot 1's address (10.99.0.2) gets nothing of slot 1's
# boot files and leaves nothing on slot 1's timeline, even with
# reverse-path filtering off ([net] rp_filter = off: pirackd checks the
# link each TFTP request came in on, IP_PKTINFO); slot 1's own Pi is
# served as before.  By default pirackd sets strict reverse-path
# filtering on slot links, so the kernel drops the impostor's packets
# before any service sees them; with rp_filter = require and a host-wide
# loose filter (all = 2) it refuses to start.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root slot_binding
[ -x "$BUILD/pirackd" ] || { skip slot_binding "pirackd not built"; exit 0; }
command -v tftp >/dev/null || { skip slot_binding "tftp-hpa is not installed"; exit 0; }
command -v sqlite3 >/dev/null || { skip slot_binding "sqlite3 is not installed"; exit 0; }

host=$(ns_new host) || exit 1
pi1=$(ns_new pi1) || exit 1
pi2=$(ns_new pi2) || exit 1
ip link add pi001 netns "$host" type veth peer name eth0 netns "$pi1"
ip link add pi002 netns "$host" type veth peer name eth0 netns "$pi2"
ip -n "$host" addr add 10.99.0.1/30 dev pi001
ip -n "$host" addr add 10.99.0.5/30 dev pi002
for l in pi001 pi002; do ip -n "$host" link set "$l" up; done
ip -n "$pi1" addr add 10.99.0.2/30 dev eth0
ip -n "$pi1" link set eth0 up
ip -n "$pi2" addr add 10.99.0.2/30 dev eth0   # slot 1's address, on slot 2's link
ip -n "$pi2" link set eth0 up
# pirackd's own check must hold where the kernel's filter is off
for c in all default pi001 pi002; do
    ip netns exec "$host" sysctl -qw "net.ipv4.conf.$c.rp_filter=0"
done

conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 2 isolated pi%03d "net=rp_filter = off"
mkdir -p "$TEST_TMP/boot/001"
echo "slot 1's secret cmdline" >"$TEST_TMP/boot/001/cmdline.txt"
pirackd_start "$host" "$conf" || { not_ok "pirackd starts"; exit 1; }
DB=$TEST_TMP/state/pirack.db
q() { sqlite3 "$DB" "PRAGMA busy_timeout=5000; $1" | tail -n 1; }

get() { rm -f "$2"; ip netns exec "$1" timeout 10 tftp 10.99.0.1 -m binary -c get cmdline.txt "$2" 2>&1; }
get "$pi1" "$TEST_TMP/own" >/dev/null
check "slot 1's Pi gets its file" cmp -s "$TEST_TMP/own" "$TEST_TMP/boot/001/cmdline.txt"
before=$(q "SELECT count(*) FROM events WHERE slot = 1 AND kind LIKE 'tftp.%'")
get "$pi2" "$TEST_TMP/stolen" >/dev/null
check "a Pi with slot 1's address on slot 2's link gets nothing" test ! -s "$TEST_TMP/stolen"
after=$(q "SELECT count(*) FROM events WHERE slot = 1 AND kind LIKE 'tftp.%'")
check "... and starts no transfer on slot 1's timeline" test "$after" = "$before"
check "... and is logged" grep -q "asked on pi002, not on pi001" "$PIRACKD_LOG"
check "rp_filter = off leaves the links alone" \
    test "$(ip netns exec "$host" sysctl -n net.ipv4.conf.pi002.rp_filter)" = 0
check "pirackd stops cleanly" pirackd_stop

# ---- the default: strict reverse-path filtering on slot links ----
rack_conf "$conf" 2
pirackd_start "$host" "$conf" || { not_ok "pirackd starts (rp_filter = set)"; exit 1; }
check "pirackd sets strict rp_filter on slot 1's link" \
    test "$(ip netns exec "$host" sysctl -n net.ipv4.conf.pi001.rp_filter)" = 1
check "... and on slot 2's" test "$(ip netns exec "$host" sysctl -n net.ipv4.conf.pi002.rp_filter)" = 1
rpf() { ip netns exec "$host" nstat -az TcpExtIPReversePathFilter | awk '/IPReversePathFilter/ { print $2 }'; }
drops0=$(rpf)
get "$pi2" "$TEST_TMP/stolen2" >/dev/null
check "the impostor still gets nothing" test ! -s "$TEST_TMP/stolen2"
check "the kernel dropped its packets (IPReversePathFilter $drops0 -> $(rpf))" test "$(rpf)" -gt "$drops0"
get "$pi1" "$TEST_TMP/own2" >/dev/null
check "slot 1's Pi is still served" cmp -s "$TEST_TMP/own2" "$TEST_TMP/boot/001/cmdline.txt"
check "pirackd stops cleanly (rp_filter = set)" pirackd_stop

# ---- require, on a host whose filter is loose for all ----
ip netns exec "$host" sysctl -qw net.ipv4.conf.all.rp_filter=2
rack_conf "$conf" 2 isolated pi%03d "net=rp_filter = require"
ip netns exec "$host" timeout 20 "$BUILD/pirackd" -c "$conf" >"$TEST_TMP/require.log" 2>&1
rc=$?
cat "$TEST_TMP/require.log" | tail -n 3
check "rp_filter = require refuses to start when links are loose" test "$rc" -ne 0 -a "$rc" -ne 124
check "... saying why" grep -q "lack strict reverse-path filtering" "$TEST_TMP/require.log"

#!/bin/sh
# flat_binding: in flat mode a slot's .2 is bound to its board's MAC (a
# permanent neighbour entry made on assign, removed on unassign).  A
# machine on the segment that takes slot 1's address while slot 1's board
# is away gets nothing of slot 1's boot files: the replies go to the
# board's MAC, whatever ARP says.  (A machine that takes the MAC as well
# is beyond pirackd: flat mode is single-tenant without port security.)
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root flat_binding
[ -x "$BUILD/pirackd" ] || { skip flat_binding "pirackd not built"; exit 0; }
command -v tftp >/dev/null || { skip flat_binding "tftp-hpa is not installed"; exit 0; }

SRV=$(ns_new srv) || exit 1
ip -n "$SRV" link add br0 type bridge
ip -n "$SRV" addr add 10.99.0.1/22 dev br0
ip -n "$SRV" link set br0 up
n=0
member() {   # member NAME MAC: a namespace on the bridge with slot 1's address
    n=$((n + 1))
    ns=$(ns_new "$1") || return 1
    ip link add "fb$$v$n" type veth peer name "fb$$p$n"
    ip link set "fb$$v$n" netns "$SRV"
    ip link set "fb$$p$n" netns "$ns"
    ip -n "$SRV" link set "fb$$v$n" master br0 up
    ip -n "$ns" link set "fb$$p$n" address "$2"
    ip -n "$ns" addr add 10.99.0.2/22 dev "fb$$p$n"
}
BOARD=b8:27:eb:00:00:01
member pi1 "$BOARD" && member thief b8:27:eb:00:00:99 || { not_ok "flat_binding: namespaces"; exit 1; }
PI1=$PR_NS_PREFIX-pi1 THIEF=$PR_NS_PREFIX-thief

conf=$TEST_TMP/pirackd.conf
rack_conf "$conf" 2 flat br0
mkdir -p "$TEST_TMP/boot/001"
echo "slot 1's secret cmdline" >"$TEST_TMP/boot/001/cmdline.txt"
pirackd_start "$SRV" "$conf" || { not_ok "flat_binding: pirackd starts"; exit 1; }
neigh() { ip -n "$SRV" neigh show 10.99.0.2 dev br0; }
get() { rm -f "$2"; ip netns exec "$1" timeout 8 tftp 10.99.0.1 -m binary -c get cmdline.txt "$2" >/dev/null 2>&1; }

cli assign 1 "$BOARD" >/dev/null
check "assign binds slot 1's address to its board" sh -c "ip -n $SRV neigh show 10.99.0.2 dev br0 | grep -q '$BOARD PERMANENT'"
ip -n "$PI1" link set "fb$$p1" up
get "$PI1" "$TEST_TMP/own"
check "slot 1's board gets its file" cmp -s "$TEST_TMP/own" "$TEST_TMP/boot/001/cmdline.txt"
ip -n "$PI1" link set "fb$$p1" down
ip -n "$THIEF" link set "fb$$p2" up
get "$THIEF" "$TEST_TMP/stolen"
check "another machine with slot 1's address gets nothing" test ! -s "$TEST_TMP/stolen"
check "... and the binding holds ($(neigh))" sh -c "ip -n $SRV neigh show 10.99.0.2 dev br0 | grep -q '$BOARD PERMANENT'"
cli unassign 1 >/dev/null
check "taking the board out unbinds the address" sh -c "! ip -n $SRV neigh show 10.99.0.2 dev br0 | grep -q PERMANENT"
check "pirackd stops cleanly" pirackd_stop

#!/bin/sh
# flat_binding: in flat mode a slot's .2 is bound to its board's MAC (a
# permanent neighbour entry made on assign, removed on unassign), and each
# TFTP request's own frame must come from that MAC.  A machine on the
# segment that takes slot 1's address gets nothing of slot 1's boot
# files: not as replies (they would go to the board's MAC), and not as
# frames the bridge floods past its port while the board is away (it
# reads everything on its link): pirackd sends no file at all.  (A
# machine that takes the MAC as well is beyond pirackd: flat mode is
# single-tenant without port security.)
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
# sniff NS IF SECONDS: every frame on the link, as the thief's kernel
# gets it; prints "seen N" and "secret" if slot 1's file went past.
cat >"$TEST_TMP/sniff.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(0.2)
end, n, secret = time.time() + float(sys.argv[2]), 0, False
while time.time() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    n += 1
    secret = secret or b"secret cmdline" in f
print("seen", n, flush=True)
if secret:
    print("secret", flush=True)
PY
sniff() { ip netns exec "$1" python3 "$TEST_TMP/sniff.py" "$2" "$3" >"$TEST_TMP/sniff.out" 2>&1 & sniff_pid=$!; sleep 0.5; }

cli assign 1 "$BOARD" >/dev/null
check "assign binds slot 1's address to its board" sh -c "ip -n $SRV neigh show 10.99.0.2 dev br0 | grep -q '$BOARD PERMANENT'"
ip -n "$PI1" link set "fb$$p1" up
get "$PI1" "$TEST_TMP/own"
check "slot 1's board gets its file" cmp -s "$TEST_TMP/own" "$TEST_TMP/boot/001/cmdline.txt"
ip -n "$PI1" link set "fb$$p1" down
ip -n "$THIEF" link set "fb$$p2" up
sniff "$THIEF" "fb$$p2" 9
get "$THIEF" "$TEST_TMP/stolen"
wait "$sniff_pid"
check "another machine with slot 1's address gets nothing" test ! -s "$TEST_TMP/stolen"
check "... not even frames flooded past its port while the board is away ($(head -n 1 "$TEST_TMP/sniff.out"))" \
    sh -c "grep -q '^seen' '$TEST_TMP/sniff.out' && ! grep -q '^secret' '$TEST_TMP/sniff.out'"
check "... pirackd refused it by its MAC" grep -q "asked from MAC b8:27:eb:00:00:99, not its board's" "$PIRACKD_LOG"
check "... and the binding holds ($(neigh))" sh -c "ip -n $SRV neigh show 10.99.0.2 dev br0 | grep -q '$BOARD PERMANENT'"
# Both on the segment: the thief is still refused, the board still served.
ip -n "$PI1" link set "fb$$p1" up
get "$THIEF" "$TEST_TMP/stolen"
check "with the board present, the thief still gets nothing" test ! -s "$TEST_TMP/stolen"
get "$PI1" "$TEST_TMP/own"
check "... and the board still gets its file" cmp -s "$TEST_TMP/own" "$TEST_TMP/boot/001/cmdline.txt"
# Requests from the thief as slot 1 and then from an address of no slot,
# 3,000 in all, leave no frames behind to bury the board's next request
# (every request read consumes its own frame, a stranger's too).
if [ -x "$BIN/tftpflood" ]; then
    ip -n "$THIEF" addr add 10.99.2.2/22 dev "fb$$p2"
    ip netns exec "$THIEF" timeout 30 "$BIN/tftpflood" -s 10.99.0.1 -c 10.99.0.2 -n 1000 \
        -f cmdline.txt -r 1000 -T 10 >/dev/null 2>&1
    ip netns exec "$THIEF" timeout 30 "$BIN/tftpflood" -s 10.99.0.1 -c 10.99.2.2 -n 2000 \
        -f cmdline.txt -r 2000 -T 10 >/dev/null 2>&1
    get "$PI1" "$TEST_TMP/own3"
    check "after 3,000 requests from the thief and then a stranger, the board gets its file" \
        cmp -s "$TEST_TMP/own3" "$TEST_TMP/boot/001/cmdline.txt"
else
    skip flat_binding_flood "tftpflood not built"
fi
cli unassign 1 >/dev/null
check "taking the board out unbinds the address" sh -c "! ip -n $SRV neigh show 10.99.0.2 dev br0 | grep -q PERMANENT"
check "pirackd stops cleanly" pirackd_stop

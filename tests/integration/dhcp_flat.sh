#!/bin/sh
# Flat mode: one shared interface, the slot found by the board's MAC.  A
# board that no slot holds gets no address and is recorded as seen (MAC,
# vendor class, option 97) for bring-up; once assigned (`pirack assign`),
# it gets its slot's address.  Packets on other interfaces are ignored, and
# so is a request whose frame does not come from the board it names.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root dhcp_flat
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BIN/dhcp_probe" ]; then
    skip dhcp_flat "pirackd or dhcp_probe not built"; exit 0
fi

host=$(ns_new host) || exit 1
pis=$(ns_new pis) || exit 1
ip link add rack0 netns "$host" type veth peer name eth0 netns "$pis"
ip link add other0 netns "$host" type veth peer name eth1 netns "$pis"
ip -n "$host" addr add 10.99.0.1/30 dev rack0
ip -n "$host" addr add 10.99.0.5/30 dev rack0
for l in rack0 other0; do ip -n "$host" link set "$l" up; done
for l in eth0 eth1; do ip -n "$pis" link set "$l" up; done

conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 2 flat rack0
pirackd_start "$host" "$conf" || { not_ok "pirackd starts"; exit 1; }

probe() { ip netns exec "$pis" "$BIN/dhcp_probe" "$@"; }
mac=b8:27:eb:00:00:42

probe -i eth0 -k pi3bplus -m "$mac" -w 800 >"$TEST_TMP/unknown.out"
check "an unknown board gets no address" test ! -s "$TEST_TMP/unknown.out"
rack_events() { cli --json events 2>/dev/null; }
seen() { rack_events | grep '"board.seen"' | grep -q "$mac"; }
check "an unknown board is recorded as seen" wait_for 5 seen
rack_events | grep '"board.seen"' >"$TEST_TMP/seen.json"
check "the seen event carries the vendor class and option 97" \
    grep -q 'PXEClient:Arch:00000:UNDI:002001.*00cdab3412cdab3412\|00cdab3412cdab3412.*PXEClient' "$TEST_TMP/seen.json"

if cli assign 2 "$mac" >"$TEST_TMP/assign.out" 2>&1; then
    probe -i eth0 -k pi3bplus -m "$mac" -w 800 >"$TEST_TMP/known.out"
    check "an assigned board gets its slot's address" grep -q 'yiaddr=10.99.0.6 ' "$TEST_TMP/known.out"
    probe -i eth1 -k pi3bplus -m "$mac" -w 800 >"$TEST_TMP/other.out"
    check "the same board on another interface gets nothing" test ! -s "$TEST_TMP/other.out"
    # another host on the shared link speaking for the board: the packet
    # names the board's MAC, its frame comes from the host's own
    probe -i eth0 -k pi3bplus -m "$mac" -s 02:00:00:00:00:99 -w 800 >"$TEST_TMP/forged.out"
    check "a request whose frame is not from the board it names gets nothing" \
        test ! -s "$TEST_TMP/forged.out"
    curl -sf --unix-socket "$PIRACK_SOCK" http://pirackd/v1/dhcp/stats >"$TEST_TMP/stats.json"
    check "it is dropped and counted as foreign_mac" \
        grep -q '"foreign_mac": *1[,}]' "$TEST_TMP/stats.json"
    probe -i eth0 -k pi3bplus -m "$mac" -w 800 >"$TEST_TMP/again.out"
    check "the board itself still gets its address after that" \
        grep -q 'yiaddr=10.99.0.6 ' "$TEST_TMP/again.out"
else
    skip "flat mode assigned board" "no 'pirack assign' yet: $(head -n 1 "$TEST_TMP/assign.out")"
fi

check "pirackd stops cleanly" pirackd_stop

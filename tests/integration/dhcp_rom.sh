#!/bin/sh
# What a Pi's boot ROM gets from pirackd on the wire (docs/pi-boot.md
# sections 2 to 5 and 10): the 3B ROM's DISCOVER (constant xid, no
# broadcast flag) gets its slot's OFFER unicast to its MAC with correct
# checksums, the menu with three spaces, option 97 echoed, and the same
# OFFER again about a second later; the 3B+ and Pi 4 get the menu without
# spaces and one OFFER; two Pis with the same xid on two slots each get
# their own address; malformed DISCOVERs get nothing.  dhcp_probe plays
# the ROM with a raw socket.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root dhcp_rom
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BIN/dhcp_probe" ]; then
    skip dhcp_rom "pirackd or dhcp_probe not built"; exit 0
fi

host=$(ns_new host) || exit 1
pis=$(ns_new pis) || exit 1
mac_of() { printf 'b8:27:eb:00:00:%02x' "$1"; }
for n in 1 2 3; do
    ip link add "pi00$n" netns "$host" type veth peer name "eth$n" netns "$pis"
    ip -n "$pis" link set "eth$n" address "$(mac_of "$n")"
    ip -n "$host" addr add "10.99.0.$((4 * n - 3))/30" dev "pi00$n"
    ip -n "$host" link set "pi00$n" up
    ip -n "$pis" link set "eth$n" up
done

conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 3
pirackd_start "$host" "$conf" || { not_ok "pirackd starts"; exit 1; }

probe() { _if=$1 _kind=$2; shift 2
    ip netns exec "$pis" "$BIN/dhcp_probe" -i "$_if" -k "$_kind" -m "$(mac_of "${_if#eth}")" "$@"; }

# ---- Pi 3B ROM on slot 1 ----
probe eth1 pi3b -w 2500 >"$TEST_TMP/3b.out"
cat "$TEST_TMP/3b.out"
check "3B: two OFFERs (the timing workaround)" test "$(grep -c 'type=offer' "$TEST_TMP/3b.out")" -eq 2
first=$(sed -n 1p "$TEST_TMP/3b.out") second=$(sed -n 2p "$TEST_TMP/3b.out")
check "3B: unicast to its MAC and new address" sh -c "echo '$first' | grep -q 'dst_mac=b8:27:eb:00:00:01 dst_ip=10.99.0.2 yiaddr=10.99.0.2 '"
check "3B: no broadcast flag, the ROM's xid" sh -c "echo '$first' | grep -q 'xid=26f30339 .*flags=0000'"
check "3B: menu with three spaces" sh -c "echo '$first' | grep -q 'opt43=0601030a0400505845091700001452617370626572727920506920426f6f74202020ff '"
check "3B: option 97 echoed" sh -c "echo '$first' | grep -q 'opt97=0044444444444444444444444444444444$'"
t2=$(echo "$second" | sed -n 's/.*t_ms=\([0-9]*\) .*/\1/p')
check "3B: the second OFFER about a second later" test "${t2:-0}" -ge 800 -a "${t2:-0}" -le 1600
check "3B: the second OFFER is the same" test "$(echo "$first" | cut -d' ' -f3-)" = "$(echo "$second" | cut -d' ' -f3-)"

# ---- 3B+ on slot 2, Pi 4 on slot 3 ----
probe eth2 pi3bplus -w 1500 >"$TEST_TMP/3bp.out"
check "3B+: one OFFER, slot 2's address" sh -c "test \$(grep -c 'type=offer' '$TEST_TMP/3bp.out') -eq 1 && grep -q 'yiaddr=10.99.0.6 ' '$TEST_TMP/3bp.out'"
check "3B+: menu without spaces" grep -q 'opt43=060103.*426f6f74ff ' "$TEST_TMP/3bp.out"
probe eth3 pi4 -w 1500 >"$TEST_TMP/pi4.out"
check "Pi 4: OFFER of slot 3's address with RPi4 echoed" grep -q 'yiaddr=10.99.0.10 .*opt97=0052506934' "$TEST_TMP/pi4.out"

# ---- same xid, two slots at once ----
probe eth1 pi3b -w 1500 >"$TEST_TMP/a.out" &
pa=$!
probe eth2 pi3b -w 1500 >"$TEST_TMP/b.out" &
pb=$!
wait "$pa" "$pb"
check "same xid on two slots: each its own address" sh -c "grep -q 'yiaddr=10.99.0.2 ' '$TEST_TMP/a.out' && grep -q 'yiaddr=10.99.0.6 ' '$TEST_TMP/b.out' && ! grep -q 10.99.0.6 '$TEST_TMP/a.out'"

# ---- malformed: never answered ----
for k in truncated badlen wrongop hlen; do
    probe eth1 "$k" -w 700 >"$TEST_TMP/$k.out"
    check "malformed ($k) gets no answer" test ! -s "$TEST_TMP/$k.out"
done
curl -sf --unix-socket "$PIRACK_SOCK" http://pirackd/v1/dhcp/stats >"$TEST_TMP/stats.json"
cat "$TEST_TMP/stats.json"; echo
for reason in truncated bad_option bad_op bad_htype; do
    check "malformed: counted as $reason" grep -q "\"$reason\": *1[,}]" "$TEST_TMP/stats.json"
done
check "the 3B's second OFFERs are counted" grep -q '"repeats": *[1-9]' "$TEST_TMP/stats.json"
# a burst of bad packets: each one counted or, when the socket's buffer
# was full, dropped by the kernel; none answered, and the server lives
bad_count() {
    curl -sf --unix-socket "$PIRACK_SOCK" http://pirackd/v1/dhcp/stats |
        sed -n 's/.*"bad_option": *\([0-9]*\).*/\1/p'
}
kernel_drops() { ip netns exec "$host" awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp; }
bad0=$(bad_count) drops0=$(kernel_drops)
probe eth2 badlen -c 1000 -w 1500 >"$TEST_TMP/burst.out"
check "a burst of 1000 malformed packets gets no answer" test ! -s "$TEST_TMP/burst.out"
bad1=$(bad_count) drops1=$(kernel_drops)
echo "burst: counted $((bad1 - bad0)), kernel receive-buffer drops $((drops1 - drops0))"
check "... each one counted or dropped by the kernel" \
    test "$((bad1 - bad0 + drops1 - drops0))" -eq 1000
check "pirackd still answers after malformed packets" sh -c "ip netns exec $pis $BIN/dhcp_probe -i eth1 -k pi3b -m $(mac_of 1) -w 600 | grep -q type=offer"

# Isolated mode: the interface names the slot, so the ROM's board is
# learned there without an assign (pirack bringup's isolated learning).
learned_in_slot1() {
    cli --json events --slot 1 | grep -q '"board.learned"' &&
        cli --json show 1 | grep -q "\"mac\": *\"$(mac_of 1)\""
}
check "a ROM in a slot with no board recorded is learned there" learned_in_slot1
check "pirackd stops cleanly" pirackd_stop

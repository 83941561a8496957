#!/bin/sh
# tftp_fairness: one slot's Pi cannot starve TFTP for the others.  20
# slots boot (tftpstorm: lock-step Pi 3 clients, each slot's .2) once
# alone and once while slot 1's Pi sends 5,000 read requests from new
# ports and never reads (tftpflood, at most 20 s).  With max_transfers 64
# the flood would hold every transfer (each waits out its retries); with a
# per-client share (64 / 8 = 8) and silent transfers shed first the 20
# finish as they do alone: within a generous factor of the quiet run.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root tftp_fairness
command -v sqlite3 >/dev/null || { skip tftp_fairness "sqlite3 is not installed"; exit 0; }
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BIN/tftpstorm" ] || [ ! -x "$BIN/tftpflood" ]; then
    skip tftp_fairness "pirackd, tftpstorm or tftpflood not built"; exit 0
fi
N=20
FACTOR=5

SRV=$(ns_new srv) || exit 1
CLI=$(ns_new cli) || exit 1
ip link add rack0 netns "$SRV" type veth peer name pis0 netns "$CLI"
ip -n "$SRV" addr add 10.99.0.1/22 dev rack0
ip -n "$SRV" link set rack0 up
ip -n "$CLI" link set pis0 up
# Each slot's Pi is its own board in flat mode: a macvlan with the board's
# MAC and the slot's .2 (.(4i - 2)), its packets routed out of it by
# source address, and only it answering ARP for that address.
ip netns exec "$CLI" sysctl -qw net.ipv4.conf.all.arp_ignore=1
boards=""
i=1
while [ $i -le $((N + 1)) ]; do
    mac=$(printf 'b8:27:eb:00:01:%02x' $i) addr=10.99.0.$((4 * i - 2))
    ip -n "$CLI" link add "mv$i" link pis0 type macvlan mode bridge
    ip -n "$CLI" link set "mv$i" address "$mac" up
    ip -n "$CLI" addr add "$addr/22" dev "mv$i" noprefixroute
    ip -n "$CLI" rule add from "$addr" table $((100 + i))
    ip -n "$CLI" route add 10.99.0.0/22 dev "mv$i" src "$addr" table $((100 + i))
    boards="$boards${boards:+, }('$mac', $i, 0)"
    i=$((i + 1))
done

CONF=$TEST_TMP/pirackd.conf
rack_conf "$CONF" $((N + 1)) flat rack0
printf '[tftp]\nmax_transfers = 64\n' >>"$CONF"
BOOT=$TEST_TMP/boot/default
head -c 52000 /dev/urandom >"$BOOT/bootcode.bin"
head -c 300000 /dev/urandom >"$BOOT/start.elf"
head -c 7000 /dev/urandom >"$BOOT/fixup.dat"
echo "console=serial0" >"$BOOT/cmdline.txt"
FILES=bootcode.bin,start.elf,fixup.dat,cmdline.txt
pirackd_start "$SRV" "$CONF" || { not_ok "tftp_fairness: pirackd starts"; exit 1; }
sqlite3 "$TEST_TMP/state/pirack.db" "PRAGMA busy_timeout=5000;
    INSERT INTO boards (mac, slot, first_seen_ms) VALUES $boards;" >/dev/null
wait_for 5 ip netns exec "$CLI" ping -c1 -W1 -I 10.99.0.2 10.99.0.1 >/dev/null

storm() {   # the 20 slots 2..21 boot; prints tftpstorm's line
    ip netns exec "$CLI" timeout 120 "$BIN/tftpstorm" -s 10.99.0.1 -c 10.99.0.6 -S 4 -n "$N" \
        -d "$BOOT" -f "$FILES" -T 60
}
wall() { sed -n 's/.*wall_ms=\([0-9]*\).*/\1/p'; }
failed() { sed -n 's/.*failed=\([0-9]*\).*/\1/p'; }

quiet=$(storm)
echo "quiet: $quiet"
check "20 slots boot alone" test "$(echo "$quiet" | failed)" = 0

ip netns exec "$CLI" timeout 30 "$BIN/tftpflood" -s 10.99.0.1 -c 10.99.0.2 -n 5000 \
    -f start.elf -r 500 -T 20 >"$TEST_TMP/flood.out" &
FLOOD=$!
at_exit "kill $FLOOD 2>/dev/null"
sleep 1   # the flood has filled what it can
loud=$(storm)
wait "$FLOOD"
echo "flood: $(cat "$TEST_TMP/flood.out")"
echo "with the flood: $loud"
check "20 slots boot while slot 1 floods" test "$(echo "$loud" | failed)" = 0
q=$(echo "$quiet" | wall) l=$(echo "$loud" | wall)
[ "${q:-0}" -lt 200 ] && q=200   # the quiet run's noise floor on a shared machine
check "they finish within ${FACTOR}x their quiet time (${l:-?} ms vs ${q} ms)" \
    test "${l:-999999}" -le $((FACTOR * q))
check "pirackd stops cleanly" pirackd_stop

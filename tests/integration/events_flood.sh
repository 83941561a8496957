#!/bin/sh
# events_flood: what a Pi sends cannot flood the event log.  10,000
# DISCOVERs from slot 1's link (isolated mode) and 10,000 DISCOVERs from
# random MACs (flat mode) leave the store within a stated bound: slot 1
# gets at most 160 rows plus one events.coalesced per kind a minute, the
# rack at most 160 + 2 x slots plus the summaries (daemon/store/coalesce.c);
# what was counted instead is written as events.coalesced when pirackd
# stops.  The real Pi still gets its OFFER and its boot file afterwards.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root events_flood
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BIN/dhcp_probe" ]; then
    skip events_flood "pirackd or dhcp_probe not built"; exit 0
fi
command -v sqlite3 >/dev/null || { skip events_flood "sqlite3 is not installed"; exit 0; }
command -v tftp >/dev/null || { skip events_flood "tftp-hpa is not installed"; exit 0; }

FLOOD=10000
SLOT_BOUND=$((160 + 24))
DB=$TEST_TMP/state/pirack.db
q() { sqlite3 "$DB" "PRAGMA busy_timeout=5000; $1" | tail -n 1; }
# The store's size once the write-ahead log is folded in: the log itself
# is transient (each commit appends whole pages, and SQLite's automatic
# checkpoint folds it back at 1000 pages), the rows are what stays.
db_kb() {
    sqlite3 "$DB" "PRAGMA busy_timeout=5000; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    du -ck "$DB"* | tail -n 1 | cut -f1
}

# ---- isolated: one slot's Pi floods ----
host=$(ns_new host) || exit 1
pis=$(ns_new pis) || exit 1
for n in 1 2; do
    ip link add "pi00$n" netns "$host" type veth peer name "eth$n" netns "$pis"
    ip -n "$pis" link set "eth$n" address "b8:27:eb:00:00:0$n"
    ip -n "$host" addr add "10.99.0.$((4 * n - 3))/30" dev "pi00$n"
    ip -n "$host" link set "pi00$n" up
    ip -n "$pis" link set "eth$n" up
done
conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 2
echo "slot 1's boot file" >"$TEST_TMP/boot/default/start.elf"
pirackd_start "$host" "$conf" || { not_ok "pirackd starts"; exit 1; }
kb0=$(db_kb)

ip netns exec "$pis" timeout 60 "$BIN/dhcp_probe" -i eth1 -k pi4 -m b8:27:eb:00:00:01 \
    -c "$FLOOD" -w 2000 >"$TEST_TMP/flood.out"
replies=$(grep -c type=offer "$TEST_TMP/flood.out")
rows=$(q "SELECT count(*) FROM events WHERE slot = 1")
echo "isolated: $FLOOD DISCOVERs, $replies OFFERs, $rows rows for slot 1, store $kb0 -> $(db_kb) KB"
check "the flood was answered (it reached pirackd)" test "$replies" -gt 1000
check "slot 1's flood adds at most $SLOT_BOUND rows" test "$rows" -le "$SLOT_BOUND"
check "the store stays small (under 256 KB more)" test "$(($(db_kb) - kb0))" -lt 256

probe_ok() { ip netns exec "$pis" "$BIN/dhcp_probe" -i "$1" -k pi4 -m "$2" -w 800 | grep -q "yiaddr=$3 "; }
check "slot 1's Pi still gets its OFFER" probe_ok eth1 b8:27:eb:00:00:01 10.99.0.2
check "slot 2's Pi still gets its OFFER" probe_ok eth2 b8:27:eb:00:00:02 10.99.0.6
ip -n "$pis" addr add 10.99.0.2/30 dev eth1
rm -f "$TEST_TMP/got.elf"
ip netns exec "$pis" timeout 20 tftp 10.99.0.1 -m binary -c get start.elf "$TEST_TMP/got.elf" >/dev/null 2>&1
check "slot 1's Pi still fetches its boot file" cmp -s "$TEST_TMP/got.elf" "$TEST_TMP/boot/default/start.elf"
check "pirackd stops cleanly" pirackd_stop
held=$(q "SELECT coalesce(sum(json_extract(detail, '$.count')), 0) FROM events
          WHERE slot = 1 AND kind = 'events.coalesced' AND detail LIKE '%dhcp.offer%'")
offers=$(q "SELECT count(*) FROM events WHERE slot = 1 AND kind = 'dhcp.offer'")
echo "slot 1: $offers dhcp.offer rows, $held counted into events.coalesced"
check "what was not recorded is counted, not lost" test "$((offers + held))" -ge "$replies"

# ---- flat: random MACs ----
ip -n "$host" link add rack0 type veth peer name eth0 netns "$pis"
ip -n "$host" addr add 10.99.0.1/30 dev rack0
ip -n "$host" link set rack0 up
ip -n "$pis" link set eth0 up
rm -f "$DB"*
rack_conf "$conf" 4 flat rack0
pirackd_start "$host" "$conf" || { not_ok "pirackd starts (flat)"; exit 1; }
kb0=$(db_kb)
ip netns exec "$pis" timeout 60 "$BIN/dhcp_probe" -i eth0 -k pi3bplus -c "$FLOOD" -r -w 500 >/dev/null
seen() { q "SELECT count(*) FROM events WHERE slot IS NULL AND kind = 'board.seen'"; }
wait_for 5 test "$(seen)" -gt 0
rows=$(q "SELECT count(*) FROM events WHERE slot IS NULL")
bound=$((160 + 2 * 4 + 24 + 2))   # + daemon.started and net events
echo "flat: $FLOOD DISCOVERs from random MACs, $(seen) board.seen, $rows rack rows, store $kb0 -> $(db_kb) KB"
check "random MACs add at most $bound rack rows" test "$rows" -le "$bound"
check "pirackd still answers a board in flat mode" sh -c \
    "ip netns exec $pis $BIN/dhcp_probe -i eth0 -k pi3bplus -m b8:27:eb:00:00:42 -w 800; \
     test \$(sqlite3 $DB 'SELECT count(*) FROM events') -gt 0"
check "pirackd stops cleanly (flat)" pirackd_stop

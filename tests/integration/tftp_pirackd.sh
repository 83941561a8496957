#!/bin/sh
# tftp_pirackd: the TFTP service inside the real pirackd.  Clients in their
# own namespaces, bridged to pirackd's, each with one address: slot 1's Pi
# (10.99.0.2), slot 2's Pi (10.99.0.6) and an address past the rack
# (10.99.2.2).  A slot's host side (.1 of its /30) is pirackd's own address
# in flat mode: a client there is asked from pirackd's namespace.  Slot 1 has its own boot
# directory; slot 2 gets boot/default.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pirackd.sh"
need_root tftp_pirackd
command -v tftp >/dev/null || { skip tftp_pirackd "tftp-hpa is not installed"; exit 0; }
command -v sqlite3 >/dev/null || { skip tftp_pirackd "sqlite3 is not installed"; exit 0; }

SRV=$(ns_new srv) || exit 1
ip -n "$SRV" link add br0 type bridge
ip -n "$SRV" addr add 10.99.0.1/22 dev br0
ip -n "$SRV" link set br0 up
n=0
client() {   # client NAME ADDRESS [MAC]: a namespace with one address on the bridge
    n=$((n + 1))
    ns=$(ns_new "$1") || return 1
    ip link add "t$$v$n" type veth peer name "t$$p$n"
    ip link set "t$$v$n" netns "$SRV"
    ip link set "t$$p$n" netns "$ns"
    ip -n "$SRV" link set "t$$v$n" master br0 up
    [ -z "${3:-}" ] || ip -n "$ns" link set "t$$p$n" address "$3"
    ip -n "$ns" addr add "$2/22" dev "t$$p$n"
    ip -n "$ns" link set "t$$p$n" up
}
# In flat mode a slot is served only to its board's MAC (flat_binding.sh).
client pi1 10.99.0.2 b8:27:eb:12:34:56 && client pi2 10.99.0.6 b8:27:eb:00:00:02 &&
    client stranger 10.99.2.2 ||
    { not_ok "tftp_pirackd: namespaces"; exit 1; }
PI1=$PR_NS_PREFIX-pi1 PI2=$PR_NS_PREFIX-pi2 STRANGER=$PR_NS_PREFIX-stranger

CONF=$TEST_TMP/pirackd.conf
rack_conf "$CONF" 4 flat br0
printf '[tftp]\nport = 69\ntimeout = 300ms\nprefix = rack7\n' >>"$CONF"
BOOT=$TEST_TMP/boot
mkdir -p "$BOOT/001/overlays" "$BOOT/default"
head -c 300000 /dev/urandom >"$BOOT/001/start.elf"
head -c 300000 /dev/urandom >"$BOOT/default/start.elf"
head -c 2000 /dev/urandom >"$BOOT/001/overlays/x.dtbo"
echo "secret of slot 1" >"$BOOT/001/cmdline.txt"

pirackd_start "$SRV" "$CONF" || { not_ok "tftp_pirackd: pirackd starts"; exit 1; }
DB=$TEST_TMP/state/pirack.db
sqlite3 "$DB" "PRAGMA busy_timeout=5000; INSERT INTO boards (mac, slot, first_seen_ms)
               VALUES ('b8:27:eb:12:34:56', 1, 0), ('b8:27:eb:00:00:02', 2, 0);" >/dev/null
wait_for 5 ip netns exec "$PI1" ping -c1 -W1 10.99.0.1

get() {   # get NS REMOTE LOCAL: prints tftp-hpa's messages
    rm -f "$3"
    ip netns exec "$1" timeout 20 tftp 10.99.0.1 -m binary -c get "$2" "$3" 2>&1
}
cd "$TEST_TMP" || exit 1

get "$PI1" start.elf s1 >/dev/null
check "slot 1's Pi gets boot/001/start.elf" cmp -s s1 "$BOOT/001/start.elf"
get "$PI2" start.elf s2 >/dev/null
check "slot 2's Pi (no boot/002) gets boot/default/start.elf" cmp -s s2 "$BOOT/default/start.elf"
get "$PI1" overlays/x.dtbo o1 >/dev/null
check "a file in a subdirectory" cmp -s o1 "$BOOT/001/overlays/x.dtbo"
get "$PI1" rack7/start.elf p1 >/dev/null
check "the configured prefix is stripped" cmp -s p1 "$BOOT/001/start.elf"

# Slot 1's board: the serial in its path is recorded for it.
get "$PI1" 00123456/start.elf z1 >/dev/null
check "a serial-prefixed path is served from the slot's directory" cmp -s z1 "$BOOT/001/start.elf"
check "the serial seen is recorded for the slot's board" \
    test "$(sqlite3 "$DB" "SELECT serial FROM boards WHERE slot = 1")" = 00123456
# A longer serial on record that ends in the 8 digits seen is kept.
sqlite3 "$DB" "PRAGMA busy_timeout=5000; UPDATE boards SET serial = '1000000000123456'
               WHERE slot = 1;" >/dev/null
get "$PI1" 00123456/start.elf z2 >/dev/null
check "a full serial on record is not cut to the low 8 digits" \
    test "$(sqlite3 "$DB" "SELECT serial FROM boards WHERE slot = 1")" = 1000000000123456

out=$(get "$PI1" missing.img m1)
case "$out" in *"Error code 1"*) ok "missing file: ERROR 1" ;; *) not_ok "missing file: ERROR 1 ($out)" ;; esac
out=$(get "$PI2" ../001/cmdline.txt t1)
case "$out" in *"Error code 2"*) ok "slot 2 cannot read slot 1's directory" ;; *) not_ok "slot 2 cannot read slot 1's directory ($out)" ;; esac
out=$(get "$PI1" /etc/passwd t2)
case "$out" in *"Error code 2"*) ok "absolute path refused" ;; *) not_ok "absolute path refused ($out)" ;; esac
out=$(get "$SRV" start.elf h1)     # from 10.99.0.1, slot 1's host side
case "$out" in *"Error code 2"*) ok "a slot's host-side address is no client" ;; *) not_ok "host-side address refused ($out)" ;; esac
out=$(get "$STRANGER" start.elf x1)
case "$out" in *"Error code 2"*) ok "an address past the rack is refused" ;; *) not_ok "address past the rack refused ($out)" ;; esac
out=$(ip netns exec "$PI1" timeout 10 tftp 10.99.0.1 -m binary -c put s1 up.bin 2>&1)
case "$out" in *"Error code 2"*) ok "WRQ refused" ;; *) not_ok "WRQ refused ($out)" ;; esac

# The timeline: request + done per file served, and the refusals.
q() { sqlite3 "$DB" "PRAGMA busy_timeout=5000; SELECT count(*) FROM events WHERE $1" | tail -n 1; }
check "tftp.request and tftp.done on slot 1" \
    test "$(q "slot = 1 AND kind = 'tftp.done' AND detail LIKE '%start.elf%'")" -ge 3
check "tftp.done on slot 2" test "$(q "slot = 2 AND kind = 'tftp.done'")" -eq 1
check "tftp.error for the missing file" test "$(q "slot = 1 AND kind = 'tftp.error' AND detail LIKE '%missing.img%'")" -eq 1
check "tftp.traversal on slot 2" test "$(q "slot = 2 AND kind = 'tftp.traversal'")" -eq 1
check "the refused strangers are on the rack's timeline" test "$(q "slot IS NULL AND kind = 'tftp.error'")" -ge 1
check "the serial appears in the request event" \
    test "$(q "slot = 1 AND kind = 'tftp.request' AND detail LIKE '%00123456%'")" -eq 2
check "pirackd stops cleanly" pirackd_stop

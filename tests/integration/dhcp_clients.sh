#!/bin/sh
# Real DHCP clients against pirackd: busybox udhcpc and ISC dhclient, each
# in its own "pi" namespace on a veth to pirackd's namespace (isolated mode,
# one interface per slot), get their slot's address, mask and router, then
# renew, reboot and release as RFC 2131 says.  The OFFERs go unicast to a
# client that has no address (neither client asks for broadcast), so they
# prove the raw send and its checksums: the kernel drops a bad UDP sum.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root dhcp_clients
if [ ! -x "$BUILD/pirackd" ] || [ ! -x "$BUILD/pirack" ]; then
    skip dhcp_clients "pirackd or pirack not built"; exit 0
fi
command -v busybox >/dev/null || { skip dhcp_clients "no busybox"; exit 0; }
command -v dhclient >/dev/null || { skip dhcp_clients "no dhclient"; exit 0; }

host=$(ns_new host) || exit 1
pi1=$(ns_new pi1) || exit 1
pi2=$(ns_new pi2) || exit 1
# slot N: host side piNNN with the /30's .1; the Pi side eth0, no address
ip link add pi001 netns "$host" type veth peer name eth0 netns "$pi1"
ip link add pi002 netns "$host" type veth peer name eth0 netns "$pi2"
ip -n "$host" addr add 10.99.0.1/30 dev pi001
ip -n "$host" addr add 10.99.0.5/30 dev pi002
for l in pi001 pi002; do ip -n "$host" link set "$l" up; done
ip -n "$pi1" link set eth0 up
ip -n "$pi2" link set eth0 up

conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 2
cat >>"$conf" <<'CONF'
[dhcp]
lease_time = 60
CONF
pirackd_start "$host" "$conf" || { not_ok "pirackd starts"; exit 1; }
ok "pirackd starts"

events() { cli --json events --slot "$1" 2>/dev/null; }
has_event() { events "$1" | grep -q "\"$2\""; }

# ---- busybox udhcpc on slot 1 ----
out1="$TEST_TMP/udhcpc.out"
script1="$TEST_TMP/udhcpc.script"
cat >"$script1" <<EOF
#!/bin/sh
echo "\$1 ip=\$ip subnet=\$subnet router=\$router lease=\$lease serverid=\$serverid" >>"$out1"
case "\$1" in
bound|renew) ip addr flush dev "\$interface"; ip addr add "\$ip/\$subnet" dev "\$interface" ;;
deconfig) ip addr flush dev "\$interface" ;;
esac
EOF
chmod +x "$script1"
ip netns exec "$pi1" busybox udhcpc -f -i eth0 -s "$script1" -t 5 -T 1 -A 1 \
    -p "$TEST_TMP/udhcpc.pid" >"$TEST_TMP/udhcpc.log" 2>&1 &
udhcpc_pid=$!
at_exit "kill -9 $udhcpc_pid"

check "udhcpc: bound to the slot's address" wait_for 10 grep -q "^bound ip=10.99.0.2 " "$out1"
check "udhcpc: mask /30" grep -q "^bound .*subnet=255.255.255.252 " "$out1"
check "udhcpc: router is the slot's .1" grep -q "^bound .*router=10.99.0.1 " "$out1"
check "udhcpc: server id is the slot's .1" grep -q "^bound .*serverid=10.99.0.1$" "$out1"
check "udhcpc: lease time from the config" grep -q "^bound .*lease=60 " "$out1"
check "udhcpc: the OFFER is an event" wait_for 5 has_event 1 dhcp.offer
check "udhcpc: the OS's DHCP marks the slot booted" wait_for 5 has_event 1 boot.booted

kill -USR1 "$udhcpc_pid"           # RENEWING: unicast REQUEST from 10.99.0.2
check "udhcpc: renews" wait_for 10 grep -q "^renew ip=10.99.0.2 " "$out1"
acks=$(events 1 | grep -o '"dhcp.ack"' | wc -l)
check "udhcpc: two ACKs recorded (select, renew)" test "$acks" -ge 2

kill -USR2 "$udhcpc_pid"           # RELEASE
check "udhcpc: release is recorded" wait_for 10 has_event 1 dhcp.release
kill "$udhcpc_pid" 2>/dev/null
wait "$udhcpc_pid" 2>/dev/null

# ---- ISC dhclient on slot 2 ----
out2="$TEST_TMP/dhclient.out"
script2="$TEST_TMP/dhclient.script"
cat >"$script2" <<EOF
#!/bin/sh
echo "\$reason ip=\$new_ip_address mask=\$new_subnet_mask routers=\$new_routers" >>"$out2"
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip addr flush dev "\$interface"
    ip addr add "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
RELEASE|EXPIRE|STOP) ip addr flush dev "\$interface" ;;
esac
EOF
chmod +x "$script2"
printf 'timeout 15;\nretry 1;\ninitial-interval 1;\n' >"$TEST_TMP/dhclient.conf"
dh() {
    ip netns exec "$pi2" dhclient -cf "$TEST_TMP/dhclient.conf" -sf "$script2" \
        -lf "$TEST_TMP/dhclient.leases" -pf "$TEST_TMP/dhclient.pid" "$@" eth0 \
        >>"$TEST_TMP/dhclient.log" 2>&1
}
dh -d &
dh_pid=$!
at_exit "kill -9 $dh_pid"
check "dhclient: bound to the slot's address" wait_for 15 grep -q "^BOUND ip=10.99.0.6 " "$out2"
check "dhclient: mask /30 and router .5" grep -q "^BOUND .*mask=255.255.255.252 routers=10.99.0.5$" "$out2"

dh -x                              # stop, keep the lease
wait "$dh_pid" 2>/dev/null
dh -d &                            # INIT-REBOOT: REQUEST for the remembered address
dh_pid=$!
at_exit "kill -9 $dh_pid"
check "dhclient: init-reboot gets the same address" wait_for 15 grep -q "^REBOOT ip=10.99.0.6 " "$out2"

dh -r                              # RELEASE and stop
wait "$dh_pid" 2>/dev/null
check "dhclient: release is recorded" wait_for 10 has_event 2 dhcp.release

# a client on a veth that is no slot's interface gets nothing
ip link add pi099x netns "$host" type veth peer name eth1 netns "$pi1"
ip -n "$host" link set pi099x up
ip -n "$pi1" link set eth1 up
ip netns exec "$pi1" busybox udhcpc -f -i eth1 -s "$script1" -t 2 -T 1 -n -q \
    >"$TEST_TMP/udhcpc-none.log" 2>&1
check "udhcpc on no slot's interface gets no lease" test $? -ne 0

curl -s --unix-socket "$PIRACK_SOCK" http://pirackd/metrics >"$TEST_TMP/metrics"
check "metrics: DHCP offers, acks and the release counted by type" sh -c "
    grep -Eq '^pirack_dhcp_packets_total\\{type=\"offer\"\\} [1-9]' '$TEST_TMP/metrics' &&
    grep -Eq '^pirack_dhcp_packets_total\\{type=\"ack\"\\} [1-9]' '$TEST_TMP/metrics' &&
    grep -Eq '^pirack_dhcp_packets_total\\{type=\"release\"\\} [1-9]' '$TEST_TMP/metrics' &&
    grep -q '^pirack_dhcp_dropped_total{reason=' '$TEST_TMP/metrics'"

check "pirackd stops cleanly" pirackd_stop

#!/bin/sh
# IPv6 for every Pi: the host side that pirackd keeps (addresses, routes
# tagged with its protocol), its router advertisements as a real client
# (rdisc6) sees them, and the Pi reaching its gateway.
#
# A rack-host namespace with a veth per slot (pi001, pi002) to two Pi
# namespaces (eth0 each), isolated mode; then one shared link, flat mode.
# pirackd runs inside the host namespace.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root ipv6_ra

DAEMON="$BUILD/pirackd"
[ -x "$DAEMON" ] || { not_ok "pirackd is built"; exit 1; }
command -v rdisc6 >/dev/null || { skip ipv6_ra "rdisc6 (ndisc6) is not installed"; exit 0; }

H=$(ns_new host) && P1=$(ns_new pi1) && P2=$(ns_new pi2) || { not_ok "namespaces"; exit 1; }
LOG="$TEST_TMP/daemon.log"
CONF="$TEST_TMP/pirackd.conf"
mkdir -p "$TEST_TMP/roots/001"

for i in 1 2; do
    eval "_pi=\$P$i"
    ip link add "pi00$i" netns "$H" type veth peer name eth0 netns "$_pi"
    ip -n "$H" link set "pi00$i" up
    ip -n "$_pi" link set eth0 up
done
# A route and an address that someone else made: never pirackd's to touch.
ip -n "$H" -6 route add 2001:db8:ffff::/64 dev pi002 proto static
ip -n "$H" -6 addr add 2001:db8:fffe::1/64 dev pi002 nodad
# And an untagged copy of an address the plan wants: left alone, no error.
ip -n "$H" addr add 10.99.0.1/30 dev pi001

# write_conf SLOTS MODE IFACE [extra [net] lines]
write_conf() {
    rack_conf "$CONF" "$1" "$2" "$3" dns="${DNS:-2001:db8:53::64, 2001:db8:53::65}" \
        ipv6="ra_interval = 10s
mtu = 1400" net="$4"
}

# Starts pirackd without waiting for its API (some configurations must be
# refused); pirackd_stop stops it.
start_daemon() {
    cat "$LOG" >>"$TEST_TMP/all.log" 2>/dev/null
    : >"$LOG"
    ip netns exec "$H" "$DAEMON" -c "$CONF" >>"$LOG" 2>&1 &
    PIRACKD_PID=$!
    at_exit "kill -9 $PIRACKD_PID"
}
# Exit status of a daemon that is expected to refuse to start.
refused() {
    _n=50
    while kill -0 "$PIRACKD_PID" 2>/dev/null && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
    if kill -0 "$PIRACKD_PID" 2>/dev/null; then pirackd_stop; return 1; fi
    wait "$PIRACKD_PID"; _rc=$?; PIRACKD_PID=""
    [ "$_rc" -ne 0 ]
}
routes() { ip -n "$H" -6 route show proto 196; }
has_route() { routes | grep -q "^$1 dev $2 "; }
addr_count() { ip -n "$H" addr show dev "$2" | grep -c "inet6\? $1 "; }
in_log() { grep -q "$1" "$LOG"; }

# ---- forwarding: off is a clear error (and no more), set_forwarding turns it on
ip netns exec "$H" sysctl -qw net.ipv6.conf.all.forwarding=0
write_conf 2 isolated 'pi%03d' "set_forwarding = no"
start_daemon
check "forwarding off: says so and how to fix it" \
    wait_for 5 in_log "IPv6 forwarding is off.*set_forwarding = yes"
check "forwarding off: the rest still comes up" wait_for 5 has_route 2001:db8:99::/64 pi001
check "forwarding off: left off" \
    test "$(ip netns exec "$H" sysctl -n net.ipv6.conf.all.forwarding)" = 0
pirackd_stop

write_conf 2 isolated 'pi%03d' "set_forwarding = yes"
start_daemon
check "set_forwarding turns it on" \
    wait_for 5 sh -c "[ \"\$(ip netns exec $H sysctl -n net.ipv6.conf.all.forwarding)\" = 1 ]"

# ---- addresses and routes
check "route for slot 1's /64 on pi001" wait_for 5 has_route 2001:db8:99::/64 pi001
check "route for slot 2's /64 on pi002" has_route 2001:db8:99:1::/64 pi002
check "slot 1: 10.99.0.1/30 on pi001" test "$(addr_count 10.99.0.1/30 pi001)" -eq 1
check "slot 1: 2001:db8:99::1/64 on pi001" test "$(addr_count 2001:db8:99::1/64 pi001)" -eq 1
check "slot 2: 10.99.0.5/30 on pi002" test "$(addr_count 10.99.0.5/30 pi002)" -eq 1
check "fe80::1 on every slot link" sh -c \
    "[ $(addr_count fe80::1/64 pi001) -eq 1 ] && [ $(addr_count fe80::1/64 pi002) -eq 1 ]"
check "an untagged planned address is someone else's: warned, not failed" sh -c \
    "grep -q \"exist without pirackd's tag\" $LOG && ! grep -q 'changes failed' $LOG"
check "no kernel prefix route doubles the /64" \
    sh -c "! ip -n $H -6 route show 2001:db8:99::/64 | grep -q 'proto kernel'"
check "the Pi's network configuration is written into its root" grep -qx \
    "Address=2001:db8:99::2/64" "$TEST_TMP/roots/001/etc/systemd/network/10-pirack.network"
check "slot 2 has no root tree: nothing is made for it" test ! -e "$TEST_TMP/roots/002"

# ---- router advertisements as rdisc6 sees them
rdisc() { ip netns exec "$1" rdisc6 -1 -r 5 -w 1500 eth0 >"$TEST_TMP/rdisc.$1" 2>&1; }
rd_has() { grep -Eq "$2" "$TEST_TMP/rdisc.$1"; }
if wait_for 15 rdisc "$P1"; then
    cat "$TEST_TMP/rdisc.$P1"
    check "RA: slot 1's prefix" rd_has "$P1" "Prefix +: 2001:db8:99::/64"
    check "RA: on-link" rd_has "$P1" "On-link +: +Yes"
    check "RA: no SLAAC (autonomous off)" rd_has "$P1" "Autonomous address conf\.: +No"
    check "RA: M flag off" rd_has "$P1" "Stateful address conf\. +: +No"
    check "RA: O flag off" rd_has "$P1" "Stateful other conf\. +: +No"
    check "RA: RDNSS 1" rd_has "$P1" "Recursive DNS server +: 2001:db8:53::64"
    check "RA: RDNSS 2" rd_has "$P1" "Recursive DNS server +: 2001:db8:53::65"
    check "RA: MTU" rd_has "$P1" "MTU +: +1400 bytes"
    check "RA: router lifetime 3 x interval" rd_has "$P1" "Router lifetime +: +30 "
    check "RA: from fe80::1" rd_has "$P1" "from fe80::1"
    check "RA: only slot 1's prefix on slot 1's link" sh -c "! grep -q 2001:db8:99:1:: $TEST_TMP/rdisc.$P1"
else
    cat "$TEST_TMP/rdisc.$P1"; cat "$LOG"
    not_ok "rdisc6 in the Pi's namespace received an RA"
fi
check "RA: slot 2's link gets slot 2's prefix" sh -c \
    "ip netns exec $P2 rdisc6 -1 -r 5 -w 1500 eth0 | grep -Eq 'Prefix +: 2001:db8:99:1::/64'"

# ---- rate limit: solicitations every 250 ms for 5 s get RAs, but never
# closer than MIN_DELAY_BETWEEN_RAS (3 s) apart on the link
ip netns exec "$P2" timeout 9 tcpdump -i eth0 -n -tt -l 'icmp6 and ip6[40] == 134' \
    >"$TEST_TMP/ras" 2>/dev/null &
TCPDUMP=$!
sleep 0.5
i=0
while [ $i -lt 20 ]; do
    ip netns exec "$P2" rdisc6 -1 -r 1 -w 250 eth0 >/dev/null 2>&1
    i=$((i + 1))
done
wait "$TCPDUMP"
grep . "$TEST_TMP/ras"
check "rate limit: the solicitations were answered" test "$(grep -c . "$TEST_TMP/ras")" -ge 2
check "rate limit: RAs at least 3 s apart" \
    awk 'NF == 0 { next } n++ && $1 - prev < 2.95 { bad = 1 } { prev = $1 } END { exit bad }' \
    "$TEST_TMP/ras"

# ---- GET /v1/net: what ops see
api_net() {
    curl -sf --unix-socket "$TEST_TMP/run/api.sock" http://pirack/v1/net >"$TEST_TMP/net.json" &&
        jq -e "$1" "$TEST_TMP/net.json" >/dev/null
}
if command -v jq >/dev/null; then
    check "GET /v1/net: protocol, forwarding, the untagged address counted" api_net \
        '.protocol == 196 and .ipv6_forwarding == true and .reconcile.runs >= 1 and .reconcile.failed == 0 and .reconcile.foreign == 1'
    check "GET /v1/net: RAs on 2 links, solicitations counted, none malformed" api_net \
        '.ra.enabled and .ra.links == 2 and .ra.solicitations >= 20 and .ra.malformed == 0'
    cat "$TEST_TMP/net.json"; echo
else
    skip "GET /v1/net" "jq is not installed"
fi

# ---- the Pi: static address, gateway learnt from the RA, ping
ip -n "$P1" -6 addr add 2001:db8:99::2/64 dev eth0 nodad
check "Pi learnt its default router fe80::1 from the RAs" \
    wait_for 15 sh -c "ip -n $P1 -6 route show default | grep -q 'via fe80::1'"
check "Pi pings its gateway ::1" ip netns exec "$P1" ping -6 -c 1 -W 2 2001:db8:99::1
check "Pi pings fe80::1" ip netns exec "$P1" ping -6 -c 1 -W 2 fe80::1%eth0
check "host reaches the Pi through the /64 route" ip netns exec "$H" ping -6 -c 1 -W 2 2001:db8:99::2

# ---- a slot link that goes down loses its IPv6 addresses and routes (the
# kernel flushes them); when it comes back pirackd puts them back
ip -n "$H" link set pi001 down
ip -n "$H" link set pi001 up
check "link bounce: route back" wait_for 5 has_route 2001:db8:99::/64 pi001
check "link bounce: ::1 and fe80::1 back" wait_for 5 sh -c \
    "[ \$(ip -n $H addr show dev pi001 | grep -c 'inet6 2001:db8:99::1/64\\|inet6 fe80::1/64') -eq 2 ]"
check "link bounce: re-added by pirackd (::1, fe80::1, route)" in_log "net: 3 added, 0 removed"

# ---- restart: routes stay, nothing doubles; the goodbye RA ends the default route
pirackd_stop
check "RSs were answered, none malformed" \
    grep -q "ra: stopped after [0-9]* RAs; [1-9][0-9]* solicitations answered, 0 malformed" "$LOG"
check "stop: the last RA (lifetime 0) removes the Pi's default router" \
    wait_for 5 sh -c "! ip -n $P1 -6 route show default | grep -q ."
check "stop: routes stay while pirackd is down" test "$(routes | wc -l)" -eq 2
start_daemon
check "restart: RAs come back" wait_for 15 sh -c "ip -n $P1 -6 route show default | grep -q 'via fe80::1'"
check "restart: still exactly 2 routes" test "$(routes | wc -l)" -eq 2
check "restart: no address doubled" sh -c \
    "[ $(addr_count 2001:db8:99::1/64 pi001) -eq 1 ] && [ $(addr_count 10.99.0.1/30 pi001) -eq 1 ]"
check "restart: nothing to add" sh -c "! grep -q 'net: [0-9]* added' $LOG"

# ---- a slot removed from the configuration loses what pirackd placed; its
# link hears a last RA; the links that stay hear the new settings at once
check "slot 2's Pi has pirackd as its default router" \
    wait_for 10 sh -c "ip -n $P2 -6 route show default | grep -q 'via fe80::1'"
DNS=2001:db8:53::99 write_conf 1 isolated 'pi%03d' "set_forwarding = yes"
kill -HUP "$PIRACKD_PID"
check "reload: the new resolver is advertised" wait_for 5 sh -c \
    "ip netns exec $P1 rdisc6 -1 -r 3 -w 1000 eth0 | grep -q 'Recursive DNS server *: 2001:db8:53::99'"
check "removed slot: its Pi drops the router (last RA)" \
    wait_for 5 sh -c "! ip -n $P2 -6 route show default | grep -q ."
check "removed slot: its route goes" wait_for 5 sh -c "! ip -n $H -6 route show proto 196 | grep -q pi002"
check "removed slot: its addresses go" sh -c \
    "[ $(addr_count 2001:db8:99:1::1/64 pi002) -eq 0 ] && [ $(addr_count 10.99.0.5/30 pi002) -eq 0 ] && [ $(addr_count fe80::1/64 pi002) -eq 0 ]"
check "removed slot: slot 1 untouched" has_route 2001:db8:99::/64 pi001
check "someone else's route stays" sh -c "ip -n $H -6 route show 2001:db8:ffff::/64 | grep -q pi002"
check "someone else's address stays" test "$(addr_count 2001:db8:fffe::1/64 pi002)" -eq 1
pirackd_stop

# ---- VLANs: this kernel has no 8021q; the error says so
ip link add vparent netns "$H" type veth peer name vpeer netns "$P2"
write_conf 2 isolated 'vl%03d' "set_forwarding = yes
create_vlans = yes
vlan_parent = vparent
vlan_base = 100"
start_daemon
check "create_vlans without 8021q: refused" refused
check "create_vlans without 8021q: says so" in_log "no 802.1Q VLAN support"

# ---- flat mode: one shared link, every /64 on it
ip -n "$H" link del pi001
ip -n "$H" link del pi002
ip link add rack0 netns "$H" type veth peer name eth0 netns "$P1"
ip -n "$H" link set rack0 up
ip -n "$P1" link set eth0 up
write_conf 2 flat rack0 "set_forwarding = yes"
start_daemon
check "flat: both /64s routed on the shared link" wait_for 5 sh -c \
    "ip -n $H -6 route show proto 196 | grep -q '^2001:db8:99::/64 dev rack0' && ip -n $H -6 route show proto 196 | grep -q '^2001:db8:99:1::/64 dev rack0'"
check "flat: the old slot links' leftovers are gone" test "$(routes | wc -l)" -eq 2
check "flat: one RA carries both prefixes" wait_for 15 sh -c \
    "ip netns exec $P1 rdisc6 -1 -r 5 -w 1500 eth0 >$TEST_TMP/flat && grep -q '2001:db8:99::/64' $TEST_TMP/flat && grep -q '2001:db8:99:1::/64' $TEST_TMP/flat"
pirackd_stop
echo "---- pirackd's log, every run"
cat "$TEST_TMP/all.log" "$LOG"

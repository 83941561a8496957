#!/bin/sh
# The real pirackd's proxy service with the real HAProxy: `pirack routes`,
# GET /v1/slots/{n}, a rename reaching HAProxy without a reload, HAProxy
# killed and restarted, pirackd restarted.  Hostile input and the guard
# are in proxy_haproxy.sh (the store itself refuses hostile names).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pirackd.sh"
need_root proxy_pirackd
for tool in haproxy curl busybox nc sqlite3; do
    command -v $tool >/dev/null 2>&1 || { skip proxy_pirackd "$tool is not installed"; exit 0; }
done

RACK=$(ns_new rack) && PI=$(ns_new pi) || exit 1
D=$TEST_TMP
MAPS=$D/haproxy
SOCK=$MAPS/admin.sock

# One Pi in slot 2: 2001:db8:99:1::2, a web server and an ssh banner.
ip link add "pr$$r" netns "$RACK" type veth peer name eth0 netns "$PI"
ip -n "$RACK" addr add 2001:db8:99:1::1/64 dev "pr$$r" nodad
ip -n "$RACK" link set "pr$$r" up
ip -n "$PI" addr add 2001:db8:99:1::2/64 dev eth0 nodad
ip -n "$PI" link set eth0 up
mkdir -p "$D/www"
echo "hello from slot 2" >"$D/www/index.html"
printf '#!/bin/sh\necho SSH-2.0-OpenSSH_9.2 slot2\n' >"$D/banner"
chmod +x "$D/banner"
ip netns exec "$PI" busybox httpd -f -p "[::]:80" -h "$D/www" >/dev/null 2>&1 &
ip netns exec "$PI" busybox nc -ll -p 22 -e "$D/banner" >/dev/null 2>&1 &

rack_conf "$D/pirackd.conf" 3 flat eth0 proxy="$PROXY_TEST_LINES"

check "pirackd starts without HAProxy" pirackd_start "$RACK" "$D/pirackd.conf"
check "pirackd rendered a configuration that haproxy -c accepts" haproxy -c -q -f "$MAPS/haproxy.cfg"
check "pirack routes says HAProxy is unreachable" wait_for 5 sh -c \
    "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -q 'UNREACHABLE'"
check "pirack routes lists the routes as not in HAProxy" sh -c \
    "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -Eq '^host +www.test-002.rack.example +2001:db8:99:1::2 +2 +NO'"

HAPROXY_PID=""
haproxy_start() {
    ip netns exec "$RACK" haproxy -f "$MAPS/haproxy.cfg" -db >>"$D/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    wait_for 5 sh -c "echo 'show info' | ip netns exec '$RACK' nc -U -N '$SOCK' | grep -q '^Pid:'"
}
PIRACK="$BUILD/pirack --socket $PIRACK_SOCK"
routes_json() { cli --json routes; }
all_in() { routes_json | grep -q '"in_haproxy": *true' && ! routes_json | grep -q '"in_haproxy": *false'; }
check "HAProxy starts" haproxy_start
check "every route is in HAProxy (GET /v1/routes)" wait_for 5 all_in
cli routes | sed 's/^/# /'
check "pirack routes shows HAProxy up" sh -c "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -q '^HAProxy at .*: up, pid'"
check "pirack routes shows the ssh route in HAProxy" sh -c \
    "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -Eq '^ssh +22002 +2001:db8:99:1::2 +2 +yes'"
check "GET /v1/slots/2 has the IPv6 address, names, ssh port and proxy routes" sh -c \
    "$PIRACK --json show 2 | grep -q '\"pi\": *\"2001:db8:99:1::2\"' &&
     $PIRACK --json show 2 | grep -q '\"www\": *\"www.test-002.rack.example\"' &&
     $PIRACK --json show 2 | grep -q '\"ssh_port\": *22002' &&
     $PIRACK --json show 2 | grep -q '\"kind\": *\"sni\", *\"key\": *\"www.test-002.rack.example\", *\"value\": *\"2001:db8:99:1::2\", *\"in_haproxy\": *true'"

in_rack() { ip netns exec "$RACK" "$@"; }
get_host() { in_rack curl -sS --max-time 5 -H "Host: $1" "http://$2/index.html"; }
check "HTTP by Host reaches the Pi over IPv4" sh -c "$(command -v ip) netns exec $RACK curl -sS --max-time 5 -H 'Host: www.test-002.rack.example' http://127.0.0.1/index.html | grep -q 'slot 2'"
check "ssh port 22002 reaches the Pi over IPv6" sh -c "$(command -v ip) netns exec $RACK timeout 5 nc -w 3 ::1 22002 </dev/null | grep -q 'SSH-2.0-OpenSSH_9.2 slot2'"

# A rename in the store reaches HAProxy within the check interval, no reload.
PID1=$(echo 'show info' | in_rack nc -U -N "$SOCK" | sed -n 's/^Pid: //p')
SERIAL1=$(sed -n 's/^@ IN SOA [^(]*( \([0-9]*\) .*/\1/p' "$D/rack.zone")
sqlite3 "$D/state/pirack.db" "PRAGMA busy_timeout=3000; UPDATE pis SET name = 'web' WHERE slot = 2;"
check "the new name's route is in HAProxy" wait_for 5 sh -c \
    "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -Eq '^host +www.web.rack.example .* yes'"
check "the new name reaches the Pi" sh -c "$(command -v ip) netns exec $RACK curl -sS --max-time 5 -H 'Host: www.web.rack.example' 'http://[::1]/index.html' | grep -q 'slot 2'"
check "no reload: HAProxy's Pid is unchanged" test "$(echo 'show info' | in_rack nc -U -N "$SOCK" | sed -n 's/^Pid: //p')" = "$PID1"
SERIAL2=$(sed -n 's/^@ IN SOA [^(]*( \([0-9]*\) .*/\1/p' "$D/rack.zone")
check "the zone's serial went up" test "$SERIAL2" -gt "$SERIAL1"
check "the zone names the renamed pi" grep -q "^web .*IN AAAA  2001:db8:99:1::2$" "$D/rack.zone"

# HAProxy killed: shown as unreachable; restarted: every route is back.
kill -9 "$HAPROXY_PID"; wait "$HAPROXY_PID" 2>/dev/null
check "a killed HAProxy shows as unreachable" wait_for 5 sh -c \
    "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -q 'UNREACHABLE'"
for m in ssh sni host; do cp "$MAPS/$m.map" "$D/$m.keep"; echo "# stale" >"$MAPS/$m.map"; done
check "HAProxy restarts (on stale map files)" haproxy_start
for m in ssh sni host; do cp "$D/$m.keep" "$MAPS/$m.map"; done
check "pirackd puts every route back" wait_for 5 all_in
check "the restart is an event" wait_for 3 sh -c "$PIRACK events | grep -q 'haproxy.restarted .*pid [0-9]* -> [0-9]*'"
check "after the restart the Pi answers" sh -c "$(command -v ip) netns exec $RACK curl -sS --max-time 5 -H 'Host: www.web.rack.example' http://127.0.0.1/index.html | grep -q 'slot 2'"

# A reload with one more slot: the configuration is rendered again with
# the wider ssh range, and slot 4's routes appear.
sed -i 's/^slots = 3$/slots = 4/' "$D/pirackd.conf"
kill -HUP "$PIRACKD_PID"
check "a reload renders the new ssh port range" wait_for 5 grep -q "bind :::22001-22004 v4v6" "$MAPS/haproxy.cfg"
check "a reload adds the new slot's routes" wait_for 5 sh -c \
    "'$BUILD/pirack' --socket '$PIRACK_SOCK' routes | grep -Eq '^sni +www.test-004.rack.example .* yes'"
check "haproxy -c accepts the new configuration" haproxy -c -q -f "$MAPS/haproxy.cfg"
SERIAL2=$(sed -n 's/^@ IN SOA [^(]*( \([0-9]*\) .*/\1/p' "$D/rack.zone")

# pirackd restarted: nothing changed, so the zone keeps its serial.
check "pirackd stops cleanly" pirackd_stop
check "pirackd starts again" pirackd_start "$RACK" "$D/pirackd.conf"
check "routes reconciled after the pirackd restart" wait_for 5 all_in
check "the zone kept its serial over the restart" test \
    "$(sed -n 's/^@ IN SOA [^(]*( \([0-9]*\) .*/\1/p' "$D/rack.zone")" = "$SERIAL2"

if [ "$PR_FAILED" -ne 0 ]; then
    echo "# slot 2:"; cli --json show 2
    echo "# events:"; cli events
fi
check "pirackd stops" pirackd_stop

if [ "$PR_FAILED" -ne 0 ]; then
    echo "# pirackd log:"; tail -n 40 "$PIRACKD_LOG"
    echo "# routes:"; cli routes
    echo "# slot 2:"; cli --json show 2
    echo "# events:"; cli events
fi

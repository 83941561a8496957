#!/bin/sh
# The front proxy with the real HAProxy 2.6 and real clients.
#
# Namespace "rack" runs HAProxy, the proxy engine (tests/tools/proxyd,
# which pirackd's proxy service drives the same way) and the clients,
# which reach HAProxy on 127.0.0.1 and ::1.  Namespaces "pi1" and "pi2"
# are Pis in slots 1 and 2 (2001:db8:99::2 and 2001:db8:99:1::2) with a
# web server on 80 (busybox httpd), TLS on 443 (openssl s_server) and an
# ssh-like banner on 22 (busybox nc).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root proxy_haproxy
for tool in haproxy openssl curl busybox nc; do
    command -v $tool >/dev/null 2>&1 || { skip proxy_haproxy "$tool is not installed"; exit 0; }
done
[ -x "$BIN/proxyd" ] || { not_ok "proxy_haproxy: $BIN/proxyd is missing (make tests)"; exit 1; }

RACK=$(ns_new rack) && PI1=$(ns_new pi1) && PI2=$(ns_new pi2) || exit 1
D=$TEST_TMP
MAPS=$D/haproxy
SOCK=$MAPS/admin.sock
STATUS=$D/status
NAMES=$D/names
EXTRA=$D/extra

# ---- the Pis ----
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=pi -keyout "$D/key.pem" \
    -out "$D/cert.pem" >/dev/null 2>&1
pi_up() {  # NS SLOT
    _ns=$1 _n=$2 _net="2001:db8:99:$(printf %x $(($2 - 1)))"
    ip link add "pr$$r$_n" netns "$RACK" type veth peer name eth0 netns "$_ns"
    ip -n "$RACK" addr add "$_net::1/64" dev "pr$$r$_n" nodad
    ip -n "$RACK" link set "pr$$r$_n" up
    ip -n "$_ns" addr add "$_net::2/64" dev eth0 nodad
    ip -n "$_ns" link set eth0 up
    ip -n "$_ns" -6 route add default via "$_net::1"
    mkdir -p "$D/www$_n"
    echo "hello from pi$_n" >"$D/www$_n/index.html"
    printf '#!/bin/sh\necho SSH-2.0-OpenSSH_9.2 pi%s\n' "$_n" >"$D/banner$_n"
    chmod +x "$D/banner$_n"
    ip netns exec "$_ns" busybox httpd -f -p "[::]:80" -h "$D/www$_n" >/dev/null 2>&1 &
    ip netns exec "$_ns" busybox nc -ll -p 22 -e "$D/banner$_n" >/dev/null 2>&1 &
    (cd "$D/www$_n" && exec ip netns exec "$_ns" openssl s_server -quiet -WWW -6 \
        -accept "[::]:443" -cert "$D/cert.pem" -key "$D/key.pem") >/dev/null 2>&1 &
}
pi_up "$PI1" 1
pi_up "$PI2" 2

# ---- pirackd's configuration and the engine ----
rack_conf "$D/pirackd.conf" 3 flat eth0 proxy="$PROXY_TEST_LINES"
printf '1 pi-one\n2 pi-two\n' >"$NAMES"
: >"$EXTRA"
ip netns exec "$RACK" "$BIN/proxyd" -c "$D/pirackd.conf" -n "$NAMES" -s "$STATUS" \
    -r "$EXTRA" 2>"$D/proxyd.log" &
check "engine renders haproxy.cfg and the maps" wait_for 5 test -s "$MAPS/sni.map"
check "haproxy -c accepts the rendered configuration" haproxy -c -q -f "$MAPS/haproxy.cfg"

HAPROXY_PID=""
haproxy_start() {
    ip netns exec "$RACK" haproxy -f "$MAPS/haproxy.cfg" -db >>"$D/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    wait_for 5 sh -c "echo 'show info' | nc -U -N '$SOCK' | grep -q '^Pid:'"
}
runtime() { echo "$1" | ip netns exec "$RACK" nc -U -N "$SOCK"; }
haproxy_pid() { runtime "show info" | sed -n 's/^Pid: //p'; }
in_haproxy() { grep -q "^route $1 $2 .* in_haproxy=1$" "$STATUS"; }
all_in_haproxy() {
    grep -q '^route ' "$STATUS" && ! grep -q 'in_haproxy=0' "$STATUS"
}
check "HAProxy starts on the rendered configuration" haproxy_start
check "every route is in HAProxy (engine's view)" wait_for 5 all_in_haproxy
FIRST_PID=$(haproxy_pid)

# ---- clients ----
in_rack() { ip netns exec "$RACK" "$@"; }
get_host() {  # HOST ADDR -> body
    in_rack curl -sS --max-time 5 -H "Host: $1" "http://$2/index.html"
}
get_sni() {  # NAME ADDR -> body
    in_rack curl -sSk --max-time 5 --resolve "$1:443:$2" "https://$1/index.html"
}
banner() {  # ADDR PORT -> first line
    in_rack timeout 5 nc -w 3 "$1" "$2" </dev/null | head -n 1
}
expect() {  # NAME WANT command...
    _n=$1 _w=$2; shift 2
    _got=$("$@" 2>&1)
    case "$_got" in *"$_w"*) ok "$_n" ;; *) not_ok "$_n"; echo "# wanted '$_w', got '$_got'" ;; esac
}

for addr in 127.0.0.1 "[::1]"; do
    expect "HTTP by Host reaches pi1 over $addr" "hello from pi1" get_host www.pi-one.rack.example "$addr"
    expect "HTTP by Host reaches pi2 over $addr" "hello from pi2" get_host www.pi-two.rack.example "$addr"
    expect "TLS by SNI reaches pi1 over $addr" "hello from pi1" get_sni www.pi-one.rack.example "$addr"
    expect "TLS by SNI reaches pi2 over $addr" "hello from pi2" get_sni www.pi-two.rack.example "$addr"
done
for addr in 127.0.0.1 ::1; do
    expect "ssh port 22001 reaches pi1's port 22 over $addr" "SSH-2.0-OpenSSH_9.2 pi1" banner "$addr" 22001
    expect "ssh port 22002 reaches pi2's port 22 over $addr" "SSH-2.0-OpenSSH_9.2 pi2" banner "$addr" 22002
done
two_on_one() {  # two requests for two Pis on one client connection
    in_rack curl -sS --max-time 5 -H "Host: www.pi-one.rack.example" http://127.0.0.1/index.html \
        --next -H "Host: www.pi-two.rack.example" http://127.0.0.1/index.html
}
expect "one client connection, two Pis: each request goes to its own Pi" \
    "hello from pi1
hello from pi2" two_on_one
code() { in_rack curl -s -o /dev/null --max-time 5 -w '%{http_code}' -H "Host: $1" http://127.0.0.1/; }
expect "unknown Host gets 404" 404 code www.nobody.rack.example
check "unknown SNI is reset" sh -c "! ip netns exec '$RACK' curl -sk --max-time 5 \
    --resolve www.nobody.rack.example:443:127.0.0.1 https://www.nobody.rack.example/ >/dev/null 2>&1"

# ---- a route added at runtime, without a reload ----
printf '1 pi-one\n2 renamed\n' >"$NAMES"
check "a renamed pi's route reaches HAProxy" wait_for 5 in_haproxy host www.renamed.rack.example
expect "the new name reaches pi2 by Host" "hello from pi2" get_host www.renamed.rack.example 127.0.0.1
expect "the new name reaches pi2 by SNI" "hello from pi2" get_sni www.renamed.rack.example "[::1]"
expect "the old name is gone (404)" 404 code www.pi-two.rack.example
check "no reload: HAProxy's Pid is unchanged" test "$(haproxy_pid)" = "$FIRST_PID"
check "the map file holds the new route" grep -q "^www.renamed.rack.example 2001:db8:99:1::2$" "$MAPS/host.map"
check "the zone names the new pi" grep -q "^renamed .*IN AAAA  2001:db8:99:1::2$" "$D/rack.zone"
check "the zone's www name points at the proxy" grep -q "^www.renamed .*IN A     192.0.2.80$" "$D/rack.zone"

# ---- hostile names and values ----
cat >"$NAMES" <<'EOF'
1 pi-one
2 renamed
3 evil;del map MAPS/sni.map www.pi-one.rack.example
EOF
sed -i "s|MAPS|$MAPS|" "$NAMES"
cat >"$EXTRA" <<EOF
host www.v4.rack.example 192.0.2.1
host www.outside.rack.example 2001:db8:ff::1
sni www.semicolon.rack.example 2001:db8:99::5;del map $MAPS/sni.map www.pi-one.rack.example
sni www.space.rack.example 2001:db8:99::5 #
host www.ok-extra.rack.example 2001:db8:99:2::2
sni www.evil;show.rack.example 2001:db8:99::2
host www.a b.rack.example 2001:db8:99::2
host www.hash#.rack.example 2001:db8:99::2
host WWW.UPPER.rack.example 2001:db8:99::2
EOF
check "a good extra route reaches HAProxy" wait_for 5 in_haproxy host www.ok-extra.rack.example
refused() { grep -q "^refused $1 .*$2" "$STATUS"; }
check "a name with ; is refused with a reason" refused 3 'pi name "evil;del map .*" is not a lower-case DNS label'
check "an IPv4 value is refused" refused 0 'route value "192.0.2.1" is not an IPv6 address'
check "a value outside the pool is refused" refused 0 'route value 2001:db8:ff::1 is outside the Pi pool 2001:db8:99::/56'
check "a value with ; is refused" refused 0 'route value "2001:db8:99::5;del map .*" is not an IPv6 address'
check "a value with a space and # is refused" refused 0 'route value "2001:db8:99::5 #" is not an IPv6 address'
check "a key with ; is refused" refused 0 'sni route key "www.evil;show.rack.example" is not a lower-case host name'
check "a key with a space is refused (its second word is no address)" refused 0 'route value "b.rack.example 2001:db8:99::2" is not an IPv6 address'
check "a key with # is refused" refused 0 'host route key "www.hash#.rack.example"'
check "an upper-case key is refused" refused 0 'host route key "WWW.UPPER.rack.example"'
check "the engine logs each refusal" grep -q "refused: slot 3: pi name" "$D/proxyd.log"
check "the refused slot keeps its ssh port" in_haproxy ssh 22003
maps_now="$(runtime "show map $MAPS/ssh.map")$(runtime "show map $MAPS/sni.map")$(runtime "show map $MAPS/host.map")"
check "nothing hostile reached HAProxy (show map)" sh -c "! printf '%s' '$maps_now' | grep -Eq 'evil|192\.0\.2\.1|2001:db8:ff|semicolon|space|hash|UPPER|a b'"
check "pi1's route survived the attempted injection" sh -c "printf '%s' '$maps_now' | grep -q 'www.pi-one.rack.example 2001:db8:99::2'"
check "nothing hostile reached the map files" sh -c "! cat '$MAPS'/*.map | grep -Eq 'evil|192\.0\.2\.1|2001:db8:ff|;|#.*rack\.example'"

# ---- the set-dst guard, and the reconcile removing a foreign entry ----
runtime "add map $MAPS/host.map www.loop.rack.example 127.0.0.1" >/dev/null
check "a foreign non-Pi value never gets a connection (guard)" sh -c "! ip netns exec '$RACK' curl -sf \
    --max-time 5 -H 'Host: www.loop.rack.example' http://127.0.0.1/ >/dev/null 2>&1"
check "the reconcile removes the foreign entry" wait_for 5 sh -c \
    "! echo 'show map $MAPS/host.map' | ip netns exec '$RACK' nc -U -N '$SOCK' | grep -q www.loop"

# A foreign key that may never be named in a command (upper case): the
# engine replaces the whole map with prepare/commit instead.
runtime "add map $MAPS/sni.map WWW.FOREIGN.EXAMPLE 2001:db8:99::2" >/dev/null
check "a foreign unnameable key is swapped out (prepare/commit)" wait_for 5 sh -c \
    "! echo 'show map $MAPS/sni.map' | ip netns exec '$RACK' nc -U -N '$SOCK' | grep -qi foreign"
expect "after the swap pi1 still answers by SNI" "hello from pi1" get_sni www.pi-one.rack.example 127.0.0.1

# ---- HAProxy killed and restarted ----
: >"$EXTRA"
wait_for 5 sh -c "! grep -q ok-extra '$STATUS'"
kill -9 "$HAPROXY_PID"; wait "$HAPROXY_PID" 2>/dev/null
check "HAProxy gone: the routes stay desired, shown as not in HAProxy" wait_for 5 sh -c \
    "grep -q '^haproxy checked=1 reachable=0' '$STATUS' && grep -q 'route host www.renamed.rack.example .* in_haproxy=0' '$STATUS'"
# A stale copy of the maps, as on a remote HAProxy host: only the runtime
# API can bring the routes back.
for m in ssh sni host; do echo "# stale" >"$D/$m.map.stale"; cp "$MAPS/$m.map" "$D/$m.map.keep"; cp "$D/$m.map.stale" "$MAPS/$m.map"; done
check "HAProxy restarts" haproxy_start
for m in ssh sni host; do cp "$D/$m.map.keep" "$MAPS/$m.map"; done
check "every route is back in HAProxy" wait_for 5 all_in_haproxy
check "the engine saw the restart" wait_for 3 grep -q "^haproxy checked=1 reachable=1 pid=$(haproxy_pid) restarts=1" "$STATUS"
expect "after the restart pi1 answers by SNI" "hello from pi1" get_sni www.pi-one.rack.example 127.0.0.1
expect "after the restart pi2 answers by Host over IPv6" "hello from pi2" get_host www.renamed.rack.example "[::1]"
expect "after the restart pi2's ssh port works" "pi2" banner ::1 22002
check "the restart was logged" grep -q "event haproxy.restarted" "$D/proxyd.log"

if [ "$PR_FAILED" -ne 0 ]; then
    echo "# status:"; cat "$STATUS"; echo "# proxyd log:"; cat "$D/proxyd.log"
    echo "# haproxy log:"; tail -n 20 "$D/haproxy.log"
fi

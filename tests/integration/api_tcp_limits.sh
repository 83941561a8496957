#!/bin/sh
# The customer API on [api] listen holds before anyone logs in: one address
# holding 500 idle connections (half of them with half a request) does not
# stop another client from logging in and listing its servers at once, nor
# a client from the same address; a client that trickles its headers a
# byte at a time is cut at the header deadline (5 s), which libmicrohttpd's
# idle timeout alone never reaches; and the idlers lose their sockets.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

need_root api_tcp_limits
command -v jq >/dev/null || { skip api_tcp_limits "jq is not installed (make deps)"; exit 0; }
command -v python3 >/dev/null || { skip api_tcp_limits "python3 is not installed"; exit 0; }
ns=$(ns_new api_tcp_limits) || exit 1
ip netns exec "$ns" ip link set lo up
port=$(free_port)
conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 4
printf 'listen = 0.0.0.0:%s\n' "$port" >"$TEST_TMP/api.lines"
sed -i "/^\[api\]\$/r $TEST_TMP/api.lines" "$conf"
pirackd_start "$ns" "$conf" || { not_ok "api_tcp_limits: pirackd starts"; exit 1; }
ok "pirackd starts with [api] listen = 0.0.0.0:$port"

cli customer add alice >/dev/null
cli assign 1 b8:27:eb:00:00:01 --model 3B >/dev/null
cli set 1 name=web1 owner=alice >/dev/null
cli key create --customer alice --scope read >"$out" 2>/dev/null
id=$(sed -n 's/^key: *//p' "$out")
secret=$(sed -n 's/^secret: *//p' "$out")
check "an operator made alice's key" test -n "$id" -a -n "$secret"
base="http://127.0.0.1:$port"

# login_and_list SOURCE: logs in and lists from that address; prints the
# milliseconds it took, or "fail".
login_and_list() {
    t0=$(date +%s%N)
    tok=$(ip netns exec "$ns" curl -s -m 5 --interface "$1" -u "$id:$secret" \
        -d grant_type=client_credentials "$base/login" | jq -r .access_token 2>/dev/null)
    case $tok in pat_*) ;; *) echo fail; return ;; esac
    ip netns exec "$ns" curl -s -m 5 --interface "$1" -H "Authorization: Bearer $tok" \
        "$base/pi/servers" >"$TEST_TMP/list" 2>/dev/null
    jq -e '.servers | has("web1")' "$TEST_TMP/list" >/dev/null 2>&1 || { echo fail; return; }
    echo $((($(date +%s%N) - t0) / 1000000))
}
took=$(login_and_list 127.0.0.1)
check "login and list with no load ($took ms)" test "$took" != fail

ip netns exec "$ns" python3 "$TOP/tests/lib/slow_clients.py" idle "127.0.0.1:$port" 500 12 \
    'POST /login HTTP/1.1\r\nHost: x\r\nContent-Le' 127.0.0.2 >"$TEST_TMP/idle.out" 2>&1 &
idle_pid=$!
at_exit "kill $idle_pid 2>/dev/null"
wait_for 30 grep -q '^open' "$TEST_TMP/idle.out"
check "500 connections made from 127.0.0.2 ($(head -n 1 "$TEST_TMP/idle.out"))" \
    grep -q '^open' "$TEST_TMP/idle.out"
slow=0 times=""
for i in 1 2 3 4 5; do
    took=$(login_and_list 127.0.0.1)
    times="$times $took"
    [ "$took" != fail ] && [ "$took" -lt 2000 ] || slow=$((slow + 1))
done
check "with 500 idle connections from one address, another logs in and lists in under 2 s (ms:$times)" \
    test "$slow" -eq 0
took=$(login_and_list 127.0.0.2)
check "a client at the idlers' own address still gets in ($took ms)" \
    sh -c "test '$took' != fail && test '$took' -lt 2000"
wait "$idle_pid"
check "the idle connections are closed within 12 s ($(tail -n 1 "$TEST_TMP/idle.out"))" \
    grep -q '^alive 0$' "$TEST_TMP/idle.out"

# A client that sends a byte of its headers every half second: MHD's idle
# timeout (10 s) never fires; the header deadline (5 s) does.
ip netns exec "$ns" python3 "$TOP/tests/lib/slow_clients.py" trickle "127.0.0.1:$port" \
    'GET /pi/servers HTTP/1.1\r\nHost: x\r\nX-Slow: ' >"$TEST_TMP/trickle.out" 2>&1
secs=$(sed -n 's/^closed after \([0-9]*\)\..*/\1/p' "$TEST_TMP/trickle.out")
check "a client trickling its headers is cut at the header deadline ($(cat "$TEST_TMP/trickle.out"), want 4-8 s)" \
    sh -c "test -n '$secs' && test '$secs' -ge 4 && test '$secs' -le 8"
took=$(login_and_list 127.0.0.1)
check "the API answers afterwards ($took ms)" test "$took" != fail

pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

#!/bin/sh
# The control API protects itself: control bytes in a path are refused
# (not read as the path cut there), a chunked body past the limit gets its
# 413 like a declared one, a client that holds many idle connections
# neither locks out another client nor keeps its connections for long, and
# one that trickles its headers a byte at a time is cut at the header
# deadline.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

command -v python3 >/dev/null || { skip api_limits "python3 is not installed"; exit 0; }
command -v curl >/dev/null || { skip api_limits "curl is not installed"; exit 0; }
cli_rack api_limits 4

http() {
    curl -s -m 10 -o "$out" -w '%{http_code}' --unix-socket "$PIRACK_SOCK" "$@"
}

# ---- paths ----
code=$(http 'http://pirackd/v1/slots/1%00')
check "GET /v1/slots/1%00: 400, not slot 1" test "$code" = 400
check "GET /v1/slots/1%00: bad-request naming the control byte" \
    sh -c "jq -e '.error == \"bad-request\" and (.detail | test(\"control\"))' '$out' >/dev/null"
code=$(http 'http://pirackd/v1/slots/1%0a')
check "GET /v1/slots/1%0a: 400" test "$code" = 400
code=$(http 'http://pirackd/v1/events?slot=1%00')
check "a NUL byte in a query value: 400" test "$code" = 400
code=$(http 'http://pirackd/v1/slots/1')
check "GET /v1/slots/1 still answers" test "$code" = 200

# ---- a chunked body past the limit ----
head -c 70000 /dev/zero | tr '\0' 'x' >"$TEST_TMP/big"
code=$(http -X POST -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary @"$TEST_TMP/big" http://pirackd/v1/slots/1/power)
check "a 70 KB chunked body: 413 too-large" \
    sh -c "test '$code' = 413 && jq -e '.error == \"too-large\"' '$out' >/dev/null"
head -c 2000000 /dev/zero | tr '\0' 'x' >"$TEST_TMP/huge"
code=$(http -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$TEST_TMP/huge" \
    http://pirackd/v1/slots/1/power)
check "a 2 MB chunked body: 413 too-large, not a reset" test "$code" = 413

# ---- idle connections ----
# One process opens up to 300 connections and sends nothing (or half a
# request line); meanwhile pirack status must answer within 2 s, and the
# daemon must close the idlers long before libmicrohttpd's 30 s.
python3 "$TOP/tests/lib/slow_clients.py" idle "$PIRACK_SOCK" 300 16 'GET /v1/status HTTP/1.1\r\nHost: x' >"$TEST_TMP/idle.out" 2>&1 &
idle_pid=$!
at_exit "kill $idle_pid"
wait_for 10 grep -q '^open' "$TEST_TMP/idle.out"
sleep 0.5
slow=0 times=""
for i in 1 2 3 4 5; do
    start=$(date +%s%N)
    timeout 5 "$BUILD/pirack" --socket "$PIRACK_SOCK" status >/dev/null 2>&1 || slow=$((slow + 1))
    took=$((($(date +%s%N) - start) / 1000000))
    times="$times ${took}ms"
    [ "$took" -lt 2000 ] || slow=$((slow + 1))
done
check "with 300 idle connections held, pirack status answers in under 2 s (5 of 5:$times)" test "$slow" -eq 0
wait "$idle_pid"
check "idle connections are closed within 15 s" grep -q '^alive 0$' "$TEST_TMP/idle.out"
cli status >/dev/null
check "the API answers after the idlers are gone" test $? -eq 0

# A client that sends a byte of its headers every half second: MHD's idle
# timeout (10 s) never fires; the header deadline (5 s) cuts it.
python3 "$TOP/tests/lib/slow_clients.py" trickle "$PIRACK_SOCK" 'GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: ' >"$TEST_TMP/trickle.out" 2>&1
secs=$(sed -n 's/^closed after \([0-9]*\)\..*/\1/p' "$TEST_TMP/trickle.out")
check "a client trickling its headers is cut at the header deadline ($(cat "$TEST_TMP/trickle.out"), want 4-8 s)" \
    sh -c "test -n '$secs' && test '$secs' -ge 4 && test '$secs' -le 8"

pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

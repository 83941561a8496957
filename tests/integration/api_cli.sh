#!/bin/sh
# The control API and pirack(1) against the real pirackd: status, slots,
# show, events (also -f), --json parsed with jq, the API's errors as exit
# codes and messages, and the HTTP side (404, 405 + Allow, 400) seen with
# curl on the same socket.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

cli_rack api_cli 12

# ---- status ----
run status
check "status exits 0" test "$rc" -eq 0
check "status names the rack and domain" has "^rack: *test (rack.example)$"
check "status shows the mode" has "^mode: *isolated$"
check "status counts the slots" has "^slots: *12: "
run status --json
check "status --json: rack, domain, mode" jqt '.rack == "test" and .domain == "rack.example" and .mode == "isolated"'
version=$("$BUILD/pirack" --version | awk '{print $2}')
check "status --json: the daemon's version is the build's" jqt ".version == \"$version\""
check "status --json: uptime in seconds" jqt '.uptime_s >= 0 and .uptime_s < 600'
check "status --json: slots by state add up to the total" \
    jqt '.slots.total == 12 and ([.slots.by_state[]] | add) == 12'

# ---- slots ----
run slots
check "slots exits 0" test "$rc" -eq 0
check "slots prints a header and 12 rows" test "$(wc -l <"$out")" -eq 13
check "slots header" has "^SLOT  *STATE  *POWER  *NAME "
check "slot 1's row holds its addresses and ssh port" \
    sh -c "grep -E '^1 +' '$out' | grep -q '10\.99\.0\.2 .*2001:db8:99::2 .*22001'"
check "slot 12's row holds its addresses" \
    sh -c "grep -E '^12 +' '$out' | grep -q '10\.99\.0\.46 .*2001:db8:99:b::2 .*22012'"
run --json slots
check "slots --json is an array of 12 slots in order" jqt 'length == 12 and ([.[].slot] == [range(1;13)])'
check "slots --json: ssh ports follow the slots" jqt 'all(.[]; .ssh_port == 22000 + .slot)'

# ---- show ----
run show 1
check "show 1 exits 0" test "$rc" -eq 0
check "show 1: the /30" has "^ipv4: *10\.99\.0\.2 (host 10\.99\.0\.1, 10\.99\.0\.0/30)$"
check "show 1: the /64" has "^ipv6: *2001:db8:99::2 (host 2001:db8:99::1, 2001:db8:99::/64)$"
check "show 1: the names" has "^fqdn: *test-001\.rack\.example$"
check "show 1: the ssh name and port" has "^ssh: *ssh\.test-001\.rack\.example port 22001$"
check "show 1: the interface" has "^interface: *pi001$"
run show 7 --json
check "show 7 --json: slot, addresses, names" jqt '.slot == 7 and .addresses.v4.pi == "10.99.0.26"
    and .addresses.v6.prefix == "2001:db8:99:6::/64" and .names.www == "www.test-007.rack.example"
    and .pi.name == "test-007" and .board == null'
check "show 7 --json: state and since" jqt '(.state | type) == "string" and .state_since > 0'

run show 9999
check "show 9999 exits 1" test "$rc" -eq 1
check "show 9999 prints the API's message" \
    grep -q "^pirack: no-such-slot: slot 9999 is not in this rack (1-12)$" "$err"
check "show 9999 prints nothing on stdout" test ! -s "$out"
run show 0
check "show 0 exits 1 with the API's message" sh -c "test $rc -eq 1 && grep -q 'no-such-slot' '$err'"
run show abc
check "show abc is a usage error (exit 2)" sh -c "test $rc -eq 2 && grep -q '^usage: pirack show N' '$err'"
run frobnicate
check "an unknown command is a usage error" sh -c "test $rc -eq 2 && grep -q 'unknown command' '$err'"

# ---- events ----
run events
check "events exits 0" test "$rc" -eq 0
check "events shows the daemon's start" sh -c "grep -E '^1 .* rack +daemon\.started +pirackd ' '$out' >/dev/null"
run --json events --slot 0
check "events --slot 0 --json: only the rack's events" \
    jqt '(.events | length) >= 1 and all(.events[]; .slot == 0) and .events[0].kind == "daemon.started"'
check "events --json: next is the last id" jqt '.next == .events[-1].id'
next=$(jq .next "$out")
run --json events --since "$next"
check "events --since NEXT: nothing new" jqt '.events == [] and .next == '"$next"
run events --slot 13
check "events --slot 13 exits 1 with the API's message" \
    sh -c "test $rc -eq 1 && grep -q '^pirack: no-such-slot: slot 13' '$err'"
run events --slot x
check "events --slot x is a usage error" test "$rc" -eq 2

# -f: a reload is an event; the follower prints it and stops on SIGINT.
# pirack runs by exec, so that the signal goes to it, not to a shell.
follow_out="$TEST_TMP/follow" follow_pid="$TEST_TMP/follow.pid" follow_rc="$TEST_TMP/follow.rc"
( sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$follow_pid" \
      "$BUILD/pirack" --socket "$PIRACK_SOCK" events -f --since "$next" >"$follow_out" 2>&1
  echo $? >"$follow_rc" ) &
wait_for 5 test -s "$follow_pid"
follower=$(cat "$follow_pid")
at_exit "kill -9 $follower"
wait_for 5 grep -q "^ID " "$follow_out"
kill -HUP "$PIRACKD_PID"
check "events -f prints a new event as it comes" wait_for 5 grep -q "config\.reloaded" "$follow_out"
kill -INT "$follower"
check "events -f stops on SIGINT" wait_for 5 test -s "$follow_rc"
check "events -f exits 0 after SIGINT" test "$(cat "$follow_rc" 2>/dev/null)" = 0

# ---- the HTTP side, with curl ----
http() {
    curl -s -o "$out" -D "$TEST_TMP/headers" -w '%{http_code}' --unix-socket "$PIRACK_SOCK" "$@"
}
code=$(http http://pirackd/v1/nowhere)
check "unknown route: 404 with a JSON error" sh -c "test $code = 404 && jq -e '.error == \"not-found\"' '$out' >/dev/null"
code=$(http -X DELETE http://pirackd/v1/slots/1)
check "wrong method: 405" test "$code" = 405
check "wrong method: Allow: GET" grep -qi '^Allow: GET' "$TEST_TMP/headers"
check "errors are application/json" grep -qi '^Content-Type: application/json' "$TEST_TMP/headers"
code=$(http 'http://pirackd/v1/events?limit=0')
check "limit=0: 400 with the reason" sh -c "test $code = 400 && jq -e '.detail | test(\"limit\")' '$out' >/dev/null"
code=$(http 'http://pirackd/v1/events?slot=1&colour=blue')
check "an unknown query parameter: 400" test "$code" = 400
code=$(http 'http://pirackd/v1/slots/x1')
check "a slot that is not a number: 400" test "$code" = 400

# ---- the socket ----
run --socket "$TEST_TMP/no.sock" status
check "no daemon at the socket: exit 1 and why" \
    sh -c "test $rc -eq 1 && grep -q 'cannot reach pirackd at $TEST_TMP/no.sock' '$err'"
check "the socket has the configured mode" test "$(stat -c %a "$PIRACK_SOCK")" = 600
pirackd_stop
check "pirackd stops cleanly on SIGTERM" test $? -eq 0
check "pirackd removes its socket when it stops" test ! -e "$PIRACK_SOCK"

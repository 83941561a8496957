#!/bin/sh
# The event log followed live (server-sent events) on the real pirackd:
# GET /v1/events/stream on the ops socket gets events as they are
# recorded, resumes after Last-Event-ID (and ?since=), and `pirack events
# -f` follows it; GET /pi/events/stream on the customer listener carries
# only the customer's own pis' events, named by server, and needs a token.
# Streams past the limit are refused 503.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

need_root events_stream
command -v jq >/dev/null || { skip events_stream "jq is not installed (make deps)"; exit 0; }
ns=$(ns_new events_stream) || exit 1
ip netns exec "$ns" ip link set lo up
port=$(free_port)
conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 4
printf 'listen = 127.0.0.1:%s\n' "$port" >"$TEST_TMP/api.lines"
sed -i "/^\[api\]\$/r $TEST_TMP/api.lines" "$conf"
pirackd_start "$ns" "$conf" || { not_ok "pirackd starts with [api] listen"; exit 1; }
ok "pirackd starts with [api] listen"
base="http://127.0.0.1:$port"
ncurl() { ip netns exec "$ns" curl -s "$@"; }
scurl() { curl -s --unix-socket "$PIRACK_SOCK" "$@"; }

# A stream in the background, for SECONDS, into FILE.
follow() { # FILE SECONDS CURL-ARGS...
    _f=$1 _s=$2
    shift 2
    "$@" -N -m "$_s" >"$_f" 2>/dev/null &
}
# The ids of the data frames of FILE.
ids() { sed -n 's/^id: //p' "$1" | tr '\n' ' '; }
datas() { sed -n 's/^data: //p' "$1"; }

cli customer add alice >/dev/null
cli customer add bob >/dev/null
cli assign 1 b8:27:eb:00:00:01 --model 3B >/dev/null
cli assign 2 b8:27:eb:00:00:02 --model 3B >/dev/null
cli set 1 name=web1 owner=alice >/dev/null
cli set 2 name=bweb owner=bob >/dev/null

# ---- ops: live, then resumed ----
hdr="$TEST_TMP/hdr"
scurl -D "$hdr" -N -m 2 http://pirack/v1/events/stream >/dev/null 2>&1
check "the stream answers 200 text/event-stream" sh -c "grep -q '^HTTP/1.1 200' '$hdr' && grep -qi '^Content-Type: text/event-stream' '$hdr'"

follow "$TEST_TMP/live" 4 curl -s --unix-socket "$PIRACK_SOCK" http://pirack/v1/events/stream
live_pid=$!
sleep 1
cli set 3 name=late1 >/dev/null
cli set 4 name=late2 >/dev/null
wait "$live_pid"
datas "$TEST_TMP/live" | jq -s '.' >"$out"
check "a stream gets the events recorded while it is open" jqt '[.[] | select(.kind == "pi.updated") | .slot] == [3, 4]'
check "no event from before the stream opened" jqt 'all(.[]; .slot != 1 and .slot != 2)'
first_live=$(ids "$TEST_TMP/live" | awk '{print $1}')
check "each frame carries its event id" test -n "$first_live"

resume_from=$((first_live))
scurl -N -m 2 -H "Last-Event-ID: $resume_from" http://pirack/v1/events/stream >"$TEST_TMP/resumed" 2>/dev/null
want=$(cli --json events --since "$resume_from" | jq -r '[.events[].id] | map(tostring) | join(" ")')
got=$(ids "$TEST_TMP/resumed" | sed 's/ $//')
check "Last-Event-ID resumes right after that event, in order ($got)" test "$got" = "$want"
scurl -N -m 2 "http://pirack/v1/events/stream?since=0" >"$TEST_TMP/all" 2>/dev/null
check "?since=0 replays the whole log" test "$(ids "$TEST_TMP/all" | wc -w)" -eq "$(cli --json events | jq '.events | length')"
code=$(scurl -o /dev/null -w '%{http_code}' -m 2 -H "Last-Event-ID: x" http://pirack/v1/events/stream)
check "a malformed Last-Event-ID: 400" test "$code" = 400

# ---- pirack events -f ----
cli events -f >"$TEST_TMP/cli" 2>&1 &
cli_pid=$!
sleep 1
cli set 3 name=cli3 >/dev/null
sleep 1
kill "$cli_pid" 2>/dev/null
wait "$cli_pid" 2>/dev/null
check "pirack events -f prints an event as it comes" grep -q 'pi.updated.*cli3' "$TEST_TMP/cli"

# ---- customers ----
cli key create --customer alice --scope read,keys >"$out" 2>/dev/null
id=$(sed -n 's/^key: *//p' "$out")
secret=$(sed -n 's/^secret: *//p' "$out")
tok=$(ncurl -u "$id:$secret" -d grant_type=client_credentials "$base/login" | jq -r .access_token)
check "alice logs in" sh -c "echo '$tok' | grep -q '^pat_'"
code=$(ncurl -o /dev/null -w '%{http_code}' -m 2 "$base/pi/events/stream")
check "no token: 401" test "$code" = 401
code=$(scurl -o /dev/null -w '%{http_code}' -m 2 http://pirack/pi/events/stream)
check "the customer stream is not on the ops socket (404)" test "$code" = 404

follow "$TEST_TMP/alice" 4 ip netns exec "$ns" curl -s -H "Authorization: Bearer $tok" "$base/pi/events/stream?since=0"
alice_pid=$!
sleep 1
cli set 2 name=bweb2 >/dev/null # bob's
ncurl -o /dev/null -H "Authorization: Bearer $tok" -X PUT -d '{"ssh_key": "ssh-ed25519 AAAAC3 one"}' "$base/pi/servers/web1/ssh-key"
wait "$alice_pid"
datas "$TEST_TMP/alice" | jq -s '.' >"$out"
check "alice's stream has her server's events, named" jqt 'any(.[]; .server == "web1")'
check "alice's stream has nothing of bob's or of the rack" jqt 'all(.[]; .server == "web1") and all(.[]; has("slot") | not)'
check "alice's stream has her own change as it came, with her key as actor" jqt "any(.[]; .kind == \"pi.ssh_keys\" and .actor == \"key:$id\")"

# ---- the limits ----
i=0 pids=""
while [ $i -lt 4 ]; do
    ncurl -N -m 3 -o /dev/null -H "Authorization: Bearer $tok" "$base/pi/events/stream" &
    pids="$pids $!"
    i=$((i + 1))
done
sleep 1
code=$(ncurl -o /dev/null -w '%{http_code}' -m 1 -H "Authorization: Bearer $tok" "$base/pi/events/stream")
check "a key's fifth stream: 503" test "$code" = 503
code=$(scurl -o /dev/null -w '%{http_code}' -m 1 http://pirack/v1/events/stream)
check "the operators still get theirs" test "$code" = 200
for p in $pids; do wait "$p"; done

i=0 pids=""
while [ $i -lt 32 ]; do
    scurl -N -m 4 -o /dev/null http://pirack/v1/events/stream &
    pids="$pids $!"
    i=$((i + 1))
done
sleep 2
code=$(scurl -o /dev/null -w '%{http_code}' -m 1 http://pirack/v1/events/stream)
check "past 32 open streams: 503" test "$code" = 503
for p in $pids; do wait "$p"; done
# A suspended stream learns that its client left at the next heartbeat.
room() { test "$(scurl -o /dev/null -w '%{http_code}' -m 1 http://pirack/v1/events/stream)" = 200; }
check "streams whose clients left make room again within a heartbeat" wait_for 15 room
cli status >/dev/null
check "pirackd still answers" test $? -eq 0

pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

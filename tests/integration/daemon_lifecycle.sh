#!/bin/sh
# pirackd's life as systemd sees it: READY=1 on start, SIGHUP reloads a
# good configuration and refuses a bad one (keeping the old), WATCHDOG=1
# when asked, STOPPING=1 and a clean exit on SIGTERM; the API socket in
# [paths] run when [api] socket does not name one.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"

need_root daemon_lifecycle
command -v nc >/dev/null || { skip daemon_lifecycle "netcat-openbsd is not installed"; exit 0; }
ns=$(ns_new life) || exit 1
conf="$TEST_TMP/pirackd.conf"
rack_conf "$conf" 12

# A datagram socket in place of systemd's, to read what pirackd tells it.
notify="$TEST_TMP/notify.sock"
ip netns exec "$ns" nc -lkuU "$notify" >"$TEST_TMP/notify.out" 2>/dev/null &
at_exit "kill $!"
wait_for 5 test -S "$notify"
export NOTIFY_SOCKET="$notify" WATCHDOG_USEC=400000
pirackd_start "$ns" "$conf" || { not_ok "pirackd starts"; exit 1; }
ok "pirackd starts"
check "READY=1 sent to systemd" wait_for 5 grep -q "READY=1" "$TEST_TMP/notify.out"
check "WATCHDOG=1 sent when systemd asks for it" wait_for 5 grep -q "WATCHDOG=1" "$TEST_TMP/notify.out"
check "STATUS= tells systemd the slots booted and failed" \
    wait_for 5 grep -q "STATUS=rack [a-z0-9-]*: 12 slots, isolated mode; 0 booted, 0 failed, 0 booting, 12 off" "$TEST_TMP/notify.out"
pid=$PIRACKD_PID

total() { cli status --json | jq -r '.slots.total'; }
check "12 slots at start" test "$(total)" = 12

# A good change: more slots.
sed -i 's/^slots = 12$/slots = 20/' "$conf"
kill -HUP "$pid"
check "SIGHUP applies a good configuration" wait_for 5 sh -c "test \"\$($BUILD/pirack --socket $PIRACK_SOCK status --json | jq -r .slots.total)\" = 20"
check "STATUS= follows the reload" wait_for 5 grep -q "STATUS=rack [a-z0-9-]*: 20 slots, .*; reloaded" "$TEST_TMP/notify.out"
check "the reload is an event" wait_for 5 sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 0 | grep -q config.reloaded"

# A bad change: refused, old one kept, daemon still answering.
sed -i 's/^slots = 20$/slots = lots/' "$conf"
kill -HUP "$pid"
check "SIGHUP refuses a bad configuration with an event" wait_for 5 sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 0 | grep -q config.rejected"
check "the bad file's error is logged with its line" grep -q "pirackd.conf:5: slots: " "$PIRACKD_LOG"
check "the running configuration is kept" test "$(total)" = 20
check "STATUS= says the reload was refused" \
    wait_for 5 grep -q "STATUS=rack .*; reload refused, see the journal" "$TEST_TMP/notify.out"
check "pirackd still runs" kill -0 "$pid"

# A smaller rack while a cut slot holds a board: refused, nothing lost,
# until the operator confirms; then the slot goes and its events stay.
sed -i 's/^slots = lots$/slots = 20/' "$conf"
kill -HUP "$pid"
wait_for 5 sh -c "test \"\$($BUILD/pirack --socket $PIRACK_SOCK events --slot 0 | grep -c config.reloaded)\" -ge 2"
cli assign 18 b8:27:eb:00:00:18 >/dev/null
sed -i 's/^slots = 20$/slots = 16/' "$conf"
kill -HUP "$pid"
check "a reload that cuts a slot in use is refused with an event" wait_for 5 sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 0 | grep -q config.shrink-refused"
check "the refusal is logged with the slot and what it holds" grep -q "slots = 16 would cut slots 17-20, which hold 1 board" "$PIRACKD_LOG"
check "the running configuration is kept after a refused shrink" test "$(total)" = 20
check "the board is still in slot 18" sh -c "$BUILD/pirack --socket $PIRACK_SOCK show 18 | grep -q b8:27:eb:00:00:18"
check "pirack slots --shrink 17 is refused when the file says 16" sh -c "$BUILD/pirack --socket $PIRACK_SOCK slots --shrink 17 2>&1 | grep -q 'conflict: .*says slots = 16, not 17'"
check "pirack slots --shrink 16 cuts the rack" cli slots --shrink 16
check "16 slots after the confirmed shrink" test "$(total)" = 16
check "the cut slot's events stay in the store" sh -c "test \"\$(sqlite3 '$TEST_TMP/state/pirack.db' 'select count(*) from events where slot = 18')\" -ge 1"
check "... and pirack events --slot 18 still lists them" sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 18 | grep -q board.assigned"
check "a slot that never was answers no-such-slot" sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 40 2>&1 | grep -q '^pirack: no-such-slot: slot 40 is not in this rack (0-16)'"
cli assign 14 b8:27:eb:00:00:14 >/dev/null

pirackd_stop
rc=$?
check "SIGTERM exits 0" test "$rc" -eq 0
check "STOPPING=1 sent to systemd" grep -q "STOPPING=1" "$TEST_TMP/notify.out"
check "the socket is removed on stop" test ! -e "$PIRACK_SOCK"
check "the stop is recorded in the store" sh -c "sqlite3 '$TEST_TMP/state/pirack.db' \"select kind from events order by id desc limit 1\" | grep -q daemon.stopped"

# The same question at start: a file that cuts slot 14 (it holds a board)
# does not start, and says why; confirmed in the file, it starts.
sed -i 's/^slots = 16$/slots = 12/' "$conf"
ip netns exec "$ns" "$BUILD/pirackd" -c "$conf" >"$TEST_TMP/start.log" 2>&1 &
spid=$!
at_exit "kill -9 $spid"
wait_for 10 sh -c "! kill -0 $spid 2>/dev/null"
wait "$spid"
rc=$?
check "a start that would cut a slot in use fails" test "$rc" -ne 0
check "and says which slots and how to confirm" grep -q "slots = 12 would cut slots 13-16, which hold 1 board.*confirm_shrink = 12; not starting" "$TEST_TMP/start.log"
sed -i 's/^slots = 12$/slots = 12\nconfirm_shrink = 12/' "$conf"
pirackd_start "$ns" "$conf"
check "confirmed in the file, it starts with 12 slots" test "$(total)" = 12
pirackd_stop

# [paths] run without [api] socket: the API's socket is RUN/api.sock, in a
# directory pirackd makes, and it goes at stop.
sed -i -e '/^socket = /d' -e "s|^run = .*|run = $TEST_TMP/run2|" "$conf"
PIRACK_SOCK="$TEST_TMP/run2/api.sock"
if pirackd_start "$ns" "$conf"; then
    ok "[paths] run without [api] socket: pirackd answers on RUN/api.sock"
else
    not_ok "[paths] run without [api] socket: pirackd answers on RUN/api.sock"
fi
check "the log names RUN/api.sock" grep -q "api on $TEST_TMP/run2/api.sock" "$PIRACKD_LOG"
pirackd_stop
check "RUN/api.sock is removed on stop" test ! -e "$PIRACK_SOCK"

#!/bin/sh
# pirackd's life as systemd sees it: READY=1 on start, SIGHUP reloads a
# good configuration and refuses a bad one (keeping the old), WATCHDOG=1
# when asked, STOPPING=1 and a clean exit on SIGTERM.
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
pid=$PIRACKD_PID

total() { cli status --json | jq -r '.slots.total'; }
check "12 slots at start" test "$(total)" = 12

# A good change: more slots.
sed -i 's/^slots = 12$/slots = 20/' "$conf"
kill -HUP "$pid"
check "SIGHUP applies a good configuration" wait_for 5 sh -c "test \"\$($BUILD/pirack --socket $PIRACK_SOCK status --json | jq -r .slots.total)\" = 20"
check "the reload is an event" wait_for 5 sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 0 | grep -q config.reloaded"

# A bad change: refused, old one kept, daemon still answering.
sed -i 's/^slots = 20$/slots = lots/' "$conf"
kill -HUP "$pid"
check "SIGHUP refuses a bad configuration with an event" wait_for 5 sh -c "$BUILD/pirack --socket $PIRACK_SOCK events --slot 0 | grep -q config.rejected"
check "the bad file's error is logged with its line" grep -q "pirackd.conf:5: slots: " "$PIRACKD_LOG"
check "the running configuration is kept" test "$(total)" = 20
check "pirackd still runs" kill -0 "$pid"

pirackd_stop
rc=$?
check "SIGTERM exits 0" test "$rc" -eq 0
check "STOPPING=1 sent to systemd" grep -q "STOPPING=1" "$TEST_TMP/notify.out"
check "the socket is removed on stop" test ! -e "$PIRACK_SOCK"
check "the stop is recorded in the store" sh -c "sqlite3 '$TEST_TMP/state/pirack.db' \"select kind from events order by id desc limit 1\" | grep -q daemon.stopped"

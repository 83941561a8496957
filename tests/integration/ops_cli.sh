#!/bin/sh
# The operator's routes against the real pirackd (in its own netns):
# pirack assign / unassign / set and GET /metrics, with the API's refusals
# as exit codes and messages, and the events they leave.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

cli_rack ops_cli 6
slot_json() { cli --json show "$1" >"$out" 2>"$err"; }

# ---- assign ----
run assign 2 B8-27-EB-00-00-21 --serial 000000A1 --model 3B
check "assign exits 0" test "$rc" -eq 0
check "assign says what it did, MAC normalized" \
    has "^slot 2: board b8:27:eb:00:00:21, serial 000000a1, model 3B$"
slot_json 2
check "show 2: the board is there" \
    jqt '.board.mac == "b8:27:eb:00:00:21" and .board.serial == "000000a1" and .board.model == "3B"'
run --json events --slot 2
check "assign is an event with the operator as actor" \
    jqt '.events[-1].kind == "board.assigned" and (.events[-1].actor | startswith("ops:uid="))
         and .events[-1].detail.mac == "b8:27:eb:00:00:21"'

# ---- the same board elsewhere: 409 unless --move ----
run assign 5 b8:27:eb:00:00:21
check "the board in another slot: exit 1" test "$rc" -eq 1
check "... with the store's words and the way out" \
    said "^pirack: conflict: board b8:27:eb:00:00:21 is already in slot 2 (\"move\": true takes it out of there)$"
slot_json 5
check "... and slot 5 stays empty" jqt '.board == null'
run assign 5 b8:27:eb:00:00:21 --move
check "assign --move exits 0" test "$rc" -eq 0
slot_json 2
check "--move: slot 2 is empty" jqt '.board == null'
slot_json 5
check "--move: slot 5 holds the board, its serial kept" \
    jqt '.board.mac == "b8:27:eb:00:00:21" and .board.serial == "000000a1"'
run --json events --slot 2
check "--move: slot 2's timeline says where it went" \
    jqt '.events[-1].kind == "board.unassigned" and .events[-1].detail.moved_to == 5'

# ---- bad MACs and bad arguments ----
for mac in b8:27:eb:00:00 b8:27:eb:00:00:2g b8-27:eb:00:00:21 b827eb000021; do
    run assign 3 "$mac"
    check "bad MAC $mac: exit 1 with the reason" \
        sh -c "test $rc -eq 1 && grep -q 'is not a MAC address' '$err'"
done
run assign 3 b8:27:eb:00:00:31 --serial 12
check "a bad serial: exit 1 with the store's reason" \
    sh -c "test $rc -eq 1 && grep -q \"'12' is not a board serial\" '$err'"
run assign 7 b8:27:eb:00:00:31
check "assign to a slot past the rack: exit 1" \
    sh -c "test $rc -eq 1 && grep -q '^pirack: no-such-slot: slot 7 is not in this rack (1-6)$' '$err'"
run assign 3
check "assign without a MAC: usage (exit 2)" \
    sh -c "test $rc -eq 2 && grep -q '^usage: pirack assign SLOT MAC' '$err'"
run assign 3 b8:27:eb:00:00:31 --serial
check "--serial without a value: usage (exit 2)" test "$rc" -eq 2
run assign 3 b8:27:eb:00:00:31 --force
check "an unknown option: usage (exit 2)" test "$rc" -eq 2
slot_json 3
check "nothing refused was stored" jqt '.board == null'

# ---- unassign ----
run unassign 5
check "unassign exits 0 and names the board" \
    sh -c "test $rc -eq 0 && grep -q '^slot 5: board b8:27:eb:00:00:21 taken out$' '$out'"
slot_json 5
check "unassign: slot 5 is empty" jqt '.board == null'
run unassign 5
check "unassign an empty slot: exit 1 with why" \
    sh -c "test $rc -eq 1 && grep -q '^pirack: no-board: slot 5 holds no board$' '$err'"
run assign 1 b8:27:eb:00:00:21
check "a board out of its slot goes elsewhere without --move" test "$rc" -eq 0

# ---- set ----
run set 4 name=web-1 policy=cycle
check "set exits 0" test "$rc" -eq 0
check "set prints the pi" sh -c "grep -q '^name: *web-1$' '$out' && grep -q '^policy: *cycle$' '$out'"
check "set prints the new name's fqdn" has "^fqdn: *web-1\.rack\.example$"
slot_json 4
check "show 4: the pi's name and names" \
    jqt '.pi.name == "web-1" and .names.ssh == "ssh.web-1.rack.example" and .pi.policy == "cycle"'
run --json events --slot 4
check "set is a pi.updated event with the old name" \
    jqt '.events[-1].kind == "pi.updated" and .events[-1].detail.name == "web-1"
         and .events[-1].detail.old_name == "test-004"
         and (.events[-1].actor | startswith("ops:uid="))'
run set 4 policy=
slot_json 4
check "an empty value clears" jqt '.pi.policy == null and .pi.name == "web-1"'

for name in Web-1 web_1 -web 'web;del' ''; do
    run set 3 "name=$name"
    check "bad name '$name': exit 1, 400's reason" \
        sh -c "test $rc -eq 1 && grep -q '^pirack: bad-name: ' '$err'"
done
run set 3 name=Web-1
check "an upper-case name: the reason says lower case" said "is lower case"
run set 3 name=web-1
check "a name that is taken: exit 1" test "$rc" -eq 1
check "... saying which slot has it" said "^pirack: name-taken: the pi in slot 4 is already called web-1$"
run set 3 owner=nobody
check "an owner who is not a customer: exit 1" \
    sh -c "test $rc -eq 1 && grep -q \"no customer 'nobody'\" '$err'"
slot_json 3
check "nothing refused was stored" jqt '.pi.name == "test-003" and .pi.owner == null'
run set 3 colour=red
check "an unknown key: usage (exit 2)" sh -c "test $rc -eq 2 && grep -q 'unknown key' '$err'"
run set 3 name
check "no '=': usage (exit 2)" test "$rc" -eq 2
run set 3 name=a name=b
check "a key twice: usage (exit 2)" test "$rc" -eq 2

# ---- the HTTP side, with curl ----
http() {
    curl -s -o "$out" -D "$TEST_TMP/headers" -w '%{http_code}' --unix-socket "$PIRACK_SOCK" "$@"
}
code=$(http -X POST -H 'Content-Type: application/json' -d '{"mac": "b8:27:eb:00:00:61", "extra": 1}' \
    http://pirackd/v1/slots/6/board)
check "an unknown field: 400" sh -c "test $code = 400 && jq -e '.detail == \"unknown field \\\"extra\\\"\"' '$out' >/dev/null"
code=$(http -X PUT -H 'Content-Type: application/json' -d '{"name": 5}' http://pirackd/v1/slots/6/pi)
check "a name that is not a string: 400" test "$code" = 400

# ---- metrics ----
code=$(http http://pirackd/metrics)
check "GET /metrics: 200" test "$code" = 200
check "GET /metrics: Prometheus text 0.0.4" \
    grep -qi '^Content-Type: text/plain; version=0.0.4' "$TEST_TMP/headers"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$out"; }
check "pirack_up 1" test "$(metric pirack_up)" = 1
check "pirack_uptime_seconds is a number" \
    awk '$1 == "pirack_uptime_seconds" && $2 >= 0 && $2 < 600 { found = 1 } END { exit !found }' "$out"
check "pirack_slots add up to the 6 slots" \
    test "$(awk '/^pirack_slots\{/ { n += $2 } END { print n }' "$out")" = 6
check "pirack_slots has a series for each state, 0s too" \
    test "$(grep -c '^pirack_slots{state="[a-z]*"} [0-9]*$' "$out")" -ge 7
check "pirack_slots{state=\"off\"} counts the slots that are off" test "$(metric 'pirack_slots{state="off"}')" = 6
last=$(cli --json events | jq '.events[-1].id')
check "pirack_events_total is the number of events recorded ($last)" \
    test "$(metric pirack_events_total)" = "$last"
check "pirack_events_total is a counter" grep -q '^# TYPE pirack_events_total counter$' "$out"
check "pirack_info names the rack and the mode" grep -q '^pirack_info{version="[^"]*",rack="test",mode="isolated"} 1$' "$out"
# A label value may hold anything quoted, "{n}" of a route pattern too.
sample_re='^(# (HELP|TYPE) [a-z_:]+ .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eNaInf]+)$'
check "every line is a comment or NAME[{LABELS}] VALUE" sh -c "! grep -Ev '$sample_re' '$out'"

# ---- operator habits: per-command help, -q, the question before "all" ----
run power --help
check "pirack power --help: the power command's usage, exit 0" \
    sh -c "test $rc -eq 0 && grep -q '^usage: pirack .*power on|off|cycle|status N|N-M|all .*--max-booting K\] \[--no-wait\] \[--yes\]$' '$out'"
check "... with its options, not the global list" sh -c "grep -q -- '--stagger S' '$out' && ! grep -q '^Commands:' '$out'"
run --help
check "pirack --help: no synopsis cut short" has "power on|off|cycle|status N|N-M|all \[--stagger S\] \[--max-booting K\] \[--no-wait\] \[--yes\]$"
run events -h
check "pirack events -h: its own options" sh -c "test $rc -eq 0 && grep -q -- '--since ID' '$out'"
run -q status
check "-q: exit 0 and nothing on stdout" sh -c "test $rc -eq 0 && test ! -s '$out'"
run -q show 99
check "-q: errors still on stderr, exit 1" sh -c "test $rc -eq 1 && grep -q no-such-slot '$err'"
cli power off all </dev/null >"$out" 2>"$err"
rc=$?
check "power off all without a terminal or --yes: refused, exit 2" \
    sh -c "test $rc -eq 2 && grep -q '^pirack: power off all needs --yes when standard input is not a terminal$' '$err'"
check "... and no operation was asked for" sh -c "! $BUILD/pirack --socket $PIRACK_SOCK --json events | jq -e '.events[] | select(.kind == \"power.requested\")' >/dev/null"
if command -v tmux >/dev/null; then
    # A terminal: the question names the rack and the count; "n" does nothing.
    tsock="$TEST_TMP/tmux.sock"
    tmux -S "$tsock" new-session -d -x 160 -y 20 \
        "$BUILD/pirack --socket $PIRACK_SOCK power cycle all; echo rc=\$? >$TEST_TMP/tmux.rc; sleep 30"
    at_exit "tmux -S $tsock kill-server"
    wait_for 5 sh -c "tmux -S $tsock capture-pane -p | grep -q 'y/N'"
    check "on a terminal power cycle all asks, naming the rack and its slots" \
        sh -c "tmux -S $tsock capture-pane -p | grep -q '^Power cycle all 6 slots of rack test? \[y/N\]'"
    tmux -S "$tsock" send-keys n Enter
    wait_for 5 test -s "$TEST_TMP/tmux.rc"
    check "answered n: nothing done, exit 1" \
        sh -c "grep -q '^rc=1$' '$TEST_TMP/tmux.rc' && tmux -S $tsock capture-pane -p | grep -q '^pirack: nothing done$'"
    tmux -S "$tsock" kill-server 2>/dev/null
else
    skip "power cycle all asks on a terminal" "tmux is not installed"
fi

# ---- completion ----
if command -v bash >/dev/null; then
    comp() { bash -c ". '$TOP/cli/completion/pirack.bash'; COMP_WORDS=($1); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _pirack; echo \"\${COMPREPLY[*]}\""; }
    check "bash completes the commands" sh -c "echo '$(comp "pirack po")' | grep -qx power"
    check "bash completes power's actions" sh -c "echo '$(comp "pirack power c")' | grep -qx cycle"
    check "bash completes power's options" sh -c "echo '$(comp "pirack power off all --y")' | grep -qx -- --yes"
fi
if command -v zsh >/dev/null; then
    check "the zsh completion parses" zsh -n "$TOP/cli/completion/pirack.zsh"
else
    skip "zsh completion parses" "zsh is not installed"
fi

pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

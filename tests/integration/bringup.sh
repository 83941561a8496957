#!/bin/sh
# pirack bringup on a simulated rack: 6 slots in isolated mode behind one
# simulated SNMP switch, pisim playing Pi 3Bs in slots 1-5 (slot 6 has
# none, and the switch detects nothing there).  A bring-up from nothing
# learns every board without an assign and finds slot 6 empty; two boards
# swapped in the simulator (its swap fault, while their ports are off) are
# found swapped by a later bring-up; a run whose CLI is killed, and one
# whose pirackd is restarted, finish without redoing the slots they had
# done.  Then a flat rack of 3: one slot at a time, boards learned with no
# assign, the same again, and two swapped.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root bringup
command -v jq >/dev/null || { skip bringup "jq not installed"; exit 0; }
command -v snmpd >/dev/null || { skip bringup "snmpd not installed"; exit 0; }
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip bringup "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"

SLOTS=6
PIS_N=5
HOST=$(ns_new host) && PIS=$(ns_new pis) || { not_ok "bringup: namespaces"; exit 1; }
rack_create "$HOST" "$PIS" $SLOTS isolated 'pi%03d' || { not_ok "bringup: rack"; exit 1; }
SIM_NS=$HOST
. "$TOP/tests/lib/poe_sim.sh"
sim_state_new $SLOTS
# No Pi on port 6: turned on, it searches for a powered device and finds none.
echo "searching 6" >"$SIM_CTL"
snmp_sim_start || { not_ok "bringup: snmpd starts"; exit 1; }

CONF="$TEST_TMP/pirackd.conf"
rack_conf "$CONF" $SLOTS isolated 'pi%03d'
rack_bootfiles "$TEST_TMP/boot/default"
cat >>"$CONF" <<EOF
[power]
hold = 300ms
stagger = 300ms
max_booting = 8
max_booting_pi3 = 2
profiles = $TOP/poe/profiles
[bringup]
dhcp_deadline = 4s
serial_deadline = 4s
[switch a]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-$SLOTS
port_base = 1
community = private
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "bringup: pirackd starts"; exit 1; }

SIM=""
pisim_start() {   # the Pis' specs: IFACE[:MODEL[:SERIAL]]...
    ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --fast 4 --kernel-ms 300 \
        --timeout 300 --json "$TEST_TMP/pisim.json" "$@" 2>>"$TEST_TMP/pisim.err" &
    SIM=$!
    at_exit "kill $SIM 2>/dev/null"
}
pisim_stop() { kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null; SIM=""; }
# The swap fault's hands (SIGUSR2), then a report (SIGUSR1) that shows them done.
# (pisim reads pending signals lowest first: USR1 again until the report has it)
swapped_report() { kill -USR1 "$SIM" && sleep 0.2 && grep -q '"swapped"' "$TEST_TMP/pisim.json"; }
pisim_swap() { kill -USR2 "$SIM" && wait_for 5 swapped_report; }
serial_of() { printf '5ca1ab%02x' "$1"; }           # pisim's default serials
mac_of() { printf 'b8:27:eb:a1:ab:%02x' "$1"; }     # b8:27:eb + the serial's low 24 bits

J=$TEST_TMP/run.json
jqt() { jq -e "$1" "$J" >/dev/null; }
item() { jq -r ".items[] | select(.slot == $1) | .$2" "$J"; }
run_is() { cli --json bringup --status >"$J" 2>/dev/null && jqt "$1" >/dev/null; }
# The run's bringup.slot events for slot $2 (run $1): a slot is done once.
slot_events() {
    cli --json events --slot "$2" |
        jq "[.events[] | select(.kind == \"bringup.slot\" and (.detail.run // -1) == $1)] | length"
}

# ---- 1. from nothing: every board learned, none assigned by hand ----
# SIGUSR2 to pisim: the boards of slots 1 and 2 trade places once both are off.
pisim_start --fault 1:swap=2 pi001 pi002 pi003 pi004 pi005
# How many boot at once, sampled from /metrics while the run goes.
sample_booting() {
    _max=0
    while [ -e "$TEST_TMP/sampling" ]; do
        _v=$(curl -s --unix-socket "$PIRACK_SOCK" http://pirackd/metrics |
            sed -n 's/^pirack_power_booting \([0-9]*\)$/\1/p')
        [ -n "$_v" ] && [ "$_v" -gt "$_max" ] && _max=$_v && echo "$_max" >"$TEST_TMP/maxboot"
        sleep 0.1
    done
}
echo 0 >"$TEST_TMP/maxboot"
touch "$TEST_TMP/sampling"
sample_booting &
SAMPLER=$!
cli --json bringup >"$J" 2>"$TEST_TMP/cli.err"
rc=$?
rm -f "$TEST_TMP/sampling"
wait $SAMPLER
MAXBOOT=$(cat "$TEST_TMP/maxboot")
check "bringup: at most max_booting_pi3 = 2 Pi 3s booted at once (at most $MAXBOOT seen)" \
    test "$MAXBOOT" -ge 1 -a "$MAXBOOT" -le 2
check "bringup: the run finishes (exit 0)" test $rc -eq 0
check "bringup: 6 slots, all done" jqt '.running == false and .total == 6 and .done == 6'
check "bringup: 5 new boards, 1 empty" jqt '.counts.new == 5 and .counts.empty == 1'
ok_boards=0
for i in 1 2 3 4 5; do
    [ "$(item $i outcome)" = new ] && [ "$(item $i mac)" = "$(mac_of $i)" ] &&
        [ "$(item $i model)" = pi3b ] && [ "$(item $i serial)" = "$(serial_of $i)" ] &&
        [ "$(cli --json show $i | jq -r ".board.mac // \"\"")" = "$(mac_of $i)" ] &&
        ok_boards=$((ok_boards + 1))
done
check "bringup: each board's MAC, model and TFTP serial learned in its slot ($ok_boards/5)" \
    test $ok_boards -eq 5
empty6() { [ "$(item 6 outcome)" = empty ] && item 6 detail | grep -q 'detects no powered device'; }
port_is() { [ "$(cut -c "$1" "$SIM_STATE")" = "$2" ]; }
no_assign() { ! cli --json events | jq -e '.events[] | select(.kind == "board.assigned")' >/dev/null; }
learned_new() {
    cli --json events --slot "$1" |
        jq -e '.events[] | select(.kind == "board.learned" and .detail.outcome == "new")' >/dev/null
}
check "bringup: slot 6 powers nothing (the switch detects no device): $(item 6 detail)" empty6
check "bringup: slot 6's port is turned off again" wait_for 5 port_is 6 0
check "bringup: nobody ran pirack assign" no_assign
check "bringup: board.learned events name the outcome" learned_new 3
RUN1=$(jq -r .run "$J")

# Idempotent: run again with nothing changed, every board is the same.
cli --json bringup >"$J" 2>/dev/null
check "bringup again: 5 boards the same, 1 empty, a new run" \
    jqt ".counts.same == 5 and .counts.empty == 1 and .run > $RUN1"

# On a terminal: a progress bar, then the table (script(1) gives it a pty).
if command -v script >/dev/null; then
    script -qec "$BUILD/pirack --socket $PIRACK_SOCK bringup" /dev/null >"$TEST_TMP/tty" 2>&1
    check "bringup on a terminal: a progress bar up to 6/6" grep -q '\[#*\] 6/6 slots' "$TEST_TMP/tty"
    check "bringup on a terminal: then a line per slot" grep -q '^6 *empty' "$TEST_TMP/tty"
else
    skip "bringup on a terminal" "no script(1)"
fi

# ---- 2. two boards swapped between slots 1 and 2 ----
cli power off all --yes >/dev/null 2>&1
all_off() { [ "$(head -c 6 "$SIM_STATE")" = 000000 ]; }
check "swap: every port off" wait_for 10 all_off
check "swap: pisim swaps the boards of slots 1 and 2" pisim_swap
cli --json bringup >"$J" 2>/dev/null
check "swap: slots 1 and 2 moved, 3-5 the same" \
    jqt '.counts.moved == 2 and .counts.same == 3 and .counts.empty == 1'
check "swap: reported as a swapped pair" jqt '.swapped == [[1, 2]]'
check "swap: slot 1's board came from slot 2" \
    test "$(item 1 from_slot) $(item 1 mac)" = "2 $(mac_of 2)"
check "swap: the store follows" test "$(cli --json show 2 | jq -r ".board.mac // \"\"")" = "$(mac_of 1)"
cli bringup --status >"$TEST_TMP/table" 2>&1
check "swap: the table says so" grep -q "swapped: the boards of slots 1 and 2" "$TEST_TMP/table"

# ---- 3. the CLI killed mid-run: the run goes on, a new CLI follows it ----
cli --json bringup --no-wait >"$J" 2>/dev/null
RUN3=$(jq -r .run "$J")
check "interrupt: the run started" test "$RUN3" -gt 0
"$BUILD/pirack" --socket "$PIRACK_SOCK" bringup >/dev/null 2>&1 &
CLI_PID=$!
wait_for 20 run_is '.running and .done >= 1'
kill -9 $CLI_PID 2>/dev/null
wait $CLI_PID 2>/dev/null
check "interrupt: the run was cut mid-way" run_is ".run == $RUN3 and .running"
cli --json bringup >"$J" 2>"$TEST_TMP/cli.err"
check "interrupt: bringup again joins run $RUN3" grep -q "already running" "$TEST_TMP/cli.err"
check "interrupt: and follows it to its end" \
    jqt ".run == $RUN3 and .running == false and .done == 6 and .counts.same == 5"
once=0
for i in 1 2 3 4 5 6; do [ "$(slot_events $RUN3 $i)" = 1 ] && once=$((once + 1)); done
check "interrupt: no slot done twice ($once/6 once)" test $once -eq 6

# ---- 4. pirackd restarted mid-run: it resumes the run ----
cli --json bringup --no-wait >"$J" 2>/dev/null
RUN4=$(jq -r .run "$J")
wait_for 20 run_is '.running and .done >= 1'
run_is '.' && cp "$J" "$TEST_TMP/before.json"
DONE_BEFORE=$(jq -r '[.items[] | select(.phase == "done") | .slot] | join(" ")' "$TEST_TMP/before.json")
was_running() { jq -e '.running' "$TEST_TMP/before.json" >/dev/null; }
check "restart: the run was cut mid-way (done: $DONE_BEFORE)" was_running
kill -9 "$PIRACKD_PID" 2>/dev/null
wait "$PIRACKD_PID" 2>/dev/null
pirackd_start "$HOST" "$CONF" || { not_ok "restart: pirackd starts again"; exit 1; }
check "restart: the run goes on by itself" wait_for 30 run_is ".run == $RUN4 and .running == false"
resumed() {
    cli --json events | jq -e ".events[] | select(.kind == \"bringup.resumed\" and .detail.run == $1)" >/dev/null
}
check "restart: it says it resumed" resumed "$RUN4"
run_is '.'
check "restart: every slot done, boards the same" \
    jqt '.done == 6 and .counts.same == 5 and .counts.empty == 1'
redone=0
for i in $DONE_BEFORE; do [ "$(slot_events $RUN4 "$i")" = 1 ] || redone=$((redone + 1)); done
check "restart: the slots done before the restart were not redone ($redone redone)" \
    test $redone -eq 0
# ---- bad requests: clear errors, no run started ----
cli bringup --switch nosuch >/dev/null 2>"$TEST_TMP/err"
rc=$?
said() { grep -q -- "$1" "$TEST_TMP/err"; }
check "bad: an unknown switch is refused (exit 1, no-switch, names it)" \
    sh -c "test $rc -eq 1" && check "bad: ... says no-switch" said no-switch
check "bad: ... names the switch" said nosuch
cli bringup --slots 99 >/dev/null 2>"$TEST_TMP/err"
check "bad: a slot outside the rack is refused (no-such-slot)" said no-such-slot
bad_member() {
    curl -s --unix-socket "$PIRACK_SOCK" -X POST -d '{"slotz": "1"}' http://pirackd/v1/bringup |
        grep -q bad-request
}
check "bad: an unknown member is refused (bad-request)" bad_member
check "bad: none of them started a run" run_is ".run == $RUN4"
pisim_stop
check "bringup: pirackd stops cleanly" pirackd_stop

# ---- 5. flat mode: one slot at a time, each unknown board is that slot's ----
FL_HOST=$(ns_new fhost) && FL_PIS=$(ns_new fpis) || { not_ok "flat: namespaces"; exit 1; }
rack_create "$FL_HOST" "$FL_PIS" 3 flat 'pi%03d' || { not_ok "flat: rack"; exit 1; }
snmp_sim_stop
SIM_NS=$FL_HOST
sim_state_new 3
snmp_sim_start || { not_ok "flat: snmpd starts"; exit 1; }
rm -f "$TEST_TMP/state/pirack.db"*
rack_conf "$CONF" 3 flat rackbr
cat >>"$CONF" <<EOF
[power]
hold = 300ms
stagger = 0ms
profiles = $TOP/poe/profiles
[bringup]
dhcp_deadline = 4s
serial_deadline = 4s
[switch a]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-3
port_base = 1
community = private
EOF
pirackd_start "$FL_HOST" "$CONF" || { not_ok "flat: pirackd starts"; exit 1; }
PIS=$FL_PIS
pisim_start --fault 1:swap=2 pi001 pi002 pi003
cli --json bringup >"$J" 2>/dev/null
check "flat: 3 new boards" jqt '.done == 3 and .counts.new == 3'
right=0
for i in 1 2 3; do
    [ "$(cli --json show $i | jq -r ".board.mac // \"\"")" = "$(mac_of $i)" ] && right=$((right + 1))
done
check "flat: each board in its own slot ($right/3)" test $right -eq 3
booted3() { cli --json slots | jq -e '[.[] | select(.state == "booted")] | length == 3' >/dev/null; }
check "flat: the learned boards boot" wait_for 30 booted3
cli --json bringup >"$J" 2>/dev/null
check "flat again: the 3 boards the same" jqt '.done == 3 and .counts.same == 3'
cli power off all --yes >/dev/null 2>&1
all_off3() { [ "$(head -c 3 "$SIM_STATE")" = 000 ]; }
check "flat swap: every port off" wait_for 10 all_off3
check "flat swap: pisim swaps the boards of slots 1 and 2" pisim_swap
cli --json bringup >"$J" 2>/dev/null
check "flat swap: slots 1 and 2 swapped, 3 the same" \
    jqt '.counts.moved == 2 and .counts.same == 1 and .swapped == [[1, 2]]'
check "flat swap: the store follows" test "$(cli --json show 1 | jq -r ".board.mac // \"\"")" = "$(mac_of 2)"
pisim_stop
check "flat: pirackd stops cleanly" pirackd_stop
exit 0

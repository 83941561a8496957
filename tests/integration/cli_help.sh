#!/bin/sh
# pirack's help: the global usage shows every command's whole synopsis,
# and COMMAND --help (or -h) shows that command's, exit 0, no daemon.
# power off|cycle all asks first on a terminal (script(1) gives it one)
# unless --yes; without a terminal it does not ask.
. "$(dirname "$0")/../lib/common.sh"

P="$BUILD/pirack"
[ -x "$P" ] || { skip cli_help "pirack is not built"; exit 0; }
"$P" --help >"$TEST_TMP/all" 2>&1
check "pirack --help exits 0" test $? -eq 0
check "the power line is whole (--no-wait)" grep -q "^  power .*--max-booting K\] \[--no-wait\] \[--yes\]$" "$TEST_TMP/all"
"$P" --socket /nonexistent power --help >"$TEST_TMP/power" 2>&1
check "pirack power --help exits 0 without a daemon" test $? -eq 0
check "... and shows power's synopsis" grep -q "^usage: pirack .*power on|off|cycle|status N|N-M|all" "$TEST_TMP/power"
check "... not the global list" sh -c "! grep -q '^Commands:' '$TEST_TMP/power'"
"$P" events -h >"$TEST_TMP/events" 2>&1
check "pirack events -h shows events' synopsis" grep -q "^usage: pirack .* events" "$TEST_TMP/events"

if command -v script >/dev/null; then
    tty_run() { printf '%s\n' "$1" | script -qec "$P --socket $TEST_TMP/none.sock $2" /dev/null 2>&1; }
    tty_run n "power off all" >"$TEST_TMP/no"
    check "power off all on a terminal: asked, n refuses" \
        sh -c "grep -q 'power off every slot of the rack? \[y/N\]' '$TEST_TMP/no' && grep -q 'not confirmed; nothing done' '$TEST_TMP/no'"
    tty_run y "power cycle all" >"$TEST_TMP/yes"
    check "... y goes on (to the socket)" grep -q "cannot reach pirackd" "$TEST_TMP/yes"
    tty_run n "power off all --yes" >"$TEST_TMP/flag"
    check "... --yes does not ask" sh -c "! grep -q 'y/N' '$TEST_TMP/flag' && grep -q 'cannot reach pirackd' '$TEST_TMP/flag'"
    tty_run n "power on all" >"$TEST_TMP/on"
    check "... power on all does not ask" sh -c "! grep -q 'y/N' '$TEST_TMP/on'"
else
    skip "power off all confirmation" "script (bsdutils) is not installed"
fi
"$P" --socket "$TEST_TMP/none.sock" power off all </dev/null >"$TEST_TMP/pipe" 2>&1
check "without a terminal power off all does not ask" sh -c "! grep -q 'y/N' '$TEST_TMP/pipe' && grep -q 'cannot reach pirackd' '$TEST_TMP/pipe'"

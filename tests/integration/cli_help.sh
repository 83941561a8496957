#!/bin/sh
# pirack's help: the global usage shows every command's whole synopsis,
# and COMMAND --help (or -h) shows that command's, exit 0, no daemon.
# power off|cycle all without a terminal needs --yes.
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

# The question on a terminal is driven through tmux in ops_cli.sh, where
# a daemon says how many slots the rack has.  Without a terminal there is
# nobody to ask: a script must say --yes.
"$P" --socket "$TEST_TMP/none.sock" power off all </dev/null >"$TEST_TMP/pipe" 2>&1
check "without a terminal power off all needs --yes (exit 2, says so)" sh -c \
    "test $? -eq 2 && grep -q 'needs --yes when standard input is not a terminal' '$TEST_TMP/pipe'"

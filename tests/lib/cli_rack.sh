# The setup shared by the tests that drive pirack(1) against the real
# pirackd (source after common.sh and pirackd.sh).
#
#   cli_rack NAME SLOTS   # skips (exit 0) without root or jq; starts pirackd
#                         # on a SLOTS-slot rack in a new netns; exit 1 if
#                         # it does not come up
#   run ARGS...           # pirack ARGS: stdout in $out, stderr in $err,
#                         # exit code in $rc
#   has RE / said RE      # a line of $out / $err matches RE
#   jqt FILTER            # jq -e FILTER holds on $out

out="$TEST_TMP/out" err="$TEST_TMP/err"

cli_rack() {
    need_root "$1"
    command -v jq >/dev/null || { skip "$1" "jq is not installed (make deps)"; exit 0; }
    _ns=$(ns_new "$1") || exit 1
    rack_conf "$TEST_TMP/pirackd.conf" "$2"
    pirackd_start "$_ns" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
    ok "pirackd starts ($2 slots) and answers pirack status"
}

run() { cli "$@" >"$out" 2>"$err"; rc=$?; }
has() { grep -q -- "$1" "$out"; }
said() { grep -q -- "$1" "$err"; }
jqt() { jq -e "$1" "$out" >/dev/null; }

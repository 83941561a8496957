# Shared helpers for integration tests (POSIX sh; source this file).
#
#   . tests/lib/common.sh
#   ok "name" / not_ok "name" / skip "name" "reason"
#   check "name" command args...      # ok when the command succeeds
#   at_exit "command"                 # cleanups, run in reverse order on exit
#   ns_new NAME                       # makes netns "$PR_NS_PREFIX-NAME", echoes it
#   wait_for SECONDS command...       # polls every 0.1 s until the command succeeds
#
# Every namespace and process a test makes is removed on exit, also after a
# failure or a signal.  Addresses go only to interfaces inside the test's
# namespaces; traffic goes only to loopback and to those namespaces.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PIRACK_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
BIN="$BUILD/bin"
PR_NS_PREFIX="pr$$"
PR_FAILED=0
PR_CLEANUPS=""
TEST_TMP=$(mktemp -d /tmp/pirack-test.XXXXXX)

ok()     { echo "ok $1"; }
not_ok() { echo "not ok $1"; PR_FAILED=1; }
skip()   { echo "skip $1: $2"; }

check() {
    _name=$1; shift
    if "$@"; then ok "$_name"; else not_ok "$_name"; fi
}

at_exit() { PR_CLEANUPS="$1
$PR_CLEANUPS"; }

_pr_cleanup() {
    _rc=$?
    trap - EXIT INT TERM
    echo "$PR_CLEANUPS" | while IFS= read -r _c; do
        [ -n "$_c" ] && eval "$_c" >/dev/null 2>&1
    done
    for _ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PR_NS_PREFIX-"); do
        ip netns pids "$_ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$_ns" 2>/dev/null
    done
    rm -rf "$TEST_TMP"
    if [ "$PR_FAILED" -ne 0 ]; then exit 1; fi
    exit "$_rc"
}
trap _pr_cleanup EXIT
trap 'exit 130' INT TERM

ns_new() {
    _ns="$PR_NS_PREFIX-$1"
    ip netns add "$_ns" || return 1
    ip -n "$_ns" link set lo up
    echo "$_ns"
}

wait_for() {
    _secs=$1; shift
    _n=$((_secs * 10))
    while [ "$_n" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    return 1
}

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        skip "$1" "needs root for network namespaces"; exit 0
    fi
}

# A TCP/UDP port that nothing on this namespace's loopback uses now.
free_port() {
    while :; do
        _p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
        ss -Htuan "( sport = :$_p )" 2>/dev/null | grep -q . || { echo "$_p"; return; }
    done
}

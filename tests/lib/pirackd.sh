# Start and stop the real pirackd for a test (source after common.sh).
#
#   rack_conf FILE SLOTS [MODE] [IFACE] [OPTION]...
#                                       # writes a config using $TEST_TMP paths;
#                                       # OPTIONs come after MODE and IFACE:
#                                       #   dns=LIST     [ipv6] dns (2001:db8:53::64)
#                                       #   ipv6=LINES   more [ipv6] lines
#                                       #   proxy=LINES  more [proxy] lines
#                                       #   net=LINES    a [net] section
#   pirackd_start NS CONF               # runs pirackd in netns NS, waits for its API
#   pirackd_stop                        # SIGTERM, waits; SIGKILL after 10 s
#   cli ARGS...                         # pirack on the test's socket
#
# The config's boot, state and socket paths all live in $TEST_TMP.

PIRACKD_PID=""
PIRACK_SOCK="$TEST_TMP/run/api.sock"
PIRACKD_LOG="$TEST_TMP/pirackd.log"

# The proxy tests' [proxy] lines (rack_conf proxy=...): public addresses
# for the zone, ssh ports from 22001, checks quick enough for a test, and
# an admin socket for root alone (pirackd runs as root here, and this host
# need not have a group pirack for HAProxy to give the socket to).
PROXY_TEST_LINES="ssh_port_base = 22001
admin_group =
ipv4 = 192.0.2.80
ipv6 = 2001:db8:ff::80
check_interval = 300ms
timeout = 500ms"

rack_conf() {
    _file=$1 _slots=$2 _mode=${3:-isolated} _iface=${4:-pi%03d}
    _dns=2001:db8:53::64 _ipv6="" _proxy="" _net=""
    shift 2
    [ $# -gt 0 ] && shift
    [ $# -gt 0 ] && shift
    for _opt; do
        case $_opt in
        dns=*) _dns=${_opt#dns=} ;;
        ipv6=*) _ipv6=${_opt#ipv6=} ;;
        proxy=*) _proxy=${_opt#proxy=} ;;
        net=*) _net=${_opt#net=} ;;
        *) echo "rack_conf: unknown option $_opt" >&2; return 1 ;;
        esac
    done
    mkdir -p "$TEST_TMP/boot/default" "$TEST_TMP/run" "$TEST_TMP/state"
    {
        cat <<CONF
[rack]
name = test
domain = rack.example
mode = $_mode
slots = $_slots
interface = $_iface
[ipv4]
pool = 10.99.0.0/22
[ipv6]
pool = 2001:db8:99::/56
dns = $_dns
CONF
        [ -z "$_ipv6" ] || printf '%s\n' "$_ipv6"
        cat <<CONF
[paths]
state = $TEST_TMP/state/pirack.db
boot = $TEST_TMP/boot
run = $TEST_TMP/run
images = $TEST_TMP/images
roots = $TEST_TMP/roots
traces = $TEST_TMP/traces
[proxy]
map_dir = $TEST_TMP/haproxy
config = $TEST_TMP/haproxy/haproxy.cfg
zone = $TEST_TMP/rack.zone
admin_socket = $TEST_TMP/haproxy/admin.sock
CONF
        [ -z "$_proxy" ] || printf '%s\n' "$_proxy"
        cat <<CONF
[api]
socket = $PIRACK_SOCK
mode = 0600
[log]
level = debug
CONF
        [ -z "$_net" ] || printf '[net]\n%s\n' "$_net"
    } >"$_file"
}

pirackd_start() {
    _ns=$1 _conf=$2
    ip netns exec "$_ns" "$BUILD/pirackd" -c "$_conf" >>"$PIRACKD_LOG" 2>&1 &
    PIRACKD_PID=$!
    at_exit "kill -9 $PIRACKD_PID"
    if ! wait_for 10 test -S "$PIRACK_SOCK" || ! wait_for 5 cli status; then
        echo "pirackd did not come up; its log:"; cat "$PIRACKD_LOG"
        return 1
    fi
}

pirackd_stop() {
    [ -n "$PIRACKD_PID" ] || return 0
    kill -TERM "$PIRACKD_PID" 2>/dev/null
    _n=100
    while kill -0 "$PIRACKD_PID" 2>/dev/null && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
    kill -9 "$PIRACKD_PID" 2>/dev/null
    wait "$PIRACKD_PID" 2>/dev/null
    _rc=$?
    PIRACKD_PID=""
    return $_rc
}

cli() { "$BUILD/pirack" --socket "$PIRACK_SOCK" "$@"; }

#!/bin/sh
# bench_tftp: the Pi 3 boot storm.  N lock-step Pi-3-like clients
# (tftpstorm: 512-byte blocks, tsize only, one block per ACK, each with its
# own address) fetch the Pi 3 file set (~8.5 MB, synthetic files of the
# real sizes) at once from pirack (prtftpd: the tftp library on its own
# loop), dnsmasq and tftpd-hpa, one after the other in the same run, over
# a veth between two network namespaces.
#
#   sh tests/bench/bench_tftp.sh            # N = 108
#   BENCH_N=200 sh tests/bench/bench_tftp.sh
#
# Prints wall time, server CPU time (utime+stime, children included, from
# /proc/PID/stat) and the clients' min/median/max time for each server,
# then the ratios.  Goal: pirack >= 2x faster than dnsmasq at N = 108 and
# no client slower than 1.25x the median.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib/common.sh"
need_root bench_tftp
N=${BENCH_N:-108}
for b in dnsmasq in.tftpd; do
    command -v $b >/dev/null || { skip bench_tftp "$b is not installed"; exit 0; }
done
PRTFTPD=${PRTFTPD:-$BIN/prtftpd}   # another build of the server, to compare
[ -x "$PRTFTPD" ] && [ -x "$BIN/tftpstorm" ] || { not_ok "bench_tftp: build the tools (make tests)"; exit 1; }

SRV=$(ns_new bsrv) CLI=$(ns_new bcli) || exit 1
VS="b$$s" VC="b$$c"
ip link add "$VS" type veth peer name "$VC" || exit 1
ip link set "$VS" netns "$SRV"
ip link set "$VC" netns "$CLI"
ip -n "$SRV" addr add 10.98.0.1/16 dev "$VS"
ip -n "$SRV" link set "$VS" up
i=0
while [ $i -lt "$N" ]; do
    echo "addr add 10.98.$((1 + i / 256)).$((i % 256))/16 dev $VC"
    i=$((i + 1))
done >"$TEST_TMP/addrs"
ip -n "$CLI" -batch "$TEST_TMP/addrs" || exit 1
ip -n "$CLI" link set "$VC" up
wait_for 5 ip netns exec "$CLI" ping -c1 -W1 10.98.0.1 || { not_ok "bench_tftp: veth up"; exit 1; }

# The Pi 3 file set: real sizes (docs/pi-boot.md section 13), random bytes.
ROOT=$TEST_TMP/root
mkdir -p "$ROOT"
mk() { head -c "$2" /dev/urandom >"$ROOT/$1"; }
mk bootcode.bin 52460
mk start.elf 2973536
mk fixup.dat 7262
mk config.txt 1536
mk bcm2710-rpi-3-b.dtb 25383
mk cmdline.txt 160
mk kernel7.img 5452840
FILES=bootcode.bin,bootsig.bin,start.elf,fixup.dat,config.txt,bcm2710-rpi-3-b.dtb,cmdline.txt,kernel7.img
# tftpd-hpa drops to nobody: let it read the tree.
chmod 755 "$TEST_TMP" "$ROOT"
chmod 644 "$ROOT"/*
HZ=$(getconf CLK_TCK)

# Server CPU time: a cgroup of the test's own holds the server and every
# child it forks (tftpd-hpa forks per client and does not wait for them, so
# /proc/PID/stat's cutime misses them); without one, utime+stime+cutime+
# cstime from /proc/PID/stat.
CG=""
for c in /sys/fs/cgroup/cpuacct /sys/fs/cgroup; do
    if [ -w "$c" ] && { [ -e "$c/cpuacct.usage" ] || [ -e "$c/cgroup.controllers" ]; } &&
       mkdir "$c/prbench$$" 2>/dev/null; then
        CG="$c/prbench$$"
        at_exit "rmdir $CG"
        break
    fi
done
cpu_ms() {
    if [ -n "$CG" ] && [ -e "$CG/cpuacct.usage" ]; then
        echo $(( $(cat "$CG/cpuacct.usage") / 1000000 ))
    elif [ -n "$CG" ]; then
        echo $(( $(sed -n 's/^usage_usec //p' "$CG/cpu.stat") / 1000 ))
    else
        awk -v hz="$HZ" '{ print int(($14 + $15 + $16 + $17) * 1000 / hz) }' "/proc/$1/stat"
    fi
}
in_cgroup() {
    if [ -n "$CG" ]; then
        exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"
    else
        exec "$@"
    fi
}

# BENCH_PIN=1: the server on CPU 0 (tftpd-hpa's children inherit it), the
# clients on CPU 1.  Off by default: pirackd is not pinned either, and on
# this 2-core machine pinning made every run's numbers worse and no
# steadier (cross-CPU wake-ups for every batch).
PIN_SRV="" PIN_CLI=""
if [ -n "${BENCH_PIN:-}" ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    PIN_SRV="taskset -c 0" PIN_CLI="taskset -c 1"
    # Each side's receive work on its own CPU, as on two machines: RPS
    # steers what arrives on a veth to the receiver's CPU instead of the
    # sender's softirq.
    ip netns exec "$SRV" sh -c "echo 1 >/sys/class/net/$VS/queues/rx-0/rps_cpus"
    ip netns exec "$CLI" sh -c "echo 2 >/sys/class/net/$VC/queues/rx-0/rps_cpus"
fi

port_bound() { ip netns exec "$SRV" ss -Hulnp "( sport = :69 )" | grep -q .; }

# run NAME COMMAND...: starts the server in SRV, storms it, stops it.
run() {
    name=$1; shift
    ( in_cgroup ip netns exec "$SRV" $PIN_SRV "$@" ) >"$TEST_TMP/$name.out" 2>&1 &
    pid=$!
    at_exit "kill -9 $pid"
    if ! wait_for 5 port_bound; then
        not_ok "bench_tftp: $name starts"; cat "$TEST_TMP/$name.out"; return 1
    fi
    c0=$(cpu_ms $pid)
    res=$(ip netns exec "$CLI" ${STORM_WRAP:-} $PIN_CLI timeout 300 "$BIN/tftpstorm" -s 10.98.0.1 -c 10.98.1.0 -n "$N" \
          -d "$ROOT" -f "$FILES" -T 240)
    rc=$?
    sleep 0.3          # let a forking server reap its children
    c1=$(cpu_ms $pid)
    kill -TERM $pid; wait $pid 2>/dev/null
    [ -z "${BENCH_VERBOSE:-}" ] || cat "$TEST_TMP/$name.out"
    echo "$name $res cpu_ms=$((c1 - c0))" | tee -a "$TEST_TMP/results"
    [ $rc -eq 0 ] || { not_ok "bench_tftp: every $name client got every file"; return 1; }
}

echo "bench_tftp: $N clients, Pi 3 file set, veth between two namespaces"
[ -n "$ONLY" ] && [ "$ONLY" != pirack ] || run pirack "$PRTFTPD" -a 0.0.0.0 -p 69 -r "$ROOT" -x $((N * 2 + 64))
# dnsmasq as the Pi netboot documentation runs it: enable-tftp and a
# tftp-root, a socket per transfer (its default).  DNSMASQ_EXTRA adds
# options, e.g. --tftp-single-port, which makes dnsmasq markedly slower.
[ -n "$ONLY" ] && [ "$ONLY" != dnsmasq ] || run dnsmasq dnsmasq -k --conf-file=/dev/null --port=0 --user=root \
    --pid-file="$TEST_TMP/dnsmasq.pid" --log-facility="$TEST_TMP/dnsmasq.log" \
    --enable-tftp --tftp-root="$ROOT" --tftp-max=$((N + 50)) ${DNSMASQ_EXTRA:-}
[ -n "$ONLY" ] && [ "$ONLY" != tftpd-hpa ] || run tftpd-hpa in.tftpd -L -s "$ROOT" -a 10.98.0.1:69

field() { sed -n "s/^$1 .*$2=\([0-9]*\).*/\1/p" "$TEST_TMP/results"; }
echo
printf '%-10s %9s %9s %9s %9s %9s %9s\n' server wall_ms cpu_ms client_ms median_ms max_ms max/median
for s in pirack dnsmasq tftpd-hpa; do
    w=$(field $s wall_ms) c=$(field $s " cpu_ms") k=$(field $s client_cpu_ms) m=$(field $s median_ms) x=$(field $s max_ms)
    [ -n "$w" ] || continue
    printf '%-10s %9s %9s %9s %9s %9s %9s\n' $s "$w" "$c" "$k" "$m" "$x" \
        "$(awk -v x="$x" -v m="$m" 'BEGIN { printf "%.2f", m ? x / m : 0 }')"
done
pw=$(field pirack wall_ms) pc=$(field pirack " cpu_ms")
for s in dnsmasq tftpd-hpa; do
    w=$(field $s wall_ms) c=$(field $s " cpu_ms")
    [ -n "$w" ] && [ -n "$pw" ] || continue
    awk -v s=$s -v w="$w" -v c="$c" -v pw="$pw" -v pc="$pc" 'BEGIN {
        printf "%s / pirack: wall %.2fx, server cpu %.2fx\n", s, w / pw, (pc ? c / pc : 0) }'
done
dw=$(field dnsmasq wall_ms) pm=$(field pirack median_ms) px=$(field pirack max_ms)
if [ -n "$pw" ] && [ -n "$dw" ]; then
    check "pirack at least 2x faster than dnsmasq (wall $pw ms vs $dw ms)" \
        awk -v p="$pw" -v d="$dw" 'BEGIN { exit !(d >= 2 * p) }'
    check "no pirack client slower than 1.25x the median ($px vs $pm ms)" \
        awk -v x="$px" -v m="$pm" 'BEGIN { exit !(x <= 1.25 * m) }'
fi

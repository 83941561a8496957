#!/bin/sh
# tftp_clients: the tftp library (in prtftpd, on loopback) against clients
# we did not write: tftp-hpa, curl and atftp; plus tftp-lossy, which loses
# and duplicates packets on purpose, and 200 clients at once.
. "$(dirname "$0")/../lib/common.sh"

for t in tftp curl atftp; do
    command -v $t >/dev/null || { skip tftp_clients "$t is not installed"; exit 0; }
done
[ -x "$BIN/prtftpd" ] && [ -x "$BIN/tftp-lossy" ] || { not_ok "tftp_clients: build/bin/prtftpd and tftp-lossy (make tests)"; exit 1; }

ROOT=$TEST_TMP/root OUT=$TEST_TMP/out
mkdir -p "$ROOT/sub" "$OUT"
head -c 1000 /dev/urandom >"$ROOT/small.bin"
head -c 1024 /dev/urandom >"$ROOT/exact.bin"          # ends with an empty block
: >"$ROOT/empty.bin"
head -c 9437184 /dev/urandom >"$ROOT/kernel.img"      # a 9 MB kernel
head -c 33600000 /dev/urandom >"$ROOT/big.img"        # > 65535 x 512: rolls over
head -c 262144 /dev/urandom >"$ROOT/start.elf"
printf 'kernel=kernel.img\r\nline two\nbare cr\rend\n' >"$ROOT/config.txt"
echo "not for the Pi" >"$TEST_TMP/secret"
ln -s /etc/passwd "$ROOT/passwd-link"
ln -s ../secret "$ROOT/secret-link"
ln -s kernel.img "$ROOT/kernel-link.img"                # a symlink that stays inside

EVENTS=$TEST_TMP/events STATS=$TEST_TMP/stats
"$BIN/prtftpd" -a 127.0.0.1 -p 0 -f "$TEST_TMP/port" -r "$ROOT" -t 200 -x 1024 -e \
    >"$EVENTS" 2>"$STATS" &
SRV=$!
at_exit "kill -9 $SRV"
wait_for 5 test -s "$TEST_TMP/port" || { not_ok "prtftpd starts"; exit 1; }
P=$(cat "$TEST_TMP/port")
cd "$OUT" || exit 1

same() { cmp -s "$1" "$2"; }

# ---- byte-identical downloads ------------------------------------------
for f in small.bin exact.bin empty.bin kernel.img big.img; do
    rm -f "hpa.$f" "curl.$f" "atftp.$f"
    timeout 30 tftp 127.0.0.1 "$P" -m binary -c get "$f" "hpa.$f" >/dev/null 2>&1
    check "tftp-hpa gets $f byte-identical" same "hpa.$f" "$ROOT/$f"
    # curl 7.88 calls an OACK with "tsize 0" invalid: ask it no options for
    # the empty file (the Pi firmware asks tsize and gets the RFC answer).
    copt="--tftp-blksize 1468"
    [ -s "$ROOT/$f" ] || copt="--tftp-no-options"
    timeout 30 curl -s $copt -o "curl.$f" "tftp://127.0.0.1:$P/$f" &&
        { [ -e "curl.$f" ] || : >"curl.$f"; }   # curl makes no file for 0 bytes
    check "curl ($copt) gets $f byte-identical" same "curl.$f" "$ROOT/$f"
    timeout 30 atftp --option "blksize 1024" --option "tsize 0" --option "windowsize 8" \
        -g -r "$f" -l "atftp.$f" 127.0.0.1 "$P" >/dev/null 2>&1
    check "atftp (blksize, tsize, windowsize 8) gets $f byte-identical" same "atftp.$f" "$ROOT/$f"
done
timeout 30 curl -s --tftp-blksize 8 -o curl8.bin "tftp://127.0.0.1:$P/small.bin"
check "curl with the smallest blksize (8)" same curl8.bin "$ROOT/small.bin"
timeout 30 curl -s -o link.img "tftp://127.0.0.1:$P/kernel-link.img"
check "a symlink inside the root is served" same link.img "$ROOT/kernel.img"
timeout 30 tftp 127.0.0.1 "$P" -m binary -c get 1234abcd/small.bin serial.bin >/dev/null 2>&1
check "a serial prefix is stripped" same serial.bin "$ROOT/small.bin"
check "the serial seen is reported" grep -q "^request .* 1234abcd/small.bin .*serial=1234abcd" "$EVENTS"

# ---- netascii ---------------------------------------------------------
timeout 10 tftp 127.0.0.1 "$P" -m netascii -c get config.txt ascii.txt >/dev/null 2>&1
check "netascii round trip through tftp-hpa is byte-identical" same ascii.txt "$ROOT/config.txt"
timeout 10 atftp --option "mode netascii" -g -r config.txt -l ascii2.txt 127.0.0.1 "$P" >/dev/null 2>&1 ||
    timeout 10 curl -s --use-ascii -o ascii2.txt "tftp://127.0.0.1:$P/config.txt"
check "netascii through a second client" same ascii2.txt "$ROOT/config.txt"

# ---- refusals ---------------------------------------------------------
out=$(timeout 10 tftp 127.0.0.1 "$P" -m binary -c put hpa.small.bin upload.bin 2>&1)
case "$out" in *"Error code 2"*) ok "WRQ refused with ERROR 2" ;; *) not_ok "WRQ refused with ERROR 2 ($out)" ;; esac
check "nothing was written" test ! -e "$ROOT/upload.bin"

t0=$(date +%s%N)
timeout 10 curl -s -o /dev/null "tftp://127.0.0.1:$P/bootsig.bin"
rc=$? t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "missing file: curl reports TFTP file not found (68)" test "$rc" -eq 68
check "missing file answered within milliseconds ($ms ms incl. curl start)" test "$ms" -lt 300
out=$(timeout 10 tftp 127.0.0.1 "$P" -m binary -c get bootsig.bin x 2>&1)
case "$out" in *"Error code 1"*) ok "missing file is ERROR 1 for tftp-hpa" ;; *) not_ok "missing file is ERROR 1 ($out)" ;; esac

for path in ../secret /etc/passwd passwd-link secret-link sub/../../secret; do
    rm -f trav.out
    out=$(timeout 10 tftp 127.0.0.1 "$P" -m binary -c get "$path" trav.out 2>&1)
    case "$out" in
        *"Error code 2"*) ok "traversal $path refused with ERROR 2" ;;
        *) not_ok "traversal $path refused with ERROR 2 ($out)" ;;
    esac
    check "traversal $path reported" grep -qF "traversal 127.0.0.1:" "$EVENTS"
    check "traversal $path leaked nothing" test ! -s trav.out
done
check "five traversal events" test "$(grep -c '^traversal ' "$EVENTS")" -eq 5

# ---- loss, duplication, probes ----------------------------------------
r=$(timeout 30 "$BIN/tftp-lossy" -p "$P" -f kernel.img -o lossy1 -A)
check "duplicated ACKs: file intact ($r)" same lossy1 "$ROOT/kernel.img"
case "$r" in *" dup_data=0 "*) ok "duplicated ACKs cause no duplicate DATA" ;; *) not_ok "duplicated ACKs cause no duplicate DATA ($r)" ;; esac
r=$(timeout 30 "$BIN/tftp-lossy" -p "$P" -f start.elf -o lossy2 -t -D 97 -K 89)
check "lost DATA and lost ACKs are retransmitted ($r)" same lossy2 "$ROOT/start.elf"
case "$r" in *" dropped=0 "*|*"acks_skipped=0") not_ok "the lossy client lost packets ($r)" ;; *) ok "the lossy client lost packets" ;; esac
r=$(timeout 30 "$BIN/tftp-lossy" -p "$P" -f start.elf -o probe.elf -E)
check "Early terminate probe, then the full file ($r)" same probe.elf "$ROOT/start.elf"
check "the probe is reported as a probe" grep -q "^probe .* start.elf .*msg=Early terminate" "$EVENTS"

# ---- 200 clients at once ----------------------------------------------
i=0 pids=""
while [ $i -lt 200 ]; do
    case $((i % 3)) in
        0) timeout 60 curl -s -o "many.$i" "tftp://127.0.0.1:$P/start.elf" & ;;
        1) timeout 60 tftp 127.0.0.1 "$P" -m binary -c get start.elf "many.$i" >/dev/null 2>&1 & ;;
        2) timeout 60 atftp -g -r start.elf -l "many.$i" 127.0.0.1 "$P" >/dev/null 2>&1 & ;;
    esac
    pids="$pids $!"
    i=$((i + 1))
done
t0=$(date +%s)
for p in $pids; do wait "$p"; done
secs=$(( $(date +%s) - t0 ))
good=0 i=0
while [ $i -lt 200 ]; do
    same "many.$i" "$ROOT/start.elf" && good=$((good + 1))
    i=$((i + 1))
done
check "200 clients at once: $good of 200 correct, in ${secs} s" test "$good" -eq 200

# ---- 1,000 transfers at once (tftpstorm: one address each, in a netns) ----
if [ "$(id -u)" -eq 0 ] && [ -x "$BIN/tftpstorm" ]; then
    NS=$(ns_new storm)
    head -c 32768 /dev/urandom >"$ROOT/storm.bin"
    ip netns exec "$NS" "$BIN/prtftpd" -a 0.0.0.0 -p 69 -r "$ROOT" -x 1100 2>"$TEST_TMP/storm.stats" &
    SPID=$!
    at_exit "kill -9 $SPID"
    wait_for 5 sh -c "ip netns exec $NS ss -Hul '( sport = :69 )' | grep -q ."
    r=$(ip netns exec "$NS" timeout 60 "$BIN/tftpstorm" -s 127.0.0.1 -c 127.0.1.0 -n 1000 \
        -d "$ROOT" -f storm.bin,nothere.bin,storm.bin -r 500 -T 50)
    check "1000 clients at once, every byte right ($r)" test $? -eq 0
    kill -TERM $SPID; wait $SPID
    cat "$TEST_TMP/storm.stats"
    peak=$(sed -n 's/.*peak_active \([0-9]*\).*/\1/p' "$TEST_TMP/storm.stats")
    check "1000 transfers ran at the same time (peak ${peak:-?})" test "${peak:-0}" -ge 1000
else
    skip "1000 transfers at once" "needs root and tftpstorm"
fi

# ---- the server's own counters ----------------------------------------
kill -TERM "$SRV"
wait "$SRV"
cat "$STATS"
check "server counted retransmissions" grep -Eq "retransmits [1-9]" "$STATS"
check "server saw no malformed packet" grep -q "malformed 0 " "$STATS"

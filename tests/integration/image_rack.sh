#!/bin/sh
# Issue 14's whole story in one simulated rack: pirackd, nfs-ganesha (with
# an rpcbind of its own, in a private /run) and an SNMP PoE switch
# simulator in the rack's namespace; pisim's two Pi 3Bs, powered by the
# switch's port-state file, in theirs.  Two disk images made by the test
# (sfdisk, mkfs.vfat, mkfs.ext4 -d: nothing mounted) are imported; a
# customer provisions two servers with os_image through the customer API;
# each Pi netboots, reads its root over NFSv3 (pisim --nfs-root: its own
# /etc/hostname, or the boot fails) and cannot read the other's root.
# pirack reimage 1 --image b power-cycles Pi 1 through the switch onto a
# new generation while Pi 2 keeps running; --undo goes back; the replaced
# generation expires after [images] keep_previous; releasing a server
# wipes its root, and only then is the slot handed out again.  The
# customer reinstalls a server (POST /pi/servers/NAME/reinstall) too.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"
. "$TOP/tests/lib/image.sh"

need_root image_rack
for t in ganesha.nfsd rpcbind nfs-cat unshare jq curl snmpd; do
    command -v $t >/dev/null || { skip image_rack "$t is not installed (make deps)"; exit 0; }
done
[ -x "$BIN/pisim" ] || { skip image_rack "the Pi simulator is not built"; exit 0; }
. "$TOP/tests/rack/rack_lib.sh"
make_pi_image "$TEST_TMP/a" image-a || { not_ok "the test's disk image a is made"; exit 1; }
make_pi_image "$TEST_TMP/b" image-b || { not_ok "the test's disk image b is made"; exit 1; }

HOST=$(ns_new host) && PIS=$(ns_new pis) || { not_ok "namespaces"; exit 1; }
rack_create "$HOST" "$PIS" 2 isolated 'pi%03d' || { not_ok "the rack's links"; exit 1; }
ip netns exec "$HOST" ip link set lo up

. "$TOP/tests/lib/ganesha.sh"
ganesha_start "$HOST"
G=$GANESHA_DIR

SIM_NS=$HOST
. "$TOP/tests/lib/poe_sim.sh"
sim_state_new 2
snmp_sim_start || { not_ok "the switch simulator (snmpd) starts"; exit 1; }

port=$(free_port)
CONF=$TEST_TMP/pirackd.conf
rack_conf "$CONF" 2
printf 'listen = 127.0.0.1:%s\n' "$port" >"$TEST_TMP/api.lines"
sed -i "/^\[api\]\$/r $TEST_TMP/api.lines" "$CONF"
ganesha_nfs_section >>"$CONF"
cat >>"$CONF" <<CONF
[images]
keep_previous = 20s
[power]
hold = 1s
stagger = 0ms
profiles = $TOP/poe/profiles
[switch a]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-2
port_base = 1
community = private
CONF
pirackd_start "$HOST" "$CONF" || { not_ok "pirackd starts"; exit 1; }
_ns=$HOST
R=$TEST_TMP/roots

J=$TEST_TMP/pisim.json
ip netns exec "$PIS" "$BIN/pisim" --nfs-root --ports "$SIM_STATE" --kernel-ms 500 --timeout 600 \
    --json "$J" pi001 pi002 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"
[ -n "${IMAGE_RACK_KEEP:-}" ] && at_exit "cp $TEST_TMP/pisim.err $J $PIRACKD_LOG $G/ganesha.log $IMAGE_RACK_KEEP/"
pi_field() { # PI FILTER: jq FILTER on the Pi in a fresh report (SIGUSR1 writes it)
    rm -f "$J"
    kill -USR1 "$SIM" 2>/dev/null || return 1
    _n=40
    while [ ! -s "$J" ] && [ $_n -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
    jq -r ".pis[$(($1 - 1))] | $2" "$J" 2>/dev/null
}
pi_is() { [ "$(pi_field "$1" .state)" = "$2" ]; }
# The hostname the Pi read over NFS in its last boot.
nfs_hostname() { pi_field "$1" '[.events[] | select(.what == "power_on" or .what == "nfs_root")] | last | .hostname'; }
# PI N STATE: the Pi has powered on more than N times and is in STATE.
boots_past() { _b=$(pi_field "$1" .boots) && [ "$_b" -gt "$2" ] && pi_is "$1" "$3"; }
cmdline_has() { pi_field "$1" .cmdline | grep -q -- "$2"; }
booted_as() { pi_is "$1" booted && [ "$(nfs_hostname "$1")" = "$2" ]; }

run image import a "$TEST_TMP/a/disk.img"
run image import b "$TEST_TMP/b/disk.img"
check "two disk images imported" wait_for 30 sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json image list | jq -e '[.images[] | select(.name == \"a\" or .name == \"b\")] | length == 2' >/dev/null"

# ---- a customer provisions two servers from image a ----
cli customer add alice >/dev/null
for i in 1 2; do
    cli assign $i "b8:27:eb:a1:ab:0$i" --serial "5ca1ab0$i" --model 3B >/dev/null
done
cli key create --customer alice --scope read,provision >"$out" 2>/dev/null
kid=$(sed -n 's/^key: *//p' "$out") secret=$(sed -n 's/^secret: *//p' "$out")
base=http://127.0.0.1:$port
ncurl() { ip netns exec "$HOST" curl -s -m 10 "$@"; }
tok=$(ncurl -u "$kid:$secret" -d grant_type=client_credentials "$base/login" | jq -r .access_token)
H="Authorization: Bearer $tok"
code=$(ncurl -o "$out" -w '%{http_code}' -H "$H" -d '{"model": 3, "os_image": "nope"}' "$base/pi/servers/web0")
check "provisioning with an os_image the rack lacks: 400 with the reason" \
    sh -c "test $code = 400 && jq -e '.error | contains(\"no os_image\")' '$out' >/dev/null"
# pirack(1) as the customer's client of the same API
cust() {
    PIRACK_URL=$base PIRACK_KEY_ID=$kid PIRACK_SECRET=$secret \
        ip netns exec "$HOST" "$BUILD/pirack" "$@" >"$out" 2>"$err"
    rc=$?
}
code=$(ncurl -o "$out" -w '%{http_code}' -H "$H" \
    -d '{"model": 3, "os_image": "a", "ssh_key": "ssh-ed25519 AAAAC3test web1"}' "$base/pi/servers/web1")
check "POST /pi/servers/web1 with os_image a: 202" test "$code" = 202
echo "ssh-ed25519 AAAAC3test web2" >"$TEST_TMP/web2.keys"
cust provision web2 --model 3 --image a --ssh-key "$TEST_TMP/web2.keys" --no-wait
check "pirack provision web2 --model 3 --image a --no-wait: taken" \
    sh -c "test $rc -eq 0 && grep -qx 'web2: provisioning' '$out'"
for i in 1 2; do
    check "Pi $i boots from its own root over NFS" wait_for 90 pi_is $i booted
    check "Pi $i read its own hostname (web$i) over NFS" test "$(nfs_hostname $i)" = "web$i"
done
check "the customer's ssh key is root's authorized_keys" \
    grep -qx "ssh-ed25519 AAAAC3test web1" "$R/001/root/.ssh/authorized_keys"
root1=$(readlink -f "$R/001") root2=$(readlink -f "$R/002")
check "Pi 1 cannot read Pi 2's root over NFS" \
    sh -c "! ip netns exec $PIS timeout 10 nfs-cat 'nfs://10.99.0.1$root2/etc/hostname?version=3' >/dev/null 2>&1"
check "Pi 2 cannot read Pi 1's root over NFS" \
    sh -c "! ip netns exec $PIS timeout 10 nfs-cat 'nfs://10.99.0.5$root1/etc/hostname?version=3' >/dev/null 2>&1"
ncurl -H "$H" "$base/pi/queue/web1" >"$out"
check "GET /pi/queue/web1: the booted server" jqt '.status == "live"'

# ---- reimage one while the other runs ----
boots1=$(pi_field 1 .boots) boots2=$(pi_field 2 .boots)
run reimage 1 --image b
check "pirack reimage 1 --image b: gen-2 is current" \
    sh -c "test $rc -eq 0 && test \"\$(readlink '$R/001')\" = gens/001/gen-2"
check "Pi 1 was power-cycled through the switch and booted again" wait_for 90 boots_past 1 "$boots1" booted
check "its cmdline.txt mounts gen-2" cmdline_has 1 'gens/001/gen-2,vers=3'
check "and it read its own hostname there" test "$(nfs_hostname 1)" = web1
b2=$(pi_field 2 .boots) s2=$(pi_field 2 .state)
check "Pi 2 kept running (no new boot)" test "$b2" -eq "$boots2" -a "$s2" = booted
run --json show 1
check "b is the pi's image now" jqt '.pi.image == "b"'

# ---- undo, within keep_previous ----
boots1=$(pi_field 1 .boots)
run reimage 1 --undo
check "pirack reimage 1 --undo goes back to gen-1" \
    sh -c "test $rc -eq 0 && test \"\$(readlink '$R/001')\" = gens/001/gen-1"
check "Pi 1 boots gen-1 again" wait_for 90 boots_past 1 "$boots1" booted
check "from gen-1's root" cmdline_has 1 'gens/001/gen-1,vers=3'
check "the replaced generation expires after keep_previous (20 s)" \
    wait_for 60 sh -c "test ! -e '$R/gens/001/gen-2' && test -d '$R/gens/001/gen-1'"
run --json events --slot 1
check "its expiry is an event" jqt '[.events[] | select(.kind == "image.gen-expired" and .detail.gen == 2)] | length == 1'
run reimage 1 --undo
check "after it, --undo has nothing to go back to" sh -c "test $rc -ne 0 && grep -q 'no generation before' '$err'"

# ---- the customer reinstalls a server ----
boots2=$(pi_field 2 .boots)
code=$(ncurl -o "$out" -w '%{http_code}' -H "$H" -d '{"os_image": "nope"}' "$base/pi/servers/web2/reinstall")
check "POST /pi/servers/web2/reinstall with an unknown os_image: 400" test "$code" = 400
cust reinstall web2
check "pirack reinstall web2 follows the queue until the server is live again" \
    sh -c "test $rc -eq 0 && grep -qx 'web2: live' '$out'"
check "... through the reinstall's steps (its stderr)" grep -q '^web2: provisioning: reinstalling (' "$err"
check "Pi 2 was power-cycled onto a fresh generation and booted it" wait_for 30 boots_past 2 "$boots2" booted
cust --json show web2
check "the server object names its last reinstall, done" jqt '.reinstall.phase == "done" and .reinstall.os_image == "a"'
check "gen-2 of its root, with its own hostname and the customer's key" \
    sh -c "test \"\$(readlink '$R/002')\" = gens/002/gen-2 && grep -qx 'ssh-ed25519 AAAAC3test web2' '$R/002/root/.ssh/authorized_keys'"
check "Pi 2 read web2 over NFS from it" booted_as 2 web2

# ---- release: the root is wiped before the slot is handed out again ----
cust unprovision web1
check "pirack unprovision without --yes is a usage error" test "$rc" -eq 2
cust unprovision web1 --yes
check "pirack unprovision web1 --yes" sh -c "test $rc -eq 0 && grep -qx 'web1: unprovisioned' '$out'"
check "Pi 1 is powered off" wait_for 30 pi_is 1 off
check "its root and boot directory are wiped once it is off" \
    wait_for 30 sh -c "test ! -e '$R/001' && test ! -e '$TEST_TMP/boot/001'"
check "every generation of it goes" wait_for 30 sh -c "test ! -e '$R/gens/001'"
check "Pi 2's root is untouched" test "$(cat "$R/002/etc/hostname")" = web2
check "and ganesha no longer exports Pi 1's root" \
    wait_for 10 sh -c "test \$(grep -c '^EXPORT' '$G/pirack.conf') -eq 1"
code=$(ncurl -o "$out" -w '%{http_code}' -H "$H" -d '{"model": 3, "os_image": "a"}' "$base/pi/servers/web3")
check "the wiped slot is handed out again" sh -c "test $code = 202 && $BUILD/pirack --socket $PIRACK_SOCK --json show 1 | jq -e '.pi.name == \"web3\"' >/dev/null"
check "and boots a fresh root" wait_for 90 booted_as 1 web3

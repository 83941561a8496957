#!/bin/sh
# The health probe checks the Pi's SSH host key.  A Pi provisioned from a
# disk image (pirack reimage: a root with fresh host keys whose
# fingerprints pirackd records) netboots under pisim; the real sshd runs
# in the Pis' namespace on the Pi's IPv6 address, port 22, with the host
# key pirackd wrote into that Pi's root: the Pi is up.  sshd restarted
# with a key of its own (another machine on the Pi's address): the probes
# fail with the mismatch as their reason, a health.hostkey-mismatch event
# names the slot and the Pi turns unhealthy (remediation is off: nothing
# acts on it; once the pi's policy allows it, the ladder power-cycles).  pirack reimage 1 makes gen-2 with new keys: gen-1's key
# no longer passes, gen-2's does; --undo brings gen-1's back.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/image.sh"
need_root health_hostkey
for t in jq ssh-keygen /usr/sbin/sshd snmpd; do
    command -v $t >/dev/null || { skip health_hostkey "$t is not installed (make deps)"; exit 0; }
done
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip health_hostkey "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"
make_pi_image "$TEST_TMP/img" image-a || { not_ok "health_hostkey: the disk image is made"; exit 1; }

health_rack health_hostkey 1 || exit 1
ip netns exec "$PIS" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
cat >>"$CONF" <<EOF
[health]
probe = yes
port = 22
interval = 1s
probe_timeout = 1500ms
unhealthy_after = 2
remediation = no
dhcp_deadline = 10s
tftp_deadline = 30s
root_deadline = 10s
up_deadline = 20s
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "health_hostkey: pirackd starts"; exit 1; }
R=$TEST_TMP/roots
V6=$(cli --json show 1 | jq -r .addresses.v6.pi)

cli image import a "$TEST_TMP/img/disk.img" >/dev/null 2>&1
cli set 1 image=a >/dev/null 2>&1
check "hostkey: pirack reimage 1 makes gen-1 with its host keys" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK reimage 1 >/dev/null 2>&1 && test -s '$R/001/etc/ssh/ssh_host_ed25519_key'"
cp "$R/001/etc/ssh/ssh_host_ed25519_key" "$TEST_TMP/gen1_key"
cp "$R/001/etc/ssh/ssh_host_ed25519_key.pub" "$TEST_TMP/gen1_key.pub"

# The Pi's own sshd, on its address in the Pis' namespace, never the host's.
SSHD_PIDFILE=$TEST_TMP/sshd.pid
sshd_stop() {
    [ -s "$SSHD_PIDFILE" ] || return 0
    kill "$(cat "$SSHD_PIDFILE")" 2>/dev/null
    wait_for 5 sh -c "! kill -0 $(cat "$SSHD_PIDFILE") 2>/dev/null"
    rm -f "$SSHD_PIDFILE"
}
at_exit "kill \$(cat $SSHD_PIDFILE) 2>/dev/null"
v6_present() { ip -n "$PIS" -6 addr show dev pi001 | grep -q "inet6 $V6/.* scope global" &&
    ! ip -n "$PIS" -6 addr show dev pi001 | grep -q tentative; }
sshd_start() {   # KEYFILE: once the Pi's OS has its address
    sshd_stop
    wait_for 60 v6_present || return 1
    ip netns exec "$PIS" /usr/sbin/sshd -D -f /dev/null -o "HostKey=$1" \
        -o "ListenAddress=[$V6]:22" -o "PidFile=$SSHD_PIDFILE" -o UsePAM=no \
        -o LogLevel=ERROR -E "$TEST_TMP/sshd.log" &
    wait_for 10 test -s "$SSHD_PIDFILE"
}
state_is() { [ "$(cli --json show 1 | jq -r .state)" = "$1" ]; }
fp_of() { ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'; }
mismatches() { cli --json events --slot 1 | jq '[.events[] | select(.kind == "health.hostkey-mismatch")] | length'; }
mismatch_reason() { cli --json events --slot 1 |
    jq -r '[.events[] | select(.kind == "health.hostkey-mismatch")] | first | .detail.reason'; }
mismatches_are() { [ "$(mismatches)" -ge "$1" ]; }

ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 500 --timeout 300 \
    --health-port 2222 --v6 "1=$V6" pi001 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"
cli power on 1 >/dev/null 2>&1

# (a) the key pirackd wrote: up
check "hostkey: sshd serves the key pirackd wrote" sshd_start "$R/001/etc/ssh/ssh_host_ed25519_key"
check "hostkey: with the key pirackd wrote, the Pi is up" wait_for 40 state_is up
check "hostkey: no mismatch while the key is right" test "$(mismatches)" -eq 0

# (b) another machine's key on the Pi's address: unhealthy, with the reason
ssh-keygen -q -t ed25519 -N '' -f "$TEST_TMP/other_key"
check "hostkey: sshd restarts with a key of its own" sshd_start "$TEST_TMP/other_key"
check "hostkey: a key pirackd did not write makes the Pi unhealthy" wait_for 20 state_is unhealthy
check "hostkey: a health.hostkey-mismatch event names slot 1" wait_for 5 mismatches_are 1
gen1_fp=$(fp_of "$TEST_TMP/gen1_key.pub")
want="ssh host key $(fp_of "$TEST_TMP/other_key.pub") is not the one pirack wrote ($gen1_fp)"
check "hostkey: its reason names both fingerprints" test "$(mismatch_reason)" = "$want"
check "hostkey: boot.unhealthy carries the reason" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 1 | jq -e --arg w '$want' 'any(.events[]; .kind == \"boot.unhealthy\" and (tostring | contains(\$w)))' >/dev/null"
steps=$(cli --json events | jq -r '.events[].kind' | grep -E '^health\.(cycle|reimage|quarantined)')
check "hostkey: remediation off: no health steps (saw: $(echo $steps))" test -z "$steps"
back_up() { sshd_start "$1" && wait_for 20 state_is up; }
check "hostkey: the right key again: up" back_up "$R/001/etc/ssh/ssh_host_ed25519_key"

# (c) a reimage: new generation, new keys
sshd_stop
check "hostkey: pirack reimage 1 makes gen-2" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK reimage 1 >/dev/null 2>&1 && test \"\$(readlink '$R/001')\" = gens/001/gen-2"
gen2_fp=$(fp_of "$R/001/etc/ssh/ssh_host_ed25519_key.pub")
check "hostkey: gen-2 has keys of its own" sh -c "test -n '$gen2_fp' && test '$gen2_fp' != '$gen1_fp'"
check "hostkey: sshd serves gen-1's key after the reimage" sshd_start "$TEST_TMP/gen1_key"
check "hostkey: gen-1's key no longer passes" wait_for 20 mismatches_are 2
check "hostkey: the reason names gen-2's key" sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 1 | jq -e --arg f '$gen2_fp' '[.events[] | select(.kind == \"health.hostkey-mismatch\")] | any(.detail.reason | endswith(\"(\" + \$f + \")\"))' >/dev/null"
check "hostkey: and the Pi is not up" sh -c "! $BUILD/pirack --socket $PIRACK_SOCK --json show 1 | jq -e '.state == \"up\"' >/dev/null"
check "hostkey: with gen-2's key the Pi is up" back_up "$R/001/etc/ssh/ssh_host_ed25519_key"

# --undo: gen-1 and its keys come back
sshd_stop
check "hostkey: pirack reimage 1 --undo goes back to gen-1" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK reimage 1 --undo >/dev/null 2>&1 && test \"\$(readlink '$R/001')\" = gens/001/gen-1"
check "hostkey: after the undo, gen-1's key passes again" back_up "$TEST_TMP/gen1_key"

# A pi whose policy allows remediation: the ladder acts on a mismatch as
# on any unhealthy Pi (its first rung, a power-cycle).
cli set 1 remediation=on >/dev/null 2>&1
check "hostkey: remediation on, sshd with another key again" sshd_start "$TEST_TMP/other_key"
cycled() { cli --json events --slot 1 | jq -e 'any(.events[]; .kind == "health.cycle" and .detail.after == "unhealthy")' >/dev/null; }
check "hostkey: the ladder power-cycles the Pi that shows another key" wait_for 30 cycled
sshd_stop
pirackd_stop

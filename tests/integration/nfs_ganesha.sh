#!/bin/sh
# NFS with the nfs-ganesha backend, live: pirackd and ganesha.nfsd (with
# an rpcbind of its own, in a private /run) in the rack's namespace, two
# Pis' namespaces on their slot links.  After a reimage of each, ganesha
# exports each root to its /30 only: a userspace NFSv3 client (libnfs's
# nfs-cat) in Pi 1's namespace reads its own /etc/hostname over NFS and
# cannot read Pi 2's root.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"
. "$TOP/tests/lib/image.sh"

need_root nfs_ganesha
for t in ganesha.nfsd rpcbind nfs-cat unshare jq; do
    command -v $t >/dev/null || { skip nfs_ganesha "$t is not installed (make deps)"; exit 0; }
done
make_pi_image "$TEST_TMP/img" image-a || { not_ok "the test's disk image is made"; exit 1; }

rack=$(ns_new rack) && pi1=$(ns_new pi1) && pi2=$(ns_new pi2) || exit 1
for n in 1 2; do
    eval pins=\$pi$n
    ip -n "$rack" link add "pi00$n" type veth peer name eth0 netns "$pins"
    ip -n "$rack" link set "pi00$n" up
    ip -n "$pins" link set eth0 up
done
ip -n "$pi1" addr add 10.99.0.2/30 dev eth0
ip -n "$pi2" addr add 10.99.0.6/30 dev eth0

. "$TOP/tests/lib/ganesha.sh"
ganesha_start "$rack"
G=$GANESHA_DIR

rack_conf "$TEST_TMP/pirackd.conf" 2
ganesha_nfs_section >>"$TEST_TMP/pirackd.conf"
pirackd_start "$rack" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
_ns=$rack

run image import a "$TEST_TMP/img/disk.img"
run set 1 image=a
run set 2 image=a
run reimage 1
run reimage 2
check "both pis reimaged" test -L "$TEST_TMP/roots/001" -a -L "$TEST_TMP/roots/002"
check "pirackd wrote ganesha's EXPORT blocks, one per pi" \
    wait_for 10 sh -c "test \$(grep -c '^EXPORT' '$G/pirack.conf') -eq 2"
check "ganesha reloaded them (nfs.exported)" \
    wait_for 10 sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 0 | jq -e '[.events[] | select(.kind == \"nfs.exported\" and .detail.roots == 2)] | length > 0' >/dev/null"
root1=$(readlink -f "$TEST_TMP/roots/001") root2=$(readlink -f "$TEST_TMP/roots/002")
check "Pi 1 reads its own /etc/hostname over NFSv3" \
    wait_for 20 sh -c "test \"\$(ip netns exec $pi1 timeout 10 nfs-cat 'nfs://10.99.0.1$root1/etc/hostname?version=3' 2>/dev/null)\" = test-001"
check "Pi 2 reads its own" \
    sh -c "test \"\$(ip netns exec $pi2 timeout 10 nfs-cat 'nfs://10.99.0.5$root2/etc/hostname?version=3' 2>/dev/null)\" = test-002"
check "Pi 1 cannot read Pi 2's root" \
    sh -c "! ip netns exec $pi1 timeout 10 nfs-cat 'nfs://10.99.0.1$root2/etc/hostname?version=3' >/dev/null 2>&1"

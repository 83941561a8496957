#!/bin/sh
# nfs_impostor: in isolated mode a Pi that takes another slot's address
# gets neither that slot's boot files nor its NFS export.  pirackd and
# nfs-ganesha (with an rpcbind of its own, in a private /run) in the
# rack's namespace; slot 1's Pi on its link; an impostor on slot 2's link
# with slot 1's address (10.99.0.2).  Slot 1's Pi reads its root over
# NFSv3 (libnfs's nfs-cat, nfs-ls) and fetches its boot file over TFTP;
# the impostor, trying the same, gets nothing: strict reverse-path
# filtering, which pirackd sets on slot links, drops its packets before
# ganesha or pirackd sees them (the kernel's counter says so; the impostor
# is given the host's MAC, so no refused ARP hides the check), and TFTP
# would refuse it anyway for the link it came in on (slot_binding.sh).
# With slot 1's Pi away the impostor still gets nothing.  (The host's
# answers to 10.99.0.2 leave by slot 1's link whatever the filter says, so
# reading fails even without it; what the filter adds, and the counter
# shows, is that ganesha never sees the impostor's packets at all, blind
# ones such as a guessed WRITE over UDP included.)
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"
. "$TOP/tests/lib/image.sh"

need_root nfs_impostor
for t in ganesha.nfsd rpcbind nfs-cat nfs-ls unshare jq tftp nstat; do
    command -v $t >/dev/null || { skip nfs_impostor "$t is not installed (make deps)"; exit 0; }
done
make_pi_image "$TEST_TMP/img" image-a || { not_ok "the test's disk image is made"; exit 1; }

rack=$(ns_new rack) && pi1=$(ns_new pi1) && imp=$(ns_new impostor) || exit 1
ip -n "$rack" link add pi001 type veth peer name eth0 netns "$pi1"
ip -n "$rack" link add pi002 type veth peer name eth0 netns "$imp"
for l in pi001 pi002; do ip -n "$rack" link set "$l" up; done
for n in "$pi1" "$imp"; do
    ip -n "$n" link set lo up
    ip -n "$n" addr add 10.99.0.2/30 dev eth0   # the impostor takes slot 1's address
    ip -n "$n" link set eth0 up
done
# The impostor knows the host's MAC on its link (it could sniff it): with
# no ARP to stop it (strict filtering refuses its ARP too), its packets
# reach the host's IP layer, and that is where they must be dropped.
host_mac=$(ip -n "$rack" -br link show pi002 | awk '{ print $3 }')
ip -n "$imp" neigh replace 10.99.0.1 lladdr "$host_mac" dev eth0 nud permanent

. "$TOP/tests/lib/ganesha.sh"
ganesha_start "$rack"
G=$GANESHA_DIR

# The default [net] rp_filter = set: strict filtering on each slot link.
rack_conf "$TEST_TMP/pirackd.conf" 2
ganesha_nfs_section >>"$TEST_TMP/pirackd.conf"
pirackd_start "$rack" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
check "pirackd set strict rp_filter on slot 2's link" \
    test "$(ip netns exec "$rack" sysctl -n net.ipv4.conf.pi002.rp_filter)" = 1

run image import a "$TEST_TMP/img/disk.img"
run set 1 image=a
run reimage 1
check "slot 1 reimaged" test -L "$TEST_TMP/roots/001"
check "ganesha exports slot 1's root" \
    wait_for 10 sh -c "grep -q '^EXPORT' '$G/pirack.conf'"
root1=$(readlink -f "$TEST_TMP/roots/001")
url="nfs://10.99.0.1$root1/etc/hostname?version=3"
nfscat() { ip netns exec "$1" timeout 10 nfs-cat "$url" 2>/dev/null; }
nfsls() { ip netns exec "$1" timeout 10 nfs-ls "nfs://10.99.0.1$root1/etc?version=3" 2>/dev/null; }
tget() { rm -f "$2"; ip netns exec "$1" timeout 10 tftp 10.99.0.1 -m binary -c get start.elf "$2" >/dev/null 2>&1; }
rpf() { ip netns exec "$rack" nstat -az TcpExtIPReversePathFilter | awk '/IPReversePathFilter/ { print $2 }'; }

check "slot 1's Pi reads its root's /etc/hostname over NFSv3" \
    wait_for 20 sh -c "test \"\$(ip netns exec $pi1 timeout 10 nfs-cat '$url' 2>/dev/null)\" = test-001"
check "... and lists its /etc" sh -c "ip netns exec $pi1 timeout 10 nfs-ls 'nfs://10.99.0.1$root1/etc?version=3' 2>/dev/null | grep -q hostname"
tget "$pi1" "$TEST_TMP/own"
check "... and fetches its boot file over TFTP" cmp -s "$TEST_TMP/own" "$TEST_TMP/boot/001/start.elf"

drops0=$(rpf)
check "the impostor with slot 1's address cannot read slot 1's export" \
    sh -c "test -z \"\$(ip netns exec $imp timeout 10 nfs-cat '$url' 2>/dev/null)\""
check "... nor list it" sh -c "! ip netns exec $imp timeout 10 nfs-ls 'nfs://10.99.0.1$root1/etc?version=3' 2>/dev/null | grep -q hostname"
tget "$imp" "$TEST_TMP/stolen"
check "... nor fetch slot 1's boot file" test ! -s "$TEST_TMP/stolen"
check "the kernel dropped its packets as from the wrong link (IPReversePathFilter $drops0 -> $(rpf))" \
    test "$(rpf)" -gt "$drops0"

# Slot 1's Pi away: nothing changes for the impostor.
ip -n "$pi1" link set eth0 down
check "with slot 1's Pi away, the impostor still cannot read the export" \
    sh -c "test -z \"\$(ip netns exec $imp timeout 10 nfs-cat '$url' 2>/dev/null)\""
tget "$imp" "$TEST_TMP/stolen2"
check "... nor fetch its boot file" test ! -s "$TEST_TMP/stolen2"
ip -n "$pi1" link set eth0 up
check "slot 1's Pi, back, still reads its root" \
    wait_for 20 sh -c "test \"\$(ip netns exec $pi1 timeout 10 nfs-cat '$url' 2>/dev/null)\" = test-001"
check "pirackd stops cleanly" pirackd_stop

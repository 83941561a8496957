#!/bin/busybox sh
# /init of the QEMU guest of tests/integration/nfs_kernel_qemu.sh (copied
# into its initramfs by tests/lib/qemu_nfs.sh): Debian's kernel with
# knfsd, Debian's own exportfs, rpc.nfsd, rpc.mountd, rpcbind and
# mount.nfs, and pirackd's kernel backend (nfs_exports, built from the
# project's library) applying the exports of two Pis.  Each Pi is a
# network namespace on a veth pair, host side .1/30, Pi side .2/30, as
# a rack's slot links are.  Results go to the serial console as
#   QNFS ok NAME | QNFS not ok NAME: WHY | QNFS done
# and the guest powers off.
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /mnt/own /mnt/other /var/lib/nfs/sm
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# busybox's shell runs its own applets before PATH: iproute2's ip (netns,
# veth peers in another namespace) by its path.
ip() { /usr/sbin/ip "$@"; }
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp

ok() { echo "QNFS ok $1"; }
not_ok() { echo "QNFS not ok $1: $2"; }
finish() {
    echo "QNFS done"
    sync
    poweroff -f
}
# A check whose failure leaves nothing after it to test.
must() {
    _name=$1
    shift
    if _out=$("$@" 2>&1); then
        ok "$_name"
    else
        not_ok "$_name" "$(echo "$_out" | tail -3 | tr '\n' ' ')"
        finish
    fi
}

load_modules() {
    while read -r m; do
        insmod "/lib/modules/$m" || return 1
    done </lib/modules/order
}
must "the kernel loads nfsd, nfsv3 and veth (Debian's modules)" load_modules
mount -t nfsd nfsd /proc/fs/nfsd || not_ok "nfsd filesystem" "cannot mount /proc/fs/nfsd"
ip link set lo up

# Two Pis, each on its own /30, as the rack plan gives slots 1 and 2.
pi_link() { # NS HOST_IF HOST_ADDR PI_ADDR
    ip netns add "$1" &&
        ip link add "$2" type veth peer name eth0 netns "$1" &&
        ip addr add "$3/30" dev "$2" && ip link set "$2" up &&
        ip -n "$1" link set lo up && ip -n "$1" addr add "$4/30" dev eth0 &&
        ip -n "$1" link set eth0 up
}
pi_links() { pi_link pia pi001 10.99.0.1 10.99.0.2 && pi_link pib pi002 10.99.0.5 10.99.0.6; }
must "pi A's link 10.99.0.0/30 and pi B's 10.99.0.4/30 (veth, network namespaces)" pi_links

# Roots laid out as pirackd lays them out: ROOTS/NNN -> the current
# generation.  tmpfs can be exported (pirack gives every export an fsid).
mount -t tmpfs roots /srv
for s in 001 002; do
    mkdir -p /srv/roots/gens/$s/gen-1/etc
    echo "pi-$s" >/srv/roots/gens/$s/gen-1/etc/hostname
    ln -s gens/$s/gen-1 /srv/roots/$s
done

# The kernel server, as nfs-kernel-server starts it (NFSv3; no v4, whose
# grace period would only slow the test down).
: >/etc/exports
mkdir -p /run/rpcbind /etc/exports.d
rpcbind -w || not_ok "rpcbind starts" "exit $?"
must "rpc.mountd starts" rpc.mountd --no-nfs-version 4
must "rpc.nfsd starts 4 threads" rpc.nfsd --no-nfs-version 4 4

# pirackd's code path: the exports.d file, exportfs -ra, exportfs -v.
if out=$(nfs_exports /etc/exports.d/pirack.exports /srv/roots 1:10.99.0.2 2:10.99.0.6 2>&1); then
    ok "pirackd's kernel backend applies two Pis' exports (exportfs -ra, checked with exportfs -v)"
else
    not_ok "pirackd's kernel backend applies two Pis' exports" "$(echo "$out" | tr '\n' ' ')"
fi
echo "$out" | sed 's/^/QNFS log exports: /'
exportfs -v 2>&1 | tr '\t' ' ' | sed 's/^/QNFS log exportfs -v: /'
grep -q '^/srv/roots/gens/001/gen-1 10.99.0.0/30(rw,sync,no_root_squash,no_subtree_check,fsid=7001)$' \
    /etc/exports.d/pirack.exports && ok "the exports file names pi A's resolved root, to its /30 only" ||
    not_ok "the exports file names pi A's resolved root" "$(cat /etc/exports.d/pirack.exports | tr '\n' ' ')"

OPTS=vers=3,tcp,nolock
A=/srv/roots/gens/001/gen-1
B=/srv/roots/gens/002/gen-1
# Each mount runs in a mount namespace of its own (ip netns exec).
read_root() { # NS EXPORT -> prints the root's /etc/hostname
    ip netns exec "$1" sh -c "timeout 40 mount.nfs 10.99.0.$2:$3 /mnt/own -o $OPTS &&
        cat /mnt/own/etc/hostname; rc=\$?; umount /mnt/own; exit \$rc"
}
got=$(read_root pia 1 "$A" 2>&1)
[ "$got" = pi-001 ] && ok "pi A mounts its root (mount.nfs -o $OPTS) and reads its own hostname" ||
    not_ok "pi A mounts its root and reads its own hostname" "$(echo "$got" | tr '\n' ' ')"
got=$(read_root pia 1 "$B" 2>&1)
rc=$?
case $rc:$got in
0:*) not_ok "pi A cannot mount pi B's root" "mounted, read: $got" ;;
*"access denied"*) ok "pi A cannot mount pi B's root (access denied by server)" ;;
*) not_ok "pi A cannot mount pi B's root for the right reason" "$(echo "$got" | tr '\n' ' ')" ;;
esac
got=$(read_root pib 5 "$B" 2>&1)
[ "$got" = pi-002 ] && ok "pi B mounts its root and reads its own hostname" ||
    not_ok "pi B mounts its root and reads its own hostname" "$(echo "$got" | tr '\n' ' ')"
got=$(read_root pib 5 "$A" 2>&1)
rc=$?
case $rc:$got in
0:*) not_ok "pi B cannot mount pi A's root" "mounted, read: $got" ;;
*"access denied"*) ok "pi B cannot mount pi A's root (access denied by server)" ;;
*) not_ok "pi B cannot mount pi A's root for the right reason" "$(echo "$got" | tr '\n' ' ')" ;;
esac
# A slot left out (released, quarantined) loses its export: exportfs -ra
# takes away what the file no longer names.
out=$(nfs_exports /etc/exports.d/pirack.exports /srv/roots 1:10.99.0.2 2>&1) ||
    not_ok "pirackd's kernel backend applies pi A's export alone" "$(echo "$out" | tr '\n' ' ')"
got=$(read_root pib 5 "$B" 2>&1)
rc=$?
case $rc:$got in
0:*) not_ok "pi B's root, no longer in the file, is no longer exported" "mounted, read: $got" ;;
*"access denied"*) ok "pi B's root, no longer in the file, is no longer exported (access denied)" ;;
*) not_ok "pi B's root is no longer exported, for the right reason" "$(echo "$got" | tr '\n' ' ')" ;;
esac
finish

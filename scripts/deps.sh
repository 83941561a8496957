#!/bin/sh
# The Debian 12 packages pirack runs with, builds with, and tests with.
#
#   sh scripts/deps.sh                 install build + test (what `make deps` does)
#   sh scripts/deps.sh --list LIST...  print the named lists: runtime build test
#
# runtime: the shared libraries pirackd and pirack link; the .deb's Depends
#          (computed by dh_shlibdeps) come to exactly these.  An operator
#          installs the .deb and gets them; nothing else is needed.
# build:   compilers, -dev packages and the Debian packaging tools.
# test:    clients, servers and tools only the tests start, each in a
#          namespace of the test's own.  Their daemons are never enabled:
#          tftpd-hpa, snmpd or haproxy listening on the host would take
#          the ports the tests (and a real pirackd) use.
#          nfs_kernel_qemu boots Debian's kernel in qemu-system-x86 (TCG)
#          with nfs-common's mount.nfs and rpcbind copied into its
#          initramfs; the kernel, nfs-kernel-server and busybox-static
#          (which conflicts with busybox) it fetches itself with
#          `apt-get download` into build/, never installing them here.
# Does nothing when they are all present; never asks a question.
set -eu

RUNTIME="
libpcap0.8 libnl-3-200 libnl-route-3-200 libssh-4 libsqlite3-0 libsnmp40
libmicrohttpd12 libjansson4 libsodium23 libinih1 libcurl4 libsystemd0
mtools e2fsprogs xz-utils
"

BUILD="
build-essential pkg-config clang libclang-rt-14-dev
libpcap-dev libnl-3-dev libnl-route-3-dev libssh-dev libsqlite3-dev
libsnmp-dev libmicrohttpd-dev libjansson-dev libsodium-dev libinih-dev
libcmocka-dev libcurl4-openssl-dev libsystemd-dev systemd
debhelper dpkg-dev fakeroot lintian
"

TEST="
iproute2 iputils-ping ndisc6 busybox isc-dhcp-client
tftp-hpa atftp curl dnsmasq-base tftpd-hpa
snmpd snmp openssh-server openssh-client haproxy
sqlite3 tcpdump procps psmisc netcat-openbsd jq openssl util-linux
debootstrap systemd-container man-db
python3 clang-format git tmux zsh
mtools fdisk dosfstools e2fsprogs xz-utils btrfs-progs nfs-ganesha nfs-ganesha-vfs libnfs-utils
chromium chromium-driver python3-selenium socat
qemu-system-x86 nfs-common rpcbind libcap2-bin
"

if [ "${1:-}" = "--list" ]; then
    shift
    for l; do
        case $l in
        runtime) echo $RUNTIME ;;
        build) echo $BUILD ;;
        test) echo $TEST ;;
        *) echo "deps: no list $l (runtime, build, test)" >&2; exit 2 ;;
        esac
    done
    exit 0
fi

PACKAGES="$BUILD $TEST"
missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run 'make deps' as root to install them" >&2
    exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Daemons in these packages must not start on install, nor on boot: the
# tests start their own instances, in namespaces, on ports of their
# choosing, and tftpd-hpa's default (:69 on every address) would take
# pirackd's TFTP port.  policy-rc.d keeps them from starting now.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && own_policy=yes
fi
apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing || {
    [ "$own_policy" = no ] || rm -f "$policy"; exit 1; }
[ "$own_policy" = no ] || rm -f "$policy"
# ...and the ones installed just now are disabled, so that a reboot does
# not start them either.  (openssh-server is left alone: this may be the
# way into the machine.)
if command -v systemctl >/dev/null; then
    for s in tftpd-hpa snmpd haproxy rpcbind; do
        case " $missing " in
        *" $s "*) systemctl disable "$s" >/dev/null 2>&1 || true ;;
        esac
    done
    case " $missing " in
    *" rpcbind "*) systemctl disable rpcbind.socket >/dev/null 2>&1 || true ;;
    esac
fi

#!/bin/sh
# Install the Debian 12 packages that pirack builds, tests and demos with.
# Does nothing when they are all present; never asks a question.
set -eu

PACKAGES="
build-essential pkg-config clang libclang-rt-14-dev
libpcap-dev libnl-3-dev libnl-route-3-dev libssh-dev libsqlite3-dev
libsnmp-dev libmicrohttpd-dev libjansson-dev libsodium-dev libinih-dev
libcmocka-dev libcurl4-openssl-dev libsystemd-dev
iproute2 iputils-ping ndisc6 busybox isc-dhcp-client
tftp-hpa atftp curl dnsmasq-base tftpd-hpa
snmpd snmp openssh-server openssh-client haproxy
sqlite3 tcpdump procps psmisc netcat-openbsd jq openssl util-linux
python3 clang-format git
mtools fdisk dosfstools e2fsprogs xz-utils btrfs-progs nfs-ganesha nfs-ganesha-vfs libnfs-utils
"

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
# Daemons in these packages must not start on install: the tests start
# their own instances, in namespaces, on ports of their choosing.
apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing

#!/bin/sh
# Builds what slow tests cache under $BUILD (the booted-Debian root of
# the systemd unit's test, the QEMU guest of the kernel NFS test) while
# tests/run.sh runs the others, so that a fresh clone's `make check` does
# not wait for debootstrap or Debian's kernel in the middle of the run.  The test that needs the cache takes the same lock
# and waits for this build, or makes the cache itself when this failed.
# Usage: prefetch.sh NAME...   (the tests that will run)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${PIRACK_BUILD:-build}
cd "$TOP" || exit 1

for want in "$@"; do
    case $want in
    systemd_unit)
        command -v debootstrap >/dev/null 2>&1 || continue
        . "$TOP/tests/lib/nspawn.sh"
        nspawn_root >/dev/null 2>&1
        ;;
    nfs_kernel_qemu)
        command -v qemu-system-x86_64 >/dev/null 2>&1 || continue
        (
            . "$TOP/tests/lib/common.sh"
            . "$TOP/tests/lib/qemu_nfs.sh"
            qemu_nfs_build "$BUILD/qemu-nfs"
        ) >/dev/null 2>&1
        ;;
    esac
done
exit 0

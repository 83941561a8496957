#!/bin/sh
# The kernel NFS backend for real: this machine's kernel may have neither
# nfsd nor an NFS client, so the test boots Debian's own kernel in QEMU
# (TCG, no KVM needed) with an initramfs of Debian's NFS tools and
# pirackd's kernel backend (tests/lib/qemu_nfs.sh builds and caches it,
# tests/lib/qemu_nfs_init.sh is its /init).  In the guest: the backend
# writes the exports.d file for two Pis, runs the real `exportfs -ra` and
# checks `exportfs -v`; each Pi, in a network namespace on its own /30,
# mounts its root with pirack's options (NFSv3 over TCP) and reads its own
# hostname, and is refused the other's root; a slot the file no longer
# names loses its export.  The guest reports on its
# serial console; each "QNFS ok/not ok" line becomes a line here.
# Skips, with the reason, without qemu-system-x86_64 or when the Debian
# packages cannot be fetched.  Bounded: 150 s for the guest.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/qemu_nfs.sh"

T=nfs_kernel_qemu
t0=$(date +%s)
if ! qemu_nfs_build "$BUILD/qemu-nfs"; then
    if [ -n "$QNFS_SKIP" ]; then
        skip $T "$QNFS_SKIP"
        exit 0
    fi
    not_ok "the guest's kernel and initramfs are built"
    exit 1
fi
t1=$(date +%s)
echo "# guest built or found in $((t1 - t0)) s: $QNFS_KERNEL $QNFS_INITRD"

console=$TEST_TMP/console.log
timeout -k 5 150 qemu-system-x86_64 -nodefaults -no-reboot -m 512 -smp 1 -accel tcg \
    -display none -monitor none -serial "file:$console" \
    -kernel "$QNFS_KERNEL" -initrd "$QNFS_INITRD" \
    -append "console=ttyS0 panic=-1 quiet" >"$TEST_TMP/qemu.log" 2>&1
rc=$?
t2=$(date +%s)
echo "# guest ran $((t2 - t1)) s (qemu exit $rc)"

if ! grep -q '^QNFS ' "$console" 2>/dev/null; then
    not_ok "the guest boots and reports (qemu exit $rc)"
    sed 's/^/# /' "$TEST_TMP/qemu.log" "$console" 2>/dev/null | tail -n 30
    exit 1
fi
tr -d '\r' <"$console" | while IFS= read -r line; do
    case $line in
    "QNFS ok "*) echo "ok ${line#QNFS ok }" ;;
    "QNFS not ok "*) echo "not ok ${line#QNFS not ok }" ;;
    "QNFS log "*) echo "# ${line#QNFS log }" ;;
    esac
done
grep -q '^QNFS not ok' "$console" && PR_FAILED=1
# Every check the guest makes, in order: one missing means it stopped.
n=$(grep -c '^QNFS ok' "$console")
check "the guest ran every check and powered off ($n of 11, qemu exit $rc)" \
    sh -c "test $n -eq 11 && grep -q '^QNFS done' '$console' && test $rc -eq 0"
if [ "$PR_FAILED" -ne 0 ]; then
    echo "# console:"
    tr -d '\r' <"$console" | grep -v '^QNFS' | tail -n 40 | sed 's/^/# /'
fi
exit "$PR_FAILED"

#!/bin/sh
# One generation of a 2 GB Pi root, made as pirackd makes it: by reflink
# on a btrfs filesystem the benchmark makes on a loop device, and by copy
# (read/write, and copy_file_range) on the host's own filesystem.  The
# root is 200 files of 10 MiB and 2,000 small ones.  Needs root, losetup
# and mkfs.btrfs; prints skip otherwise.
. "$(dirname "$0")/../lib/common.sh"

need_root bench_roots
command -v mkfs.btrfs >/dev/null || { skip bench_roots "mkfs.btrfs is not installed (make deps)"; exit 0; }
W=$TEST_TMP
make_root() {
    mkdir -p "$1/usr/lib" "$1/etc"
    head -c $((10 * 1024 * 1024)) /dev/urandom >"$1/usr/lib/blob0"
    i=1
    while [ $i -lt 200 ]; do cp "$1/usr/lib/blob0" "$1/usr/lib/blob$i"; echo $i >>"$1/usr/lib/blob$i"; i=$((i + 1)); done
    i=0
    while [ $i -lt 2000 ]; do echo "file $i" >"$1/etc/f$i"; i=$((i + 1)); done
    sync
}

truncate -s 6G "$W/btrfs.img"
loop=$(losetup --find --show "$W/btrfs.img") || { skip bench_roots "no loop device"; exit 0; }
at_exit "losetup -d $loop"
mkfs.btrfs -q "$loop" >/dev/null 2>&1 || { not_ok "mkfs.btrfs"; exit 1; }
mkdir -p "$W/mnt"
mount "$loop" "$W/mnt" || { skip bench_roots "cannot mount btrfs"; exit 0; }
at_exit "umount $W/mnt"

make_root "$W/mnt/image"
make_root "$W/host-image"
check "pirackd would pick reflink on btrfs" test "$("$BIN/rootclone" probe "$W/mnt" "$W/mnt")" = reflink
echo "probe on the host's filesystem: $("$BIN/rootclone" probe "$W" "$W")"
set -- $("$BIN/rootclone" reflink "$W/mnt/image" "$W/mnt/gen-1")
echo "reflink on btrfs: $2 files, $3 bytes in $4 ms"
reflink_ms=$4
set -- $("$BIN/rootclone" copy "$W/host-image" "$W/gen-1")
echo "copy on the host's filesystem ($(df --output=fstype "$W" | tail -1)): $2 files, $3 bytes in $4 ms"
copy_ms=$4
set -- $("$BIN/rootclone" copy_file_range "$W/host-image" "$W/gen-2")
echo "copy_file_range on the host's filesystem: $2 files, $3 bytes in $4 ms"
check "a 2 GB generation by reflink takes less than 1 s ($reflink_ms ms)" test "$reflink_ms" -lt 1000
echo "ratio copy/reflink: $(awk "BEGIN { printf \"%.0f\", $copy_ms / ($reflink_ms > 0 ? $reflink_ms : 1) }")x"

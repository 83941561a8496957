# A small Raspberry Pi OS-like disk image, made without mounting anything
# (source after common.sh).
#
#   make_pi_image DIR HOSTNAME   # DIR/disk.img: an MBR with a FAT boot
#                                # partition (kernel, a Pi 3 device tree,
#                                # firmware that must not be served) and
#                                # an ext4 root whose /etc/hostname is
#                                # HOSTNAME; skips (exit 0) without the tools

make_pi_image() {
    for _t in sfdisk mkfs.vfat mcopy mkfs.ext4 debugfs; do
        command -v "$_t" >/dev/null || { skip "image" "$_t is not installed (make deps)"; exit 0; }
    done
    _d=$1
    mkdir -p "$_d/src/root/etc" "$_d/src/root/boot/firmware" "$_d/src/boot"
    echo "$2" >"$_d/src/root/etc/hostname"
    for _f in kernel8.img bootcode.bin start.elf fixup.dat bcm2710-rpi-3-b.dtb pieeprom.bin recovery.bin; do
        echo "$_f" >"$_d/src/boot/$_f"
    done
    truncate -s 40M "$_d/disk.img"
    printf 'label: dos\nstart=2048, size=16384, type=c\nstart=18432, type=83\n' |
        sfdisk -q "$_d/disk.img" || return 1
    truncate -s 8M "$_d/boot.part" && mkfs.vfat -n BOOT "$_d/boot.part" >/dev/null &&
        MTOOLS_SKIP_CHECK=1 mcopy -s -i "$_d/boot.part" "$_d"/src/boot/* ::/ || return 1
    truncate -s 30M "$_d/root.part" && mkfs.ext4 -q -d "$_d/src/root" "$_d/root.part" || return 1
    dd if="$_d/boot.part" of="$_d/disk.img" bs=512 seek=2048 conv=notrunc status=none &&
        dd if="$_d/root.part" of="$_d/disk.img" bs=512 seek=18432 conv=notrunc status=none &&
        rm -f "$_d/boot.part" "$_d/root.part"
}

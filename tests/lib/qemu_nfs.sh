# A QEMU guest for the kernel NFS backend (source after common.sh); used
# by tests/integration/nfs_kernel_qemu.sh.
#
#   qemu_nfs_build CACHE   # sets QNFS_KERNEL and QNFS_INITRD, or QNFS_SKIP
#                          # (the reason) and returns 1
#
# The guest runs Debian's own kernel: the package bookworm's
# linux-image-amd64 depends on, fetched with `apt-get download` and
# unpacked with dpkg-deb -x into CACHE (never installed on the host).
# Its initramfs (a newc cpio, made without root) holds busybox-static
# (also fetched, it conflicts with the host's busybox) as /bin/busybox,
# the modules knfsd, the NFSv3 client and veth need (in dependency order,
# from each module's depends=), nfs-kernel-server's exportfs, rpc.nfsd and
# rpc.mountd (fetched), the host's mount.nfs, rpcbind and ip (nfs-common,
# rpcbind, iproute2: scripts/deps.sh) with the shared libraries ldd says
# they need, build/bin/nfs_exports (pirackd's kernel backend) and
# tests/lib/qemu_nfs_init.sh as /init.  Both are cached under CACHE keyed
# by a hash of their inputs: the packages' versions, then every file that
# goes into the initramfs.

QNFS_MODULES="nfsd nfsv3 veth"

# Fetches and unpacks the kernel, nfs-kernel-server and busybox-static into
# CACHE/debs-KEY (KEY: their names and the versions apt would install),
# once.  One apt-cache call: each takes seconds on a loaded machine.
_qnfs_debs() {
    _info=$(apt-cache show --no-all-versions linux-image-amd64 nfs-kernel-server busybox-static 2>/dev/null |
        awk '/^Package: /{p=$2} /^Version: /{print p "=" $2}
             p=="linux-image-amd64" && /^Depends: /{if (match($0, /linux-image-[0-9][^ ,]*-amd64/)) print "kernel " substr($0, RSTART, RLENGTH)}')
    _k=$(echo "$_info" | sed -n 's/^kernel //p')
    [ -n "$_k" ] || { QNFS_SKIP="apt knows no linux-image-amd64 (apt-get update?)"; return 1; }
    for _p in linux-image-amd64 nfs-kernel-server busybox-static; do
        echo "$_info" | grep -q "^$_p=" || { QNFS_SKIP="apt knows no $_p"; return 1; }
    done
    _pkgs="$_k nfs-kernel-server busybox-static"
    _key=$(echo "$_info" | tr '\n' ' ')
    QNFS_DEBS="$1/debs-$(echo "$_key" | sha256sum | cut -c1-16)"
    QNFS_KVER=${_k#linux-image-}
    [ -f "$QNFS_DEBS/.done" ] && return 0
    rm -rf "$QNFS_DEBS.tmp$$"
    mkdir -p "$QNFS_DEBS.tmp$$/dl" && chmod 0777 "$QNFS_DEBS.tmp$$/dl" || return 1
    # shellcheck disable=SC2086
    if ! (cd "$QNFS_DEBS.tmp$$/dl" && timeout 120 apt-get download -q $_pkgs) >"$QNFS_DEBS.tmp$$/apt.log" 2>&1; then
        QNFS_SKIP="cannot fetch $_pkgs (no network?): $(tail -n 1 "$QNFS_DEBS.tmp$$/apt.log")"
        rm -rf "$QNFS_DEBS.tmp$$"
        return 1
    fi
    _x="$QNFS_DEBS.tmp$$/x"
    mkdir -p "$_x" "$QNFS_DEBS.tmp$$/root/lib/modules" || return 1
    for _deb in "$QNFS_DEBS.tmp$$"/dl/*.deb; do
        case ${_deb##*/} in
        # The kernel without its drivers but veth: 300 MB fewer to write.
        linux-image-*)
            dpkg-deb --fsys-tarfile "$_deb" | tar -x -C "$_x" --wildcards './boot/vmlinuz-*' \
                './lib/modules/*/modules.*' './lib/modules/*/kernel/[!d]*' \
                './lib/modules/*/kernel/drivers/net/veth.ko' || return 1
            ;;
        *) dpkg-deb -x "$_deb" "$_x" || return 1 ;;
        esac
    done
    _m="$_x/lib/modules/$QNFS_KVER"
    _out="$QNFS_DEBS.tmp$$/root"
    cp "$_x/boot/vmlinuz-$QNFS_KVER" "$QNFS_DEBS.tmp$$/vmlinuz" || return 1
    mkdir -p "$_out/bin" "$_out/usr/sbin" || return 1
    cp "$_x/bin/busybox" "$_out/bin/busybox" || return 1
    for _t in exportfs rpc.nfsd rpc.mountd; do
        cp "$_x/usr/sbin/$_t" "$_out/usr/sbin/$_t" || return 1
    done
    # The modules and what they depend on, dependencies first.
    _order=""
    _qnfs_need() {
        case " $_order " in *" $1 "*) return 0 ;; esac
        _rel=$(grep -m1 "/$1\.ko$" "$_m/modules.order") || {
            grep -q "/$1\.ko$" "$_m/modules.builtin" && return 0
            QNFS_SKIP="no module $1 in $_k"
            return 1
        }
        for _d in $(tr '\0' '\n' <"$_m/$_rel" | sed -n 's/^depends=//p' | tr ',' ' '); do
            _qnfs_need "$_d" || return 1
        done
        case " $_order " in *" $1 "*) return 0 ;; esac
        _order="$_order $1"
        _rel=$(grep -m1 "/$1\.ko$" "$_m/modules.order") # the recursion set it
        mkdir -p "$_out/lib/modules/$(dirname "$_rel")" &&
            cp "$_m/$_rel" "$_out/lib/modules/$_rel" && echo "$_rel" >>"$_out/lib/modules/order"
    }
    for _n in $QNFS_MODULES; do
        _qnfs_need "$_n" || return 1
    done
    rm -rf "$_x" "$QNFS_DEBS.tmp$$/dl" && echo "$_key" >"$QNFS_DEBS.tmp$$/.done" &&
        { [ -f "$QNFS_DEBS/.done" ] || { rm -rf "$QNFS_DEBS" && mv "$QNFS_DEBS.tmp$$" "$QNFS_DEBS"; }; } || return 1
    rm -rf "$QNFS_DEBS.tmp$$" # when a test running at the same time was first
    # Older unpacked packages are of no further use.
    for _o in "$1"/debs-*; do
        case $_o in "$QNFS_DEBS" | *.tmp*) ;; *) rm -rf "$_o" ;; esac
    done
}

# Copies host program $1 to $2 (inside the tree $3) with its libraries.
_qnfs_host_prog() {
    mkdir -p "$3$(dirname "$2")" && cp "$1" "$3$2" || return 1
    _qnfs_libs "$1" "$3"
}

_qnfs_libs() {
    for _l in $(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
        [ -e "$2$_l" ] && continue
        mkdir -p "$2$(dirname "$_l")" && cp -L "$_l" "$2$_l" || return 1
    done
}

qemu_nfs_build() {
    QNFS_SKIP=""
    command -v qemu-system-x86_64 >/dev/null || { QNFS_SKIP="qemu-system-x86_64 is not installed (qemu-system-x86, make deps)"; return 1; }
    for _t in apt-get apt-cache dpkg-deb ldd sha256sum mount.nfs rpcbind ip; do
        command -v $_t >/dev/null || { QNFS_SKIP="$_t is not installed (make deps)"; return 1; }
    done
    [ -x "$BIN/nfs_exports" ] || { QNFS_SKIP="$BIN/nfs_exports is not built (make tests)"; return 1; }
    mkdir -p "$1" || return 1
    _qnfs_debs "$1" || { QNFS_SKIP=${QNFS_SKIP:-"cannot unpack the packages"}; return 1; }
    QNFS_KERNEL="$QNFS_DEBS/vmlinuz"
    _mountnfs=$(command -v mount.nfs) _rpcbind=$(command -v rpcbind) _ip=$(command -v ip)
    # Every input of the initramfs; a change to any makes a new one.
    _inputs="$QNFS_DEBS/.done $TOP/tests/lib/qemu_nfs_init.sh $BIN/nfs_exports $_mountnfs $_rpcbind $_ip /etc/netconfig /etc/services /etc/protocols"
    for _f in $_mountnfs $_rpcbind $_ip "$BIN/nfs_exports" "$QNFS_DEBS"/root/usr/sbin/*; do
        _inputs="$_inputs $(ldd "$_f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p')"
    done
    # shellcheck disable=SC2086
    _h=$( (echo "$QNFS_DEBS"; cat $_inputs) | sha256sum | cut -c1-16)
    QNFS_INITRD="$1/initrd-$_h.cpio"
    [ -f "$QNFS_INITRD" ] && return 0
    _r="$1/initrd-$_h.tmp$$" # each test its own: two may run at once
    rm -rf "$_r" && cp -a "$QNFS_DEBS/root" "$_r" || return 1
    for _f in "$_r"/usr/sbin/*; do
        _qnfs_libs "$_f" "$_r" || return 1
    done
    _qnfs_host_prog "$_mountnfs" /sbin/mount.nfs "$_r" &&
        _qnfs_host_prog "$_rpcbind" /usr/sbin/rpcbind "$_r" &&
        _qnfs_host_prog "$_ip" /usr/sbin/ip "$_r" &&
        _qnfs_host_prog "$BIN/nfs_exports" /usr/sbin/nfs_exports "$_r" || return 1
    mkdir -p "$_r/etc" "$_r/srv" && cp /etc/netconfig /etc/services /etc/protocols "$_r/etc/" || return 1
    printf 'root:x:0:0:root:/root:/bin/sh\n_rpc:x:100:65534::/run/rpcbind:/bin/false\n' >"$_r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$_r/etc/group"
    printf '127.0.0.1 localhost\n' >"$_r/etc/hosts"
    ln -s /proc/mounts "$_r/etc/mtab"
    cp "$TOP/tests/lib/qemu_nfs_init.sh" "$_r/init" && chmod 0755 "$_r/init" || return 1
    (cd "$_r" && find . | "$_r/bin/busybox" cpio -o -H newc -R 0:0 >"$QNFS_INITRD.tmp$$" 2>/dev/null) &&
        mv "$QNFS_INITRD.tmp$$" "$QNFS_INITRD" || return 1
    rm -rf "$_r"
    # Older initramfs files of this cache are of no further use.
    for _o in "$1"/initrd-*.cpio; do
        [ "$_o" = "$QNFS_INITRD" ] || rm -f "$_o"
    done
}

# A booted Debian 12 with real systemd, for tests of the shipped unit
# (source after common.sh).
#
#   nspawn_root                 # echoes the cached root, building it first
#                               # when missing or stale; fails if it cannot
#   nspawn_boot NAME ROOT NS [ARGS...]
#                               # boots ROOT (read-only, a tmpfs over it:
#                               # every run starts clean) in netns NS, with
#                               # CAP_NET_ADMIN (nspawn keeps it only for
#                               # networks of its own making); sets
#                               # NSPAWN_LEADER to the container's PID 1
#   in_ct COMMAND...            # runs COMMAND in the container (its
#                               # namespaces; as root)
#   nspawn_stop                 # powers the container off (also at exit)
#
# The root is `debootstrap --variant=minbase` of bookworm with systemd and
# pirack's runtime libraries (scripts/deps.sh --list runtime), so that the
# .deb installs into it without a network.  It is cached under
# $BUILD/nspawn-root-KEY, KEY a hash of everything that shapes it; a stale
# root (another KEY) is removed when a new one is made.

NSPAWN_LEADER=""
NSPAWN_PID=""

nspawn_mirror() {
    # The mirror apt uses here, so that the root comes from the same place.
    _m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    [ -n "$_m" ] || _m=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    echo "${_m:-http://deb.debian.org/debian}"
}

nspawn_root() {
    _inc="systemd,systemd-sysv,dbus,$(sh "$TOP/scripts/deps.sh" --list runtime | tr ' ' ',')"
    _mirror=$(nspawn_mirror)
    _key=$(printf 'bookworm minbase %s %s v1\n' "$_inc" "$_mirror" | sha256sum | cut -c1-12)
    _root="$BUILD/nspawn-root-$_key"
    # One builder at a time: tests/run.sh starts one early, in the
    # background, and the test that needs the root waits for it.
    mkdir -p "$BUILD"
    exec 8>"$BUILD/nspawn-root.lock"
    flock 8
    if [ ! -f "$_root/.complete" ]; then
        for _old in "$BUILD"/nspawn-root-*; do
            [ -d "$_old" ] && [ "$_old" != "$_root" ] && rm -rf "$_old"
        done
        rm -rf "$_root" "$_root.tmp"
        mkdir -p "$BUILD"
        echo "nspawn: debootstrap bookworm from $_mirror into $_root" >&2
        debootstrap --variant=minbase --include="$_inc" bookworm "$_root.tmp" "$_mirror" \
            >"$BUILD/nspawn-root.log" 2>&1 || { tail -n 20 "$BUILD/nspawn-root.log" >&2; rm -rf "$_root.tmp"; exec 8>&-; return 1; }
        # A booted test container needs no getty on a console nobody reads,
        # nor time sync or a resolver that would talk off the machine.
        for _u in console-getty.service getty@.service systemd-timesyncd.service \
                  systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer; do
            ln -sf /dev/null "$_root.tmp/etc/systemd/system/$_u"
        done
        echo pirack-ct >"$_root.tmp/etc/hostname"
        apt-get clean -o RootDir="$_root.tmp" >/dev/null 2>&1 || rm -f "$_root.tmp"/var/cache/apt/archives/*.deb
        touch "$_root.tmp/.complete"
        mv "$_root.tmp" "$_root"
    fi
    flock -u 8
    exec 8>&-
    echo "$_root"
}

nspawn_boot() {
    _name=$1 _root=$2 _ns=$3
    shift 3
    _log="$TEST_TMP/nspawn-$_name.log"
    SYSTEMD_NSPAWN_TMPFS_TMP=1 systemd-nspawn --quiet --register=no --keep-unit \
        --machine="$_name" -D "$_root" --volatile=overlay \
        --network-namespace-path="/run/netns/$_ns" --capability=CAP_NET_ADMIN "$@" -b \
        >"$_log" 2>&1 </dev/null &
    NSPAWN_PID=$!
    at_exit "nspawn_stop"
    # The container's PID 1 is the child of systemd-nspawn.
    if ! wait_for 30 sh -c "pgrep -P $NSPAWN_PID >/dev/null"; then
        echo "nspawn: no container; its log:"; cat "$_log"; return 1
    fi
    NSPAWN_LEADER=$(pgrep -P "$NSPAWN_PID" | head -n 1)
    # Booted: systemd answers and has finished starting up.
    if ! wait_for 60 sh -c "in_ct_state=\$(nsenter -t $NSPAWN_LEADER -a systemctl is-system-running 2>/dev/null); \
            test \"\$in_ct_state\" = running || test \"\$in_ct_state\" = degraded"; then
        echo "nspawn: the container did not finish booting; its log:"; cat "$_log"
        return 1
    fi
}

in_ct() { nsenter -t "$NSPAWN_LEADER" -a "$@"; }

nspawn_stop() {
    [ -n "$NSPAWN_PID" ] || return 0
    kill -0 "$NSPAWN_PID" 2>/dev/null && in_ct systemctl poweroff >/dev/null 2>&1
    _n=100
    while kill -0 "$NSPAWN_PID" 2>/dev/null && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
    kill -9 "$NSPAWN_PID" 2>/dev/null
    wait "$NSPAWN_PID" 2>/dev/null
    NSPAWN_PID=""
}

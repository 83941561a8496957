# nfs-ganesha for tests of the NFS exports (source after common.sh).
#
#   ganesha_start NS      # starts rpcbind and ganesha.nfsd in netns NS
#                         # (a mount namespace of their own, so their
#                         # /run is a tmpfs) with an empty include file
#                         # that pirackd fills; stops both at exit;
#                         # checks that ganesha started
#   ganesha_nfs_section   # prints the [nfs] section that points pirackd
#                         # at that include file and ganesha's pid file
#
# GANESHA_DIR holds ganesha.conf, pirack.conf (the exports), the pid
# files and ganesha.log.

GANESHA_DIR=$TEST_TMP/ganesha

ganesha_start() {
    _g=$GANESHA_DIR
    mkdir -p "$_g"
    : >"$_g/pirack.conf"
    cat >"$_g/ganesha.conf" <<CONF
NFS_CORE_PARAM { Enable_NLM = false; Enable_RQUOTA = false; Protocols = 3, 4; }
NFSV4 { Graceless = true; }
%include "$_g/pirack.conf"
CONF
    cat >"$_g/run.sh" <<RUN
mount -t tmpfs none /run && mkdir -p /run/rpcbind || exit 1
rpcbind -f & echo \$! >"$_g/rpcbind.pid"
sleep 1
exec ganesha.nfsd -F -L "$_g/ganesha.log" -f "$_g/ganesha.conf" -p "$_g/ganesha.pid" -N NIV_EVENT
RUN
    ip netns exec "$1" unshare -m --propagation private sh "$_g/run.sh" >/dev/null 2>&1 &
    at_exit "kill \$(cat $_g/rpcbind.pid) \$(cat $_g/ganesha.pid)"
    check "ganesha starts in the rack's namespace" wait_for 20 test -s "$_g/ganesha.pid"
}

ganesha_nfs_section() {
    printf '[nfs]\nbackend = ganesha\nexports = %s\nganesha_pidfile = %s\n' \
        "$GANESHA_DIR/pirack.conf" "$GANESHA_DIR/ganesha.pid"
}

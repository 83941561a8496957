# Switch simulators for the PoE tests (POSIX sh; source after common.sh).
#
#   sim_state_new PORTS          -> $SIM_STATE (all '0'), $SIM_CTL (empty)
#   snmp_sim_start               -> $SNMP_PORT; v2c "private", v3 user
#                                   "pirack" (SHA "pirack-auth-1" / AES "pirack-priv-1")
#   snmp_sim_stop
#   snmp_sim_restart             the same agent again on the same $SNMP_PORT
#   snmp_in_pkts                 -> the agent's snmpInPkts (PDUs it received)
#   ssh_sim_start DIALECT        -> $SSH_PORT, $SSH_KEY (client key),
#                                   $SSH_HOSTKEY_FP (SHA256:...), $SSH_KNOWN_HOSTS,
#                                   $SIM_CLI_LOG (one "session" line per login)
#                                With SSH_SIM_ENABLE_PASSWORD set, the switch
#                                   has that enable password (no '"' in it)
#   ssh_sim_start_password DIALECT USER PASSWORD
#                                -> the same, but sshd lets in only USER
#                                   with PASSWORD (a private mount namespace
#                                   holds the account; see below)
#   ssh_sim_stop
#   port_byte N                  -> the state byte of port N
#   trace_start N / trace_stop   -> the bytes port N went through ("101")
#   poectl ARGS / result_has RE  -> runs build/bin/poectl into $OUT, greps
#                                   its "result" line
#
# Everything lives under $TEST_TMP and on loopback ports from free_port;
# at_exit stops the servers also when the test fails.  With SIM_NS set
# (a namespace from ns_new) the servers run on that namespace's loopback.

SIM_DIR="$TEST_TMP/sim"
SIM_NS=${SIM_NS:-}
sim_exec() { if [ -n "$SIM_NS" ]; then ip netns exec "$SIM_NS" "$@"; else "$@"; fi; }
# For servers in the background: a prefix, so that $! is the server itself.
sim_prefix() { [ -n "$SIM_NS" ] && echo "ip netns exec $SIM_NS"; }
mkdir -p "$SIM_DIR"
SNMP_V3_USER=pirack
SNMP_V3_AUTH=pirack-auth-1
SNMP_V3_PRIV=pirack-priv-1

sim_state_new() {
    SIM_STATE="$SIM_DIR/ports"
    SIM_CTL="$SIM_DIR/control"
    # Whole before anyone reads it (the Pi simulator may already watch).
    { head -c "$1" /dev/zero | tr '\0' '0'; echo; } >"$SIM_STATE.tmp"
    mv "$SIM_STATE.tmp" "$SIM_STATE"
    : >"$SIM_CTL"
}

port_byte() { cut -c "$1" "$SIM_STATE"; }

snmp_sim_start() {
    SNMP_PORT=$(free_port)
    snmp_sim_restart
}

snmp_sim_restart() {
    mkdir -p "$SIM_DIR/snmp-persist"
    _pp="$BIN/poe-passpersist"
    cat >"$SIM_DIR/snmpd.conf" <<EOF
[snmp] persistentDir $SIM_DIR/snmp-persist
agentAddress udp:127.0.0.1:$SNMP_PORT
rwcommunity private 127.0.0.1
createUser $SNMP_V3_USER SHA "$SNMP_V3_AUTH" AES "$SNMP_V3_PRIV"
rwuser $SNMP_V3_USER priv
pass_persist .1.3.6.1.2.1.105 $_pp .1.3.6.1.2.1.105 $SIM_STATE $SIM_CTL
pass_persist .1.3.6.1.4.1.9.9.402 $_pp .1.3.6.1.4.1.9.9.402 $SIM_STATE $SIM_CTL
pass_persist .1.3.6.1.4.1.11863.6.56 $_pp .1.3.6.1.4.1.11863.6.56 $SIM_STATE $SIM_CTL
EOF
    SNMP_PERSISTENT_DIR="$SIM_DIR/snmp-persist" MIBS= \
        $(sim_prefix) snmpd -f -Lf "$SIM_DIR/snmpd.log" -C -c "$SIM_DIR/snmpd.conf" \
        -p "$SIM_DIR/snmpd.pid" >/dev/null 2>&1 &
    SNMPD_PID=$!
    at_exit "kill $SNMPD_PID 2>/dev/null"
    wait_for 10 snmp_in_pkts
}

snmp_sim_stop() {
    kill "$SNMPD_PID" 2>/dev/null
    wait "$SNMPD_PID" 2>/dev/null
}

snmp_in_pkts() {
    SNMP_PERSISTENT_DIR="$SIM_DIR/snmp-persist" MIBS= sim_exec snmpget -v2c -c private -Oqv -t 1 -r 0 \
        "127.0.0.1:$SNMP_PORT" .1.3.6.1.2.1.11.1.0 2>/dev/null | grep -E '^[0-9]+$'
}

# sshd 9.2 wants the "sshd" privilege-separation user and /run/sshd.
_ssh_sim_prepare() {
    id sshd >/dev/null 2>&1 || useradd -r -M -d /run/sshd -s /usr/sbin/nologin sshd 2>/dev/null
    mkdir -p /run/sshd
    chmod 0755 /run/sshd
}

# Host key, client key, log and the common part of sshd_config.
_ssh_sim_setup() {
    _ssh_sim_prepare
    SSH_PORT=$(free_port)
    _d="$SIM_DIR/ssh"
    mkdir -p "$_d"
    chmod 0755 "$SIM_DIR" "$_d"
    [ -f "$_d/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$_d/host_ed25519"
    [ -f "$_d/client" ] || ssh-keygen -q -t ed25519 -N '' -f "$_d/client"
    cp "$_d/client.pub" "$_d/authorized_keys"
    chmod 0644 "$_d/authorized_keys"
    SSH_KEY="$_d/client"
    SIM_CLI_LOG="$SIM_DIR/switch-cli.log"
    # A copy beside the keys: a password test's user is not root and may
    # not reach the build tree (a clone in a 0700 directory, as mktemp -d
    # makes); TEST_TMP is 0711 for it.
    cp "$BIN/switch-cli" "$_d/switch-cli"
    chmod 0755 "$_d/switch-cli"
    : >"$SIM_CLI_LOG"
    chmod 0666 "$SIM_CLI_LOG" "$SIM_STATE" "$SIM_CTL"
    cat >"$_d/sshd_config" <<EOC
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $_d/host_ed25519
PidFile none
AuthorizedKeysFile $_d/authorized_keys
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PermitTTY yes
LogLevel ERROR
ForceCommand $_d/switch-cli $1 $SIM_STATE $SIM_CTL $SIM_CLI_LOG
EOC
    # sshd gives its sessions a clean environment: SetEnv hands it over.
    if [ -n "${SSH_SIM_ENABLE_PASSWORD:-}" ]; then
        printf 'SetEnv "SWITCH_CLI_ENABLE_PASSWORD=%s"\n' "$SSH_SIM_ENABLE_PASSWORD" \
            >>"$_d/sshd_config"
    fi
}

_ssh_sim_started() {
    SSHD_PID=$!
    at_exit "kill $SSHD_PID 2>/dev/null"
    SSH_HOSTKEY_FP=$(ssh-keygen -l -E sha256 -f "$_d/host_ed25519.pub" | awk '{print $2}')
    SSH_KNOWN_HOSTS="$_d/known_hosts"
    echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$_d/host_ed25519.pub")" >"$SSH_KNOWN_HOSTS"
    wait_for 10 sim_exec sh -c "ss -Htln '( sport = :$SSH_PORT )' | grep -q ."
}

ssh_sim_start() {
    _ssh_sim_setup "$1"
    cat >>"$_d/sshd_config" <<EOC
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
PermitRootLogin yes
EOC
    # sshd runs ForceCommand through the user's login shell, and bash
    # (Debian builds it so) reads ~/.bashrc for ssh sessions: whatever
    # root's dotfiles do on this host (a slow or stuck init script) would
    # delay every switch login.  A private copy of /etc/passwd, seen only
    # in sshd's own mount namespace, gives root /bin/sh for these sessions.
    mkdir -p "$_d/accounts"
    sed 's|^\(root:\([^:]*:\)\{5\}\).*|\1/bin/sh|' /etc/passwd >"$_d/accounts/passwd"
    chmod 0644 "$_d/accounts/passwd"
    $(sim_prefix) unshare -m sh -c 'mount --bind "$1" /etc/passwd || exit 1
        exec /usr/sbin/sshd -D -e -f "$2"' sh "$_d/accounts/passwd" "$_d/sshd_config" \
        2>"$SIM_DIR/sshd.log" &
    _ssh_sim_started
}

# A uid and gid that the host's own files do not use.
_ssh_sim_free_id() {
    _id=60500
    while cut -d: -f3 /etc/passwd /etc/group | grep -qx "$_id"; do _id=$((_id + 1)); done
    echo "$_id"
}

# sshd that lets in only USER, only with PASSWORD, no keys: by
# "password" authentication (UsePAM no: sshd checks the shadow hash
# itself), or with SSH_SIM_KBDINT=1 by keyboard-interactive alone.
# USER exists only inside sshd's private mount namespace (unshare -m),
# where copies of /etc/passwd, /etc/shadow and /etc/group that add it
# are bind-mounted over the host's: the host's accounts are never
# written.  The namespace ends with sshd and its sessions.
ssh_sim_start_password() {
    _dialect=$1 _user=$2 _pass=$3
    _kbd=${SSH_SIM_KBDINT:-}
    _ssh_sim_setup "$_dialect"
    _id=$(_ssh_sim_free_id)
    _hash=$(printf '%s\n' "$_pass" | openssl passwd -6 -stdin) || return 1
    _acc="$_d/accounts"
    mkdir -p "$_acc" "$_d/home"
    chmod 0755 "$_acc" "$_d/home"
    # The user's session must reach the state files under $TEST_TMP.
    chmod 0711 "$TEST_TMP"
    { cat /etc/passwd; echo "$_user:x:$_id:$_id:pirack test switch user:$_d/home:/bin/sh"; } \
        >"$_acc/passwd"
    { cat /etc/group; echo "$_user:x:$_id:"; } >"$_acc/group"
    { cat /etc/shadow; echo "$_user:$_hash:$(( $(date +%s) / 86400 )):0:99999:7:::"; } \
        >"$_acc/shadow"
    chmod 0644 "$_acc/passwd" "$_acc/group"
    chmod 0640 "$_acc/shadow"
    if [ -n "$_kbd" ]; then
        # Keyboard-interactive only, as many switches ask for a password:
        # through PAM, whose sshd stack is replaced (in the namespace
        # too) by pam_unix alone, so it reads the copied shadow file.
        printf 'auth required pam_unix.so nodelay\naccount required pam_unix.so\n%s\n%s\n' \
            'session required pam_permit.so' 'password required pam_deny.so' >"$_acc/pam.sshd"
        _binds="passwd:/etc/passwd group:/etc/group shadow:/etc/shadow pam.sshd:/etc/pam.d/sshd"
        _auth="PasswordAuthentication no
KbdInteractiveAuthentication yes
UsePAM yes"
    else
        _binds="passwd:/etc/passwd group:/etc/group shadow:/etc/shadow"
        _auth="PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no"
    fi
    # INFO: sshd logs each failed password ("Failed password for"), so a
    # test can count what the switch would count towards its lockout.
    sed -i 's/^LogLevel .*/LogLevel INFO/' "$_d/sshd_config"
    cat >>"$_d/sshd_config" <<EOC
$_auth
PermitEmptyPasswords no
PubkeyAuthentication no
PermitRootLogin no
AllowUsers $_user
EOC
    $(sim_prefix) unshare -m sh -c '
        for b in $3; do mount --bind "$1/${b%%:*}" "${b#*:}" || exit 1; done
        exec /usr/sbin/sshd -D -e -f "$2"' sh "$_acc" "$_d/sshd_config" "$_binds" 2>"$SIM_DIR/sshd.log" &
    _ssh_sim_started
}

ssh_sim_stop() {
    kill "$SSHD_PID" 2>/dev/null
    wait "$SSHD_PID" 2>/dev/null
}

ssh_sim_sessions() { grep -c '^session' "$SIM_CLI_LOG"; }

# Samples one port's byte every 20 ms until stopped; the trace, with
# repeats squeezed, shows what the Pi simulator would have seen.
trace_start() {
    ( while :; do port_byte "$1"; sleep 0.02; done ) >"$TEST_TMP/trace" &
    TRACE_PID=$!
    at_exit "kill $TRACE_PID 2>/dev/null"
    sleep 0.1
}
trace_stop() { sleep 0.15; kill "$TRACE_PID" 2>/dev/null; wait "$TRACE_PID" 2>/dev/null; uniq "$TEST_TMP/trace" | tr -d '\n'; }

OUT="$TEST_TMP/out"
poectl() { "$BIN/poectl" "$@" >"$OUT" 2>&1; }
result_has() { grep -q "^result .*$1" "$OUT"; }

# A flat-mode pirackd.conf on lo for SLOTS slots whose power goes through
# switches the caller appends: quick holds, no stagger, the repository's
# profiles.  Needs tests/lib/pirackd.sh (rack_conf).
power_rack_conf() {   # FILE SLOTS
    rack_conf "$1" "$2" flat lo
    cat >>"$1" <<EOC
[health]
boot_timeout = 5s
[power]
hold = 300ms
stagger = 0ms
max_booting = 8
profiles = $TOP/poe/profiles
EOC
}

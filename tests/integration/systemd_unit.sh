#!/bin/sh
# systemd_unit: the shipped unit under a real systemd, installed the way an
# operator installs it (the .deb, `dpkg -i`), in a booted Debian 12
# container (systemd-nspawn) whose network is a namespace of this test's.
# With the operator's kind of configuration ([api] group, switch secrets in
# a root-only credentials file) pirackd must run as user pirack with
# exactly the unit's capabilities, tell systemd READY and STATUS=, answer a
# Pi's DISCOVER and TFTP read on a veth, apply `systemctl reload`, refuse a
# bad file (ExecStartPre at start, pirackd on reload) with FILE:LINE in
# the journal, and stop with exit 0 after its final RAs; never killed by
# the unit's system call filter, never restarted.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/nspawn.sh"

T=systemd_unit
need_root $T
for tool in debootstrap systemd-nspawn nsenter dpkg-buildpackage dh; do
    command -v "$tool" >/dev/null ||
        { skip $T "$tool is not installed (make deps: debootstrap, systemd-container, debhelper)"; exit 0; }
done
command -v tftp >/dev/null || { skip $T "tftp-hpa is not installed"; exit 0; }
[ -d /sys/fs/cgroup ] || { skip $T "no cgroup file system to boot systemd in"; exit 0; }
make -s -C "$TOP" BUILD="$BUILD" progs >"$TEST_TMP/progs.log" 2>&1 ||
    { cat "$TEST_TMP/progs.log"; not_ok "$T: test programs build"; exit 1; }

started=$(date +%s)
ROOT=$(nspawn_root) || { not_ok "$T: debootstrap a bookworm root"; exit 1; }
# SYSTEMD_UNIT_INSTALL=make: install with `make install` and the steps of
# docs/install.md for hosts without the .deb, instead of the package.
HOW=${SYSTEMD_UNIT_INSTALL:-deb}
mkdir -p "$TEST_TMP/deb"
if [ "$HOW" = deb ]; then
    DEB=$(make -s -C "$TOP" BUILD="$BUILD" deb 2>"$TEST_TMP/deb.log" | tail -n 1)
    if [ ! -f "$DEB" ]; then
        tail -n 40 "$TEST_TMP/deb.log"; not_ok "$T: the .deb builds"; exit 1
    fi
    ok "$T: the .deb builds ($(basename "$DEB"))"
    check "$T: the .deb carries bash and zsh completion where Debian's shells look" sh -c \
        "dpkg -c '$DEB' | grep -q ' ./usr/share/bash-completion/completions/pirack\$' &&
         dpkg -c '$DEB' | grep -q ' ./usr/share/zsh/vendor-completions/_pirack\$'"
    cp "$DEB" "$TEST_TMP/deb/"
else
    make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$TEST_TMP/deb/root" PREFIX=/usr/local \
        >"$TEST_TMP/deb.log" 2>&1 || { cat "$TEST_TMP/deb.log"; not_ok "$T: make install"; exit 1; }
fi

host=$(ns_new host) && pis=$(ns_new pis) || { not_ok "$T: namespaces"; exit 1; }
MAC=b8:27:eb:00:00:01
ip link add pi001 netns "$host" type veth peer name eth0 netns "$pis"
ip -n "$pis" link set eth0 address "$MAC"
ip -n "$host" link set pi001 up
ip -n "$pis" link set eth0 up

nspawn_boot "pirack-$$" "$ROOT" "$host" --bind-ro="$TEST_TMP/deb:/mnt/deb" ||
    { not_ok "$T: the container boots"; exit 1; }
ok "$T: a bookworm container boots systemd ($(($(date +%s) - started)) s so far)"

journal() { in_ct journalctl -q --no-pager -o cat -u pirackd.service; }
journal_has() { journal | grep -q "$1"; }
journal_more() { [ "$(journal | grep -c "$2")" -gt "$1" ]; }   # COUNT RE
not() { ! "$@"; }
show() { in_ct systemctl show -p "$1" --value pirackd.service; }
status_has() { show StatusText | grep -q "$1"; }
dump() {   # the unit's state and journal, for a failure
    in_ct systemctl status --no-pager pirackd.service 2>&1 | head -n 20
    journal 2>&1 | tail -n 40
}

# ---- install as an operator does
if [ "$HOW" = deb ]; then
    if in_ct sh -c 'dpkg -i /mnt/deb/*.deb' >"$TEST_TMP/dpkg.log" 2>&1; then
        ok "$T: dpkg -i installs the package"
    else
        cat "$TEST_TMP/dpkg.log"; not_ok "$T: dpkg -i installs the package"; exit 1
    fi
else
    # docs/install.md's steps after make install.
    if in_ct sh -ec 'cp -a /mnt/deb/root/. /
            useradd --system --home-dir /var/lib/pirack --shell /usr/sbin/nologin pirack
            install -d -o pirack -g pirack -m 0750 /srv/pirack /srv/pirack/boot /srv/pirack/images /srv/pirack/root
            install -d -o root -g pirack -m 0750 /etc/pirack
            chgrp pirack /etc/pirack/pirackd.conf && chmod 0640 /etc/pirack/pirackd.conf
            systemctl daemon-reload
            systemctl enable --now pirackd' >"$TEST_TMP/dpkg.log" 2>&1; then
        ok "$T: make install and docs/install.md's steps"
    else
        cat "$TEST_TMP/dpkg.log"; not_ok "$T: make install and docs/install.md's steps"
    fi
fi
check "$T: the package made user and group pirack" in_ct getent passwd pirack
check "$T: the unit is enabled" in_ct systemctl is-enabled -q pirackd.service
check "$T: installed with its example configuration, pirackd starts" \
    wait_for 15 in_ct systemctl is-active -q pirackd.service
in_ct systemctl is-active -q pirackd.service || dump

# ---- the operator's configuration: one slot, a switch whose secrets are
# in a root-only file, the API socket for group pirack.  The switch is on
# this namespace's loopback, where nothing answers.
CONF=/etc/pirack/pirackd.conf
write_conf() {   # write_conf SLOTS
    in_ct sh -c "cat >$CONF" <<CONF
[rack]
name = ct
domain = rack.example
mode = isolated
slots = $1
interface = pi%03d
[ipv4]
pool = 10.99.0.0/23
[ipv6]
pool = 2001:db8:99::/56
dns = 2001:db8:53::64
ra_interval = 10s
[api]
socket = /run/pirack/api.sock
group = pirack
mode = 0660
[log]
level = debug
[switch sw1]
driver = snmp
address = 127.0.0.1:16161
slots = 1-$1
port_base = 1
snmp_version = 3
v3_user = pirack
v3_auth_proto = SHA
v3_priv_proto = AES
credentials = /etc/pirack/credentials/sw1
CONF
}
write_conf 1
in_ct sh -c 'umask 077; mkdir -p /etc/pirack/credentials &&
    printf "v3_auth_key = test-auth-key\nv3_priv_key = test-priv-key\n" >/etc/pirack/credentials/sw1'
check "$T: the credentials file is root's alone" \
    test "$(in_ct stat -c '%U %a' /etc/pirack/credentials/sw1)" = 'root 600'
head -c 200000 /dev/urandom >"$TEST_TMP/start.elf"
in_ct sh -c 'mkdir -p /srv/pirack/boot/default && cat >/srv/pirack/boot/default/start.elf' <"$TEST_TMP/start.elf"

in_ct systemctl restart pirackd.service
if wait_for 15 in_ct systemctl is-active -q pirackd.service; then
    ok "$T: pirackd starts under the unit with [api] group and a credentials file"
else
    dump; not_ok "$T: pirackd starts under the unit with [api] group and a credentials file"
fi

# ---- who it runs as, with which capabilities, what systemd was told
PID=$(show MainPID)
status() { in_ct cat "/proc/$PID/status"; }
UID_PIRACK=$(in_ct id -u pirack)
check "$T: pirackd runs as user pirack" \
    test "$(status 2>/dev/null | awk '/^Uid:/ { print $2 " " $3 }')" = "$UID_PIRACK $UID_PIRACK"
capmask() {   # capmask NAME...: the hex mask of capability names
    _m=0
    for _c; do
        case $_c in
        cap_net_bind_service) _b=10 ;; cap_net_broadcast) _b=11 ;;
        cap_net_admin) _b=12 ;; cap_net_raw) _b=13 ;;
        cap_chown) _b=0 ;; cap_dac_override) _b=1 ;; cap_setgid) _b=6 ;; cap_setuid) _b=7 ;;
        cap_sys_admin) _b=21 ;;
        *) echo "capmask: unknown $_c" >&2; return 1 ;;
        esac
        _m=$((_m | (1 << _b)))
    done
    printf '%016x\n' "$_m"
}
AMB=$(capmask $(show AmbientCapabilities)) BND=$(capmask $(show CapabilityBoundingSet))
check "$T: the unit grants the same capabilities it bounds ($AMB)" test "$AMB" = "$BND"
check "$T: CapEff is exactly the unit's AmbientCapabilities" \
    test "$(status 2>/dev/null | awk '/^CapEff:/ { print $2 }')" = "$AMB"
check "$T: CapBnd is exactly the unit's CapabilityBoundingSet" \
    test "$(status 2>/dev/null | awk '/^CapBnd:/ { print $2 }')" = "$BND"
check "$T: READY reached systemd (active, running)" \
    test "$(show ActiveState)/$(show SubState)" = active/running
STATUS_TEXT=$(show StatusText)
check "$T: STATUS= reached systemd ($STATUS_TEXT)" \
    sh -c "echo '$STATUS_TEXT' | grep -q '^rack ct: 1 slots, isolated mode; [0-9]* booted, [0-9]* failed'"
check "$T: log lines reach the journal without a doubled level" journal_has '^pirackd 0.1.0: rack ct'
check "$T: ... and with none of the <N> prefixes in them" not journal_has '^<[0-7]>\|^info: '
check "$T: events are journal entries with PIRACK_ fields" \
    sh -c "nsenter -t $NSPAWN_LEADER -a journalctl -q -o cat PIRACK_EVENT=daemon.started PIRACK_SLOT=0 | grep -q 'daemon.started'"

# ---- a Pi on a veth
ip netns exec "$pis" "$BIN/dhcp_probe" -i eth0 -k pi3bplus -m "$MAC" -w 2000 >"$TEST_TMP/offer" 2>&1
check "$T: a Pi's DISCOVER gets its slot's OFFER" grep -q 'type=offer.*yiaddr=10.99.0.2 ' "$TEST_TMP/offer"
ip -n "$pis" addr add 10.99.0.2/30 dev eth0
wait_for 5 ip netns exec "$pis" ping -c1 -W1 10.99.0.1 >/dev/null
(cd "$TEST_TMP" && ip netns exec "$pis" timeout 20 tftp 10.99.0.1 -m binary -c get start.elf got.elf) >/dev/null 2>&1
check "$T: the Pi reads start.elf over TFTP" cmp -s "$TEST_TMP/start.elf" "$TEST_TMP/got.elf"
check "$T: the Pi hears RAs (a default route via fe80::1)" \
    wait_for 15 sh -c "ip -n $pis -6 route show default | grep -q 'via fe80::1'"

# ---- the API socket is for group pirack
in_ct sh -c 'useradd -M -G pirack op && useradd -M stranger' >/dev/null 2>&1
check "$T: the API socket is pirack:pirack, mode 660" \
    test "$(in_ct stat -c '%U:%G %a' /run/pirack/api.sock 2>&1)" = 'pirack:pirack 660'
check "$T: a member of group pirack drives the rack" in_ct runuser -u op -- pirack status
check "$T: anyone else cannot" not in_ct runuser -u stranger -- pirack status

# ---- reload
total_is() { [ "$(total)" = "$1" ]; }
total() { in_ct pirack status --json 2>/dev/null | tr -d ' \n' | sed -n 's/.*"slots":{[^}]*"total":\([0-9]*\).*/\1/p'; }
check "$T: 1 slot before the reload" test "$(total)" = 1
write_conf 2
check "$T: systemctl reload succeeds" in_ct systemctl reload pirackd.service
check "$T: the reload applied the changed configuration" wait_for 5 total_is 2

check "$T: no restart so far (NRestarts=0)" test "$(show NRestarts)" = 0
check "$T: never killed by SIGSYS" not journal_has 'status=31/SYS'

# ---- a bad file: refused with FILE:LINE, the running daemon kept
in_ct sed -i 's/^slots = 2$/slots = lots/' "$CONF"
in_ct systemctl reload pirackd.service
check "$T: a reload with a bad file: FILE:LINE in the journal" wait_for 5 journal_has "$CONF:5: slots"
check "$T: ... STATUS= says the reload was refused" \
    wait_for 5 status_has 'reload refused'
check "$T: ... and the same pirackd runs with its configuration" \
    test "$(show MainPID)/$(total)" = "$PID/2"
in_ct systemctl stop pirackd.service
seen=$(journal | grep -c "$CONF:5: slots")
in_ct systemctl start pirackd.service 2>/dev/null
check "$T: ExecStartPre refuses a bad configuration" test "$(show ActiveState)" != active
check "$T: ... with FILE:LINE in the journal" \
    wait_for 5 journal_more "$seen" "$CONF:5: slots"
in_ct systemctl stop pirackd.service 2>/dev/null
in_ct systemctl reset-failed pirackd.service 2>/dev/null
write_conf 1
in_ct systemctl start pirackd.service
check "$T: a good file again: it starts" wait_for 15 in_ct systemctl is-active -q pirackd.service
had_route=no
wait_for 15 sh -c "ip -n $pis -6 route show default | grep -q 'via fe80::1'" && had_route=yes

# ---- stop
in_ct systemctl stop pirackd.service
check "$T: systemctl stop: pirackd exited 0" \
    test "$(show ExecMainCode)/$(show ExecMainStatus)/$(show Result)" = "1/0/success"
check "$T: stop sent the final RAs (journal)" journal_has 'ra: stopped after [0-9]* RAs'
check "$T: the final RA (lifetime 0) ended the Pi's default route" \
    wait_for 5 sh -c "[ $had_route = yes ] && ! ip -n $pis -6 route show default | grep -q ."
check "$T: still no restart (NRestarts=0)" test "$(show NRestarts)" = 0
check "$T: still no SIGSYS" not journal_has 'status=31/SYS'
[ "$PR_FAILED" -eq 0 ] || dump
echo "# $T: $(($(date +%s) - started)) s"

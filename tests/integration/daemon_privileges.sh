#!/bin/sh
# Started as root by hand (no systemd), with umask 022: pirackd runs as its
# [daemon] user, keeps only CAP_NET_ADMIN, CAP_NET_RAW and
# CAP_NET_BIND_SERVICE (effective, permitted and bounding), sets
# no_new_privs, and its store and other files are not world-readable.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"

need_root daemon_privileges
id nobody >/dev/null 2>&1 || { skip daemon_privileges "no user nobody"; exit 0; }
ns=$(ns_new privs) || exit 1
umask 022
chmod 711 "$TEST_TMP" # nobody must reach the state, trace and run directories
rack_conf "$TEST_TMP/pirackd.conf" 4
printf '[daemon]\nuser = nobody\n' >>"$TEST_TMP/pirackd.conf"
# The zone is written next to the store, as in the shipped layout
# (/var/lib/pirack): the directories pirackd hands over hold all it writes.
sed -i "s|^zone = .*|zone = $TEST_TMP/state/rack.zone|" "$TEST_TMP/pirackd.conf"
pirackd_start "$ns" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
ok "pirackd starts as root with [daemon] user = nobody"

status=/proc/$PIRACKD_PID/status
field() { awk -v k="$1:" '$1 == k { print $2, $3, $4, $5 }' "$status"; }
nobody=$(id -u nobody)
# CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13)
want_caps=0000000000003400
check "runs as nobody (real, effective, saved, fs uid)" \
    test "$(field Uid)" = "$nobody $nobody $nobody $nobody"
check "CapEff is the three network capabilities only" test "$(field CapEff | tr -d ' ')" = $want_caps
check "CapPrm is the three network capabilities only" test "$(field CapPrm | tr -d ' ')" = $want_caps
check "CapBnd holds nothing more" test "$(field CapBnd | tr -d ' ')" = $want_caps
check "NoNewPrivs is on" test "$(field NoNewPrivs | tr -d ' ')" = 1
cli status >/dev/null
check "the API answers after the drop" test $? -eq 0

db="$TEST_TMP/state/pirack.db"
check "the store is 0640 or stricter under umask 022" \
    sh -c "test -z \"\$(find '$db' -perm /o=rwx,g=wx)\""
# The DNS zone (like HAProxy's files) is public and written 0644 on
# purpose: others (HAProxy, a DNS server) read it.
check "no other file in the state and run directories is readable by others" \
    sh -c "test -z \"\$(find '$TEST_TMP/state' '$TEST_TMP/run' -type f ! -name rack.zone -perm /o=rwx)\""
pirackd_stop
check "pirackd stops cleanly as nobody" test $? -eq 0
check "and removes its socket" test ! -e "$PIRACK_SOCK"

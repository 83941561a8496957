#!/bin/sh
# Stage deadlines after a power-on, one pisim fault per stage: Pi 1 never
# sends DHCP (the dhcp stage), Pi 2 fetches its kernel and stops (root),
# Pi 3 opens its NFS connection, so its root counts as mounted, and never
# comes up (up).  Pi 4 boots and answers.  Each missed deadline is a
# boot.failed event naming the stage, with the boot's pcap trace kept;
# remediation is off, so nothing acts on them.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
need_root health_stages
command -v jq >/dev/null || { skip health_stages "jq not installed"; exit 0; }
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip health_stages "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"

health_rack health_stages 4 || exit 1
rack_bootfiles "$TEST_TMP/boot/default"
rack_slot_files "$TEST_TMP/boot" 4
cat >>"$CONF" <<EOF
[health]
probe = yes
port = 22
interval = 1s
probe_timeout = 500ms
dhcp_deadline = 4s
tftp_deadline = 30s
root_deadline = 6s
up_deadline = 6s
EOF
pirackd_start "$HOST" "$CONF" || { not_ok "health_stages: pirackd starts"; exit 1; }
V6=""
for i in $(seq 1 4); do
    V6="$V6 --v6 $i=$(cli --json show "$i" | jq -r .addresses.v6.pi)"
done
state_is() { [ "$(cli --json show "$1" | jq -r .state)" = "$2" ]; }
# shellcheck disable=SC2086
ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 1000 --timeout 120 \
    --health-port 22 $V6 --fault 1:no-dhcp --fault 2:stop-after-tftp --fault 3:root-fails \
    pi001 pi002 pi003 pi004 2>"$TEST_TMP/pisim.err" &
SIM=$!
at_exit "kill $SIM"

failed_detail() {   # SLOT FIELD: of the slot's first boot.failed
    cli --json events --slot "$1" |
        jq -r --arg f "$2" '[.events[] | select(.kind == "boot.failed")][0].detail[$f]'
}
trace_kept() { _t=$(failed_detail "$1" trace); [ -n "$_t" ] && [ -s "$_t" ]; }

cli power on all >/dev/null 2>&1
check "stages: Pi 4 boots and answers: up" wait_for 60 state_is 4 up
for case in "1 dhcp" "2 root" "3 up"; do
    i=${case%% *} stage=${case#* }
    check "stages: Pi $i fails" wait_for 60 state_is "$i" failed
    check "stages: Pi $i's boot.failed names the $stage stage" \
        test "$(failed_detail "$i" stage)" = "$stage"
    if [ "$stage" = dhcp ]; then
        # a Pi that sent nothing left no packets to keep
        check "stages: Pi 1's event says no trace was kept" test -z "$(failed_detail 1 trace)"
    else
        check "stages: Pi $i's boot trace is kept beside the event" trace_kept "$i"
    fi
done
check "stages: Pi 3's NFS packet is its root mounted: boot.booted from nfs_root" \
    sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 3 | jq -e 'any(.events[]; .kind == \"boot.booted\" and .detail.observed == \"nfs_root\")' >/dev/null"
health_kinds() { cli --json events | jq -r '.events[].kind' | grep -E '^health\.(cycle|reimage|quarantined)' ; }
kinds=$(health_kinds)
check "stages: remediation off: no health steps (saw: $(echo $kinds))" test -z "$kinds"
pirackd_stop

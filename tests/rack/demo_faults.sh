# The demo's last act, the fault story (sourced by demo.sh after the rack
# has booted; needs common.sh, pirackd.sh and rack_lib.sh).  A rack of its
# own, small so that it plays in a minute or two: four Pis behind a
# simulated SNMP PoE switch, each booting a root made from an image, with
# health probes and the remediation ladder on.  In pisim, Pi 2 stops
# answering after every boot and Pi 3 only after its first.  pirackd
# cycles Pi 2 twice, reimages it, then quarantines it; Pi 3 recovers at
# its first cycle.  `pirack events` tells it.
#   DEMO_FAULT_TIMEOUT=240 (seconds)

demo_faults() {
    _ft=${DEMO_FAULT_TIMEOUT:-240}
    echo
    # Port 80, a TCP connect: on port 22 the probe does the SSH key
    # exchange and checks the host key pirackd wrote into each root, and
    # pisim's Pis answer with a banner only (health_hostkey.sh runs the
    # real sshd for that).
    echo "demo: the fault story: 4 Pis, probes on [health] port 80 (a TCP connect), the ladder on"
    FHOST=$(ns_new fhost) && FPIS=$(ns_new fpis) || return 1
    rack_create "$FHOST" "$FPIS" 4 isolated 'pi%03d' || return 1
    for _i in 1 2 3 4; do
        ip netns exec "$FPIS" sysctl -qw "net.ipv6.conf.pi00$_i.disable_ipv6=0" \
            "net.ipv6.conf.pi00$_i.accept_ra=0"
    done
    SIM_NS=$FHOST
    . "$TOP/tests/lib/poe_sim.sh"
    sim_state_new 4
    snmp_sim_start || { echo "demo: the SNMP switch simulator did not start"; return 1; }

    # An image whose boot files are the test boot set: every Pi's root
    # and boot directory are a generation made from it.
    _img=$TEST_TMP/fault-image
    mkdir -p "$_img/etc" && echo demo >"$_img/etc/hostname"
    rack_bootfiles "$_img/boot"

    _conf=$TEST_TMP/faults.conf
    PIRACK_SOCK=$TEST_TMP/faults.sock
    rack_conf "$_conf" 4 isolated 'pi%03d'
    sed -i "s|^state = .*|state = $TEST_TMP/state/faults.db|; s|^boot = .*|boot = $TEST_TMP/fboot|; s|^roots = .*|roots = $TEST_TMP/froots|" "$_conf"
    mkdir -p "$TEST_TMP/fboot"
    cat >>"$_conf" <<EOF
[power]
hold = 500ms
stagger = 0ms
profiles = $TOP/poe/profiles
[switch poe]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-4
port_base = 1
community = private
[health]
probe = yes
port = 80
interval = 1s
probe_timeout = 500ms
unhealthy_after = 2
remediation = yes
max_cycles = 2
power_gap = 2s
root_deadline = 20s
up_deadline = 20s
EOF
    PIRACKD_LOG=$TEST_TMP/faults-pirackd.log
    pirackd_start "$FHOST" "$_conf" || return 1
    cli image import demo "$_img" >/dev/null || return 1
    wait_for 60 sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json image show demo | jq -e '.state != \"importing\"' >/dev/null"
    _v6=""
    for _i in 1 2 3 4; do
        cli set "$_i" image=demo >/dev/null || return 1
        cli reimage "$_i" >/dev/null || return 1
        _v6="$_v6 --v6 $_i=$(cli --json show "$_i" | jq -r .addresses.v6.pi)"
    done
    cli power off all --yes >/dev/null 2>&1

    echo "demo: pisim: Pi 2 stops answering after every boot, Pi 3 after its first only"
    # shellcheck disable=SC2086
    ip netns exec "$FPIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 1000 --timeout "$_ft" \
        --health-port 80 $_v6 --hang-ms 4000 \
        --fault 2:hang-after-boot --fault 3:hang-after-boot,once \
        --json "$TEST_TMP/faults-pisim.json" pi001 pi002 pi003 pi004 2>"$TEST_TMP/faults-pisim.err" &
    _sim=$!
    at_exit "kill $_sim"
    cli power on all >/dev/null 2>&1

    _state() { cli --json show "$1" | jq -r .state; }
    _end=$(($(date +%s) + _ft))
    while [ "$(date +%s)" -lt "$_end" ]; do
        [ "$(_state 2)" = quarantined ] && [ "$(_state 3)" = up ] && break
        sleep 1
    done
    echo
    echo "demo: pirack events: the ladder, step by step"
    cli events | grep -E ' (health\.[a-z-]+|boot\.(up|unhealthy|failed)|image\.reimaged|power\.off) '
    echo
    cli slots
    for _i in 1 2 3 4; do echo "slot $_i: $(_state "$_i")"; done
    kill "$_sim" 2>/dev/null
    pirackd_stop
}

#!/bin/sh
# The pictures of docs/web.md and the README: the rack page of a simulated
# rack mid-boot (docs/rack-booting.png) and booted (docs/rack-booted.png).
#
# A rack of SHOT_SLOTS (24) simulated Pi 3s on two switches (two halves of
# one simulated SNMP agent's ports, which pisim reads power from),
# in isolated mode; a few slots named and owned; all powered at once, with
# a slow kernel so that the first picture catches them booting.  The page
# is read through a socat bridge to the ops socket inside the test's own
# namespace (docs/web.md), by headless chromium (tests/integration/
# web_page.py shot).  Needs root, jq, chromium, chromedriver, socat,
# python3-selenium and a build (make).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/rack/rack_lib.sh"

N=${SHOT_SLOTS:-24}
HALF=$((N / 2))
need_root screenshots
for t in jq chromium chromedriver socat; do
    command -v $t >/dev/null || { echo "screenshots: needs $t (make deps)"; exit 1; }
done
[ -x "$BIN/pisim" ] || { echo "screenshots: build first (make progs)"; exit 1; }

HOST=$(ns_new host) && PIS=$(ns_new pis) || exit 1
rack_create "$HOST" "$PIS" "$N" isolated 'pi%03d' || exit 1
SIM_NS=$HOST
. "$TOP/tests/lib/poe_sim.sh"
sim_state_new "$N"
snmp_sim_start || { echo "screenshots: snmpd did not start"; exit 1; }
CONF="$TEST_TMP/pirackd.conf"
rack_conf "$CONF" "$N" isolated 'pi%03d'
rack_bootfiles "$TEST_TMP/boot/default"
rack_slot_files "$TEST_TMP/boot" "$N"
cat >>"$CONF" <<EOF
[power]
hold = 1s
stagger = 150ms
profiles = $TOP/poe/profiles
[switch poe-a]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-$HALF
port_base = 1
community = private
[switch poe-b]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = $((HALF + 1))-$N
port_base = $((HALF + 1))
community = private
EOF
pirackd_start "$HOST" "$CONF" || exit 1
OPS_PORT=$(free_port)
ip netns exec "$HOST" socat TCP-LISTEN:"$OPS_PORT",bind=127.0.0.1,fork,reuseaddr \
    UNIX-CONNECT:"$PIRACK_SOCK" 2>/dev/null &
at_exit "kill $!"

names=""
i=1
while [ $i -le "$N" ]; do names="$names $(printf 'pi%03d' $i)"; i=$((i + 1)); done
# shellcheck disable=SC2086
ip netns exec "$PIS" "$BIN/pisim" --ports "$SIM_STATE" --kernel-ms 6000 --timeout 150 $names \
    2>"$TEST_TMP/pisim.err" &
at_exit "kill $!"
cli customer add alice >/dev/null
cli customer add bob >/dev/null
cli set 1 name=web1 owner=alice >/dev/null
cli set 2 name=db1 owner=alice >/dev/null
cli set $((HALF + 1)) name=ci-runner owner=bob >/dev/null
# the last slot stays off: a rack is rarely full
cli power on "1-$((N - 1))" >/dev/null 2>&1 &
shot() { ip netns exec "$HOST" /usr/bin/python3 "$TOP/tests/integration/web_page.py" shot \
    "http://127.0.0.1:$OPS_PORT/" "$@"; }
booting() { [ "$(cli --json slots | jq '[.[] | select(.state | test("powered|dhcp|firmware|kernel"))] | length')" -ge $((N / 3)) ]; }
wait_for 60 booting || echo "screenshots: few slots seen booting; taking the picture anyway"
shot "$TOP/docs/rack-booting.png" && echo "screenshots: docs/rack-booting.png"
booted() { [ "$(cli --json slots | jq '[.[] | select(.state == "booted")] | length')" -eq $((N - 1)) ]; }
wait_for 120 booted || echo "screenshots: not every Pi booted; taking the picture anyway"
shot "$TOP/docs/rack-booted.png" 2 && echo "screenshots: docs/rack-booted.png"
pirackd_stop

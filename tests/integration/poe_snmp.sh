#!/bin/sh
# PoE over SNMP: the poe library (through build/bin/poectl) against
# net-snmp's snmpd with the PoE MIB pass_persist simulator, 108 ports.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/poe_sim.sh"
need_root poe_snmp
cd "$TOP"

sim_state_new 108
snmp_sim_start || { not_ok "snmpd starts"; exit 1; }

V2="-o driver=snmp -o address=127.0.0.1:$SNMP_PORT -o community=private -o timeout=1000"
V3="-o driver=snmp -o address=127.0.0.1:$SNMP_PORT -o snmp_version=3 -o v3_user=$SNMP_V3_USER -o timeout=1000"
V3KEYS="-o v3_auth_key=$SNMP_V3_AUTH -o v3_priv_key=$SNMP_V3_PRIV"
PROF="poe/profiles"



# --- power cycles: v2c with the standard MIB, v3 with Cisco's, TP-Link's
printf '1' | dd of="$SIM_STATE" bs=1 seek=4 conv=notrunc 2>/dev/null
trace_start 5
poectl $V2 -o profile=$PROF/procurve.profile -o hold_ms=400 cycle 5
seen=$(trace_stop)
check "v2c cycle succeeds" result_has "ok"
check "v2c cycle: port 5 went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"

printf '1' | dd of="$SIM_STATE" bs=1 seek=6 conv=notrunc 2>/dev/null
trace_start 7
poectl $V3 $V3KEYS -o profile=$PROF/cisco-ios.profile -o hold_ms=400 cycle 7
seen=$(trace_stop)
check "v3 authPriv cycle (cisco cpeExtPsePortEnable) succeeds" result_has "ok"
check "v3 cycle: port 7 went 1 -> 0 -> 1 (saw $seen)" test "$seen" = "101"

poectl $V2 -o profile=$PROF/tp-link.profile on 9
check "tp-link tpPoePortStatus on" result_has "ok"
check "tp-link: port 9 is on" test "$(port_byte 9)" = 1
poectl $V2 -o profile=$PROF/tp-link.profile status 9
check "tp-link status reads admin back" grep -q "port 9 admin on detect delivering" "$OUT"

# --- batching: the whole rack in a few PDUs, every set read back
before=$(snmp_in_pkts)
poectl $V2 -o profile=$PROF/procurve.profile -o max_varbinds=32 on 1-108
after=$(snmp_in_pkts)
pdus=$(( after - before - 1 ))      # the second snmpget counts itself
check "108 ports on" test "$(tr -d '\n' <"$SIM_STATE" | tr -d 1 | wc -c)" -eq 0
check "108 ports on in at most 20 PDUs (sets + read-back), saw $pdus" test "$pdus" -le 20
check "status reports main PSE power" grep -q "power=740 used=324" "$OUT"

# --- faults: nothing changes on the switch, the error says why
snapshot=$(cat "$SIM_STATE")
t0=$(date +%s%N)
poectl -o driver=snmp -o address=127.0.0.1:$SNMP_PORT -o community=wrong -o timeout=500 \
    -o retries=1 -o profile=$PROF/procurve.profile off 1
t1=$(date +%s%N)
check "wrong community: fails with a clear error" result_has "failed.*no answer"
check "wrong community: bounded (< 3 s)" test $(( (t1 - t0) / 1000000 )) -lt 3000
check "wrong community: port unchanged" test "$(cat "$SIM_STATE")" = "$snapshot"

poectl $V3 -o v3_auth_key=wrong-auth-key -o v3_priv_key=$SNMP_V3_PRIV \
    -o profile=$PROF/procurve.profile off 1
check "wrong v3 auth key: authentication failed" result_has "failed.*authentication failed"
poectl $V3 -o v3_auth_key=$SNMP_V3_AUTH -o v3_priv_key=wrong-priv-key -o timeout=500 \
    -o profile=$PROF/procurve.profile off 1
check "wrong v3 priv key: fails" result_has "failed"
check "wrong v3 keys: port unchanged" test "$(cat "$SIM_STATE")" = "$snapshot"

echo refuse >"$SIM_CTL"
poectl $V2 -o profile=$PROF/procurve.profile off 1-4
check "switch answers an error: reported" result_has "failed.*switch refused the set"
check "switch answers an error: ports unchanged" test "$(cat "$SIM_STATE")" = "$snapshot"

printf 'fault 11\nsearching 12\n' >"$SIM_CTL"
poectl $V2 -o profile=$PROF/procurve.profile off 11-12
poectl $V2 -o profile=$PROF/procurve.profile -o settle_ms=800 on 11
check "port fault: reported" result_has "failed.*port 11: port reports a power fault"
check "port fault: state F" test "$(port_byte 11)" = F
poectl $V2 -o profile=$PROF/procurve.profile -o settle_ms=800 on 12
check "never delivers power: reported" result_has "failed.*port 12: never delivered power"
: >"$SIM_CTL"

snmp_sim_stop
snapshot=$(cat "$SIM_STATE")
t0=$(date +%s%N)
poectl $V2 -o timeout=500 -o retries=2 -o profile=$PROF/procurve.profile off 1
t1=$(date +%s%N)
check "snmpd stopped: clear error" result_has "failed.*no answer"
check "snmpd stopped: 3 attempts" result_has "attempts=3"
check "snmpd stopped: bounded (< 5 s)" test $(( (t1 - t0) / 1000000 )) -lt 5000
check "snmpd stopped: state unchanged" test "$(cat "$SIM_STATE")" = "$snapshot"

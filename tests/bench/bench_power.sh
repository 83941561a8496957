#!/bin/sh
# Whole-rack power cycle, 108 ports, against the switch simulators:
# pirack's poe library (batched SNMP PDUs; one SSH session) against a
# naive driver (a shell loop: one snmpset / snmpget per port per step;
# one ssh login per port per step), in the same run, same hold.
#
#   sh tests/bench/bench_power.sh        (as root; make progs first)
#
# Round trips: SNMP PDUs the agent received (its own snmpInPkts counter,
# less our reads of it); SSH logins the switch CLI saw (its session log).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/poe_sim.sh"
cd "$TOP"
PORTS=${PORTS:-108}
HOLD_MS=${HOLD_MS:-500}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
all_on() { [ "$(tr -d '\n1' <"$SIM_STATE" | wc -c)" -eq 0 ]; }
row() { printf '%-34s %10s %10s\n' "$1" "$2" "$3"; }

sim_state_new "$PORTS"
snmp_sim_start || { echo "snmpd did not start"; exit 1; }
ssh_sim_start procurve || { echo "sshd did not start"; exit 1; }
export SNMP_PERSISTENT_DIR="$SIM_DIR/snmp-persist" MIBS=
AGENT="127.0.0.1:$SNMP_PORT"
tr 0 1 <"$SIM_STATE" >"$SIM_STATE.new" && cat "$SIM_STATE.new" >"$SIM_STATE"

# ---- SNMP
b=$(snmp_in_pkts); t0=$(ms)
"$BIN/poectl" -o driver=snmp -o address=$AGENT -o community=private \
    -o profile=poe/profiles/procurve.profile -o hold_ms=$HOLD_MS cycle 1-$PORTS >"$TEST_TMP/p.out"
t1=$(ms); a=$(snmp_in_pkts)
grep -q '^result ok' "$TEST_TMP/p.out" && all_on || { echo "pirack snmp cycle failed"; cat "$TEST_TMP/p.out"; exit 1; }
p_pdus=$((a - b - 1)) p_ms=$((t1 - t0))

OID=.1.3.6.1.2.1.105.1.1.1
b=$(snmp_in_pkts); t0=$(ms)
for p in $(seq 1 "$PORTS"); do snmpset -v2c -c private -Oq "$AGENT" $OID.3.1.$p i 2 >/dev/null; done
for p in $(seq 1 "$PORTS"); do snmpget -v2c -c private -Oqv "$AGENT" $OID.6.1.$p | grep -qx 1 || echo "port $p not off"; done
sleep "$(awk -v h="$HOLD_MS" 'BEGIN { print h / 1000 }')"
for p in $(seq 1 "$PORTS"); do snmpset -v2c -c private -Oq "$AGENT" $OID.3.1.$p i 1 >/dev/null; done
for p in $(seq 1 "$PORTS"); do snmpget -v2c -c private -Oqv "$AGENT" $OID.6.1.$p | grep -qx 3 || echo "port $p not on"; done
t1=$(ms); a=$(snmp_in_pkts)
all_on || { echo "naive snmp cycle failed"; exit 1; }
n_pdus=$((a - b - 1)) n_ms=$((t1 - t0))

# ---- SSH (procurve dialect)
s0=$(ssh_sim_sessions); t0=$(ms)
"$BIN/poectl" -o driver=ssh -o address=127.0.0.1:$SSH_PORT -o ssh_user=root -o ssh_key="$SSH_KEY" \
    -o hostkey="$SSH_HOSTKEY_FP" -o timeout=5000 -o profile=poe/profiles/procurve.profile \
    -o hold_ms=$HOLD_MS cycle 1-$PORTS >"$TEST_TMP/s.out"
t1=$(ms); s1=$(ssh_sim_sessions)
grep -q '^result ok' "$TEST_TMP/s.out" && all_on || { echo "pirack ssh cycle failed"; cat "$TEST_TMP/s.out"; exit 1; }
p_logins=$((s1 - s0)) p_cmds=$(sed -n 's/.*round_trips=\([0-9]*\).*/\1/p' "$TEST_TMP/s.out") ps_ms=$((t1 - t0))

SSH="ssh -q -T -i $SSH_KEY -p $SSH_PORT -o BatchMode=yes -o UserKnownHostsFile=$SSH_KNOWN_HOSTS -o StrictHostKeyChecking=yes root@127.0.0.1"
s0=$(ssh_sim_sessions); t0=$(ms)
for p in $(seq 1 "$PORTS"); do $SSH "configure; no interface $p power-over-ethernet" </dev/null; done
sleep "$(awk -v h="$HOLD_MS" 'BEGIN { print h / 1000 }')"
for p in $(seq 1 "$PORTS"); do $SSH "configure; interface $p power-over-ethernet" </dev/null; done
t1=$(ms); s1=$(ssh_sim_sessions)
all_on || { echo "naive ssh cycle failed"; exit 1; }
n_logins=$((s1 - s0)) ns_ms=$((t1 - t0))

echo "whole-rack power cycle, $PORTS ports, hold $HOLD_MS ms, $(date -u +%Y-%m-%d)"
row "" "pirack" "naive"
row "SNMP v2c: PDUs (sets + reads)" "$p_pdus" "$n_pdus"
row "SNMP v2c: wall ms" "$p_ms" "$n_ms"
row "SSH: logins" "$p_logins" "$n_logins"
row "SSH: CLI commands" "$p_cmds" "$((n_logins * 2))"
row "SSH: wall ms" "$ps_ms" "$ns_ms"
echo "ratios (naive / pirack): SNMP round trips $(ratio $n_pdus $p_pdus)x," \
     "SNMP time $(ratio $n_ms $p_ms)x, SSH logins $(ratio $n_logins $p_logins)x," \
     "SSH time $(ratio $ns_ms $ps_ms)x"
echo "(the hold, $HOLD_MS ms, is in every wall time; without it: SNMP" \
     "$(ratio $((n_ms - HOLD_MS)) $((p_ms - HOLD_MS)))x, SSH" \
     "$(ratio $((ns_ms - HOLD_MS)) $((ps_ms - HOLD_MS)))x)"

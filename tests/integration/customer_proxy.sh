#!/bin/sh
# The customer API behind the front proxy, the documented way: pirackd
# renders an api.DOMAIN route into haproxy.cfg ([proxy] api_cert); the
# real HAProxy 2.6 terminates TLS for api.rack.example on its TLS port,
# still passing every other name through to its Pi, and forwards to
# [api] listen.  curl drives the API as the public client does: login,
# list, create, poll Location, power, reboot, ssh-key set and clear.
# A simulated SNMP switch serves the slots and the Pi simulator plays the
# boards on their links, powered from the switch's ports: provisioning,
# reboot and power really cycle the port and the Pi boots (again), and
# the server object goes through power, is_booting and boot_progress as
# the boot timeline moves.  /metrics shows the boot, the TFTP files and
# the proxy's sync move.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

need_root customer_proxy
for tool in haproxy openssl curl jq nc; do
    command -v $tool >/dev/null 2>&1 || { skip customer_proxy "$tool is not installed"; exit 0; }
done
if [ ! -x "$BIN/pisim" ] || [ ! -f "$TOP/tests/rack/rack_lib.sh" ]; then
    skip customer_proxy "the Pi simulator is not built"; exit 0
fi
. "$TOP/tests/rack/rack_lib.sh"
ns=$(ns_new customer_proxy) && pis=$(ns_new customer_proxy_pis) || exit 1
ip netns exec "$ns" ip link set lo up
rack_create "$ns" "$pis" 4 isolated 'pi%03d' || { not_ok "the rack's links"; exit 1; }
SIM_NS=$ns
. "$TOP/tests/lib/poe_sim.sh"
sim_state_new 4
snmp_sim_start || { not_ok "the simulated switch starts"; exit 1; }
D=$TEST_TMP
port=$(free_port)
tls=$(free_port)

# a test CA and api.rack.example's certificate, key appended (HAProxy's crt)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=pirack test CA" -keyout "$D/ca.key" -out "$D/ca.pem" 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=api.rack.example" \
    -keyout "$D/api.key" -out "$D/api.csr" 2>/dev/null &&
printf 'subjectAltName=DNS:api.rack.example\n' >"$D/ext" &&
openssl x509 -req -in "$D/api.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" -CAcreateserial -days 2 \
    -extfile "$D/ext" -out "$D/api.pem" 2>/dev/null &&
cat "$D/api.key" >>"$D/api.pem" || { not_ok "openssl makes the test CA"; exit 1; }

rack_conf "$D/pirackd.conf" 4 isolated pi%03d proxy="$PROXY_TEST_LINES
https_port = $tls
http_port = $(free_port)
api_cert = $D/api.pem"
# rack_conf wrote an [api] section, and a second one is refused.
# Small limits, so that the test meets them: a pi's fourth power action
# within ten minutes, a client's fourth failed login.
sed -i "/^\[api\]\$/a listen = [::]:$port\\
power_interval = 600s\\
login_burst = 3\\
login_interval = 600s" "$D/pirackd.conf"
rack_bootfiles "$D/boot/default"
rack_slot_files "$D/boot" 4
cat >>"$D/pirackd.conf" <<EOC
[health]
boot_timeout = 30s
[power]
hold = 300ms
stagger = 0ms
profiles = $TOP/poe/profiles
[switch sw1]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-4
port_base = 1
community = private
timeout = 500ms
retries = 1
EOC
pirackd_start "$ns" "$D/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
check "pirackd renders the api.rack.example route" grep -q "acl api req.ssl_sni -i api.rack.example" "$D/haproxy/haproxy.cfg"
check "the zone has api.rack.example at the proxy" grep -Eq '^api +IN A +192\.0\.2\.80$' "$D/rack.zone"
check "haproxy -c accepts the configuration" haproxy -c -q -f "$D/haproxy/haproxy.cfg"
ip netns exec "$ns" haproxy -f "$D/haproxy/haproxy.cfg" -db >>"$D/haproxy.log" 2>&1 &
at_exit "kill $!"
check "HAProxy starts" wait_for 5 sh -c "echo 'show info' | ip netns exec '$ns' nc -U -N '$D/haproxy/admin.sock' | grep -q '^Pid:'"

# The boards, each powered from its port of the simulated switch.
J=$D/pisim.json
ip netns exec "$pis" "$BIN/pisim" --pattern 'pi%03d' --count 4 --ports "$SIM_STATE" \
    --kernel-ms 3000 --timeout 170 --json "$J" 2>"$D/pisim.err" &
SIM=$!
at_exit "kill $SIM"
pi_field() { # PI FIELD: from a fresh report (SIGUSR1 writes it)
    rm -f "$J"
    kill -USR1 "$SIM" 2>/dev/null || return 1
    _n=20
    while [ ! -s "$J" ] && [ $_n -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
    jq -r ".pis[$(($1 - 1))].$2" "$J" 2>/dev/null
}
pi_is() { [ "$(pi_field "$1" state)" = "$2" ]; }
metric() { # FAMILY (exact sample name, no labels): its value, or "none"
    ip netns exec "$ns" curl -s -m 10 --unix-socket "$PIRACK_SOCK" http://pirackd/metrics |
        awk -v n="$1" '$1 == n { v = $2 } END { print (v == "" ? "none" : v) }'
}
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

cli customer add alice >/dev/null
cli assign 2 "$(rack_pi_mac 3 2)" --model 3B >/dev/null
boots0=$(metric pirack_boot_seconds_count)
tftp0=$(metric pirack_tftp_sent_bytes_total)
xfers0=$(metric pirack_tftp_transfer_seconds_count)
cli key create --customer alice >"$out" 2>/dev/null
id=$(sed -n 's/^key: *//p' "$out")
secret=$(sed -n 's/^secret: *//p' "$out")

api="https://api.rack.example:$tls"
c() { ip netns exec "$ns" curl -s -m 10 --cacert "$D/ca.pem" --resolve "api.rack.example:$tls:127.0.0.1" "$@"; }
tok=$(c -u "$id:$secret" -d grant_type=client_credentials "$api/login" | jq -r .access_token)
check "login through HAProxy's TLS" sh -c "echo '$tok' | grep -q '^pat_'"
H="Authorization: Bearer $tok"
c -H "$H" "$api/pi/servers" >"$out"
check "list: no servers yet" jqt '.servers == {}'
hdr=$(c -D - -o "$out" -H "$H" -H 'Content-Type: application/json' -d '{"model": 3, "memory": 1024, "cpu_speed": 1200, "disk": 10, "ssh_key": "ssh-ed25519 AAAA one"}' "$api/pi/servers/web")
check "create: 202 and a Location" sh -c "echo '$hdr' | grep -q '^HTTP/1.1 202' && echo '$hdr' | grep -qi '^Location: /pi/queue/web'"
check "create: the slot's switch port is cycled on" wait_for 10 sh -c "test \"\$(cut -c 2 '$SIM_STATE')\" = 1"
c -H "$H" "$api/pi/queue/web" >"$out"
check "poll Location: provisioning, with the boot timeline's progress" jqt '.status | startswith("provisioning: ")'
c -H "$H" "$api/pi/servers/web" >"$out"
check "the server is the customer's, in slot 2" jqt '.ssh_port == 22002 and .initialised_keys == true and .model_full == "3B"'

# Polls URL until its answer is a live server, writing each new
# (power, is_booting, boot_progress, status) to FILE, one JSON line each.
watch_server() { # URL FILE SECONDS
    : >"$2"
    _end=$(($(date +%s) + $3))
    while [ "$(date +%s)" -lt "$_end" ]; do
        c -H "$H" "$1" | jq -c '{power, is_booting, boot_progress, status}' >"$D/now" 2>/dev/null
        if [ -s "$D/now" ] && ! tail -n 1 "$2" | cmp -s - "$D/now"; then
            cat "$D/now" >>"$2"
        fi
        grep -q '"status":"live"' "$D/now" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}
# The states seen, in order: booting with progress, then live and done.
went_through_boot() { # FILE
    jq -s -e '
        (map(select(.is_booting == true and .power == true and .status == "booting"
                    and (.boot_progress | type) == "string")) | length >= 2) and
        (map(.boot_progress) | index("Waiting for the operating system") != null) and
        (last | .status == "live" and .is_booting == false and .boot_progress == null
                and .power == true)' "$1" >/dev/null
}
check "create: the server object goes live" \
    watch_server "$api/pi/servers/web" "$D/create.states" 60
check "create: the server went through booting (power, is_booting, boot_progress) to live" \
    went_through_boot "$D/create.states"
c -H "$H" "$api/pi/queue/web" >"$out"
check "poll Location once booted: the server object, live" jqt '.status == "live" and .power == true and .ssh_port == 22002'
check "the simulated Pi in slot 2 booted" pi_is 2 booted
check "the other Pis stayed off" sh -c "test \"\$(cut -c 1,3,4 '$SIM_STATE')\" = 000"
check "metrics: a boot's seconds were counted" gt "$(metric pirack_boot_seconds_count)" "${boots0#none}"
check "metrics: TFTP bytes sent went up" gt "$(metric pirack_tftp_sent_bytes_total)" "${tftp0#none}"
check "metrics: TFTP transfer seconds were counted" gt "$(metric pirack_tftp_transfer_seconds_count)" "${xfers0#none}"
check "metrics: the boot histogram's +Inf bucket is its count" sh -c "ip netns exec '$ns' curl -s --unix-socket '$PIRACK_SOCK' http://pirackd/metrics | grep -qx 'pirack_boot_seconds_bucket{le=\"+Inf\"} $(metric pirack_boot_seconds_count)'"
check "metrics: the proxy's last sync was ok, nothing pending" \
    sh -c "test '$(metric pirack_proxy_last_sync_ok)' = 1 && test '$(metric pirack_proxy_pending_routes)' = 0"
check "metrics: the proxy's last good sync is recent" \
    gt "$(metric pirack_proxy_last_sync_success_timestamp_seconds)" $(($(date +%s) - 60))
ip netns exec "$ns" "$BUILD/pirack" --socket "$PIRACK_SOCK" munin >"$D/munin" 2>&1
check "pirack munin: the new graphs" sh -c "grep -qx 'multigraph pirack_boots' '$D/munin' && grep -qx 'booted.value [1-9][0-9]*' '$D/munin' && grep -qx 'multigraph pirack_tftp_bytes' '$D/munin' && grep -qx 'last_ok.value 1' '$D/munin'"

boots=$(pi_field 2 boots)
wait_for 10 sh -c "ip netns exec '$ns' '$BUILD/pirack' --socket '$PIRACK_SOCK' --json power status 2 | jq -e '.[0].op == null' >/dev/null" 2>/dev/null
code=$(c -o /dev/null -w '%{http_code}' -H "$H" -X POST "$api/pi/servers/web/reboot")
code2=$(c -o "$out" -w '%{http_code}' -H "$H" -X POST "$api/pi/servers/web/reboot")
check "reboot: 202, and again at once: 409 already being rebooted" sh -c "test $code = 202 && test $code2 = 409 && jq -e '.error == \"already being rebooted\"' '$out' >/dev/null"
check "reboot: the server boots again to live" watch_server "$api/pi/servers/web" "$D/reboot.states" 60
check "reboot: it went through booting again" went_through_boot "$D/reboot.states"
check "reboot: the switch port was cycled and the Pi made a new boot" test "$(pi_field 2 boots)" -eq $((boots + 1))
wait_for 10 sh -c "ip netns exec '$ns' '$BUILD/pirack' --socket '$PIRACK_SOCK' --json power status 2 | jq -e '.[0].op == null' >/dev/null" 2>/dev/null
code=$(c -o /dev/null -w '%{http_code}' -H "$H" -X PUT -d '{"power": false}' "$api/pi/servers/web/power")
check "power off: 202, and the switch port goes off" wait_for 10 sh -c "test $code = 202 && test \"\$(cut -c 2 '$SIM_STATE')\" = 0"
check "power off: the simulated Pi is off" wait_for 10 pi_is 2 off
c -H "$H" "$api/pi/servers/web" >"$out"
check "power off: the server object says power false, not booting" jqt '.power == false and .is_booting == false and .boot_progress == null and .status == "powered off"'
code=$(c -D "$D/hdr" -o /dev/null -w '%{http_code}' -H "$H" -X PUT -d '{"power": true}' "$api/pi/servers/web/power")
check "a fourth power action within power_interval: 429 with Retry-After" sh -c "test $code = 429 && grep -qi '^Retry-After: [1-9]' '$D/hdr'"
c -H "$H" -X PUT -d '{"ssh_key": "k1\nk2"}' "$api/pi/servers/web/ssh-key" >/dev/null
c -H "$H" "$api/pi/servers/web/ssh-key" >"$out"
check "ssh-key set" jqt '.ssh_key == "k1\nk2"'
c -H "$H" -X PUT -d '{"ssh_key": ""}' "$api/pi/servers/web/ssh-key" >/dev/null
c -H "$H" "$api/pi/servers/web/ssh-key" >"$out"
check "ssh-key cleared" jqt '.ssh_key == ""'
code=$(c -o /dev/null -w '%{http_code}' -H "$H" -X DELETE "$api/pi/servers/web")
check "delete: 200" test "$code" = 200
run --json events --slot 2
check "provisioning and giving back are events with the key as actor" jqt "[.events[] | select(.kind == \"pi.provisioned\" or .kind == \"pi.unprovisioned\") | .actor] == [\"key:$id\", \"key:$id\"]"
# failed logins are counted per client, not per proxy: X-Forwarded-For
for i in 1 2 3 4; do c -o /dev/null -u "$id:prs_0000000000000000000000000000000000000000deadbeef" -d grant_type=client_credentials "$api/login"; done
code=$(c -o /dev/null -w '%{http_code}' -u "$id:$secret" -d grant_type=client_credentials "$api/login")
check "login_burst (3) failed logins through the proxy, then the right secret: 429" test "$code" = 429
pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

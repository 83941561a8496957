#!/bin/sh
# The customer API behind the front proxy, the documented way: pirackd
# renders an api.DOMAIN route into haproxy.cfg ([proxy] api_cert); the
# real HAProxy 2.6 terminates TLS for api.rack.example on its TLS port,
# still passing every other name through to its Pi, and forwards to
# [api] listen.  curl drives the API as the public client does: login,
# list, create, poll Location, power, reboot, ssh-key set and clear.
# A simulated SNMP switch serves the slots, so provisioning, power and
# reboot reach its ports; no simulated Pi boots there yet (the server
# stays "provisioning: Waiting for initial DHCP").
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

need_root customer_proxy
for tool in haproxy openssl curl jq nc; do
    command -v $tool >/dev/null 2>&1 || { skip customer_proxy "$tool is not installed"; exit 0; }
done
ns=$(ns_new customer_proxy) || exit 1
ip netns exec "$ns" ip link set lo up
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
sed -i "/^\[api\]\$/a listen = [::]:$port" "$D/pirackd.conf"
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

cli customer add alice >/dev/null
cli assign 2 b8:27:eb:00:00:02 --model 3B >/dev/null
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
wait_for 10 sh -c "ip netns exec '$ns' '$BUILD/pirack' --socket '$PIRACK_SOCK' --json power status 2 | jq -e '.[0].op == null' >/dev/null" 2>/dev/null
code=$(c -o /dev/null -w '%{http_code}' -H "$H" -X POST "$api/pi/servers/web/reboot")
code2=$(c -o "$out" -w '%{http_code}' -H "$H" -X POST "$api/pi/servers/web/reboot")
check "reboot: 202, and again at once: 409 already being rebooted" sh -c "test $code = 202 && test $code2 = 409 && jq -e '.error == \"already being rebooted\"' '$out' >/dev/null"
sleep 2
code=$(c -o /dev/null -w '%{http_code}' -H "$H" -X PUT -d '{"power": false}' "$api/pi/servers/web/power")
check "power off: 202, and the switch port goes off" wait_for 10 sh -c "test $code = 202 && test \"\$(cut -c 2 '$SIM_STATE')\" = 0"
code=$(c -D "$D/hdr" -o /dev/null -w '%{http_code}' -H "$H" -X PUT -d '{"power": true}' "$api/pi/servers/web/power")
check "a fourth power action within 20 s: 429 with Retry-After" sh -c "test $code = 429 && grep -qi '^Retry-After: [1-9]' '$D/hdr'"
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
for i in 1 2 3 4 5 6; do c -o /dev/null -u "$id:prs_0000000000000000000000000000000000000000deadbeef" -d grant_type=client_credentials "$api/login"; done
code=$(c -o /dev/null -w '%{http_code}' -u "$id:$secret" -d grant_type=client_credentials "$api/login")
check "six failed logins through the proxy: 429" test "$code" = 429
pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

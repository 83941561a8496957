#!/bin/sh
# The customer API behind the front proxy, the documented way: pirackd
# renders an api.DOMAIN route into haproxy.cfg ([proxy] api_cert); the
# real HAProxy 2.6 terminates TLS for api.rack.example on its TLS port,
# still passing every other name through to its Pi, and forwards to
# [api] listen.  curl drives the API as the public client does: login,
# list, create, poll Location, power, reboot, ssh-key set and clear.
# No switch serves the slots here, so power and reboot answer 503 and the
# server stays "provisioning: power control is not running" (the run
# with a simulated switch that boots the Pi again is still to be done).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

need_root customer_proxy
for tool in haproxy openssl curl jq nc; do
    command -v $tool >/dev/null 2>&1 || { skip customer_proxy "$tool is not installed"; exit 0; }
done
ns=$(ns_new customer_proxy) || exit 1
ip netns exec "$ns" ip link set lo up
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
printf '[api]\nlisten = [::]:%s\n' "$port" >>"$D/pirackd.conf"
pirackd_start "$ns" "$D/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
check "pirackd renders the api.rack.example route" grep -q "acl api req.ssl_sni -i api.rack.example" "$D/haproxy/haproxy.cfg"
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
c -H "$H" "$api/pi/queue/web" >"$out"
check "poll Location: provisioning, and why it does not boot here" jqt '.status | startswith("provisioning: power control is not running")'
c -H "$H" "$api/pi/servers/web" >"$out"
check "the server is the customer's, in slot 2" jqt '.ssh_port == 22002 and .initialised_keys == true and .model_full == "3B"'
code=$(c -o "$out" -w '%{http_code}' -H "$H" -X PUT -d '{"power": true}' "$api/pi/servers/web/power")
check "power: 503 with no power control" sh -c "test $code = 503 && jq -e '.error | test(\"power\")' '$out' >/dev/null"
code=$(c -o /dev/null -w '%{http_code}' -H "$H" -X POST "$api/pi/servers/web/reboot")
check "reboot: 503 with no power control" test "$code" = 503
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

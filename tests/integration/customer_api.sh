#!/bin/sh
# The customer API of the real pirackd on [api] listen, with curl: plain
# HTTP over IPv4 and IPv6 on one wildcard listener, then libmicrohttpd's
# own TLS with a certificate from a test CA that openssl makes here.  An
# operator makes a customer and a key with pirack(1); the customer logs in
# (OAuth2 client credentials), lists, reads its server, is refused
# another's, sets and clears SSH keys; the events name the key.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

need_root customer_api
command -v jq >/dev/null || { skip customer_api "jq is not installed (make deps)"; exit 0; }
ns=$(ns_new customer_api) || exit 1
ip netns exec "$ns" ip link set lo up
port=$(free_port)
conf="$TEST_TMP/pirackd.conf"

start_rack() { # extra [api] lines
    rack_conf "$conf" 4
    # rack_conf wrote an [api] section, and a second one is refused.
    printf 'listen = [::]:%s\n%s\n' "$port" "$1" >"$TEST_TMP/api.lines"
    sed -i "/^\[api\]\$/r $TEST_TMP/api.lines" "$conf"
    pirackd_start "$ns" "$conf"
}
ncurl() { ip netns exec "$ns" curl -s -m 10 "$@"; }

start_rack "" || { not_ok "pirackd starts with [api] listen"; exit 1; }
ok "pirackd starts with [api] listen = [::]:$port"

cli customer add alice >/dev/null
cli customer add bob >/dev/null
cli assign 1 b8:27:eb:00:00:01 --model 3B >/dev/null
cli assign 2 b8:27:eb:00:00:02 --model 3B >/dev/null
cli set 1 name=web1 owner=alice >/dev/null
cli set 2 name=bweb owner=bob >/dev/null
cli key create --customer alice --scope read,keys >"$out" 2>/dev/null
id=$(sed -n 's/^key: *//p' "$out")
secret=$(sed -n 's/^secret: *//p' "$out")
check "an operator made alice's key" test -n "$id" -a -n "$secret"

login() { # BASE -> the token on stdout
    ncurl "$@" -u "$id:$secret" -d grant_type=client_credentials "$base/login" | jq -r .access_token
}

for base in "http://127.0.0.1:$port" "http://[::1]:$port"; do
    fam=IPv4; case $base in *::1*) fam=IPv6 ;; esac
    tok=$(login)
    check "$fam: login gives a bearer token" sh -c "echo '$tok' | grep -q '^pat_'"
    ncurl -H "Authorization: Bearer $tok" "$base/pi/servers" >"$out"
    check "$fam: GET /pi/servers lists alice's server only" jqt '.servers | keys == ["web1"]'
done
base="http://127.0.0.1:$port"
tok=$(login)
H="Authorization: Bearer $tok"
ncurl -H "$H" "$base/pi/servers/web1" >"$out"
check "GET /pi/servers/web1: the server object" jqt '.model == 3 and .model_full == "3B" and .ssh_port == 22001 and .location == "test" and (.power | type) == "boolean"'
code=$(ncurl -o /dev/null -w '%{http_code}' -H "$H" "$base/pi/servers/bweb")
check "bob's server is 404 to alice" test "$code" = 404
code=$(ncurl -o /dev/null -w '%{http_code}' -H "$H" -X PUT -d '{"power": false}' "$base/pi/servers/web1/power")
check "a key without the power scope: 403" test "$code" = 403
hdr=$(ncurl -D - -o /dev/null "$base/pi/servers")
check "no token: 401 with WWW-Authenticate: Bearer" sh -c "echo '$hdr' | grep -q '^HTTP/1.1 401' && echo '$hdr' | grep -qi '^WWW-Authenticate: Bearer'"
code=$(ncurl -o "$out" -w '%{http_code}' -u "$id:prs_0000000000000000000000000000000000000000deadbeef" -d grant_type=client_credentials "$base/login")
check "a wrong secret: 401 invalid_client" sh -c "test $code = 401 && jq -e '.error == \"invalid_client\"' '$out' >/dev/null"
ncurl -H "$H" -X PUT -d '{"ssh_key": "ssh-ed25519 AAAAC3 one\nssh-ed25519 AAAAC3 two"}' "$base/pi/servers/web1/ssh-key" >/dev/null
ncurl -H "$H" "$base/pi/servers/web1/ssh-key" >"$out"
check "ssh keys set" jqt '.ssh_key == "ssh-ed25519 AAAAC3 one\nssh-ed25519 AAAAC3 two"'
ncurl -H "$H" -X PUT -d '{"ssh_key": ""}' "$base/pi/servers/web1/ssh-key" >/dev/null
ncurl -H "$H" "$base/pi/servers/web1/ssh-key" >"$out"
check "ssh keys cleared" jqt '.ssh_key == ""'
code=$(ncurl -o /dev/null -w '%{http_code}' "$base/v1/status")
check "the ops API is not on the customer port" test "$code" = 404
run --json events --slot 1
check "the ssh key changes are events with the key as actor" jqt "[.events[] | select(.kind == \"pi.ssh_keys\")] | length == 2 and all(.[]; .actor == \"key:$id\")"
# ---- pirack as the customer's client ----
cli key create --customer alice --scope read,keys >"$TEST_TMP/k2" 2>/dev/null
cust() {
    PIRACK_URL="http://127.0.0.1:$port" PIRACK_KEY_ID=$(sed -n 's/^key: *//p' "$TEST_TMP/k2") \
        PIRACK_SECRET=$(sed -n 's/^secret: *//p' "$TEST_TMP/k2") \
        ip netns exec "$ns" "$BUILD/pirack" "$@" >"$out" 2>"$err"
    rc=$?
}
cust pis
check "pirack pis lists the customer's servers" sh -c "test $rc -eq 0 && grep -q '^web1  *3  *1024 MB  *1200 MHz' '$out' && ! grep -q bweb '$out'"
cust show web1
check "pirack show web1" sh -c "test $rc -eq 0 && grep -q '^model: *3B$' '$out' && grep -q '^ssh: *port 22001$' '$out'"
cust --json show web1
check "pirack show web1 --json is the server object" jqt '.model_full == "3B" and .location == "test"'
cust show bweb
check "pirack show of another's server: 404's words" sh -c "test $rc -eq 1 && grep -q '^pirack: no server called bweb' '$err'"
printf 'ssh-ed25519 AAAAC3 cli\n' >"$TEST_TMP/keys"
cust keys web1 --set "$TEST_TMP/keys"
cust keys web1
check "pirack keys --set, then keys" sh -c "test $rc -eq 0 && grep -qx 'ssh-ed25519 AAAAC3 cli' '$out'"
cust power off web1
check "pirack power off without the power scope: insufficient_scope" sh -c "test $rc -eq 1 && grep -q '^pirack: insufficient_scope: ' '$err'"
PIRACK_URL="http://127.0.0.1:$port" PIRACK_KEY_ID=$id PIRACK_SECRET=prs_bad \
    ip netns exec "$ns" "$BUILD/pirack" pis >"$out" 2>"$err"
check "pirack with a malformed secret: invalid_client" sh -c "test $? -eq 1 && grep -q '^pirack: invalid_client: not a key secret' '$err'"

cli key revoke "$id" >/dev/null
code=$(ncurl -o /dev/null -w '%{http_code}' -H "$H" "$base/pi/servers")
check "revoking the key ends its token at once: 401" test "$code" = 401
pirackd_stop

# ---- libmicrohttpd's own TLS, with a test CA ----
pki="$TEST_TMP/pki"
mkdir -p "$pki"
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=pirack test CA" -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null ||
   ! openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=api.rack.example" \
        -keyout "$pki/api.key" -out "$pki/api.csr" 2>/dev/null ||
   ! printf 'subjectAltName=DNS:api.rack.example,IP:127.0.0.1,IP:::1\n' >"$pki/ext" ||
   ! openssl x509 -req -in "$pki/api.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
        -CAcreateserial -days 2 -extfile "$pki/ext" -out "$pki/api.pem" 2>/dev/null; then
    not_ok "openssl makes a test CA and a server certificate"
    exit 1
fi
if ! start_rack "tls_cert = $pki/api.pem
tls_key = $pki/api.key"; then
    not_ok "pirackd starts with [api] tls_cert and tls_key"
    exit 1
fi
ok "pirackd starts with its own TLS on the customer port"
cli key create --customer alice --scope read >"$out" 2>/dev/null
id=$(sed -n 's/^key: *//p' "$out")
secret=$(sed -n 's/^secret: *//p' "$out")
base="https://127.0.0.1:$port"
tok=$(login --cacert "$pki/ca.pem")
check "TLS: login with curl verifying the test CA" sh -c "echo '$tok' | grep -q '^pat_'"
ncurl --cacert "$pki/ca.pem" -H "Authorization: Bearer $tok" "$base/pi/servers" >"$out"
check "TLS: GET /pi/servers" jqt '.servers | keys == ["web1"]'
code=$(ncurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/pi/servers")
check "TLS: plain HTTP gets no answer" test "$code" = 000
code=$(ncurl -o /dev/null -w '%{http_code}' "$base/pi/servers")
check "TLS: a client that does not trust the CA is refused" test "$code" = 000
pirackd_stop
check "pirackd stops cleanly" test $? -eq 0

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

# A key bucket big enough for the matrix below (a few hundred requests).
start_rack "key_burst = 1000" || { not_ok "pirackd starts with [api] listen"; exit 1; }
ok "pirackd starts with [api] listen = [::]:$port"

cli customer add alice >/dev/null
cli customer add bob >/dev/null
cli assign 1 b8:27:eb:00:00:01 --model 3B >/dev/null
cli assign 2 b8:27:eb:00:00:02 --model 3B >/dev/null
cli set 1 name=web1 owner=alice >/dev/null
cli set 2 name=bweb owner=bob >/dev/null
# At once, not at the proxy's next check (5 s): the matrix below compares
# the rack before and after each cell, the routes included.
cli --json show 1 >"$out"
check "a renamed pi's web routes follow its name at once" \
    jqt '[.proxy.routes[] | select(.kind == "host") | .key] == ["www.web1.rack.example"]'
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

# ---- the authorization matrix, on the real daemon ----
# Every customer route against each kind of caller that must be refused
# (or kept to its own): each cell asserts every route's status, and that
# the rack (slots, pis, SSH keys, events) is as it was.
newkey() { # ARGS of key create -> "ID SECRET"
    cli key create "$@" >"$TEST_TMP/nk" 2>/dev/null
    echo "$(sed -n 's/^key: *//p' "$TEST_TMP/nk") $(sed -n 's/^secret: *//p' "$TEST_TMP/nk")"
}
token_of() { # ID SECRET -> access token
    ncurl -u "$1:$2" -d grant_type=client_credentials "$base/login" | jq -r .access_token
}
set -- $(newkey --customer alice --scope read); read_tok=$(token_of "$1" "$2")
set -- $(newkey --customer alice --scope power); power_tok=$(token_of "$1" "$2")
set -- $(newkey --customer alice --pis other); other_tok=$(token_of "$1" "$2")
set -- $(newkey --customer bob); bob_tok=$(token_of "$1" "$2")
set -- $(newkey --customer alice); rev_tok=$(token_of "$1" "$2"); cli key revoke "$1" >/dev/null
set -- $(newkey --customer alice --expires 2s); exp_id=$1 exp_secret=$2; exp_tok=$(token_of "$1" "$2")
check "matrix: the keys and their tokens" sh -c "for t in '$read_tok' '$power_tok' '$other_tok' '$bob_tok' '$rev_tok' '$exp_tok'; do case \$t in pat_*) ;; *) exit 1 ;; esac; done"
ROUTES="GET /pi/servers -
GET /pi/servers/web1 -
POST /pi/servers/web1 {\"model\":3}
DELETE /pi/servers/web1 -
GET /pi/queue/web1 -
PUT /pi/servers/web1/power {\"power\":false}
POST /pi/servers/web1/reboot -
GET /pi/servers/web1/ssh-key -
PUT /pi/servers/web1/ssh-key {\"ssh_key\":\"\"}
GET /pi/models -
GET /pi/images/3 -"
rack_state() { # NAME: the rack's state, also kept in a file of that name
    # the newest event a request could have caused: the daemon's own rack
    # events (HAProxy checks and the like, which come at any time) aside
    { cli --json slots
      cli --json events | jq '[.events[] | select(.actor != "pirackd" or (.slot // 0) != 0) | .id] | max'
      ip netns exec "$ns" sqlite3 "$TEST_TMP/state/pirack.db" \
        'SELECT slot, name, owner, ssh_keys, provisioned_ms FROM pis ORDER BY slot' 2>/dev/null
    } >"$TEST_TMP/rack_state.$1"
    cat "$TEST_TMP/rack_state.$1"
}
# the same, or the difference on stderr
same_state() { rack_state after >/dev/null; diff "$TEST_TMP/rack_state.before" "$TEST_TMP/rack_state.after" >&2; }
# want: a status for every route, or a word: "names" = A for routes
# naming web1 and 200 for the lists; the POST that creates is B
cell() { # NAME HOW WANT [A B]
    _cn=$1 _how=$2 _want=$3 _a=${4:-} _b=${5:-}
    rack_state before >/dev/null
    echo "$ROUTES" | while read -r _m _p _body; do
        case $_how in
        anon) set -- ;;
        ops) set -- ;;
        *) set -- -H "Authorization: Bearer $_how" ;;
        esac
        [ "$_body" = - ] || set -- "$@" -H 'Content-Type: application/json' -d "$_body"
        if [ "$_how" = ops ]; then
            _code=$(ip netns exec "$ns" curl -s -m 10 -o /dev/null -w '%{http_code}' \
                --unix-socket "$PIRACK_SOCK" -X "$_m" "$@" "http://pirackd$_p")
        else
            _code=$(ncurl -o /dev/null -w '%{http_code}' -X "$_m" "$@" "$base$_p")
        fi
        _w=$_want
        if [ "$_want" = names ]; then
            case $_m:$_p in
            */web1) [ "$_m" = POST ] && _w=$_b || _w=$_a ;;
            *web1*) _w=$_a ;;
            *) _w=200 ;;
            esac
        fi
        [ "$_code" = "$_w" ] || echo "$_m $_p: $_code, not $_w"
    done >"$TEST_TMP/cell"
    [ -s "$TEST_TMP/cell" ] && cat "$TEST_TMP/cell" >&2
    check "matrix $_cn: every route's status" test ! -s "$TEST_TMP/cell"
    check "matrix $_cn: nothing changed" same_state
}
cell anonymous anon 401
cell "bad token" pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 401
cell "revoked key" "$rev_tok" 401
sleep 2
cell "expired key" "$exp_tok" 401
code=$(ncurl -o "$out" -w '%{http_code}' -u "$exp_id:$exp_secret" -d grant_type=client_credentials "$base/login")
check "matrix: an expired key cannot log in: 401 invalid_client" sh -c "test $code = 401 && jq -e '.error == \"invalid_client\"' '$out' >/dev/null"
code=$(ncurl -o "$out" -w '%{http_code}' -u "$id:prs_0000000000000000000000000000000000000000deadbeef" -d grant_type=client_credentials "$base/login")
check "matrix: a bad secret cannot log in: 401 invalid_client" sh -c "test $code = 401 && jq -e '.error == \"invalid_client\"' '$out' >/dev/null"
# wrong scope: the read key on what needs power, provision or keys; the
# power key on what needs read
printf '%s\n' "$ROUTES" | grep -E '^(POST|PUT|DELETE) |ssh-key' >"$TEST_TMP/writes"
printf '%s\n' "$ROUTES" | grep -vE '^(POST|PUT|DELETE) |ssh-key' >"$TEST_TMP/reads"
R=$ROUTES
ROUTES=$(cat "$TEST_TMP/writes"); cell "wrong scope (read key)" "$read_tok" 403
ROUTES=$(cat "$TEST_TMP/reads"); cell "wrong scope (power key)" "$power_tok" 403
ROUTES=$R
cell "key restricted to other pis" "$other_tok" names 404 403
cell "customer B on A's pi" "$bob_tok" names 404 409
cell "the ops socket" ops 404
# hostile names in every route that names a server (and a model), and
# bad bodies on every route: 400 (413 past 64 KiB), nothing changed
long=$(head -c 300 /dev/zero | tr '\0' a)
head -c 70000 /dev/zero | tr '\0' ' ' | sed 's/^/{/; s/$/}/' >"$TEST_TMP/big.json"
rack_state before >/dev/null
for name in 'a%20b' 'a%0Ab' '%C3%A9t%C3%A9' "$long" 'WEB1' '-x'; do
    printf '%s\n' "$ROUTES" | grep web1 | sed "s|web1|$name|" | while read -r m p body; do
        [ "$body" = - ] && set -- || set -- -d "$body"
        code=$(ncurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $bob_tok" -X "$m" "$@" "$base$p")
        [ "$code" = 400 ] || echo "$m $p: $code"
    done
    code=$(ncurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $read_tok" "$base/pi/images/$name")
    [ "$code" = 400 ] || echo "GET /pi/images/$name: $code"
done >"$TEST_TMP/hostile"
check "hostile names (space, newline, unicode, 300 characters, upper case, leading -): 400 on every route" test ! -s "$TEST_TMP/hostile"
printf '%s\n' "$ROUTES" | while read -r m p body; do
    for bad in 'not json' '[1,2]' "@$TEST_TMP/big.json"; do
        want=400; case $bad in @*) want=413 ;; esac
        code=$(ncurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $bob_tok" -X "$m" -H 'Content-Type: application/json' --data-binary "$bad" "$base$p")
        [ "$code" = $want ] || echo "$m $p ${bad%%/*}: $code, not $want"
    done
    # an unknown field next to the route's own
    case $body in -) continue ;; esac
    code=$(ncurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $bob_tok" -X "$m" -d "$(echo "$body" | jq -c '. + {"sneaky": 1}')" "$base$(echo "$p" | sed 's|web1$|bnew|; s|web1|bweb|')")
    [ "$code" = 400 ] || echo "$m $p with an unknown field: $code"
done >"$TEST_TMP/bodies"
check "bad JSON, a non-object, 70 KB on every route; an unknown field on each that takes a body: refused" test ! -s "$TEST_TMP/bodies"
check "hostile names and bad bodies changed nothing" same_state
# and the snapshot does see a change that is allowed
rack_state before >/dev/null
ncurl -H "$H" -X PUT -d '{"ssh_key": "ssh-ed25519 AAAAC3 matrix"}' "$base/pi/servers/web1/ssh-key" >/dev/null
changed() { ! same_state 2>/dev/null; }
check "matrix: an allowed change is seen by the snapshot" changed

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

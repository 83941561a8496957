#!/bin/sh
# pirackd --check: a good file passes, a broken one names each error's
# file and line, and nothing is started either way.
. "$(dirname "$0")/../lib/common.sh"

check "example config passes --check" "$BUILD/pirackd" -c "$TOP/docs/examples/pirackd.conf" --check

cat >"$TEST_TMP/broken.conf" <<'CONF'
[rack]
name = Rack One
domain = hostedpi.example
slots = 108
[ipv4]
pool = 8.8.8.0/23
[ipv6]
pool = 2001:db8:42::/60
[tftp]
port = 0
[power]
stagger = soon
[switch sw1]
slots = 100-120
CONF
"$BUILD/pirackd" -c "$TEST_TMP/broken.conf" --check >"$TEST_TMP/out" 2>&1
rc=$?
cat "$TEST_TMP/out"
check "broken config exits 1" test "$rc" -eq 1
f="$TEST_TMP/broken.conf"
check "bad rack name named at line 2" grep -q "^$f:2: name: " "$TEST_TMP/out"
check "public v4 pool named at line 6" grep -q "^$f:6: pool: .*RFC 1918" "$TEST_TMP/out"
check "small v6 pool named at line 8" grep -q "^$f:8: pool: .*too small for 108 slots" "$TEST_TMP/out"
check "port out of range named at line 10" grep -q "^$f:10: port: " "$TEST_TMP/out"
check "bad duration named at line 12" grep -q "^$f:12: stagger: " "$TEST_TMP/out"
check "switch errors named at its header, line 13" grep -q "^$f:13: \[switch sw1\]: missing address" "$TEST_TMP/out"
check "switch past the rack named" grep -q "^$f:13: .*run past the rack's 108 slots" "$TEST_TMP/out"

"$BUILD/pirackd" -c "$TEST_TMP/nonexistent.conf" --check >"$TEST_TMP/out2" 2>&1
rc=$?
check "a missing file exits 1 and says why" sh -c "test $rc -eq 1 && grep -q 'No such file' '$TEST_TMP/out2'"

# [paths] run is acted on: the API's socket goes there when [api] socket
# is unset, and --check says so without a warning; a run too long for a
# socket's address is an error at its line.
cat >"$TEST_TMP/run.conf" <<'CONF'
[rack]
name = rack1
domain = hostedpi.example
slots = 4
[ipv4]
pool = 10.42.0.0/28
[ipv6]
pool = 2001:db8:42::/62
[paths]
run = /run/elsewhere
[health]
port = 2222
CONF
"$BUILD/pirackd" -c "$TEST_TMP/run.conf" --check >"$TEST_TMP/out3" 2>"$TEST_TMP/err3"
rc=$?
cat "$TEST_TMP/err3"
f="$TEST_TMP/run.conf"
check "[paths] run passes --check" test "$rc" -eq 0
check "[paths] run and [health] port are acted on: no warning" test ! -s "$TEST_TMP/err3"
long=$(printf '%0100d' 0)
sed -i "s|^run = .*|run = /run/$long|" "$f"
"$BUILD/pirackd" -c "$f" --check >"$TEST_TMP/out5" 2>&1
rc=$?
cat "$TEST_TMP/out5"
check "a run too long for RUN/api.sock is an error at line 10" \
    sh -c "test $rc -eq 1 && grep -q '^$f:10: run: .*/api.sock, the API.s socket, would be 114 bytes' '$TEST_TMP/out5'"
"$BUILD/pirackd" -c "$TOP/docs/examples/pirackd.conf" --check >/dev/null 2>"$TEST_TMP/err4"
check "the example config warns about nothing" test ! -s "$TEST_TMP/err4"

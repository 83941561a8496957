#!/bin/sh
# Customers and API keys by the operator, through pirack(1) against the
# real pirackd: customer add/list/remove, key create (the secret shown
# once) / list / revoke, the refusals, and the audit log's actor, which
# is the operator's uid as the kernel reports it (SO_PEERCRED).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"

cli_rack customers_cli 4

run customer add alice
check "customer add alice exits 0" test "$rc" -eq 0
run customer add alice
check "customer add alice again: exists" sh -c "test $rc -eq 1 && grep -q '^pirack: exists: customer alice already exists' '$err'"
run customer add "Bad Name"
check "customer add with a space: bad-name" sh -c "test $rc -eq 1 && grep -q '^pirack: bad-name:' '$err'"
run customer add bob
run customer list
check "customer list shows both" sh -c "grep -q '^alice  *0  *0 ' '$out' && grep -q '^bob ' '$out'"

run key create --customer alice --scope read,power --expires 90d --pis web1,web2
check "key create exits 0" test "$rc" -eq 0
check "key create prints the id" has "^key: *prk_[0-9a-f]\{16\}$"
check "key create prints the secret once" has "^secret: *prs_[0-9a-f]\{48\}$"
check "key create says the secret is not kept" said "shown only now"
id=$(sed -n 's/^key: *//p' "$out")
secret=$(sed -n 's/^secret: *//p' "$out")
run key list
check "key list shows the key, scopes, pis" sh -c "grep -q '^$id  *alice  *read,power  *web1,web2 ' '$out'"
check "key list never shows the secret" sh -c "! grep -q '$secret' '$out'"
run --json key list
check "key list --json has no secret member" jqt 'all(.keys[]; has("secret") | not)'
run key create --customer carol
check "key create for no customer: no-such-customer" sh -c "test $rc -eq 1 && grep -q '^pirack: no-such-customer:' '$err'"
run key create --customer alice --expires soon
check "key create --expires soon is a usage error" test "$rc" -eq 2
run key create --customer alice --scope root
check "key create --scope root: bad-request" sh -c "test $rc -eq 1 && grep -q '^pirack: bad-request:' '$err'"

run key revoke "$id"
check "key revoke exits 0" sh -c "test $rc -eq 0 && grep -q '^revoked $id (customer alice)' '$out'"
run key list --customer alice
check "a revoked key says so" sh -c "grep -q '^$id .* revoked' '$out'"
run key revoke "$id"
check "key revoke twice: in-use" sh -c "test $rc -eq 1 && grep -q '^pirack: in-use:' '$err'"

run set 2 owner=alice
run customer remove alice
check "customer remove of an owner: in-use" sh -c "test $rc -eq 1 && grep -q '^pirack: in-use: customer alice still owns 1 pi' '$err'"
run customer remove bob
check "customer remove bob exits 0" test "$rc" -eq 0

uid=$(id -u)
run --json events
check "every change has the operator's uid as its actor" jqt "
    [.events[] | select(.kind | test(\"^(customer|key)\\\\.\"))] as \$e
    | (\$e | length) == 5 and all(\$e[]; .actor == \"ops:uid=$uid\")"
check "no secret in the audit log" sh -c "! grep -q '$secret' '$out'"
# ---- the munin plugin over the same numbers ----
run munin config
check "munin config: a multigraph per family, in the pirack category" sh -c "test $rc -eq 0 && grep -q '^multigraph pirack_slots$' '$out' && grep -q '^graph_category pirack$' '$out' && grep -q '^off.type GAUGE$' '$out'"
check "munin config: the API's answers by class" sh -c "grep -q '^multigraph pirack_api_requests$' '$out' && grep -q '^_2xx.type DERIVE$' '$out'"
check "munin config: a histogram's mean over the interval, from its sum and count" sh -c "awk '/^multigraph pirack_tftp_transfer_time\$/{g=1;next} /^multigraph/{g=0} g' '$out' >'$TEST_TMP/tt' && grep -qx 'mean.cdef sum,count,/' '$TEST_TMP/tt' && grep -qx 'sum.graph no' '$TEST_TMP/tt' && grep -qx 'count.type DERIVE' '$TEST_TMP/tt'"
run munin
check "munin: the slots by state" sh -c "test $rc -eq 0 && grep -qx 'off.value 4' '$out'"
check "munin: the API's 4xx answers so far" sh -c "awk '/^multigraph pirack_api_requests/{g=1;next} /^multigraph/{g=0} g && /^_4xx.value/{print \$2}' '$out' | grep -qx '[1-9][0-9]*'"
run munin nonsense
check "munin with a wrong argument is a usage error" test "$rc" -eq 2

pirackd_stop
check "pirackd stops cleanly" test $? -eq 0
